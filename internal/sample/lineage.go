package sample

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Lineage: how each scripted parent process came to run. A scenario's
// Python parent gets its own exec event and the chain of processes above
// it (systemd → sshd → bash → python3, systemd → cron → sh → python3,
// systemd → containerd-shim → python3, …), each with its exec event: the
// host's long-lived daemons once per host, at boot; the session processes
// once per chain. Every process event below them carries the full chain
// in process.Ext.ancestry, parent first, as Elastic Defend writes it.
//
// Lineage draws entity and event ids from a random stream of its own
// (gen.lin) and pids from a range of its own, so the events the scenarios
// had before keep their entity ids, pids, event ids and order,
// and the seed rule's alerts stay exactly as they were: the new events
// are starts of Python and of its ancestors, never a shell whose parent
// is Python.

// ancestor is a process above a scenario's parent.
type ancestor struct {
	// daemon, when set, names a host-lifetime process: made, and its exec
	// emitted, once per host at boot, with pid.
	daemon    string
	pid       int
	exe       string
	args      []string
	user, cwd string        // "" inherits from the process below (sessions)
	before    time.Duration // a session process starts this long before the process below
}

var (
	systemdProc = ancestor{daemon: "systemd", pid: 1, exe: "/usr/lib/systemd/systemd", args: []string{"/sbin/init"}, user: "root", cwd: "/"}
	sshdProc    = ancestor{daemon: "sshd", pid: 812, exe: "/usr/sbin/sshd", args: []string{"sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"}, user: "root", cwd: "/"}
	cronProc    = ancestor{daemon: "cron", pid: 604, exe: "/usr/sbin/cron", args: []string{"/usr/sbin/cron", "-f"}, user: "root", cwd: "/"}
	shimProc    = ancestor{daemon: "containerd-shim", pid: 2317, exe: "/usr/bin/containerd-shim-runc-v2", user: "root", cwd: "/run/containerd/io.containerd.runtime.v2.task/moby/4f0c2a7d9e1b",
		args: []string{"/usr/bin/containerd-shim-runc-v2", "-namespace", "moby", "-id", "4f0c2a7d9e1b", "-address", "/run/containerd/containerd.sock"}}
	runnerProc   = ancestor{daemon: "gitlab-runner", pid: 955, exe: "/usr/bin/gitlab-runner", args: []string{"/usr/bin/gitlab-runner", "run", "--working-directory", "/home/gitlab-runner"}, user: "root", cwd: "/"}
	launchdProc  = ancestor{daemon: "launchd", pid: 1, exe: "/sbin/launchd", args: []string{"/sbin/launchd"}, user: "root", cwd: "/"}
	explorerProc = ancestor{daemon: "explorer", pid: 4120, exe: "C:\\Windows\\explorer.exe", args: []string{"C:\\Windows\\Explorer.EXE"}, user: "bob", cwd: "C:\\Windows\\system32"}
)

// session is a process of one chain, started the given time before the
// process below it, as that process's user and in its working directory unless
// user or cwd say otherwise.
func session(before time.Duration, user, cwd, exe string, args ...string) ancestor {
	return ancestor{exe: exe, args: args, user: user, cwd: cwd, before: before}
}

// The chains of the scenarios, from the root down to the parent's parent.
var (
	// interactive: an attacker logged in over SSH runs the script.
	interactive = []ancestor{systemdProc, sshdProc, session(4*time.Minute, "", "", "/bin/bash", "-bash")}
	// scheduled: a cron job runs the script.
	scheduled = []ancestor{systemdProc, cronProc, session(200*time.Millisecond, "", "", "/bin/sh", "/bin/sh", "-c", "%s")}
	// container: the script is a container's entry point.
	container = []ancestor{systemdProc, shimProc}
	// service: systemd runs the script as a unit.
	service = []ancestor{systemdProc}
	// ciJob: a CI runner's job shell runs the script.
	ciJob = []ancestor{systemdProc, runnerProc, session(3*time.Second, "", "", "/bin/bash", "bash", "--login")}
	// ansible: Ansible's remote shell over SSH runs the module.
	ansible = []ancestor{systemdProc, sshdProc, session(300*time.Millisecond, "", "", "/bin/sh", "/bin/sh", "-c", "%s && sleep 0")}
	// macTerminal: a user's Terminal login shell on macOS.
	macTerminal = []ancestor{launchdProc, session(time.Second, "root", "/", "/usr/bin/login", "login", "-pf", "alice"), session(10*time.Minute, "", "", "/bin/zsh", "-zsh")}
	// windowsDesktop: a user's PowerShell from the desktop.
	windowsDesktop = []ancestor{explorerProc, session(2*time.Minute, "", "", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "powershell.exe")}
)

