package netpol

import (
	"sort"
	"strconv"
	"strings"
)

// Range is the closed interval [Lo, Hi] of ports or IPv4 addresses (as
// 32-bit numbers).
type Range struct{ Lo, Hi uint32 }

// Ranges is a set of numbers as sorted, disjoint, non-adjacent ranges: the
// canonical form, so two equal sets have equal Ranges. The zero value is the
// empty set. Operations return new sets and never change their operands.
type Ranges []Range

// normalize sorts rs and merges overlapping or adjacent ranges, in place.
func normalize(rs Ranges) Ranges {
	if len(rs) < 2 {
		return rs
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Lo < rs[j].Lo })
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if uint64(r.Lo) <= uint64(last.Hi)+1 {
			if r.Hi > last.Hi {
				last.Hi = r.Hi
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// Union returns a ∪ b.
func (a Ranges) Union(b Ranges) Ranges {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := make(Ranges, 0, len(a)+len(b))
	out = append(out, a...)
	out = append(out, b...)
	return normalize(out)
}

// Intersect returns a ∩ b.
func (a Ranges) Intersect(b Ranges) Ranges {
	var out Ranges
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo, hi := max(a[i].Lo, b[j].Lo), min(a[i].Hi, b[j].Hi)
		if lo <= hi {
			out = append(out, Range{lo, hi})
		}
		if a[i].Hi < b[j].Hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// Subtract returns a \ b.
func (a Ranges) Subtract(b Ranges) Ranges {
	var out Ranges
	j := 0
	for _, r := range a {
		lo := uint64(r.Lo)
		for j < len(b) && b[j].Hi < r.Lo {
			j++
		}
		k := j
		for ; k < len(b) && uint64(b[k].Lo) <= uint64(r.Hi); k++ {
			if uint64(b[k].Lo) > lo {
				out = append(out, Range{uint32(lo), b[k].Lo - 1})
			}
			lo = uint64(b[k].Hi) + 1
		}
		if lo <= uint64(r.Hi) {
			out = append(out, Range{uint32(lo), r.Hi})
		}
	}
	return out
}

// Contains reports whether v is in a.
func (a Ranges) Contains(v uint32) bool {
	i := sort.Search(len(a), func(i int) bool { return a[i].Hi >= v })
	return i < len(a) && a[i].Lo <= v
}

// Equal reports whether a and b are the same set.
func (a Ranges) Equal(b Ranges) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// portString writes ports as netpol-analyzer does: 80,443,9001-9090.
func (a Ranges) portString() string {
	var b strings.Builder
	for i, r := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(r.Lo), 10))
		if r.Hi != r.Lo {
			b.WriteByte('-')
			b.WriteString(strconv.FormatUint(uint64(r.Hi), 10))
		}
	}
	return b.String()
}

// Protocol is a protocol NetworkPolicy ports name.
type Protocol int

// The protocols, in the order connection strings list them.
const (
	SCTP Protocol = iota
	TCP
	UDP
	numProtocols
)

var protocolNames = [numProtocols]string{"SCTP", "TCP", "UDP"}

func (p Protocol) String() string { return protocolNames[p] }

// ParseProtocol parses "TCP", "UDP" or "SCTP" (case-insensitive).
func ParseProtocol(s string) (Protocol, bool) {
	for i, n := range protocolNames {
		if strings.EqualFold(n, s) {
			return Protocol(i), true
		}
	}
	return 0, false
}

// MaxPort is the highest port; ports are 1 to MaxPort.
const MaxPort = 65535

var allPorts = Ranges{{1, MaxPort}}

// Conn is a set of connections: ports per protocol. The zero value is no
// connection.
type Conn [numProtocols]Ranges

// AllConns returns every port of every protocol.
func AllConns() Conn { return Conn{allPorts, allPorts, allPorts} }

// Union returns c ∪ d.
func (c Conn) Union(d Conn) Conn {
	for p := range c {
		c[p] = c[p].Union(d[p])
	}
	return c
}

// Intersect returns c ∩ d.
func (c Conn) Intersect(d Conn) Conn {
	for p := range c {
		c[p] = c[p].Intersect(d[p])
	}
	return c
}

// Empty reports whether c allows nothing.
func (c Conn) Empty() bool { return len(c[0])+len(c[1])+len(c[2]) == 0 }

// All reports whether c allows every port of every protocol.
func (c Conn) All() bool {
	for p := range c {
		if !c[p].Equal(allPorts) {
			return false
		}
	}
	return true
}

// Equal reports whether c and d are the same set.
func (c Conn) Equal(d Conn) bool {
	for p := range c {
		if !c[p].Equal(d[p]) {
			return false
		}
	}
	return true
}

// Allows reports whether c contains port of protocol p.
func (c Conn) Allows(p Protocol, port uint32) bool { return c[p].Contains(port) }

// String is netpol-analyzer's notation: "All Connections", "No
// Connections", or protocols in order with their merged ports,
// "TCP 80,443,UDP 53" ("SCTP 1-65535" for every port of a protocol).
func (c Conn) String() string {
	if c.All() {
		return "All Connections"
	}
	if c.Empty() {
		return "No Connections"
	}
	var b strings.Builder
	for p := range c {
		if len(c[p]) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(protocolNames[p])
		b.WriteByte(' ')
		b.WriteString(c[p].portString())
	}
	return b.String()
}

// ipString writes an address range as A.B.C.D-E.F.G.H.
func ipString(r Range) string {
	return ipv4(r.Lo) + "-" + ipv4(r.Hi)
}

func ipv4(v uint32) string {
	return strconv.Itoa(int(v>>24)) + "." + strconv.Itoa(int(v>>16&0xff)) + "." + strconv.Itoa(int(v>>8&0xff)) + "." + strconv.Itoa(int(v&0xff))
}
