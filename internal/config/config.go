// Package config owns `vigil serve`'s configuration file: its TOML shape,
// defaults, and validation with errors that name the offending key. Flags
// are applied by the command on top of a loaded Config; Validate then checks
// the combination (for instance that a token is set when listening beyond
// loopback).
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Duration is a time.Duration written as a Go duration string ("90s", "5m").
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler for TOML.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. 30s, 5m)", string(b))
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Config is the whole service configuration.
type Config struct {
	Listen  string   `toml:"listen"`   // host:port; default 127.0.0.1:9200
	DataDir string   `toml:"data_dir"` // alert store, spool and checkpoints
	Rules   []string `toml:"rules"`    // rule files/folders; empty = built-in rules
	Index   string   `toml:"index"`    // index for events that name none (/api/events, --tail, stdin)

	Mode      string            `toml:"mode"`       // realtime (default) or scheduled
	RuleModes map[string]string `toml:"rule_modes"` // rule_id → mode, overriding Mode
	// AllowedLateness keeps a window open this long (in event time) after
	// the watermark passed its end.
	AllowedLateness Duration `toml:"allowed_lateness"`
	// MaxFutureSkew: events stamped further ahead of the wall clock are
	// refused and quarantined (they would otherwise steer event time).
	MaxFutureSkew Duration `toml:"max_future_skew"`
	// LateRetention: how far behind the watermark a late event is still
	// evaluated (its windows rebuilt from the spool, which keeps that
	// much); older events are refused.
	LateRetention Duration `toml:"late_retention"`
	// Partitions is how many engines evaluate real-time rules whose groups
	// are per agent, events split among them by agent.id (0: one per core).
	Partitions int `toml:"partitions"`

	// Durability is Elasticsearch's index.translog.durability: "request"
	// (default) fsyncs the spool before a request is acknowledged
	// (concurrent requests share an fsync); "async" fsyncs every
	// SyncInterval, so an OS crash may lose that much acknowledged data.
	Durability   string   `toml:"durability"`
	SyncInterval Duration `toml:"sync_interval"` // async only; default 5s (Elasticsearch's translog.sync_interval)

	Auth    Auth    `toml:"auth"`
	TLS     TLS     `toml:"tls"`
	Limits  Limits  `toml:"limits"`
	Inputs  Inputs  `toml:"inputs"`
	Sinks   Sinks   `toml:"sinks"`
	Logging Logging `toml:"logging"`
	Kafka   Kafka   `toml:"kafka"`
	// Investigate keeps what alert investigation reads (docs/investigate.md).
	Investigate Investigate `toml:"investigate"`
}

// Kafka is the Kafka consumer-group input (internal/kafka), on when Brokers
// is set: each instance of a group evaluates the partitions it owns.
type Kafka struct {
	Brokers []string `toml:"brokers"` // host:port seeds
	Topics  []string `toml:"topics"`  // topic names, or regular expressions with TopicRegex
	// TopicRegex reads Topics as regular expressions (topics created later
	// are picked up).
	TopicRegex bool   `toml:"topic_regex"`
	Group      string `toml:"group"` // consumer group; default "vigil"
	// StartOffset is where a partition without a committed offset starts:
	// "earliest" (default) or "latest".
	StartOffset string `toml:"start_offset"`
	// TopicIndex names the index of a topic's documents (else their
	// data_stream.* fields, as for _bulk, else Index).
	TopicIndex      map[string]string `toml:"topic_index"`
	MaxMessageBytes int               `toml:"max_message_bytes"` // larger messages go to the dead-letter topic; default 1 MiB
	// DeadLetterTopic receives malformed and oversized messages with
	// headers naming the source and the reason ("": counted and logged only).
	DeadLetterTopic string `toml:"dead_letter_topic"`
	// AlertsTopic receives every new or changed alert keyed by its id
	// (idempotent producer); it is also the group's ledger of alerts already
	// raised, read on partition assignment so a new owner does not raise
	// them again.
	AlertsTopic    string    `toml:"alerts_topic"`
	SessionTimeout Duration  `toml:"session_timeout"` // group session timeout; default 45s (Kafka's)
	SASL           KafkaSASL `toml:"sasl"`
	TLS            KafkaTLS  `toml:"tls"`
}

// Enabled reports whether the Kafka input is configured.
func (k *Kafka) Enabled() bool { return len(k.Brokers) > 0 }

