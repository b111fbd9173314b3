package audit

// Namespace is one namespace's Pod Security plan, an element of the
// top-level "namespaces" array of the JSON report (docs/contract.md).
type Namespace struct {
	Name string `json:"name"`
	// Labels holds the namespace's pod-security.kubernetes.io labels as
	// they are (invalid values included); {} when it has none.
	Labels map[string]string `json:"labels"`
	// LabelErrors are Kubernetes' messages for invalid labels.
	LabelErrors []string `json:"labelErrors,omitempty"`
	// Exempt is true when the admission configuration exempts the
	// namespace: nothing below applies, every pod is admitted.
	Exempt bool `json:"exempt"`
	// Policy is the effective level:version of each mode, from the labels
	// over the cluster's defaults, as Kubernetes resolves them.
	Policy Policy `json:"policy"`
	// Pods and Templates count what was evaluated: every pod, and every
	// workload template that is not managed by another workload (a
	// Deployment's ReplicaSets and a CronJob's Jobs are evaluated through
	// their owner). ExemptRuntimeClass counts pods and templates left out
	// because their runtimeClassName is exempt.
	Pods               int `json:"pods"`
	Templates          int `json:"templates"`
	ExemptRuntimeClass int `json:"exemptRuntimeClass,omitempty"`
	// PinnedVersion is the version the plan pins, v1.N.
	PinnedVersion string `json:"pinnedVersion"`
	// Meets is the highest level (restricted > baseline > privileged) that
	// every pod and every template meets, at latest and at PinnedVersion;
	// PodsMeet the same for the pods alone (what `kubectl label
	// --dry-run=server` checks).
	Meets    Levels `json:"meets"`
	PodsMeet Levels `json:"podsMeet"`
	// Violations counts the pods and templates failing baseline and
	// restricted, at latest and at PinnedVersion.
	Violations []LevelCount `json:"violations"`
	// Recommended is the enforce level and version to label the namespace
	// with: the level in Meets.Pinned at PinnedVersion.
	Recommended Recommendation `json:"recommended"`
	// Blocking is the level above Recommended ("" when that is restricted),
	// and Blockers what keeps the namespace from it: each workload (a pod's
	// controller, or the pod itself), check, container and field, with the
	// fix. At most MaxBlockers are listed; MoreBlockers counts the
	// offending fields left out.
	Blocking     string    `json:"blocking,omitempty"`
	Blockers     []Blocker `json:"blockers"`
	MoreBlockers int       `json:"moreBlockers,omitempty"`
}

// Policy is a namespace's effective policy, each mode as level:version.
type Policy struct {
	Enforce string `json:"enforce"`
	Audit   string `json:"audit"`
	Warn    string `json:"warn"`
}

// Levels is a level at latest and at the pinned version.
type Levels struct {
	Latest string `json:"latest"`
	Pinned string `json:"pinned"`
}

// LevelCount counts what fails a level at a version.
type LevelCount struct {
	Level     string `json:"level"`
	Version   string `json:"version"`
	Pods      int    `json:"pods"`
	Templates int    `json:"templates"`
}

// Recommendation is the enforce label to apply. Command is the kubectl
// command applying it; empty when the labels already say so, or when the
// namespace cannot enforce more than privileged yet (fix the Blockers
// first).
type Recommendation struct {
	Level   string `json:"level"`
	Version string `json:"version"`
	Command string `json:"command,omitempty"`
}

// Blocker is one offending field of a workload that keeps the namespace
// from the next level.
type Blocker struct {
	// Kind and Name name the workload: a pod's controller (a Deployment
	// for its ReplicaSets' pods, a CronJob for its Jobs' pods), or the pod.
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Check     string `json:"check"`
	Container string `json:"container,omitempty"`
	// Path is the field, relative to the pod (spec.containers[0]...).
	Path string `json:"path,omitempty"`
	// Fix is the change, on the workload's own field path.
	Fix string `json:"fix"`
	// Template is true when the workload's template has the field; Pods
	// counts the running pods that have it.
	Template bool `json:"template"`
	Pods     int  `json:"pods"`
}
