//go:build !unix

package tui

import (
	"context"
	"os"

	tea "github.com/charmbracelet/bubbletea"
)

// Screen is the player's own terminal set-up where it can watch for resizes (unix); here
// OpenScreen returns nil and Bubble Tea's renderer sets up the terminal.
type Screen struct{}

func OpenScreen(in, out *os.File) *Screen { return nil }

func (s *Screen) Enter() error                                      { return nil }
func (s *Screen) Leave() error                                      { return nil }
func (s *Screen) Release() error                                    { return nil }
func (s *Screen) Restore() error                                    { return nil }
func (s *Screen) WatchSize(ctx context.Context, send func(tea.Msg)) {}
