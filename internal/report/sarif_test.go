package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kubeward/kubeward/internal/finding"
)

// The official SARIF 2.1.0 schema (OASIS, errata 01, draft-04) is looked up
// at $KUBEWARD_SARIF_SCHEMA, then at testdata/sarif-schema-2.1.0.json. It is
// published in the OASIS TC repository oasis-tcs/sarif-spec as
// sarif-2.1/schema/sarif-schema-2.1.0.json. Without it, schema validation
// is skipped (TestSARIFSchemaPresent says so) and only the code scanning
// checks of checkSARIF run.
const sarifSchemaFile = "sarif-schema-2.1.0.json"

var sarifSchema210 = sync.OnceValues(func() (*jsonschema.Schema, error) {
	path := os.Getenv("KUBEWARD_SARIF_SCHEMA")
	if path == "" {
		path = filepath.Join("testdata", sarifSchemaFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(sarifSchema, doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c.Compile(sarifSchema)
})

// TestSARIFSchemaPresent reports whether the official schema is there to
// validate against; it skips, loudly, when it is not.
func TestSARIFSchemaPresent(t *testing.T) {
	// The schema is checked in (testdata/sarif-schema-2.1.0.NOTICE), so a
	// missing file is a broken checkout, not a reason to skip validation.
	if _, err := sarifSchema210(); err != nil {
		t.Fatal(err)
	}
}

// checkSARIF fails t unless data is a SARIF log valid against the official
// schema (when present) that GitHub code scanning accepts: every result has
// a rule, a message, a location with an artifact URI (relative, or a file
// URI) and a start line ≥ 1, and partial fingerprints; every rule has the
// texts code scanning shows, at most 20 tags and, with security-severity,
// the "security" tag; results, rules and runs within the limits.
func checkSARIF(t *testing.T, data []byte) {
	t.Helper()
	problems, err := sarifProblems(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// sarifProblems lists what checkSARIF finds wrong with data; the error is
// for data that is not JSON or a schema that does not load.
func sarifProblems(data []byte) (problems []string, err error) {
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if sch, err := sarifSchema210(); err == nil {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("SARIF is not JSON: %w", err)
		}
		if err := sch.Validate(inst); err != nil {
			errorf("SARIF fails the SARIF 2.1.0 schema: %v", err)
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}

	type text struct {
		Text string `json:"text"`
	}
	type location struct {
		PhysicalLocation *struct {
			ArtifactLocation *struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region *struct {
				StartLine int `json:"startLine"`
			} `json:"region"`
		} `json:"physicalLocation"`
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID               string         `json:"id"`
						ShortDescription text           `json:"shortDescription"`
						FullDescription  text           `json:"fullDescription"`
						Help             text           `json:"help"`
						Properties       map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Invocations []struct {
				Notifications []struct {
					Message   text       `json:"message"`
					Locations []location `json:"locations"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
			Results []struct {
				RuleID              string            `json:"ruleId"`
				RuleIndex           *int              `json:"ruleIndex"`
				Message             text              `json:"message"`
				Locations           []location        `json:"locations"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		return nil, fmt.Errorf("SARIF is not JSON: %w", err)
	}
	checkLocation := func(what string, loc location) {
		p := loc.PhysicalLocation
		if p == nil || p.ArtifactLocation == nil || p.ArtifactLocation.URI == "" {
			errorf("%s: no physicalLocation.artifactLocation.uri (code scanning: expected artifact location)", what)
			return
		}
		u, err := url.Parse(p.ArtifactLocation.URI)
		if err != nil || (u.Scheme != "" && u.Scheme != "file") {
			errorf("%s: URI %q is neither relative nor a file URI (%v)", what, p.ArtifactLocation.URI, err)
		}
		if p.Region == nil || p.Region.StartLine < 1 {
			errorf("%s: no region.startLine ≥ 1", what)
		}
	}
	if log.Version != "2.1.0" || len(log.Runs) == 0 || len(log.Runs) > 20 {
		errorf("version %q with %d runs, want 2.1.0 with 1 to 20", log.Version, len(log.Runs))
	}
	for _, run := range log.Runs {
		rules := run.Tool.Driver.Rules
		if run.Tool.Driver.Name == "" || len(rules) > 25000 || len(run.Results) > 25000 {
			errorf("driver %q with %d rules and %d results", run.Tool.Driver.Name, len(rules), len(run.Results))
		}
		for _, r := range rules {
			if r.ID == "" || r.ShortDescription.Text == "" || r.FullDescription.Text == "" || r.Help.Text == "" {
				errorf("rule %q lacks an id, shortDescription, fullDescription or help text", r.ID)
			}
			tags, _ := r.Properties["tags"].([]any)
			if len(tags) > 20 {
				errorf("rule %q has %d tags, code scanning takes at most 20", r.ID, len(tags))
			}
			if sev, ok := r.Properties["security-severity"].(string); ok {
				if v, err := strconv.ParseFloat(sev, 64); err != nil || v < 0 || v > 10 {
					errorf("rule %q: security-severity %q is not a number from 0.0 to 10.0", r.ID, sev)
				}
				if !cmpContains(tags, "security") {
					errorf("rule %q has security-severity but no security tag", r.ID)
				}
			}
		}
		for i, res := range run.Results {
			what := fmt.Sprintf("result %d (%s)", i, res.RuleID)
			if res.RuleID == "" || res.Message.Text == "" || len(res.PartialFingerprints) == 0 {
				errorf("%s lacks a ruleId, message text or partialFingerprints", what)
			}
			if res.RuleIndex == nil || *res.RuleIndex < 0 || *res.RuleIndex >= len(rules) || rules[*res.RuleIndex].ID != res.RuleID {
				errorf("%s: ruleIndex does not point at its rule", what)
			}
			if len(res.Locations) == 0 || len(res.Locations) > 1000 {
				errorf("%s has %d locations, code scanning needs 1 to 1000", what, len(res.Locations))
			}
			for _, loc := range res.Locations {
				checkLocation(what, loc)
			}
		}
		for _, inv := range run.Invocations {
			for i, n := range inv.Notifications {
				if n.Message.Text == "" {
					errorf("notification %d has no message", i)
				}
				for _, loc := range n.Locations {
					checkLocation(fmt.Sprintf("notification %d", i), loc)
				}
			}
		}
	}
	return problems, nil
}

func cmpContains(list []any, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestCheckSARIF: the checks catch what code scanning rejects, and the
// schema catches what SARIF forbids.
func TestCheckSARIF(t *testing.T) {
	valid := writeSARIFChecked(t, edgeReport(), Options{Registry: testRegistry(t)})
	physical := func(res map[string]any) map[string]any {
		return res["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
	}
	for _, tc := range []struct {
		name   string
		mutate func(res map[string]any)
		want   string
		schema bool // only the schema sees it
	}{
		{"no location", func(res map[string]any) { res["locations"] = []any{} }, "has 0 locations", false},
		{"no uri", func(res map[string]any) { delete(physical(res)["artifactLocation"].(map[string]any), "uri") }, "no physicalLocation.artifactLocation.uri", false},
		{"web uri", func(res map[string]any) {
			physical(res)["artifactLocation"].(map[string]any)["uri"] = "https://example.com/x"
		}, "neither relative nor a file URI", false},
		{"line 0", func(res map[string]any) { physical(res)["region"].(map[string]any)["startLine"] = 0 }, "no region.startLine", false},
		{"no region", func(res map[string]any) { delete(physical(res), "region") }, "no region.startLine", false},
		{"no fingerprint", func(res map[string]any) { delete(res, "partialFingerprints") }, "partialFingerprints", false},
		{"wrong rule index", func(res map[string]any) { res["ruleIndex"] = 1 }, "ruleIndex", false},
		{"bad level", func(res map[string]any) { res["level"] = "fatal" }, "schema", true},
		{"unknown property", func(res map[string]any) { res["rule_id"] = 1 }, "schema", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.schema {
				if _, err := sarifSchema210(); err != nil {
					t.Skipf("no schema: %v", err)
				}
			}
			var log map[string]any
			if err := json.Unmarshal(valid, &log); err != nil {
				t.Fatal(err)
			}
			results := log["runs"].([]any)[0].(map[string]any)["results"].([]any)
			tc.mutate(results[2].(map[string]any))
			bad, err := json.Marshal(log)
			if err != nil {
				t.Fatal(err)
			}
			problems, err := sarifProblems(bad)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(problems, "\n"), tc.want) {
				t.Errorf("problems %q, want one saying %q", problems, tc.want)
			}
		})
	}
}

// TestSARIFGoldensValid: every SARIF golden file passes checkSARIF.
func TestSARIFGoldensValid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no SARIF golden files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			checkSARIF(t, data)
		})
	}
}

// writeSARIFChecked renders r as SARIF and checks it with checkSARIF.
func writeSARIFChecked(t *testing.T, r *Report, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, FormatSARIF, r, opts); err != nil {
		t.Fatal(err)
	}
	checkSARIF(t, buf.Bytes())
	return buf.Bytes()
}

// pinWorkingDirectory makes the SARIF renderer see dir as the working
// directory for the rest of the test.
func pinWorkingDirectory(t *testing.T, dir string) {
	t.Helper()
	old := getwd
	getwd = func() (string, error) { return dir, nil }
	t.Cleanup(func() { getwd = old })
}

// sarifLogOf is the whole SARIF log of r, as writeSARIF streams it.
func sarifLogOf(r *Report, opts Options) sarifLog {
	tool, inv, st := sarifParts(r, opts)
	run := sarifRun{Tool: tool, Invocations: []sarifInvocation{inv}, Results: []sarifResult{}}
	for i := range r.Findings {
		if st.order == nil || contains(st.order, i) {
			run.Results = append(run.Results, *st.result(&r.Findings[i]))
		}
	}
	return sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestSARIFStreamsWhatEncoderWrites: the SARIF renderer writes a result at
// a time, and its bytes are exactly those of encoding/json's Encoder on the
// whole log; each log is valid.
func TestSARIFStreamsWhatEncoderWrites(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("edge report uses Unix paths")
	}
	pinWorkingDirectory(t, "/work/repo")
	outside := testReport()
	outside.Add(finding.Finding{Rule: "rbac/not-in-registry", Severity: finding.SeverityMedium, Message: "<x> & y"})
	for name, tc := range map[string]struct {
		r     *Report
		opts  Options
		limit int
	}{
		"sample":            {r: testReport(), opts: Options{Registry: testRegistry(t), Version: "v1.2.3"}},
		"empty":             {r: New(), opts: Options{Registry: testRegistry(t)}},
		"nil arrays":        {r: &Report{}},
		"no registry":       {r: testReport()},
		"rule outside":      {r: outside, opts: Options{Registry: testRegistry(t)}},
		"errors, no result": {r: &Report{Findings: []finding.Finding{}, Errors: []InputError{{Message: "x"}}}},
		"edge":              {r: edgeReport(), opts: Options{Registry: testRegistry(t), SARIFRoot: "/work/repo"}},
		"edge, truncated":   {r: edgeReport(), opts: Options{Registry: testRegistry(t)}, limit: 3},
		"large":             {r: largeReport(5*chunkElems + 17), opts: Options{Registry: testRegistry(t)}},
		"large, truncated":  {r: largeReport(5*chunkElems + 17), opts: Options{Registry: testRegistry(t)}, limit: 3*chunkElems + 1},
	} {
		t.Run(name, func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
			if tc.limit > 0 {
				old := sarifMaxResults
				sarifMaxResults = tc.limit
				t.Cleanup(func() { sarifMaxResults = old })
			}
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(sarifLogOf(tc.r, tc.opts)); err != nil {
				t.Fatal(err)
			}
			got := writeSARIFChecked(t, tc.r, tc.opts)
			if diff := cmp.Diff(want.String(), string(got)); diff != "" {
				t.Errorf("streamed SARIF differs from encoding/json (-want +got):\n%s", diff)
			}
		})
	}
}

// sarifDoc is the part of a SARIF log the tests below look at.
type sarifDoc struct {
	Runs []struct {
		Invocations []struct {
			ExecutionSuccessful bool `json:"executionSuccessful"`
			Notifications       []struct {
				Descriptor struct {
					ID string `json:"id"`
				} `json:"descriptor"`
				Level     string          `json:"level"`
				Message   sarifText       `json:"message"`
				Locations []sarifLocation `json:"locations"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Results []sarifResult `json:"results"`
	} `json:"runs"`
}

func parseSARIF(t *testing.T, data []byte) sarifDoc {
	t.Helper()
	var doc sarifDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestSARIFWithoutFile: findings about objects read from a cluster have no
// file; code scanning rejects a whole upload with a result without a
// location, so they get one naming the object, and a logical location.
func TestSARIFWithoutFile(t *testing.T) {
	r := New()
	r.Add(finding.Finding{Rule: "rbac/cluster-admin-binding", Severity: finding.SeverityHigh,
		Object: finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "system:ops"}, Message: "m", Remediation: "r"})
	r.Add(finding.Finding{Rule: "pod-security/privileged", Severity: finding.SeverityCritical,
		Object: finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "web 1"}, Message: "m"})
	r.Add(finding.Finding{Rule: "x/no-object", Severity: finding.SeverityLow, Message: "m"})
	doc := parseSARIF(t, writeSARIFChecked(t, r, Options{}))
	want := []sarifLocation{
		{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: "kubernetes/ClusterRoleBinding/system:ops"}, Region: sarifRegion{1}},
			LogicalLocations: []sarifLogical{{Name: "system:ops", FullyQualifiedName: "ClusterRoleBinding/system:ops", Kind: "resource"}}},
		{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: "kubernetes/Pod/shop/web%201"}, Region: sarifRegion{1}},
			LogicalLocations: []sarifLogical{{Name: "web 1", FullyQualifiedName: "Pod/shop/web 1", Kind: "resource"}}},
		{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: "kubernetes"}, Region: sarifRegion{1}}},
	}
	var got []sarifLocation
	for _, res := range doc.Runs[0].Results {
		if len(res.Locations) != 1 {
			t.Fatalf("%s: %d locations, want 1", res.RuleID, len(res.Locations))
		}
		got = append(got, res.Locations[0])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("locations (-want +got):\n%s", diff)
	}
}

// TestSARIFArtifactURI: files under the root are relative, percent-encoded
// references; others are absolute file URIs; stdin is STDIN.
func TestSARIFArtifactURI(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix paths")
	}
	rel := func(uri string) sarifArtifact { return sarifArtifact{URI: uri, URIBaseID: srcRoot} }
	abs := func(uri string) sarifArtifact { return sarifArtifact{URI: uri} }
	for _, tc := range []struct {
		name, root, cwd, file string
		want                  sarifArtifact
	}{
		{"relative", "", "/work/repo", "deploy/web.yaml", rel("deploy/web.yaml")},
		{"dot slash", "", "/work/repo", "./deploy/../deploy/web.yaml", rel("deploy/web.yaml")},
		{"absolute under cwd", "", "/work/repo", "/work/repo/deploy/web.yaml", rel("deploy/web.yaml")},
		{"absolute outside", "", "/work/repo", "/etc/kubernetes/manifests/kube-apiserver.yaml", abs("file:///etc/kubernetes/manifests/kube-apiserver.yaml")},
		{"climbing out", "", "/work/repo", "../other/x.yaml", abs("file:///work/other/x.yaml")},
		{"root prefix is not a parent", "", "/work/repo", "/work/repository/x.yaml", abs("file:///work/repository/x.yaml")},
		{"root given", "/work/repo", "/work/repo/charts/web", "templates/deployment.yaml", rel("charts/web/templates/deployment.yaml")},
		{"relative root", "..", "/work/repo/deploy", "web.yaml", rel("deploy/web.yaml")},
		{"file outside given root", "/work/repo/deploy", "/work/repo", "base/x.yaml", abs("file:///work/repo/base/x.yaml")},
		{"directory (kustomize)", "", "/work/repo", "overlays/prod/", rel("overlays/prod")},
		{"the root itself", "", "/work/repo", ".", rel(".")},
		{"space and unicode", "", "/work/repo", "my manifests/dé.yaml", rel("my%20manifests/d%C3%A9.yaml")},
		{"reserved characters", "", "/work/repo", "a#b/c?d/e%f/g[h].yaml", rel("a%23b/c%3Fd/e%25f/g%5Bh%5D.yaml")},
		{"sub-delims kept", "", "/work/repo", "a+b/c=d/x@y,z;(1)!.yaml", rel("a+b/c=d/x@y,z;(1)!.yaml")},
		{"colon in first segment", "", "/work/repo", "c:d/x.yaml", rel("c%3Ad/x.yaml")},
		{"colon later", "", "/work/repo", "d/c:d.yaml", rel("d/c:d.yaml")},
		{"colon in absolute", "", "/work/repo", "/tmp/a:b c.yaml", abs("file:///tmp/a:b%20c.yaml")},
		{"stdin", "", "/work/repo", "STDIN", abs("STDIN")},
		{"stdin dash", "/work/repo", "/tmp", "-", abs("STDIN")},
		{"unknown cwd, relative", "", "", "deploy/web.yaml", rel("deploy/web.yaml")},
		{"unknown cwd, absolute", "", "", "/work/repo/x.yaml", abs("file:///work/repo/x.yaml")},
		{"unknown cwd, absolute root", "/work/repo", "", "/work/repo/x.yaml", rel("x.yaml")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := resolverFor(tc.root, tc.cwd).artifact(tc.file)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("artifact(%q) root %q cwd %q (-want +got):\n%s", tc.file, tc.root, tc.cwd, diff)
			}
			if _, err := url.Parse(got.URI); err != nil {
				t.Errorf("%q is not a URI reference: %v", got.URI, err)
			}
			if got.URIBaseID != "" {
				// Percent-decoding the reference gives the path back.
				p, err := url.PathUnescape(got.URI)
				f := filepath.ToSlash(filepath.Clean(tc.file))
				if err != nil || !strings.HasSuffix(p, f) && !strings.HasSuffix(f, p) {
					t.Errorf("%q does not decode to a suffix of %q (%q, %v)", got.URI, tc.file, p, err)
				}
			}
		})
	}
}

// TestSARIFRootOption: Options.SARIFRoot reaches the artifact URIs of
// results and notifications.
func TestSARIFRootOption(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix paths")
	}
	pinWorkingDirectory(t, "/work/repo/deploy")
	r := New()
	r.Add(finding.Finding{Rule: "pod-security/privileged", Severity: finding.SeverityCritical, File: "web.yaml", Line: 3, Message: "m",
		Object: finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Name: "p"}})
	r.AddError(InputError{File: "bad.yaml", Line: 2, Message: "e"})
	for _, tc := range []struct{ root, result, notification string }{
		{"", "web.yaml", "bad.yaml"},
		{"/work/repo", "deploy/web.yaml", "deploy/bad.yaml"},
		{"..", "deploy/web.yaml", "deploy/bad.yaml"},
		{"/elsewhere", "file:///work/repo/deploy/web.yaml", "file:///work/repo/deploy/bad.yaml"},
	} {
		doc := parseSARIF(t, writeSARIFChecked(t, r, Options{SARIFRoot: tc.root}))
		run := doc.Runs[0]
		if got := run.Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; got != tc.result {
			t.Errorf("root %q: result URI %q, want %q", tc.root, got, tc.result)
		}
		if got := run.Invocations[0].Notifications[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; got != tc.notification {
			t.Errorf("root %q: notification URI %q, want %q", tc.root, got, tc.notification)
		}
	}
}

// TestSARIFNotifications: input errors fail the invocation; warnings and
// skipped files are notifications that do not; each has its location.
func TestSARIFNotifications(t *testing.T) {
	type note struct{ ID, Level, Message, URI string }
	notes := func(r *Report) (bool, []note) {
		doc := parseSARIF(t, writeSARIFChecked(t, r, Options{}))
		inv := doc.Runs[0].Invocations[0]
		var got []note
		for _, n := range inv.Notifications {
			nt := note{ID: n.Descriptor.ID, Level: n.Level, Message: n.Message.Text}
			if len(n.Locations) > 0 {
				nt.URI = n.Locations[0].PhysicalLocation.ArtifactLocation.URI
			}
			got = append(got, nt)
		}
		return inv.ExecutionSuccessful, got
	}
	r := New()
	r.AddWarning(InputError{File: "STDIN", Line: 2, Message: `duplicate key "image"`})
	r.AddSkipped(Skipped{File: "chart/values.yaml", Reason: "not a Kubernetes manifest"})
	ok, got := notes(r)
	want := []note{
		{"input/warning", "warning", `duplicate key "image"`, "STDIN"},
		{"input/skipped", "note", "skipped: not a Kubernetes manifest", "chart/values.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" || !ok {
		t.Errorf("warnings and skips: executionSuccessful %v, notifications (-want +got):\n%s", ok, diff)
	}
	r.AddError(InputError{File: "bad.yaml", Line: 3, Message: "missing apiVersion"})
	r.AddError(InputError{Message: "reading the cluster: forbidden"})
	ok, got = notes(r)
	want = append([]note{
		{"input/error", "error", "missing apiVersion", "bad.yaml"},
		{"input/error", "error", "reading the cluster: forbidden", ""},
	}, want...)
	if diff := cmp.Diff(want, got); diff != "" || ok {
		t.Errorf("errors: executionSuccessful %v, notifications (-want +got):\n%s", ok, diff)
	}
}

// TestSARIFTruncated: a run of more results than code scanning accepts keeps
// the most severe unsuppressed ones, in input order, and says so.
func TestSARIFTruncated(t *testing.T) {
	old := sarifMaxResults
	sarifMaxResults = 3
	t.Cleanup(func() { sarifMaxResults = old })
	r := New()
	for i, sev := range []finding.Severity{finding.SeverityLow, finding.SeverityCritical, finding.SeverityMedium, finding.SeverityHigh, finding.SeverityCritical, finding.SeverityHigh} {
		r.Add(finding.Finding{Rule: fmt.Sprintf("x/r%d", i), Severity: sev, Message: "m", File: "f.yaml", Line: i + 1,
			Suppressed: i == 4, SuppressionReason: "accepted"})
	}
	doc := parseSARIF(t, writeSARIFChecked(t, r, Options{}))
	var ids []string
	for _, res := range doc.Runs[0].Results {
		ids = append(ids, res.RuleID)
	}
	if want := []string{"x/r1", "x/r3", "x/r5"}; !cmp.Equal(want, ids) {
		t.Errorf("results %v, want %v", ids, want)
	}
	n := doc.Runs[0].Invocations[0].Notifications
	if len(n) != 1 || n[0].Descriptor.ID != "output/truncated" || !strings.HasPrefix(n[0].Message.Text, "3 of 6 results written") {
		t.Errorf("notifications %+v, want one saying 3 of 6 results were written", n)
	}
}

// TestEmptySARIF: a run without findings still has a results array.
func TestEmptySARIF(t *testing.T) {
	data := writeSARIFChecked(t, New(), Options{})
	if !bytes.Contains(data, []byte(`"results": []`)) {
		t.Errorf("no empty results array in:\n%s", data)
	}
}

// TestFingerprintStable: the fingerprint ignores the line, so moving a
// finding within its file keeps its identity in code scanning; stdin keeps
// its identity whether named "-" or "STDIN".
func TestFingerprintStable(t *testing.T) {
	a := testReport().Findings[0]
	b := a
	b.Line += 10
	if Fingerprint(&a) != Fingerprint(&b) {
		t.Error("fingerprint depends on the line")
	}
	b.Path = "spec.template.spec.containers[0].securityContext.runAsNonRoot"
	if Fingerprint(&a) == Fingerprint(&b) {
		t.Error("fingerprint ignores the field path")
	}
	a.File, b = "-", a
	b.File = "STDIN"
	if Fingerprint(&a) != Fingerprint(&b) {
		t.Error("fingerprint of stdin depends on its name")
	}
	// The value itself is part of the contract with code scanning: a change
	// reopens every alert.
	if got, want := Fingerprint(&testReport().Findings[0]), "075ba12f2ff152663cd92d91df288cc3"; got != want {
		t.Errorf("fingerprint %s, want %s", got, want)
	}
}

// BenchmarkWriteSARIF writes 10,000 findings: the log is streamed a result
// at a time, so allocations grow with the results but memory held does not.
func BenchmarkWriteSARIF(b *testing.B) {
	r := New()
	obj := finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop"}
	for i := range 10000 {
		obj.Name = fmt.Sprintf("web-%d", i)
		r.Add(finding.Finding{Rule: "pod-security/runAsNonRoot", Severity: finding.SeverityHigh, Object: obj,
			File: fmt.Sprintf("deploy/web-%d.yaml", i), Line: 12, Path: "spec.template.spec.securityContext.runAsNonRoot",
			Message: "runAsNonRoot != true", Remediation: "set runAsNonRoot: true"})
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, FormatSARIF, r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzArtifactURI: any file name gives a URI reference that parses, whose
// path decodes back to the file's path relative to the root, and that has
// no scheme but file.
func FuzzArtifactURI(f *testing.F) {
	for _, s := range []string{"deploy/web.yaml", "my manifests/dé #1.yaml", "c:d/x.yaml", "a%2Fb", "/etc/x.yaml", "../x", "STDIN", "?#[]", "\x00\xff"} {
		f.Add(s)
	}
	u := resolverFor("/work/repo", "/work/repo")
	f.Fuzz(func(t *testing.T, file string) {
		if file == "" || runtime.GOOS == "windows" {
			return
		}
		a := u.artifact(file)
		ref, err := url.Parse(a.URI)
		if err != nil {
			t.Fatalf("artifact(%q) = %q: %v", file, a.URI, err)
		}
		if ref.Scheme != "" && ref.Scheme != "file" {
			t.Fatalf("artifact(%q) = %q: scheme %q", file, a.URI, ref.Scheme)
		}
		if a.URIBaseID == "" || isStdin(file) {
			return
		}
		rel, err := filepath.Rel("/work/repo", filepath.Join("/work/repo", file))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := url.PathUnescape(a.URI); err != nil || got != filepath.ToSlash(rel) {
			t.Fatalf("artifact(%q) = %q decodes to %q (%v), want %q", file, a.URI, got, err, rel)
		}
	})
}
