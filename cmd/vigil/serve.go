package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"vigil/internal/config"
	"vigil/internal/engine"
	"vigil/internal/kafka"
	"vigil/internal/server"
)

type serveOptions struct {
	rules      ruleFlags
	configPath string
	listen     string
	dataDir    string
	mode       string
	token      string
	tokenFile  string
	tlsCert    string
	tlsKey     string
	tail       []string
	stdin      bool
	index      string
	mapping    []string
	stdout     bool
	file       string
	webhook    string
	lateness   time.Duration
	partitions int
	logLevel   string
	exceptions string
	kafka      kafkaFlags
}

// kafkaFlags set the [kafka] input (passwords, TLS files and the topic →
// index map are config-file only).
type kafkaFlags struct {
	brokers, topics           []string
	regex, tls                bool
	group, start, alerts, dlq string
	saslMechanism, saslUser   string
}

func newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Run the detection service: Elasticsearch-compatible ingest, real-time alerts, alert API",
		Long: `Runs Vigil as a service. Shippers send events to its Elasticsearch-compatible
_bulk endpoint (or /api/events, --tail, --stdin); rules are evaluated as events
arrive (real-time mode) or on Kibana's schedule (--mode scheduled); alerts go to
the alert store and API, Server-Sent Events and the configured sinks.
Flags override the config file. See docs/serve.md.`,
		Example: `  vigil serve --data-dir /var/lib/vigil --file /var/log/vigil/alerts.ndjson
  vigil serve --config /etc/vigil/serve.toml
  vigil serve --listen 0.0.0.0:9200 --token-file /etc/vigil/token --tls-cert c.pem --tls-key k.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, o) },
	}
	o.rules.register(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.configPath, "config", "c", "", "config file (TOML); flags override it")
	f.StringVar(&o.listen, "listen", "", "listen address (default 127.0.0.1:9200)")
	f.StringVar(&o.dataDir, "data-dir", "", "directory for the alert store, spool and checkpoints (default ./vigil-data)")
	f.StringVar(&o.mode, "mode", "", "realtime (default) or scheduled: Kibana's schedule on the wall clock")
	f.StringVar(&o.token, "token", "", "require this token (Authorization: Bearer/ApiKey) on every request; mandatory off loopback")
	var tokenFile string
	f.StringVar(&tokenFile, "token-file", "", "read the token from a file")
	f.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM)")
	f.StringVar(&o.tlsKey, "tls-key", "", "private key for --tls-cert (PEM)")
	f.StringArrayVar(&o.tail, "tail", nil, "follow an NDJSON file across rotation (repeatable)")
	f.BoolVar(&o.stdin, "stdin", false, "read NDJSON events from stdin")
	f.StringVar(&o.index, "index", "", "index for events that name none (no _index, no data_stream.*)")
	f.StringArrayVar(&o.mapping, "mapping", nil, mappingFlagHelp)
	f.BoolVar(&o.stdout, "stdout", false, "write alerts to stdout as NDJSON")
	f.StringVar(&o.file, "file", "", "append alerts to this NDJSON file (rotated at 100 MiB)")
	f.StringVar(&o.webhook, "webhook", "", "POST each alert to this URL")
	f.DurationVar(&o.lateness, "allowed-lateness", -1, "keep windows open this long after the newest event passes their end")
	f.Lookup("allowed-lateness").DefValue = "1m" // -1 means "not given": the config file's value, else 1m
	f.IntVar(&o.partitions, "partitions", -1, "engines evaluating per-agent real-time rules, events split by agent.id")
	f.Lookup("partitions").DefValue = "one per core" // -1: the config file's value, else GOMAXPROCS
	f.StringVar(&o.exceptions, "exceptions", "", "Kibana exception lists to apply (file or folder, as for hunt; expiry is judged at start)")
	f.StringVar(&o.logLevel, "log-level", "", "debug, info, warn or error")
	f.StringSliceVar(&o.kafka.brokers, "kafka-brokers", nil, "consume events from these Kafka brokers (host:port,...) as a member of --kafka-group; see docs/kafka.md")
	f.StringArrayVar(&o.kafka.topics, "kafka-topic", nil, "Kafka topic to consume (repeatable)")
	f.BoolVar(&o.kafka.regex, "kafka-topic-regex", false, "read --kafka-topic values as regular expressions")
	f.StringVar(&o.kafka.group, "kafka-group", "", "Kafka consumer group (default vigil)")
	f.StringVar(&o.kafka.start, "kafka-start-offset", "", "where a partition with no committed offset starts: earliest (default) or latest")
	f.StringVar(&o.kafka.alerts, "kafka-alerts-topic", "", "write alerts to this topic keyed by alert id (also the group's ledger of raised alerts)")
	f.StringVar(&o.kafka.dlq, "kafka-dead-letter-topic", "", "write malformed and oversized messages to this topic")
	f.StringVar(&o.kafka.saslMechanism, "kafka-sasl-mechanism", "", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (password in the config file)")
	f.StringVar(&o.kafka.saslUser, "kafka-sasl-user", "", "SASL user name")
	f.BoolVar(&o.kafka.tls, "kafka-tls", false, "connect to the brokers over TLS (system roots; CA and client certificates in the config file)")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if tokenFile != "" && o.token != "" {
			return usageErr(fmt.Errorf("--token and --token-file are exclusive"))
		}
		o.tokenFile = tokenFile
		return nil
	}
	return cmd
}

func runServe(cmd *cobra.Command, o serveOptions) error {
	cfg := config.Default()
	if o.configPath != "" {
		var err error
		if cfg, err = config.Load(o.configPath); err != nil {
			return usageErr(err)
		}
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&cfg.Listen, o.listen)
	set(&cfg.DataDir, o.dataDir)
	set(&cfg.Mode, o.mode)
	set(&cfg.Auth.Token, o.token)
	set(&cfg.Auth.TokenFile, o.tokenFile)
	set(&cfg.TLS.Cert, o.tlsCert)
	set(&cfg.TLS.Key, o.tlsKey)
	set(&cfg.Index, o.index)
	set(&cfg.Logging.Level, o.logLevel)
	cfg.Inputs.Tail = append(cfg.Inputs.Tail, o.tail...)
	cfg.Inputs.Stdin = cfg.Inputs.Stdin || o.stdin
	cfg.Sinks.Stdout = cfg.Sinks.Stdout || o.stdout
	if o.file != "" {
		cfg.Sinks.File = &config.FileSink{Path: o.file}
	}
	if o.webhook != "" {
		cfg.Sinks.Webhook = &config.WebhookSink{URL: o.webhook, MaxRetries: 5}
	}
	k := &cfg.Kafka
	k.Brokers = append(k.Brokers, o.kafka.brokers...)
	k.Topics = append(k.Topics, o.kafka.topics...)
	k.TopicRegex = k.TopicRegex || o.kafka.regex
	k.TLS.Enable = k.TLS.Enable || o.kafka.tls
	set(&k.Group, o.kafka.group)
	set(&k.StartOffset, o.kafka.start)
	set(&k.AlertsTopic, o.kafka.alerts)
	set(&k.DeadLetterTopic, o.kafka.dlq)
	set(&k.SASL.Mechanism, o.kafka.saslMechanism)
	set(&k.SASL.Username, o.kafka.saslUser)
	if o.lateness >= 0 {
		cfg.AllowedLateness.Duration = o.lateness
	}
	if o.partitions >= 0 {
		cfg.Partitions = o.partitions
	}
	if err := cfg.Validate(); err != nil {
		return usageErr(err)
	}
	if len(o.rules.paths) == 0 {
		o.rules.paths = cfg.Rules
	}
	rules, err := o.rules.load(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	user, err := loadMapping(o.mapping)
	if err != nil {
		return err
	}
	cat := &engine.Catalog{User: user}
	compiled, eqlRules, _, err := compileRules(cmd.ErrOrStderr(), rules, cat, time.Time{}, nil, -1) // serve bounds live state with limits.max_groups_per_rule; a memory error would stall its flush (engine.Live)
	if err != nil {
		return err
	}
	if len(compiled)+len(eqlRules) == 0 {
		return usageErr(fmt.Errorf("no rule to serve"))
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// Ingest holds at most queue_bytes + max_inflight_bytes; a soft
		// limit above them (room for live state and the runtime) makes the
		// GC collect before the heap doubles past them, so RSS follows the
		// budget rather than twice it.
		debug.SetMemoryLimit(cfg.Limits.QueueBytes + cfg.Limits.MaxInflightBytes + 128<<20)
	}
	excs, err := applyExceptions(cmd.ErrOrStderr(), o.exceptions, compiled, eqlRules, cat, time.Now())
	if err != nil {
		return err
	}
	var level slog.Level
	level.UnmarshalText([]byte(cfg.Logging.Level))
	logger := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	sopts := server.Options{Config: cfg, Rules: compiled, EQLRules: eqlRules, Mapping: cat.DecoderMapping(), Catalog: cat,
		Logger: logger, Stdout: cmd.OutOrStdout(), Stdin: cmd.InOrStdin(), Version: version, Exceptions: excs}
	var srv *server.Server
	var kc *kafka.Consumer
	if cfg.Kafka.Enabled() {
		kc, err = kafka.New(kafka.Options{Config: cfg, Rules: compiled, Mapping: cat.DecoderMapping(), Logger: logger,
			Deliver: func(ups []engine.Update) { srv.Deliver(ups) }})
		if err != nil {
			return inputErr(err)
		}
		for _, er := range eqlRules {
			logger.Warn("eql rule not served from Kafka yet (its _bulk ingest is)", "rule", er.Rule.Name)
		}
		sopts.Collectors = kc.Collectors()
		sopts.Routes = map[string]http.Handler{"GET /api/kafka/partitions": kc.Handler()}
	}
	srv, err = server.New(sopts)
	if err != nil {
		return inputErr(err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		srv.Shutdown(context.Background())
		return inputErr(err)
	}
	scheme := "http"
	if cfg.TLS.Cert != "" {
		scheme = "https"
	}
	logger.Info("vigil serve listening", "url", scheme+"://"+ln.Addr().String(), "rules", len(compiled)+len(eqlRules), "mode", cfg.Mode, "auth", cfg.Auth.Required())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	kctx, kstop := context.WithCancel(context.Background())
	kdone := make(chan struct{})
	if kc != nil {
		srv.Start() // the engine goroutine takes the member's alerts (Serve starts it too; idempotent)
		go func() { defer close(kdone); kc.Run(kctx) }()
	} else {
		close(kdone)
	}
	defer func() { kstop(); <-kdone }()
	select {
	case err := <-errc:
		if err != nil {
			return &exitError{exitInternal, err}
		}
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining ingest, flushing sinks, checkpointing")
	kstop() // the Kafka member commits what is final and leaves its group first
	<-kdone
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return &exitError{exitInternal, err}
	}
	return nil
}
