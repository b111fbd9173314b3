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
//
// It takes from the gate in chunks of at least memChunk bytes and hands
// them out itself, so that a review touches the gate's counter, which every
// CPU shares, once or twice rather than at every charge.
type reviewMem struct {
	gate  *memGate
	held  int64 // taken from the gate
	spare int64 // of held, not in use
}

// memChunk is the least a review takes from the gate at once.
const memChunk = 32 << 10

// take takes n bytes, reporting false (and taking nothing) when that would
// take the gate past its limit.
func (m *reviewMem) take(n int64) bool {
	if m == nil || m.gate == nil {
		return true
	}
	if n <= m.spare {
		m.spare -= n
		return true
	}
	c := max(n-m.spare, memChunk)
	if m.gate.used.Add(c) > m.gate.limit {
		m.gate.used.Add(-c)
		// Without the chunk's slack: the exact need may still fit.
		if c = n - m.spare; m.gate.used.Add(c) > m.gate.limit {
			m.gate.used.Add(-c)
			return false
		}
	}
	m.held += c
	m.spare += c - n
	return true
}

// give returns n bytes taken earlier to the review's spare.
func (m *reviewMem) give(n int64) {
	if m == nil || m.gate == nil {
		return
	}
	m.spare = min(m.spare+n, m.held)
}

// release returns everything the review holds to the gate.
func (m *reviewMem) release() {
	if m == nil || m.gate == nil {
		return
	}
	m.gate.used.Add(-m.held)
	m.held, m.spare = 0, 0
}

// reviewWorstCase is the most one review with a body of maxBody bytes can
// take from the gate: its body buffer and its decoding budget.
func reviewWorstCase(maxBody int64) int64 {
	return maxBody + 1 + decodeBudgetBase + decodeBudgetPerByte*maxBody + memChunk
}
