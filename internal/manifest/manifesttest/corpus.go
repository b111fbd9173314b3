// Package manifesttest generates realistic Kubernetes manifests for tests
// and benchmarks of packages that read manifests.
package manifesttest

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Corpus returns a multi-document YAML stream of exactly objects documents,
// each one object, deterministic for a given seed. About one in five objects
// is a workload (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod) with
// a realistic pod template (init and sidecar containers, env, probes,
// resources, volumes), about half of which meets the Pod Security
// restricted level and half of which breaks it in one or more ways; the rest
// are Services, ConfigMaps, Secrets, ServiceAccounts, Roles, RoleBindings,
// NetworkPolicies and Namespaces. Documents average about 2 KB, so 5,000
// objects make about 10 MB. objects <= 0 yields an empty stream.
func Corpus(seed int64, objects int) []byte {
	g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 0x6b7562657761726)), b: &strings.Builder{}}
	g.b.Grow(objects * 2100)
	for i := 0; i < objects; i++ {
		if i > 0 {
			g.b.WriteString("---\n")
		}
		g.object(i)
	}
	return []byte(g.b.String())
}

// Compliance returns, for each document of Corpus(seed, objects), whether
// it is a workload generated to meet the Pod Security restricted level
// (latest version); non-workloads and workloads generated to break it are
// false. Scanner tests can check their verdicts against it.
func Compliance(seed int64, objects int) []bool {
	g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 0x6b7562657761726)), b: &strings.Builder{}}
	out := make([]bool, max(objects, 0))
	for i := range out {
		g.b.Reset()
		g.object(i)
		out[i] = g.lastCompliant
	}
	return out
}

type gen struct {
	r             *rand.Rand
	b             *strings.Builder
	lastCompliant bool
}

var (
	apps       = []string{"web", "api", "cart", "checkout", "search", "auth", "billing", "catalog", "gateway", "worker", "mailer", "reports", "ledger", "inventory", "frontend"}
	namespaces = []string{"shop", "payments", "platform", "data", "team-a", "team-b", "monitoring", "default"}
	images     = []string{"nginx:1.27", "ghcr.io/acme/api:v2.14.3", "registry.example.com/shop/cart@sha256:4f1c3a0e9b2d7c6a5f8e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a", "redis:7.2-alpine", "postgres:16", "busybox:1.36", "envoyproxy/envoy:v1.30.1", "quay.io/prometheus/node-exporter:v1.8.0"}
)

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) p(format string, args ...any) { fmt.Fprintf(g.b, format, args...) }

func (g *gen) object(i int) {
	g.lastCompliant = false
	name := fmt.Sprintf("%s-%d", g.pick(apps), i)
	ns := g.pick(namespaces)
	switch x := g.r.IntN(100); {
	case x < 8:
		g.workload("apps/v1", "Deployment", name, ns)
	case x < 11:
		g.workload("apps/v1", "StatefulSet", name, ns)
	case x < 13:
		g.workload("apps/v1", "DaemonSet", name, ns)
	case x < 15:
		g.workload("batch/v1", "Job", name, ns)
	case x < 17:
		g.workload("batch/v1", "CronJob", name, ns)
	case x < 20:
		g.workload("v1", "Pod", name, ns)
	case x < 35:
		g.service(name, ns)
	case x < 55:
		g.configMap(name, ns)
	case x < 60:
		g.secret(name, ns)
	case x < 70:
		g.serviceAccount(name, ns)
	case x < 78:
		g.role(name, ns)
	case x < 86:
		g.roleBinding(name, ns)
	case x < 98:
		g.networkPolicy(name, ns)
	default:
		g.namespace(name)
	}
}

func (g *gen) meta(name, ns string, indent string) {
	g.p("%smetadata:\n%s  name: %s\n", indent, indent, name)
	if ns != "" {
		g.p("%s  namespace: %s\n", indent, ns)
	}
	g.p("%s  labels:\n%s    app.kubernetes.io/name: %s\n%s    app.kubernetes.io/part-of: shop\n%s    app.kubernetes.io/managed-by: kustomize\n", indent, indent, name, indent, indent)
	if g.r.IntN(3) == 0 {
		g.p("%s  annotations:\n%s    kubernetes.io/change-cause: \"rollout %d: bump image\"\n%s    example.com/owner: team-%c\n", indent, indent, g.r.IntN(500), indent, 'a'+rune(g.r.IntN(6)))
	}
}

