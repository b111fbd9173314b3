package clusterconfig

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	sigsjson "sigs.k8s.io/json"

	"github.com/kubeward/kubeward/internal/auditpolicy"
	"github.com/kubeward/kubeward/internal/encryption"
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/manifest"
)

// Latest is the Kubernetes minor version judged by default (1.Latest).
const Latest = 37

// Oldest is the oldest minor version whose defaults are modelled.
const Oldest = 25

// ParseVersion parses "latest", "1.N" or "v1.N" into a minor version.
func ParseVersion(s string) (int, error) {
	if s == "" || s == "latest" {
		return Latest, nil
	}
	v := strings.TrimPrefix(s, "v")
	if !strings.HasPrefix(v, "1.") {
		return 0, fmt.Errorf("kubernetes version %q: want latest or 1.N", s)
	}
	minor, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(v, "1."), ".", 2)[0])
	if err != nil || minor < Oldest || minor > Latest {
		return 0, fmt.Errorf("kubernetes version %q: want latest or 1.%d to 1.%d", s, Oldest, Latest)
	}
	return minor, nil
}

// defaultAdmission returns the admission plugins kube-apiserver enables
// by default at 1.minor (those kubeward's rules ask about).
func defaultAdmission(minor int) map[string]bool {
	on := map[string]bool{"NamespaceLifecycle": true, "LimitRanger": true, "ServiceAccount": true, "DefaultStorageClass": true,
		"PersistentVolumeClaimResize": true, "DefaultTolerationSeconds": true, "MutatingAdmissionWebhook": true,
		"ValidatingAdmissionWebhook": true, "ResourceQuota": true, "StorageObjectInUseProtection": true, "Priority": true,
		"TaintNodesByCondition": true, "RuntimeClass": true, "CertificateApproval": true, "CertificateSigning": true,
		"CertificateSubjectRestriction": true, "DefaultIngressClass": true, "PodSecurity": true}
	if minor >= 26 {
		on["ValidatingAdmissionPolicy"] = true
	}
	return on
}

// Check judges every command line and configuration document of s for
// Kubernetes 1.minor and returns the findings, in input order.
func Check(s *Set, minor int) []finding.Finding {
	k := &checker{set: s, minor: minor, used: map[*Doc]bool{}}
	for _, c := range s.Commands {
		switch c.Component {
		case APIServer:
			k.apiServer(c)
		case ControllerManager:
			k.controllerManager(c)
		case Scheduler:
			k.scheduler(c)
		case Etcd:
			k.etcd(c)
		case Kubelet:
			k.kubelet(c)
		}
	}
	// Documents no command line referenced are judged on their own.
	var kubeletBases []*Doc
	for _, d := range s.Docs {
		if k.used[d] {
			continue
		}
		switch d.Obj.Kind {
		case "EncryptionConfiguration", "EncryptionConfig":
			k.encryption(d)
		case "Policy":
			k.auditPolicy(d)
		case "AuthorizationConfiguration":
			k.authorizationConfig(nil, d)
		case "AuthenticationConfiguration":
			k.anonymousConfig(d)
		case "AdmissionConfiguration":
			k.admissionConfig(nil, d)
		case "PodSecurityConfiguration":
			k.podSecurityConfig(d, d.Content, "")
		case "KubeletConfiguration":
			if filepath.Ext(d.Obj.File) != ".conf" {
				kubeletBases = append(kubeletBases, d)
			}
		}
	}
	// Drop-ins no kubelet command line named apply to the one
	// configuration file judged on its own (or, without one, alone).
	var dropins []*Doc
	for _, d := range s.DropIns("") {
		if !k.used[d] {
			dropins = append(dropins, d)
		}
	}
	switch {
	case len(kubeletBases) == 1:
		k.kubeletConfig(nil, kubeletBases[0], dropins)
	case len(kubeletBases) == 0 && len(dropins) > 0:
		k.kubeletConfig(nil, nil, dropins)
	default:
		for _, b := range kubeletBases {
			k.kubeletConfig(nil, b, nil)
		}
		for _, d := range dropins {
			s.Warnings = append(s.Warnings, &manifest.Error{File: d.Obj.File, Line: d.Obj.Line, Warning: true,
				Err: fmt.Errorf("kubelet drop-in judged with no base configuration: several KubeletConfiguration files are among the inputs and no kubelet command line names one")})
			k.kubeletConfig(nil, nil, []*Doc{d})
		}
	}
	return k.out
}

