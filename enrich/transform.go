package enrich

import (
	"cmp"
	"slices"

	"github.com/furrowdata/furrow/event"
)

// conversion is one of the TransformFunc of R108's transform map.
type conversion uint8

const (
	convTsvSafe        conversion = iota // ME.toTsvSafe
	convEventType                        // EE.extractEventType
	convPlatform                         // ME.extractPlatform
	convValidateInt                      // CU.validateInteger
	convJInteger                         // CU.stringToJInteger
	convUUID                             // CU.validateUuid
	convTimestamp                        // EE.extractTimestamp
	convBooleanlike                      // CU.stringToBooleanlikeJByte
	convViewDimensions                   // CE.extractViewDimensions (two fields)
	convDoublelike                       // CU.stringToDoublelike
	convJSON                             // JU.extractUnencJson
	convBase64JSON                       // JU.extractBase64EncJson
)

// transform maps one tracker-protocol parameter to its field(s).
type transform struct {
	key    string
	conv   conversion
	field  event.Field
	field2 event.Field // second field of a view-dimensions pair
	order  uint64      // position in R108's Scala map iteration
	rank   uint8       // index in transformsInOrder
}

// transformMap is R108's EnrichmentManager transform map, parameter by
// parameter.
var transformMap = [...]transform{
	{key: "e", conv: convEventType, field: event.EventType},
	{key: "ip", conv: convTsvSafe, field: event.UserIPAddress},
	{key: "aid", conv: convTsvSafe, field: event.AppID},
	{key: "p", conv: convPlatform, field: event.Platform},
	{key: "tid", conv: convValidateInt, field: event.TxnID},
	{key: "uid", conv: convTsvSafe, field: event.UserID},
	{key: "duid", conv: convTsvSafe, field: event.DomainUserID},
	{key: "nuid", conv: convTsvSafe, field: event.NetworkUserID},
	{key: "ua", conv: convTsvSafe, field: event.Useragent},
	{key: "fp", conv: convTsvSafe, field: event.UserFingerprint},
	{key: "vid", conv: convJInteger, field: event.DomainSessionIdx},
	{key: "sid", conv: convUUID, field: event.DomainSessionID},
	{key: "dtm", conv: convTimestamp, field: event.DvceCreatedTstamp},
	{key: "ttm", conv: convTimestamp, field: event.TrueTstamp},
	{key: "stm", conv: convTimestamp, field: event.DvceSentTstamp},
	{key: "tna", conv: convTsvSafe, field: event.NameTracker},
	{key: "tv", conv: convTsvSafe, field: event.VTracker},
	{key: "cv", conv: convTsvSafe, field: event.VCollector},
	{key: "lang", conv: convTsvSafe, field: event.BrLang},
	{key: "f_pdf", conv: convBooleanlike, field: event.BrFeaturesPDF},
	{key: "f_fla", conv: convBooleanlike, field: event.BrFeaturesFlash},
	{key: "f_java", conv: convBooleanlike, field: event.BrFeaturesJava},
	{key: "f_dir", conv: convBooleanlike, field: event.BrFeaturesDirector},
	{key: "f_qt", conv: convBooleanlike, field: event.BrFeaturesQuicktime},
	{key: "f_realp", conv: convBooleanlike, field: event.BrFeaturesRealplayer},
	{key: "f_wma", conv: convBooleanlike, field: event.BrFeaturesWindowsmedia},
	{key: "f_gears", conv: convBooleanlike, field: event.BrFeaturesGears},
	{key: "f_ag", conv: convBooleanlike, field: event.BrFeaturesSilverlight},
	{key: "cookie", conv: convBooleanlike, field: event.BrCookies},
	{key: "res", conv: convViewDimensions, field: event.DvceScreenwidth, field2: event.DvceScreenheight},
	{key: "cd", conv: convTsvSafe, field: event.BrColordepth},
	{key: "tz", conv: convTsvSafe, field: event.OSTimezone},
	{key: "refr", conv: convTsvSafe, field: event.PageReferrer},
	{key: "url", conv: convTsvSafe, field: event.PageURL},
	{key: "page", conv: convTsvSafe, field: event.PageTitle},
	{key: "cs", conv: convTsvSafe, field: event.DocCharset},
	{key: "ds", conv: convViewDimensions, field: event.DocWidth, field2: event.DocHeight},
	{key: "vp", conv: convViewDimensions, field: event.BrViewwidth, field2: event.BrViewheight},
	{key: "eid", conv: convUUID, field: event.EventID},
	{key: "co", conv: convJSON, field: event.Contexts},
	{key: "cx", conv: convBase64JSON, field: event.Contexts},
	{key: "ev_ca", conv: convTsvSafe, field: event.SeCategory},
	{key: "ev_ac", conv: convTsvSafe, field: event.SeAction},
	{key: "ev_la", conv: convTsvSafe, field: event.SeLabel},
	{key: "ev_pr", conv: convTsvSafe, field: event.SeProperty},
	{key: "ev_va", conv: convDoublelike, field: event.SeValue},
	{key: "se_ca", conv: convTsvSafe, field: event.SeCategory},
	{key: "se_ac", conv: convTsvSafe, field: event.SeAction},
	{key: "se_la", conv: convTsvSafe, field: event.SeLabel},
	{key: "se_pr", conv: convTsvSafe, field: event.SeProperty},
	{key: "se_va", conv: convDoublelike, field: event.SeValue},
	{key: "ue_pr", conv: convJSON, field: event.UnstructEvent},
	{key: "ue_px", conv: convBase64JSON, field: event.UnstructEvent},
	{key: "tr_id", conv: convTsvSafe, field: event.TrOrderID},
	{key: "tr_af", conv: convTsvSafe, field: event.TrAffiliation},
	{key: "tr_tt", conv: convDoublelike, field: event.TrTotal},
	{key: "tr_tx", conv: convDoublelike, field: event.TrTax},
	{key: "tr_sh", conv: convDoublelike, field: event.TrShipping},
	{key: "tr_ci", conv: convTsvSafe, field: event.TrCity},
	{key: "tr_st", conv: convTsvSafe, field: event.TrState},
	{key: "tr_co", conv: convTsvSafe, field: event.TrCountry},
	{key: "ti_id", conv: convTsvSafe, field: event.TiOrderID},
	{key: "ti_sk", conv: convTsvSafe, field: event.TiSKU},
	{key: "ti_na", conv: convTsvSafe, field: event.TiName}, // an error in the tracker protocol, kept by R108
	{key: "ti_nm", conv: convTsvSafe, field: event.TiName},
	{key: "ti_ca", conv: convTsvSafe, field: event.TiCategory},
	{key: "ti_pr", conv: convDoublelike, field: event.TiPrice},
	{key: "ti_qu", conv: convJInteger, field: event.TiQuantity},
	{key: "pp_mix", conv: convJInteger, field: event.PpXoffsetMin},
	{key: "pp_max", conv: convJInteger, field: event.PpXoffsetMax},
	{key: "pp_miy", conv: convJInteger, field: event.PpYoffsetMin},
	{key: "pp_may", conv: convJInteger, field: event.PpYoffsetMax},
	{key: "tr_cu", conv: convTsvSafe, field: event.TrCurrency},
	{key: "ti_cu", conv: convTsvSafe, field: event.TiCurrency},
}

