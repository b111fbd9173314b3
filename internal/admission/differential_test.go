package admission

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	psadmission "k8s.io/pod-security-admission/admission"
	psadmissionapi "k8s.io/pod-security-admission/admission/api"
	psapi "k8s.io/pod-security-admission/api"
	psmetrics "k8s.io/pod-security-admission/metrics"
	"k8s.io/pod-security-admission/policy"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

var (
	diffCases = flag.Int("diff.cases", 20000, "number of random cases in TestDifferential")
	diffSeed  = flag.Uint64("diff.seed", 20261126, "seed of TestDifferential")
)

// The oracle is Kubernetes' own PodSecurity admission, used in tests only.

var oracleEvaluator = func() policy.Evaluator {
	e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		panic(err)
	}
	return e
}()

// world is the cluster state both implementations see.
type world struct {
	namespaces map[string]*corev1.Namespace // absent: the lookup fails
	pods       map[string][]*corev1.Pod
}

func (w *world) lookup(name string) (*corev1.Namespace, error) {
	if ns, ok := w.namespaces[name]; ok {
		return ns, nil
	}
	return nil, fmt.Errorf("namespaces %q not found", name)
}

func (w *world) labels(name string) map[string]string {
	if ns := w.namespaces[name]; ns != nil {
		return ns.Labels
	}
	return nil
}

// Both listers return a fresh slice: Kubernetes reorders it in place.
func (w *world) list(ns string) ([]*corev1.Pod, error) {
	if ns == "unlistable" {
		return nil, fmt.Errorf("connection refused")
	}
	return slices.Clone(w.pods[ns]), nil
}

type ourNamespaces struct{ w *world }

func (o ourNamespaces) Get(_ context.Context, name string) (*corev1.Namespace, error) {
	return o.w.lookup(name)
}

type ourPods struct{ w *world }

func (o ourPods) ListPods(_ context.Context, ns string) ([]*corev1.Pod, error) { return o.w.list(ns) }

type oracleNamespaces struct{ w *world }

func (o oracleNamespaces) GetNamespace(_ context.Context, name string) (*corev1.Namespace, error) {
	return o.w.lookup(name)
}

type oraclePods struct{ w *world }

func (o oraclePods) ListPods(_ context.Context, ns string) ([]*corev1.Pod, error) {
	return o.w.list(ns)
}

// events records metric events of either implementation in one form.
type events struct{ list []string }

func (e *events) RecordEvaluation(d Decision, lv podsecurity.LevelVersion, m Mode, req *Request) {
	e.list = append(e.list, fmt.Sprintf("eval %s %s %s %s %s %q", d, lvString(lv), m, OperationLabel(req.Operation), ResourceLabel(req.Resource), req.SubResource))
}
func (e *events) RecordExemption(req *Request) {
	e.list = append(e.list, fmt.Sprintf("exempt %s %s %q", OperationLabel(req.Operation), ResourceLabel(req.Resource), req.SubResource))
}
func (e *events) RecordError(fatal bool, req *Request) {
	e.list = append(e.list, fmt.Sprintf("error %t %s %s %q", fatal, OperationLabel(req.Operation), ResourceLabel(req.Resource), req.SubResource))
}
func (e *events) RecordNarrowExemption(name string, _ *Request) {
	e.list = append(e.list, "narrow "+name)
}

type oracleEvents struct{ list []string }

func oracleResource(r schema.GroupVersionResource) string {
	return ResourceLabel(r) // same mapping; checked in TestEvaluationLabelsMatchKubernetes
}

func (e *oracleEvents) RecordEvaluation(d psmetrics.Decision, lv psapi.LevelVersion, m psmetrics.Mode, a psapi.Attributes) {
	e.list = append(e.list, fmt.Sprintf("eval %s %s %s %s %s %q", d, lv.String(), m, strings.ToLower(string(a.GetOperation())), oracleResource(a.GetResource()), a.GetSubresource()))
}
func (e *oracleEvents) RecordExemption(a psapi.Attributes) {
	e.list = append(e.list, fmt.Sprintf("exempt %s %s %q", strings.ToLower(string(a.GetOperation())), oracleResource(a.GetResource()), a.GetSubresource()))
}
func (e *oracleEvents) RecordError(fatal bool, a psapi.Attributes) {
	e.list = append(e.list, fmt.Sprintf("error %t %s %s %q", fatal, strings.ToLower(string(a.GetOperation())), oracleResource(a.GetResource()), a.GetSubresource()))
}

