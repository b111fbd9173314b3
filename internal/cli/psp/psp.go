// Package psp is the kubeward psp command: PodSecurityPolicy → Pod Security
// Admission migration, offline, from manifests or `kubectl get -o yaml`
// output of a cluster that still has PSPs.
package psp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/output"
	"github.com/kubeward/kubeward/internal/kinds"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/psp"
	"github.com/kubeward/kubeward/internal/rbac"
)

type flags struct {
	out        *output.Flags
	version    string
	namespace  string
	emit       string
	kubeconfig string
	context    string
}

// NewCommand returns the psp command.
func NewCommand(s clierr.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "psp PATH...",
		Short: "Plan the migration from PodSecurityPolicy to Pod Security Admission",
		Long: `psp reads PodSecurityPolicies (policy/v1beta1 or extensions/v1beta1, e.g. from
'kubectl get psp -o yaml' of an older cluster), and optionally pods, namespaces and RBAC objects
(e.g. 'kubectl get pods,ns,sa,roles,rolebindings,clusterroles,clusterrolebindings -A -o yaml'), and
prints, per PSP, the Pod Security level it corresponds to, the fields that keep it from a more
restrictive level, the mutations to write into pod specs instead, and the validations Pod Security
does not make (generated as a ValidatingAdmissionPolicy with --emit-policies); per namespace, the
PSPs its subjects may use and the pod-security.kubernetes.io/enforce label to set.`,
		Example: `  kubectl get psp -o yaml > psp.yaml
  kubectl get pods,ns,roles,rolebindings,clusterroles,clusterrolebindings -A -o yaml > objects.yaml
  kubeward psp psp.yaml objects.yaml
  kubeward psp psp.yaml --emit-policies policies/   # one ValidatingAdmissionPolicy + binding per PSP
  kubeward psp psp.yaml --emit-policies - | kubectl apply -f -`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			reportAsked := cmd.Flags().Changed("output") || cmd.Flags().Changed("format")
			return run(s, f, args, reportAsked)
		},
	}
	fl := cmd.Flags()
	f.out = output.Register(fl, "text", "text", "json")
	fl.StringVar(&f.version, "pod-security-version", "v1.37", "Pod Security policy version to map to and to pin in the suggested enforce-version label (v1.N or latest)")
	fl.StringVarP(&f.namespace, "namespace", "n", "default", "namespace of pods that have none, as kubectl apply -n")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "also read namespaces, pods and RBAC objects (and PodSecurityPolicies, from a cluster older than v1.25) from the cluster of this kubeconfig")
	fl.StringVar(&f.context, "context", "", "kubeconfig context of the cluster to read (implies reading the cluster; the kubeconfig is then --kubeconfig, $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.emit, "emit-policies", "", "write the generated ValidatingAdmissionPolicy and binding of each PSP to DIR/psp-NAME.yaml, or all to stdout with - (then the report is written only where -o/--output-file send it)")
	return cmd
}

type input struct {
	analyses []*psp.Analysis
	sources  map[string]manifest.Object // PSP name → where it was read
	pods     []*corev1.Pod
	nss      []string
	policy   *rbac.Policy
	errs     []error
	warnings []error
	// fromCluster marks RBAC read from a cluster (aggregation already done).
	fromCluster bool
}

func run(s clierr.Streams, f *flags, paths []string, reportAsked bool) error {
	v, err := podsecurity.ParseVersion(f.version)
	if err != nil {
		return clierr.Usage(fmt.Errorf("--pod-security-version %q: %w", f.version, err))
	}
	if len(paths) == 0 && f.kubeconfig == "" && f.context == "" {
		return clierr.Usage(errors.New("give PodSecurityPolicy manifests (PATH... or - for stdin), or a cluster with --kubeconfig/--context"))
	}
	targets, err := f.out.Targets()
	if err != nil {
		return clierr.Usage(err)
	}
	if f.emit == "-" {
		var files []output.Target
		for _, t := range targets {
			if !t.Stdout() {
				files = append(files, t)
			} else if reportAsked {
				return clierr.Usage(errors.New("--emit-policies - writes the policies to stdout: give the report an --output-file"))
			}
		}
		targets = files
	} else if f.emit != "" {
		if fi, err := os.Stat(f.emit); err != nil || !fi.IsDir() {
			return clierr.Usage(fmt.Errorf("--emit-policies %s: not a directory (give an existing directory, or - for stdout)", f.emit))
		}
	}
	w, err := output.Open(s.Out, targets)
	if err != nil {
		return clierr.Usage(err)
	}
	defer w.Close()

	in, err := read(s.In, paths, f.namespace, v)
	if err != nil {
		return &clierr.ExitError{Code: clierr.CodeError, Err: err}
	}
	if f.kubeconfig != "" || f.context != "" {
		if err := readCluster(context.Background(), in, f.kubeconfig, f.context, v); err != nil {
			return &clierr.ExitError{Code: clierr.CodeError, Err: err}
		}
		sort.SliceStable(in.analyses, func(i, j int) bool { return in.analyses[i].Name < in.analyses[j].Name })
	}
	for _, e := range in.warnings {
		fmt.Fprintf(s.Err, "kubeward: warning: %v\n", e)
	}
	for _, e := range in.errs {
		fmt.Fprintf(s.Err, "kubeward: error: %v\n", e)
	}
	var authz *rbac.Index
	if in.policy != nil {
		// Objects listed from a cluster were aggregated by its controller.
		authz = rbac.NewIndex(in.policy, rbac.Options{Aggregate: !in.fromCluster})
	}
	plans := psp.Plan(&psp.Inventory{Analyses: in.analyses, Version: v, Pods: in.pods, Namespaces: in.nss, Authz: authz})
	rep := newReport(in, plans, v)
	for i, t := range w.Targets() {
		var render func(io.Writer) error
		switch t.Format {
		case "json":
			render = rep.writeJSON
		default:
			render = rep.writeText
		}
		if err := w.Write(i, render); err != nil {
			return err
		}
	}
	if f.emit != "" {
		if err := emit(s.Out, f.emit, in.analyses); err != nil {
			return &clierr.ExitError{Code: clierr.CodeError, Err: err}
		}
	}
	if err := w.Commit(); err != nil {
		return &clierr.ExitError{Code: clierr.CodeError, Err: err}
	}
	if len(in.errs) > 0 {
		return clierr.Failed()
	}
	return nil
}