// workload writes a workload with its pod template.
func (g *gen) workload(apiVersion, kind, name, ns string) {
	compliant := g.r.IntN(2) == 0
	g.lastCompliant = compliant
	g.p("# %s %s\napiVersion: %s\nkind: %s\n", kind, name, apiVersion, kind)
	g.meta(name, ns, "")
	g.p("spec:\n")
	ind := "  "
	switch kind {
	case "Pod":
		g.podSpec(name, ind, compliant)
		return
	case "CronJob":
		g.p("  schedule: \"%d */%d * * *\"\n  concurrencyPolicy: Forbid\n  jobTemplate:\n    spec:\n      backoffLimit: %d\n      template:\n", g.r.IntN(60), 1+g.r.IntN(6), g.r.IntN(5))
		ind = "        "
	case "Job":
		g.p("  backoffLimit: %d\n  ttlSecondsAfterFinished: 3600\n  template:\n", g.r.IntN(5))
		ind = "    "
	default:
		if kind != "DaemonSet" {
			g.p("  replicas: %d\n", 1+g.r.IntN(5))
		}
		if kind == "StatefulSet" {
			g.p("  serviceName: %s\n", name)
		}
		g.p("  selector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n  template:\n", name)
		ind = "    "
	}
	g.p("%smetadata:\n%s  labels:\n%s    app.kubernetes.io/name: %s\n", ind, ind, ind, name)
	if g.r.IntN(2) == 0 {
		g.p("%s  annotations:\n%s    prometheus.io/scrape: \"true\"\n%s    prometheus.io/port: \"9090\"\n", ind, ind, ind)
	}
	g.p("%sspec:\n", ind)
	g.podSpec(name, ind+"  ", compliant)
	if kind == "StatefulSet" {
		g.p("  volumeClaimTemplates:\n  - metadata:\n      name: data\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources:\n        requests:\n          storage: %dGi\n", 1+g.r.IntN(100))
	}
}

// podSpec writes a pod spec at indentation ind. A non-compliant spec breaks
// the restricted level in one to three ways, some of them baseline too.
func (g *gen) podSpec(name, ind string, compliant bool) {
	var breaks map[int]bool
	if !compliant {
		breaks = map[int]bool{}
		for n := 1 + g.r.IntN(3); n > 0; n-- {
			breaks[g.r.IntN(10)] = true
		}
	}
	p := func(format string, args ...any) { g.b.WriteString(ind); g.p(format, args...) }
	p("serviceAccountName: %s\n", name)
	if g.r.IntN(2) == 0 {
		p("automountServiceAccountToken: false\n")
	}
	if breaks[0] {
		p("hostNetwork: true\n")
	}
	if breaks[1] {
		p("hostPID: true\n")
	}
	p("securityContext:\n")
	if !breaks[2] {
		p("  runAsNonRoot: true\n")
	}
	p("  runAsUser: %d\n%s  fsGroup: %d\n", 1000+g.r.IntN(9000), ind, 2000)
	if !breaks[3] {
		p("  seccompProfile:\n%s    type: RuntimeDefault\n", ind)
	}
	if g.r.IntN(3) == 0 {
		p("initContainers:\n")
		g.container("init-"+name, ind, breaks, true)
	}
	p("containers:\n")
	g.container(name, ind, breaks, false)
	if g.r.IntN(2) == 0 {
		g.container("sidecar", ind, nil, false)
	}
	p("volumes:\n")
	p("- name: config\n%s  configMap:\n%s    name: %s-config\n", ind, ind, name)
	p("- name: tmp\n%s  emptyDir: {}\n", ind)
	if breaks[4] {
		p("- name: host\n%s  hostPath:\n%s    path: /var/run/docker.sock\n%s    type: Socket\n", ind, ind, ind)
	}
	if g.r.IntN(3) == 0 {
		p("- name: certs\n%s  secret:\n%s    secretName: %s-tls\n%s    defaultMode: 0440\n", ind, ind, name, ind)
	}
	if g.r.IntN(2) == 0 {
		p("nodeSelector:\n%s  kubernetes.io/os: linux\n", ind)
		p("tolerations:\n%s- key: dedicated\n%s  operator: Equal\n%s  value: %s\n%s  effect: NoSchedule\n", ind, ind, ind, name, ind)
	}
	if g.r.IntN(3) == 0 {
		p("affinity:\n%s  podAntiAffinity:\n%s    preferredDuringSchedulingIgnoredDuringExecution:\n%s    - weight: 100\n%s      podAffinityTerm:\n%s        topologyKey: kubernetes.io/hostname\n%s        labelSelector:\n%s          matchLabels:\n%s            app.kubernetes.io/name: %s\n", ind, ind, ind, ind, ind, ind, ind, ind, name)
	}
}

