package auditlog

import (
	"encoding/json"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/rbac"
)

// healthPaths are the non-resource URLs the default RBAC policy opens to
// system:unauthenticated (system:public-info-viewer) and the service
// account issuer discovery endpoints: anonymous access to them is normal.
var healthPaths = []string{"/healthz", "/livez", "/readyz", "/version", "/.well-known/openid-configuration", "/openid/v1/jwks"}

func healthPath(p string) bool {
	for _, h := range healthPaths {
		if p == h || strings.HasPrefix(p, h+"/") {
			return true
		}
	}
	return false
}

// authentication: anonymous requests allowed, bursts of 401/403.
func (d *detection) authentication() {
	ev := d.ev
	a := d.a
	if ev.User.Username == rbac.UserAnonymous && ev.ImpersonatedUser == nil && ev.Allowed() {
		if c := ev.Code(); c != 401 && c != 403 && (ev.ObjectRef != nil || !healthPath(ev.path())) {
			d.report(RuleAnonymousAllowed, "system:anonymous was allowed")
		}
	}
	if c := ev.Code(); c != 401 && c != 403 && ev.Allowed() {
		return
	}
	if ev.ObjectRef == nil && healthPath(ev.path()) {
		// Probes of health endpoints fail while kube-apiserver starts (its
		// RBAC policy is not there yet): not credential guessing.
		return
	}
	t := ev.Time()
	if u := ev.User.Username; u != "" {
		if ok, n, first := a.failures.add("user:"+u, "", t); ok {
			d.report(RuleAuthFailureBurst, fmt.Sprintf("user %q received %d unauthenticated or forbidden responses within %s (since %s)", u, n, a.opts.AuthFailuresWindow, first.UTC().Format("15:04:05")))
		}
	}
	if len(ev.SourceIPs) > 0 {
		ip := ev.SourceIPs[0]
		if ok, n, first := a.failures.add("ip:"+ip, "", t); ok {
			d.report(RuleAuthFailureBurst, fmt.Sprintf("source address %s received %d unauthenticated or forbidden responses within %s (since %s)", ip, n, a.opts.AuthFailuresWindow, first.UTC().Format("15:04:05")))
		}
	}
}

// pods: exec, attach, portforward, ephemeral containers, and the pod's
// own Pod Security.
func (d *detection) pods(sub string) {
	switch sub {
	case "exec", "attach":
		d.report(RulePodExec, "command executed in a pod through pods/"+sub)
	case "portforward":
		d.report(RulePodPortForward, "port forwarded into a pod")
	case "ephemeralcontainers":
		if d.ev.Verb == "update" || d.ev.Verb == "patch" {
			d.report(RuleEphemeralContainer, "ephemeral container added to a pod")
			d.podSecurity()
		}
	case "":
		d.podSecurity()
	}
}

// object returns the object a write request stored: the request object of
// a create or update, else (a patch, whose request object is the patch)
// the response object; nil when the policy's level recorded neither.
func (d *detection) object() []byte {
	ev := d.ev
	if ev.Verb != "patch" && len(ev.RequestObject) > 0 {
		return ev.RequestObject
	}
	if len(ev.ResponseObject) > 0 {
		return ev.ResponseObject
	}
	if ev.Verb == "patch" {
		return nil
	}
	return ev.RequestObject
}

