package csvspec

import "slices"

// defaultVersion is the Elasticsearch version the runner claims to be when it
// evaluates `#[skip:LOW-HIGH,...]` ranges: a test is skipped only when this
// version falls inside its range, as in Elasticsearch's own runner. The
// suite's tests come from a 9.x main branch; "-8.12.99" ranges skip only
// pre-8.13 clusters.
var defaultVersion = [3]int{9, 2, 0}

// capabilities lists every `required_capability` the engine implements, one
// entry per capability with what it means. A test requiring a capability not
// listed here is skipped, never run. An entry belongs here only when the
// tests requiring it pass (checked by running the suite).
var capabilities = map[string]string{
	"fn_substring_empty_null":                            "SUBSTRING of an empty string is empty, not null",
	"functions_never_emit_text":                          "string functions over text return keyword",
	"rename_sequential_processing":                       "RENAME pairs apply left to right",
	"unique_names":                                       "a repeated ROW/EVAL name keeps the last",
	"kql_function":                                       "KQL() in WHERE directly over FROM",
	"bucket_whole_number_as_span":                        "BUCKET(number, whole-number span)",
	"filter_in_converted_null":                           "IN lists holding null filter correctly",
	"fix_stats_by_foldable_expression":                   "STATS … BY a constant expression",
	"fix_stats_by_foldable_expression_2":                 "STATS … BY a constant expression",
	"fn_day_name":                                        "DAY_NAME",
	"fn_month_name":                                      "MONTH_NAME",
	"hash_function":                                      "HASH",
	"hash_function_aliases_v1":                           "MD5, SHA1, SHA256",
	"implicit_casting_string_literal_to_temporal_amount": "DATE_TRUNC(\"1 day\", d), BUCKET(d, \"1 week\")",
	"least_greatest_for_dates":                           "LEAST / GREATEST over datetimes",
	"mv_pseries_weighted_sum":                            "MV_PSERIES_WEIGHTED_SUM",
	"per_agg_filtering":                                  "STATS agg WHERE cond",
	"per_agg_filtering_ords":                             "STATS agg WHERE cond … BY keyword",
	"repeat":                                             "REPEAT",
	"space":                                              "SPACE",
	"std_dev":                                            "STD_DEV aggregate",
	"to_lower_mv":                                        "TO_LOWER / TO_UPPER over every value",
	"add_limit_inside_mv_expand":                         "SORT / LIMIT around MV_EXPAND keep their row counts",
	"agg_values":                                         "VALUES aggregate",
	"case_fold_temporal_amount":                          "CASE folding over durations and periods",
	"cast_string_literal_to_temporal_amount":             "\"3 days\"::date_period, TO_TIMEDURATION(\"3 hours\") and string + span",
	"casting_operator":                                   "the :: cast operator",
	"casting_operator_for_date":                          "::date as an alias of ::datetime",
	"date_diff_year_calendarial":                         "DATE_DIFF years count whole calendar years",
	"agg_top":                                            "TOP aggregate",
	"agg_top_with_optional_order_field":                  "TOP(field, n) defaults to ascending",
	"agg_weighted_avg":                                   "WEIGHTED_AVG aggregate",
	"base64_decode_encode":                               "TO_BASE64, FROM_BASE64",
	"double_quotes_source_enclosing":                     "FROM \"index\" patterns in double quotes",
	"fix_parsing_large_negative_numbers":                 "-9223372036854775808 is a long, lower literals doubles",
	"fixed_pushdown_past_project":                        "GROK/DISSECT outputs shadow renamed columns correctly",
	"fn_bit_length":                                      "BIT_LENGTH",
	"fn_byte_length":                                     "BYTE_LENGTH",
	"fn_cbrt":                                            "CBRT",
	"fn_contains":                                        "CONTAINS",
	"fn_hypot":                                           "HYPOT",
	"fn_ip_prefix":                                       "IP_PREFIX",
	"fn_mv_append":                                       "MV_APPEND",
	"fn_mv_contains_v1":                                  "MV_CONTAINS",
	"fn_mv_median_absolute_deviation":                    "MV_MEDIAN_ABSOLUTE_DEVIATION",
	"fn_mv_percentile":                                   "MV_PERCENTILE",
	"fn_reverse":                                         "REVERSE",
	"fn_reverse_grapheme_clusters":                       "REVERSE keeps grapheme clusters together",
	"rename_allow_assignment":                            "RENAME b = a",
	"string_literal_auto_casting_to_datetime_add_sub":    "string literal + / - time span is a datetime",
	"grok_dissect_masking":                               "GROK/DISSECT outputs may overwrite their input column",
	"grok_multi_pattern":                                 "GROK with several patterns",
	"mv_sort":                                            "MV_SORT, MV_SLICE, MV_ZIP",
	"str_commands_accept_null":                           "GROK/DISSECT over a null-typed input",
	"string_literal_auto_casting":                        "string literals cast to datetime/ip/version function arguments",
	"string_literal_auto_casting_extended":               "string literals cast in comparisons with ip/version/datetime",
	"timespan_abbreviations":                             "time span units q, mo, w, d, h, min, sec/s, ms, y/yr",
	"case_mv":                                            "CASE treats a multi-valued condition as false, with a warning",
	"clamp_functions":                                    "CLAMP, CLAMP_MIN, CLAMP_MAX",
	"disable_nullable_opts":                              "null from a failed evaluation is not optimised away (IS NULL / IS NOT NULL)",
	"fix_case_partial_fold_keyword_type":                 "CASE folding keeps keyword type over TO_TEXT arms",
	"fix_index_like_question_mark_wildcard":              "LIKE '?' on _index",
	"fix_precision_of_scaled_float_fields":               "scaled_float read back as long / factor",
	"fix_unrolled_foldable_mv_warning":                   "no spurious warning for folded CASE over STATS BY multi-values",
	"fixed_wrong_is_not_null_check_on_case":              "IS NOT NULL on a CASE result checks the value",
	"fn_case_partial_fold_multivalue_warning":            "partially folded CASE warns on multi-valued constant conditions",
	"fn_case_single_value_list_condition":                "CASE([true], ...) treats a one-element list as single-valued",
	"fn_case_standard_multivalue_message":                "CASE multi-value warning wording",
	"fn_to_text":                                         "TO_TEXT",
	"like_rlike_constant_expression":                     "LIKE / RLIKE patterns from foldable expressions",
	"like_with_list_of_patterns":                         "LIKE (p1, p2, ...)",
	"load_constant_keyword":                              "constant_keyword fields (needs event_* data sets)",
	"mixed_numeric_types_in_case_greatest_least":         "CASE / GREATEST / LEAST widen mixed numeric branches",
	"mixed_numeric_types_in_coalesce":                    "COALESCE widens mixed numeric arguments",
	"rlike_with_empty_language_pattern":                  "RLIKE with '#' (empty language) pattern",
	"rlike_with_list_of_patterns":                        "RLIKE (p1, p2, ...)",
	"warn_null_misuse":                                   "warning: expression always evaluates to NULL",
}

// Supported reports whether the engine implements a capability.
func Supported(capability string) bool {
	_, ok := capabilities[capability]
	return ok
}

// Capabilities lists the supported capabilities, sorted.
func Capabilities() []string {
	out := make([]string, 0, len(capabilities))
	for c := range capabilities {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// deviations are tests whose expected answer is an Elasticsearch quirk Vigil
// deliberately does not reproduce (see conformance/README.md). They still
// count as failures; the note says why in every report.
var deviations = map[string]string{
	"notLikeListAllWildcard":  `documented deviation: Elasticsearch's x NOT LIKE ("*") returns the rows where x is null; Vigil keeps three-valued logic (null stays null, filtered out)`,
	"notRlikeListAllWildcard": `documented deviation: Elasticsearch's x NOT RLIKE (".*") returns the rows where x is null; Vigil keeps three-valued logic (null stays null, filtered out)`,
}
