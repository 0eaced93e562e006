package sample

import (
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"time"
)

// A Case is a scripted burst of Defend events on one host: the processes
// involved and the events they cause, at offsets from the case's start.
// EQL scenarios (EQLScenarios) and the benign file, network and process
// background (benignCases) are tables of cases, played by (*gen).play.
type Case struct {
	Why    string // what the case is: the attack, or the condition a near miss misses
	Host   string // one of the named hosts (web-01, mac-03.corp.example, …): its OS is the host's
	Procs  []Proc
	Events []Ev
}

// Proc is a process of a case. Every case has three processes of its own
// to start from: "init" (systemd, launchd), "sshd" (sshd on Linux, login on
// macOS) and "shell" (a login bash or zsh of user deploy/alice); Parent ""
// is "shell".
type Proc struct {
	ID     string // label events refer to
	Parent string // label of the parent (declared earlier, or a built-in one)
	Exe    string
	Args   []string
	User   string // "" inherits the parent's user
	Cwd    string // "" inherits the parent's working directory
	// Image, when set, makes this process the new image of process Image
	// after an exec: same entity_id and pid, Image's image as
	// process.previous.
	Image string
}

// Ev is one event of a case.
type Ev struct {
	At   float64 // seconds from the case's start
	Kind string  // exec, fork, end; creation, deletion, modification, launch_daemon (file); connection_attempted, connection_accepted (network)
	Proc string  // the process the event describes (process events) or that causes it
	// Path is the file of a file event.
	Path string
	// Remote is the other end of a network event: the destination of
	// connection_attempted, the source of connection_accepted. Port is the
	// remote port for connection_attempted, the local (listening) port for
	// connection_accepted.
	Remote string
	Port   int
	// Set overrides fields of the generated event, by dotted path
	// (process.exit_code, …).
	Set map[string]any
}

// kindOf maps an Ev kind to its data stream, event.type and event.action
// as Elastic Defend writes them (endpoint-package custom_documentation:
// process/linux/linux_process_{exec,fork,exit}, file/linux/linux_file_*,
// file/macos/macos_file_launch_daemon, network/linux/linux_network_*).
var kindOf = map[string]struct {
	stream string
	types  []string
}{
	"exec":                 {"process", []string{"start"}},
	"fork":                 {"process", []string{"start"}},
	"end":                  {"process", []string{"end"}},
	"creation":             {"file", []string{"creation"}},
	"deletion":             {"file", []string{"deletion"}},
	"modification":         {"file", []string{"change"}},
	"launch_daemon":        {"file", []string{"creation"}},
	"connection_attempted": {"network", []string{"start"}},
	"connection_accepted":  {"network", []string{"start"}},
}

// ingestLag is how long after an event Elasticsearch ingests it.
const ingestLag = 2 * time.Second

// caseProc is a Proc as played: its identity and its parent's.
type caseProc struct {
	proc
	parent   *caseProc
	previous *caseProc // the image before an exec (Proc.Image)
}

func (p *caseProc) ancestry() []string {
	var out []string
	for a := p.parent; a != nil; a = a.parent {
		out = append(out, a.entityID)
	}
	return out
}

// uid is the user id Defend reports for a user on the host's OS.
func uid(user, osType string) string {
	switch {
	case user == "root":
		return "0"
	case osType == "macos":
		return "501"
	}
	return "1000"
}

// roots are the processes every case starts from on h: the host's init
// and sshd (or login) are the same in every case, the login shell is new.
func (g *gen) roots(h host) map[string]*caseProc {
	mk := func(parent *caseProc, exe, user, cwd string, args ...string) *caseProc {
		return &caseProc{proc: g.newProc(h, exe, args, cwd, user), parent: parent}
	}
	if g.hostRoots == nil {
		g.hostRoots = map[string][2]*caseProc{}
	}
	r, ok := g.hostRoots[h.name]
	if !ok {
		if h.osType == "macos" {
			r[0] = mk(nil, "/sbin/launchd", "root", "/", "/sbin/launchd")
			r[1] = mk(r[0], "/usr/bin/login", "root", "/", "login", "-pf", "alice")
		} else {
			r[0] = mk(nil, "/usr/lib/systemd/systemd", "root", "/", "/sbin/init")
			r[1] = mk(r[0], "/usr/sbin/sshd", "root", "/", "sshd: deploy [priv]")
		}
		g.hostRoots[h.name] = r
	}
	shell := mk(r[1], "/bin/bash", "deploy", "/home/deploy", "-bash")
	if h.osType == "macos" {
		shell = mk(r[1], "/bin/zsh", "alice", "/Users/alice", "-zsh")
	}
	return map[string]*caseProc{"init": r[0], "sshd": r[1], "shell": shell}
}

