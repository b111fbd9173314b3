// Package clierr holds what every command package shares: the standard
// streams and the errors that carry an exit code.
package clierr

import (
	"fmt"
	"io"
	"os"
)

// Exit codes shared by every command.
const (
	CodeOK       = 0 // nothing to report
	CodeFindings = 1 // unsuppressed findings (or a broken expectation)
	CodeError    = 2 // usage or input errors; errors win over findings
)

// Streams are the standard streams a command uses.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// ExitError makes the process exit with Code. A Silent error prints nothing
// (the command already reported, e.g. findings); otherwise the CLI prints
// "kubeward: error: <Err>" and, if set, the hint on its own line.
type ExitError struct {
	Code   int
	Err    error
	Hint   string
	Silent bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Usage wraps a usage error (exit code 2) with a hint to read --help.
func Usage(err error) error {
	return &ExitError{Code: CodeError, Err: err, Hint: "run 'kubeward --help' or '<command> --help' for usage"}
}

// Findings is the silent error a command returns when it reported findings.
func Findings() error { return &ExitError{Code: CodeFindings, Silent: true} }

// Failed is the silent error a command returns when it already reported input errors.
func Failed() error { return &ExitError{Code: CodeError, Silent: true} }

// IsTerminal reports whether w is a terminal (used to decide on colour).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