// toOracleConfig converts a configuration to Kubernetes' internal type.
func toOracleConfig(c *PodSecurityConfiguration) *psadmissionapi.PodSecurityConfiguration {
	return &psadmissionapi.PodSecurityConfiguration{
		Defaults: psadmissionapi.PodSecurityDefaults(c.Defaults),
		Exemptions: psadmissionapi.PodSecurityExemptions{
			Usernames: c.Exemptions.Usernames, Namespaces: c.Exemptions.Namespaces, RuntimeClasses: c.Exemptions.RuntimeClasses,
		},
	}
}

func newOracle(t testing.TB, c *PodSecurityConfiguration, w *world, rec psmetrics.Recorder) *psadmission.Admission {
	t.Helper()
	a := &psadmission.Admission{
		Configuration:    toOracleConfig(c),
		Evaluator:        oracleEvaluator,
		Metrics:          rec,
		PodSpecExtractor: psadmission.DefaultPodSpecExtractor{},
		NamespaceGetter:  oracleNamespaces{w},
		PodLister:        oraclePods{w},
	}
	if err := a.CompleteConfiguration(); err != nil {
		t.Fatal(err)
	}
	if err := a.ValidateConfiguration(); err != nil {
		t.Fatal(err)
	}
	return a
}

func newOurs(t testing.TB, c *PodSecurityConfiguration, w *world, rec Recorder) *Admission {
	t.Helper()
	a, err := New(Options{Config: c, Namespaces: ourNamespaces{w}, Pods: ourPods{w}, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// erroringAttrs returns the request's decode errors, as Kubernetes'
// webhook attributes do when an object fails to decode.
type erroringAttrs struct {
	*psapi.AttributesRecord
	objErr, oldErr error
}

func (a erroringAttrs) GetObject() (runtime.Object, error) {
	if a.objErr != nil {
		return nil, a.objErr
	}
	return a.AttributesRecord.GetObject()
}

func (a erroringAttrs) GetOldObject() (runtime.Object, error) {
	if a.oldErr != nil {
		return nil, a.oldErr
	}
	return a.AttributesRecord.GetOldObject()
}

func oracleAttributes(req *Request) psapi.Attributes {
	if req.ObjectErr != nil || req.OldObjectErr != nil {
		return erroringAttrs{oracleAttrs(req), req.ObjectErr, req.OldObjectErr}
	}
	return oracleAttrs(req)
}

func oracleAttrs(req *Request) *psapi.AttributesRecord {
	return &psapi.AttributesRecord{
		Name: req.Name, Namespace: req.Namespace, Kind: req.Kind, Resource: req.Resource,
		Subresource: req.SubResource, Operation: admissionv1.Operation(req.Operation),
		Object: req.Object, OldObject: req.OldObject, Username: req.Username,
	}
}

// outcome is a decision in a form both implementations map to; empty
// warnings and annotations are nil, as they are on the wire (omitempty).
type outcome struct {
	Allowed     bool
	Result      *metav1.Status
	Warnings    []string
	Annotations map[string]string
	Events      []string
}

func ourOutcome(r *Response, ev []string) outcome {
	o := outcome{Allowed: r.Allowed, Result: r.Result, Events: ev}
	if len(r.Warnings) > 0 {
		o.Warnings = r.Warnings
	}
	if len(r.AuditAnnotations) > 0 {
		o.Annotations = r.AuditAnnotations
	}
	return o
}

func oracleOutcome(r *admissionv1.AdmissionResponse, ev []string) outcome {
	o := outcome{Allowed: r.Allowed, Result: r.Result, Events: ev}
	if len(r.Warnings) > 0 {
		o.Warnings = r.Warnings
	}
	if len(r.AuditAnnotations) > 0 {
		o.Annotations = r.AuditAnnotations
	}
	return o
}

// diffCase is one random request in a random world and configuration.
type diffCase struct {
	category string
	cfg      *PodSecurityConfiguration
	w        *world
	req      *Request
	expired  bool // run with an already expired context
}

var (
	podsGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	podGVK  = schema.GroupVersionKind{Version: "v1", Kind: "Pod"}
	nsGVR   = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	nsGVK   = schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}
)

func (g *gen) config() *PodSecurityConfiguration {
	c := DefaultConfig()
	if g.chance(0.6) {
		d := &c.Defaults
		d.Enforce, d.Audit, d.Warn = g.validLevel(), g.validLevel(), g.validLevel()
		d.EnforceVersion, d.AuditVersion, d.WarnVersion = g.validVersion(), g.validVersion(), g.validVersion()
	}
	if g.chance(0.5) {
		c.Exemptions.Usernames = []string{"alice"}
	}
	if g.chance(0.5) {
		c.Exemptions.Namespaces = []string{"exempt"}
	}
	if g.chance(0.5) {
		c.Exemptions.RuntimeClasses = []string{"kata"}
	}
	return c
}

func (g *gen) diffCase() diffCase {
	c := diffCase{cfg: g.config(), w: &world{namespaces: map[string]*corev1.Namespace{}, pods: map[string][]*corev1.Pod{}}}
	rcs := []string{"kata", "gvisor"}
	for _, name := range []string{"app", "exempt", "unlistable"} {
		c.w.namespaces[name] = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: g.labels()}}
	}
	ns := g.pick("app", "app", "app", "app", "exempt", "missing", "unlistable")
	user := g.pick("bob", "bob", "alice", "system:serviceaccount:kube-system:replicaset-controller", "")
	req := &Request{UID: "u", Namespace: ns, Username: user, Operation: "CREATE"}
	c.req = req

	switch k := g.r.IntN(20); {
	case k < 6: // pod create
		c.category = "pod create"
		p := g.pod(ns, g.pick("p1", "p2", ""), rcs)
		req.Name, req.Kind, req.Resource, req.Object = p.Name, podGVK, podsGVR, p
	case k < 9: // pod update
		p := g.pod(ns, "p1", rcs)
		old := p.DeepCopy()
		switch g.r.IntN(7) {
		case 5:
			c.category = "pod update (ephemeral image)"
			if len(p.Spec.EphemeralContainers) == 0 {
				p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon(restrictedContainer("dbg", "busybox"))}}
				old.Spec.EphemeralContainers = slices.Clone(p.Spec.EphemeralContainers)
			}
			old.Spec.EphemeralContainers[0].Image = "old:0"
		case 6:
			c.category = "pod update (insignificant)"
			dbg := corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon(restrictedContainer("dbg2", "busybox"))}
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, dbg)
			old.Spec.EphemeralContainers = append([]corev1.EphemeralContainer{dbg}, old.Spec.EphemeralContainers...) // same set, other order
			old.Spec.ActiveDeadlineSeconds = ptr.To(int64(9))
		case 0:
			c.category = "pod update (insignificant)"
			old.Labels = map[string]string{"v": "1"}
			old.Annotations = nil
		case 1:
			c.category = "pod update (insignificant)"
			old.Spec.ActiveDeadlineSeconds = ptr.To(int64(5))
		case 2:
			c.category = "pod update (image)"
			old.Spec.Containers[0].Image = "old:1"
		case 3:
			c.category = "pod update (containers)"
			old.Spec.Containers = append(old.Spec.Containers, restrictedContainer("extra", "x"))
		case 4:
			c.category = "pod update (ephemeral)"
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon(restrictedContainer("dbg2", "busybox"))})
		}
		req.Operation, req.Name, req.Kind, req.Resource, req.Object, req.OldObject = "UPDATE", p.Name, podGVK, podsGVR, p, old
	case k < 11: // pods/ephemeralcontainers
		c.category = "pods/ephemeralcontainers"
		old := g.pod(ns, "p1", rcs)
		p := old.DeepCopy()
		_, spec := g.podSpec(nil)
		ec := corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon(spec.Containers[0])}
		ec.Name = "debugger"
		p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, ec)
		if g.chance(0.2) {
			old = p.DeepCopy() // resubmitted unchanged: insignificant
		}
		req.Operation, req.Name, req.Kind, req.Resource, req.SubResource, req.Object, req.OldObject = "UPDATE", p.Name, podGVK, podsGVR, "ephemeralcontainers", p, old
	case k < 12: // other pod subresources and operations
		p := g.pod(ns, "p1", rcs)
		req.Name, req.Kind, req.Resource, req.Object = p.Name, podGVK, podsGVR, p
		switch g.r.IntN(4) {
		case 0:
			c.category = "pod subresource"
			req.Operation, req.SubResource, req.OldObject = "UPDATE", g.pick("status", "exec", "binding", "eviction", "log", "proxy"), p
		case 1:
			c.category = "pod subresource (evaluated)"
			old := p.DeepCopy()
			old.Spec.Containers[0].Image = "old"
			req.Operation, req.SubResource, req.OldObject = "UPDATE", g.pick("resize", "future"), old
		case 2:
			c.category = "pod delete"
			req.Operation, req.Object = "DELETE", nil
		case 3:
			c.category = "pod wrong object"
			req.Object = &corev1.Namespace{}
		}
	case k < 16: // workloads
		obj, gvr, gvk := g.workload(ns, g.pick("web", "api"), rcs)
		req.Name, req.Kind, req.Resource, req.Object = "web", gvk, gvr, obj
		c.category = "workload create"
		if g.chance(0.3) {
			c.category = "workload update"
			old, _, _ := g.workload(ns, "web", rcs)
			req.Operation, req.OldObject = "UPDATE", old
		}
		if g.chance(0.1) {
			c.category = "workload subresource"
			req.Operation, req.SubResource = "UPDATE", g.pick("status", "scale")
		}
	default: // namespaces
		name := g.pick("app", "exempt", "new")
		req.Name, req.Kind, req.Resource = name, nsGVK, nsGVR
		req.Namespace = name
		if g.chance(0.2) {
			req.Namespace = ""
		}
		newNS := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: g.labels()}}
		req.Object = newNS
		if g.chance(0.25) {
			c.category = "namespace create"
			break
		}
		c.category = "namespace update"
		req.Operation = "UPDATE"
		oldNS := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: g.labels()}}
		if g.chance(0.3) { // keep invalid labels, change something else
			oldNS.Labels = newNS.Labels
		}
		req.OldObject = oldNS
		if g.chance(0.1) {
			name = "unlistable"
			req.Name, req.Namespace, newNS.Name, oldNS.Name = name, name, name, name
		}
		if g.chance(0.05) {
			req.SubResource = "finalize"
		}
		for i := range g.r.IntN(12) {
			c.w.pods[name] = append(c.w.pods[name], g.pod(name, fmt.Sprintf("pod-%c", 'a'+g.r.IntN(26)-i%2), rcs))
		}
		c.expired = g.chance(0.05)
	}
	if g.chance(0.03) {
		req.Operation = g.pick("DELETE", "CONNECT")
	}
	if g.chance(0.03) {
		c.category += " (decode error)"
		if g.chance(0.5) {
			req.Object, req.ObjectErr = nil, fmt.Errorf("json: cannot unmarshal string into Go struct field")
		} else if req.OldObject != nil {
			req.OldObject, req.OldObjectErr = nil, fmt.Errorf("unexpected EOF")
		}
	}
	return c
}