// lineage makes p's ancestors on h from chain, emits their exec events
// (host daemons once per host) and p's own exec at start, and returns p
// with its ancestry set. A session's "%s" argument is p's command line.
func (g *gen) lineage(h host, p proc, start time.Time, chain []ancestor) proc {
	g.lineageRand() // makes g.daemons
	var parent proc // the zero proc: the root has no parent
	// Session processes start, bottom up, before the process below them.
	starts := make([]time.Time, len(chain))
	t := start
	for i := len(chain) - 1; i >= 0; i-- {
		t = t.Add(-chain[i].before)
		starts[i] = t
	}
	// The hosts boot a second into the data: an earlier boot would
	// stretch the data's time range (and a replay's runs) over hours of
	// nothing, one at the start exactly would add a replay run.
	boot := g.cfg.Start.Add(time.Second)
	for i, a := range chain {
		if a.daemon != "" {
			key := h.name + "\x00" + a.daemon
			d, ok := g.daemons[key]
			if !ok {
				d = g.linProc(h, a.exe, a.args, a.cwd, a.user, a.pid)
				d.ancestry = ancestryOf(parent)
				g.linExec(h, boot.Add(time.Duration(i)*time.Second), parent, d)
				g.daemons[key] = d
			}
			parent = d
			continue
		}
		user, cwd := a.user, a.cwd
		if user == "" {
			user = p.user
		}
		if cwd == "" {
			cwd = p.cwd
		}
		args := make([]string, len(a.args))
		for j, s := range a.args {
			args[j] = strings.ReplaceAll(s, "%s", strings.Join(p.args, " "))
		}
		g.linPid++
		sp := g.linProc(h, a.exe, args, cwd, user, g.linPid)
		sp.ancestry = ancestryOf(parent)
		g.linExec(h, starts[i], parent, sp)
		parent = sp
	}
	p.ancestry = ancestryOf(parent)
	g.linExec(h, start, parent, p)
	return p
}

// lineageRand is the lineage's random stream, made on first use.
func (g *gen) lineageRand() *rand.Rand {
	if g.lin == nil {
		s := g.cfg.Seed ^ 0x11ea9e5eed
		g.lin = rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
		g.daemons = map[string]proc{}
		g.linPid = 700
	}
	return g.lin
}

// linExec is exec with the event id from the lineage's stream.
func (g *gen) linExec(h host, t time.Time, parent, p proc) {
	g.emit(h, t, "exec", []string{"start"}, hexFrom(g.lineageRand(), 20), parent, p)
}

// linProc is a process of a lineage: like newProc, from the lineage's
// random stream, with the given pid.
func (g *gen) linProc(h host, exe string, args []string, cwd, user string, pid int) proc {
	raw := fmt.Sprintf("%s-%d-%d", h.agentID, pid, g.lineageRand().Uint64()%1e12)
	p := proc{entityID: base64.StdEncoding.EncodeToString([]byte(raw)), exe: exe, cwd: cwd, user: user, args: args, pid: pid}
	p.name = exe[strings.LastIndexAny(exe, `/\`)+1:]
	return p
}

// ancestryOf is the ancestry of a child of p: p first, then p's ancestry.
func ancestryOf(p proc) []string {
	if p.entityID == "" {
		return nil // a child of nothing: the root
	}
	return append([]string{p.entityID}, p.ancestry...)
}
