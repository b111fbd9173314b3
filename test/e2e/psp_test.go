//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/cli"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/psp"
	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

const pspTestdata = "../../internal/psp/testdata"

// pspCase is one PSP: a pod it admitted (with PSP's mutations written out),
// and pods it denied, each by the validation its generated policy names.
type pspCase struct {
	file, name, level string
	allowed           func() *corev1.Pod
	denied            []deniedPod
}

type deniedPod struct {
	field string // the PSP field of the validation that must deny it
	edit  func(*corev1.Pod)
}

func pspPtr[T any](v T) *T { return &v }

// customAllowed is a pod testdata/custom-psp.yaml admits.
func customAllowed() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "ok"},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				RunAsUser: pspPtr(int64(1500)), RunAsGroup: pspPtr(int64(1500)), FSGroup: pspPtr(int64(2500)),
				SupplementalGroups: []int64{1500},
				SeccompProfile:     &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
				Sysctls:            []corev1.Sysctl{{Name: "kernel.msgmax", Value: "65536"}, {Name: "kernel.shm_rmid_forced", Value: "1"}},
			},
			RuntimeClassName: pspPtr("runc"),
			Containers: []corev1.Container{{
				Name: "app", Image: "registry.k8s.io/pause:3.10",
				Ports: []corev1.ContainerPort{{ContainerPort: 8000, HostPort: 8000}},
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: pspPtr(false), ReadOnlyRootFilesystem: pspPtr(true),
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: []corev1.Capability{"NET_BIND_SERVICE"}},
				},
				VolumeMounts: []corev1.VolumeMount{{Name: "logs", MountPath: "/logs", ReadOnly: true}, {Name: "data", MountPath: "/data"}},
			}},
			Volumes: []corev1.Volume{
				{Name: "logs", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log/app"}}},
				{Name: "data", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/data/app"}}},
				{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}},
				{Name: "flex", VolumeSource: corev1.VolumeSource{FlexVolume: &corev1.FlexVolumeSource{Driver: "example/lvm"}}},
				{Name: "inline", VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "inline.csi.example.com"}}},
			},
		},
	}
}

// restrictedAllowed is a restricted pod with testdata/selinux-psp.yaml's mutations.
func restrictedAllowed() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "ok"},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot: pspPtr(true), FSGroup: pspPtr(int64(1)), SupplementalGroups: []int64{1},
				SeccompProfile:  &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
				AppArmorProfile: &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault},
				SELinuxOptions:  &corev1.SELinuxOptions{Level: "s0:c123,c456"},
			},
			Containers: []corev1.Container{{
				Name: "app", Image: "registry.k8s.io/pause:3.10",
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: pspPtr(false),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
}

// simplePod is a pod the documentation's baseline and privileged PSPs
// admit. It sets its seccomp profile: the baseline PSP's default profile
// (unconfined) is not in its allowed list without a trailing comma, so it
// admitted no pod without one.
func simplePod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "ok"},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				AppArmorProfile: &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault},
				SeccompProfile:  &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{Name: "app", Image: "registry.k8s.io/pause:3.10"}},
		},
	}
}

func ctrSC(p *corev1.Pod) *corev1.SecurityContext { return p.Spec.Containers[0].SecurityContext }

