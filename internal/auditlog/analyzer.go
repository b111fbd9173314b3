package auditlog

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/rbac"
)

// Defaults of the windowed detections.
const (
	DefaultSecretsWindow         = 10 * time.Minute
	DefaultSecretsThreshold      = 10
	DefaultAuthFailuresWindow    = time.Minute
	DefaultAuthFailuresThreshold = 10
	// DefaultMaxIdentities bounds how many identities (and source
	// addresses) the windows track at once; beyond it the least recently
	// active are forgotten.
	DefaultMaxIdentities = 100_000
)

// Options configure an Analyzer. The zero value of every field but
// Registry is usable.
type Options struct {
	// PodSecurity is the level pods are checked against; the zero value is
	// privileged (nothing is reported), so callers set it, usually to
	// baseline:latest.
	PodSecurity podsecurity.LevelVersion
	// SecretsWindow and SecretsThreshold: one identity reading at least
	// SecretsThreshold distinct Secrets within SecretsWindow is a finding.
	SecretsWindow    time.Duration
	SecretsThreshold int
	// AuthFailuresWindow and AuthFailuresThreshold: one identity or source
	// address receiving at least AuthFailuresThreshold 401/403 responses
	// within AuthFailuresWindow is a finding.
	AuthFailuresWindow    time.Duration
	AuthFailuresThreshold int
	// MaxIdentities bounds the windows' state (0: DefaultMaxIdentities).
	MaxIdentities int
	// RBAC, when not nil, is the cluster's RBAC policy: each finding names
	// the binding and role that allowed the request, roles bound by a
	// binding are judged by their rules, and the escalate/bind detection
	// is on.
	RBAC *rbac.Index
	// NamespaceLevels gives, when known, each namespace's enforced Pod
	// Security level (its pod-security.kubernetes.io/enforce label); the
	// analyzer also learns them from namespace events it sees.
	NamespaceLevels map[string]podsecurity.LevelVersion
	// Registry supplies the rules' severity and remediation. Required.
	Registry *finding.Registry
}

// Stats counts what an Analyzer saw.
type Stats struct {
	// Events is every event given to Event.
	Events int64 `json:"events"`
	// Requests counts the requests analysed: final-stage events, each audit
	// ID once.
	Requests int64 `json:"requests"`
	// Findings counts the findings emitted.
	Findings int64 `json:"findings"`
}

// Emit receives one finding; the finding and its slices belong to the callee.
type Emit func(finding.Finding)

// Analyzer runs every detection on a stream of events. It is a state
// machine (windows, recent streaming audit IDs, learnt namespace labels and
// roles) and is not safe for concurrent use: feed it from one goroutine.
// Its memory is bounded by Options.MaxIdentities and fixed caps, not by the
// number of events.
type Analyzer struct {
	opts  Options
	rules map[string]finding.Rule
	stats Stats

	// streamed holds the audit IDs of streaming requests already counted
	// at ResponseStarted, so that their ResponseComplete is not counted
	// again.
	streamed *idSet
	secrets  *windows
	failures *windows
	// nsLevel is the enforce level of each namespace seen (bounded).
	nsLevel boundedMap[podsecurity.LevelVersion]
	// privRoles remembers roles seen created with privileged rules, keyed
	// "ClusterRole/name" or "Role/ns/name" (bounded).
	privRoles boundedMap[string]

	vbuf []podsecurity.Violation
}

// NewAnalyzer validates opts and returns an analyzer.
func NewAnalyzer(opts Options) (*Analyzer, error) {
	if opts.Registry == nil {
		return nil, errors.New("auditlog: no rule registry")
	}
	if opts.SecretsWindow <= 0 {
		opts.SecretsWindow = DefaultSecretsWindow
	}
	if opts.SecretsThreshold <= 0 {
		opts.SecretsThreshold = DefaultSecretsThreshold
	}
	if opts.AuthFailuresWindow <= 0 {
		opts.AuthFailuresWindow = DefaultAuthFailuresWindow
	}
	if opts.AuthFailuresThreshold <= 0 {
		opts.AuthFailuresThreshold = DefaultAuthFailuresThreshold
	}
	if opts.MaxIdentities <= 0 {
		opts.MaxIdentities = DefaultMaxIdentities
	}
	a := &Analyzer{opts: opts, rules: map[string]finding.Rule{}}
	var missing []string
	for _, r := range Rules() {
		rule, ok := opts.Registry.Lookup(r.ID)
		if !ok {
			missing = append(missing, r.ID)
		}
		a.rules[r.ID] = rule
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("auditlog: rules missing from the registry: %s", strings.Join(missing, ", "))
	}
	a.streamed = newIDSet(1 << 16)
	a.secrets = newWindows(opts.SecretsWindow, opts.SecretsThreshold, opts.MaxIdentities, true)
	a.failures = newWindows(opts.AuthFailuresWindow, opts.AuthFailuresThreshold, opts.MaxIdentities, false)
	a.nsLevel = newBoundedMap[podsecurity.LevelVersion](1 << 16)
	for ns, lv := range opts.NamespaceLevels {
		a.nsLevel.put(ns, lv)
	}
	a.privRoles = newBoundedMap[string](1 << 16)
	return a, nil
}