// read reads every object of paths: PSPs are decoded and analysed, pods,
// namespaces and RBAC objects kept; other kinds are ignored.
func read(stdin io.Reader, paths []string, defaultNS string, v podsecurity.Version) (*input, error) {
	in := &input{sources: map[string]manifest.Object{}}
	r := manifest.Reader{Stdin: stdin}
	rbacSeen := false
	policy := &rbac.Policy{}
	err := r.Read(paths, func(o *manifest.Object) error {
		if psp.IsPSP(o.APIVersion, o.Kind) {
			in.addPSP(o, v)
			return nil
		}
		kinds.SetDefaultNamespace(o.Object, defaultNS)
		switch obj := o.Object.(type) {
		case *corev1.Pod:
			in.pods = append(in.pods, obj)
			return nil
		case *corev1.Namespace:
			in.nss = append(in.nss, obj.Name)
		}
		if isRBAC(o.Object) {
			rbacSeen = true
		}
		policy.Add(o.Object, rbac.Source{File: o.File, Line: o.Line})
		return nil
	}, func(e *manifest.Error) {
		if e.Warning {
			in.warnings = append(in.warnings, e)
		} else {
			in.errs = append(in.errs, e)
		}
	})
	if err != nil {
		return nil, err
	}
	if rbacSeen {
		in.policy = policy
	}
	sort.SliceStable(in.analyses, func(i, j int) bool { return in.analyses[i].Name < in.analyses[j].Name })
	return in, nil
}

// addPSP decodes and analyses one PSP; a name given twice is an error.
func (in *input) addPSP(o *manifest.Object, v podsecurity.Version) {
	p, errs := psp.FromObject(o)
	for _, e := range errs {
		in.errs = append(in.errs, e)
	}
	if p == nil {
		return
	}
	if prev, dup := in.sources[p.Name]; dup {
		in.errs = append(in.errs, &manifest.Error{File: o.File, Line: o.Line, Err: fmt.Errorf("PodSecurityPolicy %s is also defined at %s:%d", p.Name, prev.File, prev.Line)})
		return
	}
	in.sources[p.Name] = manifest.Object{File: o.File, Line: o.Line}
	in.analyses = append(in.analyses, psp.Analyze(p, v))
}

func isRBAC(obj runtime.Object) bool {
	gvk := obj.GetObjectKind().GroupVersionKind()
	return gvk.Group == "rbac.authorization.k8s.io"
}

// emit writes the generated policies: to stdout as one YAML stream when
// dest is "-", else one file per PSP in directory dest.
func emit(stdout io.Writer, dest string, analyses []*psp.Analysis) error {
	for _, a := range analyses {
		doc, err := policyYAML(a)
		if err != nil || doc == nil {
			if err != nil {
				return fmt.Errorf("PodSecurityPolicy %s: %w", a.Name, err)
			}
			continue
		}
		if dest == "-" {
			if _, err := stdout.Write(doc); err != nil {
				return err
			}
			continue
		}
		path := filepath.Join(dest, a.PolicyName()+".yaml")
		if err := os.WriteFile(path, doc, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}

// policyYAML renders a's ValidatingAdmissionPolicy and binding as a YAML
// stream; nil when nothing is uncovered.
func policyYAML(a *psp.Analysis) ([]byte, error) {
	vap, binding := a.Policy()
	if vap == nil {
		return nil, nil
	}
	out := []byte(fmt.Sprintf("# Generated by kubeward psp from PodSecurityPolicy %s: what it validated that\n# Pod Security %s does not. Label a namespace %s=%s to apply it.\n", a.Name, a.Level, psp.NamespaceLabel, a.Name))
	for _, obj := range []runtime.Object{vap, binding} {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, err
		}
		if md, ok := m["metadata"].(map[string]any); ok {
			delete(md, "creationTimestamp")
		}
		delete(m, "status")
		b, err := yaml.Marshal(m)
		if err != nil {
			return nil, err
		}
		out = append(out, "---\n"...)
		out = append(out, b...)
	}
	return out, nil
}
