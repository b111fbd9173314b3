package rbac

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	yaml "go.yaml.in/yaml/v3"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/output"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/report"
)

// expectation is one entry of an `rbac test` file.
type expectation struct {
	Name           string   `yaml:"name" json:"name"`
	User           string   `yaml:"user" json:"user,omitempty"`
	ServiceAccount string   `yaml:"serviceAccount" json:"serviceAccount,omitempty"`
	Groups         []string `yaml:"groups" json:"groups,omitempty"`
	Verb           string   `yaml:"verb" json:"verb"`
	Resource       string   `yaml:"resource" json:"resource,omitempty"`
	ResourceName   string   `yaml:"resourceName" json:"resourceName,omitempty"`
	Namespace      string   `yaml:"namespace" json:"namespace,omitempty"`
	NonResourceURL string   `yaml:"nonResourceURL" json:"nonResourceURL,omitempty"`
	Allowed        *bool    `yaml:"allowed" json:"allowed"`

	line int
}

// testFile is an expectations file. apiVersion and kind are optional; with
// them the file is a well-formed Kubernetes-style document, so scanning a
// directory that holds it (kubeward scan) counts it instead of reporting
// "missing apiVersion and kind".
type testFile struct {
	APIVersion string        `yaml:"apiVersion"`
	Kind       string        `yaml:"kind"`
	Tests      []expectation `yaml:"tests"`
}

// The optional header of an expectations file.
const (
	testFileAPIVersion = "kubeward.io/v1alpha1"
	testFileKind       = "RBACTest"
)

type testFlags struct {
	src      source
	out      *output.Flags
	modes    string
	abacFile string
}

func newTestCommand(s clierr.Streams) *cobra.Command {
	f := &testFlags{}
	cmd := &cobra.Command{
		Use:   "test FILE",
		Short: "Check a file of expected permissions against the RBAC in -f",
		Long: `Test runs every expectation of FILE and fails on any broken one, so teams can
keep permission tests next to their manifests. FILE is YAML (apiVersion and
kind are optional):

  apiVersion: kubeward.io/v1alpha1
  kind: RBACTest
  tests:
  - name: the api service account reads its own secret only
    serviceAccount: payments/api      # or user: NAME; groups: [G, ...]
    verb: get
    resource: secrets                 # RESOURCE[.GROUP][/SUBRESOURCE], as can-i
    resourceName: api-db
    namespace: payments
    allowed: true
  - name: anonymous cannot read /metrics
    user: system:anonymous
    verb: get
    nonResourceURL: /metrics
    allowed: false

The subject gets the groups authentication would give it, as in can-i.

Exit codes: 0 every expectation holds, 1 some are broken, 2 usage or input errors.`,
		Example: `  kubeward rbac test rbac/expectations.yaml -f rbac/`,
		Args:    cobra.ExactArgs(1),
		RunE:    func(cmd *cobra.Command, args []string) error { return runTest(s, f, args[0]) },
	}
	f.src.addFlags(cmd.Flags())
	f.out = output.Register(cmd.Flags(), "text", "text", "json", "junit")
	cmd.Flags().StringVar(&f.modes, "authorization-mode", "RBAC", "authorization modes in order, comma-separated: RBAC, ABAC, AlwaysAllow, AlwaysDeny")
	cmd.Flags().StringVar(&f.abacFile, "abac-policy-file", "", "ABAC policy file (JSON lines), for --authorization-mode ABAC")
	return cmd
}

// parseExpectations decodes and validates a test file; every problem is
// reported with its line.
func parseExpectations(name string, data []byte) ([]expectation, error) {
	var tf testFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&tf); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// Find the line of each test entry.
	if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "tests" && m.Content[i+1].Kind == yaml.SequenceNode {
				for j, item := range m.Content[i+1].Content {
					if j < len(tf.Tests) {
						tf.Tests[j].line = item.Line
					}
				}
			}
		}
	}
	if (tf.APIVersion != "" || tf.Kind != "") && (tf.APIVersion != testFileAPIVersion || tf.Kind != testFileKind) {
		return nil, fmt.Errorf("%s: apiVersion %q kind %q: want apiVersion %s, kind %s (or neither)", name, tf.APIVersion, tf.Kind, testFileAPIVersion, testFileKind)
	}
	if len(tf.Tests) == 0 {
		return nil, fmt.Errorf("%s: no tests (want a top-level tests: list)", name)
	}
	var errs []error
	for i := range tf.Tests {
		e := &tf.Tests[i]
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s:%d: test %q: %s", name, e.line, e.Name, fmt.Sprintf(format, args...)))
		}
		if e.Name == "" {
			e.Name = fmt.Sprintf("#%d", i+1)
		}
		if e.Verb == "" {
			bad("verb is required")
		}
		if (e.Resource == "") == (e.NonResourceURL == "") {
			bad("exactly one of resource and nonResourceURL is required")
		}
		if e.NonResourceURL != "" && (e.Namespace != "" || e.ResourceName != "") {
			bad("a nonResourceURL takes no namespace or resourceName")
		}
		if e.User != "" && e.ServiceAccount != "" {
			bad("user and serviceAccount are exclusive")
		}
		if e.User == "" && e.ServiceAccount == "" && len(e.Groups) == 0 {
			bad("a user, serviceAccount or groups is required")
		}
		if e.ServiceAccount != "" {
			ns, n, ok := strings.Cut(e.ServiceAccount, "/")
			if !ok || ns == "" || n == "" {
				bad("serviceAccount %q is not NAMESPACE/NAME", e.ServiceAccount)
			}
		}
		if e.Resource != "" {
			if _, _, _, _, err := rbac.ParseResource(e.Resource); err != nil {
				bad("%v", err)
			}
		}
		if e.Allowed == nil {
			bad("allowed (true or false) is required")
		}
	}
	return tf.Tests, errors.Join(errs...)
}

