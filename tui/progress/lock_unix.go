//go:build unix

package progress

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockWait bounds how long a save waits for another player's save (a few milliseconds of
// reading and writing a small file); a lock held longer is reported, never waited on forever.
const lockWait = 5 * time.Second

// lockFile takes an exclusive lock for one read-merge-write of path, on the folder that holds
// it (the file itself is replaced by each save, and a lock file would be one more file in
// the learner's state folder). flock locks belong to the open file, so two stores of one
// process exclude each other too, and the kernel drops the lock of a player that dies.
func lockFile(path string) (unlock func(), err error) {
	if err := os.MkdirAll(dirOf(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.Open(dirOf(path))
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(lockWait)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, err
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("another kubetutor has held the lock on %s for over %v", dirOf(path), lockWait)
		}
		time.Sleep(2 * time.Millisecond) // another player is mid-save: a few milliseconds
	}
}
