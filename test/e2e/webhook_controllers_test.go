//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

// TestWebhookNarrowExemptionThroughControllers runs the real Deployment and
// ReplicaSet controllers: the pods a Deployment's ReplicaSet creates are
// matched to the Deployment's narrow exemption through their owner and
// pod-template-hash, admitted, and the exemption is named in each pod's audit
// event; a Deployment without an exemption gets no pods, and its ReplicaSet
// reports Kubernetes' denial.
func TestWebhookNarrowExemptionThroughControllers(t *testing.T) {
	cp := controlplane.Start(t, controlplane.Options{
		APIServerFlags:    []string{"--disable-admission-plugins=PodSecurity,ServiceAccount"},
		AuditPolicy:       controlplane.MetadataAuditPolicy,
		ControllerManager: true,
		Controllers:       []string{"deployment", "replicaset"},
	})
	exemptions, err := filepath.Abs(filepath.Join("testdata", "kubeward-exemptions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	names := startKubeward(t, cp, kwOptions{ConfigFile: psaConfigFile(t), ExemptionsFile: exemptions})
	ctx := context.Background()
	cs := cp.Client
	if _, err := cs.CoreV1().Namespaces().Create(ctx, psaNamespace("e2e-narrow", map[string]string{psaEnforce: "baseline"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, replicas := range map[string]int32{"agent": 2, "intruder": 1} {
		d := psaDeployment(name, psaPod("", psaPrivileged))
		d.Spec.Replicas = ptr.To(replicas)
		if _, err := cs.AppsV1().Deployments("e2e-narrow").Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating deployment %s: %v", name, err)
		}
	}

	controlplane.WaitFor(t, "the agent Deployment's 2 pods", 100*time.Millisecond, 60*time.Second, func(ctx context.Context) (bool, error) {
		pods, err := cs.CoreV1().Pods("e2e-narrow").List(ctx, metav1.ListOptions{LabelSelector: "app=agent"})
		if err != nil {
			return false, err
		}
		return len(pods.Items) == 2, nil
	})
	var rs *appsv1.ReplicaSet
	controlplane.WaitFor(t, "the intruder ReplicaSet to report the denial", 100*time.Millisecond, 60*time.Second, func(ctx context.Context) (bool, error) {
		list, err := cs.AppsV1().ReplicaSets("e2e-narrow").List(ctx, metav1.ListOptions{LabelSelector: "app=intruder"})
		if err != nil || len(list.Items) == 0 {
			return false, err
		}
		for _, c := range list.Items[0].Status.Conditions {
			if c.Type == appsv1.ReplicaSetReplicaFailure {
				rs = &list.Items[0]
				return true, nil
			}
		}
		return false, nil
	})
	for _, c := range rs.Status.Conditions {
		if c.Type == appsv1.ReplicaSetReplicaFailure && !strings.Contains(c.Message, `violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)`) {
			t.Errorf("ReplicaFailure message = %q, want the PodSecurity denial", c.Message)
		}
	}
	pods, err := cs.CoreV1().Pods("e2e-narrow").List(ctx, metav1.ListOptions{LabelSelector: "app=intruder"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 0 {
		t.Errorf("intruder has %d pods, want 0", len(pods.Items))
	}

	// The agent pods' audit events name the exemption. The ReplicaSet
	// controller creates pods with generateName, so the events carry no
	// name: every successful pod creation in the namespace is an agent pod.
	controlplane.WaitFor(t, "audit events of the agent pods", 100*time.Millisecond, 10*time.Second, func(context.Context) (bool, error) {
		found := 0
		for _, ev := range cp.AuditEvents(t) {
			if ev.Verb != "create" || ev.ObjectRef == nil || ev.ObjectRef.Resource != "pods" || ev.ObjectRef.Subresource != "" ||
				ev.ObjectRef.Namespace != "e2e-narrow" || ev.ResponseStatus == nil || ev.ResponseStatus.Code != 201 {
				continue
			}
			if got := ev.Annotations[names.Enforcing+"/kubeward-exemptions"]; got != "e2e-narrow-deployment" {
				t.Fatalf("audit event of an admitted pod: kubeward-exemptions = %q, want e2e-narrow-deployment (annotations %v)", got, ev.Annotations)
			}
			found++
		}
		return found == 2, nil
	})
}
