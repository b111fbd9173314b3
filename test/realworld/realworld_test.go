// Package realworld_test scans the manifests of well-known open-source
// projects (testdata/<project>/, copied from their repositories; see
// README.md and each project's SOURCE) with `kubeward scan`, in-process,
// and holds kubeward to what real repositories need: no input error that
// Kubernetes itself would not report, every error located at a file and
// line, and Pod Security findings equal to Kubernetes' own decisions.
//
// testdata/summary.txt records one line per project (objects, findings by
// rule family, errors, warnings, skipped); rewrite it with
//
//	go test ./test/realworld -update
package realworld_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kubeward/kubeward/internal/cli"
	"github.com/kubeward/kubeward/internal/manifest"
)

var update = flag.Bool("update", false, "rewrite testdata/summary.txt")

// expectedError is an input error Kubernetes itself reports for a document
// of the corpus (kubectl or the API server rejects it as written), so
// kubeward must report it too.
type expectedError struct {
	file     string // relative to the project's directory
	contains string // a part of the message
	reason   string // why Kubernetes rejects the document
}

// expectErrors lists, per project, the documents Kubernetes would reject.
// Every other input error kubeward reports on the corpus is a false one.
var expectErrors = map[string][]expectedError{
	"rook": {
		{"deploy/examples/sqlitevfs-client.yaml", "namespace", "ClusterRoleBinding sqlitevfs-setup binds a ServiceAccount subject without a namespace: the API server requires subjects[0].namespace in a ClusterRoleBinding"},
	},
	"kyverno-policies": {
		{"pod-security/restricted/require-run-as-nonroot/.chainsaw-test/pod-bad.yaml", `unknown field "spec.securityContext.allowPrivilegeEscalation"`, "allowPrivilegeEscalation is a container field, not a pod one: kubectl apply (strict field validation, its default) rejects the pod"},
		{"pod-security/restricted/require-run-as-nonroot/.kyverno-test/resource.yaml", `unknown field "spec.securityContext.allowPrivilegeEscalation"`, "the same pod as above"},
	},
	"external-dns": {
		{"docs/snippets/exoscale/how-to-test.yaml", "mapping key", "a {{ Elastic-IP-address }} placeholder for the reader to fill in: not YAML kubectl can parse"},
	},
	"kubernetes-examples": {
		{"_archived/volumes/fibre_channel/fc.yaml", "fc.lun", "lun: <ADD LUN ID Here> is a placeholder; the API server wants an integer"},
		{"_archived/volumes/rbd/rbd.yaml", "imageformat", "an RBD StorageClass parameter in a pod volume: kubectl's strict field validation rejects the unknown field"},
		{"_archived/volumes/rbd/rbd.yaml", "imagefeatures", "likewise"},
		{"_archived/volumes/scaleio/pod.yaml", "protectionDoamin", "a misspelt field: kubectl's strict field validation rejects it"},
		{"_archived/volumes/storageos/storageos-pod.yaml", "storageos.pool", "not a field of the StorageOS volume source: kubectl's strict field validation rejects it"},
		{"_archived/volumes/storageos/storageos-pv.yaml", "storageos.secretName", "not a field of the StorageOS persistent volume source: kubectl's strict field validation rejects it"},
	},
}

// scanReport is the part of `kubeward scan --format json` the test reads.
type scanReport struct {
	Findings []struct {
		Rule   string `json:"rule"`
		Object struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Namespace  string `json:"namespace"`
			Name       string `json:"name"`
		} `json:"object"`
		File        string `json:"file"`
		Line        int    `json:"line"`
		PodSecurity *struct {
			Check string `json:"check"`
		} `json:"podSecurity"`
	} `json:"findings"`
	Errors   []inputError `json:"errors"`
	Warnings []inputError `json:"warnings"`
	Skipped  []struct {
		File   string `json:"file"`
		Reason string `json:"reason"`
	} `json:"skipped"`
	Summary struct {
		Objects    int `json:"objects"`
		Findings   int `json:"findings"`
		Suppressed int `json:"suppressed"`
		Errors     int `json:"errors"`
		Warnings   int `json:"warnings"`
		Skipped    int `json:"skipped"`
	} `json:"summary"`
}

type inputError struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// projects lists the corpus: every directory of testdata/ with a SOURCE file.
func projects(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var ps []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join("testdata", e.Name(), "SOURCE")); e.IsDir() && err == nil {
			ps = append(ps, e.Name())
		}
	}
	if len(ps) < 20 {
		t.Fatalf("%d projects in testdata/, want 20 or more", len(ps))
	}
	return ps
}