// hostFor is the named host of a case, made when the configuration has
// fewer hosts.
func (g *gen) hostFor(name string) host {
	osType := "linux"
	for _, n := range namedHosts {
		if n.name == name && n.kind == macosKind {
			osType = "macos"
		}
	}
	return g.hostNamed(name, osType)
}

// play emits the events of c on h from start; id gives each event its
// event.id (i: its position in c.Events).
func (g *gen) play(c Case, h host, start time.Time, id func(i int) string) {
	procs := g.roots(h)
	for _, p := range c.Procs {
		parentID := p.Parent
		if parentID == "" {
			parentID = "shell"
		}
		parent := procs[parentID]
		if parent == nil {
			panic(fmt.Sprintf("sample: case %q: process %q has unknown parent %q", c.Why, p.ID, parentID))
		}
		user, cwd := p.User, p.Cwd
		if user == "" {
			user = parent.user
		}
		if cwd == "" {
			cwd = parent.cwd
		}
		cp := &caseProc{proc: g.newProc(h, p.Exe, p.Args, cwd, user), parent: parent}
		if p.Image != "" {
			prev := procs[p.Image]
			if prev == nil {
				panic(fmt.Sprintf("sample: case %q: process %q is the image of unknown %q", c.Why, p.ID, p.Image))
			}
			cp.entityID, cp.pid, cp.previous = prev.entityID, prev.pid, prev
		}
		procs[p.ID] = cp
	}
	for i, e := range c.Events {
		p := procs[e.Proc]
		k, ok := kindOf[e.Kind]
		if p == nil || !ok {
			panic(fmt.Sprintf("sample: case %q: event %d: unknown process %q or kind %q", c.Why, i, e.Proc, e.Kind))
		}
		t := start.Add(time.Duration(e.At * float64(time.Second)))
		d := envelope(h, t, k.stream, e.Kind, k.types, id(i))
		d["message"] = "Endpoint " + k.stream + " event"
		// Fleet's ingest pipeline stamps event.ingested, which most
		// prebuilt rules order by (timestamp_override).
		d["event"].(map[string]any)["ingested"] = t.Add(ingestLag).UTC().Format("2006-01-02T15:04:05.000Z")
		d["user"] = map[string]any{"name": p.user, "id": uid(p.user, h.osType)}
		switch k.stream {
		case "process":
			d["process"] = processFields(p, h.osType, t, e.Kind)
		case "file":
			d["process"] = eventProcess(p)
			d["file"] = fileFields(e.Path)
			if e.Kind == "launch_daemon" {
				name := strings.TrimSuffix(path.Base(e.Path), ".plist")
				d["Persistence"] = map[string]any{"path": e.Path, "name": name, "runatload": true, "keepalive": true,
					"args": []string{"/usr/local/bin/" + name}}
			}
		case "network":
			d["process"] = eventProcess(p)
			g.networkFields(d, h, e)
		}
		for k, v := range e.Set {
			setPath(d, k, v)
		}
		g.events = append(g.events, event{t: t, doc: d})
	}
}

// processFields are process.* of a process event: the process, its parent
// and ancestry, as in Defend's Linux exec sample; an exec'd image carries
// process.previous, an end event process.end and process.exit_code.
func processFields(p *caseProc, osType string, t time.Time, kind string) map[string]any {
	f := procFields(p.proc)
	f["Ext"] = map[string]any{"ancestry": p.ancestry()}
	f["user"] = map[string]any{"name": p.user, "id": uid(p.user, osType)}
	if p.parent != nil {
		pf := procFields(p.parent.proc)
		pf["user"] = map[string]any{"name": p.parent.user, "id": uid(p.parent.user, osType)}
		f["parent"] = pf
	}
	if p.previous != nil {
		f["previous"] = []map[string]any{{"args": p.previous.args, "args_count": len(p.previous.args), "executable": p.previous.exe}}
	}
	if kind == "end" {
		f["end"] = t.UTC().Format("2006-01-02T15:04:05.000Z")
		f["exit_code"] = 0
	}
	return f
}