// Stats returns what the analyzer has seen so far.
func (a *Analyzer) Stats() Stats { return a.stats }

// Event analyses one event. Events of other stages than the final one
// (see Event.Final) are counted and otherwise ignored; a streaming request
// seen at ResponseStarted is not counted again at ResponseComplete. ev is
// only read during the call. Findings go to emit in the order found.
func (a *Analyzer) Event(ev *Event, emit Emit) {
	a.stats.Events++
	if !ev.Final() {
		return
	}
	if ev.streaming() && ev.AuditID != "" {
		if a.streamed.has(ev.AuditID) {
			return
		}
		a.streamed.add(ev.AuditID)
	}
	a.stats.Requests++
	out := func(f finding.Finding) {
		a.stats.Findings++
		emit(f)
	}
	d := detection{a: a, ev: ev, emit: out}
	d.run()
}

// detection is the analysis of one event.
type detection struct {
	a    *Analyzer
	ev   *Event
	emit Emit
	ref  *finding.EventRef // built once, shared by the event's findings
}

func (d *detection) run() {
	ev := d.ev
	d.authentication()
	if ev.ImpersonatedUser != nil {
		d.report(RuleImpersonation, fmt.Sprintf("%s impersonated %s", quoteUser(ev.User.Username), describeUser(ev.ImpersonatedUser)))
	}
	if ev.ObjectRef == nil {
		return
	}
	group, res, sub := ev.resource()
	switch group {
	case "":
		switch res {
		case "pods":
			d.pods(sub)
		case "nodes":
			if sub == "proxy" {
				d.report(RuleNodeProxy, "kubelet API reached through nodes/proxy")
			}
		case "secrets":
			d.secrets()
		case "serviceaccounts":
			if sub == "token" {
				d.token()
			}
		case "namespaces":
			d.namespace()
		case "replicationcontrollers", "podtemplates":
			d.podSecurity()
		}
	case "apps":
		switch res {
		case "deployments", "replicasets", "statefulsets", "daemonsets":
			d.podSecurity()
		}
	case "batch":
		switch res {
		case "jobs", "cronjobs":
			d.podSecurity()
		}
	case "rbac.authorization.k8s.io":
		d.rbac(res)
	case "certificates.k8s.io":
		if res == "certificatesigningrequests" && sub == "approval" {
			d.csrApproval()
		}
	case "admissionregistration.k8s.io":
		d.admission(res)
	}
}

// report emits a finding of rule about the event.
func (d *detection) report(rule, msg string) {
	d.reportFinding(rule, msg, func(*finding.Finding) {})
}

// reportFinding emits a finding of rule; edit may set further fields.
func (d *detection) reportFinding(rule, msg string, edit func(*finding.Finding)) {
	r := d.a.rules[rule]
	f := finding.Finding{
		Rule:        r.ID,
		Severity:    r.Severity,
		Object:      objectOf(d.ev),
		Message:     msg + " (" + d.ev.describe() + ", " + decisionWord(d.ev) + ", audit ID " + d.ev.AuditID + ")",
		Remediation: r.Remediation,
		Event:       d.eventRef(),
	}
	if g := d.grant(); g != "" {
		f.Grants = []string{g}
	}
	edit(&f)
	d.emit(f)
}

func decisionWord(ev *Event) string {
	if ev.Allowed() {
		if c := ev.Code(); c != 0 {
			return fmt.Sprintf("allowed, %d", c)
		}
		return "allowed"
	}
	return fmt.Sprintf("forbidden, %d", ev.Code())
}

// eventRef describes the event for findings; built once per event.
func (d *detection) eventRef() *finding.EventRef {
	if d.ref != nil {
		return d.ref
	}
	ev := d.ev
	r := &finding.EventRef{
		AuditID:    ev.AuditID,
		Time:       ev.Time().UTC(),
		User:       ev.User.Username,
		Groups:     append([]string(nil), ev.User.Groups...),
		SourceIPs:  append([]string(nil), ev.SourceIPs...),
		UserAgent:  ev.UserAgent,
		Verb:       ev.Verb,
		RequestURI: ev.RequestURI,
		Decision:   "allow",
		Code:       ev.Code(),
	}
	if !ev.Allowed() {
		r.Decision = "forbid"
	}
	if iu := ev.ImpersonatedUser; iu != nil {
		r.ImpersonatedUser = iu.Username
		r.ImpersonatedGroups = append([]string(nil), iu.Groups...)
	}
	if o := ev.ObjectRef; o != nil {
		r.Resource, r.APIGroup, r.Namespace, r.Name = o.Resource, o.APIGroup, o.Namespace, o.Name
		if o.Subresource != "" {
			r.Resource += "/" + o.Subresource
		}
	}
	d.ref = r
	return r
}