func (g *gen) container(name, ind string, breaks map[int]bool, init bool) {
	p := func(format string, args ...any) { g.b.WriteString(ind); g.p(format, args...) }
	p("- name: %s\n", name)
	p("  image: %s\n", g.pick(images))
	p("  imagePullPolicy: IfNotPresent\n")
	if init {
		p("  command: [\"sh\", \"-c\", \"until nslookup db; do sleep 2; done\"]\n")
	} else {
		p("  args:\n%s  - --port=8080\n%s  - --log-level=info\n", ind, ind)
		p("  ports:\n%s  - name: http\n%s    containerPort: 8080\n%s    protocol: TCP\n", ind, ind, ind)
		if breaks[5] {
			p("  - name: host\n%s    containerPort: 9100\n%s    hostPort: 9100\n", ind, ind)
		}
	}
	p("  env:\n")
	for i, n := 0, 3+g.r.IntN(8); i < n; i++ {
		switch g.r.IntN(3) {
		case 0:
			p("  - name: FEATURE_%d\n%s    value: \"%d\"\n", i, ind, g.r.IntN(2))
		case 1:
			p("  - name: DB_PASSWORD_%d\n%s    valueFrom:\n%s      secretKeyRef:\n%s        name: %s-db\n%s        key: password\n", i, ind, ind, ind, name, ind)
		default:
			p("  - name: POD_NAMESPACE_%d\n%s    valueFrom:\n%s      fieldRef:\n%s        fieldPath: metadata.namespace\n", i, ind, ind, ind)
		}
	}
	p("  resources:\n%s    requests:\n%s      cpu: %dm\n%s      memory: %dMi\n%s    limits:\n%s      cpu: \"%d\"\n%s      memory: %dGi\n",
		ind, ind, 50*(1+g.r.IntN(10)), ind, 64*(1+g.r.IntN(8)), ind, ind, 1+g.r.IntN(2), ind, 1+g.r.IntN(4))
	if !init {
		p("  readinessProbe:\n%s    httpGet:\n%s      path: /healthz\n%s      port: http\n%s    periodSeconds: 10\n", ind, ind, ind, ind)
		p("  livenessProbe:\n%s    tcpSocket:\n%s      port: 8080\n%s    initialDelaySeconds: 15\n", ind, ind, ind)
	}
	p("  volumeMounts:\n%s  - name: config\n%s    mountPath: /etc/%s\n%s    readOnly: true\n%s  - name: tmp\n%s    mountPath: /tmp\n", ind, ind, name, ind, ind, ind)
	p("  securityContext:\n")
	if breaks[6] {
		p("    privileged: true\n")
	}
	if breaks[7] {
		p("    allowPrivilegeEscalation: true\n")
	} else {
		p("    allowPrivilegeEscalation: false\n")
	}
	p("    readOnlyRootFilesystem: true\n")
	if breaks[8] {
		p("    capabilities:\n%s      add: [NET_ADMIN, SYS_TIME]\n", ind)
	} else {
		p("    capabilities:\n%s      drop: [\"ALL\"]\n", ind)
		if g.r.IntN(4) == 0 {
			p("      add: [NET_BIND_SERVICE]\n")
		}
	}
	if breaks[9] {
		p("    runAsUser: 0\n")
	}
}

func (g *gen) service(name, ns string) {
	g.p("apiVersion: v1\nkind: Service\n")
	g.meta(name, ns, "")
	g.p("spec:\n  type: %s\n  selector:\n    app.kubernetes.io/name: %s\n  ports:\n  - name: http\n    port: 80\n    targetPort: http\n    protocol: TCP\n", []string{"ClusterIP", "ClusterIP", "NodePort", "LoadBalancer"}[g.r.IntN(4)], name)
	if g.r.IntN(2) == 0 {
		g.p("  - name: metrics\n    port: 9090\n    targetPort: 9090\n")
	}
}