// scan runs `kubeward scan --format json [extra...] testdata/<project>`
// in-process and decodes the report.
func scan(t *testing.T, project string, extra ...string) (*scanReport, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	args := append(append([]string{"scan", "--format", "json"}, extra...), filepath.Join("testdata", project))
	code := cli.Main(args, cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	if code < 0 || code > 2 {
		t.Fatalf("exit code %d; stderr:\n%s", code, errOut.String())
	}
	var rep scanReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("exit code %d, decoding the JSON report: %v; stderr:\n%s", code, err, errOut.String())
	}
	return &rep, code
}

// TestCorpus scans each project: exit code 2 only for the documents
// Kubernetes itself rejects (expectErrors), every error and every finding
// located at a file and line, and the summary line of each project as
// testdata/summary.txt records it.
func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("scanning the corpus takes a while")
	}
	var lines []string
	for _, p := range projects(t) {
		t.Run(p, func(t *testing.T) {
			rep, code := scan(t, p)
			lines = append(lines, summaryLine(p, rep))
			checkErrors(t, p, rep, code)
			unlocated := map[string]int{}
			for _, f := range rep.Findings {
				if f.File == "" || f.Line <= 0 {
					unlocated[f.Rule]++
				}
			}
			if len(unlocated) > 0 {
				t.Errorf("findings without a file or line, by rule: %v", unlocated)
			}
		})
	}
	golden := filepath.Join("testdata", "summary.txt")
	got := strings.Join(lines, "\n") + "\n"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("summary differs from %s (-want +got); review and rerun with -update:\n%s", golden, diff)
	}
}

// summaryLine is one project's line of testdata/summary.txt.
func summaryLine(p string, rep *scanReport) string {
	families := map[string]int{}
	for _, f := range rep.Findings {
		family, _, _ := strings.Cut(f.Rule, "/")
		families[family]++
	}
	var byFamily []string
	for _, k := range sortedKeys(families) {
		byFamily = append(byFamily, fmt.Sprintf("%s=%d", k, families[k]))
	}
	s := rep.Summary
	return fmt.Sprintf("%s: objects=%d findings=%d [%s] suppressed=%d errors=%d warnings=%d skipped=%d",
		p, s.Objects, s.Findings, strings.Join(byFamily, " "), s.Suppressed, s.Errors, s.Warnings, s.Skipped)
}

// checkErrors holds the project's input errors to expectErrors and reports
// the unexpected ones grouped by cause, with counts and a few examples.
func checkErrors(t *testing.T, p string, rep *scanReport, code int) {
	t.Helper()
	prefix := filepath.ToSlash(filepath.Join("testdata", p)) + "/"
	expected := expectErrors[p]
	seen := make([]bool, len(expected))
	byCause := map[string][]string{}
	unlocated := 0
	for _, e := range rep.Errors {
		if e.File == "" || e.Line <= 0 {
			unlocated++
		}
		file := strings.TrimPrefix(e.File, prefix)
		if m := locatedMessage.FindStringSubmatch(e.Message); e.File == "" && m != nil {
			file = strings.TrimPrefix(m[1], prefix) // the location is only in the message
		}
		matched := false
		for i, x := range expected {
			if file == x.file && strings.Contains(e.Message, x.contains) {
				seen[i], matched = true, true
			}
		}
		if !matched {
			c := classify(e)
			byCause[c] = append(byCause[c], fmt.Sprintf("%s:%d: %s", file, e.Line, strings.ReplaceAll(e.Message, prefix, "")))
		}
	}
	if unlocated > 0 {
		t.Errorf("%d input errors without a file or line", unlocated)
	}
	for i, x := range expected {
		if !seen[i] {
			t.Errorf("expected an input error at %s containing %q (%s); none reported", x.file, x.contains, x.reason)
		}
	}
	if len(byCause) > 0 {
		var b strings.Builder
		total := 0
		for _, c := range sortedKeys(byCause) {
			es := byCause[c]
			total += len(es)
			fmt.Fprintf(&b, "\n  %s: %d", c, len(es))
			for _, e := range es[:min(3, len(es))] {
				fmt.Fprintf(&b, "\n    %s", e)
			}
		}
		t.Errorf("%d input errors Kubernetes would not report (exit code %d), by cause:%s", total, code, b.String())
	} else if code == 2 && len(expected) == 0 {
		t.Errorf("exit code 2 without input errors")
	}
}

