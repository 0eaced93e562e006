package kafka

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"vigil/internal/doc"
	"vigil/internal/engine"
)

// source is the engine.Source late re-evaluation rebuilds windows from:
// the partition itself, read from the first record stamped at or after
// (from − max_future_skew) — Kafka's offset-for-timestamp lookup — up to
// the last record pushed. Shippers stamp records with the event's time
// (Beats) or the time they produce it, which is no earlier than the event
// (less clock skew), so every event of the window lies after that offset.
func (c *Consumer) source(ctx context.Context, p *partition) engine.Source {
	return func(from, to int64, fn func(*doc.Document)) error {
		if p.next == 0 {
			return nil
		}
		at := kgo.NewOffset().AfterMilli(from - c.opts.Config.MaxFutureSkew.Duration.Milliseconds())
		// Bounded: were every record stamped before the lookup time, the
		// read would start at the end and wait for records never coming.
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		cl, err := kgo.NewClient(append(append([]kgo.Opt{}, c.conn...),
			kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{p.topic: {p.part: at}}))...)
		if err != nil {
			return err
		}
		defer cl.Close()
		for {
			fs := cl.PollFetches(ctx)
			if err := ctx.Err(); err != nil {
				return err
			}
			if errs := fs.Errors(); len(errs) > 0 {
				return fmt.Errorf("%s/%d: %w", p.topic, p.part, errs[0].Err)
			}
			done := false
			fs.EachRecord(func(r *kgo.Record) {
				if done || r.Offset >= p.next {
					done = true
					return
				}
				if d, err := c.document(r); err == nil {
					if t := engine.Timestamp(d); t >= from && t <= to {
						fn(d)
					}
				}
				done = r.Offset+1 >= p.next
			})
			if done {
				return nil
			}
		}
	}
}
