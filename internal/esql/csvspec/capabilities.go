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
	"case_fold_temporal_amount":                  "CASE folding over durations and periods",
	"case_mv":                                    "CASE treats a multi-valued condition as false, with a warning",
	"clamp_functions":                            "CLAMP, CLAMP_MIN, CLAMP_MAX",
	"disable_nullable_opts":                      "null from a failed evaluation is not optimised away (IS NULL / IS NOT NULL)",
	"fix_case_partial_fold_keyword_type":         "CASE folding keeps keyword type over TO_TEXT arms",
	"fix_index_like_question_mark_wildcard":      "LIKE '?' on _index",
	"fix_precision_of_scaled_float_fields":       "scaled_float read back as long / factor",
	"fix_unrolled_foldable_mv_warning":           "no spurious warning for folded CASE over STATS BY multi-values",
	"fixed_wrong_is_not_null_check_on_case":      "IS NOT NULL on a CASE result checks the value",
	"fn_case_partial_fold_multivalue_warning":    "partially folded CASE warns on multi-valued constant conditions",
	"fn_case_single_value_list_condition":        "CASE([true], ...) treats a one-element list as single-valued",
	"fn_case_standard_multivalue_message":        "CASE multi-value warning wording",
	"fn_to_text":                                 "TO_TEXT",
	"like_rlike_constant_expression":             "LIKE / RLIKE patterns from foldable expressions",
	"like_with_list_of_patterns":                 "LIKE (p1, p2, ...)",
	"load_constant_keyword":                      "constant_keyword fields (needs event_* data sets)",
	"mixed_numeric_types_in_case_greatest_least": "CASE / GREATEST / LEAST widen mixed numeric branches",
	"mixed_numeric_types_in_coalesce":            "COALESCE widens mixed numeric arguments",
	"rlike_with_empty_language_pattern":          "RLIKE with '#' (empty language) pattern",
	"rlike_with_list_of_patterns":                "RLIKE (p1, p2, ...)",
	"warn_null_misuse":                           "warning: expression always evaluates to NULL",
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