// grant names, with --rbac, the binding → role → rule that allows the
// request to its actor ("" without RBAC or when no rule allows it).
func (d *detection) grant() string {
	ix := d.a.opts.RBAC
	if ix == nil || !d.ev.Allowed() {
		return ""
	}
	actor := d.ev.Actor()
	attrs := attributesOf(d.ev, actor)
	if contains(attrs.Groups, rbac.GroupMasters) {
		return "group system:masters (every request is allowed)"
	}
	r := ix.Authorize(attrs)
	if r.Grant == nil {
		return ""
	}
	return r.Grant.String()
}

// attributesOf is the authorization request an event records, made by user.
func attributesOf(ev *Event, user *UserInfo) *rbac.Attributes {
	a := &rbac.Attributes{User: user.Username, Groups: user.Groups, Verb: ev.Verb}
	if ev.ObjectRef == nil {
		a.Path = ev.path()
		return a
	}
	o := ev.ObjectRef
	a.ResourceRequest = true
	a.Namespace, a.APIGroup, a.Resource, a.Subresource, a.Name = o.Namespace, o.APIGroup, o.Resource, o.Subresource, o.Name
	return a
}

// objectOf names the object of the request for Finding.Object: kind from
// the resource when it is a built-in one, else the resource itself.
func objectOf(ev *Event) finding.ObjectRef {
	o := ev.ObjectRef
	if o == nil {
		return finding.ObjectRef{Kind: "NonResourceURL", Name: ev.path()}
	}
	apiVersion := o.APIVersion
	if o.APIGroup != "" {
		apiVersion = o.APIGroup + "/" + o.APIVersion
	}
	kind, ok := resourceKinds[o.APIGroup+"/"+o.Resource]
	if !ok {
		kind = o.Resource
	}
	name := o.Name
	if name == "" {
		name = "*"
	}
	return finding.ObjectRef{APIVersion: apiVersion, Kind: kind, Namespace: o.Namespace, Name: name}
}

var resourceKinds = map[string]string{
	"/pods": "Pod", "/nodes": "Node", "/secrets": "Secret", "/serviceaccounts": "ServiceAccount", "/namespaces": "Namespace",
	"/replicationcontrollers": "ReplicationController", "/podtemplates": "PodTemplate", "/configmaps": "ConfigMap",
	"apps/deployments": "Deployment", "apps/replicasets": "ReplicaSet", "apps/statefulsets": "StatefulSet", "apps/daemonsets": "DaemonSet",
	"batch/jobs": "Job", "batch/cronjobs": "CronJob",
	"rbac.authorization.k8s.io/roles": "Role", "rbac.authorization.k8s.io/clusterroles": "ClusterRole",
	"rbac.authorization.k8s.io/rolebindings": "RoleBinding", "rbac.authorization.k8s.io/clusterrolebindings": "ClusterRoleBinding",
	"certificates.k8s.io/certificatesigningrequests":                 "CertificateSigningRequest",
	"admissionregistration.k8s.io/validatingwebhookconfigurations":   "ValidatingWebhookConfiguration",
	"admissionregistration.k8s.io/mutatingwebhookconfigurations":     "MutatingWebhookConfiguration",
	"admissionregistration.k8s.io/validatingadmissionpolicies":       "ValidatingAdmissionPolicy",
	"admissionregistration.k8s.io/validatingadmissionpolicybindings": "ValidatingAdmissionPolicyBinding",
	"admissionregistration.k8s.io/mutatingadmissionpolicies":         "MutatingAdmissionPolicy",
	"admissionregistration.k8s.io/mutatingadmissionpolicybindings":   "MutatingAdmissionPolicyBinding",
}

// controlPlane reports the identities of the control plane itself: users
// named system:… that are not service accounts or anonymous
// (system:apiserver, system:kube-controller-manager, system:kube-scheduler,
// system:node:NAME, system:kube-proxy, ...).
func controlPlane(user string) bool {
	return strings.HasPrefix(user, "system:") && !strings.HasPrefix(user, "system:serviceaccount:") && user != rbac.UserAnonymous
}

// systemIdentity reports the control plane and the controllers running
// in kube-system with their own service accounts
// (--use-service-account-credentials).
func systemIdentity(user string) bool {
	return controlPlane(user) || strings.HasPrefix(user, "system:serviceaccount:kube-system:")
}

func quoteUser(u string) string { return fmt.Sprintf("%q", u) }

func describeUser(u *UserInfo) string {
	if len(u.Groups) == 0 {
		return quoteUser(u.Username)
	}
	return fmt.Sprintf("%q (groups %s)", u.Username, strings.Join(u.Groups, ", "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// writeVerb reports the verbs that change an object.
func writeVerb(v string) bool {
	switch v {
	case "create", "update", "patch", "delete", "deletecollection":
		return true
	}
	return false
}
