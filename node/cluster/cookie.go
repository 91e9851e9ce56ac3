package cluster

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CookieFile is the name of the cookie file in the home directory.
const CookieFile = ".gerl.cookie"

// ErrCookie is matched by errors about the cookie: a file that is unsafe,
// unreadable or empty.
var ErrCookie = errors.New("cookie")

// ErlangCookieFile is the name of Erlang's cookie file in the home
// directory, which erl and iex read.
const ErlangCookieFile = ".erlang.cookie"

// LoadCookie returns the cookie the node authenticates with: flagValue when
// set (-setcookie), otherwise the content of home/.gerl.cookie; when that
// file does not exist but Erlang's home/.erlang.cookie does, that one, so
// that erl, iex and gerl nodes started by one user share a cookie as erl
// nodes do; when neither exists, .gerl.cookie is created with 20 random
// uppercase letters and mode 0400. A cookie file that group or others can
// read stops the node, as in erl, with an error saying how to fix it.
func LoadCookie(flagValue, home string) (string, error) {
	c, _, err := LoadCookieFrom(flagValue, home)
	return c, err
}

// LoadCookieFrom is LoadCookie that also says where the cookie came from:
// "-setcookie", or the file's path (see Config.CookieFrom).
func LoadCookieFrom(flagValue, home string) (cookie, from string, err error) {
	if flagValue != "" {
		return flagValue, "-setcookie", nil
	}
	if home == "" {
		return "", "", fmt.Errorf("%w: no home directory to keep %s in; give -setcookie", ErrCookie, CookieFile)
	}
	path := filepath.Join(home, CookieFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		erl := filepath.Join(home, ErlangCookieFile)
		if _, err := os.Stat(erl); err == nil {
			c, err := readCookie(erl)
			return c, erl, err
		}
		c, err := createCookie(path)
		return c, path, err
	}
	c, err := readCookie(path)
	return c, path, err
}

// readCookie reads a cookie file, which must be a regular file that only
// its owner can read.
func readCookie(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrCookie, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%w: %s is not a regular file", ErrCookie, path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%w: %s is readable by group or others (mode %04o); fix it with: chmod 400 %s",
			ErrCookie, path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrCookie, err)
	}
	c := strings.TrimSpace(string(b))
	if c == "" {
		return "", fmt.Errorf("%w: %s is empty; remove it to get a new one, or give -setcookie", ErrCookie, path)
	}
	return c, nil
}

// createCookie writes a new random cookie to path. The file appears whole
// or not at all (written beside it, then linked into place without
// replacing anything), so a node starting at the same instant reads
// either no file or this cookie, never an empty file.
func createCookie(path string) (string, error) {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	raw := make([]byte, 0, 20)
	for len(raw) < cap(raw) {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("%w: %v", ErrCookie, err)
		}
		for _, x := range b {
			// Only bytes below 234 (9*26), so that every letter is
			// equally likely.
			if x < 234 && len(raw) < cap(raw) {
				raw = append(raw, letters[x%26])
			}
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), CookieFile+".*.tmp")
	if err != nil {
		// The temporary file's name says nothing the user needs; why it
		// failed does (no such directory, permission denied).
		why := err
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			why = pe.Err
		}
		return "", fmt.Errorf("%w: cannot create %s: %v (give one with -setcookie)", ErrCookie, path, why)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(raw)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), 0o400)); err != nil {
		return "", fmt.Errorf("%w: writing %s: %v", ErrCookie, path, err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readCookie(path) // another node created it meanwhile
	} else if err != nil {
		return "", fmt.Errorf("%w: creating %s: %v", ErrCookie, path, err)
	}
	return string(raw), nil
}
