// Package coreutils holds the programs every simulated image has (cat, ls, cp, grep, sed, date,
// echo, printf, test …), written against System, the container they run in: its files, clock,
// host name and the way to start another program. The shell and the network and MySQL tools
// live elsewhere; package sandbox puts them all in one table.
package coreutils

import (
	"context"
	"io"
	"io/fs"
	"time"
)

// Proc is one running program: its container, arguments, streams and environment.
type Proc struct {
	Ctx    context.Context
	Sys    System
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	TTY    bool
	Cwd    string
	Vars   map[string]string // the environment
	Depth  int               // programs nested above this one (sh -c 'sh -c …')
}

// Info is a copy of a node's metadata, safe to use without the lock.
type Info struct {
	Name  string
	Mode  fs.FileMode
	Size  int
	Prog  string
	MTime time.Time
}

// MountUsage is one mount as df reports it.
type MountUsage struct {
	Path  string
	Bytes int64
}

// System is the container a program runs in.
type System interface {
	Stat(p string) (Info, error)
	ReadFile(p string) ([]byte, error)
	WriteFile(p string, data []byte, appendTo bool) error
	Mkdir(p string, parents bool) error
	Remove(p string, recursive bool) error
	Rename(src, dst string) error
	CopyTo(src, dst string, recursive bool) error
	Chmod(p string, mode fs.FileMode) error
	Touch(p string) error
	ReadDir(p string) ([]Info, bool, error)
	Usage(p string) (int64, error)
	Mounts() []MountUsage
	Now() time.Time
	After(d time.Duration) <-chan time.Time
	Hostname() string
	FQDN() string
	PodIP() string
	// LookPath finds a program in $PATH: its path and the simulated program it runs.
	LookPath(p *Proc, name string) (string, string, bool)
	// Exec runs argv as a child of p.
	Exec(p *Proc, argv []string) int
}
