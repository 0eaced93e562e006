package sample

// benignCase is routine activity on hosts of one OS: the file, network and
// process fork/exec/end background of the EQL data (Config.EQL).
type benignCase struct {
	os string // linux or macos
	c  Case
}

// daemon is a process started by init.
func daemon(id, exe string, args ...string) Proc {
	return Proc{ID: id, Parent: "init", Exe: exe, Args: args, User: "root", Cwd: "/"}
}

var benignCases = []benignCase{
	{"linux", one("syslog appends", "", daemon("rsyslogd", "/usr/sbin/rsyslogd", "/usr/sbin/rsyslogd", "-n", "-iNONE"), Ev{Kind: "modification", Path: "/var/log/syslog"})},
	{"linux", one("a temporary file", "", run("py", "/usr/bin/python3.10", "python3", "manage.py", "collectstatic"), Ev{Kind: "creation", Path: "/tmp/tmpk3j9x2.json"})},
	{"linux", one("apt cleans its cache", "", daemon("apt", "/usr/bin/apt-get", "/usr/bin/apt-get", "-qq", "autoclean"), Ev{Kind: "deletion", Path: "/var/cache/apt/archives/libssl3_3.0.2-0ubuntu1.15_amd64.deb"})},
	{"linux", one("logrotate rotates the access log", "", daemon("logrotate", "/usr/sbin/logrotate", "/usr/sbin/logrotate", "/etc/logrotate.conf"), Ev{Kind: "creation", Path: "/var/log/apache2/access.log.1"})},
	{"linux", one("apt fetches package lists", "", daemon("http", "/usr/lib/apt/methods/http", "/usr/lib/apt/methods/http"), Ev{Kind: "connection_attempted", Remote: "91.189.91.83", Port: 80})},
	{"linux", one("curl to an internal API", "", run("curl", "/usr/bin/curl", "curl", "-s", "http://10.20.0.8:9200/_cluster/health"), Ev{Kind: "connection_attempted", Remote: internal, Port: 9200})},
	{"linux", one("sshd accepts an admin", "", daemon("sshd", "/usr/sbin/sshd", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"), Ev{Kind: "connection_accepted", Remote: "10.20.0.31", Port: 22})},
	{"linux", Case{Why: "bash forks a subshell", Procs: []Proc{run("sub", "/bin/bash", "-bash")}, Events: []Ev{{Kind: "fork", Proc: "sub"}}}},
	{"linux", Case{Why: "ls runs and exits", Procs: []Proc{run("ls", "/usr/bin/ls", "ls", "-la")}, Events: []Ev{{Kind: "exec", Proc: "ls"}, {At: 0.05, Kind: "end", Proc: "ls"}}}},
	{"linux", Case{Why: "grep finds nothing", Procs: []Proc{run("grep", "/usr/bin/grep", "grep", "-r", "TODO", "src")}, Events: []Ev{{Kind: "exec", Proc: "grep"}, {At: 0.4, Kind: "end", Proc: "grep", Set: map[string]any{"process.exit_code": 1}}}}},
	{"macos", one("Finder preferences", "", Proc{ID: "cfprefsd", Parent: "init", Exe: "/usr/sbin/cfprefsd", Args: []string{"/usr/sbin/cfprefsd", "agent"}, User: "alice"}, Ev{Kind: "modification", Path: "/Users/alice/Library/Preferences/com.apple.finder.plist"})},
	{"macos", one("a Safari cache file", "", Proc{ID: "safari", Parent: "init", Exe: "/Applications/Safari.app/Contents/MacOS/Safari", Args: []string{"/Applications/Safari.app/Contents/MacOS/Safari"}, User: "alice"}, Ev{Kind: "creation", Path: "/Users/alice/Library/Caches/com.apple.Safari/fsCachedData/7F3A"})},
	{"macos", one("Safari browses", "", Proc{ID: "safari", Parent: "init", Exe: "/Applications/Safari.app/Contents/MacOS/Safari", Args: []string{"/Applications/Safari.app/Contents/MacOS/Safari"}, User: "alice"}, Ev{Kind: "connection_attempted", Remote: "17.253.144.10", Port: 443})},
	{"macos", Case{Why: "zsh forks", Procs: []Proc{run("sub", "/bin/zsh", "-zsh")}, Events: []Ev{{Kind: "fork", Proc: "sub"}}}},
	{"macos", Case{Why: "brew runs and exits", Procs: []Proc{run("brew", "/opt/homebrew/bin/brew", "brew", "update")}, Events: []Ev{{Kind: "exec", Proc: "brew"}, {At: 3, Kind: "end", Proc: "brew"}}}},
}
