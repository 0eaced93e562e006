package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"vigil/internal/config"
)

// connOpts are the options every client of the input shares: seeds, SASL
// and TLS. The same configuration points the input at kfake in tests and at
// a real cluster in production.
func connOpts(k config.Kafka) ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(k.Brokers...)}
	switch strings.ToUpper(k.SASL.Mechanism) {
	case "":
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: k.SASL.Username, Pass: k.SASL.Password}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: k.SASL.Username, Pass: k.SASL.Password}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: k.SASL.Username, Pass: k.SASL.Password}.AsSha512Mechanism()))
	default:
		return nil, fmt.Errorf("kafka.sasl.mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", k.SASL.Mechanism)
	}
	t := k.TLS
	if t.Enable || t.CA != "" || t.Cert != "" {
		tc := &tls.Config{ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
		if t.CA != "" {
			pem, err := os.ReadFile(t.CA)
			if err != nil {
				return nil, fmt.Errorf("kafka.tls.ca: %w", err)
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("kafka.tls.ca %s: no PEM certificate", t.CA)
			}
		}
		if t.Cert != "" {
			c, err := tls.LoadX509KeyPair(t.Cert, t.Key)
			if err != nil {
				return nil, fmt.Errorf("kafka.tls: %w", err)
			}
			tc.Certificates = []tls.Certificate{c}
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	return opts, nil
}

// topicOpts subscribe to the configured topics (or regular expressions).
func topicOpts(k config.Kafka) ([]kgo.Opt, error) {
	if k.TopicRegex {
		for _, t := range k.Topics {
			if _, err := regexp.Compile(t); err != nil {
				return nil, fmt.Errorf("kafka.topics %q: %w", t, err)
			}
		}
		return []kgo.Opt{kgo.ConsumeTopics(k.Topics...), kgo.ConsumeRegex()}, nil
	}
	return []kgo.Opt{kgo.ConsumeTopics(k.Topics...)}, nil
}