var pspCases = []pspCase{
	{file: "custom-psp.yaml", name: "custom", level: "privileged", allowed: customAllowed, denied: []deniedPod{
		{"spec.privileged", func(p *corev1.Pod) { ctrSC(p).Privileged = pspPtr(true); ctrSC(p).AllowPrivilegeEscalation = nil }},
		{"spec.hostNetwork", func(p *corev1.Pod) { p.Spec.HostNetwork = true }},
		{"spec.hostPID", func(p *corev1.Pod) { p.Spec.HostPID = true }},
		{"spec.hostIPC", func(p *corev1.Pod) { p.Spec.HostIPC = true; p.Spec.SecurityContext.Sysctls = nil }}, // IPC sysctls need a pod IPC namespace
		{"spec.hostPorts", func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].HostPort = 9000 }},
		{"spec.volumes", func(p *corev1.Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "nfs", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "nfs", Path: "/"}}})
		}},
		{"spec.allowedHostPaths", func(p *corev1.Pod) { p.Spec.Volumes[1].HostPath.Path = "/etc" }},
		{"spec.allowedHostPaths", func(p *corev1.Pod) { p.Spec.Volumes[1].HostPath.Path = "/database" }},
		{"spec.allowedHostPaths", func(p *corev1.Pod) { p.Spec.Containers[0].VolumeMounts[0].ReadOnly = false }},
		{"spec.allowedFlexVolumes", func(p *corev1.Pod) { p.Spec.Volumes[3].FlexVolume.Driver = "example/other" }},
		{"spec.allowedCSIDrivers", func(p *corev1.Pod) { p.Spec.Volumes[4].CSI.Driver = "other.csi.example.com" }},
		{"spec.allowedCapabilities", func(p *corev1.Pod) { ctrSC(p).Capabilities.Add = []corev1.Capability{"SYS_ADMIN"} }},
		{"spec.requiredDropCapabilities", func(p *corev1.Pod) { ctrSC(p).Capabilities.Drop = []corev1.Capability{"NET_RAW"} }},
		{"spec.allowPrivilegeEscalation", func(p *corev1.Pod) { ctrSC(p).AllowPrivilegeEscalation = nil }},
		{"spec.readOnlyRootFilesystem", func(p *corev1.Pod) { ctrSC(p).ReadOnlyRootFilesystem = pspPtr(false) }},
		{"spec.runAsUser", func(p *corev1.Pod) { ctrSC(p).RunAsUser = pspPtr(int64(0)) }},
		{"spec.runAsUser", func(p *corev1.Pod) { p.Spec.SecurityContext.RunAsUser = nil }},
		{"spec.runAsGroup", func(p *corev1.Pod) { p.Spec.SecurityContext.RunAsGroup = pspPtr(int64(5)) }},
		{"spec.supplementalGroups", func(p *corev1.Pod) { p.Spec.SecurityContext.SupplementalGroups = []int64{0} }},
		{"spec.fsGroup", func(p *corev1.Pod) { p.Spec.SecurityContext.FSGroup = nil }},
		{"spec.allowedUnsafeSysctls", func(p *corev1.Pod) {
			p.Spec.SecurityContext.Sysctls = append(p.Spec.SecurityContext.Sysctls, corev1.Sysctl{Name: "kernel.sem", Value: "1 2 3 4"})
		}},
		{"spec.allowedUnsafeSysctls", func(p *corev1.Pod) {
			p.Spec.SecurityContext.Sysctls = append(p.Spec.SecurityContext.Sysctls, corev1.Sysctl{Name: "net.ipv4.tcp_syncookies", Value: "1"})
		}},
		{"spec.runtimeClass.allowedRuntimeClassNames", func(p *corev1.Pod) { p.Spec.RuntimeClassName = pspPtr("kata") }},
		{`metadata.annotations["seccomp.security.alpha.kubernetes.io/allowedProfileNames"]`, func(p *corev1.Pod) {
			ctrSC(p).SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}},
		{`metadata.annotations["apparmor.security.beta.kubernetes.io/allowedProfileNames"]`, func(p *corev1.Pod) {
			ctrSC(p).AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
		}},
	}},
	{file: "selinux-psp.yaml", name: "restricted-selinux", level: "restricted", allowed: restrictedAllowed, denied: []deniedPod{
		{"spec.seLinux.seLinuxOptions", func(p *corev1.Pod) { p.Spec.SecurityContext.SELinuxOptions.Level = "s0:c1,c2" }},
		{"spec.seLinux.seLinuxOptions", func(p *corev1.Pod) { p.Spec.SecurityContext.SELinuxOptions = nil }},
		{"spec.fsGroup", func(p *corev1.Pod) { p.Spec.SecurityContext.FSGroup = nil }},
		{"spec.supplementalGroups", func(p *corev1.Pod) { p.Spec.SecurityContext.SupplementalGroups = nil }},
		{"spec.allowedCapabilities", func(p *corev1.Pod) { ctrSC(p).Capabilities.Add = []corev1.Capability{"NET_BIND_SERVICE"} }},
		{`metadata.annotations["seccomp.security.alpha.kubernetes.io/allowedProfileNames"]`, func(p *corev1.Pod) {
			p.Spec.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: pspPtr("audit.json")}
		}},
		{`metadata.annotations["apparmor.security.beta.kubernetes.io/allowedProfileNames"]`, func(p *corev1.Pod) { p.Spec.SecurityContext.AppArmorProfile = nil }},
	}},
	{file: "restricted-psp.yaml", name: "restricted", level: "privileged", allowed: restrictedAllowed, denied: []deniedPod{
		{"spec.privileged", func(p *corev1.Pod) { ctrSC(p).Privileged = pspPtr(true); ctrSC(p).AllowPrivilegeEscalation = nil }},
		{"spec.volumes", func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
		}},
		{"spec.runAsUser", func(p *corev1.Pod) { p.Spec.SecurityContext.RunAsNonRoot = nil }},
		{"spec.requiredDropCapabilities", func(p *corev1.Pod) { ctrSC(p).Capabilities = nil }},
	}},
	{file: "baseline-psp.yaml", name: "baseline", level: "privileged", allowed: simplePod, denied: []deniedPod{
		{"spec.volumes", func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
		}},
		{"spec.allowedCapabilities", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}}}
		}},
		{"spec.hostNetwork", func(p *corev1.Pod) { p.Spec.HostNetwork = true }},
	}},
	{file: "privileged-psp.yaml", name: "privileged", level: "privileged", allowed: simplePod, denied: []deniedPod{
		{"spec.allowedUnsafeSysctls", func(p *corev1.Pod) {
			p.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "kernel.msgmax", Value: "65536"}}
		}},
	}},
}

