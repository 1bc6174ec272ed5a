package classroom

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	gossh "golang.org/x/crypto/ssh"
)

// Role is what a connection may do.
type Role int

const (
	RoleNone Role = iota
	RoleStudent
	RoleInstructor
)

// keySet is the keys of one authorized_keys file, by SHA256 fingerprint.
type keySet map[string]bool

// loadKeys reads an authorized_keys file. Options before a key (from="…") are not honoured,
// so a line that carries them is refused rather than silently widened.
func loadKeys(path string) (keySet, error) {
	ks := keySet{}
	if path == "" {
		return ks, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rest := b
	line := 0
	for len(bytes.TrimSpace(rest)) > 0 {
		line++
		pk, _, opts, next, err := gossh.ParseAuthorizedKey(rest)
		if err != nil {
			// ParseAuthorizedKey skips comments and blank lines itself; what is left is bad.
			return nil, fmt.Errorf("%s: no valid key found after line %d: %v", path, line, err)
		}
		if len(opts) > 0 {
			return nil, fmt.Errorf("%s: key %s carries options (%s); the classroom does not honour options, remove them", path, gossh.FingerprintSHA256(pk), strings.Join(opts, ","))
		}
		ks[gossh.FingerprintSHA256(pk)] = true
		rest = next
	}
	return ks, nil
}

// loadPassword reads the class password: the file's first line, without surrounding space.
func loadPassword(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return "", fmt.Errorf("%s: the password file is empty", path)
	}
	pw := strings.TrimSpace(sc.Text())
	if len(pw) < 8 {
		return "", fmt.Errorf("%s: the class password must have at least 8 characters", path)
	}
	return pw, nil
}

// nameRE is a DNS label of at most 32 characters: a student's name also names their
// namespace (kubetutor-NAME) and their folder in the state directory.
var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)

// ValidName reports whether a login name may be a student's name.
func ValidName(name string) bool { return nameRE.MatchString(name) }

// errNameTaken is a login under a name that another key (or the class password) claimed.
var errNameTaken = errors.New("this name belongs to another student")

// nameBook binds each student name to the credential that first used it, so one student
// cannot take over another's seat by logging in under their name. It is kept in the state
// directory, so the binding outlives a restart of the classroom.
type nameBook struct {
	mu    sync.Mutex
	path  string
	Names map[string]string `json:"names"` // name → "key:SHA256:…" or "password"

	// Writing the file (a sync to disk) happens outside mu, one write at a time: fifty
	// students logging in at once wait for one write each, not for every write before
	// theirs. gen numbers the snapshots; written is the newest one on disk.
	wmu          sync.Mutex
	gen, written uint64
}

func openNameBook(dir string) (*nameBook, error) {
	nb := &nameBook{Names: map[string]string{}}
	if dir == "" {
		return nb, nil
	}
	nb.path = filepath.Join(dir, "names.json")
	b, err := os.ReadFile(nb.path)
	if errors.Is(err, os.ErrNotExist) {
		return nb, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, nb); err != nil {
		return nil, fmt.Errorf("%s: %v (move it aside to start a new class)", nb.path, err)
	}
	if nb.Names == nil {
		nb.Names = map[string]string{}
	}
	return nb, nil
}

// claim binds name to cred, or checks that it is bound to cred already. fresh tells that
// this call made the binding (so a login that then fails can give it back with release).
func (nb *nameBook) claim(name, cred string) (fresh bool, err error) {
	nb.mu.Lock()
	if have, ok := nb.Names[name]; ok {
		nb.mu.Unlock()
		if have != cred {
			return false, errNameTaken
		}
		return false, nil
	}
	nb.Names[name] = cred
	snap, gen, err := nb.snapshotLocked()
	nb.mu.Unlock()
	if err != nil {
		return true, err
	}
	return true, nb.write(snap, gen)
}

// release undoes a fresh claim whose login failed: a seat the class could not give (full,
// or in --real mode a namespace that belongs to another credential) must not bind the name,
// or a failed impersonation at a new front end would lock the real student out of it.
func (nb *nameBook) release(name, cred string) {
	nb.mu.Lock()
	if nb.Names[name] != cred {
		nb.mu.Unlock()
		return
	}
	delete(nb.Names, name)
	snap, gen, err := nb.snapshotLocked()
	nb.mu.Unlock()
	if err == nil {
		_ = nb.write(snap, gen) // the binding is gone in memory; a stale file only keeps it for its owner
	}
}

// snapshotLocked is the file's next content (nil without a state directory); nb.mu is held.
func (nb *nameBook) snapshotLocked() ([]byte, uint64, error) {
	if nb.path == "" {
		return nil, 0, nil
	}
	b, err := json.MarshalIndent(nb, "", "  ")
	if err != nil {
		return nil, 0, err
	}
	nb.gen++
	return b, nb.gen, nil
}

// write puts snapshot gen on disk unless a newer one is there already.
func (nb *nameBook) write(b []byte, gen uint64) error {
	if b == nil {
		return nil
	}
	nb.wmu.Lock()
	defer nb.wmu.Unlock()
	if nb.written >= gen {
		return nil
	}
	if err := writeAtomic(nb.path, b); err != nil {
		return err
	}
	nb.written = gen
	return nil
}

// passwordOK compares in constant time.
func passwordOK(want, got string) bool {
	if want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// writeAtomic writes through a temporary file and a rename, so a crash never leaves half a
// file behind.
func writeAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