func (e *expectation) attributes() *rbac.Attributes {
	user := e.User
	if e.ServiceAccount != "" {
		ns, n, _ := strings.Cut(e.ServiceAccount, "/")
		user = rbac.ServiceAccountUser(ns, n)
	}
	a := &rbac.Attributes{User: user, Groups: rbac.Identity(user, e.Groups), Verb: e.Verb}
	if e.NonResourceURL != "" {
		a.Path = e.NonResourceURL
		return a
	}
	res, group, sub, _, _ := rbac.ParseResource(e.Resource)
	a.ResourceRequest = true
	a.Resource, a.APIGroup, a.Subresource, a.Name, a.Namespace = res, group, sub, e.ResourceName, e.Namespace
	return a
}

func runTest(s clierr.Streams, f *testFlags, file string) error {
	targets, err := f.out.Targets()
	if err != nil {
		return clierr.Usage(err)
	}
	if file == "-" && (contains(f.src.files, "-") || f.abacFile == "-") {
		return clierr.Usage(errors.New("stdin (-) can be read only once"))
	}
	var data []byte
	if file == "-" {
		data, err = io.ReadAll(s.In)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return &clierr.ExitError{Code: clierr.CodeError, Err: fmt.Errorf("reading test file: %w", err)}
	}
	exps, err := parseExpectations(file, data)
	if err != nil {
		return &clierr.ExitError{Code: clierr.CodeError, Err: err}
	}
	l, err := f.src.load(s.In)
	if err != nil {
		return err
	}
	if err := reportInputErrors(s, l); err != nil {
		return err
	}
	chain, err := buildChain(f.modes, l.index, f.abacFile, s.In)
	if err != nil {
		return err
	}
	type resultJSON struct {
		Name     string     `json:"name"`
		Line     int        `json:"line"`
		Expected bool       `json:"expected"`
		Allowed  bool       `json:"allowed"`
		Pass     bool       `json:"pass"`
		Reason   string     `json:"reason,omitempty"`
		Grant    *grantJSON `json:"grant,omitempty"`
	}
	var results []resultJSON
	failed := 0
	for i := range exps {
		e := &exps[i]
		r := chain.Authorize(e.attributes())
		res := resultJSON{Name: e.Name, Line: e.line, Expected: *e.Allowed, Allowed: r.Decision == rbac.Allow, Reason: r.Reason}
		res.Pass = res.Allowed == res.Expected
		if r.Grant != nil {
			res.Grant = toGrantJSON(r.Grant)
		}
		if !res.Pass {
			failed++
		}
		results = append(results, res)
	}
	err = writeTargets(s, targets, func(w io.Writer, format string) error {
		if format == "junit" {
			cases := make([]report.JUnitCase, 0, len(results))
			for _, r := range results {
				c := report.JUnitCase{Class: file, Name: r.Name}
				if !r.Pass {
					want, got := "allowed", "denied"
					if !r.Expected {
						want, got = "denied", "allowed"
					}
					c.Failure = "expected " + want + ", got " + got
					c.Detail = fmt.Sprintf("%s:%d: %s", file, r.Line, c.Failure)
					if r.Grant != nil {
						c.Detail += " by " + r.Grant.Path
					} else if r.Reason != "" {
						c.Detail += " (" + r.Reason + ")"
					}
				}
				cases = append(cases, c)
			}
			return report.WriteJUnitCases(w, "kubeward rbac test", cases)
		}
		if format == "json" {
			return writeJSON(w, struct {
				Results []resultJSON `json:"results"`
				Passed  int          `json:"passed"`
				Failed  int          `json:"failed"`
			}{results, len(results) - failed, failed})
		}
		for _, r := range results {
			if r.Pass {
				fmt.Fprintf(w, "PASS  %s\n", r.Name)
				continue
			}
			want, got := "allowed", "denied"
			if !r.Expected {
				want, got = "denied", "allowed"
			}
			fmt.Fprintf(w, "FAIL  %s (%s:%d): expected %s, got %s", r.Name, file, r.Line, want, got)
			if r.Grant != nil {
				fmt.Fprintf(w, " by %s", r.Grant.Path)
			} else if r.Reason != "" {
				fmt.Fprintf(w, " (%s)", r.Reason)
			}
			fmt.Fprintln(w)
		}
		_, err := fmt.Fprintf(w, "%d passed, %d failed\n", len(results)-failed, failed)
		return err
	})
	if err != nil {
		return err
	}
	if failed > 0 {
		return clierr.Findings()
	}
	return nil
}
