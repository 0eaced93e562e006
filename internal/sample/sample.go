// Package sample owns Vigil's synthetic data: Elastic-Defend-shaped Linux,
// macOS and Windows process events (benign background activity, Python
// backdoor bursts, near misses and the seed rule's edge cases), generated
// deterministically from a seed and scalable to any size for benchmarks.
// With Config.EQL it adds Defend file, network and process fork/exec/end
// events: benign activity (benign.go) and the attacks and near misses of
// prebuilt EQL rules (EQLScenarios), tables of cases played by cases.go.
package sample

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// Config sets what Generate writes.
type Config struct {
	Start    time.Time     // first event time; zero = 2026-11-20T09:00:00Z
	Duration time.Duration // span of background activity; zero = 2h
	Hosts    int           // background hosts; zero = 8
	// EventsPerHostMinute is the mean background rate; zero = 4.
	EventsPerHostMinute float64
	Seed                uint64
	// Scenarios toggles the scripted attacks, near misses and edge cases
	// (on in the bundled data set, off for pure background load).
	Scenarios bool
	// PythonShare, when in (0, 1], is the fraction of background events
	// that come from Python tools (benchmarks shape the data's Python
	// share with it); zero keeps the plain mix of activity.
	PythonShare float64
	// EQL, when set, adds benign file, network and process fork/exec/end
	// activity on every host and, with Scenarios, these EQL rule scenarios
	// (EQLScenarios is the bundled table), from a random stream of their
	// own: the other events stay the same, in the same order.
	EQL []EQLScenario
}

// DefaultConfig is the bundled sample data set's configuration.
func DefaultConfig() Config {
	return Config{Seed: 1, Scenarios: true}
}

func (c *Config) fill() {
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	}
	if c.Duration == 0 {
		c.Duration = 2 * time.Hour
	}
	if c.Hosts == 0 {
		c.Hosts = 8
	}
	if c.EventsPerHostMinute == 0 {
		c.EventsPerHostMinute = 4
	}
}

// host is one machine with its agent.
type host struct {
	name, id, agentID, osType, osFamily, osName, osVersion, platform, kernel, ip string
}

// event is one generated document before encoding; t orders the output.
type event struct {
	t   time.Time
	doc map[string]any
}

type gen struct {
	cfg    Config
	rng    *rand.Rand
	hosts  []host
	events []event
	pid    int
	// hostRoots are each host's init and sshd (or login) processes, for
	// the cases (see roots).
	hostRoots map[string][2]*caseProc
	// lin, daemons and linPid are the lineage's (lineage.go): its random
	// stream, each host's daemons by host and name, its last session pid.
	lin     *rand.Rand
	daemons map[string]proc
	linPid  int
}

// Generate writes the data set as NDJSON in time order and returns the
// event count. It streams: background activity is made one minute at a time,
// so memory stays flat however large the data set.
func Generate(w io.Writer, cfg Config) (int, error) {
	cfg.fill()
	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), pid: 1000}
	g.makeHosts()
	background := g.hosts // scenario-only hosts (win-09) get no background
	if cfg.Scenarios {
		g.scenarios()
	}
	byTime := func(ev []event) {
		sort.SliceStable(ev, func(i, j int) bool { return ev[i].t.Before(ev[j].t) })
	}
	var eqlGen *gen
	if len(cfg.EQL) > 0 {
		eqlGen = g.eqlGen()
		if cfg.Scenarios {
			eqlGen.eqlScenarios(cfg.EQL)
		}
		g.events = append(g.events, eqlGen.events...)
		eqlGen.events = nil
	}
	scripted := g.events
	byTime(scripted)
	g.events = nil
	bw := bufio.NewWriterSize(w, 1<<20)
	n := 0
	write := func(ev []event) error {
		for _, e := range ev {
			b, err := json.Marshal(e.doc)
			if err != nil {
				return err
			}
			bw.Write(b)
			bw.WriteByte('\n')
			n++
		}
		return nil
	}
	minutes := int(g.cfg.Duration / time.Minute)
	for m := 0; m < minutes; m++ {
		g.events = g.events[:0]
		for _, h := range background {
			g.backgroundMinute(h, m)
		}
		if eqlGen != nil {
			for _, h := range background {
				eqlGen.benignMinute(h, m)
			}
			g.events = append(g.events, eqlGen.events...)
			eqlGen.events = eqlGen.events[:0]
		}
		end := g.cfg.Start.Add(time.Duration(m+1) * time.Minute)
		k := 0
		for k < len(scripted) && scripted[k].t.Before(end) {
			k++
		}
		g.events = append(g.events, scripted[:k]...)
		scripted = scripted[k:]
		byTime(g.events)
		if err := write(g.events); err != nil {
			return n, err
		}
	}
	if err := write(scripted); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

func (g *gen) hex(n int) string { return hexFrom(g.rng, n) }

func hexFrom(rng *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[rng.IntN(16)]
	}
	return string(b)
}