type checker struct {
	set   *Set
	minor int
	used  map[*Doc]bool
	out   []finding.Finding
}

func cis(id string) string { return " (CIS " + id + ")" }

// flag reports a finding about a command line: at the flag when set, at
// the command line when not.
func (k *checker) flag(rule string, c *Command, a Arg, set bool, msg string) {
	f := finding.Finding{Rule: "config/" + rule, Object: c.Object, File: c.File, Line: c.Line, Message: msg}
	if set {
		f.Line, f.Path = a.Line, a.Path
	}
	k.add(f)
}

// doc reports a finding about a field of a configuration document.
func (k *checker) doc(rule string, d *Doc, path, msg string) {
	o := d.Obj
	k.add(finding.Finding{Rule: "config/" + rule, Object: finding.ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: nameOf(o)},
		File: o.File, Line: o.FieldLine(path), Path: path, Message: msg})
}

func nameOf(o *manifest.Object) string {
	if o.Name != "" {
		return o.Name
	}
	return filepath.Base(o.File)
}

func (k *checker) add(f finding.Finding) {
	r, _ := lookupRule(f.Rule)
	f.Severity = r.Severity
	f.Remediation = r.Remediation
	k.out = append(k.out, f)
}

func lookupRule(id string) (finding.Rule, bool) {
	for _, r := range ruleList {
		if r.ID == id {
			return r, true
		}
	}
	return finding.Rule{}, false
}

// boolFlag returns a boolean flag's value, def when unset or not a boolean.
func boolFlag(c *Command, name string, def bool) (bool, Arg, bool) {
	a, ok := c.Last(name)
	if !ok {
		return def, a, false
	}
	v, err := strconv.ParseBool(a.Value)
	if err != nil {
		return def, a, true
	}
	return v, a, true
}

