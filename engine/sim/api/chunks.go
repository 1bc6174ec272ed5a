package api

import (
	"io"
	"net/http"
	"sync"
)

// chunkSize is how much of a large response is gathered before it is written: a list of
// 1000 pods (1.8 MB) goes out in about 28 writes, through one reused buffer instead of a
// fresh buffer of the whole body per request.
const chunkSize = 64 << 10

// chunkPool holds the buffers of chunkWriters (plain memory, no state between requests).
var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize); return &b }}

// chunkWriter gathers a response body in a pooled buffer and writes it to w a chunk at a
// time. It remembers the first write error; later writes are dropped.
type chunkWriter struct {
	w   io.Writer
	buf *[]byte
	err error
}

func newChunkWriter(w io.Writer) *chunkWriter {
	bp := chunkPool.Get().(*[]byte)
	*bp = (*bp)[:0]
	return &chunkWriter{w: w, buf: bp}
}

func (c *chunkWriter) flush() {
	if c.err == nil && len(*c.buf) > 0 {
		_, c.err = c.w.Write(*c.buf)
	}
	*c.buf = (*c.buf)[:0]
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	if len(*c.buf)+len(p) > chunkSize {
		c.flush()
		if len(p) >= chunkSize {
			if c.err == nil {
				_, c.err = c.w.Write(p)
			}
			return len(p), nil
		}
	}
	*c.buf = append(*c.buf, p...)
	return len(p), nil
}

func (c *chunkWriter) WriteString(s string) (int, error) {
	if len(*c.buf)+len(s) > chunkSize {
		c.flush()
	}
	*c.buf = append(*c.buf, s...) // a string larger than a chunk only grows this buffer once
	return len(s), nil
}

func (c *chunkWriter) WriteByte(b byte) error {
	if len(*c.buf) >= chunkSize {
		c.flush()
	}
	*c.buf = append(*c.buf, b)
	return nil
}

// close writes what is left and returns the buffer to the pool.
func (c *chunkWriter) close() error {
	c.flush()
	if cap(*c.buf) <= 2*chunkSize {
		chunkPool.Put(c.buf)
	}
	c.buf = nil
	return c.err
}

// jsonSink is where the list and Table encoders write: a bytes.Buffer or a chunkWriter.
type jsonSink interface {
	io.Writer
	io.StringWriter
	io.ByteWriter
}

// writeStreamed sends a JSON body that encode writes piece by piece, with the final
// newline the apiserver's encoder adds. The status is sent before the body, so encode must
// not fail half way for reasons of its own (write errors, a gone client, are only dropped).
func writeStreamed(w http.ResponseWriter, code int, contentType string, encode func(jsonSink)) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(code)
	c := newChunkWriter(w)
	encode(c)
	_ = c.WriteByte('\n')
	_ = c.close()
}
