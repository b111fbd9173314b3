// Package controlplane starts a real kube-apiserver and etcd (and optionally
// kube-controller-manager) for kubeward's end-to-end tests, through
// controller-runtime's envtest, and offers the helpers those tests share:
// audit log reading, per-request warning and audit ID capture, webhook
// registration that waits until the webhook takes effect, and self-signed
// serving certificates.
//
// Binaries come from $KUBEBUILDER_ASSETS, else from the cache directory that
// hack/testbin/build.sh fills ($KUBEWARD_E2E_BIN, else
// ${XDG_CACHE_HOME:-$HOME/.cache}/kubeward-e2e/<version>). When they are
// missing, Start fails the test if KUBEWARD_E2E=1 (CI) and skips it otherwise,
// naming the command that builds them.
//
// The package is for tests only: it calls t.Fatal on errors and registers
// cleanups with t.Cleanup.
package controlplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"
)

// quietEnvtest silences controller-runtime's logger, which envtest uses and
// which otherwise prints a stack trace complaining that it was never set.
var quietEnvtest = sync.OnceFunc(func() { crlog.SetLogger(logr.Discard()) })

// Version is the Kubernetes version of the control-plane binaries the tests
// expect (the one hack/testbin builds).
const Version = "v1.37.2"

// BuildCommand is the command that builds the binaries, quoted in skip and
// failure messages.
const BuildCommand = "hack/testbin/build.sh"

// Options configures a control plane. The zero value starts kube-apiserver with
// envtest's defaults plus the flags this machine needs
// (advertise-address=127.0.0.1, endpoint-reconciler-type=none) and the
// ServiceAccount admission plugin disabled (no controller creates service
// accounts).
type Options struct {
	// APIServerFlags are extra kube-apiserver flags, "--name=value" or
	// "--name" (a boolean set to true). A flag given here replaces envtest's default
	// for the same name, except --disable-admission-plugins, whose values are
	// merged with ServiceAccount (always disabled).
	APIServerFlags []string

	// AuditPolicy, when not empty, is an audit policy (audit.k8s.io/v1 Policy
	// YAML). Start writes it, enables the JSON log backend and exposes the log
	// as ControlPlane.AuditLogPath.
	AuditPolicy string

	// AdmissionConfig, when not empty, is an AdmissionConfiguration
	// (apiserver.config.k8s.io/v1) YAML. Start writes it and passes
	// --admission-control-config-file.
	AdmissionConfig string

	// ControllerManager starts kube-controller-manager against this API server
	// once it is up, running only Controllers (kube-controller-manager's
	// --controllers syntax; empty means its default set).
	ControllerManager bool
	Controllers       []string

	// ControllerManagerFlags are extra kube-controller-manager flags.
	ControllerManagerFlags []string
}

// ControlPlane is a running control plane. Its fields are read-only.
type ControlPlane struct {
	// Config authenticates as "admin" in group system:masters.
	Config *rest.Config
	// Client is a clientset for Config.
	Client kubernetes.Interface
	// Dir is a per-control-plane scratch directory (files written by Start live
	// here).
	Dir string
	// AuditLogPath is the audit log (JSON lines), empty without Options.AuditPolicy.
	AuditLogPath string
	// APIServerLogPath and ControllerManagerLogPath hold the processes' output.
	APIServerLogPath         string
	ControllerManagerLogPath string

	env   *envtest.Environment
	audit auditReader
}

// BinaryDir returns the directory the control-plane binaries are taken from
// and whether it holds all of names.
func BinaryDir(names ...string) (string, bool) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = os.Getenv("KUBEWARD_E2E_BIN")
	}
	if dir == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", false
			}
			cache = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(cache, "kubeward-e2e", Version)
	}
	for _, n := range names {
		fi, err := os.Stat(filepath.Join(dir, n))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return dir, false
		}
	}
	return dir, true
}

