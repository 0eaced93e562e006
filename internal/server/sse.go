package server

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// sseBuffer is how many events a subscriber may fall behind by. One that
// falls further is disconnected (the drop counted): it reconnects with
// Last-Event-ID and the missed alerts are replayed from the store, so a
// slow reader loses nothing and never stalls alerting.
const sseBuffer = 256

// sseReplayMax bounds one Last-Event-ID replay.
const sseReplayMax = 10_000

// broker fans alert events out to Server-Sent Events subscribers.
type broker struct {
	mu      sync.Mutex
	subs    map[chan sseEvent]struct{}
	closed  bool
	dropped func() // counts a subscriber cut off for falling behind
}

// sseEvent is one alert change; id is the alert's store change time (ms),
// which a reconnecting client sends back as Last-Event-ID.
type sseEvent struct {
	kind string
	id   int64
	data []byte
}

func newBroker(dropped func()) *broker {
	return &broker{subs: map[chan sseEvent]struct{}{}, dropped: dropped}
}

func (b *broker) subscribe() chan sseEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	ch := make(chan sseEvent, sseBuffer)
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

func (b *broker) publish(kind string, id int64, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- sseEvent{kind, id, data}:
		default: // too slow: cut off, to resume from the store
			delete(b.subs, ch)
			close(ch)
			b.dropped()
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
// alert.status" with the alert document as data and the change's id; a
// comment every 15 s keeps proxies from closing the connection. A client
// reconnecting with Last-Event-ID first gets every alert changed since
// (event: alert.replayed, at least once: an alert changed in the same
// millisecond as the last one seen comes again).
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		esError(w, 500, "internal", "streaming unsupported")
		return
	}
	since, resume := int64(0), false
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			esError(w, 400, "illegal_argument_exception", "Last-Event-ID: want an id this stream sent")
			return
		}
		since, resume = n, true
	}
	ch := s.sse.subscribe() // before the replay, so nothing falls between
	defer s.sse.unsubscribe(ch)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(200)
	w.Write([]byte(": vigil alert stream\n\n"))
	send := func(kind string, id int64, data []byte) {
		w.Write([]byte("id: " + strconv.FormatInt(id, 10) + "\nevent: alert." + kind + "\ndata: "))
		w.Write(data)
		w.Write([]byte("\n\n"))
	}
	if resume {
		recs, err := s.store.ChangedSince(since, sseReplayMax)
		if err != nil {
			s.log.Error("alert stream replay failed", "err", err)
			return
		}
		for _, rec := range recs {
			send("replayed", rec.Updated, alertJSON(rec))
		}
	}
	fl.Flush()
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return
			}
			send(ev.kind, ev.id, ev.data)
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