// TestPSP proves the ValidatingAdmissionPolicies `kubeward psp
// --emit-policies` generates against a real kube-apiserver: each is
// accepted and type-checks without warnings, and in a namespace labelled
// as the report suggests (enforce=<the PSP's level>, kubeward.io/psp=<name>)
// the API server admits a pod the PSP admitted and denies, by the expected
// validation, each pod the PSP denied and Pod Security at that level admits.
func TestPSP(t *testing.T) {
	// kube-controller-manager's status controller type-checks policies.
	cp := controlplane.Start(t, controlplane.Options{ControllerManager: true, Controllers: []string{"validatingadmissionpolicy-status-controller"}})
	ctx := context.Background()
	dir := t.TempDir()
	args := []string{"psp", "--emit-policies", dir, "-o", "json", "--output-file", filepath.Join(dir, "report.json")}
	for _, c := range pspCases {
		args = append(args, filepath.Join(pspTestdata, c.file))
	}
	var out, errb bytes.Buffer
	if code := cli.Main(args, cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("kubeward %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	}
	var rep struct {
		Policies []struct {
			Name, Level string
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	levels := map[string]string{}
	for _, p := range rep.Policies {
		levels[p.Name] = p.Level
	}
	for _, name := range []string{"runc", "kata"} {
		rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Handler: name}
		if _, err := cp.Client.NodeV1().RuntimeClasses().Create(ctx, rc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range pspCases {
		t.Run(c.name, func(t *testing.T) {
			if levels[c.name] != c.level {
				t.Fatalf("report: PSP %s maps to %q, want %q", c.name, levels[c.name], c.level)
			}
			vap, binding := readPolicy(t, filepath.Join(dir, psp.PolicyNameFor(c.name)+".yaml"))
			ns := "psp-" + c.name
			_, err := cp.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{
				"pod-security.kubernetes.io/enforce": c.level, psp.NamespaceLabel: c.name,
			}}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			dryRun := func(ctx context.Context, p *corev1.Pod) error {
				_, err := cp.Client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
				return err
			}
			first := c.allowed()
			c.denied[0].edit(first)
			checked := cp.RegisterValidatingAdmissionPolicy(t, vap, binding, func(ctx context.Context) (bool, error) {
				err := dryRun(ctx, first.DeepCopy())
				return err != nil && strings.Contains(err.Error(), vap.Name), nil
			})
			if tc := checked.Status.TypeChecking; tc != nil && len(tc.ExpressionWarnings) > 0 {
				for _, w := range tc.ExpressionWarnings {
					t.Errorf("type checking %s: %s", w.FieldRef, w.Warning)
				}
			}
			if err := dryRun(ctx, c.allowed()); err != nil {
				t.Errorf("a pod PSP %s admits was denied: %v", c.name, err)
			}
			for i, d := range c.denied {
				p := c.allowed()
				d.edit(p)
				err := dryRun(ctx, p)
				want := "(" + d.field + ")"
				switch {
				case err == nil:
					t.Errorf("denied[%d] (%s): admitted", i, d.field)
				case !strings.Contains(err.Error(), vap.Name) || !strings.Contains(err.Error(), want):
					t.Errorf("denied[%d] (%s): denied, but not by %s's validation %s: %v", i, d.field, vap.Name, want, err)
				}
			}
		})
	}
}

// readPolicy reads the policy and binding of one emitted file.
func readPolicy(t *testing.T, path string) (*admissionregistrationv1.ValidatingAdmissionPolicy, *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var vap *admissionregistrationv1.ValidatingAdmissionPolicy
	var binding *admissionregistrationv1.ValidatingAdmissionPolicyBinding
	err = manifest.Decode(path, data, func(o *manifest.Object) error {
		switch x := o.Object.(type) {
		case *admissionregistrationv1.ValidatingAdmissionPolicy:
			vap = x
		case *admissionregistrationv1.ValidatingAdmissionPolicyBinding:
			binding = x
		default:
			t.Errorf("%s:%d: unexpected %s", o.File, o.Line, o.Kind)
		}
		return nil
	}, func(e *manifest.Error) { t.Errorf("%v", e) })
	if err != nil || vap == nil || binding == nil {
		t.Fatalf("%s: policy %v, binding %v, error %v", path, vap != nil, binding != nil, err)
	}
	return vap, binding
}

// TestPSPCluster runs kubeward psp --kubeconfig against a real API server:
// PSPs from files (v1.37 serves none), namespaces, pods and RBAC from the
// cluster, and checks each namespace's suggestion.
func TestPSPCluster(t *testing.T) {
	cp := controlplane.Start(t, controlplane.Options{})
	ctx := context.Background()
	for _, ns := range []string{"shop", "ops"} {
		if _, err := cp.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	use := func(name string) *rbacv1.ClusterRole {
		return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "psp:" + name}, Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{"policy"}, Resources: []string{"podsecuritypolicies"}, Verbs: []string{"use"}, ResourceNames: []string{name},
		}}}
	}
	ref := func(name string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "psp:" + name}
	}
	rb := cp.Client.RbacV1()
	for _, n := range []string{"restricted-selinux", "privileged"} {
		if _, err := rb.ClusterRoles().Create(ctx, use(n), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rb.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "psp:restricted-selinux"},
		RoleRef: ref("restricted-selinux"), Subjects: []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:serviceaccounts"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rb.RoleBindings("ops").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "psp:privileged"},
		RoleRef: ref("privileged"), Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "node-debugger", Namespace: "ops"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	web := restrictedAllowed()
	web.Name, web.Annotations = "web", map[string]string{psp.AnnotationPodPSP: "restricted-selinux"}
	if _, err := cp.Client.CoreV1().Pods("shop").Create(ctx, web, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dbg := simplePod()
	dbg.Name, dbg.Annotations = "debugger", map[string]string{psp.AnnotationPodPSP: "privileged"}
	dbg.Spec.ServiceAccountName = "node-debugger"
	dbg.Spec.HostPID = true
	if _, err := cp.Client.CoreV1().Pods("ops").Create(ctx, dbg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	args := []string{"psp", "-o", "json", "--kubeconfig", cp.Kubeconfig(t, "admin", "system:masters"),
		filepath.Join(pspTestdata, "selinux-psp.yaml"), filepath.Join(pspTestdata, "privileged-psp.yaml")}
	var out, errb bytes.Buffer
	if code := cli.Main(args, cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("kubeward %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	var rep struct {
		Namespaces []struct {
			Name, Suggested, Command, ValidatingAdmissionPolicy string
			Usable                                              []struct {
				Name     string
				Subjects []string
			} `json:"usablePolicies"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ level, vap, subject string }{
		"shop": {"restricted", "psp-restricted-selinux", "Group system:serviceaccounts"},
		"ops":  {"privileged", "psp-privileged", "ServiceAccount ops/node-debugger"},
	}
	seen := 0
	for _, n := range rep.Namespaces {
		w, ok := want[n.Name]
		if !ok {
			continue
		}
		seen++
		var subjects []string
		for _, u := range n.Usable {
			subjects = append(subjects, u.Subjects...)
		}
		if n.Suggested != w.level || n.ValidatingAdmissionPolicy != w.vap || !slices.Contains(subjects, w.subject) {
			t.Errorf("%s: suggested %s, policy %q, subjects %q; want %s, %q, %q", n.Name, n.Suggested, n.ValidatingAdmissionPolicy, subjects, w.level, w.vap, w.subject)
		}
		// The suggested label, applied with a server-side dry run, admits
		// the namespace's running pods: no warning names them.
		nsObj, err := cp.Client.CoreV1().Namespaces().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		nsObj.Labels["pod-security.kubernetes.io/enforce"] = n.Suggested
		var warnings recordWarnings
		cfg := *cp.Config
		cfg.WarningHandler = &warnings
		c := kubernetes.NewForConfigOrDie(&cfg)
		if _, err := c.CoreV1().Namespaces().Update(ctx, nsObj, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Fatal(err)
		}
		if len(warnings) > 0 {
			t.Errorf("%s: enforce=%s warns about running pods: %q", n.Name, n.Suggested, warnings)
		}
		if n.Name == "ops" { // the check can fail: restricted would reject the debugger
			nsObj.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
			if _, err := c.CoreV1().Namespaces().Update(ctx, nsObj, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
				t.Fatal(err)
			}
			if len(warnings) == 0 {
				t.Error("ops: enforce=restricted gave no warning about the privileged debugger pod")
			}
		}
	}
	if seen != len(want) {
		t.Errorf("report has %d of the namespaces %v", seen, want)
	}
}

type recordWarnings []string

func (r *recordWarnings) HandleWarningHeader(_ int, _ string, text string) { *r = append(*r, text) }
