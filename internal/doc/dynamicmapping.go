package doc

// This file is dynamic mapping: an unmapped field seen with DecodeOptions
// Dynamic gets a plan typed by the mapping's dynamic templates and its
// first value's JSON type (Mapping.DynamicField: the ecs@mappings name rules
// and logs@mappings' date_detection when the catalog lays them under the
// mapping). It runs once per new field; later values take the plan's fast
// path like mapped ones.

// dynamicField adds an unmapped field, typed as Mapping.DynamicField says.
func (d *Decoder) dynamicField(kind int, s string) int32 {
	name := string(d.path)
	f, _ := d.m.DynamicField(name, d.m.DetectKind(s, kind == tokString, kind == tokTrue || kind == tokFalse))
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
