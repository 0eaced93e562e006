package esql

import (
	"strings"

	"vigil/internal/doc"
	"vigil/internal/esql/logical"
)

// COMPLETION sends each row's prompt to an LLM inference endpoint
// (Elasticsearch's Completion plan). Vigil has none: a query using it is
// parsed and validated like any other — the prompt must be a string, the
// options those Elasticsearch accepts, the answer a keyword column named by
// the target ("completion" by default) — and the plan says it needs an
// endpoint (Query.CannotRun), so callers skip it rather than run it. Run
// anyway, the answer is null.

// completionOptions are the option names COMPLETION … WITH {…} accepts.
var completionOptions = []string{"inference_id", "task_settings"}

// completion compiles COMPLETION into the plan and an EVAL of null.
func (c *compiler) completion(cm *CompletionCmd, sc *scope) opSpec {
	x := c.expr(cm.Prompt, sc)
	if !x.t.IsString() {
		c.errs = append(c.errs, errAt(cm.Prompt.Pos(), "prompt must be of type [text] but is ["+x.t.String()+"]"))
	}
	id := cm.ID
	if o := cm.Options; o != nil {
		found := false
		for i, k := range o.Keys {
			v := o.Vals[i]
			switch k {
			case "inference_id":
				lit, ok := v.(*Literal)
				if !ok || !lit.Val.T.IsString() || lit.Val.IsMulti() {
					c.errs = append(c.errs, errAt(v.Pos(), "Option [inference_id] must be a valid string, found ["+v.Src()+"]"))
					continue
				}
				id, found = lit.Val.S, true
			case "task_settings":
				if _, ok := v.(*MapExpr); !ok {
					c.errs = append(c.errs, errAt(v.Pos(), "Option [task_settings] must be a map, found ["+v.Src()+"]"))
				}
			default:
				c.errs = append(c.errs, errAt(o.Pos(), "Invalid option ["+k+"] in [COMPLETION], expected one of [["+strings.Join(completionOptions, ", ")+"]]"))
			}
		}
		if !found {
			c.errs = append(c.errs, errAt(o.Pos(), "Missing mandatory option [inference_id] in [COMPLETION]"))
		}
	}
	node := &logical.Completion{Prompt: x.node, InferenceID: id, At: logical.Pos{Line: cm.P.Line, Col: cm.P.Col}}
	a := &attr{name: cm.Target, t: doc.Keyword, slot: c.newSlot(), col: &logical.Col{Name: cm.Target, Type: doc.Keyword, By: node}}
	node.Out = a.col
	sc.add(a)
	c.cmds = append(c.cmds, node)
	return &evalSpec{slots: []int{a.slot}, evals: []evalFn{func(*ctx, []doc.Value) doc.Value { return doc.Value{} }}}
}

// CannotRun returns why Vigil cannot run the query (positioned at the
// command), nil when it can: a COMPLETION needs an LLM inference endpoint.
func (q *Query) CannotRun() *Error {
	if cm := q.plan.Completion(); cm != nil {
		return &Error{Line: cm.At.Line, Col: cm.At.Col, Msg: NoInferenceMsg}
	}
	return nil
}

// NoInferenceMsg is why a query with COMPLETION is not run.
const NoInferenceMsg = "cannot run: COMPLETION needs an LLM inference endpoint, which Vigil does not have"
