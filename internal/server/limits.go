package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Ingest memory is bounded in bytes at two places: bodies being read and
// decoded (limits.max_inflight_bytes, with limits.max_inflight_requests
// requests at most), and accepted batches waiting for the engine
// (limits.queue_bytes). Beyond either a request gets 429
// es_rejected_execution_exception, which shippers retry, as they do when
// an Elasticsearch node's write thread pool is full.

// errQueueFull is the 429 condition.
var errQueueFull = errors.New("rejected execution: vigil's ingest queue is full")

// errRecovering refuses ingest while the spool replays after a restart.
var errRecovering = fmt.Errorf("%w: replaying the spool after a restart", errQueueFull)

// errInflight refuses a request when too many are being decoded.
var errInflight = fmt.Errorf("%w: too many ingest requests in flight", errQueueFull)

// errInflightBytes refuses a request whose body or decoded events would
// pass the in-flight byte budget.
var errInflightBytes = fmt.Errorf("%w: request bodies and events in flight exceed limits.max_inflight_bytes", errQueueFull)

// inflight counts the ingest requests being decoded and the decompressed
// body bytes held by requests being read or decoded.
type inflight struct {
	slots    chan struct{}
	bytes    atomic.Int64
	maxBytes int64
}

func newInflight(requests int, maxBytes int64) *inflight {
	return &inflight{slots: make(chan struct{}, requests), maxBytes: maxBytes}
}

// acquire takes a request slot, or reports that none is free.
func (f *inflight) acquire() bool {
	select {
	case f.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (f *inflight) release() { <-f.slots }

// charge is what one request holds of the in-flight budget: its body
// buffer and the events decoded from it, and a decoding slot. A nil charge
// (internal inputs) accounts nothing.
type charge struct {
	f    *inflight
	n    int64
	slot bool
}

// add accounts n more bytes, or reports the budget exhausted. A request
// holding the budget alone may pass it (its body is bounded by
// max_body_bytes), or a large one could never be taken.
func (c *charge) add(n int64) bool {
	if c == nil {
		return true
	}
	if total := c.f.bytes.Add(n); total > c.f.maxBytes && total-n-c.n > 0 {
		c.f.bytes.Add(-n)
		return false
	}
	c.n += n
	return true
}

// done returns what the request held (the queue accounts what it keeps).
func (c *charge) done() {
	c.f.bytes.Add(-c.n)
	c.n = 0
	if c.slot {
		c.f.release()
		c.slot = false
	}
}

// readBody reads a request body within the size limit and the in-flight
// byte budget, gunzipping it when the client says so, before the body
// deadline (limits.body_timeout: a slow sender is cut off). The charge
// holds the body's bytes until its done.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (body []byte, ch *charge, ok bool) {
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.Limits.BodyTimeout.Duration))
	limit := s.cfg.Limits.MaxBodyBytes
	var rd io.Reader = http.MaxBytesReader(w, r.Body, limit)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		gz, err := gzip.NewReader(rd)
		if err != nil {
			esError(w, 400, "parse_exception", "invalid gzip body: "+err.Error())
			return nil, nil, false
		}
		defer gz.Close()
		rd = gz
	}
	ch = &charge{f: s.inflight}
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			grow := min(max(int64(cap(buf)), 512), limit+1-int64(cap(buf)))
			if grow <= 0 {
				break
			}
			if !ch.add(grow) {
				ch.done()
				s.metrics.rejected.Inc()
				ingestRefused(w, errInflightBytes, "")
				return nil, nil, false
			}
			nb := make([]byte, len(buf), int64(cap(buf))+grow)
			copy(nb, buf)
			buf = nb
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			ch.done()
			esError(w, http.StatusRequestEntityTooLarge, "content_too_long_exception", fmt.Sprintf("request body is larger than %d bytes", limit))
			return nil, nil, false
		case err != nil:
			ch.done()
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				s.metrics.slowBodies.Inc()
				esError(w, http.StatusRequestTimeout, "parse_exception", "request body not received within limits.body_timeout")
				return nil, nil, false
			}
			esError(w, 400, "parse_exception", "reading body: "+err.Error())
			return nil, nil, false
		}
	}
	if int64(len(buf)) > limit {
		ch.done()
		esError(w, http.StatusRequestEntityTooLarge, "content_too_long_exception", fmt.Sprintf("request body is larger than %d bytes", limit))
		return nil, nil, false
	}
	s.metrics.bytes.Add(float64(len(buf)))
	return buf, ch, true
}

// ingestBody reads an ingest request's body (readBody) and then takes a
// decoding slot, or answers 429. The slot is taken once the body is in: a
// slow sender holds a connection and the bytes it sent, never a slot.
// The request then charges each event it decodes (docCost) too.
func (s *Server) ingestBody(w http.ResponseWriter, r *http.Request) (body []byte, ch *charge, ok bool) {
	body, ch, ok = s.readBody(w, r)
	if !ok {
		return nil, nil, false
	}
	if !s.inflight.acquire() {
		ch.done()
		s.metrics.rejected.Inc()
		ingestRefused(w, errInflight, "")
		return nil, nil, false
	}
	ch.slot = true
	return body, ch, true
}

// limitListener caps open connections: past the cap, Accept waits (new
// connections stay in the kernel's listen backlog) until one closes.
type limitListener struct {
	net.Listener
	sem  chan struct{}
	done chan struct{}
	once sync.Once
}

func newLimitListener(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
