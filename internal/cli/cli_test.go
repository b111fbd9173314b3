package cli

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script/*.txtar")

// TestMain lets the scripts run kubeward in-process as the "kubeward" command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"kubeward": func() { os.Exit(Main(os.Args[1:], Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})) },
	})
}

// TestScripts runs the CLI scenarios in testdata/script: each .txtar file
// holds commands, input manifests and the exact expected output.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			repo, err := filepath.Abs("../..")
			env.Setenv("REPO", repo)
			return err
		},
	})
}
