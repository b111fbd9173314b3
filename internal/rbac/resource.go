package rbac

import (
	"fmt"
	"strings"
)

// builtinGroups maps resource names, singular names and short names of
// built-in kinds to (plural resource, API group), standing in for the
// discovery kubectl would do against a server.
var builtinGroups = map[string][2]string{}

func init() {
	add := func(group string, entries ...string) {
		for _, e := range entries {
			names := strings.Split(e, ",")
			for _, n := range names {
				builtinGroups[n] = [2]string{names[0], group}
			}
		}
	}
	add("", "pods,pod,po", "services,service,svc", "configmaps,configmap,cm", "secrets,secret",
		"namespaces,namespace,ns", "serviceaccounts,serviceaccount,sa", "nodes,node,no",
		"persistentvolumes,persistentvolume,pv", "persistentvolumeclaims,persistentvolumeclaim,pvc",
		"endpoints,ep", "events,event,ev", "replicationcontrollers,replicationcontroller,rc",
		"resourcequotas,resourcequota,quota", "limitranges,limitrange,limits", "podtemplates,podtemplate",
		"bindings,binding", "componentstatuses,componentstatus,cs", "users,user", "groups,group", "uids,uid")
	add("apps", "deployments,deployment,deploy", "replicasets,replicaset,rs", "statefulsets,statefulset,sts",
		"daemonsets,daemonset,ds", "controllerrevisions,controllerrevision")
	add("batch", "jobs,job", "cronjobs,cronjob,cj")
	add("rbac.authorization.k8s.io", "roles,role", "rolebindings,rolebinding", "clusterroles,clusterrole", "clusterrolebindings,clusterrolebinding")
	add("networking.k8s.io", "networkpolicies,networkpolicy,netpol", "ingresses,ingress,ing", "ingressclasses,ingressclass")
	add("policy", "poddisruptionbudgets,poddisruptionbudget,pdb")
	add("storage.k8s.io", "storageclasses,storageclass,sc", "volumeattachments,volumeattachment", "csidrivers,csidriver", "csinodes,csinode")
	add("admissionregistration.k8s.io", "validatingwebhookconfigurations,validatingwebhookconfiguration",
		"mutatingwebhookconfigurations,mutatingwebhookconfiguration", "validatingadmissionpolicies,validatingadmissionpolicy",
		"validatingadmissionpolicybindings,validatingadmissionpolicybinding")
	add("certificates.k8s.io", "certificatesigningrequests,certificatesigningrequest,csr", "signers")
	add("autoscaling", "horizontalpodautoscalers,horizontalpodautoscaler,hpa")
	add("coordination.k8s.io", "leases,lease")
	add("apiextensions.k8s.io", "customresourcedefinitions,customresourcedefinition,crd,crds")
	add("scheduling.k8s.io", "priorityclasses,priorityclass,pc")
	add("discovery.k8s.io", "endpointslices,endpointslice")
	add("authentication.k8s.io", "tokenreviews,tokenreview", "userextras")
	add("authorization.k8s.io", "subjectaccessreviews,subjectaccessreview", "selfsubjectaccessreviews,selfsubjectaccessreview",
		"localsubjectaccessreviews,localsubjectaccessreview", "selfsubjectrulesreviews,selfsubjectrulesreview")
}

// ParseResource parses kubectl's RESOURCE[.GROUP][/SUBRESOURCE] form:
// "pods", "pods/exec", "deployments.apps/scale", "deploy". A name without a
// group is looked up among built-in kinds (plural, singular and short
// names); known is false when it is not one of them, and the resource is
// then taken as written in the core group. "*" stands for every resource.
func ParseResource(s string) (resource, group, subresource string, known bool, err error) {
	if s == "" {
		return "", "", "", false, fmt.Errorf("empty resource")
	}
	res, sub, _ := strings.Cut(s, "/")
	if res == "" {
		return "", "", "", false, fmt.Errorf("resource %q: empty resource name", s)
	}
	if res == "*" {
		return res, "", sub, true, nil // as kubectl: the core group
	}
	if r, g, ok := strings.Cut(res, "."); ok {
		return r, g, sub, true, nil
	}
	if rg, ok := builtinGroups[strings.ToLower(res)]; ok {
		return rg[0], rg[1], sub, true, nil
	}
	return res, "", sub, false, nil
}
