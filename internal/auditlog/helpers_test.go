package auditlog

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/podsecurity"
)

// ev is a test audit event, encoded as kube-apiserver writes it.
type ev struct {
	Kind                     string            `json:"kind"`
	APIVersion               string            `json:"apiVersion"`
	Level                    string            `json:"level"`
	AuditID                  string            `json:"auditID"`
	Stage                    string            `json:"stage"`
	RequestURI               string            `json:"requestURI"`
	Verb                     string            `json:"verb"`
	User                     UserInfo          `json:"user"`
	ImpersonatedUser         *UserInfo         `json:"impersonatedUser,omitempty"`
	SourceIPs                []string          `json:"sourceIPs"`
	UserAgent                string            `json:"userAgent"`
	ObjectRef                *ObjectRef        `json:"objectRef,omitempty"`
	ResponseStatus           *Status           `json:"responseStatus,omitempty"`
	RequestObject            any               `json:"requestObject,omitempty"`
	ResponseObject           any               `json:"responseObject,omitempty"`
	RequestReceivedTimestamp string            `json:"requestReceivedTimestamp"`
	StageTimestamp           string            `json:"stageTimestamp"`
	Annotations              map[string]string `json:"annotations,omitempty"`
}

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
var idSeq int

// mk builds a ResponseComplete event of user doing verb on
// group/resource[/sub] ns/name, answered with code, at t0+at.
func mk(user, verb, resource, ns, name string, code int, at time.Duration) *ev {
	idSeq++
	group, res, sub := "", resource, ""
	if g, r, ok := cut(resource, ":"); ok {
		group, res = g, r
	}
	if r, s, ok := cut(res, "/"); ok {
		res, sub = r, s
	}
	ts := t0.Add(at).Format("2006-01-02T15:04:05.000000Z")
	e := &ev{
		Kind: "Event", APIVersion: "audit.k8s.io/v1", Level: "Request", AuditID: fmt.Sprintf("id-%04d", idSeq),
		Stage: StageResponseComplete, RequestURI: "/api/v1/" + res, Verb: verb,
		User:      UserInfo{Username: user, Groups: []string{"system:authenticated"}},
		SourceIPs: []string{"10.0.0.7"}, UserAgent: "kubectl/v1.37.2",
		ObjectRef:                &ObjectRef{Resource: res, Subresource: sub, APIGroup: group, APIVersion: "v1", Namespace: ns, Name: name},
		ResponseStatus:           &Status{Code: code},
		RequestReceivedTimestamp: ts, StageTimestamp: ts,
	}
	if code == 403 {
		e.Annotations = map[string]string{"authorization.k8s.io/decision": "forbid"}
	} else {
		e.Annotations = map[string]string{"authorization.k8s.io/decision": "allow"}
	}
	return e
}

func cut(s, sep string) (string, string, bool) { return strings.Cut(s, sep) }

func (e *ev) req(o any) *ev          { e.RequestObject = o; return e }
func (e *ev) resp(o any) *ev         { e.ResponseObject = o; return e }
func (e *ev) stage(s string) *ev     { e.Stage = s; return e }
func (e *ev) id(id string) *ev       { e.AuditID = id; return e }
func (e *ev) ip(ip string) *ev       { e.SourceIPs = []string{ip}; return e }
func (e *ev) groups(g ...string) *ev { e.User.Groups = g; return e }
func (e *ev) uri(u string) *ev       { e.RequestURI = u; e.ObjectRef = nil; return e }
func (e *ev) as(user string, groups ...string) *ev {
	e.ImpersonatedUser = &UserInfo{Username: user, Groups: groups}
	return e
}
func (e *ev) annotate(k, v string) *ev { e.Annotations[k] = v; return e }
func (e *ev) line() []byte             { b, _ := json.Marshal(e); return b }
func (e *ev) decoded(t testing.TB) *Event {
	t.Helper()
	var out Event
	if err := DecodeEvent(e.line(), &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func baseline(t testing.TB) podsecurity.LevelVersion {
	lv, err := podsecurity.ParseLevelVersion("baseline:latest")
	if err != nil {
		t.Fatal(err)
	}
	return lv
}

func newTestAnalyzer(t testing.TB, edit func(*Options)) *Analyzer {
	t.Helper()
	opts := Options{PodSecurity: baseline(t), Registry: testRegistry(t), SecretsThreshold: 3, AuthFailuresThreshold: 3}
	if edit != nil {
		edit(&opts)
	}
	a, err := NewAnalyzer(opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// analyze runs events through a fresh analyzer and returns the findings.
func analyze(t testing.TB, edit func(*Options), events ...*ev) []finding.Finding {
	t.Helper()
	a := newTestAnalyzer(t, edit)
	var out []finding.Finding
	for _, e := range events {
		a.Event(e.decoded(t), func(f finding.Finding) { out = append(out, f) })
	}
	return out
}

func ruleIDs(fs []finding.Finding) []string {
	ids := []string{}
	for _, f := range fs {
		id := f.Rule
		if f.PodSecurity != nil && f.Rule == RulePodSecurity {
			id += ":" + f.PodSecurity.Check
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// mustObject converts a test object to its typed RBAC struct.
func mustObject(t testing.TB, o obj) runtime.Object {
	t.Helper()
	b, _ := json.Marshal(o)
	var out runtime.Object
	switch o["kind"] {
	case "ClusterRole":
		out = &rbacv1.ClusterRole{}
	case "ClusterRoleBinding":
		out = &rbacv1.ClusterRoleBinding{}
	default:
		t.Fatalf("kind %v", o["kind"])
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func testRegistry(t testing.TB) *finding.Registry {
	t.Helper()
	r, err := finding.NewRegistry(Rules()...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
