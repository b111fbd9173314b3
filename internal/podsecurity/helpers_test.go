package podsecurity

import (
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

func dumpPod(p *corev1.Pod) string {
	b, err := yaml.Marshal(p)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
