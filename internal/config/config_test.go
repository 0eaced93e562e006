package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadAndValidate(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, body string
		wantErr    string // substring; "" = valid
	}{
		{"defaults", ``, ""},
		{"full", `
listen = "127.0.0.1:0"
data_dir = "d"
rules = ["rules/"]
mode = "scheduled"
allowed_lateness = "2m"
max_future_skew = "2m"
late_retention = "24h"
[rule_modes]
"abc" = "realtime"
[limits]
max_body_bytes = 1000
max_alerts_per_window = 500
[sinks]
stdout = true
[sinks.file]
path = "alerts.ndjson"
[sinks.webhook]
url = "http://127.0.0.1:9/hook"
timeout = "2s"
max_retries = 3
`, ""},
		{"syntax error has position", "listen = \n", "cfg.toml:1:"},
		{"named tokens", "listen = \"0.0.0.0:9200\"\n[auth]\ntoken = \"0123456789abcdef\"\nuser = \"alice\"\n[[auth.users]]\nname = \"bob\"\ntoken = \"fedcba9876543210\"\n", ""},
		{"users alone satisfy off-loopback auth", "listen = \"0.0.0.0:9200\"\n[[auth.users]]\nname = \"bob\"\ntoken = \"fedcba9876543210\"\n", ""},
		{"user names a missing token", "[auth]\nuser = \"alice\"\n", "auth.user"},
		{"duplicate user", "[auth]\ntoken = \"0123456789abcdef\"\nuser = \"bob\"\n[[auth.users]]\nname = \"bob\"\ntoken = \"fedcba9876543210\"\n", "auth.users[0].name"},
		{"unnamed user", "[[auth.users]]\ntoken = \"fedcba9876543210\"\n", "auth.users[0].name"},
		{"short user token", "[[auth.users]]\nname = \"bob\"\ntoken = \"short\"\n", "auth.users[0].token: too short"},
		{"unknown key", "lisen = \"x\"\n", "unknown key(s): lisen"},
		{"bad duration", `allowed_lateness = "soon"`, "invalid duration"},
		{"bad mode", `mode = "batch"`, `mode "batch"`},
		{"public without token", `listen = "0.0.0.0:9200"`, "auth.token (or --token) is required"},
		{"public with token", "listen = \"0.0.0.0:9200\"\n[auth]\ntoken = \"0123456789abcdef\"", ""},
		{"short token", "[auth]\ntoken = \"abc\"", "too short"},
		{"webhook url", "[sinks.webhook]\nurl = \"ftp://x\"", "want an http(s) URL"},
		{"tls half", "[tls]\ncert = \"c.pem\"", "cert and key must be set together"},
		{"file sink path", "[sinks.file]\nmax_files = 2", "sinks.file.path"},
		{"zero skew", `max_future_skew = "0s"`, "max_future_skew: must be positive"},
		{"kafka", "[kafka]\nbrokers = [\"k1:9092\"]\ntopics = [\"logs-.*\"]\ntopic_regex = true\nalerts_topic = \"vigil-alerts\"\n[kafka.topic_index]\n\"edr\" = \"logs-endpoint.events.process-default\"\n[kafka.sasl]\nmechanism = \"SCRAM-SHA-512\"\nusername = \"u\"\npassword = \"p\"", ""},
		{"kafka without topics", "[kafka]\nbrokers = [\"k1:9092\"]", "kafka.topics: must be set"},
		{"kafka start offset", "[kafka]\nbrokers = [\"k1:9092\"]\ntopics = [\"t\"]\nstart_offset = \"middle\"", `kafka.start_offset "middle"`},
		{"kafka sasl", "[kafka]\nbrokers = [\"k1:9092\"]\ntopics = [\"t\"]\n[kafka.sasl]\nmechanism = \"GSSAPI\"", "kafka.sasl.mechanism"},
		{"kafka message size", "[kafka]\nbrokers = [\"k1:9092\"]\ntopics = [\"t\"]\nmax_message_bytes = 0", "kafka.max_message_bytes"},
		{"negative retention", `late_retention = "-1h"`, "late_retention: must be positive"},
		{"negative alert cap", "[limits]\nmax_alerts_per_window = -1", "max_alerts_per_window"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "cfg.toml")
			if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := Load(p)
			if err == nil {
				err = c.Validate()
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestDefaultsAndTokenFile(t *testing.T) {
	c := Default()
	if c.Listen != "127.0.0.1:9200" || c.AllowedLateness.Duration != time.Minute {
		t.Fatalf("defaults: %+v", c)
	}
	p := filepath.Join(t.TempDir(), "tok")
	os.WriteFile(p, []byte("0123456789abcdefXYZ\n"), 0o600)
	c.Auth.TokenFile = p
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Auth.Token != "0123456789abcdefXYZ" {
		t.Fatalf("token %q", c.Auth.Token)
	}
	for host, want := range map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true, "": false, "0.0.0.0": false, "10.0.0.1": false} {
		if IsLoopback(host) != want {
			t.Errorf("IsLoopback(%q) != %v", host, want)
		}
	}
}
