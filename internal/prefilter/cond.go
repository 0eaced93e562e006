package prefilter

// Cond is a language-neutral condition on one event: what a query's
// per-event filters imply about the values of the event's source fields.
// Query languages translate their plans into it (esql's logical plan, KQL
// trees; EQL and exception lists the same way); New turns it into a byte
// filter. It is negation-free on purpose: every form states something the
// event must hold, so dropping a part only weakens it. A nil Cond requires
// nothing.
//
// A translation must be sound: every event the query can keep satisfies
// the Cond it produces. Only what is provable goes in; anything else is
// left out (nil), never approximated.
type Cond interface{ cond() }

// And holds when every condition holds; nil members require nothing.
type And []Cond

// Or holds when some condition holds; a nil member makes it require nothing.
type Or []Cond

// FieldMatch requires that some value of a source field satisfy Op with
// Value.
type FieldMatch struct {
	Field string // the field's full dotted name in the document
	Op    MatchOp
	Value string
	// Fold: the comparison ignores case (Unicode lower-casing both sides),
	// as TO_LOWER/TO_UPPER around the field or KQL's keyword matching do.
	Fold bool
	// KeywordOnly: the condition holds this way only when the field is
	// mapped as keyword (KQL analyzes text fields, so a match there says
	// nothing about the raw value).
	KeywordOnly bool
}

// MatchOp is how a FieldMatch compares.
type MatchOp uint8

const (
	Equals   MatchOp = iota // the value is Value
	Prefix                  // the value starts with Value
	Suffix                  // the value ends with Value
	Contains                // the value contains Value
	// Like: the value matches the glob Value, where `*` is any run, `?`
	// any one character and `\` makes the next character literal
	// (ES|QL LIKE's syntax; KQL and EQL wildcards translate to it).
	Like
)

func (And) cond()         {}
func (Or) cond()          {}
func (*FieldMatch) cond() {}
