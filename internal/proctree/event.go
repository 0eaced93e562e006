// Package proctree rebuilds process trees from Elastic Defend process
// events. A process is its process.entity_id — never its pid, which the OS
// reuses — linked to its parent by process.parent.entity_id and, when the
// events carry it, process.Ext.ancestry (parent first). Given a Source of
// stored events, Build makes the tree around a focus process: its
// ancestors, the focus, its children and their descendants, and its
// siblings, bounded in depth and size and safe on bad data (a parent that
// was never seen, cycles, a parent with thousands of children). It knows
// nothing of HTTP or SQL: the store and `vigil hunt` supply the events.
// What a store indexes an event by (Key: entity ids, host, time) is read
// cheaply by KeyReader, or by KeyOf from a document ingest decoded anyway;
// Parse is their reference.
package proctree

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Event is what the tree reads of one process event.
type Event struct {
	ID, Index string
	Time      int64 // @timestamp, ms since the epoch
	EntityID  string
	// ParentEntityID is process.parent.entity_id ("" when absent).
	ParentEntityID string
	Host           string // host.id, else host.name
	PID            *int64
	Name           string
	Executable     string
	Args           []string
	CommandLine    string
	User           string
	WorkingDir     string
	// Ancestry is process.Ext.ancestry: the parent's entity id first, then
	// its parent's…
	Ancestry []string
	// End marks an event of the process ending (event.type "end").
	End bool
	// Parent is what the event says of the parent process, which a tree
	// shows when the parent has no event of its own.
	Parent ParentInfo
	// Source is the event's document, as stored.
	Source json.RawMessage
}

// ParentInfo is an event's process.parent.* fields.
type ParentInfo struct {
	PID         *int64
	Name        string
	Executable  string
	Args        []string
	CommandLine string
	WorkingDir  string
	User        string
}

// maxAncestry bounds the ancestry list kept per event (Endpoint's is
// shorter than this).
const maxAncestry = 256

// Parse reads a process event's document (a bare ECS document, nested or
// with dotted keys): ok is false when it is not a process event
// (event.category "process", or an endpoint.events.process dataset) with a
// process.entity_id. The document is not kept; callers set Source.
func Parse(src []byte) (Event, bool) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	if dec.Decode(&m) != nil {
		return Event{}, false
	}
	return FromMap(m)
}

// FromMap is Parse over a decoded document.
func FromMap(m map[string]any) (Event, bool) {
	f := fields(m)
	var e Event
	e.EntityID = f.str("process.entity_id")
	if e.EntityID == "" || !isProcess(f) {
		return Event{}, false
	}
	e.ParentEntityID = f.str("process.parent.entity_id")
	e.Host = f.first("host.id", "host.name")
	e.Time = f.time("@timestamp")
	e.PID = f.int("process.pid")
	e.Name = f.str("process.name")
	e.Executable = f.str("process.executable")
	e.Args = f.strs("process.args")
	e.CommandLine = f.str("process.command_line")
	e.User = f.first("process.user.name", "user.name")
	e.WorkingDir = f.str("process.working_directory")
	e.Ancestry = f.strs("process.Ext.ancestry")
	if len(e.Ancestry) > maxAncestry { // bad data: bound what one event costs a tree
		e.Ancestry = e.Ancestry[:maxAncestry]
	}
	for _, t := range f.strs("event.type") {
		if t == "end" {
			e.End = true
		}
	}
	e.Parent = ParentInfo{PID: f.int("process.parent.pid"), Name: f.str("process.parent.name"),
		Executable: f.str("process.parent.executable"), Args: f.strs("process.parent.args"),
		CommandLine: f.str("process.parent.command_line"), WorkingDir: f.str("process.parent.working_directory"),
		User: f.str("process.parent.user.name")}
	return e, true
}

func isProcess(f fields) bool {
	for _, c := range f.strs("event.category") {
		if c == "process" {
			return true
		}
	}
	for _, k := range []string{"event.dataset", "data_stream.dataset"} {
		if f.str(k) == "endpoint.events.process" {
			return true
		}
	}
	return false
}

// fields reads dotted paths from a document whose objects may be nested,
// dotted, or both ({"process.parent": {"name": …}}).
type fields map[string]any

func (f fields) get(path string) any {
	var cur any = map[string]any(f)
	for path != "" {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if v, ok := m[path]; ok {
			return v
		}
		// The longest key that is a dotted prefix of path.
		found := false
		for i := len(path) - 1; i > 0; i-- {
			if path[i] != '.' {
				continue
			}
			if v, ok := m[path[:i]]; ok {
				cur, path, found = v, path[i+1:], true
				break
			}
		}
		if !found {
			return nil
		}
	}
	return cur
}

func (f fields) str(path string) string {
	switch v := f.get(path).(type) {
	case string:
		return v
	case []any:
		if len(v) > 0 {
			s, _ := v[0].(string)
			return s
		}
	case json.Number:
		return v.String()
	}
	return ""
}

// first is the first of the paths with a string value.
func (f fields) first(paths ...string) string {
	for _, p := range paths {
		if s := f.str(p); s != "" {
			return s
		}
	}
	return ""
}

func (f fields) strs(path string) []string {
	switch v := f.get(path).(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func (f fields) int(path string) *int64 {
	v := f.get(path)
	if a, ok := v.([]any); ok && len(a) > 0 {
		v = a[0]
	}
	var n int64
	var err error
	switch x := v.(type) {
	case json.Number:
		n, err = x.Int64()
	case string:
		n, err = strconv.ParseInt(x, 10, 64)
	default:
		return nil
	}
	if err != nil {
		return nil
	}
	return &n
}

func (f fields) time(path string) int64 {
	switch v := f.get(path).(type) {
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.UnixMilli()
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return n
		}
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
	}
	return 0
}

// Identify reads any event's process.entity_id and host key (host.id,
// else host.name), whatever its category: what links an alert's evidence
// to the processes of a tree.
func Identify(src []byte) (entityID, host string) {
	var m map[string]any
	if json.Unmarshal(src, &m) != nil {
		return "", ""
	}
	f := fields(m)
	return f.str("process.entity_id"), f.first("host.id", "host.name")
}

// FocusOf is the process an alert (its flat dotted fields) centres on: the
// process it names (a per-event rule's alert carries its event's
// process.entity_id), else the parent process it groups by (the seed rule:
// the Python parent), else the first of its evidence events' processes.
func FocusOf(alert map[string]any, evidence []string) string {
	if v := fields(alert).first("process.entity_id", "process.parent.entity_id"); v != "" {
		return v
	}
	for _, e := range evidence {
		if e != "" {
			return e
		}
	}
	return ""
}

// HostOf is an alert's host key as Event.Host keys hosts (host.id, else
// host.name), "" when it names none.
func HostOf(alert map[string]any) string { return fields(alert).first("host.id", "host.name") }
