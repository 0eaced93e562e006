// Package sink owns alert delivery out of `vigil serve`: NDJSON on stdout, a
// size-rotated NDJSON file, and a webhook (JSON POST with retry and
// exponential back-off). Every sink receives the alert document bytes the
// store holds; ordering per sink follows the order of Send calls.
package sink

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Event is one alert delivery: a new alert, or an update of one already
// delivered (same kibana.alert.uuid).
type Event struct {
	Kind  string // "created" or "updated"
	ID    string
	Alert []byte // the alert document, JSON
	Seq   int64  // the store's outbox entry for this delivery (0: none)
}

// Sink delivers alerts. Send must not block for long: slow sinks queue.
// Close flushes what is queued and releases resources.
type Sink interface {
	Send(ev Event) error
	Close() error
}

// Writer writes one alert per line to w (stdout).
type Writer struct {
	mu sync.Mutex
	w  *bufio.Writer
}

// NewWriter returns a line sink over w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriter(w)} }

// Send writes the alert and flushes, so a reader sees it at once.
func (s *Writer) Send(ev Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.Write(ev.Alert)
	s.w.WriteByte('\n')
	return s.w.Flush()
}

// Close flushes.
func (s *Writer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Flush()
}

// File appends alerts to path, rotating to path.1 … path.N when the file
// passes MaxBytes (path.1 newest).
type File struct {
	mu       sync.Mutex
	path     string
	maxBytes int64
	maxFiles int
	f        *os.File
	size     int64
}

// NewFile opens (appending) the sink file. maxBytes 0 means 100 MiB,
// maxFiles 0 means 5.
func NewFile(path string, maxBytes int64, maxFiles int) (*File, error) {
	if maxBytes <= 0 {
		maxBytes = 100 << 20
	}
	if maxFiles <= 0 {
		maxFiles = 5
	}
	s := &File{path: path, maxBytes: maxBytes, maxFiles: maxFiles}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *File) open() error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600) // alerts and quarantined events hold command lines
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	s.f, s.size = f, st.Size()
	return nil
}

// Send appends one line; the write is a single syscall so a crash leaves no
// half line behind a complete one.
func (s *File) Send(ev Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errors.New("file sink closed")
	}
	line := make([]byte, 0, len(ev.Alert)+1)
	line = append(append(line, ev.Alert...), '\n')
	if s.size > 0 && s.size+int64(len(line)) > s.maxBytes {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	n, err := s.f.Write(line)
	s.size += int64(n)
	return err
}

func (s *File) rotate() error {
	s.f.Close()
	os.Remove(fmt.Sprintf("%s.%d", s.path, s.maxFiles))
	for i := s.maxFiles - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", s.path, i), fmt.Sprintf("%s.%d", s.path, i+1))
	}
	if err := os.Rename(s.path, s.path+".1"); err != nil {
		return err
	}
	return s.open()
}

// Close syncs and closes the file.
func (s *File) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	s.f.Sync()
	err := s.f.Close()
	s.f = nil
	return err
}

// Webhook POSTs each alert as a JSON object {"event": kind, "alert": {...}}
// from a background goroutine, retrying 5xx, 429 and network errors with
// exponential back-off. A full queue makes Send fail (counted by the
// caller) rather than stall ingest.
type Webhook struct {
	URL        string
	Headers    map[string]string
	MaxRetries int
	Backoff    time.Duration
	Client     *http.Client
	Log        *slog.Logger
	// OnDone, when set, is told (on the delivery goroutine) how each
	// queued alert ended: nil once delivered, else the error it was given
	// up with — ErrAbandoned when shutdown cut its retries short.
	OnDone func(Event, error)

	q      chan Event
	done   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	failed int64
}

// NewWebhook starts the delivery goroutine. queue is the number of alerts
// that may wait; 0 means 10000.
func NewWebhook(url string, headers map[string]string, timeout time.Duration, maxRetries int, backoff time.Duration, queue int, log *slog.Logger) *Webhook {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	if queue <= 0 {
		queue = 10000
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Webhook{URL: url, Headers: headers, MaxRetries: maxRetries, Backoff: backoff,
		Client: &http.Client{Timeout: timeout}, Log: log,
		q: make(chan Event, queue), done: make(chan struct{}), ctx: ctx, cancel: cancel}
	go w.loop()
	return w
}

// ErrQueueFull is returned by Send when deliveries back up.
var ErrQueueFull = errors.New("webhook queue full")

// ErrAbandoned marks a delivery shutdown cut short (not the receiver's
// refusal): it may be sent again by the next start.
var ErrAbandoned = errors.New("abandoned at shutdown")

// Send queues an alert.
func (w *Webhook) Send(ev Event) error {
	select {
	case w.q <- ev:
		return nil
	default:
		return ErrQueueFull
	}
}

// Failed is the number of alerts given up on after every retry.
func (w *Webhook) Failed() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed
}

func (w *Webhook) loop() {
	defer close(w.done)
	for ev := range w.q {
		err := w.deliver(ev)
		if err != nil {
			w.mu.Lock()
			w.failed++
			w.mu.Unlock()
			w.Log.Error("webhook delivery failed", "alert", ev.ID, "err", err)
		}
		if w.OnDone != nil {
			w.OnDone(ev, err)
		}
	}
}

func (w *Webhook) deliver(ev Event) error {
	var body bytes.Buffer
	body.WriteString(`{"event":"alert.`)
	body.WriteString(ev.Kind)
	body.WriteString(`","alert":`)
	body.Write(ev.Alert)
	body.WriteString("}")
	delay := w.Backoff
	var last error
	for attempt := 0; attempt <= w.MaxRetries; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(delay):
			case <-w.ctx.Done():
				return fmt.Errorf("%w after %d attempt(s): %w", ErrAbandoned, attempt, last)
			}
			delay = min(delay*2, time.Minute)
		}
		req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, w.URL, bytes.NewReader(body.Bytes()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		for k, v := range w.Headers {
			req.Header.Set(k, v)
		}
		resp, err := w.Client.Do(req)
		if err != nil {
			last = err
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		switch {
		case resp.StatusCode < 300:
			return nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			last = fmt.Errorf("HTTP %d", resp.StatusCode)
		default:
			return fmt.Errorf("HTTP %d (not retried)", resp.StatusCode) // the receiver refuses it; retrying won't help
		}
	}
	if w.ctx.Err() != nil {
		return fmt.Errorf("%w after %d attempt(s): %w", ErrAbandoned, w.MaxRetries+1, last)
	}
	return fmt.Errorf("after %d attempt(s): %w", w.MaxRetries+1, last)
}

// Close delivers what is queued, waiting at most until ctx ends; then
// pending retries are abandoned.
func (w *Webhook) Close() error { return w.CloseContext(context.Background()) }

// CloseContext is Close with a deadline.
func (w *Webhook) CloseContext(ctx context.Context) error {
	close(w.q)
	select {
	case <-w.done:
	case <-ctx.Done():
		w.cancel()
		<-w.done
	}
	w.cancel()
	return nil
}

// Multi fans an event out to several sinks, joining their errors.
type Multi []Sink

// Send delivers to every sink.
func (m Multi) Send(ev Event) error {
	var errs []error
	for _, s := range m {
		if err := s.Send(ev); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close closes every sink.
func (m Multi) Close() error {
	var errs []error
	for _, s := range m {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
