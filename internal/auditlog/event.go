// Package auditlog detects, in Kubernetes audit events (audit.k8s.io/v1),
// what the Kubernetes security pages warn about: privileged pods admitted,
// exec into pods, Secrets enumerated, RBAC escalation paths created or used,
// impersonation, anonymous access, tokens minted for other service accounts,
// certificate approvals, admission webhooks changed and Pod Security labels
// lowered.
//
// The same Analyzer runs offline on log files (Reader: JSON lines, gzip,
// EventList documents) and live behind kube-apiserver's audit webhook
// backend (Server). It is a state machine fed one event at a time; windowed
// detections keep a bounded state per identity, so memory does not grow
// with the length of the log. Findings use the one finding model
// (internal/finding) with the rule family auditlog/.
//
// Policy evaluates an audit Policy (first match, as kube-apiserver does) to
// say which detections it makes possible.
package auditlog

import (
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The audit stages (audit.k8s.io/v1 Stage).
const (
	StageRequestReceived  = "RequestReceived"
	StageResponseStarted  = "ResponseStarted"
	StageResponseComplete = "ResponseComplete"
	StagePanic            = "Panic"
)

// Event is the part of an audit.k8s.io/v1 Event the detections read. Field
// names and meanings are Kubernetes'; fields kubeward does not read are not
// decoded. Items is set only for an EventList document.
type Event struct {
	Kind       string   `json:"kind"`
	APIVersion string   `json:"apiVersion"`
	Level      string   `json:"level"`
	AuditID    string   `json:"auditID"`
	Stage      string   `json:"stage"`
	RequestURI string   `json:"requestURI"`
	Verb       string   `json:"verb"`
	User       UserInfo `json:"user"`
	// ImpersonatedUser is set when the request impersonated someone; User is
	// then the impersonator.
	ImpersonatedUser *UserInfo  `json:"impersonatedUser"`
	SourceIPs        []string   `json:"sourceIPs"`
	UserAgent        string     `json:"userAgent"`
	ObjectRef        *ObjectRef `json:"objectRef"`
	ResponseStatus   *Status    `json:"responseStatus"`
	// RequestObject and ResponseObject are the raw JSON bodies (Request and
	// RequestResponse levels only).
	RequestObject            jsontext.Value `json:"requestObject"`
	ResponseObject           jsontext.Value `json:"responseObject"`
	RequestReceivedTimestamp time.Time      `json:"requestReceivedTimestamp"`
	StageTimestamp           time.Time      `json:"stageTimestamp"`
	Annotations              Annotations    `json:"annotations"`

	Items []jsontext.Value `json:"items"`
}

// UserInfo is an authenticated (or impersonated) user.
type UserInfo struct {
	Username string   `json:"username"`
	UID      string   `json:"uid"`
	Groups   []string `json:"groups"`
}

// ObjectRef is the object a request is about.
type ObjectRef struct {
	Resource    string `json:"resource"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	APIGroup    string `json:"apiGroup"`
	APIVersion  string `json:"apiVersion"`
	Subresource string `json:"subresource"`
}

// Status is the part of a response metav1.Status the detections read.
type Status struct {
	Code    int    `json:"code"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// Annotations holds the audit annotations the detections read (the
// authorizer's decision and the Pod Security admission's results); the
// others are not decoded.
type Annotations struct {
	Decision            string `json:"authorization.k8s.io/decision"`
	Reason              string `json:"authorization.k8s.io/reason"`
	PodSecurityEnforce  string `json:"pod-security.kubernetes.io/enforce-policy"`
	PodSecurityExempt   string `json:"pod-security.kubernetes.io/exempt"`
	PodSecurityAuditVio string `json:"pod-security.kubernetes.io/audit-violations"`
}

// decodeOptions: unknown fields are skipped (events carry many kubeward
// does not read); duplicate names are accepted as encoding/json accepts them.
var decodeOptions = json.JoinOptions(json.RejectUnknownMembers(false), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// DecodeEvent decodes one audit Event (or EventList, see Event.Items) from
// data into ev, which is reset first.
func DecodeEvent(data []byte, ev *Event) error {
	*ev = Event{}
	return json.Unmarshal(data, ev, decodeOptions)
}

// Final reports whether ev is the stage a request is counted at:
// ResponseComplete or Panic, and ResponseStarted for the long-running
// connections (exec, attach, portforward) whose completion may come much
// later, and for failed authentication, which is audited at ResponseStarted
// only. The Analyzer counts each audit ID once across these stages.
func (ev *Event) Final() bool {
	switch ev.Stage {
	case StageResponseComplete, StagePanic:
		return true
	case StageResponseStarted:
		// Failed authentication is audited at ResponseStarted only (401).
		return ev.streaming() || ev.Code() == 401
	}
	return false
}

// streaming reports a long-running connection to a pod (exec, attach,
// portforward) or a node proxy.
func (ev *Event) streaming() bool {
	if ev.ObjectRef == nil {
		return false
	}
	switch ev.ObjectRef.Subresource {
	case "exec", "attach", "portforward":
		return ev.ObjectRef.Resource == "pods"
	case "proxy":
		return ev.ObjectRef.Resource == "nodes" || ev.ObjectRef.Resource == "pods"
	}
	return false
}

// Code returns the response status code, 0 when unknown.
func (ev *Event) Code() int {
	if ev.ResponseStatus == nil {
		return 0
	}
	return ev.ResponseStatus.Code
}

// Allowed reports whether authorization allowed the request: the
// authorization.k8s.io/decision annotation when present, else any response
// but 401 and 403.
func (ev *Event) Allowed() bool {
	switch ev.Annotations.Decision {
	case "allow":
		return true
	case "forbid":
		return false
	}
	c := ev.Code()
	return c != 401 && c != 403
}

// Succeeded reports an allowed request that the API server completed
// (status 2xx, or no status recorded on an allowed request).
func (ev *Event) Succeeded() bool {
	c := ev.Code()
	if c == 0 {
		return ev.Allowed()
	}
	return c >= 200 && c < 300
}

// Time is the event's stageTimestamp, else its requestReceivedTimestamp.
func (ev *Event) Time() time.Time {
	if !ev.StageTimestamp.IsZero() {
		return ev.StageTimestamp
	}
	return ev.RequestReceivedTimestamp
}

// Actor is the identity the request acted as: the impersonated user when
// there is one, else the authenticated user.
func (ev *Event) Actor() *UserInfo {
	if ev.ImpersonatedUser != nil {
		return ev.ImpersonatedUser
	}
	return &ev.User
}

// resource returns objectRef's resource and subresource ("" without objectRef).
func (ev *Event) resource() (group, res, sub string) {
	if ev.ObjectRef == nil {
		return "", "", ""
	}
	return ev.ObjectRef.APIGroup, ev.ObjectRef.Resource, ev.ObjectRef.Subresource
}

// path returns the request path without the query.
func (ev *Event) path() string {
	p, _, _ := strings.Cut(ev.RequestURI, "?")
	return p
}

// describe is "USER VERB RESOURCE[/SUB] NS/NAME" for messages.
func (ev *Event) describe() string {
	var b strings.Builder
	b.WriteString(strconv.Quote(ev.User.Username))
	if ev.ImpersonatedUser != nil {
		b.WriteString(" as ")
		b.WriteString(strconv.Quote(ev.ImpersonatedUser.Username))
	}
	b.WriteByte(' ')
	b.WriteString(ev.Verb)
	b.WriteByte(' ')
	if ev.ObjectRef == nil {
		b.WriteString(ev.path())
		return b.String()
	}
	o := ev.ObjectRef
	b.WriteString(o.Resource)
	if o.Subresource != "" {
		b.WriteByte('/')
		b.WriteString(o.Subresource)
	}
	if o.Namespace != "" || o.Name != "" {
		b.WriteByte(' ')
		if o.Namespace != "" {
			b.WriteString(o.Namespace)
			b.WriteByte('/')
		}
		b.WriteString(o.Name)
	}
	return b.String()
}
