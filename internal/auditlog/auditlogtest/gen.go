// Package auditlogtest generates realistic audit logs for benchmarks and
// load tests: the mix of a busy cluster's API traffic (controllers and
// kubelets watching and updating, workloads reading their ConfigMaps and
// Secrets, leases renewed, people running kubectl) with each request
// written at its RequestReceived and ResponseComplete stages, as
// kube-apiserver's log backend writes them with a Metadata policy, and a
// few requests at Request level carrying objects (pods created, RBAC).
package auditlogtest

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

type kind struct {
	weight    int
	user      func(r *rand.Rand) (string, string) // username, groups JSON
	verb      string
	uri       func(r *rand.Rand, ns, name string) string
	objectRef func(ns, name string) string
	code      int
	level     string
	object    string
}

var namespaces = []string{"default", "shop", "payments", "monitoring", "ingress", "kube-system", "team-a", "team-b"}

func sa(ns, name string) (string, string) {
	return "system:serviceaccount:" + ns + ":" + name, `["system:serviceaccounts","system:serviceaccounts:` + ns + `","system:authenticated"]`
}

const podObject = `{"kind":"Pod","apiVersion":"v1","metadata":{"generateName":"web-7d4b9c-","namespace":"shop","labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"registry.example.com/web:1.4.2","ports":[{"containerPort":8080}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}},"securityContext":{"allowPrivilegeEscalation":false,"runAsNonRoot":true,"capabilities":{"drop":["ALL"]}}}],"serviceAccountName":"web","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}}`

var kinds = []kind{
	{weight: 30, user: func(r *rand.Rand) (string, string) {
		return "system:node:node-" + strconv.Itoa(r.IntN(50)), `["system:nodes","system:authenticated"]`
	}, verb: "get", uri: func(r *rand.Rand, ns, name string) string { return "/api/v1/namespaces/" + ns + "/configmaps/" + name },
		objectRef: func(ns, name string) string {
			return `{"resource":"configmaps","namespace":"` + ns + `","name":"` + name + `","apiVersion":"v1"}`
		}, code: 200, level: "Metadata"},
	{weight: 20, user: func(r *rand.Rand) (string, string) {
		return "system:kube-controller-manager", `["system:authenticated"]`
	},
		verb: "update", uri: func(r *rand.Rand, ns, name string) string {
			return "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager"
		}, objectRef: func(ns, name string) string {
			return `{"resource":"leases","namespace":"kube-system","name":"kube-controller-manager","apiGroup":"coordination.k8s.io","apiVersion":"v1"}`
		}, code: 200, level: "Metadata"},
	{weight: 15, user: func(r *rand.Rand) (string, string) { return sa("shop", "web") }, verb: "get",
		uri: func(r *rand.Rand, ns, name string) string { return "/api/v1/namespaces/" + ns + "/secrets/" + name },
		objectRef: func(ns, name string) string {
			return `{"resource":"secrets","namespace":"` + ns + `","name":"` + name + `","apiVersion":"v1"}`
		}, code: 200, level: "Metadata"},
	{weight: 15, user: func(r *rand.Rand) (string, string) { return "system:kube-scheduler", `["system:authenticated"]` }, verb: "watch",
		uri: func(r *rand.Rand, ns, name string) string {
			return "/api/v1/pods?allowWatchBookmarks=true&resourceVersion=" + strconv.Itoa(r.IntN(1e7)) + "&timeout=8m21s&watch=true"
		},
		objectRef: func(ns, name string) string { return `{"resource":"pods","apiVersion":"v1"}` }, code: 200, level: "Metadata"},
	{weight: 10, user: func(r *rand.Rand) (string, string) {
		return "user-" + strconv.Itoa(r.IntN(30)) + "@example.com", `["developers","system:authenticated"]`
	}, verb: "list", uri: func(r *rand.Rand, ns, name string) string { return "/api/v1/namespaces/" + ns + "/pods?limit=500" },
		objectRef: func(ns, name string) string {
			return `{"resource":"pods","namespace":"` + ns + `","apiVersion":"v1"}`
		}, code: 200, level: "Metadata"},
	{weight: 5, user: func(r *rand.Rand) (string, string) { return "system:anonymous", `["system:unauthenticated"]` }, verb: "get",
		uri: func(r *rand.Rand, ns, name string) string { return "/readyz" }, code: 200, level: "Metadata"},
	{weight: 4, user: func(r *rand.Rand) (string, string) { return sa("kube-system", "replicaset-controller") }, verb: "create",
		uri: func(r *rand.Rand, ns, name string) string { return "/api/v1/namespaces/shop/pods" },
		objectRef: func(ns, name string) string {
			return `{"resource":"pods","namespace":"shop","apiVersion":"v1"}`
		}, code: 201, level: "Request", object: podObject},
	{weight: 1, user: func(r *rand.Rand) (string, string) {
		return "user-" + strconv.Itoa(r.IntN(30)) + "@example.com", `["developers","system:authenticated"]`
	}, verb: "get", uri: func(r *rand.Rand, ns, name string) string { return "/api/v1/namespaces/" + ns + "/secrets/" + name },
		objectRef: func(ns, name string) string {
			return `{"resource":"secrets","namespace":"` + ns + `","name":"` + name + `","apiVersion":"v1"}`
		}, code: 403, level: "Metadata"},
}

