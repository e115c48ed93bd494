package uautils

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/furrowdata/furrow/enrich/enrichment/uautils/uamatch"
)

// ErrTable is returned (wrapped) for a table that cannot be used.
var ErrTable = errors.New("uautils: invalid table")

// Result is what R108 wrote for one user agent. Every field is a final
// enriched-event value; BrVersion is "" when R108 left br_version null.
type Result struct {
	BrName         string // br_name
	BrFamily       string // br_family
	BrVersion      string // br_version ("" = null)
	BrType         string // br_type
	BrRenderEngine string // br_renderengine
	OSName         string // os_name
	OSFamily       string // os_family
	OSManufacturer string // os_manufacturer
	DvceType       string // dvce_type
	DvceIsMobile   bool   // dvce_ismobile ("1"/"0")
}

// Table is a loaded UserAgentUtils table, ready to parse agents. It is
// immutable and safe for concurrent use.
type Table struct {
	browsers   []node
	oses       []node
	browserTop []int32
	osTop      []int32
	unknownBr  int32 // UNKNOWN browser
	unknownOS  int32 // UNKNOWN operating system
	bot        int32 // top-level BOT browser, -1 when absent
	set        *uamatch.Set
	words      int
	// Browser index → its Result half (browser fields), OS index → OS half.
	brRes []Result
	osRes []Result
	fetch []*fetcher // browser index → effective version fetcher (nil = none)
}

type node struct {
	aliases  []uint32 // needle ids
	excludes []uint32
	children []int32
}

// The JSON layout (see user-agent-utils-1.21.md, section 2).
type jsonTable struct {
	Manufacturers    []jsonNamed  `json:"manufacturers"`
	BrowserTypes     []jsonNamed  `json:"browser_types"`
	DeviceTypes      []jsonNamed  `json:"device_types"`
	RenderingEngines []jsonEngine `json:"rendering_engines"`
	BrowserTop       []string     `json:"browser_top_level_order"`
	Browsers         []jsonEntry  `json:"browsers"`
	OSTop            []string     `json:"os_top_level_order"`
	OSes             []jsonEntry  `json:"operating_systems"`
	WebKit           *struct {
		Map map[string]struct {
			Version string `json:"version"`
		} `json:"map"`
	} `json:"webkit_to_safari_version"`
}

type jsonNamed struct {
	Constant string `json:"constant"`
	Name     string `json:"name"`
}

type jsonEngine struct {
	Constant        string `json:"constant"`
	EnrichmentValue string `json:"enrichment_value_br_renderengine"`
}

type jsonEntry struct {
	Constant         string       `json:"constant"`
	Name             string       `json:"name"`
	Parent           *string      `json:"parent"`
	Group            string       `json:"group"`
	Children         []string     `json:"children"`
	Manufacturer     string       `json:"manufacturer"`
	BrowserType      string       `json:"browser_type"`
	DeviceType       string       `json:"device_type"`
	RenderingEngine  string       `json:"rendering_engine"`
	Aliases          []string     `json:"aliases"`
	AliasesLower     []string     `json:"aliases_lowercase"`
	Exclude          []string     `json:"exclude"`
	ExcludeLower     []string     `json:"exclude_lowercase"`
	VersionFetcher   *jsonFetcher `json:"version_fetcher"`
	EffectiveFetcher *string      `json:"effective_version_fetcher_from"`
}

type jsonFetcher struct {
	Kind             string         `json:"kind"`
	Regex            string         `json:"regex"`
	CaseInsensitive  bool           `json:"case_insensitive"`
	FullVersionGroup int            `json:"full_version_group"`
	KeyGroup         int            `json:"key_group"`
	Map              string         `json:"map"`
	Fetchers         []*jsonFetcher `json:"fetchers"`
}

// Parse builds a Table from the JSON table. Errors wrap ErrTable and name
// the offending entry.
func Parse(data []byte) (*Table, error) {
	var jt jsonTable
	if err := json.Unmarshal(data, &jt); err != nil {
		return nil, fmt.Errorf("%w: decoding JSON: %v", ErrTable, err)
	}
	return build(&jt)
}

