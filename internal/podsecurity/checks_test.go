package podsecurity

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"

	"github.com/kubeward/kubeward/internal/finding"
)

// TestChecksMatchKubernetes verifies that we declare exactly Kubernetes'
// checks, at the same level, with the same first version.
func TestChecksMatchKubernetes(t *testing.T) {
	want := map[string]CheckInfo{}
	for _, c := range oracleChecks {
		l := LevelBaseline
		if c.Level == psaapi.LevelRestricted {
			l = LevelRestricted
		}
		mv := c.Versions[0].MinimumVersion
		want[string(c.ID)] = CheckInfo{ID: string(c.ID), Level: l, MinVersion: MajorMinor(mv.Minor())}
	}
	got := map[string]CheckInfo{}
	for _, c := range Checks() {
		got[c.ID] = CheckInfo{ID: c.ID, Level: c.Level, MinVersion: c.MinVersion}
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Version{})); diff != "" {
		t.Errorf("checks differ from Kubernetes' (-want +got):\n%s", diff)
	}
	// The same version boundaries, so each versioned behaviour is declared as data.
	for _, c := range oracleChecks {
		d := lookupDef(string(c.ID))
		if d == nil || len(d.versions) != len(c.Versions) {
			t.Errorf("%s: %d versions, Kubernetes has %d", c.ID, len(d.versions), len(c.Versions))
			continue
		}
		for i, v := range c.Versions {
			if d.versions[i].minVersion != v.MinimumVersion.Minor() {
				t.Errorf("%s: version %d is v1.%d, Kubernetes has %s", c.ID, i, d.versions[i].minVersion, v.MinimumVersion)
			}
			var overrides []string
			for _, o := range v.OverrideCheckIDs {
				overrides = append(overrides, string(o))
			}
			if !reflect.DeepEqual(overrides, d.versions[i].overrides) {
				t.Errorf("%s v1.%d: overrides %v, Kubernetes %v", c.ID, d.versions[i].minVersion, d.versions[i].overrides, overrides)
			}
		}
	}
}

func TestValidateChecks(t *testing.T) {
	ok := func() *checkDef {
		return &checkDef{id: "a", level: LevelBaseline, title: "t", severity: finding.SeverityLow, description: "d", remediation: "r",
			versions: []versioned{{minVersion: 0, fn: privilegedV1Dot0}}}
	}
	tests := []struct {
		name    string
		defs    func() []*checkDef
		wantErr string
	}{
		{"valid", func() []*checkDef { return []*checkDef{ok()} }, ""},
		{"duplicate ID", func() []*checkDef { return []*checkDef{ok(), ok()} }, "declared twice"},
		{"non-increasing versions", func() []*checkDef {
			c := ok()
			c.versions = append(c.versions, versioned{minVersion: 0, fn: privilegedV1Dot0})
			return []*checkDef{c}
		}, "strictly increase"},
		{"baseline override", func() []*checkDef {
			c := ok()
			c.versions[0].overrides = []string{"a"}
			return []*checkDef{c}
		}, "only restricted"},
		{"unknown override", func() []*checkDef {
			c := ok()
			c.level = LevelRestricted
			c.versions[0].overrides = []string{"nope"}
			return []*checkDef{c}
		}, "unknown check"},
		{"missing docs", func() []*checkDef {
			c := ok()
			c.remediation = ""
			return []*checkDef{c}
		}, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateChecks(tt.defs())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	if err := validateChecks(allChecks); err != nil {
		t.Fatalf("built-in checks: %v", err)
	}
}

func TestRules(t *testing.T) {
	rules := Rules()
	if len(rules) != len(allChecks) {
		t.Fatalf("%d rules for %d checks", len(rules), len(allChecks))
	}
	if _, err := finding.NewRegistry(rules...); err != nil {
		t.Fatalf("rules do not form a valid registry: %v", err)
	}
	for _, r := range rules {
		if !strings.HasPrefix(r.ID, "pod-security/") || r.DocURL != DocURL {
			t.Errorf("%s: bad ID or doc URL", r.ID)
		}
		for _, s := range []string{r.Description, r.Remediation} {
			if !strings.HasSuffix(s, ".") || s[0] < 'A' || s[0] > 'Z' {
				t.Errorf("%s: %q is not a full sentence", r.ID, s)
			}
		}
	}
	c, ok := LookupCheck("runAsNonRoot")
	if !ok || c.Level != LevelRestricted || c.RuleID() != "pod-security/runAsNonRoot" {
		t.Errorf("LookupCheck(runAsNonRoot) = %+v, %v", c, ok)
	}
}

func TestApplyDefaults(t *testing.T) {
	// VolumeSource must hold only pointers for the zero-value test to mean "no source".
	vt := reflect.TypeOf(corev1.VolumeSource{})
	for i := range vt.NumField() {
		if vt.Field(i).Type.Kind() != reflect.Pointer {
			t.Fatalf("VolumeSource.%s is not a pointer", vt.Field(i).Name)
		}
	}
	spec := &corev1.PodSpec{
		HostNetwork:    true,
		Volumes:        []corev1.Volume{{Name: "none"}, {Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}}},
		InitContainers: []corev1.Container{{Name: "i", Ports: []corev1.ContainerPort{{ContainerPort: 53}}}},
		Containers:     []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{{ContainerPort: 80}, {ContainerPort: 443, HostPort: 8443}}}},
		EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: "e", Ports: []corev1.ContainerPort{{ContainerPort: 9}}}}},
	}
	ApplyDefaults(spec)
	want := &corev1.PodSpec{
		HostNetwork:    true,
		Volumes:        []corev1.Volume{{Name: "none", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}, {Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}}},
		InitContainers: []corev1.Container{{Name: "i", Ports: []corev1.ContainerPort{{ContainerPort: 53, HostPort: 53}}}},
		Containers:     []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80}, {ContainerPort: 443, HostPort: 8443}}}},
		EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: "e", Ports: []corev1.ContainerPort{{ContainerPort: 9}}}}},
	}
	if diff := cmp.Diff(want, spec); diff != "" {
		t.Errorf("ApplyDefaults mismatch (-want +got):\n%s", diff)
	}
	ApplyDefaults(nil) // must not panic
}