// run decides c with both implementations.
func (c *diffCase) run(t testing.TB) (ours, theirs outcome) {
	ctx := context.Background()
	if c.expired {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Now().Add(-time.Second))
		defer cancel()
	}
	var ev events
	var oev oracleEvents
	ourResp := newOurs(t, c.cfg, c.w, &ev).Validate(ctx, c.req)
	theirResp := newOracle(t, c.cfg, c.w, &oev).Validate(ctx, oracleAttributes(c.req))
	return ourOutcome(ourResp, ev.list), oracleOutcome(theirResp, oev.list)
}

// TestDifferential compares every decision with Kubernetes' PodSecurity
// admission on random requests: Allowed, Result, Warnings, audit
// annotations and metric events must be identical.
func TestDifferential(t *testing.T) {
	g := newGen(*diffSeed)
	counts := map[string]int{}
	outcomes := map[string]int{}
	denied, warned, annotated, mismatches := 0, 0, 0, 0
	for i := range *diffCases {
		c := g.diffCase()
		ours, theirs := c.run(t)
		counts[c.category]++
		if !theirs.Allowed {
			denied++
			outcomes[fmt.Sprintf("result %d %s", theirs.Result.Code, theirs.Result.Reason)]++
		}
		if len(theirs.Warnings) > 0 {
			warned++
			w := theirs.Warnings[0]
			if i := strings.IndexAny(w, `":`); i > 0 {
				w = w[:i]
			}
			outcomes["warning: "+w]++
		}
		if len(theirs.Annotations) > 0 {
			annotated++
			for k, v := range theirs.Annotations {
				if k == AnnotationExempt {
					k += "=" + v
				}
				if k == AnnotationError {
					k += ": " + v[:min(len(v), 20)]
				}
				outcomes["annotation "+k]++
			}
		}
		if !c.expired && c.req.Resource == nsGVR {
			// Without workloads and within Kubernetes' limits, the full
			// dry-run gives Kubernetes' answer too.
			a, err := New(Options{Config: c.cfg, Namespaces: ourNamespaces{c.w}, Pods: ourPods{c.w}, Workloads: workloads{}, FullNamespaceDryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(theirs, ourOutcome(a.Validate(context.Background(), c.req), theirs.Events)); d != "" {
				t.Errorf("case %d: full dry-run (-kubernetes +kubeward):\n%s", i, d)
			}
		}
		if d := cmp.Diff(theirs, ours); d != "" {
			mismatches++
			if mismatches <= 10 {
				t.Errorf("case %d (%s, %s %s %s/%s, labels %v): (-kubernetes +kubeward):\n%s", i, c.category, c.req.Operation,
					c.req.Resource.Resource, c.req.Namespace, c.req.Name, c.w.labels(c.req.Namespace), d)
			}
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Logf("%-30s %5d", k, counts[k])
	}
	keys = keys[:0]
	for k := range outcomes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Logf("%-60s %5d", k, outcomes[k])
	}
	t.Logf("%d cases: %d denied, %d with warnings, %d with audit annotations; %d mismatches", *diffCases, denied, warned, annotated, mismatches)
}

// TestDifferentialNamespaceLimits checks the dry-run's pod limit, time budget
// and per-controller prioritization against Kubernetes on a large namespace.
func TestDifferentialNamespaceLimits(t *testing.T) {
	g := newGen(7)
	w := &world{namespaces: map[string]*corev1.Namespace{}, pods: map[string][]*corev1.Pod{}}
	for i := range DefaultNamespaceMaxPodsToCheck + 40 {
		p := g.pod("big", fmt.Sprintf("pod-%05d", i), nil)
		if i%500 == 0 {
			p.Spec.RuntimeClassName = ptr.To("kata")
		}
		if i%3 == 0 {
			p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "rs", UID: types.UID(fmt.Sprintf("rs-%d", i%7)), Controller: ptr.To(true)}}
		}
		w.pods["big"] = append(w.pods["big"], p)
	}
	cfg := DefaultConfig()
	cfg.Exemptions.RuntimeClasses = []string{"kata"}
	for _, expired := range []bool{false, true} {
		t.Run(fmt.Sprintf("expired=%t", expired), func(t *testing.T) {
			c := diffCase{cfg: cfg, w: w, expired: expired, req: &Request{
				Name: "big", Namespace: "big", Kind: nsGVK, Resource: nsGVR, Operation: "UPDATE",
				Object:    &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "big", Labels: map[string]string{EnforceLevelLabel: "restricted"}}},
				OldObject: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "big"}},
			}}
			ours, theirs := c.run(t)
			if d := cmp.Diff(theirs, ours); d != "" {
				t.Errorf("(-kubernetes +kubeward):\n%s", d)
			}
			if len(ours.Warnings) < 1 || !strings.HasPrefix(ours.Warnings[0], "new PodSecurity enforce level only checked against the first") {
				t.Errorf("warnings do not report the limit: %q", ours.Warnings)
			}
		})
	}
}

