package classroom

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	gossh "golang.org/x/crypto/ssh"
)

// loadOrCreateHostKey reads the server's host key, creating an ed25519 key there on first
// start so that students' known_hosts stay valid across restarts of the class.
func loadOrCreateHostKey(path string) (gossh.Signer, error) {
	if path == "" {
		return nil, errors.New("--host-key is required: the file that keeps the server's SSH host key (created on first start)")
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		_, priv, gerr := ed25519.GenerateKey(rand.Reader)
		if gerr != nil {
			return nil, gerr
		}
		block, merr := gossh.MarshalPrivateKey(priv, "kubetutor classroom host key")
		if merr != nil {
			return nil, merr
		}
		b = pem.EncodeToMemory(block)
		// O_EXCL: two servers started together must not overwrite each other's key.
		f, oerr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if oerr != nil {
			return nil, fmt.Errorf("creating the host key: %w", oerr)
		}
		if _, werr := f.Write(b); werr != nil {
			f.Close()
			return nil, werr
		}
		if cerr := f.Close(); cerr != nil {
			return nil, cerr
		}
	} else if err != nil {
		return nil, err
	}
	signer, err := gossh.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: not an SSH private key: %v", path, err)
	}
	return signer, nil
}
