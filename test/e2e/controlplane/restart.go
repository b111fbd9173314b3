package controlplane

import (
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// EtcdURL returns the client URL of the control plane's etcd (plain HTTP,
// no client authentication), for tests that read etcd directly.
func (cp *ControlPlane) EtcdURL() string {
	return cp.env.ControlPlane.Etcd.URL.String()
}

// RestartAPIServer stops kube-apiserver and starts it again with the same
// flags against the same etcd, so that it reads anew the files its flags
// name (an EncryptionConfiguration changed in place, for example). The
// serving certificate may change: clients made before (Config, Client,
// User) must be made again; RestartAPIServer returns an admin config
// (group system:masters) and clientset for the new process and waits until
// it serves.
func (cp *ControlPlane) RestartAPIServer(t testing.TB) (*rest.Config, kubernetes.Interface) {
	t.Helper()
	api := cp.env.ControlPlane.GetAPIServer()
	if err := api.Stop(); err != nil {
		t.Fatalf("stopping kube-apiserver: %v", err)
	}
	started := time.Now()
	if err := api.Start(); err != nil {
		t.Fatalf("restarting kube-apiserver: %v\n%s", err, tail(cp.APIServerLogPath, 40))
	}
	t.Logf("kube-apiserver restarted in %s", time.Since(started).Round(time.Millisecond))
	cfg := cp.User(t, "admin", "system:masters")
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("creating clientset: %v", err)
	}
	return cfg, cs
}
