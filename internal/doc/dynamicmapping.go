package doc

import "strings"

// This file is dynamic mapping: an unmapped field seen with DecodeOptions
// Dynamic gets a plan typed from its first value, as Elasticsearch's
// dynamic mapping with the ECS templates would type it. It runs once per
// new field; later values take the plan's fast path like mapped ones.

// dynamicField adds an unmapped field, typed from its first value.
func (d *Decoder) dynamicField(kind int, s string) int32 {
	name := string(d.path)
	f := Field{Name: name}
	switch kind {
	case tokTrue, tokFalse:
		f.Type, f.ESType = Boolean, "boolean"
	case tokNumber:
		if strings.ContainsAny(s, ".eE") {
			f.Type, f.ESType = Double, "float"
		} else {
			f.Type, f.ESType = Long, "long"
		}
	default:
		if len(s) >= 10 && s[4] == '-' {
			if _, ok := parseISODate(s); ok {
				f.Type, f.ESType = Date, "date"
			}
		}
		if f.Type == Null {
			f.Type, f.ESType = Keyword, "keyword"
		}
	}
	// Under a nested object the field is a nested sub-field, which ES|QL cannot read.
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '.' {
			if a := d.root.lookupAll(name[:i]); a != nil && a.obj != nil && a.obj.Nested {
				f.Nested, f.Type = true, Unsupported
				break
			}
		}
	}
	d.dyn.Add(f)
	stored, _ := d.dyn.Lookup(name)
	pi := d.addPlan(stored)
	d.refreshNeed(pi)
	d.countTarget()
	// Register the parent objects so a later scalar there is rejected as ES does.
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '.' {
			a := d.node(name[:i])
			if a.obj != nil || a.plan >= 0 {
				break
			}
			a.obj = &Object{Name: name[:i]}
			d.dyn.AddObject(*a.obj)
		}
	}
	return pi
}
