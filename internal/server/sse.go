package server

import (
	"net/http"
	"sync"
	"time"
)

// broker fans alert events out to Server-Sent Events subscribers. A
// subscriber too slow to keep up loses events rather than stalling alerting.
type broker struct {
	mu     sync.Mutex
	subs   map[chan sseEvent]struct{}
	closed bool
}

type sseEvent struct {
	kind string
	data []byte
}

func newBroker() *broker { return &broker{subs: map[chan sseEvent]struct{}{}} }

func (b *broker) subscribe() chan sseEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	ch := make(chan sseEvent, 256)
	if b.closed {
		close(ch)
		return ch
	}
	b.subs[ch] = struct{}{}
	return ch
}

func (b *broker) unsubscribe(ch chan sseEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[ch]; ok {
		delete(b.subs, ch)
		close(ch)
	}
}

func (b *broker) publish(kind string, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- sseEvent{kind, data}:
		default:
		}
	}
}

func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for ch := range b.subs {
		close(ch)
		delete(b.subs, ch)
	}
}

// stream is GET /api/alerts/stream: "event: alert.created|alert.updated|
// alert.status" with the alert document as data; a comment every 15 s keeps
// proxies from closing the connection.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		esError(w, 500, "internal", "streaming unsupported")
		return
	}
	ch := s.sse.subscribe()
	defer s.sse.unsubscribe(ch)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(200)
	w.Write([]byte(": vigil alert stream\n\n"))
	fl.Flush()
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return
			}
			w.Write([]byte("event: alert." + ev.kind + "\ndata: "))
			w.Write(ev.data)
			w.Write([]byte("\n\n"))
			fl.Flush()
		case <-keep.C:
			w.Write([]byte(": keepalive\n\n"))
			fl.Flush()
		case <-r.Context().Done():
			return
		case <-s.stop:
			return
		}
	}
}