// podOf decodes data as the event's kind and returns its pod metadata and
// spec (a workload's template) and the path prefix of the template.
func podOf(group, res string, data []byte) (*metav1.ObjectMeta, *corev1.PodSpec, string, error) {
	var err error
	switch group + "/" + res {
	case "/pods":
		var o corev1.Pod
		err = json.Unmarshal(data, &o)
		return &o.ObjectMeta, &o.Spec, "", err
	case "/replicationcontrollers":
		var o corev1.ReplicationController
		if err = json.Unmarshal(data, &o); err != nil || o.Spec.Template == nil {
			return nil, nil, "", err
		}
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template.", nil
	case "/podtemplates":
		var o corev1.PodTemplate
		err = json.Unmarshal(data, &o)
		return &o.Template.ObjectMeta, &o.Template.Spec, "template.", err
	case "apps/deployments":
		var o appsv1.Deployment
		err = json.Unmarshal(data, &o)
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template.", err
	case "apps/replicasets":
		var o appsv1.ReplicaSet
		err = json.Unmarshal(data, &o)
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template.", err
	case "apps/statefulsets":
		var o appsv1.StatefulSet
		err = json.Unmarshal(data, &o)
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template.", err
	case "apps/daemonsets":
		var o appsv1.DaemonSet
		err = json.Unmarshal(data, &o)
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template.", err
	case "batch/jobs":
		var o batchv1.Job
		err = json.Unmarshal(data, &o)
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template.", err
	case "batch/cronjobs":
		var o batchv1.CronJob
		err = json.Unmarshal(data, &o)
		return &o.Spec.JobTemplate.Spec.Template.ObjectMeta, &o.Spec.JobTemplate.Spec.Template.Spec, "spec.jobTemplate.spec.template.", err
	}
	return nil, nil, "", nil
}

// podSecurity evaluates a pod or pod template created or updated against
// the chosen level, and a pod against its namespace's enforced level.
func (d *detection) podSecurity() {
	ev := d.ev
	if (ev.Verb != "create" && ev.Verb != "update" && ev.Verb != "patch") || !ev.Succeeded() {
		return
	}
	data := d.object()
	if len(data) == 0 {
		return
	}
	group, res, sub := ev.resource()
	meta, spec, prefix, err := podOf(group, res, data)
	if err != nil || spec == nil {
		// A request object the API server accepted always decodes; one
		// that does not is not a pod (a Status, a truncated object).
		return
	}
	if prefix == "" {
		podsecurity.ApplyDefaults(spec)
	} else {
		podsecurity.ApplyTemplateDefaults(spec)
	}
	a := d.a
	lv := a.opts.PodSecurity
	a.vbuf = podsecurity.Default.AppendViolations(a.vbuf[:0], lv, meta, spec)
	for i := range a.vbuf {
		v := &a.vbuf[i]
		ref := &finding.PodSecurityRef{Level: lv.Level.String(), Version: lv.Version.String(), Check: v.Check}
		path, container := "", ""
		if len(v.Fields) > 0 {
			path, container = prefix+v.Fields[0].Path, v.Fields[0].Container
		}
		what := "pod"
		if prefix != "" {
			what = "pod template"
		}
		if sub == "ephemeralcontainers" {
			what = "pod with an ephemeral container"
		}
		// Worded as Kubernetes words its Pod Security warnings (the reason
		// and detail; the check ID is in f.PodSecurity).
		d.reportFinding(RulePodSecurity, fmt.Sprintf("%s violates Pod Security %s: %s", what, lv, v.Message()), func(f *finding.Finding) {
			f.PodSecurity, f.Path, f.Container = ref, path, container
		})
	}
	if prefix != "" {
		return // Pod Security admission only warns about templates
	}
	ns := ev.ObjectRef.Namespace
	enforce, known := a.nsLevel.get(ns)
	if !known && ev.Annotations.PodSecurityEnforce != "" {
		if l, err := podsecurity.ParseLevelVersion(ev.Annotations.PodSecurityEnforce); err == nil {
			enforce, known = l, true
		}
	}
	if !known || enforce.Level == podsecurity.LevelPrivileged {
		return
	}
	vs := podsecurity.Default.Evaluate(enforce, meta, spec)
	if len(vs) == 0 {
		return
	}
	how := "an exemption or a disabled Pod Security admission"
	if e := ev.Annotations.PodSecurityExempt; e != "" {
		how = "the " + e + " exemption (pod-security.kubernetes.io/exempt)"
	}
	d.reportFinding(RulePodSecurityExempt, fmt.Sprintf("pod violating the enforced level %s of namespace %q was admitted through %s: %s", enforce, ns, how, podsecurity.AggregateMessage(vs)), func(f *finding.Finding) {
		f.PodSecurity = &finding.PodSecurityRef{Level: enforce.Level.String(), Version: enforce.Version.String(), Check: vs[0].Check}
	})
}

