package manifesttest_test

import (
	"testing"

	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/manifest/manifesttest"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// TestCorpus checks what Corpus promises: the object count, the size, the
// mix, and — with Kubernetes' own Pod Security implementation as the oracle —
// that Compliance tells restricted-compliant workloads from the others.
func TestCorpus(t *testing.T) {
	const seed, n = 3, 5000
	data := manifesttest.Corpus(seed, n)
	compliance := manifesttest.Compliance(seed, n)
	if mb := float64(len(data)) / 1e6; mb < 8 || mb > 13 {
		t.Errorf("corpus is %.1f MB, want about 10", mb)
	}
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	restricted := api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}
	kinds := map[string]int{}
	workloads, compliant, i := 0, 0, 0
	err = manifest.Decode("corpus.yaml", data, func(o *manifest.Object) error {
		kinds[o.Kind]++
		var meta *metav1.ObjectMeta
		var spec *corev1.PodSpec
		switch obj := o.Object.(type) {
		case *corev1.Pod:
			meta, spec = &obj.ObjectMeta, &obj.Spec
		case *appsv1.Deployment:
			meta, spec = &obj.Spec.Template.ObjectMeta, &obj.Spec.Template.Spec
		case *appsv1.StatefulSet:
			meta, spec = &obj.Spec.Template.ObjectMeta, &obj.Spec.Template.Spec
		case *appsv1.DaemonSet:
			meta, spec = &obj.Spec.Template.ObjectMeta, &obj.Spec.Template.Spec
		case *batchv1.Job:
			meta, spec = &obj.Spec.Template.ObjectMeta, &obj.Spec.Template.Spec
		case *batchv1.CronJob:
			meta, spec = &obj.Spec.JobTemplate.Spec.Template.ObjectMeta, &obj.Spec.JobTemplate.Spec.Template.Spec
		}
		if spec != nil {
			workloads++
			allowed := policy.AggregateCheckResults(eval.EvaluatePod(restricted, meta, spec)).Allowed
			if allowed {
				compliant++
			}
			if allowed != compliance[i] {
				t.Errorf("document %d (%s %s): restricted allows it: %v, Compliance says %v", i, o.Kind, o.Name, allowed, compliance[i])
			}
		} else if compliance[i] {
			t.Errorf("document %d (%s) is not a workload but Compliance says it is compliant", i, o.Kind)
		}
		i++
		return nil
	}, func(e *manifest.Error) { t.Error(e) })
	if err != nil {
		t.Fatal(err)
	}
	if i != n {
		t.Fatalf("decoded %d objects, want %d", i, n)
	}
	if workloads < 800 || workloads > 1200 || compliant < workloads*2/5 || compliant > workloads*3/5 {
		t.Errorf("%d workloads, %d compliant: want about 1000, half compliant", workloads, compliant)
	}
	for _, k := range []string{"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "Service", "ConfigMap", "Secret", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "NetworkPolicy", "Namespace"} {
		if kinds[k] == 0 {
			t.Errorf("no %s in the corpus", k)
		}
	}
	t.Logf("%.1f MB, %d workloads (%d compliant), kinds %v", float64(len(data))/1e6, workloads, compliant, kinds)
}
