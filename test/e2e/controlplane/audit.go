package controlplane

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AuditEvent is the part of an audit.k8s.io/v1 Event the tests read (field
// names and JSON tags as in k8s.io/apiserver/pkg/apis/audit/v1).
type AuditEvent struct {
	Level          string            `json:"level"`
	AuditID        string            `json:"auditID"`
	Stage          string            `json:"stage"`
	RequestURI     string            `json:"requestURI"`
	Verb           string            `json:"verb"`
	User           AuditUser         `json:"user"`
	ObjectRef      *AuditObjectRef   `json:"objectRef,omitempty"`
	ResponseStatus *metav1.Status    `json:"responseStatus,omitempty"`
	Annotations    map[string]string `json:"annotations,omitempty"`
}

// AuditUser is the authenticated user of an audit event.
type AuditUser struct {
	Username string   `json:"username"`
	Groups   []string `json:"groups,omitempty"`
}

// AuditObjectRef is the object an audit event is about.
type AuditObjectRef struct {
	Resource    string `json:"resource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	APIGroup    string `json:"apiGroup,omitempty"`
	APIVersion  string `json:"apiVersion,omitempty"`
	Subresource string `json:"subresource,omitempty"`
}

// AnnotationsWithPrefix returns the event's annotations whose key starts with
// prefix, keyed by the rest of the key (nil when there are none).
func (e *AuditEvent) AnnotationsWithPrefix(prefix string) map[string]string {
	var out map[string]string
	for k, v := range e.Annotations {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			if out == nil {
				out = map[string]string{}
			}
			out[rest] = v
		}
	}
	return out
}

// auditReader reads the audit log incrementally and indexes final-stage
// events by audit ID. Safe for concurrent use.
type auditReader struct {
	path string

	mu     sync.Mutex
	offset int64
	events []AuditEvent
	final  map[string]int // audit ID -> index in events of its ResponseComplete/Panic event
}

// refresh reads what the API server appended since the last call. A partial
// last line is left for the next call.
func (r *auditReader) refresh() error {
	f, err := os.Open(r.path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("opening audit log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(r.offset, io.SeekStart); err != nil {
		return fmt.Errorf("seeking audit log: %w", err)
	}
	br := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			return nil // partial or empty line: read again next time
		}
		if err != nil {
			return fmt.Errorf("reading audit log: %w", err)
		}
		lineNo := len(r.events) + 1
		r.offset += int64(len(line))
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var ev AuditEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			return fmt.Errorf("audit log %s event %d: %w", r.path, lineNo, err)
		}
		r.events = append(r.events, ev)
		if ev.Stage == "ResponseComplete" || ev.Stage == "Panic" {
			if r.final == nil {
				r.final = map[string]int{}
			}
			r.final[ev.AuditID] = len(r.events) - 1
		}
	}
}

// AuditEvents returns every event in the audit log so far, in log order.
func (cp *ControlPlane) AuditEvents(t testing.TB) []AuditEvent {
	t.Helper()
	cp.requireAudit(t)
	cp.audit.mu.Lock()
	defer cp.audit.mu.Unlock()
	if err := cp.audit.refresh(); err != nil {
		t.Fatal(err)
	}
	return append([]AuditEvent(nil), cp.audit.events...)
}

// AuditEvent waits (up to 10 s: the log backend writes the final stage after
// the response was sent) for the ResponseComplete (or Panic) event of the
// request with auditID and returns it. It fails the test when none appears.
func (cp *ControlPlane) AuditEvent(t testing.TB, auditID string) AuditEvent {
	t.Helper()
	cp.requireAudit(t)
	if auditID == "" {
		t.Fatal("AuditEvent: empty audit ID (did the request go through an observing config?)")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		cp.audit.mu.Lock()
		err := cp.audit.refresh()
		i, ok := cp.audit.final[auditID]
		var ev AuditEvent
		if ok {
			ev = cp.audit.events[i]
		}
		cp.audit.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return ev
		}
		if time.Now().After(deadline) {
			t.Fatalf("no final audit event for audit ID %s in %s (is the resource covered by the audit policy?)", auditID, cp.AuditLogPath)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (cp *ControlPlane) requireAudit(t testing.TB) {
	t.Helper()
	if cp.AuditLogPath == "" {
		t.Fatal("control plane started without Options.AuditPolicy: no audit log")
	}
}

// MetadataAuditPolicy logs pods (and their subresources), namespaces and the
// workload resources at Metadata level, after the response only, and nothing
// else: what the Pod Security tests read.
const MetadataAuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  resources:
  - group: ""
    resources: ["pods", "pods/ephemeralcontainers", "namespaces", "namespaces/status", "podtemplates", "replicationcontrollers"]
  - group: "apps"
    resources: ["deployments", "replicasets", "statefulsets", "daemonsets"]
  - group: "batch"
    resources: ["jobs", "cronjobs"]
- level: None
`