// RequireBinaries fails (KUBEWARD_E2E=1) or skips the test when a binary in
// names is missing, and returns their directory.
func RequireBinaries(t testing.TB, names ...string) string {
	t.Helper()
	dir, ok := BinaryDir(names...)
	if ok {
		return dir
	}
	msg := fmt.Sprintf("control-plane binaries %v not found in %s; build them with %s (or set KUBEBUILDER_ASSETS)", names, dir, BuildCommand)
	if os.Getenv("KUBEWARD_E2E") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Start starts a control plane for the test and stops it in t.Cleanup. It
// fails the test when the control plane does not become ready.
func Start(t testing.TB, opts Options) *ControlPlane {
	t.Helper()
	bins := []string{"etcd", "kube-apiserver"}
	if opts.ControllerManager {
		bins = append(bins, "kube-controller-manager")
	}
	binDir := RequireBinaries(t, bins...)
	quietEnvtest()

	dir := t.TempDir()
	cp := &ControlPlane{Dir: dir, APIServerLogPath: filepath.Join(dir, "kube-apiserver.log")}
	apiLog, err := os.Create(cp.APIServerLogPath)
	if err != nil {
		t.Fatalf("creating api server log: %v", err)
	}
	t.Cleanup(func() { apiLog.Close() })
	etcdLog, err := os.Create(filepath.Join(dir, "etcd.log"))
	if err != nil {
		t.Fatalf("creating etcd log: %v", err)
	}
	t.Cleanup(func() { etcdLog.Close() })

	env := &envtest.Environment{
		BinaryAssetsDirectory:    binDir,
		ControlPlaneStartTimeout: 90 * time.Second,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	env.ControlPlane.Etcd = &envtest.Etcd{Out: etcdLog, Err: etcdLog}
	api := env.ControlPlane.GetAPIServer()
	api.Out, api.Err = apiLog, apiLog
	args := api.Configure()
	args.Set("advertise-address", "127.0.0.1")
	args.Set("endpoint-reconciler-type", "none")

	disabled := []string{"ServiceAccount"}
	for _, f := range opts.APIServerFlags {
		name, value, hasValue := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if name == "" {
			t.Fatalf("invalid api server flag %q", f)
		}
		if !hasValue {
			value = "true" // a boolean flag given as --name
		}
		if name == "disable-admission-plugins" {
			for _, p := range strings.Split(value, ",") {
				if p != "" && !slices.Contains(disabled, p) {
					disabled = append(disabled, p)
				}
			}
			continue
		}
		args.Set(name, value)
	}
	args.Set("disable-admission-plugins", strings.Join(disabled, ","))

	if opts.AuditPolicy != "" {
		policy := filepath.Join(dir, "audit-policy.yaml")
		writeFile(t, policy, opts.AuditPolicy)
		cp.AuditLogPath = filepath.Join(dir, "audit.log")
		args.Set("audit-policy-file", policy)
		args.Set("audit-log-path", cp.AuditLogPath)
		args.Set("audit-log-format", "json")
		args.Set("audit-log-mode", "blocking")
		cp.audit.path = cp.AuditLogPath
	}
	if opts.AdmissionConfig != "" {
		cfg := filepath.Join(dir, "admission-config.yaml")
		writeFile(t, cfg, opts.AdmissionConfig)
		args.Set("admission-control-config-file", cfg)
	}

	started := time.Now()
	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop()
		t.Fatalf("starting control plane: %v\n%s", err, tail(cp.APIServerLogPath, 40))
	}
	t.Logf("control plane ready in %s (dir %s)", time.Since(started).Round(time.Millisecond), dir)
	cp.env = env
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kube-apiserver log tail:\n%s", tail(cp.APIServerLogPath, 30))
		}
		if err := env.Stop(); err != nil {
			t.Errorf("stopping control plane: %v", err)
		}
	})
	cp.Config = rest.CopyConfig(cfg)
	cp.Client, err = kubernetes.NewForConfig(cp.Config)
	if err != nil {
		t.Fatalf("creating clientset: %v", err)
	}
	if opts.ControllerManager {
		cp.startControllerManager(t, binDir, opts)
	}
	return cp
}

// User returns a rest.Config that authenticates as name with groups (client
// certificate). Authorization is the API server's: with the default RBAC mode
// a user outside system:masters needs bindings.
func (cp *ControlPlane) User(t testing.TB, name string, groups ...string) *rest.Config {
	t.Helper()
	u, err := cp.env.AddUser(envtest.User{Name: name, Groups: groups}, &rest.Config{QPS: 1000, Burst: 2000})
	if err != nil {
		t.Fatalf("adding user %s: %v", name, err)
	}
	return rest.CopyConfig(u.Config())
}

// Kubeconfig writes a kubeconfig file for user name (in groups) and returns
// its path.
func (cp *ControlPlane) Kubeconfig(t testing.TB, name string, groups ...string) string {
	t.Helper()
	u, err := cp.env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		t.Fatalf("adding user %s: %v", name, err)
	}
	data, err := u.KubeConfig()
	if err != nil {
		t.Fatalf("kubeconfig for %s: %v", name, err)
	}
	f, err := os.CreateTemp(cp.Dir, name+"-*.kubeconfig")
	if err != nil {
		t.Fatalf("writing kubeconfig: %v", err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatalf("writing kubeconfig: %v", err)
	}
	return f.Name()
}

func (cp *ControlPlane) startControllerManager(t testing.TB, binDir string, opts Options) {
	t.Helper()
	kubeconfig := cp.Kubeconfig(t, "system:kube-controller-manager", "system:masters")
	cp.ControllerManagerLogPath = filepath.Join(cp.Dir, "kube-controller-manager.log")
	logf, err := os.Create(cp.ControllerManagerLogPath)
	if err != nil {
		t.Fatalf("creating controller manager log: %v", err)
	}
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
	}
	if len(opts.Controllers) > 0 {
		args = append(args, "--controllers="+strings.Join(opts.Controllers, ","))
	}
	args = append(args, opts.ControllerManagerFlags...)
	cmd := exec.Command(filepath.Join(binDir, "kube-controller-manager"), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("starting kube-controller-manager: %v", err)
	}
	var once sync.Once
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Registered after the API server's cleanup, so it runs before it.
	t.Cleanup(func() {
		once.Do(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
			if t.Failed() {
				t.Logf("kube-controller-manager log tail:\n%s", tail(cp.ControllerManagerLogPath, 30))
			}
			logf.Close()
		})
	})
	// Fail early when the process dies at start (bad flag, bad kubeconfig).
	select {
	case err := <-exited:
		exited <- err
		t.Fatalf("kube-controller-manager exited at start: %v\n%s", err, tail(cp.ControllerManagerLogPath, 30))
	case <-time.After(time.Second):
	}
}

// WaitFor polls cond every interval until it returns true, an error, or
// timeout passes; it fails the test in the last two cases, naming what.
func WaitFor(t testing.TB, what string, interval, timeout time.Duration, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var lastErr error
	for {
		ok, err := cond(ctx)
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		lastErr = err
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s (last error: %v)", timeout, what, lastErr)
		case <-time.After(interval):
		}
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
}

// tail returns the last n lines of the file at path, for failure messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
