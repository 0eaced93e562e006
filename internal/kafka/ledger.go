package kafka

import (
	"context"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"vigil/internal/engine"
)

// Alert record headers: the alert's engine.ContentHash, and the partition
// and offset its state reflects (every record before that offset).
const (
	hashHeader   = "vigil-hash"
	sourceHeader = "vigil-source"
	offsetHeader = "vigil-offset"
)

// ledger is what this member knows of the alerts raised by the group:
// each alert id's last version, from the alerts topic (keyed by alert id)
// and from its own writes. Without an alerts topic it knows only its own.
type ledger struct {
	topic string
	seen  map[string]raised
	read  map[int32]int64 // next offset to read per alerts-topic partition
}

// raised is an alert's last version: its content hash, and the partition
// ("topic/partition") and offset its state was derived up to.
type raised struct {
	hash, source string
	offset       int64
}

// stale reports whether an update derived from source up to offset adds
// nothing: the same content, or a state the last version already went past
// (a new owner replaying toward where the previous one had raised it; the
// intermediate versions it passes through were superseded).
func (r raised) stale(hash, source string, offset int64) bool {
	return r.hash == hash || r.source == source && offset < r.offset
}

// catchUp reads the alerts topic from where it stopped to its current end,
// so alerts a previous owner raised (up to its crash) are known before a
// partition it owned is replayed.
func (l *ledger) catchUp(ctx context.Context, conn []kgo.Opt, adm *kadm.Client) error {
	if l.topic == "" {
		return nil
	}
	ends, err := adm.ListEndOffsets(ctx, l.topic)
	if err != nil {
		return err
	}
	if err := ends.Error(); err != nil {
		return err
	}
	want := map[int32]kgo.Offset{}
	remaining := 0
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > l.read[o.Partition] {
			want[o.Partition] = kgo.NewOffset().At(l.read[o.Partition])
			remaining++
		}
	})
	if remaining == 0 {
		return nil
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, conn...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{l.topic: want}))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	end := func(p int32) int64 { o, _ := ends.Lookup(l.topic, p); return o.Offset }
	for remaining > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		if errs := fs.Errors(); len(errs) > 0 {
			return fmt.Errorf("alerts topic %s/%d: %w", errs[0].Topic, errs[0].Partition, errs[0].Err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset < end(r.Partition) {
				var v raised
				for _, h := range r.Headers {
					switch h.Key {
					case hashHeader:
						v.hash = string(h.Value)
					case sourceHeader:
						v.source = string(h.Value)
					case offsetHeader:
						v.offset, _ = strconv.ParseInt(string(h.Value), 10, 64)
					}
				}
				l.seen[string(r.Key)] = v
			}
			if r.Offset+1 > l.read[r.Partition] {
				l.read[r.Partition] = r.Offset + 1
				if r.Offset+1 == end(r.Partition) {
					remaining--
				}
			}
		})
	}
	return nil
}

// filter keeps the updates derived from source up to offset whose alert
// is new or changed, and builds their alerts-topic records.
func (l *ledger) filter(ups []engine.Update, source string, offset int64) ([]engine.Update, []*kgo.Record) {
	var fresh []engine.Update
	var recs []*kgo.Record
	for _, u := range ups {
		h := engine.ContentHash(u.Alert)
		if v, ok := l.seen[u.Alert.ID]; ok && v.stale(h, source, offset) {
			continue
		}
		l.seen[u.Alert.ID] = raised{hash: h, source: source, offset: offset}
		fresh = append(fresh, u)
		if l.topic == "" {
			continue
		}
		body, err := u.Alert.MarshalJSON()
		if err != nil {
			continue
		}
		recs = append(recs, &kgo.Record{Topic: l.topic, Key: []byte(u.Alert.ID), Value: body, Headers: []kgo.RecordHeader{
			{Key: hashHeader, Value: []byte(h)},
			{Key: sourceHeader, Value: []byte(source)},
			{Key: offsetHeader, Value: []byte(strconv.FormatInt(offset, 10))},
		}})
	}
	return fresh, recs
}