func (g *gen) configMap(name, ns string) {
	g.p("apiVersion: v1\nkind: ConfigMap\n")
	g.meta(name+"-config", ns, "")
	g.p("data:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: \"checkout,search,recommendations\"\n  app.properties: |\n")
	for i, n := 0, 20+g.r.IntN(140); i < n; i++ {
		g.p("    %s.setting.%d=%d\n", g.pick(apps), i, g.r.IntN(100000))
	}
	if g.r.IntN(8) == 0 {
		g.p("  dashboard.json: |\n    {\"title\": \"%s\", \"panels\": [\n", name)
		for i, n := 0, 40+g.r.IntN(60); i < n; i++ {
			g.p("      {\"id\": %d, \"type\": \"graph\", \"title\": \"p99 latency %d\", \"targets\": [{\"expr\": \"histogram_quantile(0.99, rate(http_request_duration_seconds_bucket{job=\\\"%s\\\"}[5m]))\"}]},\n", i, i, name)
		}
		g.p("      {}]}\n")
	}
	if g.r.IntN(2) == 0 {
		g.p("  nginx.conf: |\n    server {\n      listen 8080;\n      location / { proxy_pass http://127.0.0.1:9000; }\n      location /healthz { return 200; }\n    }\n")
	}
}

func (g *gen) secret(name, ns string) {
	g.p("apiVersion: v1\nkind: Secret\n")
	g.meta(name+"-db", ns, "")
	g.p("type: Opaque\ndata:\n  username: YWRtaW4=\n  password: %s\nstringData:\n  host: db.%s.svc.cluster.local\n", base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%x", g.r.Uint64())), ns)
}

func (g *gen) serviceAccount(name, ns string) {
	g.p("apiVersion: v1\nkind: ServiceAccount\n")
	g.meta(name, ns, "")
	if g.r.IntN(2) == 0 {
		g.p("automountServiceAccountToken: false\n")
	}
	g.p("imagePullSecrets:\n- name: registry-credentials\n")
}

func (g *gen) role(name, ns string) {
	kind, nsOut := "Role", ns
	if g.r.IntN(4) == 0 {
		kind, nsOut = "ClusterRole", ""
	}
	g.p("apiVersion: rbac.authorization.k8s.io/v1\nkind: %s\n", kind)
	g.meta(name, nsOut, "")
	g.p("rules:\n- apiGroups: [\"\"]\n  resources: [\"configmaps\", \"services\"]\n  verbs: [\"get\", \"list\", \"watch\"]\n")
	switch g.r.IntN(5) {
	case 0:
		g.p("- apiGroups: [\"\"]\n  resources: [\"secrets\"]\n  verbs: [\"get\", \"list\"]\n")
	case 1:
		g.p("- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n")
	case 2:
		g.p("- apiGroups: [\"\"]\n  resources: [\"pods/exec\"]\n  verbs: [\"create\"]\n")
	default:
		g.p("- apiGroups: [\"apps\"]\n  resources: [\"deployments\"]\n  verbs: [\"get\", \"list\", \"watch\", \"update\", \"patch\"]\n")
	}
}

func (g *gen) roleBinding(name, ns string) {
	g.p("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n")
	g.meta(name, ns, "")
	g.p("subjects:\n- kind: ServiceAccount\n  name: %s\n  namespace: %s\n", name, ns)
	if g.r.IntN(4) == 0 {
		g.p("- kind: Group\n  name: system:authenticated\n  apiGroup: rbac.authorization.k8s.io\n")
	}
	ref := "Role"
	if g.r.IntN(3) == 0 {
		ref = "ClusterRole"
	}
	g.p("roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: %s\n  name: %s\n", ref, name)
}

func (g *gen) networkPolicy(name, ns string) {
	g.p("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n")
	g.meta(name, ns, "")
	if g.r.IntN(4) == 0 {
		g.p("spec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n")
		return
	}
	g.p("spec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n  policyTypes:\n  - Ingress\n  - Egress\n", name)
	g.p("  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: %s\n      podSelector:\n        matchLabels:\n          app.kubernetes.io/name: %s\n    ports:\n    - protocol: TCP\n      port: 8080\n", g.pick(namespaces), g.pick(apps))
	g.p("  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n        except: [10.1.0.0/16]\n    ports:\n    - {protocol: UDP, port: 53}\n    - {protocol: TCP, port: 5432}\n")
}

func (g *gen) namespace(name string) {
	g.p("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n    pod-security.kubernetes.io/enforce: %s\n    pod-security.kubernetes.io/enforce-version: latest\n", name, []string{"restricted", "baseline", "privileged"}[g.r.IntN(3)])
}