// locatedMessage matches a message that starts with its own "file:line: ".
var locatedMessage = regexp.MustCompile(`^(\S+?):(\d+): `)

// causes classify input error messages; the first match wins.
var causes = []struct {
	name string
	re   *regexp.Regexp
}{
	{"generateName (no metadata.name)", regexp.MustCompile(`metadata\.name: required|^\S+/\S*/ is defined twice|^[A-Za-z]+/ is defined twice`)},
	{"duplicate object across files", regexp.MustCompile(`is defined twice`)},
	{"missing namespace", regexp.MustCompile(`metadata\.namespace: required`)},
	{"non-manifest YAML", regexp.MustCompile(`missing apiVersion|missing kind|expected an object with apiVersion and kind`)},
	{"template placeholder", regexp.MustCompile(`mapping key must be a scalar`)},
	{"duplicate key", regexp.MustCompile(`duplicate key`)},
	{"removed API version", regexp.MustCompile(`(?i)no longer served|removed in|deprecated`)},
	{"kustomize patch directive", regexp.MustCompile(`\$patch|\$setElementOrder|\$retainKeys|\$deleteFromPrimitiveList`)},
	{"unknown field", regexp.MustCompile(`unknown field`)},
	{"RBAC subject", regexp.MustCompile(`subjects\[\d+\]`)},
	{"wrong value type", regexp.MustCompile(`expected an? \w+, found`)},
}