// Generate writes n events (n/2 requests, each at RequestReceived and
// ResponseComplete) to w, deterministic for a seed, starting at start and
// one request every 200µs.
func Generate(w io.Writer, n int, seed uint64, start time.Time) error {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	total := 0
	for _, k := range kinds {
		total += k.weight
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	t := start
	for i := 0; i < n; i += 2 {
		pick := r.IntN(total)
		k := &kinds[0]
		for j := range kinds {
			if pick < kinds[j].weight {
				k = &kinds[j]
				break
			}
			pick -= kinds[j].weight
		}
		ns := namespaces[r.IntN(len(namespaces))]
		name := "obj-" + strconv.Itoa(r.IntN(200))
		user, groups := k.user(r)
		id := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Uint64()&(1<<48-1))
		uri := k.uri(r, ns, name)
		ip := "10.0." + strconv.Itoa(r.IntN(4)) + "." + strconv.Itoa(r.IntN(250)+2)
		recv := t.Format("2006-01-02T15:04:05.000000Z")
		done := t.Add(time.Duration(r.IntN(20)+1) * time.Millisecond).Format("2006-01-02T15:04:05.000000Z")
		for stage := 0; stage < 2 && i+stage < n; stage++ {
			bw.WriteString(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"`)
			bw.WriteString(k.level)
			bw.WriteString(`","auditID":"`)
			bw.WriteString(id)
			if stage == 0 {
				bw.WriteString(`","stage":"RequestReceived"`)
			} else {
				bw.WriteString(`","stage":"ResponseComplete"`)
			}
			bw.WriteString(`,"requestURI":`)
			bw.WriteString(strconv.Quote(uri))
			bw.WriteString(`,"verb":"` + k.verb + `","user":{"username":"` + user + `","groups":` + groups + `},"sourceIPs":["` + ip + `"],"userAgent":"kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/abcdef0/system:serviceaccount:kube-system:generic"`)
			if k.objectRef != nil {
				bw.WriteString(`,"objectRef":` + k.objectRef(ns, name))
			}
			if stage == 1 {
				bw.WriteString(`,"responseStatus":{"metadata":{},"code":` + strconv.Itoa(k.code) + `}`)
			}
			if k.object != "" {
				bw.WriteString(`,"requestObject":` + k.object)
			}
			bw.WriteString(`,"requestReceivedTimestamp":"` + recv + `","stageTimestamp":"`)
			if stage == 0 {
				bw.WriteString(recv)
			} else {
				bw.WriteString(done)
			}
			decision := "allow"
			if k.code == 403 {
				decision = "forbid"
			}
			bw.WriteString(`","annotations":{"authorization.k8s.io/decision":"` + decision + `","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"system:basic-user\" of ClusterRole \"system:basic-user\" to Group \"system:authenticated\""}}` + "\n")
		}
		t = t.Add(200 * time.Microsecond)
	}
	return bw.Flush()
}
