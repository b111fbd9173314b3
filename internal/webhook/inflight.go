package webhook

import (
	"errors"
	"sync/atomic"
)

// DefaultMaxInFlightBytes is the default of Options.MaxInFlightBytes: with
// the process's own ~30 MB it stays under the GOMEMLIMIT (192 MiB) that
// `kubeward webhook` sets under deploy/'s 256 MiB memory limit, with room
// for connections' buffers (see docs/webhook.md, "Memory").
const DefaultMaxInFlightBytes = 96 << 20

// errBusy is wrapped by the error of a review that would take in-flight
// reviews past Options.MaxInFlightBytes; it is answered 429.
var errBusy = errors.New("server busy: in-flight reviews hold the memory they may take")

// memGate bounds the memory all in-flight reviews hold together: their
// body buffers as the bytes arrive, and what their decoding budgets charge
// (decoded values and the evaluation's estimated share). Taking never
// waits: a review that would go past the limit fails at once and gives
// back what it held, so reviews cannot hold each other up.
type memGate struct {
	limit int64
	used  atomic.Int64
}

// reviewMem is one review's share of a gate. A nil *reviewMem (or one
// without a gate) is unlimited. It is used by one goroutine.
type reviewMem struct {
	gate *memGate
	held int64
}

// take takes n bytes from the gate, reporting false (and taking nothing)
// when that would go past its limit.
func (m *reviewMem) take(n int64) bool {
	if m == nil || m.gate == nil {
		return true
	}
	if m.gate.used.Add(n) > m.gate.limit {
		m.gate.used.Add(-n)
		return false
	}
	m.held += n
	return true
}

// give returns n bytes the review took (at most what it holds).
func (m *reviewMem) give(n int64) {
	if m == nil || m.gate == nil {
		return
	}
	n = min(n, m.held)
	m.held -= n
	m.gate.used.Add(-n)
}

// release returns everything the review holds.
func (m *reviewMem) release() {
	if m != nil {
		m.give(m.held)
	}
}

// reviewWorstCase is the most one review with a body of maxBody bytes can
// take from the gate: its body buffer and its decoding budget.
func reviewWorstCase(maxBody int64) int64 {
	return maxBody + 1 + decodeBudgetBase + decodeBudgetPerByte*maxBody
}