// secrets: reads by people and workloads, cluster-wide lists, windowed
// enumeration and denied reads.
func (d *detection) secrets() {
	ev := d.ev
	switch ev.Verb {
	case "get", "list", "watch":
	default:
		return
	}
	actor := ev.Actor().Username
	if !ev.Allowed() || ev.Code() == 401 {
		d.report(RuleSecretReadDenied, "Secret read denied")
		return
	}
	if !ev.Succeeded() || systemIdentity(actor) {
		return
	}
	o := ev.ObjectRef
	switch {
	case ev.Verb == "get":
		d.report(RuleSecretRead, "Secret read")
	case o.Namespace == "":
		d.report(RuleSecretListAll, "Secrets "+ev.Verb+"ed in all namespaces")
	}
	item := o.Namespace + "/" + o.Name
	if ev.Verb != "get" {
		item = o.Namespace + "/*"
	}
	if ok, n, first := d.a.secrets.add(actor, item, ev.Time()); ok {
		d.report(RuleSecretEnumeration, fmt.Sprintf("%q read %d distinct Secrets within %s (since %s)", actor, n, d.a.opts.SecretsWindow, first.UTC().Format("15:04:05")))
	}
}

// token: a service account token requested by anyone but the service
// account itself and the control plane (kubelets mint their pods' tokens).
func (d *detection) token() {
	ev := d.ev
	if ev.Verb != "create" || !ev.Succeeded() {
		return
	}
	actor := ev.Actor().Username
	o := ev.ObjectRef
	if actor == rbac.ServiceAccountUser(o.Namespace, o.Name) || controlPlane(actor) {
		return
	}
	d.report(RuleTokenOtherSA, fmt.Sprintf("token requested for service account %s/%s by %q", o.Namespace, o.Name, actor))
}

// csrApproval: approvals by people and workloads, self-approval.
func (d *detection) csrApproval() {
	ev := d.ev
	if (ev.Verb != "update" && ev.Verb != "patch") || !ev.Succeeded() {
		return
	}
	data := d.object()
	var csr certificatesv1.CertificateSigningRequest
	approved := false
	if len(data) > 0 && json.Unmarshal(data, &csr) == nil {
		for _, c := range csr.Status.Conditions {
			if c.Type == certificatesv1.CertificateApproved && c.Status != corev1.ConditionFalse {
				approved = true
			}
		}
		if !approved {
			return // a denial
		}
	}
	actor := ev.Actor().Username
	if csr.Spec.Username != "" && csr.Spec.Username == actor {
		d.report(RuleCSRSelfApproval, fmt.Sprintf("CSR for signer %s requested by %q approved by the same user", csr.Spec.SignerName, actor))
		return
	}
	if systemIdentity(actor) {
		return
	}
	msg := "CSR approval"
	if approved {
		msg = fmt.Sprintf("CSR of %q for signer %s approved", csr.Spec.Username, csr.Spec.SignerName)
	}
	d.report(RuleCSRApproval, msg)
}

// admission: webhook configurations and admission policies written.
func (d *detection) admission(res string) {
	ev := d.ev
	switch res {
	case "validatingwebhookconfigurations", "mutatingwebhookconfigurations",
		"validatingadmissionpolicies", "validatingadmissionpolicybindings",
		"mutatingadmissionpolicies", "mutatingadmissionpolicybindings":
	default:
		return
	}
	if !writeVerb(ev.Verb) || !ev.Succeeded() || ev.ObjectRef.Subresource != "" {
		return
	}
	d.report(RuleAdmissionWebhook, fmt.Sprintf("%s %sd", objectOf(ev).Kind, strings.TrimSuffix(ev.Verb, "e")))
}

// enforceLabel is the Pod Security admission label that enforces a level.
const enforceLabel = "pod-security.kubernetes.io/enforce"

