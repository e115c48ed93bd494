package adapter

import (
	"sort"

	"github.com/furrowdata/furrow/internal/scalamap"
)

// smap re-creates the iteration order of Scala 2.11's immutable
// Map[String, String], which decided the key order of many R108 webhook
// JSONs (a form body or querystring became a Map, the Map became a JSON
// object). Up to four entries Scala used Map1..Map4, which keep insertion
// order; from the fifth entry on the map is a HashMap whose iteration
// follows the hash trie: keys ordered by the 5-bit chunks of the improved
// String.hashCode, least significant chunk first. A map that has become a
// HashMap stays one when entries are removed.
type smap struct {
	entries []sentry
	hashed  bool
}

type sentry struct {
	key, val string
	null     bool   // the value was Java null
	order    uint64 // trie position when hashed
}

func (m *smap) len() int { return len(m.entries) }

func (m *smap) index(key string) int {
	for i := range m.entries {
		if m.entries[i].key == key {
			return i
		}
	}
	return -1
}

// get returns the value for key and whether it is present.
func (m *smap) get(key string) (string, bool) {
	if i := m.index(key); i >= 0 {
		return m.entries[i].val, true
	}
	return "", false
}

// put is Scala's `updated`: an existing key keeps its position.
func (m *smap) put(key, val string) { m.putEntry(sentry{key: key, val: val}) }

func (m *smap) putEntry(e sentry) {
	if i := m.index(e.key); i >= 0 {
		m.entries[i].val, m.entries[i].null = e.val, e.null
		return
	}
	e.order = scalamap.Order(e.key)
	m.entries = append(m.entries, e)
	if !m.hashed && len(m.entries) <= 4 {
		return
	}
	m.hashed = true
	sort.SliceStable(m.entries, func(a, b int) bool { return m.entries[a].order < m.entries[b].order })
}

// without is Scala's `-` for each key.
func (m *smap) without(keys ...string) *smap {
	out := &smap{hashed: m.hashed, entries: make([]sentry, 0, len(m.entries))}
	for _, e := range m.entries {
		drop := false
		for _, k := range keys {
			if e.key == k {
				drop = true
				break
			}
		}
		if !drop {
			out.entries = append(out.entries, e)
		}
	}
	return out
}

// plus is Scala's `++`: other's entries are added in other's order.
func (m *smap) plus(other *smap) *smap {
	out := &smap{hashed: m.hashed, entries: append([]sentry(nil), m.entries...)}
	for _, e := range other.entries {
		out.putEntry(e)
	}
	return out
}

// smapFromQuery is Adapter.toMap over a collector querystring.
func smapFromQuery(qs []nameValue) *smap {
	m := &smap{}
	for _, p := range qs {
		m.put(p.Name, p.Value)
	}
	return m
}

// smapFromForm is Adapter.toMap over parsed form parameters.
func smapFromForm(ps []formParam) *smap {
	m := &smap{}
	for _, p := range ps {
		m.putEntry(sentry{key: p.Name, val: p.Value, null: p.Null})
	}
	return m
}

// toJSON renders the map as a JSON object of strings (json4s decompose of a
// Map[String, String]); Java nulls become JSON null.
func (m *smap) toJSON() *jvalue {
	v := &jvalue{kind: jObject, obj: make([]jfield, 0, len(m.entries))}
	for _, e := range m.entries {
		var val *jvalue
		if e.null {
			val = jnull()
		} else {
			val = jstr(e.val)
		}
		v.obj = append(v.obj, jfield{name: e.key, val: val})
	}
	return v
}