// KafkaSASL authenticates to the brokers.
type KafkaSASL struct {
	Mechanism string `toml:"mechanism"` // PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 ("" = none)
	Username  string `toml:"username"`
	Password  string `toml:"password"`
}

// KafkaTLS encrypts broker connections when Enable (or any file) is set.
type KafkaTLS struct {
	Enable     bool   `toml:"enable"`
	CA         string `toml:"ca"`   // PEM bundle; default the system roots
	Cert       string `toml:"cert"` // client certificate (PEM), with Key
	Key        string `toml:"key"`
	ServerName string `toml:"server_name"`
	// InsecureSkipVerify disables certificate checks (tests only).
	InsecureSkipVerify bool `toml:"insecure_skip_verify"`
}

// Investigate configures the process store and alert evidence.
type Investigate struct {
	// Retention: how long every host's process events (by event time) and
	// each alert's evidence (from when it was stored) are kept.
	Retention Duration `toml:"retention"`
}

// Auth configures the secrets a request must carry (any one of them).
type Auth struct {
	Token     string `toml:"token"`
	TokenFile string `toml:"token_file"` // read at start; trailing newline trimmed
	// User names who holds Token: status changes made with it record it.
	User string `toml:"user"`
	// Users are further tokens, one per named user.
	Users []UserToken `toml:"users"`
}

// UserToken is a token that names its user.
type UserToken struct {
	Name      string `toml:"name"`
	Token     string `toml:"token"`
	TokenFile string `toml:"token_file"`
}

// Required reports whether requests must authenticate.
func (a Auth) Required() bool { return a.Token != "" || len(a.Users) > 0 }

