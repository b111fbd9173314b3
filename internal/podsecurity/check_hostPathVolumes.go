package podsecurity

// hostPathVolumes (baseline, v1.0+; replaced at restricted by restrictedVolumes)
//
// Reads:   spec.volumes[*].hostPath
// Allows:  unset.

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkHostPathVolumes = checkDef{
	id:          "hostPathVolumes",
	level:       LevelBaseline,
	title:       "Pods must not mount hostPath volumes",
	severity:    finding.SeverityHigh,
	description: "A pod must not use hostPath volumes, which expose the node's file system to the container and are a common path to taking over the node.",
	remediation: "Replace each hostPath volume with an emptyDir, configMap, secret, projected or persistentVolumeClaim volume.",
	versions: []versioned{
		{minVersion: 0, fn: hostPathVolumesV1Dot0},
	},
}

func hostPathVolumesV1Dot0(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	for i := range spec.Volumes {
		v := &spec.Volumes[i]
		if v.HostPath == nil {
			continue
		}
		if r == nil {
			return true
		}
		r.names = append(r.names, v.Name)
		r.indexedField("spec.volumes", i, ".hostPath", "", FixRemove, "")
	}
	if r == nil || len(r.names) == 0 {
		return false
	}
	d := r.startDetail()
	r.str(plural(len(r.names), "volume", "volumes"), " ")
	r.quotedList(r.names)
	r.add("hostPathVolumes", "hostPath volumes", d)
	return true
}