// eventProcess is process.* of a file or network event: Defend names the
// process, not its arguments.
func eventProcess(p *caseProc) map[string]any {
	f := map[string]any{"entity_id": p.entityID, "pid": p.pid, "name": p.name, "executable": p.exe,
		"Ext": map[string]any{"ancestry": p.ancestry()}}
	if p.parent != nil {
		f["parent"] = map[string]any{"entity_id": p.parent.entityID}
	}
	return f
}

// fileFields are file.* for a path: name, path and, when the name has one,
// extension.
func fileFields(p string) map[string]any {
	name := path.Base(p)
	f := map[string]any{"path": p, "name": name}
	if i := strings.LastIndexByte(name, '.'); i > 0 && i < len(name)-1 {
		f["extension"] = name[i+1:]
	}
	return f
}

// networkFields adds source, destination and network (transport, type:
// Defend's Linux network events have no network.direction) for e on h:
// source is the client, the host's end gets an ephemeral port when it is
// the client.
func (g *gen) networkFields(d map[string]any, h host, e Ev) {
	local := map[string]any{"address": h.ip, "ip": h.ip, "port": 32768 + g.rng.IntN(28000)}
	remote := map[string]any{"address": e.Remote, "ip": e.Remote, "port": e.Port}
	if e.Kind == "connection_accepted" {
		local["port"], remote["port"] = e.Port, 32768+g.rng.IntN(28000)
		local, remote = remote, local
	}
	d["source"], d["destination"] = local, remote
	netType := "ipv4"
	if strings.Contains(e.Remote, ":") {
		netType = "ipv6"
	}
	d["network"] = map[string]any{"transport": "tcp", "type": netType}
}

// setPath sets a dotted field in a nested document.
func setPath(d map[string]any, dotted string, v any) {
	parts := strings.Split(dotted, ".")
	for _, k := range parts[:len(parts)-1] {
		next, ok := d[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			d[k] = next
		}
		d = next
	}
	d[parts[len(parts)-1]] = v
}

// eqlGen is the generator of the EQL data: its own random stream and
// process ids, so that turning it on leaves the rest of the data as it was.
func (g *gen) eqlGen() *gen {
	s := g.cfg.Seed ^ 0x51ab1e5ce9a7105
	return &gen{cfg: g.cfg, rng: rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15)), hosts: slices.Clone(g.hosts), pid: 400000}
}

// EventID is the event.id of event i of a scenario's attack (miss 0) or of
// its near miss miss (from 1): tests find an alert's scenario by it.
func EventID(s EQLScenario, miss, i int) string {
	if miss == 0 {
		return fmt.Sprintf("scenario:%s:attack:%d", s.Name(), i)
	}
	return fmt.Sprintf("scenario:%s:miss%d:%d", s.Name(), miss, i)
}

// eqlSlot is the time between the starts of two scripted EQL cases: more
// than the longest case plus the longest maxspan of the scenario rules
// (maxCaseSpan, MaxRuleSpan), so no sequence joins events of two cases.
const (
	eqlSlot     = 150 * time.Second
	maxCaseSpan = 70 * time.Second
)

// MaxRuleSpan is the longest maxspan a scenario rule's sequence may have
// (the engine's scenario test checks the rules against it).
const MaxRuleSpan = time.Minute

// eqlScenarios plays the attack and near misses of each scenario, one case
// per slot from five minutes after the start.
func (g *gen) eqlScenarios(set []EQLScenario) {
	slot := 0
	for _, s := range set {
		for miss, c := range s.Cases() {
			start := g.cfg.Start.Add(5*time.Minute + time.Duration(slot)*eqlSlot)
			g.play(c, g.hostFor(c.Host), start, func(i int) string { return EventID(s, miss, i) })
			slot++
		}
	}
}

// benignMinute plays benign file, network and process cases on h during
// minute m, at the background rate.
func (g *gen) benignMinute(h host, m int) {
	n := g.poisson(g.cfg.EventsPerHostMinute)
	for i := 0; i < n; i++ {
		b := benignCases[g.rng.IntN(len(benignCases))]
		if b.os != h.osType {
			continue
		}
		t := g.cfg.Start.Add(time.Duration(m)*time.Minute + time.Duration(g.rng.IntN(55000))*time.Millisecond)
		g.play(b.c, h, t, func(int) string { return g.hex(20) })
	}
}
