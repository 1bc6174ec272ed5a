package sandbox

import (
	"context"
	"errors"
	"io"
	"sync"
)

var errInterrupt = errors.New("interrupt")

// lineReader turns a byte stream into lines. With a terminal it does what a pty's line
// discipline does: echo, backspace, Ctrl-C, Ctrl-D.
type lineReader struct {
	ctx   context.Context
	tty   bool
	echo  io.Writer
	ch    chan byte
	errCh chan error
	mu    sync.Mutex
	intr  func()
	rest  []byte
}

func newLineReader(ctx context.Context, r io.Reader, tty bool, echo io.Writer) *lineReader {
	lr := &lineReader{ctx: ctx, tty: tty, echo: echo, ch: make(chan byte, 256), errCh: make(chan error, 1)}
	go func() {
		b := make([]byte, 256)
		for {
			n, err := r.Read(b)
			for _, c := range b[:n] {
				if tty && c == 3 {
					lr.mu.Lock()
					f := lr.intr
					lr.mu.Unlock()
					if f != nil {
						f()
						continue
					}
				}
				select {
				case lr.ch <- c:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				lr.errCh <- err
				return
			}
		}
	}()
	return lr
}

func (lr *lineReader) onInterrupt(f func()) {
	lr.mu.Lock()
	lr.intr = f
	lr.mu.Unlock()
}

func (lr *lineReader) readByte() (byte, error) {
	select {
	case c := <-lr.ch:
		return c, nil
	default:
	}
	select {
	case c := <-lr.ch:
		return c, nil
	case err := <-lr.errCh:
		// Drain what arrived before the error.
		select {
		case c := <-lr.ch:
			lr.errCh <- err
			return c, nil
		default:
		}
		lr.errCh <- err
		return 0, err
	case <-lr.ctx.Done():
		return 0, lr.ctx.Err()
	}
}

func (lr *lineReader) readLine() (string, error) {
	var line []byte
	for {
		c, err := lr.readByte()
		if err != nil {
			if len(line) > 0 && !lr.tty {
				return string(line), nil
			}
			return "", err
		}
		if !lr.tty {
			if c == '\n' {
				return string(line), nil
			}
			line = append(line, c)
			continue
		}
		switch c {
		case '\r', '\n':
			io.WriteString(lr.echo, "\n")
			return string(line), nil
		case 3: // Ctrl-C with nothing running
			io.WriteString(lr.echo, "^C\n")
			return "", errInterrupt
		case 4: // Ctrl-D
			if len(line) == 0 {
				return "", io.EOF
			}
		case 127, 8:
			if len(line) > 0 {
				// Remove a whole UTF-8 character.
				k := len(line) - 1
				for k > 0 && line[k]&0xC0 == 0x80 {
					k--
				}
				line = line[:k]
				io.WriteString(lr.echo, "\b \b")
			}
		case 21: // Ctrl-U
			for range []rune(string(line)) {
				io.WriteString(lr.echo, "\b \b")
			}
			line = line[:0]
		case 27:
			// Escape sequences (arrow keys): swallow "[X".
			lr.readByte()
			lr.readByte()
		default:
			if c < 32 && c != '\t' {
				continue
			}
			line = append(line, c)
			lr.echo.Write([]byte{c})
		}
	}
}

// Read lets programs started from an interactive shell read the terminal in cooked mode:
// a line at a time, ending at Ctrl-D.
func (lr *lineReader) Read(b []byte) (int, error) {
	if len(lr.rest) == 0 {
		line, err := lr.readLine()
		if err != nil {
			if errors.Is(err, errInterrupt) {
				return 0, io.EOF
			}
			return 0, err
		}
		lr.rest = []byte(line + "\n")
	}
	n := copy(b, lr.rest)
	lr.rest = lr.rest[n:]
	return n, nil
}

// asLineReader reuses the shell's terminal reader when there is one.
func asLineReader(p *Proc) *lineReader {
	if lr, ok := p.Stdin.(*lineReader); ok {
		return lr
	}
	return newLineReader(p.Ctx, p.Stdin, p.TTY, p.Stdout)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