// namespace tracks each namespace's enforce label and reports it lowered
// or removed.
func (d *detection) namespace() {
	ev := d.ev
	a := d.a
	if ev.ObjectRef.Subresource != "" || !ev.Succeeded() {
		return
	}
	name := ev.ObjectRef.Name
	if ev.Verb == "delete" {
		a.nsLevel.del(name)
		return
	}
	if ev.Verb != "create" && ev.Verb != "update" && ev.Verb != "patch" {
		return
	}
	var after metav1.PartialObjectMetadata
	haveAfter := false
	data := d.object()
	if ev.Verb == "patch" {
		data = ev.ResponseObject
	}
	if len(data) > 0 && json.Unmarshal(data, &after) == nil {
		haveAfter = true
	}
	before, known := a.nsLevel.get(name)
	var now podsecurity.LevelVersion // privileged when unlabelled
	removed := false
	switch {
	case haveAfter:
		if v, ok := after.Labels[enforceLabel]; ok {
			now.Level, _ = podsecurity.ParseLevel(v)
		} else {
			removed = true
		}
		if ver, ok := after.Labels[enforceLabel+"-version"]; ok {
			now.Version, _ = podsecurity.ParseVersion(ver)
		}
	case ev.Verb == "patch" && len(ev.RequestObject) > 0:
		// Only the patch: a merge patch setting the label (or null).
		var patch struct {
			Metadata struct {
				Labels map[string]*string `json:"labels"`
			} `json:"metadata"`
		}
		if json.Unmarshal(ev.RequestObject, &patch) != nil {
			return
		}
		v, ok := patch.Metadata.Labels[enforceLabel]
		if !ok {
			return
		}
		if v == nil {
			removed = true
		} else {
			now.Level, _ = podsecurity.ParseLevel(*v)
		}
		if !known {
			// Without the object before, a label set to privileged (or
			// removed) is the only change known to lower it.
			if removed || now.Level == podsecurity.LevelPrivileged {
				d.report(RulePodSecurityLabelDown, fmt.Sprintf("enforce label of namespace %q %s", name, loweredTo(removed, now)))
			}
			return
		}
	default:
		return
	}
	if ev.Verb != "create" {
		if known && now.Level < before.Level {
			d.report(RulePodSecurityLabelDown, fmt.Sprintf("enforce label of namespace %q lowered from %s %s", name, before.Level, loweredTo(removed, now)))
		}
	}
	if haveAfter {
		a.nsLevel.put(name, now)
	}
}

func loweredTo(removed bool, now podsecurity.LevelVersion) string {
	if removed {
		return "removed (privileged)"
	}
	return "set to " + now.Level.String()
}

// rbac: privileged bindings and roles, escalate/bind used, system roles
// modified.
func (d *detection) rbac(res string) {
	ev := d.ev
	if ev.ObjectRef.Subresource != "" || !writeVerb(ev.Verb) || !ev.Succeeded() {
		return
	}
	actor := ev.Actor()
	name := ev.ObjectRef.Name
	if strings.HasPrefix(name, "system:") && ev.Verb != "create" && !systemIdentity(actor.Username) {
		d.report(RuleSystemRoleModified, fmt.Sprintf("%s %q %sd", objectOf(ev).Kind, name, strings.TrimSuffix(ev.Verb, "e")))
	}
	if ev.Verb == "delete" || ev.Verb == "deletecollection" || controlPlane(actor.Username) {
		return
	}
	data := d.object()
	switch res {
	case "roles", "clusterroles":
		var role rbacv1.ClusterRole // a Role's fields are a subset
		if len(data) == 0 || json.Unmarshal(data, &role) != nil {
			return
		}
		key := roleKey(res, ev.ObjectRef.Namespace, role.Name)
		if why := privilegedRules(role.Rules); why != "" {
			d.a.privRoles.put(key, why)
			if !systemIdentity(actor.Username) {
				d.report(RuleRolePrivileged, fmt.Sprintf("%s %q grants %s", objectOf(ev).Kind, role.Name, why))
			}
		} else {
			d.a.privRoles.del(key)
		}
		d.escalateBindUsed("escalate", res, ev.ObjectRef.Namespace, role.Name)
	case "rolebindings", "clusterrolebindings":
		var b rbacv1.RoleBinding
		if len(data) == 0 || json.Unmarshal(data, &b) != nil {
			return
		}
		ns := ev.ObjectRef.Namespace
		roleRes := "clusterroles"
		if b.RoleRef.Kind == "Role" {
			roleRes = "roles"
		}
		why := ""
		if b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == "cluster-admin" {
			why = "every verb on every resource"
		} else if w, ok := d.a.privRoles.get(roleKey(roleRes, ns, b.RoleRef.Name)); ok {
			why = w
		} else if w := d.rbacRoleRisk(b.RoleRef.Kind, ns, b.RoleRef.Name); w != "" {
			why = w
		}
		if why != "" && !systemIdentity(actor.Username) {
			d.reportFinding(RuleBindingPrivileged, fmt.Sprintf("%s %q binds %s %q (%s) to %s", objectOf(ev).Kind, b.Name, b.RoleRef.Kind, b.RoleRef.Name, why, subjectList(b.Subjects)), func(f *finding.Finding) {
				for _, s := range b.Subjects {
					f.Subjects = append(f.Subjects, s.Kind+":"+s.Namespace+":"+s.Name)
				}
			})
		}
		d.escalateBindUsed("bind", roleRes, ns, b.RoleRef.Name)
	}
}

