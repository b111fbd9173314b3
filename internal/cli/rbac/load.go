package rbac

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cluster"
	"github.com/kubeward/kubeward/internal/kinds"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
)

// source selects where RBAC objects come from: manifests (-f) or a cluster.
type source struct {
	files           []string
	kubeconfig      string
	context         string
	includeDefaults bool
	chunkSize       int64
	// namespace is given to namespaced objects of -f that have none, as
	// kubectl apply -n does; empty means "default".
	namespace string
}

func (src *source) addFlags(fl *pflag.FlagSet) {
	fl.StringArrayVarP(&src.files, "filename", "f", nil, "manifest file or directory to read RBAC objects from (repeatable; - for stdin); without -f the cluster of the kubeconfig is read")
	fl.StringVar(&src.kubeconfig, "kubeconfig", "", "kubeconfig file of the cluster to read (default: $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&src.context, "context", "", "kubeconfig context to use")
	fl.Int64Var(&src.chunkSize, "chunk-size", 500, "without -f, list the cluster's objects in pages of this many (0: each kind in one response)")
	fl.BoolVar(&src.includeDefaults, "include-defaults", true, "with -f, add the roles and bindings every kube-apiserver "+bootstrap.Version+" creates at start-up (system:basic-user, system:discovery, admin/edit/view, cluster-admin, ...)")
}

// loaded is what a command works on.
type loaded struct {
	index *rbac.Index
	// errors are *manifest.Error for unreadable input, plain errors for
	// problems across objects (duplicates, invalid aggregation selectors).
	errors []error
	// warnings are problems Kubernetes tolerates (an object defined twice:
	// the later one is used, as kubectl apply would): reported, not fatal.
	warnings []error
	// objects counts the objects read, as scan counts them: every object of
	// the files (not the default policy added to them), or every object
	// listed from the cluster.
	objects int
}

// load reads the objects and builds the index. Input problems are returned
// in loaded.errors (the caller reports them and exits 2); a returned error
// means nothing could be read.
func (src *source) load(stdin io.Reader) (*loaded, error) {
	p := &rbac.Policy{}
	out := &loaded{}
	if len(src.files) == 0 {
		if src.chunkSize < 0 {
			return nil, clierr.Usage(fmt.Errorf("--chunk-size %d: want 0 or more", src.chunkSize))
		}
		p, err := src.loadCluster()
		if err != nil {
			return nil, err
		}
		out.index = rbac.NewIndex(p, rbac.Options{})
		out.addProblems(out.index.Problems())
		out.objects = len(p.Roles) + len(p.ClusterRoles) + len(p.RoleBindings) + len(p.ClusterRoleBindings) +
			len(p.ServiceAccounts) + len(p.Namespaces) + len(p.ResourceQuotas) + len(p.Workloads)
		return out, nil
	}
	if src.kubeconfig != "" || src.context != "" {
		return nil, clierr.Usage(errors.New("-f and --kubeconfig/--context are exclusive: read manifests or a cluster"))
	}
	if src.includeDefaults {
		var err error
		if p, err = rbac.NewPolicyWithDefaults(); err != nil {
			return nil, fmt.Errorf("default policy: %w", err)
		}
	}
	r := manifest.Reader{Stdin: stdin}
	ns := src.namespace
	if ns == "" {
		ns = "default"
	}
	err := r.Read(src.files, func(o *manifest.Object) error {
		kinds.SetDefaultNamespace(o.Object, ns)
		p.Add(o.Object, rbac.Source{File: o.File, Line: o.Line})
		out.objects++
		return nil
	}, func(e *manifest.Error) {
		if e.Warning {
			out.warnings = append(out.warnings, e)
		} else {
			out.errors = append(out.errors, e)
		}
	})
	if err != nil {
		return nil, err
	}
	out.index = rbac.NewIndex(p, rbac.Options{Aggregate: true})
	out.addProblems(out.index.Problems())
	return out, nil
}

func (l *loaded) addProblems(ps []*rbac.Problem) {
	for _, pr := range ps {
		if pr.Warning {
			l.warnings = append(l.warnings, pr)
		} else {
			l.errors = append(l.errors, pr)
		}
	}
}

func (src *source) restClient() (kubernetes.Interface, error) {
	cfg, err := cluster.Load(src.kubeconfig, src.context, "kubeward-rbac")
	if err != nil {
		return nil, &clierr.ExitError{Code: clierr.CodeError, Err: err, Hint: "give manifests with -f, or a cluster with --kubeconfig/--context"}
	}
	return kubernetes.NewForConfig(cfg)
}

// loadCluster lists every object the engine uses (cluster.RBACResources),
// in pages of src.chunkSize objects (client-go's pager, as kubectl pages):
// a large cluster's pods are never held whole, and managedFields, which
// the engine never reads, are dropped. The cluster's own aggregation
// controller has already computed aggregated roles, and its default policy
// is part of what is listed.
func (src *source) loadCluster() (*rbac.Policy, error) {
	c, err := src.restClient()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l := &cluster.Lister{Client: c, PageSize: src.chunkSize}
	return l.Policy(ctx, cluster.RBACResources)
}
