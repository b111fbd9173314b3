// Package netpol computes what NetworkPolicies (networking.k8s.io/v1)
// allow: which workloads can open connections to which, on which
// protocols and ports, and which ranges of IPv4 addresses outside the
// cluster they can reach or be reached from.
//
// The input is typed Kubernetes objects (from manifests or a live
// cluster): Pods and the workloads that own them, Namespaces, Services and
// NetworkPolicies. Pods are grouped into the workload at the top of their
// controller chain (Pod → ReplicaSet → Deployment); a workload's pod
// template stands for its pods. A namespace that objects use but the input
// does not define is known by its name only (the kubernetes.io/metadata.name
// label the API server gives every namespace).
//
// Semantics are those of the NetworkPolicy v1 API:
//   - a pod is isolated for ingress (egress) only when a policy of its
//     namespace selects it and lists Ingress (Egress) in policyTypes;
//     policyTypes defaults to Ingress, plus Egress when the policy has
//     egress rules;
//   - an isolated pod accepts (sends) what the union of the rules of the
//     policies isolating it allows; a connection needs egress allowed at
//     the source and ingress allowed at the destination;
//   - a peer with podSelector only selects pods of the policy's namespace,
//     with namespaceSelector only every pod of the matching namespaces
//     ({} matches every namespace), with both the matching pods of the
//     matching namespaces; separate peers add up;
//   - ipBlock peers (cidr minus except) select addresses outside the
//     cluster; pod addresses are not known from manifests, so an ipBlock
//     never selects a pod;
//   - ports: a number, a number with endPort (a range), a name (resolved
//     per destination pod against its containers' ports of that name and
//     protocol; a named port never matches an address outside the
//     cluster), protocol TCP (the default), UDP or SCTP; no ports means
//     every port of every protocol;
//   - a pod's traffic to itself (and between pods of one workload) is not
//     reported.
//
// Port sets and address sets are interval sets (Ranges), so no port or
// address is ever enumerated. Computing every allowed pair visits, for
// each destination, only the sources its ingress rules can admit: a
// cluster whose pods are isolated costs far less than the square of its
// workloads (see docs/netpol.md).
package netpol
