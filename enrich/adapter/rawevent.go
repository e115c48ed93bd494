package adapter

import "github.com/furrowdata/furrow/enrich/collector"

// RawEvent is one event as the tracker protocol describes it, before
// enrichment: Snowplow's RawEvent. Parameters hold the tracker-protocol
// fields (e, aid, ue_pr, cx, …) with values already URL-decoded once, as
// Snowplow's adapters produced them.
type RawEvent struct {
	API         collector.API
	Parameters  map[string]string
	ContentType string // "" = none
	Source      collector.Source
	Context     collector.Context
}