// nopOracleRecorder records nothing, for benchmarks.
type nopOracleRecorder struct{}

func (*nopOracleRecorder) RecordEvaluation(psmetrics.Decision, psapi.LevelVersion, psmetrics.Mode, psapi.Attributes) {
}
func (*nopOracleRecorder) RecordExemption(psapi.Attributes)   {}
func (*nopOracleRecorder) RecordError(bool, psapi.Attributes) {}

// TestValidateConcurrent decides the same random requests from several
// goroutines on one Admission (run with -race) and requires the sequential
// answers.
func TestValidateConcurrent(t *testing.T) {
	g := newGen(99)
	w := &world{namespaces: map[string]*corev1.Namespace{
		"app": {ObjectMeta: metav1.ObjectMeta{Name: "app", Labels: map[string]string{EnforceLevelLabel: "baseline", WarnLevelLabel: "restricted", AuditLevelLabel: "restricted"}}},
		"mon": {ObjectMeta: metav1.ObjectMeta{Name: "mon", Labels: map[string]string{EnforceLevelLabel: "baseline", AuditLevelLabel: "restricted"}}},
	}, pods: map[string][]*corev1.Pod{}}
	ex, err := ParseExemptions([]byte(exemptionsYAML))
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{Namespaces: ourNamespaces{w}, Pods: ourPods{w}, Exemptions: ex})
	if err != nil {
		t.Fatal(err)
	}
	var reqs []*Request
	for i := range 200 {
		ns := "app"
		if i%2 == 1 {
			ns = "mon" // where the narrow exemptions apply
		}
		p := g.pod(ns, fmt.Sprintf("p%d", i), nil)
		switch i % 6 {
		case 1:
			p.Name = "legacy" // an expired exemption
		case 3:
			p.Labels["pod-template-hash"] = "5d4f8"
			p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-5d4f8", UID: "rs", Controller: ptr.To(true)}}
			p.Spec.Containers = append(p.Spec.Containers, privileged("debug", "busybox"))
		}
		reqs = append(reqs, podCreate(p))
	}
	want := make([]*Response, len(reqs))
	narrowed := 0
	for i, r := range reqs {
		want[i] = a.Validate(context.Background(), r)
		if want[i].AuditAnnotations[AnnotationNarrowExemptions] != "" || want[i].AuditAnnotations[AnnotationExpiredExemptions] != "" {
			narrowed++
		}
	}
	if narrowed == 0 {
		t.Error("no request exercised the narrow exemptions")
	}
	errs := make(chan string, 8)
	for range 4 {
		go func() {
			for i := len(reqs) - 1; i >= 0; i-- {
				if d := cmp.Diff(want[i], a.Validate(context.Background(), reqs[i])); d != "" {
					errs <- d
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if d := <-errs; d != "" {
			t.Errorf("concurrent decision differs:\n%s", d)
		}
	}
}

// TestDifferentialFixtures runs Kubernetes' own Pod Security test pods (every
// pass and fail fixture of every check and version, from the oracle module)
// through both implementations, as pod creates, ephemeral container updates
// and Deployments, in namespaces with random labels.
func TestDifferentialFixtures(t *testing.T) {
	dir := oracleFixtureDir(t)
	seen := map[string]bool{}
	var pods []*corev1.Pod
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if seen[string(data)] {
			return nil
		}
		seen[string(data)] = true
		p := &corev1.Pod{}
		if err := yaml.UnmarshalStrict(data, p); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		pods = append(pods, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) < 300 {
		t.Fatalf("only %d fixture pods under %s", len(pods), dir)
	}
	g := newGen(4242)
	cases, mismatches := 0, 0
	for _, p := range pods {
		for range 8 {
			c := diffCase{cfg: g.config(), w: &world{namespaces: map[string]*corev1.Namespace{
				"app": {ObjectMeta: metav1.ObjectMeta{Name: "app", Labels: g.strictLabels()}},
			}}}
			pod := p.DeepCopy()
			pod.Namespace = "app"
			switch g.r.IntN(3) {
			case 0:
				c.req = podCreate(pod)
			case 1:
				old := pod.DeepCopy()
				old.Spec.EphemeralContainers = nil
				if len(pod.Spec.EphemeralContainers) == 0 {
					pod.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon(restrictedContainer("dbg", "busybox"))}}
				}
				c.req = &Request{Name: pod.Name, Namespace: "app", Operation: "UPDATE", Kind: podGVK, Resource: podsGVR,
					SubResource: "ephemeralcontainers", Object: pod, OldObject: old}
			case 2:
				d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: "app"},
					Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{ObjectMeta: pod.ObjectMeta, Spec: pod.Spec}}}
				c.req = &Request{Name: d.Name, Namespace: "app", Operation: "CREATE", Object: d,
					Kind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, Resource: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}}
			}
			cases++
			ours, theirs := c.run(t)
			if d := cmp.Diff(theirs, ours); d != "" {
				mismatches++
				if mismatches <= 10 {
					t.Errorf("fixture pod %s, labels %v: (-kubernetes +kubeward):\n%s", p.Name, c.w.labels("app"), d)
				}
			}
		}
	}
	t.Logf("%d distinct fixture pods, %d cases, %d mismatches", len(pods), cases, mismatches)
}

// strictLabels returns random labels, half the time with baseline or
// restricted in every mode at any version from v1.0 to v1.38.
func (g *gen) strictLabels() map[string]string {
	if g.chance(0.5) {
		return g.labels()
	}
	l := map[string]string{}
	for _, mode := range []string{"enforce", "audit", "warn"} {
		l[LabelPrefix+mode] = g.pick("baseline", "restricted")
		if g.chance(0.8) {
			l[LabelPrefix+mode+"-version"] = fmt.Sprintf("v1.%d", g.r.IntN(podsecurity.NewestKnownMinor+2))
		}
	}
	return l
}

// oracleFixtureDir finds Kubernetes' Pod Security fixture pods in the module cache.
func oracleFixtureDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/pod-security-admission").Output()
	if err != nil {
		t.Fatalf("locating k8s.io/pod-security-admission: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "test", "testdata")
}
