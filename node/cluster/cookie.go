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

// LoadCookie returns the cookie the node authenticates with: flagValue when
// set (-setcookie), otherwise the content of home/.gerl.cookie, which is
// created on first use with 20 random uppercase letters and mode 0400. A
// cookie file that group or others can read stops the node, as in erl, with
// an error saying how to fix it.
func LoadCookie(flagValue, home string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if home == "" {
		return "", fmt.Errorf("%w: no home directory to keep %s in; give -setcookie", ErrCookie, CookieFile)
	}
	path := filepath.Join(home, CookieFile)
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createCookie(path)
	}
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
		return "", fmt.Errorf("%w: creating %s: %v", ErrCookie, path, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(raw)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), 0o400)); err != nil {
		return "", fmt.Errorf("%w: writing %s: %v", ErrCookie, path, err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return LoadCookie("", filepath.Dir(path)) // another node created it meanwhile
	} else if err != nil {
		return "", fmt.Errorf("%w: creating %s: %v", ErrCookie, path, err)
	}
	return string(raw), nil
}
