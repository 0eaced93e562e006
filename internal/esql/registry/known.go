package registry

// elasticsearchFunctions names every function Elasticsearch's ES|QL has
// (scalar, aggregate, grouping, time-series, search, vector; aliases
// included), whether or not Vigil implements it. The analyzer tells a name
// Elasticsearch would accept but Vigil does not evaluate ("[NAME] function
// is not supported yet") from a name Elasticsearch rejects too ("Unknown
// function [name]"), so an error blames Vigil, not the rule.
//
// Source: the ES|QL functions-and-operators reference of Elasticsearch 9.x
// (elastic/elasticsearch docs/reference/query-languages/esql/_snippets/lists/
// {aggregation,conditional-functions-and-expressions,date-time,grouping,ip,
// math,mv,search,spatial,string,type-conversion,time-series-aggregation,
// dense-vector}-functions.md on main, read December 2026, and the generated
// per-function example pages beside them; TO_TEXT from its reference page),
// plus the conversion aliases EsqlFunctionRegistry defines (TO_BOOL, TO_DBL,
// TO_DT, TO_INT, TO_UL, TO_ULONG, TO_VER, TO_DATENANOS) and BIN, the alias of
// BUCKET. A test checks every implemented function is listed. Keep it sorted.
var elasticsearchFunctions = []string{
	"ABS", "ABSENT", "ABSENT_OVER_TIME", "ACOS", "ACOSH", "ALL_FIRST", "ALL_LAST", "ASIN", "ASINH", "ATAN", "ATAN2",
	"ATANH", "AVG", "AVG_OVER_TIME",
	"BIN", "BIT_LENGTH", "BUCKET", "BYTE_LENGTH",
	"CASE", "CATEGORIZE", "CBRT", "CEIL", "CHUNK", "CIDR_MATCH", "CLAMP", "CLAMP_MAX", "CLAMP_MIN", "COALESCE", "CONCAT",
	"CONTAINS", "COPY_SIGN", "COS", "COSH", "COUNT", "COUNT_DISTINCT", "COUNT_DISTINCT_OVER_TIME", "COUNT_OVER_TIME",
	"DATE_DIFF", "DATE_EXTRACT", "DATE_FORMAT", "DATE_PARSE", "DATE_TRUNC", "DATE_UNIT_COUNT", "DAY", "DAYS_IN_MONTH",
	"DAY_NAME", "DECAY", "DELTA", "DERIV",
	"E", "EARLIEST", "EMBEDDING", "ENDS_WITH", "EXP", "EXTRACT_SNIPPETS",
	"FIELD_EXTRACT", "FIRST", "FIRST_OVER_TIME", "FLOOR", "FROM_BASE64",
	"GREATEST",
	"HASH", "HOUR", "HYPOT",
	"IDELTA", "INCREASE", "IN_RANGE", "IP_PREFIX", "IRATE",
	"JSON_EXTRACT",
	"KNN", "KQL",
	"LAST", "LAST_OVER_TIME", "LATEST", "LEAST", "LEFT", "LENGTH", "LOCATE", "LOG", "LOG10", "LTRIM",
	"MATCH", "MATCH_PHRASE", "MAX", "MAX_OVER_TIME", "MD5", "MEDIAN", "MEDIAN_ABSOLUTE_DEVIATION", "MIN", "MIN_OVER_TIME",
	"MONTH", "MONTH_NAME", "MULTI_MATCH", "MV_APPEND", "MV_AVG", "MV_CONCAT", "MV_CONTAINS", "MV_CONTAINS_ALL",
	"MV_COUNT", "MV_DEDUPE", "MV_DIFFERENCE", "MV_FIRST", "MV_INTERSECTION", "MV_LAST", "MV_MAX", "MV_MEDIAN",
	"MV_MEDIAN_ABSOLUTE_DEVIATION", "MV_MIN", "MV_PERCENTILE", "MV_PSERIES_WEIGHTED_SUM", "MV_SLICE", "MV_SORT",
	"MV_SUM", "MV_UNION", "MV_ZIP",
	"NOW",
	"PERCENTILE", "PI", "POW", "PRESENT", "PRESENT_OVER_TIME",
	"QSTR",
	"RANGE_CONTAINS", "RANGE_INTERSECTS", "RANGE_MAX", "RANGE_MIN", "RANGE_WITHIN", "RATE", "REPEAT", "REPLACE",
	"REVERSE", "RIGHT", "ROUND", "ROUND_TO", "RTRIM",
	"SAMPLE", "SCALB", "SCORE", "SHA1", "SHA256", "SIGNUM", "SIN", "SINH", "SPACE", "SPLIT", "SQRT", "STARTS_WITH",
	"STD_DEV", "ST_CENTROID_AGG", "ST_CONTAINS", "ST_DISJOINT", "ST_DISTANCE", "ST_ENVELOPE", "ST_EXTENT_AGG",
	"ST_GEOHASH", "ST_GEOHASH_TO_GEOSHAPE", "ST_GEOHASH_TO_LONG", "ST_GEOHASH_TO_STRING", "ST_GEOHEX",
	"ST_GEOHEX_TO_GEOSHAPE", "ST_GEOHEX_TO_LONG", "ST_GEOHEX_TO_STRING", "ST_GEOTILE", "ST_GEOTILE_TO_GEOSHAPE",
	"ST_GEOTILE_TO_LONG", "ST_GEOTILE_TO_STRING", "ST_INTERSECTS", "ST_WITHIN", "ST_X", "ST_XMAX", "ST_XMIN", "ST_Y",
	"ST_YMAX", "ST_YMIN", "SUBSTRING", "SUM", "SUM_OVER_TIME",
	"TAN", "TANH", "TAU", "TBUCKET", "TERM", "TEXT_EMBEDDING", "TOP", "TO_AGGREGATE_METRIC_DOUBLE", "TO_ASCII",
	"TO_BASE64", "TO_BOOL", "TO_BOOLEAN", "TO_CARTESIANPOINT", "TO_CARTESIANSHAPE", "TO_COUNTER", "TO_DATENANOS",
	"TO_DATEPERIOD", "TO_DATETIME", "TO_DATE_NANOS", "TO_DATE_RANGE", "TO_DBL", "TO_DEGREES", "TO_DENSE_VECTOR",
	"TO_DOUBLE", "TO_DT", "TO_EXPONENTIAL_HISTOGRAM", "TO_GAUGE", "TO_GEOHASH", "TO_GEOHEX", "TO_GEOPOINT",
	"TO_GEOSHAPE", "TO_GEOTILE", "TO_INT", "TO_INTEGER", "TO_IP", "TO_LONG", "TO_LOWER", "TO_RADIANS", "TO_RANGE",
	"TO_STRING", "TO_TDIGEST", "TO_TEXT", "TO_TIMEDURATION", "TO_UL", "TO_ULONG", "TO_UNSIGNED_LONG", "TO_UPPER", "TO_VER",
	"TO_VERSION", "TRANGE", "TRIM",
	"URL_DECODE", "URL_ENCODE", "URL_ENCODE_COMPONENT",
	"VALUES", "VARIANCE", "V_COSINE", "V_DOT_PRODUCT", "V_HAMMING", "V_L1_NORM", "V_L2_NORM", "V_MAGNITUDE",
	"WEIGHTED_AVG", "WITHOUT",
	"YEAR",
}

var knownFunctions = func() map[string]bool {
	m := make(map[string]bool, len(elasticsearchFunctions))
	for _, n := range elasticsearchFunctions {
		m[n] = true
	}
	return m
}()

// ElasticsearchFunction reports whether Elasticsearch's ES|QL has a function
// of this name (case-insensitive), implemented by Vigil or not.
func ElasticsearchFunction(name string) bool { return knownFunctions[Upper(name)] }

// ElasticsearchFunctions lists those names, sorted.
func ElasticsearchFunctions() []string { return append([]string(nil), elasticsearchFunctions...) }