func (k *checker) unset(rule string, c *Command, msg string, names ...string) {
	var missing []string
	for _, n := range names {
		if a, ok := c.Last(n); !ok || a.Value == "" {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		k.flag(rule, c, Arg{}, false, fmt.Sprintf("%s: %s not set; %s", c.Component, strings.Join(missing, " and "), msg))
	}
}

// follow resolves the file a flag names; a file that cannot be found is a
// warning, and ok is false.
func (k *checker) follow(c *Command, a Arg) (*Doc, bool) {
	docs, _, found := k.set.Resolve(a.Value)
	if !found || len(docs) == 0 {
		k.set.Warnings = append(k.set.Warnings, &manifest.Error{File: c.File, Line: a.Line, Warning: true,
			Err: fmt.Errorf("%s --%s=%s: file not among the inputs (pass it, or the node's filesystem with --root); its content is not judged", c.Component, a.Name, a.Value)})
		return nil, false
	}
	for _, d := range docs {
		k.used[d] = true
	}
	return docs[0], true
}

func (k *checker) apiServer(c *Command) {
	name := string(c.Component)
	// Authentication.
	var authn *Doc
	if a, ok := c.Last("authentication-config"); ok {
		authn, _ = k.follow(c, a)
	}
	anonAnon := authn != nil && authn.Content["anonymous"] != nil
	if anonAnon {
		if a, ok := c.Last("anonymous-auth"); ok {
			k.flag("config-rejected", c, a, true, name+": --anonymous-auth cannot be set together with an AuthenticationConfiguration that has an anonymous section")
		}
		k.anonymousConfig(authn)
	} else if v, a, set := boolFlag(c, "anonymous-auth", true); v {
		how := "its default is true"
		if set {
			how = "--anonymous-auth=" + a.Value
		}
		k.flag("anonymous-auth", c, a, set, name+": anonymous requests are served ("+how+")"+cis("1.2.1"))
	}
	if a, ok := c.Last("token-auth-file"); ok {
		k.flag("token-auth-file", c, a, true, name+": --token-auth-file authenticates with static tokens"+cis("1.2.2"))
	}
	k.unset("kubelet-client-cert", c, "the API server cannot authenticate to kubelets"+cis("1.2.4"), "kubelet-client-certificate", "kubelet-client-key")
	k.unset("kubelet-certificate-authority", c, "kubelet serving certificates are not verified"+cis("1.2.5"), "kubelet-certificate-authority")

	// Authorization.
	if a, ok := c.Last("authorization-config"); ok {
		if m, ok := c.Last("authorization-mode"); ok {
			k.flag("config-rejected", c, m, true, name+": --authorization-mode and --authorization-config are mutually exclusive")
		}
		if d, ok := k.follow(c, a); ok {
			k.authorizationConfig(c, d)
		}
	} else {
		modes, a, set := c.List("authorization-mode")
		if !set {
			modes = []string{"AlwaysAllow"}
		}
		has := map[string]bool{}
		for _, m := range modes {
			has[m] = true
		}
		if has["AlwaysAllow"] {
			how := "--authorization-mode defaults to AlwaysAllow"
			if set {
				how = "--authorization-mode=" + a.Value
			}
			k.flag("authorization-always-allow", c, a, set, name+": "+how+": every request is authorized"+cis("1.2.6"))
		}
		if !has["Node"] {
			k.flag("authorization-node", c, a, set, name+": --authorization-mode does not include Node"+cis("1.2.7"))
		}
		if !has["RBAC"] {
			k.flag("authorization-rbac", c, a, set, name+": --authorization-mode does not include RBAC"+cis("1.2.8"))
		}
	}

	// Admission.
	k.admission(c)
	if a, ok := c.Last("admission-control-config-file"); ok {
		if d, ok := k.follow(c, a); ok {
			k.admissionConfig(c, d)
		}
	}

	if v, a, set := boolFlag(c, "profiling", true); v {
		k.flag("profiling", c, a, set, name+": profiling is on"+ifDefault(set, " (the default)")+cis("1.2.15"))
	}

	// Audit.
	logPath, hasLog := c.Last("audit-log-path")
	_, hasWebhook := c.Last("audit-webhook-config-file")
	if (!hasLog || logPath.Value == "") && !hasWebhook {
		k.flag("audit-log", c, logPath, hasLog, name+": no audit log: --audit-log-path and --audit-webhook-config-file are not set"+cis("1.2.16"))
	}
	if hasLog && logPath.Value != "" && logPath.Value != "-" {
		for _, r := range []struct {
			flag, id string
			min      int
		}{{"audit-log-maxage", "1.2.17", 30}, {"audit-log-maxbackup", "1.2.18", 10}, {"audit-log-maxsize", "1.2.19", 100}} {
			a, ok := c.Last(r.flag)
			n, err := strconv.Atoi(a.Value)
			if !ok || err != nil || n < r.min {
				val := "unset (0)"
				if ok {
					val = a.Value
				}
				k.flag("audit-log-retention", c, a, ok, fmt.Sprintf("%s: --%s is %s, below %d%s", name, r.flag, val, r.min, cis(r.id)))
			}
		}
	}
	if a, ok := c.Last("audit-policy-file"); !ok || a.Value == "" {
		k.flag("audit-policy-missing", c, a, ok, name+": --audit-policy-file is not set: no audit events are recorded"+cis("3.2.1"))
	} else if d, ok := k.follow(c, a); ok {
		k.auditPolicy(d)
	}

	if v, a, set := boolFlag(c, "service-account-lookup", true); !v {
		k.flag("service-account-lookup", c, a, set, name+": --service-account-lookup=false: tokens of deleted service accounts stay valid"+cis("1.2.21"))
	}
	k.unset("service-account-key-file", c, "service account tokens are verified with the TLS key only"+cis("1.2.22"), "service-account-key-file")
	k.unset("etcd-client-tls", c, "etcd is reached without client certificate"+cis("1.2.23"), "etcd-certfile", "etcd-keyfile")
	k.unset("etcd-client-tls", c, "etcd's certificate is not verified"+cis("1.2.26"), "etcd-cafile")
	k.unset("apiserver-tls", c, "the API server serves a self-signed certificate"+cis("1.2.24"), "tls-cert-file", "tls-private-key-file")
	k.unset("apiserver-tls", c, "client certificates are not accepted"+cis("1.2.25"), "client-ca-file")

	if a, ok := c.Last("encryption-provider-config"); !ok || a.Value == "" {
		k.flag("encryption-not-configured", c, a, ok, name+": --encryption-provider-config is not set: Secrets are stored in etcd in plaintext"+cis("1.2.27"))
	} else if d, ok := k.follow(c, a); ok {
		k.encryption(d)
	}
	k.tlsFlags(c, "tls-min-version", "tls-cipher-suites", "1.2.29")
	if v, a, set := boolFlag(c, "service-account-extend-token-expiration", true); v {
		k.flag("service-account-extend-token-expiration", c, a, set, name+": projected service account tokens are extended to a year"+ifDefault(set, " (the default)")+cis("1.2.30"))
	}
}

func ifDefault(set bool, s string) string {
	if set {
		return ""
	}
	return s
}

func (k *checker) admission(c *Command) {
	name := string(c.Component)
	on := defaultAdmission(k.minor)
	legacy, la, hasLegacy := c.List("admission-control")
	enable, ea, hasEnable := c.List("enable-admission-plugins")
	disable, da, hasDisable := c.List("disable-admission-plugins")
	if hasLegacy && (hasEnable || hasDisable) {
		k.flag("config-rejected", c, la, true, name+": --admission-control and --enable-admission-plugins/--disable-admission-plugins are mutually exclusive")
	}
	where := map[string]Arg{}
	if hasLegacy {
		on = map[string]bool{}
		for _, p := range legacy {
			on[p], where[p] = true, la
		}
	}
	for _, p := range disable {
		on[p], where[p] = false, da
	}
	for _, p := range enable {
		for _, d := range disable {
			if d == p {
				k.flag("config-rejected", c, ea, true, fmt.Sprintf("%s: admission plugin %q is both enabled and disabled", name, p))
			}
		}
		on[p], where[p] = true, ea
	}
	if on["AlwaysAdmit"] {
		k.flag("admission-always-admit", c, where["AlwaysAdmit"], true, name+": admission plugin AlwaysAdmit is enabled"+cis("1.2.10"))
	}
	for _, p := range []struct{ plugin, id string }{{"ServiceAccount", "CIS 1.2.12"}, {"NamespaceLifecycle", "CIS 1.2.13"}, {"PodSecurity", "Pod Security Admission"}} {
		if !on[p.plugin] {
			a, set := where[p.plugin]
			if !set && hasLegacy {
				a, set = la, true
			}
			k.flag("admission-plugin-disabled", c, a, set, fmt.Sprintf("%s: admission plugin %s is disabled (%s)", name, p.plugin, p.id))
		}
	}
	if !on["NodeRestriction"] {
		a, set := ea, hasEnable
		if hasLegacy {
			a, set = la, true
		}
		k.flag("admission-node-restriction", c, a, set, name+": admission plugin NodeRestriction is not enabled (it is off by default)"+cis("1.2.14"))
	}
}

func (k *checker) authorizationConfig(c *Command, d *Doc) {
	auths, _ := d.Content["authorizers"].([]any)
	has := map[string]bool{}
	for i, a := range auths {
		m, _ := a.(map[string]any)
		t, _ := m["type"].(string)
		has[t] = true
		if t == "AlwaysAllow" {
			msg := fmt.Sprintf("authorizers[%d] is AlwaysAllow: every request the authorizers before it do not decide is allowed", i)
			k.doc("authorization-always-allow", d, fmt.Sprintf("authorizers[%d].type", i), msg+cis("1.2.6"))
		}
	}
	if c == nil {
		return
	}
	if !has["Node"] {
		k.doc("authorization-node", d, "authorizers", "the AuthorizationConfiguration has no Node authorizer"+cis("1.2.7"))
	}
	if !has["RBAC"] {
		k.doc("authorization-rbac", d, "authorizers", "the AuthorizationConfiguration has no RBAC authorizer"+cis("1.2.8"))
	}
}

var healthPaths = map[string]bool{"/livez": true, "/readyz": true, "/healthz": true}

// anonymousConfig judges the anonymous section of an
// AuthenticationConfiguration: enabled without conditions serves every
// path, with conditions only those paths.
func (k *checker) anonymousConfig(d *Doc) {
	anon, _ := d.Content["anonymous"].(map[string]any)
	if anon == nil {
		return
	}
	if en, _ := anon["enabled"].(bool); !en {
		return
	}
	conds, _ := anon["conditions"].([]any)
	if len(conds) == 0 {
		k.doc("anonymous-auth", d, "anonymous.enabled", "anonymous requests are served on every path: anonymous.enabled without conditions"+cis("1.2.1"))
		return
	}
	for i, c := range conds {
		m, _ := c.(map[string]any)
		p, _ := m["path"].(string)
		if !healthPaths[p] {
			k.doc("anonymous-auth", d, fmt.Sprintf("anonymous.conditions[%d].path", i), fmt.Sprintf("anonymous requests are served on %q, beyond the health endpoints /livez, /readyz and /healthz%s", p, cis("1.2.1")))
		}
	}
}

func (k *checker) encryption(d *Doc) {
	cfg, err := encryption.FromMap(d.Content)
	if err != nil {
		k.doc("encryption-rejected", d, "", "kube-apiserver cannot read the encryption configuration: "+err.Error())
		return
	}
	for _, p := range encryption.Validate(cfg, k.minor) {
		k.doc("encryption-rejected", d, p.Path, "kube-apiserver refuses the file: "+p.Message)
	}
	secrets := schema.GroupResource{Resource: "secrets"}
	switch p, ok := encryption.WriteProvider(cfg, secrets); {
	case !ok:
		k.doc("encryption-secrets-plaintext", d, "resources", "secrets are not covered by any entry: new Secrets are written in plaintext"+cis("1.2.28"))
	case p.Type == encryption.Identity:
		k.doc("encryption-secrets-plaintext", d, p.Path()+".identity", "the first provider for secrets is identity: new Secrets are written in plaintext"+cis("1.2.28"))
	}
	for i, rc := range cfg.Resources {
		if len(rc.Providers) == 0 {
			continue
		}
		w := providerAt(cfg, i)
		res := strings.Join(rc.Resources, ", ")
		switch {
		case w.Type == encryption.AESCBC:
			k.doc("encryption-weak-provider", d, w.Path()+".aescbc", fmt.Sprintf("%s written with aescbc, which is not recommended (CBC padding oracle)%s", res, cis("1.2.28")))
		case w.Type == encryption.AESGCM:
			k.doc("encryption-weak-provider", d, w.Path()+".aesgcm", fmt.Sprintf("%s written with aesgcm: its key must be rotated every 200,000 writes%s", res, cis("1.2.28")))
		case w.Type == encryption.KMS && w.KMSAPIVersion == "v1":
			k.doc("encryption-weak-provider", d, w.Path()+".kms", fmt.Sprintf("%s written with kms v1, deprecated since 1.28 and off by default since 1.29%s", res, cis("1.2.28")))
		}
	}
}

func providerAt(cfg *encryption.Config, entry int) encryption.Provider {
	rc := cfg.Resources[entry]
	for _, r := range rc.Resources {
		for _, p := range encryption.Providers(cfg, encryption.ParseResource(r)) {
			if p.Entry == entry && p.Index == 0 {
				return p
			}
		}
	}
	return encryption.Provider{Entry: entry}
}

func (k *checker) auditPolicy(d *Doc) {
	js, _ := json.Marshal(d.Content)
	p, err := auditpolicy.Decode(js)
	if err != nil {
		k.doc("config-rejected", d, "", "kube-apiserver cannot read the audit policy: "+err.Error())
		return
	}
	for _, msg := range auditpolicy.Validate(p) {
		path, _, _ := strings.Cut(msg, ":")
		k.doc("config-rejected", d, path, "kube-apiserver refuses the audit policy: "+msg)
	}
	for _, v := range auditpolicy.Judge(p) {
		path := "rules"
		if v.Rule >= 0 {
			path = fmt.Sprintf("rules[%d].level", v.Rule)
		}
		rule := "audit-policy-gap"
		if v.Probe.Concern == auditpolicy.SensitiveBody {
			rule = "audit-policy-sensitive-data"
		}
		k.doc(rule, d, path, v.String()+cis("3.2.2"))
	}
}

func (k *checker) controllerManager(c *Command) {
	name := string(c.Component)
	if v, a, set := boolFlag(c, "profiling", true); v {
		k.flag("profiling", c, a, set, name+": profiling is on"+ifDefault(set, " (the default)")+cis("1.3.2"))
	}
	if v, a, set := boolFlag(c, "use-service-account-credentials", false); !v {
		k.flag("controller-manager-sa-credentials", c, a, set, name+": --use-service-account-credentials is not true"+cis("1.3.3"))
	}
	k.unset("controller-manager-sa-key", c, "no service account tokens are signed"+cis("1.3.4"), "service-account-private-key-file")
	k.unset("controller-manager-root-ca", c, "service account volumes carry no root CA"+cis("1.3.5"), "root-ca-file")
	if gates, a, ok := c.List("feature-gates"); ok {
		for _, g := range gates {
			if n, v, _ := strings.Cut(g, "="); n == "RotateKubeletServerCertificate" && strings.EqualFold(v, "false") {
				k.flag("rotate-kubelet-server-certificate", c, a, true, name+": RotateKubeletServerCertificate=false"+cis("1.3.6"))
			}
		}
	}
	k.bindAddress(c, "1.3.7")
	k.tlsFlags(c, "tls-min-version", "tls-cipher-suites", "1.2.29")
}

func (k *checker) scheduler(c *Command) {
	if v, a, set := boolFlag(c, "profiling", true); v {
		k.flag("profiling", c, a, set, string(c.Component)+": profiling is on"+ifDefault(set, " (the default)")+cis("1.4.1"))
	}
	k.bindAddress(c, "1.4.2")
	k.tlsFlags(c, "tls-min-version", "tls-cipher-suites", "1.2.29")
}

func (k *checker) bindAddress(c *Command, id string) {
	a, set := c.Last("bind-address")
	v := "0.0.0.0"
	if set {
		v = a.Value
	}
	if v != "127.0.0.1" && v != "::1" && v != "localhost" {
		k.flag("bind-address", c, a, set, fmt.Sprintf("%s: --bind-address is %s%s, not 127.0.0.1%s", c.Component, v, ifDefault(set, " (the default)"), cis(id)))
	}
}

func (k *checker) etcd(c *Command) {
	name := string(c.Component)
	k.unset("etcd-tls", c, "clients are served over plain HTTP"+cis("2.1"), "cert-file", "key-file")
	if v, a, set := boolFlag(c, "client-cert-auth", false); !v {
		k.flag("etcd-tls", c, a, set, name+": --client-cert-auth is not true: any client is accepted"+cis("2.2"))
	}
	if v, a, set := boolFlag(c, "auto-tls", false); v {
		k.flag("etcd-tls", c, a, set, name+": --auto-tls=true uses self-signed client certificates"+cis("2.3"))
	}
	k.unset("etcd-peer-tls", c, "peers replicate over plain HTTP"+cis("2.4"), "peer-cert-file", "peer-key-file")
	if v, a, set := boolFlag(c, "peer-client-cert-auth", false); !v {
		k.flag("etcd-peer-tls", c, a, set, name+": --peer-client-cert-auth is not true: any peer is accepted"+cis("2.5"))
	}
	if v, a, set := boolFlag(c, "peer-auto-tls", false); v {
		k.flag("etcd-peer-tls", c, a, set, name+": --peer-auto-tls=true uses self-signed peer certificates"+cis("2.6"))
	}
	k.tlsFlags(c, "tls-min-version", "cipher-suites", "2")
}

// tlsFlags judges a command line's minimum TLS version and cipher suites.
func (k *checker) tlsFlags(c *Command, minFlag, suitesFlag, id string) {
	if a, ok := c.Last(minFlag); ok {
		if msg := weakTLSVersion(a.Value); msg != "" {
			k.flag("tls-min-version", c, a, true, fmt.Sprintf("%s: --%s=%s %s%s", c.Component, minFlag, a.Value, msg, cis(id)))
		}
	}
	if suites, a, ok := c.List(suitesFlag); ok {
		if weak := weakSuites(suites); len(weak) > 0 {
			k.flag("tls-cipher-suites", c, a, true, fmt.Sprintf("%s: --%s lists weak suites: %s%s", c.Component, suitesFlag, strings.Join(weak, ", "), cis(id)))
		}
	}
}

func weakTLSVersion(v string) string {
	switch v {
	case "VersionTLS10", "VersionTLS11":
		return "accepts TLS versions below 1.2"
	}
	return ""
}

// weakSuites returns the suites Go lists as insecure, and the CBC suites.
func weakSuites(suites []string) []string {
	insecure := map[string]bool{}
	for _, s := range tls.InsecureCipherSuites() {
		insecure[s.Name] = true
	}
	var out []string
	for _, s := range suites {
		if insecure[s] || strings.Contains(s, "_CBC_") || strings.Contains(s, "RC4") || strings.Contains(s, "3DES") {
			out = append(out, s)
		}
	}
	return out
}

// kubelet judges a kubelet command line with the configuration file it
// names and that file's drop-ins.
func (k *checker) kubelet(c *Command) {
	var base *Doc
	if a, ok := c.Last("config"); ok {
		base, _ = k.follow(c, a)
	}
	var dropins []*Doc
	if a, ok := c.Last("config-dir"); ok {
		dropins = k.set.DropIns(a.Value)
		for _, d := range dropins {
			k.used[d] = true
		}
	}
	k.kubeletConfig(c, base, dropins)
}

// kubeletConfig judges the kubelet's effective configuration: defaults
// (v1beta1's with a configuration file, the legacy flag defaults without),
// then the file, then its drop-ins in order (JSON merge patches, as the
// kubelet applies them), then command-line flags.
func (k *checker) kubeletConfig(c *Command, base *Doc, dropins []*Doc) {
	layers := []*Doc{}
	if base != nil {
		layers = append(layers, base)
	}
	layers = append(layers, dropins...)
	merged := []byte("{}")
	for _, d := range layers {
		k.used[d] = true
		patch, _ := json.Marshal(d.Content)
		m, err := jsonpatch.MergePatch(merged, patch)
		if err != nil {
			k.doc("config-rejected", d, "", "the kubelet cannot merge the drop-in: "+err.Error())
			continue
		}
		merged = m
		var typed kubeletv1beta1.KubeletConfiguration
		if strict, err := sigsjson.UnmarshalStrict(patch, &typed); err != nil || len(strict) > 0 {
			msg := fmt.Sprint(err)
			if err == nil {
				msg = strict[0].Error()
			}
			k.doc("config-rejected", d, "", "the kubelet refuses the configuration: "+msg)
		}
	}
	var eff map[string]any
	_ = json.Unmarshal(merged, &eff)
	kv := &kubeletValues{eff: eff, layers: layers, cmd: c, withFile: base != nil || len(dropins) > 0}
	k.kubeletChecks(kv)
}

type kubeletValues struct {
	eff      map[string]any
	layers   []*Doc
	cmd      *Command
	withFile bool
}

// where is the origin of an effective value.
type where struct {
	flag  *Arg
	doc   *Doc
	path  string
	isSet bool
}

// get returns the effective value of a configuration field (dotted path),
// overridden by flag when the command line sets it; def is used when
// neither sets it.
func (kv *kubeletValues) get(path, flag string, def any) (any, where) {
	if kv.cmd != nil && flag != "" {
		if a, ok := kv.cmd.Last(flag); ok {
			return a.Value, where{flag: &a, isSet: true}
		}
	}
	if v, ok := lookupPath(kv.eff, path); ok && v != nil {
		for i := len(kv.layers) - 1; i >= 0; i-- {
			if _, ok := lookupPath(kv.layers[i].Content, path); ok {
				return v, where{doc: kv.layers[i], path: path, isSet: true}
			}
		}
		return v, where{isSet: true}
	}
	return def, where{}
}

func lookupPath(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func (k *checker) kubeletReport(kv *kubeletValues, w where, rule, msg string) {
	switch {
	case w.flag != nil:
		k.flag(rule, kv.cmd, *w.flag, true, "kubelet: "+msg)
	case w.doc != nil:
		k.doc(rule, w.doc, w.path, "kubelet: "+msg)
	case kv.cmd != nil:
		k.flag(rule, kv.cmd, Arg{}, false, "kubelet: "+msg)
	case len(kv.layers) > 0:
		k.doc(rule, kv.layers[0], "", "kubelet: "+msg)
	}
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		b, _ := strconv.ParseBool(x)
		return b
	}
	return false
}

func (k *checker) kubeletChecks(kv *kubeletValues) {
	dflt := func(file, flags any) any {
		if kv.withFile {
			return file
		}
		return flags
	}
	src := func(w where) string {
		if w.isSet {
			return ""
		}
		if kv.withFile {
			return " (the configuration file's default)"
		}
		return " (the default without a configuration file)"
	}
	if v, w := kv.get("authentication.anonymous.enabled", "anonymous-auth", dflt(false, true)); truthy(v) {
		k.kubeletReport(kv, w, "kubelet-anonymous-auth", "anonymous requests are accepted"+src(w)+cis("4.2.1"))
	}
	if v, w := kv.get("authorization.mode", "authorization-mode", dflt("Webhook", "AlwaysAllow")); v == "AlwaysAllow" {
		k.kubeletReport(kv, w, "kubelet-authorization-always-allow", "authorization mode AlwaysAllow"+src(w)+cis("4.2.2"))
	}
	if v, w := kv.get("authentication.x509.clientCAFile", "client-ca-file", ""); v == "" {
		k.kubeletReport(kv, w, "kubelet-client-ca", "no client CA file"+cis("4.2.3"))
	}
	if v, w := kv.get("readOnlyPort", "read-only-port", dflt(0.0, 10255.0)); fmt.Sprint(v) != "0" {
		k.kubeletReport(kv, w, "kubelet-read-only-port", fmt.Sprintf("read-only port %v is open%s%s", v, src(w), cis("4.2.4")))
	}
	if v, w := kv.get("streamingConnectionIdleTimeout", "streaming-connection-idle-timeout", "4h0m0s"); v == "0" || v == "0s" {
		k.kubeletReport(kv, w, "kubelet-streaming-timeout", "streaming connections never time out"+cis("4.2.5"))
	}
	if v, w := kv.get("makeIPTablesUtilChains", "make-iptables-util-chains", true); !truthy(v) {
		k.kubeletReport(kv, w, "kubelet-iptables-chains", "makeIPTablesUtilChains is false"+cis("4.2.6"))
	}
	if v, w := kv.get("rotateCertificates", "rotate-certificates", false); !truthy(v) {
		k.kubeletReport(kv, w, "kubelet-rotate-certificates", "client certificate rotation is off"+src(w)+cis("4.2.10"))
	}
	if v, w := kv.get("tlsMinVersion", "tls-min-version", ""); v != "" {
		if msg := weakTLSVersion(fmt.Sprint(v)); msg != "" {
			k.kubeletReport(kv, w, "tls-min-version", fmt.Sprintf("tlsMinVersion %v %s%s", v, msg, cis("4.2.12")))
		}
	}
	if v, w := kv.get("tlsCipherSuites", "tls-cipher-suites", nil); v != nil {
		var suites []string
		switch x := v.(type) {
		case string:
			suites = strings.Split(x, ",")
		case []any:
			for _, s := range x {
				suites = append(suites, fmt.Sprint(s))
			}
		}
		if weak := weakSuites(suites); len(weak) > 0 {
			k.kubeletReport(kv, w, "tls-cipher-suites", "weak cipher suites: "+strings.Join(weak, ", ")+cis("4.2.12"))
		}
	}
	if v, w := kv.get("podPidsLimit", "pod-max-pids", -1.0); toFloat(v) <= 0 {
		k.kubeletReport(kv, w, "kubelet-pid-limit", "podPidsLimit is unlimited"+src(w)+cis("4.2.13"))
	}
	if v, w := kv.get("seccompDefault", "seccomp-default", false); !truthy(v) {
		k.kubeletReport(kv, w, "kubelet-seccomp-default", "seccompDefault is false"+src(w)+cis("4.2.14"))
	}
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}

// admissionConfig judges the PodSecurity plugin's configuration inside an
// AdmissionConfiguration: embedded, or in the file its path names.
func (k *checker) admissionConfig(c *Command, d *Doc) {
	plugins, _ := d.Content["plugins"].([]any)
	for i, p := range plugins {
		m, _ := p.(map[string]any)
		if m["name"] != "PodSecurity" {
			continue
		}
		if cfg, ok := m["configuration"].(map[string]any); ok {
			k.podSecurityConfig(d, cfg, fmt.Sprintf("plugins[%d].configuration.", i))
			continue
		}
		if path, ok := m["path"].(string); ok && path != "" {
			docs, _, found := k.set.Resolve(path)
			if !found || len(docs) == 0 {
				k.set.Warnings = append(k.set.Warnings, &manifest.Error{File: d.Obj.File, Line: d.Obj.FieldLine(fmt.Sprintf("plugins[%d].path", i)), Warning: true,
					Err: fmt.Errorf("PodSecurity configuration %s: file not among the inputs; its content is not judged", path)})
				continue
			}
			k.used[docs[0]] = true
			k.podSecurityConfig(docs[0], docs[0].Content, "")
		}
	}
}

// podSecurityConfig judges a PodSecurityConfiguration (at prefix inside
// d): enforce defaults to privileged.
func (k *checker) podSecurityConfig(d *Doc, cfg map[string]any, prefix string) {
	defaults, _ := cfg["defaults"].(map[string]any)
	enforce, _ := defaults["enforce"].(string)
	if enforce == "" || enforce == "privileged" {
		how := "defaults.enforce is unset (privileged)"
		if enforce != "" {
			how = "defaults.enforce is privileged"
		}
		k.doc("pod-security-default-privileged", d, prefix+"defaults.enforce", "PodSecurity admission: "+how+": namespaces without labels accept any pod")
	}
}