// readToken resolves a token or token_file pair into the token.
func readToken(token, file string) (string, error) {
	if file == "" {
		return token, nil
	}
	if token != "" {
		return "", errors.New("set token or token_file, not both")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// TLS enables HTTPS when both files are set.
type TLS struct {
	Cert string `toml:"cert"`
	Key  string `toml:"key"`
}

// Limits bound memory and request sizes. Ingest memory is bounded by
// QueueBytes (accepted, waiting for the engine) plus MaxInflightBytes
// (bodies being read and decoded); beyond either, requests get 429.
type Limits struct {
	MaxBodyBytes     int64 `toml:"max_body_bytes"`        // per request, after decompression
	QueueBatches     int   `toml:"queue_batches"`         // ingest batches waiting for the engine before 429
	QueueBytes       int64 `toml:"queue_bytes"`           // accounted bytes of the batches waiting before 429
	MaxInflight      int   `toml:"max_inflight_requests"` // ingest requests decoded at once; more get 429
	MaxInflightBytes int64 `toml:"max_inflight_bytes"`    // decompressed body bytes held by requests being read
	MaxConnections   int   `toml:"max_connections"`       // open connections; more wait in the listen backlog
	// BodyTimeout bounds reading one request body (slow senders are cut off).
	BodyTimeout      Duration `toml:"body_timeout"`
	MaxGroupsPerRule int      `toml:"max_groups_per_rule"` // live STATS groups per rule
	// MaxTermsPerRule caps the value combinations a new_terms rule keeps
	// (past it, new ones are refused and counted; 0: engine.DefaultMaxTerms).
	MaxTermsPerRule int `toml:"max_terms_per_rule"`
	// MaxAlertsPerWindow caps a real-time window's alerts (0: no cap);
	// scheduled rules keep Kibana's max_signals per run.
	MaxAlertsPerWindow int `toml:"max_alerts_per_window"`
}

// Inputs are event sources besides HTTP.
type Inputs struct {
	Tail  []string `toml:"tail"` // NDJSON files followed across rotation
	Stdin bool     `toml:"stdin"`
}

// Sinks receive every new or updated alert.
type Sinks struct {
	Stdout  bool         `toml:"stdout"`
	File    *FileSink    `toml:"file"`
	Webhook *WebhookSink `toml:"webhook"`
}

// FileSink is a size-rotated NDJSON file.
type FileSink struct {
	Path     string `toml:"path"`
	MaxBytes int64  `toml:"max_bytes"` // rotate past this size; 0 = 100 MiB
	MaxFiles int    `toml:"max_files"` // rotated files kept; 0 = 5
}

// WebhookSink POSTs each alert as JSON.
type WebhookSink struct {
	URL        string            `toml:"url"`
	Headers    map[string]string `toml:"headers"`
	Timeout    Duration          `toml:"timeout"`
	MaxRetries int               `toml:"max_retries"`
	Backoff    Duration          `toml:"backoff"` // first retry delay, doubled each time
	// DrainTimeout bounds delivering the queued alerts at shutdown
	// (default 30s), independently of how long the rest of shutdown took.
	DrainTimeout Duration `toml:"drain_timeout"`
}

// Logging selects the log level.
type Logging struct {
	Level string `toml:"level"` // debug, info (default), warn, error
}

// Default returns the configuration with every default filled in.
func Default() *Config {
	return &Config{
		Listen:          "127.0.0.1:9200",
		DataDir:         "vigil-data",
		Mode:            "realtime",
		AllowedLateness: Duration{time.Minute},
		MaxFutureSkew:   Duration{5 * time.Minute},
		LateRetention:   Duration{6 * time.Hour},
		Durability:      DurabilityRequest,
		SyncInterval:    Duration{5 * time.Second},
		Limits: Limits{
			MaxBodyBytes:     100 << 20, // Elasticsearch's http.max_content_length
			QueueBatches:     256,
			QueueBytes:       256 << 20,
			MaxInflight:      64,
			MaxInflightBytes: 256 << 20,
			MaxConnections:   4096,
			BodyTimeout:      Duration{time.Minute},
			MaxGroupsPerRule: 100_000,
			MaxTermsPerRule:  1_000_000,
		},
		Logging:     Logging{Level: "info"},
		Investigate: Investigate{Retention: Duration{7 * 24 * time.Hour}},
		Kafka: Kafka{Group: "vigil", StartOffset: KafkaEarliest, MaxMessageBytes: 1 << 20,
			SessionTimeout: Duration{45 * time.Second}},
	}
}

// Kafka start offsets.
const (
	KafkaEarliest = "earliest"
	KafkaLatest   = "latest"
)

// Load reads a config file over the defaults. Unknown keys are errors, so a
// typo cannot silently disable a sink.
func Load(path string) (*Config, error) {
	c := Default()
	md, err := toml.DecodeFile(path, c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d:%d: %s", path, pe.Position.Line, pe.Position.Col, pe.Message)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		var keys []string
		for _, k := range und {
			keys = append(keys, k.String())
		}
		return nil, fmt.Errorf("%s: unknown key(s): %s", path, strings.Join(keys, ", "))
	}
	return c, nil
}

// Durabilities.
const (
	DurabilityRequest = "request"
	DurabilityAsync   = "async"
)

// Modes.
const (
	ModeRealtime  = "realtime"
	ModeScheduled = "scheduled"
)

// Validate checks the configuration and resolves the token file. All
// problems are reported at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		bad("listen %q: want host:port (e.g. 127.0.0.1:9200)", c.Listen)
	}
	if tok, err := readToken(c.Auth.Token, c.Auth.TokenFile); err != nil {
		bad("auth: %v", err)
	} else {
		c.Auth.Token = tok
	}
	if c.Auth.Token != "" && len(c.Auth.Token) < 16 {
		bad("auth.token: too short (%d characters); use at least 16", len(c.Auth.Token))
	}
	if c.Auth.User != "" && c.Auth.Token == "" {
		bad("auth.user: names the holder of auth.token, which is not set")
	}
	names := map[string]bool{c.Auth.User: c.Auth.User != ""}
	for i := range c.Auth.Users {
		u := &c.Auth.Users[i]
		key := fmt.Sprintf("auth.users[%d]", i)
		if u.Name == "" || names[u.Name] {
			bad("%s.name %q: want a name no other token has", key, u.Name)
		}
		names[u.Name] = true
		if tok, err := readToken(u.Token, u.TokenFile); err != nil {
			bad("%s: %v", key, err)
		} else if u.Token = tok; len(tok) < 16 {
			bad("%s.token: too short (%d characters); use at least 16", key, len(tok))
		}
	}
	if err == nil && !IsLoopback(host) && !c.Auth.Required() {
		bad("listen %q is not a loopback address: auth.token (or --token) is required", c.Listen)
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		bad("tls: cert and key must be set together")
	}
	for _, f := range []string{c.TLS.Cert, c.TLS.Key} {
		if f != "" {
			if _, err := os.Stat(f); err != nil {
				bad("tls: %v", err)
			}
		}
	}
	if c.DataDir == "" {
		bad("data_dir: must be set")
	}
	checkMode := func(key, m string) {
		if m != ModeRealtime && m != ModeScheduled {
			bad("%s %q: want realtime or scheduled", key, m)
		}
	}
	checkMode("mode", c.Mode)
	for id, m := range c.RuleModes {
		checkMode("rule_modes."+id, m)
	}
	if c.AllowedLateness.Duration < 0 {
		bad("allowed_lateness: must not be negative")
	}
	if c.MaxFutureSkew.Duration <= 0 {
		bad("max_future_skew: must be positive")
	}
	if c.LateRetention.Duration <= 0 {
		bad("late_retention: must be positive")
	}
	if c.Partitions < 0 {
		bad("partitions: must not be negative")
	}
	if c.Investigate.Retention.Duration <= 0 {
		bad("investigate.retention: must be positive")
	}
	if c.Limits.MaxAlertsPerWindow < 0 {
		bad("limits.max_alerts_per_window: must not be negative")
	}
	if c.Limits.MaxBodyBytes <= 0 {
		bad("limits.max_body_bytes: must be positive")
	}
	if c.Limits.QueueBatches <= 0 {
		bad("limits.queue_batches: must be positive")
	}
	if c.Durability != DurabilityRequest && c.Durability != DurabilityAsync {
		bad("durability %q: want request or async", c.Durability)
	}
	if c.Durability == DurabilityAsync && c.SyncInterval.Duration <= 0 {
		bad("sync_interval: must be positive")
	}
	if c.Limits.QueueBytes < c.Limits.MaxBodyBytes {
		bad("limits.queue_bytes: must be at least limits.max_body_bytes (%d)", c.Limits.MaxBodyBytes)
	}
	if c.Limits.MaxInflightBytes < c.Limits.MaxBodyBytes {
		bad("limits.max_inflight_bytes: must be at least limits.max_body_bytes (%d)", c.Limits.MaxBodyBytes)
	}
	if c.Limits.MaxInflight <= 0 || c.Limits.MaxConnections <= 0 {
		bad("limits.max_inflight_requests and limits.max_connections: must be positive")
	}
	if c.Limits.BodyTimeout.Duration <= 0 {
		bad("limits.body_timeout: must be positive")
	}
	if c.Limits.MaxTermsPerRule < 0 {
		bad("limits.max_terms_per_rule: must not be negative")
	}
	if c.Limits.MaxGroupsPerRule <= 0 {
		bad("limits.max_groups_per_rule: must be positive")
	}
	if f := c.Sinks.File; f != nil {
		if f.Path == "" {
			bad("sinks.file.path: must be set")
		}
		if f.MaxBytes < 0 || f.MaxFiles < 0 {
			bad("sinks.file: max_bytes and max_files must not be negative")
		}
	}
	if w := c.Sinks.Webhook; w != nil {
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("sinks.webhook.url %q: want an http(s) URL", w.URL)
		}
		if w.MaxRetries < 0 {
			bad("sinks.webhook.max_retries: must not be negative")
		}
	}
	if k := c.Kafka; k.Enabled() {
		if len(k.Topics) == 0 {
			bad("kafka.topics: must be set with kafka.brokers")
		}
		if k.Group == "" {
			bad("kafka.group: must be set")
		}
		if k.StartOffset != KafkaEarliest && k.StartOffset != KafkaLatest {
			bad("kafka.start_offset %q: want earliest or latest", k.StartOffset)
		}
		if k.MaxMessageBytes <= 0 {
			bad("kafka.max_message_bytes: must be positive")
		}
		if k.SessionTimeout.Duration <= 0 {
			bad("kafka.session_timeout: must be positive")
		}
		switch strings.ToUpper(k.SASL.Mechanism) {
		case "", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		default:
			bad("kafka.sasl.mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", k.SASL.Mechanism)
		}
		if (k.TLS.Cert == "") != (k.TLS.Key == "") {
			bad("kafka.tls: cert and key must be set together")
		}
	}
	switch c.Logging.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("logging.level %q: want debug, info, warn or error", c.Logging.Level)
	}
	return errors.Join(errs...)
}

// IsLoopback reports whether a listen host only accepts local connections.
// An empty host (":9200") listens on every interface.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
