package manifest

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const fieldDoc = `# a comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: runtime/default
    "quoted\"key": x
spec:
  template:
    metadata:
      annotations:
        container.apparmor.security.beta.kubernetes.io/web: unconfined
    spec:
      hostPID: true
      containers:
      - name: web
        image: nginx
        securityContext:
          privileged: true
      - name: sidecar
        securityContext: {runAsUser: 0,
          allowPrivilegeEscalation: true}
      volumes:
      - name: a
        emptyDir: {}
      - name: b
        configMap: {name: b}
      - name: host
        hostPath:
          path: /
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: first}
- apiVersion: v1
  kind: Pod
  metadata: {name: second}
  spec:
    containers:
    - name: c
      securityContext:
        privileged: true
`

func TestFieldLine(t *testing.T) {
	var objs []*Object
	var lines = map[string]int{}
	paths := []string{
		"spec.template.spec.containers[0].securityContext.privileged",
		"spec.template.spec.containers[1].securityContext.allowPrivilegeEscalation",
		"spec.template.spec.containers[1].securityContext.runAsUser",
		`metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]`,
		`metadata.annotations["quoted\"key"]`,
		`spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/web"]`,
		"spec.template.spec.volumes[2].hostPath",
		"spec.template.spec.volumes[2].hostPath.path",
		"spec.template.spec.hostPID",
		// absent: nearest present ancestor
		"spec.template.spec.containers[0].securityContext.capabilities.add",
		"spec.template.spec.containers[5].securityContext",
		"spec.template.spec.securityContext.runAsNonRoot",
		"spec.containers[0].securityContext.privileged",
		"status",
		"",
		`metadata.annotations["unterminated`,
		"spec.template.spec.containers[x]",
	}
	err := Decode("f.yaml", []byte(fieldDoc), func(o *Object) error {
		objs = append(objs, o)
		if o.Name == "web" {
			for _, p := range paths {
				lines[p] = o.FieldLine(p)
			}
		}
		return nil
	}, func(e *Error) { t.Errorf("unexpected error %v", e) })
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"spec.template.spec.containers[0].securityContext.privileged":                              20,
		"spec.template.spec.containers[1].securityContext.allowPrivilegeEscalation":                23,
		"spec.template.spec.containers[1].securityContext.runAsUser":                               22,
		`metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]`:                         7,
		`metadata.annotations["quoted\"key"]`:                                                      8,
		`spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/web"]`: 13,
		"spec.template.spec.volumes[2].hostPath":                                                   30,
		"spec.template.spec.volumes[2].hostPath.path":                                              31,
		"spec.template.spec.hostPID":                                                               15,
		"spec.template.spec.containers[0].securityContext.capabilities.add":                        19,
		"spec.template.spec.containers[5].securityContext":                                         16,
		"spec.template.spec.securityContext.runAsNonRoot":                                          14,
		"spec.containers[0].securityContext.privileged":                                            9,
		"status":                             2,
		"":                                   2,
		`metadata.annotations["unterminated`: 6,
		"spec.template.spec.containers[x]":   16,
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("FieldLine during fn (-want +got):\n%s", diff)
	}

	// After Read returned the tree is gone; FieldLine re-parses, also from
	// several goroutines at once, and List items resolve within their item.
	if len(objs) != 3 {
		t.Fatalf("got %d objects", len(objs))
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for p, w := range want {
				if got := objs[0].FieldLine(p); got != w {
					t.Errorf("FieldLine(%q) after Read = %d, want %d", p, got, w)
				}
			}
		})
	}
	wg.Wait()
	for _, tc := range []struct {
		obj  int
		path string
		want int
	}{
		{1, "metadata.name", 38},
		{1, "spec.containers[0].securityContext.privileged", 36},
		{2, "metadata.name", 41},
		{2, "spec.containers[0].securityContext.privileged", 46},
		{2, "spec.containers[0]", 44},
	} {
		if got := objs[tc.obj].FieldLine(tc.path); got != tc.want {
			t.Errorf("object %d FieldLine(%q) = %d, want %d", tc.obj, tc.path, got, tc.want)
		}
	}
	var nested []*Object
	in := "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - apiVersion: v1\n    kind: PodList\n    items:\n    - metadata: {name: a}\n    - metadata: {name: b}\n      spec:\n        hostPID: true\n"
	if err := Decode("n.yaml", []byte(in), func(o *Object) error { nested = append(nested, o); return nil }, func(e *Error) { t.Error(e) }); err != nil {
		t.Fatal(err)
	}
	if len(nested) != 2 || nested[1].FieldLine("spec.hostPID") != 13 || nested[1].Line != 11 {
		t.Errorf("nested list: objects %v, FieldLine = %d", nested, nested[len(nested)-1].FieldLine("spec.hostPID"))
	}
	if got := (&Object{Line: 7}).FieldLine("a.b"); got != 7 {
		t.Errorf("FieldLine of an Object without a source = %d, want 7", got)
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		in   string
		want []segment
	}{
		{"a.b[0].c", []segment{{"a", -1}, {"b", -1}, {index: 0}, {"c", -1}}},
		{`x["a.b/c"].y`, []segment{{"x", -1}, {"a.b/c", -1}, {"y", -1}}},
		{`x["a\"]"]`, []segment{{"x", -1}, {`a"]`, -1}}},
		{"[3][4]", []segment{{index: 3}, {index: 4}}},
		{"a[-1]", []segment{{"a", -1}}},
		{"", nil},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parsePath(tc.in), cmp.AllowUnexported(segment{})); diff != "" {
				t.Error(diff)
			}
		})
	}
}
