package enrich

// Version is furrow's enrich version; the default v_etl is "furrow-" +
// Version.
const Version = "0.1.0"