func lookupNames(kind string, list []jsonNamed) (map[string]string, error) {
	m := make(map[string]string, len(list))
	for _, x := range list {
		if x.Constant == "" {
			return nil, fmt.Errorf("%w: %s entry without constant", ErrTable, kind)
		}
		m[x.Constant] = x.Name
	}
	return m, nil
}

type builder struct {
	needles []string
	ids     map[string]uint32
	regexes map[string]*uamatch.Matcher
	webkit  map[string]string
}

func (b *builder) needle(s string) uint32 {
	if id, ok := b.ids[s]; ok {
		return id
	}
	id := uint32(len(b.needles))
	b.needles = append(b.needles, s)
	b.ids[s] = id
	return id
}

// javaLower lowercases s as Java's String.toLowerCase does (non-Turkish
// locale) for every character whose lowercase form is ASCII: U+0130
// becomes "i" + U+0307 and the Kelvin sign "k".
func javaLower(s string) string {
	s = strings.ReplaceAll(s, "\u0130", "i\u0307")
	return strings.ToLower(s)
}

func build(jt *jsonTable) (*Table, error) {
	manufacturers, err := lookupNames("manufacturers", jt.Manufacturers)
	if err != nil {
		return nil, err
	}
	browserTypes, err := lookupNames("browser_types", jt.BrowserTypes)
	if err != nil {
		return nil, err
	}
	deviceTypes, err := lookupNames("device_types", jt.DeviceTypes)
	if err != nil {
		return nil, err
	}
	engines := make(map[string]string, len(jt.RenderingEngines))
	for _, e := range jt.RenderingEngines {
		v := e.EnrichmentValue
		if v == "" {
			v = e.Constant
		}
		engines[e.Constant] = v
	}
	b := &builder{ids: map[string]uint32{}, regexes: map[string]*uamatch.Matcher{}}
	if jt.WebKit != nil {
		b.webkit = make(map[string]string, len(jt.WebKit.Map))
		for k, v := range jt.WebKit.Map {
			b.webkit[k] = v.Version
		}
	}
	t := &Table{bot: -1}

	brIdx, err := t.entries("browsers", jt.Browsers, jt.BrowserTop, b, &t.browsers, &t.browserTop)
	if err != nil {
		return nil, err
	}
	osIdx, err := t.entries("operating_systems", jt.OSes, jt.OSTop, b, &t.oses, &t.osTop)
	if err != nil {
		return nil, err
	}
	var ok bool
	if t.unknownBr, ok = brIdx["UNKNOWN"]; !ok {
		return nil, fmt.Errorf("%w: browsers: no UNKNOWN entry", ErrTable)
	}
	if t.unknownOS, ok = osIdx["UNKNOWN"]; !ok {
		return nil, fmt.Errorf("%w: operating_systems: no UNKNOWN entry", ErrTable)
	}
	if i, ok := brIdx["BOT"]; ok && jt.Browsers[i].Parent == nil {
		t.bot = i
	}

	// Browser halves of the results, and version fetchers.
	t.brRes = make([]Result, len(jt.Browsers))
	t.fetch = make([]*fetcher, len(jt.Browsers))
	compiled := map[string]*fetcher{}
	for i, e := range jt.Browsers {
		where := "browsers: " + e.Constant
		g, ok := brIdx[e.Group]
		if !ok {
			return nil, fmt.Errorf("%w: %s: unknown group %q", ErrTable, where, e.Group)
		}
		bt, ok := browserTypes[e.BrowserType]
		if !ok {
			return nil, fmt.Errorf("%w: %s: unknown browser_type %q", ErrTable, where, e.BrowserType)
		}
		eng, ok := engines[e.RenderingEngine]
		if !ok {
			return nil, fmt.Errorf("%w: %s: unknown rendering_engine %q", ErrTable, where, e.RenderingEngine)
		}
		t.brRes[i] = Result{BrName: e.Name, BrFamily: jt.Browsers[g].Name, BrType: bt, BrRenderEngine: eng}
		if e.EffectiveFetcher == nil || *e.EffectiveFetcher == "" {
			continue
		}
		from := *e.EffectiveFetcher
		if f, ok := compiled[from]; ok {
			t.fetch[i] = f
			continue
		}
		fi, ok := brIdx[from]
		if !ok {
			return nil, fmt.Errorf("%w: %s: effective_version_fetcher_from names unknown entry %q", ErrTable, where, from)
		}
		jf := jt.Browsers[fi].VersionFetcher
		if jf == nil {
			return nil, fmt.Errorf("%w: %s: effective_version_fetcher_from %q has no version_fetcher", ErrTable, where, from)
		}
		f, err := b.fetcher(jf)
		if err != nil {
			return nil, fmt.Errorf("%w: browsers: %s: version_fetcher: %v", ErrTable, from, err)
		}
		compiled[from] = f
		t.fetch[i] = f
	}

	// OS halves.
	t.osRes = make([]Result, len(jt.OSes))
	for i, e := range jt.OSes {
		where := "operating_systems: " + e.Constant
		g, ok := osIdx[e.Group]
		if !ok {
			return nil, fmt.Errorf("%w: %s: unknown group %q", ErrTable, where, e.Group)
		}
		m, ok := manufacturers[e.Manufacturer]
		if !ok {
			return nil, fmt.Errorf("%w: %s: unknown manufacturer %q", ErrTable, where, e.Manufacturer)
		}
		dt, ok := deviceTypes[e.DeviceType]
		if !ok {
			return nil, fmt.Errorf("%w: %s: unknown device_type %q", ErrTable, where, e.DeviceType)
		}
		t.osRes[i] = Result{OSName: e.Name, OSFamily: jt.OSes[g].Name, OSManufacturer: m,
			DvceType: dt, DvceIsMobile: e.DeviceType == "MOBILE"}
	}

	t.set = uamatch.NewSet(b.needles, true)
	t.words = t.set.Words()
	return t, nil
}

