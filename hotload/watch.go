package hotload

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watching (-watch, watch(true)) reloads a module when its source is
// saved. It watches directories, not files: editors save by writing a
// temporary file and renaming it over the original, which a watch on the
// file itself would lose. Events for a module's files are debounced (the
// module is reloaded once its files have been quiet for Config.Debounce),
// and a module whose source hashes the same as its current version's is
// not reloaded (a save without changes, a touch). Reloads, and loads that
// fail, are logged with their problems (file:line:col); a failed reload
// leaves the running version running, as any load.

// Watch turns watching on or off. Modules loaded while watching are
// watched from then on.
func (s *Server) Watch(on bool) error {
	s.mu.Lock()
	if s.closed && on {
		s.mu.Unlock()
		return ErrClosed
	}
	w := s.watching
	if on == (w != nil) {
		s.mu.Unlock()
		return nil
	}
	if !on {
		s.watching = nil
		s.mu.Unlock()
		w.stop()
		return nil
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		s.mu.Unlock()
		return fmt.Errorf("watch: %w", err)
	}
	w = &watcher{srv: s, fs: fw, dirs: map[string]bool{}, quit: make(chan struct{})}
	s.watching = w
	var srcs []*source
	for _, m := range s.mods {
		if v := m.current.Load(); v != nil && v.src.path != "" {
			srcs = append(srcs, v.src)
		}
	}
	s.mu.Unlock()
	for _, src := range srcs {
		w.add(src)
	}
	w.wg.Add(1)
	go w.run()
	return nil
}

// Watching reports whether the server watches sources.
func (s *Server) Watching() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.watching != nil
}

// watcher owns the fsnotify watcher and the goroutine that reloads.
type watcher struct {
	srv  *Server
	fs   *fsnotify.Watcher
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once

	mu   sync.Mutex      // protects following
	dirs map[string]bool // watched directories
}

// add watches the directory of src.
func (w *watcher) add(src *source) {
	dir := src.path
	if !src.dir {
		dir = filepath.Dir(src.path)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dirs[dir] {
		return
	}
	if err := w.fs.Add(dir); err != nil {
		if !errors.Is(err, fsnotify.ErrClosed) {
			w.srv.log.Warn("hotload: cannot watch a module's directory", "dir", dir, "err", err)
		}
		return
	}
	w.dirs[dir] = true
}

// stop ends the goroutine and waits for it (and the reload it may be
// doing). Idempotent.
func (w *watcher) stop() {
	w.once.Do(func() {
		close(w.quit)
		w.fs.Close()
	})
	w.wg.Wait()
}

// run receives file events; a module is reloaded once its files have been
// quiet for the debounce time.
func (w *watcher) run() {
	defer w.wg.Done()
	pending := map[string]time.Time{} // module -> when to reload
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	arm := func() {
		var first time.Time
		for _, at := range pending {
			if first.IsZero() || at.Before(first) {
				first = at
			}
		}
		timer.Stop()
		if !first.IsZero() {
			timer.Reset(time.Until(first))
		}
	}
	for {
		select {
		case <-w.quit:
			return
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			for _, name := range w.srv.modulesOf(ev.Name) {
				pending[name] = time.Now().Add(w.srv.debounce)
			}
			arm()
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			w.srv.log.Warn("hotload: watch error", "err", err)
		case <-timer.C:
			// Due modules, in the order their files went quiet.
			now := time.Now()
			var due []string
			for name, at := range pending {
				if !at.After(now) {
					due = append(due, name)
				}
			}
			sort.Slice(due, func(i, j int) bool { return pending[due[i]].Before(pending[due[j]]) })
			for _, name := range due {
				delete(pending, name)
				w.reload(name)
			}
			arm()
		}
	}
}

// reload reloads one module for the watcher and logs the outcome.
func (w *watcher) reload(name string) {
	select {
	case <-w.quit:
		return
	default:
	}
	l, err := w.srv.reloadIfChanged(name)
	switch {
	case err != nil:
		w.srv.log.Error("hotload: reload after a change failed; the running version keeps running", "module", name, "err", err.Error())
	case l.Changed:
		w.srv.log.Info("hotload: reloaded after a change", "module", name, "version", l.Version)
	}
}

// modulesOf returns the loaded modules that file belongs to.
func (s *Server) modulesOf(file string) []string {
	file = filepath.Clean(file)
	dir, base := filepath.Dir(file), filepath.Base(file)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for name, m := range s.mods {
		v := m.current.Load()
		if v == nil || v.src.path == "" {
			continue
		}
		if (v.src.dir && dir == v.src.path && isModuleFile(base)) || (!v.src.dir && file == v.src.path) {
			out = append(out, name)
		}
	}
	return out
}
