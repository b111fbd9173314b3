package auditlog

import "time"

// idSet is a set of strings that keeps at most capacity members, forgetting
// the oldest first.
type idSet struct {
	members map[string]struct{}
	ring    []string
	next    int
}

func newIDSet(capacity int) *idSet {
	return &idSet{members: make(map[string]struct{}), ring: make([]string, capacity)}
}

func (s *idSet) has(id string) bool { _, ok := s.members[id]; return ok }

func (s *idSet) add(id string) {
	if old := s.ring[s.next]; old != "" {
		delete(s.members, old)
	}
	s.ring[s.next] = id
	s.members[id] = struct{}{}
	s.next = (s.next + 1) % len(s.ring)
}

// boundedMap is a map that keeps at most capacity keys, forgetting the
// first inserted first.
type boundedMap[V any] struct {
	m     map[string]V
	order []string
	next  int
}

func newBoundedMap[V any](capacity int) boundedMap[V] {
	return boundedMap[V]{m: make(map[string]V), order: make([]string, capacity)}
}

func (b *boundedMap[V]) get(k string) (V, bool) { v, ok := b.m[k]; return v, ok }

func (b *boundedMap[V]) put(k string, v V) {
	if _, ok := b.m[k]; !ok {
		if old := b.order[b.next]; old != "" {
			delete(b.m, old)
		}
		b.order[b.next] = k
		b.next = (b.next + 1) % len(b.order)
	}
	b.m[k] = v
}

func (b *boundedMap[V]) del(k string) { delete(b.m, k) }

// windows counts, per key (an identity or a source address), what happened
// within the last window: distinct items (Secrets read) or events (failed
// requests). A key reaching threshold is reported once and starts over, so
// each key holds fewer than threshold entries; at most maxKeys keys are
// kept (expired keys are swept first, then arbitrary ones are forgotten).
type windows struct {
	window    time.Duration
	threshold int
	maxKeys   int
	distinct  bool
	keys      map[string]*window
	adds      int
}

type window struct {
	last  time.Time
	items map[string]time.Time // distinct: item → last time
	times []time.Time          // counting: event times
}

func newWindows(win time.Duration, threshold, maxKeys int, distinct bool) *windows {
	return &windows{window: win, threshold: threshold, maxKeys: maxKeys, distinct: distinct, keys: make(map[string]*window)}
}

// add records item for key at t and reports whether the key reached the
// threshold (the window then starts over); n is the count reached and
// first the time of the oldest entry counted.
func (ws *windows) add(key, item string, t time.Time) (reached bool, n int, first time.Time) {
	ws.adds++
	if ws.adds%4096 == 0 || len(ws.keys) >= ws.maxKeys {
		ws.sweep(t)
	}
	w := ws.keys[key]
	if w == nil {
		w = &window{}
		if ws.distinct {
			w.items = make(map[string]time.Time, ws.threshold)
		}
		ws.keys[key] = w
	}
	if t.After(w.last) {
		w.last = t
	}
	cutoff := t.Add(-ws.window)
	first = t
	if ws.distinct {
		for k, at := range w.items {
			if at.Before(cutoff) {
				delete(w.items, k)
			}
		}
		w.items[item] = t
		for _, at := range w.items {
			if at.Before(first) {
				first = at
			}
		}
		n = len(w.items)
	} else {
		keep := w.times[:0]
		for _, at := range w.times {
			if !at.Before(cutoff) {
				keep = append(keep, at)
			}
		}
		w.times = append(keep, t)
		for _, at := range w.times {
			if at.Before(first) {
				first = at
			}
		}
		n = len(w.times)
	}
	if n >= ws.threshold {
		delete(ws.keys, key)
		return true, n, first
	}
	return false, n, first
}

// sweep forgets keys with nothing in their window at now, then, above
// maxKeys, arbitrary keys until a tenth of the room is free again.
func (ws *windows) sweep(now time.Time) {
	cutoff := now.Add(-ws.window)
	for k, w := range ws.keys {
		if w.last.Before(cutoff) {
			delete(ws.keys, k)
		}
	}
	for k := range ws.keys {
		if len(ws.keys) < ws.maxKeys-ws.maxKeys/10 {
			break
		}
		delete(ws.keys, k)
	}
}