// entries converts one enum list, resolving children and the top-level
// order, and returns constant → index.
func (t *Table) entries(kind string, list []jsonEntry, top []string, b *builder, out *[]node, outTop *[]int32) (map[string]int32, error) {
	idx := make(map[string]int32, len(list))
	for i, e := range list {
		if e.Constant == "" {
			return nil, fmt.Errorf("%w: %s[%d]: no constant", ErrTable, kind, i)
		}
		if _, dup := idx[e.Constant]; dup {
			return nil, fmt.Errorf("%w: %s: constant %s appears twice", ErrTable, kind, e.Constant)
		}
		idx[e.Constant] = int32(i)
	}
	nodes := make([]node, len(list))
	for i, e := range list {
		aliases := e.AliasesLower
		if aliases == nil {
			for _, a := range e.Aliases {
				aliases = append(aliases, javaLower(a))
			}
		}
		excludes := e.ExcludeLower
		if excludes == nil {
			for _, a := range e.Exclude {
				excludes = append(excludes, javaLower(a))
			}
		}
		n := &nodes[i]
		for _, a := range aliases {
			n.aliases = append(n.aliases, b.needle(a))
		}
		for _, x := range excludes {
			n.excludes = append(n.excludes, b.needle(x))
		}
		for _, c := range e.Children {
			ci, ok := idx[c]
			if !ok {
				return nil, fmt.Errorf("%w: %s: %s: unknown child %q", ErrTable, kind, e.Constant, c)
			}
			n.children = append(n.children, ci)
		}
	}
	// The children must form a forest: a cycle would make matching loop.
	state := make([]uint8, len(nodes)) // 0 new, 1 on stack, 2 done
	var visit func(i int32) error
	visit = func(i int32) error {
		switch state[i] {
		case 1:
			return fmt.Errorf("%w: %s: %s is its own descendant", ErrTable, kind, list[i].Constant)
		case 2:
			return nil
		}
		state[i] = 1
		for _, c := range nodes[i].children {
			if err := visit(c); err != nil {
				return err
			}
		}
		state[i] = 2
		return nil
	}
	for i := range nodes {
		if err := visit(int32(i)); err != nil {
			return nil, err
		}
	}
	for _, c := range top {
		i, ok := idx[c]
		if !ok {
			return nil, fmt.Errorf("%w: %s: top-level order names unknown %q", ErrTable, kind, c)
		}
		*outTop = append(*outTop, i)
	}
	*out = nodes
	return idx, nil
}
