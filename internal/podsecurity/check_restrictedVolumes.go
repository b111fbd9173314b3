package podsecurity

// restrictedVolumes (restricted, v1.0+; replaces hostPathVolumes)
//
// Reads:   spec.volumes[*] (which source is set)
// Allows:  configMap, csi, downwardAPI, emptyDir, ephemeral, image,
//          persistentVolumeClaim, projected, secret. Every other source is
//          forbidden, and so is a volume with no source at all ("unknown";
//          kube-apiserver would have defaulted it to emptyDir).

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkRestrictedVolumes = checkDef{
	id:          "restrictedVolumes",
	level:       LevelRestricted,
	title:       "Pods may only use restricted volume types",
	severity:    finding.SeverityMedium,
	description: "At the restricted level a pod may only use configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes. Other inline sources such as hostPath, nfs or iscsi bypass the storage a cluster administrator controls.",
	remediation: "Replace each inline volume of another type with a persistentVolumeClaim (backed by a PersistentVolume the administrator provides) or one of the allowed volume types.",
	versions: []versioned{
		{minVersion: 0, fn: restrictedVolumesV1Dot0, overrides: []string{"hostPathVolumes"}},
	},
}

func allowedVolume(v *corev1.Volume) bool {
	return v.ConfigMap != nil || v.CSI != nil || v.DownwardAPI != nil || v.EmptyDir != nil ||
		v.Ephemeral != nil || v.Image != nil || v.PersistentVolumeClaim != nil ||
		v.Projected != nil || v.Secret != nil
}

// restrictedVolumeType names the forbidden source of v, in Kubernetes' order
// of precedence, and "unknown" when there is none.
func restrictedVolumeType(v *corev1.Volume) string {
	switch {
	case v.HostPath != nil:
		return "hostPath"
	case v.GCEPersistentDisk != nil:
		return "gcePersistentDisk"
	case v.AWSElasticBlockStore != nil:
		return "awsElasticBlockStore"
	case v.GitRepo != nil:
		return "gitRepo"
	case v.NFS != nil:
		return "nfs"
	case v.ISCSI != nil:
		return "iscsi"
	case v.Glusterfs != nil:
		return "glusterfs"
	case v.RBD != nil:
		return "rbd"
	case v.FlexVolume != nil:
		return "flexVolume"
	case v.Cinder != nil:
		return "cinder"
	case v.CephFS != nil:
		return "cephfs"
	case v.Flocker != nil:
		return "flocker"
	case v.FC != nil:
		return "fc"
	case v.AzureFile != nil:
		return "azureFile"
	case v.VsphereVolume != nil:
		return "vsphereVolume"
	case v.Quobyte != nil:
		return "quobyte"
	case v.AzureDisk != nil:
		return "azureDisk"
	case v.PhotonPersistentDisk != nil:
		return "photonPersistentDisk"
	case v.PortworxVolume != nil:
		return "portworxVolume"
	case v.ScaleIO != nil:
		return "scaleIO"
	case v.StorageOS != nil:
		return "storageos"
	}
	return "unknown"
}

func restrictedVolumesV1Dot0(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	for i := range spec.Volumes {
		v := &spec.Volumes[i]
		if allowedVolume(v) {
			continue
		}
		if r == nil {
			return true
		}
		t := restrictedVolumeType(v)
		r.names = append(r.names, v.Name)
		r.values = append(r.values, t)
		if t == "unknown" {
			// No source: say which one to set, as kube-apiserver would default it.
			r.indexedField("spec.volumes", i, ".emptyDir", "", FixSet, "{}")
		} else {
			start := r.markPath()
			r.str("spec.volumes[")
			r.buf = strconv.AppendInt(r.buf, int64(i), 10)
			r.str("].", t)
			r.pathField(start, "", FixRemove, "")
		}
	}
	if r == nil || len(r.names) == 0 {
		return false
	}
	types := sortedSet(r.values)
	d := r.startDetail()
	r.str(plural(len(r.names), "volume", "volumes"), " ")
	r.quotedList(r.names)
	r.str(" ", plural(len(r.names), "uses", "use"), " ", plural(len(types), "restricted volume type", "restricted volume types"), " ")
	r.quotedList(types)
	r.add("restrictedVolumes", "restricted volume types", d)
	return true
}