func classify(e inputError) string {
	name := "other"
	for _, c := range causes {
		if c.re.MatchString(e.Message) {
			name = c.name
			break
		}
	}
	if e.File == "" {
		name += ", without location"
	}
	return name
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestCorpusPodSecurity compares, for every workload of the corpus that is
// defined once, the Pod Security checks kubeward reports (restricted,
// latest) with those Kubernetes' own implementation fails, and fails on
// workloads of a kind Pod Security applies to that kubeward neither
// evaluated nor reported (for example a DaemonSet of a removed API version).
func TestCorpusPodSecurity(t *testing.T) {
	if testing.Short() {
		t.Skip("scanning the corpus takes a while")
	}
	for _, p := range projects(t) {
		t.Run(p, func(t *testing.T) {
			rep, _ := scan(t, p, "--rules", "pod-security")
			got := map[string][]string{} // object key -> check IDs
			for _, f := range rep.Findings {
				if f.PodSecurity == nil {
					continue
				}
				k := objectKey(f.File, f.Object.Kind, f.Object.Name)
				if !slices.Contains(got[k], f.PodSecurity.Check) {
					got[k] = append(got[k], f.PodSecurity.Check)
				}
			}
			reported := map[string]bool{}
			for _, e := range append(slices.Clone(rep.Errors), rep.Warnings...) {
				reported[e.File] = true
			}
			type workload struct {
				key, id   string
				meta      *metav1.ObjectMeta
				spec      *corev1.PodSpec
				removedAt string // apiVersion of a workload kind scan does not evaluate (extensions/v1beta1 ...)
			}
			var ws []workload
			last := map[string]int{} // kind/namespace/name -> index in ws of its last definition
			defined := map[string]int{}
			err := (&manifest.Reader{Workers: 1}).Read([]string{filepath.Join("testdata", p)}, func(o *manifest.Object) error {
				id := o.Kind + "/" + o.Namespace + "/" + o.Name
				defined[id]++
				meta, spec := podOf(o)
				w := workload{key: objectKey(o.File, o.Kind, o.Name), id: id, meta: meta, spec: spec}
				gv := o.Object.GetObjectKind().GroupVersionKind()
				if spec == nil && podKinds[o.Kind] && builtinGroups[gv.Group] && gv.Version != "v1" {
					w.removedAt = o.APIVersion
				}
				if spec != nil || w.removedAt != "" {
					last[id] = len(ws)
					ws = append(ws, w)
				}
				return nil
			}, func(*manifest.Error) {})
			if err != nil {
				t.Fatal(err)
			}
			var diffs []string
			compared := 0
			for i, w := range ws {
				if last[w.id] != i || defined[w.id] > 1 && strings.HasSuffix(w.id, "/") {
					// Defined twice: scan evaluates the last definition. Several
					// objects with generateName only: not told apart yet.
					continue
				}
				if w.removedAt != "" {
					file, _, _ := strings.Cut(w.key, "|")
					if len(got[w.key]) == 0 && !reported[file] {
						diffs = append(diffs, fmt.Sprintf("%s (%s): not evaluated, nothing reported", w.key, w.removedAt))
					}
					continue
				}
				compared++
				want := oracle(w.meta, w.spec, strings.HasPrefix(w.id, "Pod/"))
				have := slices.Clone(got[w.key])
				slices.Sort(have)
				if !slices.Equal(have, want) {
					diffs = append(diffs, fmt.Sprintf("%s: kubeward %v, Kubernetes %v", w.key, have, want))
				}
			}
			t.Logf("%d workloads compared with Kubernetes' Pod Security", compared)
			for _, d := range diffs {
				t.Error(d)
			}
		})
	}
}

// podKinds are the kinds Pod Security evaluates (workloads on their template).
var podKinds = map[string]bool{"Pod": true, "Deployment": true, "ReplicaSet": true, "StatefulSet": true, "DaemonSet": true, "Job": true, "CronJob": true, "ReplicationController": true, "PodTemplate": true}

// builtinGroups are the API groups of those kinds, past and present.
var builtinGroups = map[string]bool{"": true, "apps": true, "extensions": true, "batch": true}

func objectKey(file, kind, name string) string {
	return filepath.ToSlash(file) + "|" + kind + "/" + name
}

// podOf returns the pod metadata and spec Kubernetes evaluates for o, or nil.
func podOf(o *manifest.Object) (*metav1.ObjectMeta, *corev1.PodSpec) {
	switch obj := o.Object.(type) {
	case *corev1.Pod:
		return &obj.ObjectMeta, &obj.Spec
	case *corev1.PodTemplate:
		return &obj.Template.ObjectMeta, &obj.Template.Spec
	case *corev1.ReplicationController:
		if obj.Spec.Template != nil {
			return &obj.Spec.Template.ObjectMeta, &obj.Spec.Template.Spec
		}
	case *appsv1.Deployment:
		return &obj.Spec.Template.ObjectMeta, &obj.Spec.Template.Spec
	case *appsv1.ReplicaSet:
		return &obj.Spec.Template.ObjectMeta, &obj.Spec.Template.Spec
	case *appsv1.StatefulSet:
		return &obj.Spec.Template.ObjectMeta, &obj.Spec.Template.Spec
	case *appsv1.DaemonSet:
		return &obj.Spec.Template.ObjectMeta, &obj.Spec.Template.Spec
	case *batchv1.Job:
		return &obj.Spec.Template.ObjectMeta, &obj.Spec.Template.Spec
	case *batchv1.CronJob:
		return &obj.Spec.JobTemplate.Spec.Template.ObjectMeta, &obj.Spec.JobTemplate.Spec.Template.Spec
	}
	return nil, nil
}

var oracleChecks = policy.DefaultChecks()

// oracle returns the sorted IDs of the checks Kubernetes' Pod Security
// fails for the pod at restricted:latest (baseline checks overridden by a
// restricted one left out, as its evaluator does).
//
// Admission sees the object after the API server's defaulting, which turns
// a volume with no source into an emptyDir and, for Pods only (templates
// have not been defaulted so since v1.28), with hostNetwork sets each
// port's hostPort to its containerPort; the oracle defaults the same way.
func oracle(meta *metav1.ObjectMeta, spec *corev1.PodSpec, isPod bool) []string {
	spec = spec.DeepCopy()
	for i := range spec.Volumes {
		if spec.Volumes[i].VolumeSource == (corev1.VolumeSource{}) {
			spec.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
	if spec.HostNetwork && isPod {
		for _, cs := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
			for i := range cs {
				for j := range cs[i].Ports {
					if cs[i].Ports[j].HostPort == 0 {
						cs[i].Ports[j].HostPort = cs[i].Ports[j].ContainerPort
					}
				}
			}
		}
	}
	latest := psaapi.LatestVersion()
	type active struct {
		id string
		fn policy.CheckPodFn
	}
	var checks []active
	overridden := map[policy.CheckID]bool{}
	for _, c := range oracleChecks {
		var in *policy.VersionedCheck
		for i := range c.Versions {
			if !latest.Older(c.Versions[i].MinimumVersion) {
				in = &c.Versions[i]
			}
		}
		if in == nil {
			continue
		}
		for _, o := range in.OverrideCheckIDs {
			overridden[o] = true
		}
		checks = append(checks, active{string(c.ID), in.CheckPod})
	}
	var ids []string
	for _, c := range checks {
		if overridden[policy.CheckID(c.id)] {
			continue
		}
		if r := c.fn(meta, spec); !r.Allowed {
			ids = append(ids, c.id)
		}
	}
	slices.Sort(ids)
	return ids
}