// secondPass is R108's second transform map: tnuid overwrites the
// collector's network_userid.
var secondPass = transform{key: "tnuid", conv: convTsvSafe, field: event.NetworkUserID}

// numTransforms is the number of transforms in transformMap.
const numTransforms = len(transformMap)

// transformsInOrder lists transformMap in R108's iteration order; a
// transform's rank is its index here.
var transformsInOrder = func() [numTransforms]*transform {
	var out [numTransforms]*transform
	for i := range transformMap {
		t := &transformMap[i]
		t.order = scalaMapOrder(t.key)
		out[i] = t
	}
	slices.SortFunc(out[:], func(a, b *transform) int { return cmp.Compare(a.order, b.order) })
	for i, t := range out {
		t.rank = uint8(i)
	}
	return out
}()

// transformTable finds a transform by parameter name: a collision-free
// table over a seeded hash of the (short) names, built at start-up; a hit
// is confirmed by comparing the name.
var transformTable, transformSeed = func() (tab [1024]uint8, seed uint32) {
	for seed = 1; seed < 1<<16; seed++ {
		tab = [1024]uint8{}
		ok := true
		for i := range transformMap {
			h := transformHash(transformMap[i].key, seed)
			if tab[h] != 0 {
				ok = false
				break
			}
			tab[h] = uint8(i + 1)
		}
		if ok {
			return tab, seed
		}
	}
	panic("enrich: no collision-free transform table")
}()

func transformHash(k string, seed uint32) uint32 {
	h := seed * 0x9E3779B1
	for i := 0; i < len(k); i++ {
		h = (h ^ uint32(k[i])) * 0x01000193
	}
	return (h ^ h>>15) & 1023
}

// lookupTransform returns the transform of parameter k, or nil.
func lookupTransform(k string) *transform {
	if k == "" {
		return nil
	}
	i := transformTable[transformHash(k, transformSeed)]
	if i == 0 {
		return nil
	}
	if t := &transformMap[i-1]; t.key == k {
		return t
	}
	return nil
}

// apply runs the conversion on v and stores the result in e. It returns the
// failure message, if any.
func (t *transform) apply(e *event.Event, v string) string {
	var out, msg string
	switch t.conv {
	case convTsvSafe:
		out, msg = toTsvSafe(t.key, v)
	case convEventType:
		out, msg = extractEventType(t.key, v)
	case convPlatform:
		out, msg = extractPlatform(t.key, v)
	case convValidateInt:
		out, msg = validateInteger(t.key, v)
	case convJInteger:
		out, msg = stringToJInteger(t.key, v)
	case convUUID:
		out, msg = validateUUID(t.key, v)
	case convTimestamp:
		out, msg = extractTimestamp(t.key, v)
	case convBooleanlike:
		out, msg = stringToBooleanlike(t.key, v)
	case convDoublelike:
		out, msg = stringToDoublelike(t.key, v)
	case convViewDimensions:
		w, h, m := extractViewDimensions(t.key, v)
		if m != "" {
			return m
		}
		e.Fields[t.field], e.Fields[t.field2] = w, h
		return ""
	case convJSON:
		out, msg = extractJSON(t.key, v)
	case convBase64JSON:
		out, msg = extractJSON(t.key, decodeBase64Fast(v))
	}
	if msg != "" {
		return msg
	}
	e.Fields[t.field] = out
	return ""
}

// extractJSON is JsonUtils.validateAndReformatJson with its message.
func extractJSON(field, s string) (string, string) {
	out, err := reformatJSON(s)
	if err != "" {
		return "", "Field [" + field + "]: invalid JSON [" + s + "] with parsing error: " + err
	}
	return out, ""
}