func (g *gen) uuid() string {
	h := g.hex(32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// namedHost is a host with a fixed name the scenarios refer to; kind
// indexes makeHosts' kinds: 0 ubuntu, 1 rhel, macosKind.
type namedHost struct {
	name string
	kind int
}

const macosKind = 2

// namedHosts are the first hosts; more hosts (for benchmarks) are
// numbered.
var namedHosts = []namedHost{{"web-01", 0}, {"db-02", 1}, {"mac-03.corp.example", 2}, {"build-02", 0}, {"app-05", 1}, {"cache-06", 0}, {"ci-07", 1}, {"mac-08.corp.example", 2}}

func (g *gen) makeHosts() {
	kinds := []host{
		{osType: "linux", osFamily: "ubuntu", osName: "Ubuntu", osVersion: "22.04.4", platform: "ubuntu", kernel: "5.15.0-105-generic"},
		{osType: "linux", osFamily: "rhel", osName: "Red Hat Enterprise Linux", osVersion: "9.3", platform: "rhel", kernel: "5.14.0-362.8.1.el9_3.x86_64"},
		{osType: "macos", osFamily: "darwin", osName: "macOS", osVersion: "14.4.1", platform: "macos", kernel: "23.4.0"},
	}
	for i := 0; i < g.cfg.Hosts; i++ {
		var k host
		if i < len(namedHosts) {
			k = kinds[namedHosts[i].kind]
			k.name = namedHosts[i].name
		} else {
			k = kinds[i%len(kinds)]
			k.name = fmt.Sprintf("host-%05d", i)
		}
		k.id, k.agentID = g.hex(32), g.uuid()
		k.ip = fmt.Sprintf("10.%d.%d.%d", 10+i/250, i%250, 10+i%200)
		g.hosts = append(g.hosts, k)
	}
}

// proc is a process as events describe it.
type proc struct {
	entityID, name, exe, cwd, user string
	args                           []string
	pid                            int
	// ancestry is its ancestors' entity ids, parent first, when known
	// (lineage.go): its children's process.Ext.ancestry continues it.
	ancestry []string
}

func (g *gen) newProc(h host, exe string, args []string, cwd, user string) proc {
	g.pid++
	name := exe[strings.LastIndexByte(exe, '/')+1:]
	raw := fmt.Sprintf("%s-%d-%d", h.agentID, g.pid, g.rng.Uint64()%1e12)
	return proc{entityID: base64.StdEncoding.EncodeToString([]byte(raw)), name: name, exe: exe, cwd: cwd, user: user, args: args, pid: g.pid}
}

func procFields(p proc) map[string]any {
	return map[string]any{
		"entity_id": p.entityID, "pid": p.pid, "name": p.name, "executable": p.exe,
		"args": p.args, "args_count": len(p.args), "command_line": strings.Join(p.args, " "),
		"working_directory": p.cwd,
	}
}

// exec emits a process start (action exec) of child under parent on h at t.
func (g *gen) exec(h host, t time.Time, parent, child proc, mutate ...func(map[string]any)) {
	g.emit(h, t, "exec", []string{"start"}, g.hex(20), parent, child, mutate...)
}

// emit emits a process event of child under parent with event.id id.
func (g *gen) emit(h host, t time.Time, action string, types []string, id string, parent, child proc, mutate ...func(map[string]any)) {
	p := procFields(child)
	if parent.entityID != "" { // the root (init) has none
		p["parent"] = procFields(parent)
		p["Ext"] = map[string]any{"ancestry": ancestryOf(parent)}
	}
	uid := "0"
	if child.user != "root" {
		uid = "1000"
	}
	p["user"] = map[string]any{"name": child.user, "id": uid}
	d := envelope(h, t, "process", action, types, id)
	d["process"] = p
	d["user"] = map[string]any{"name": child.user, "id": uid}
	for _, m := range mutate {
		m(d)
	}
	g.events = append(g.events, event{t: t, doc: d})
}

// envelope is what every Defend event carries: agent, data stream, event
// (category, type, action) and host. kind names the data stream
// (endpoint.events.KIND) and the event category.
func envelope(h host, t time.Time, kind, action string, types []string, id string) map[string]any {
	ts := t.UTC().Format("2006-01-02T15:04:05.000Z")
	dataset := "endpoint.events." + kind
	return map[string]any{
		"@timestamp": ts,
		"agent":      map[string]any{"id": h.agentID, "type": "endpoint", "version": "8.15.2"},
		"data_stream": map[string]any{
			"dataset": dataset, "namespace": "default", "type": "logs",
		},
		"ecs": map[string]any{"version": "8.11.0"},
		"event": map[string]any{
			"action": action, "category": []string{kind}, "type": types, "kind": "event",
			"dataset": dataset, "module": "endpoint", "id": id,
			"created": ts, "outcome": "success",
		},
		"host": map[string]any{
			"name": h.name, "hostname": h.name, "id": h.id, "architecture": "x86_64", "ip": []string{h.ip},
			"os": map[string]any{
				"type": h.osType, "family": h.osFamily, "name": h.osName, "version": h.osVersion,
				"platform": h.platform, "kernel": h.kernel, "full": h.osName + " " + h.osVersion,
			},
		},
	}
}

// benignChain is a parent process and the children it commonly starts.
type benignChain struct {
	parentExe string
	parent    []string
	childExe  string
	child     [][]string
	user, cwd string
}

var benignChains = []benignChain{
	{"/usr/sbin/cron", []string{"/usr/sbin/CRON", "-f"}, "/bin/sh", [][]string{
		{"/bin/sh", "-c", "cd / && run-parts --report /etc/cron.hourly"},
		{"/bin/sh", "-c", "test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }"},
		{"/bin/sh", "-c", "/usr/lib/php/sessionclean"}}, "root", "/"},
	{"/usr/sbin/sshd", []string{"sshd: deploy [priv]"}, "/bin/bash", [][]string{{"-bash"}}, "deploy", "/home/deploy"},
	{"/bin/bash", []string{"-bash"}, "/usr/bin/ls", [][]string{{"ls", "--color=auto", "-la"}, {"ls", "/var/log"}}, "deploy", "/home/deploy"},
	{"/bin/bash", []string{"-bash"}, "/usr/bin/git", [][]string{{"git", "status"}, {"git", "pull", "--ff-only"}, {"git", "log", "-n", "5"}}, "deploy", "/srv/app"},
	{"/usr/lib/systemd/systemd", []string{"/sbin/init"}, "/usr/bin/apt-get", [][]string{{"/usr/bin/apt-get", "-qq", "update"}}, "root", "/"},
	{"/usr/lib/systemd/systemd", []string{"/sbin/init"}, "/usr/sbin/logrotate", [][]string{{"/usr/sbin/logrotate", "/etc/logrotate.conf"}}, "root", "/"},
	{"/usr/bin/python3.10", []string{"/usr/bin/python3", "/usr/bin/unattended-upgrade"}, "/bin/sh", [][]string{
		{"/bin/sh", "-c", "dpkg --print-architecture"}, {"/bin/sh", "-c", "lsb_release -c -s"}}, "root", "/"},
	{"/usr/bin/python3.11", []string{"python3", "-m", "pip", "install", "-r", "requirements.txt"}, "/bin/sh", [][]string{
		{"/bin/sh", "-c", "uname -rs"}, {"/bin/sh", "-c", "git rev-parse HEAD"}}, "deploy", "/srv/app"},
	{"/usr/bin/node", []string{"node", "server.js"}, "/bin/sh", [][]string{{"/bin/sh", "-c", "whoami"}}, "app", "/srv/web"},
}

// pythonTools is Python activity that does not spawn shells: Python as
// the child of a scheduler, and Python parents running other programs.
// With PythonShare set it joins the Python-parented benign chains, so the
// lines that mention Python are not all python-spawned shells (a fleet's
// Python activity is mostly not), only part of them.
var pythonTools = []benignChain{
	{"/usr/sbin/cron", []string{"/usr/sbin/CRON", "-f"}, "/usr/bin/python3", [][]string{
		{"/usr/bin/python3", "/opt/backup/backup.py", "--incremental"}, {"python3", "/usr/local/bin/certbot", "renew", "-q"}}, "root", "/"},
	{"/usr/bin/python3.11", []string{"python3", "-m", "pip", "install", "-r", "requirements.txt"}, "/usr/bin/git", [][]string{
		{"git", "clone", "--depth", "1", "https://github.com/psf/requests"}, {"git", "rev-parse", "HEAD"}}, "deploy", "/srv/app"},
	{"/usr/bin/python3", []string{"/usr/bin/python3", "/usr/bin/ansible-playbook", "site.yml"}, "/usr/bin/ssh", [][]string{
		{"ssh", "-o", "ControlMaster=auto", "-o", "ControlPersist=60s", "db-01"}}, "deploy", "/home/deploy"},
}

// backgroundMinute adds benign process activity on h during minute m.
func (g *gen) backgroundMinute(h host, m int) {
	n := g.poisson(g.cfg.EventsPerHostMinute)
	for i := 0; i < n; i++ {
		c := g.pickChain()
		if h.osType == "macos" && strings.HasPrefix(c.childExe, "/usr/bin/apt") {
			continue
		}
		t := g.cfg.Start.Add(time.Duration(m)*time.Minute + time.Duration(g.rng.IntN(60000))*time.Millisecond)
		parent := g.newProc(h, c.parentExe, c.parent, c.cwd, c.user)
		args := c.child[g.rng.IntN(len(c.child))]
		g.exec(h, t, parent, g.newProc(h, c.childExe, args, c.cwd, c.user))
	}
}

// pickChain chooses a benign process chain: uniformly, or with
// PythonShare of the picks among the Python-parented ones.
func (g *gen) pickChain() benignChain {
	if g.cfg.PythonShare <= 0 {
		return benignChains[g.rng.IntN(len(benignChains))]
	}
	var pool []benignChain
	wantPython := g.rng.Float64() < g.cfg.PythonShare
	for _, c := range benignChains {
		if strings.Contains(c.parentExe, "python") == wantPython {
			pool = append(pool, c)
		}
	}
	if wantPython {
		pool = append(pool, pythonTools...)
	}
	return pool[g.rng.IntN(len(pool))]
}

func (g *gen) poisson(mean float64) int {
	// Knuth's method is fine for the small means used here.
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= g.rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