func roleKey(res, ns, name string) string {
	if res == "clusterroles" {
		return "ClusterRole/" + name
	}
	return "Role/" + ns + "/" + name
}

// rbacRoleRisk judges a role of --rbac by its rules.
func (d *detection) rbacRoleRisk(kind, ns, name string) string {
	ix := d.a.opts.RBAC
	if ix == nil {
		return ""
	}
	var r *rbac.Role
	var ok bool
	if kind == "ClusterRole" {
		r, ok = ix.ClusterRole(name)
	} else {
		r, ok = ix.Role(ns, name)
	}
	if !ok {
		return ""
	}
	return privilegedRules(r.Rules)
}

// escalateBindUsed reports, with --rbac, a role written by an identity that
// holds escalate on it, or a binding by one that holds bind on its role.
func (d *detection) escalateBindUsed(verb, roleRes, ns, role string) {
	ix := d.a.opts.RBAC
	if ix == nil || role == "" {
		return
	}
	actor := d.ev.Actor()
	if systemIdentity(actor.Username) || contains(actor.Groups, rbac.GroupMasters) {
		return
	}
	if roleRes == "clusterroles" && d.ev.ObjectRef.Resource == "rolebindings" {
		ns = d.ev.ObjectRef.Namespace // bind on a ClusterRole is checked in the binding's namespace
	} else if roleRes == "clusterroles" {
		ns = ""
	}
	attrs := &rbac.Attributes{User: actor.Username, Groups: actor.Groups, ResourceRequest: true, Verb: verb,
		APIGroup: "rbac.authorization.k8s.io", Resource: roleRes, Namespace: ns, Name: role}
	r := ix.Authorize(attrs)
	if r.Decision != rbac.Allow || r.Grant == nil {
		return
	}
	d.reportFinding(RuleEscalateBindUsed, fmt.Sprintf("%q holds %s on %s %q and used it", actor.Username, verb, roleRes, role), func(f *finding.Finding) {
		f.Grants = []string{r.Grant.String()}
	})
}

// privilegedRules says what makes rules privileged: wildcards, escalate,
// bind, impersonate, pods/exec; "" when nothing does.
func privilegedRules(rules []rbacv1.PolicyRule) string {
	var why []string
	add := func(s string) {
		if !contains(why, s) {
			why = append(why, s)
		}
	}
	for _, r := range rules {
		if contains(r.Verbs, "*") {
			add("verb *")
		}
		if contains(r.Resources, "*") {
			add("resource *")
		}
		if contains(r.APIGroups, "*") {
			add("apiGroup *")
		}
		for _, v := range []string{"escalate", "bind", "impersonate"} {
			if contains(r.Verbs, v) {
				add(v)
			}
		}
		if (contains(r.Resources, "pods/exec") || contains(r.Resources, "pods/*")) && (contains(r.Verbs, "create") || contains(r.Verbs, "get") || contains(r.Verbs, "*")) {
			add("pods/exec")
		}
	}
	return strings.Join(why, ", ")
}

func subjectList(ss []rbacv1.Subject) string {
	var parts []string
	for _, s := range ss {
		if s.Namespace != "" {
			parts = append(parts, s.Kind+" "+s.Namespace+"/"+s.Name)
		} else {
			parts = append(parts, s.Kind+" "+s.Name)
		}
	}
	if len(parts) == 0 {
		return "no subject"
	}
	return strings.Join(parts, ", ")
}
