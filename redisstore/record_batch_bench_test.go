package redisstore

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/mockocean"
)

// BenchmarkRecordBatch sends batches of 8 requests (300-byte entries,
// new ids) through the record script, one after the other from one
// client, and reports what Redis says they cost it (INFO commandstats,
// reset after a warm-up): the script call, and within it each ZADD and
// each batch's RPUSH. arguments-only sends the same keys and arguments
// to a script that does nothing: the call's fixed cost.
//
//	go test ./redisstore -run '^$' -bench RecordBatch -benchtime 6000x
func BenchmarkRecordBatch(b *testing.B) {
	const per = 8
	rs := redistest.Start(b)
	st, err := Open(Options{URL: rs.URL(), Prefix: "bench:", IdleTTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	state := st.Ocean("default").Open(stateConfig(mockocean.StateConfig{JournalCapacity: 1 << 20})).(*oceanState)
	payload := strings.Repeat("x", 300)
	n := 0
	batch := func() []*pendingRecord {
		out := make([]*pendingRecord, per)
		for i := range out {
			n++
			out[i] = &pendingRecord{member: dedupMember("id-" + strconv.Itoa(n)), size: 400, dupSize: 400, payload: payload, unlessFaults: true}
		}
		return out
	}
	// redisCost reports the commands' µs per call since the last reset.
	redisCost := func(b *testing.B, calls ...string) {
		stats, err := rs.Do("INFO", "commandstats")
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(stats, "\n") {
			for _, c := range calls {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+c+":"); ok {
					_, perCall, _ := strings.Cut(rest, "usec_per_call=")
					perCall, _, _ = strings.Cut(perCall, ",")
					v, err := strconv.ParseFloat(perCall, 64)
					if err != nil {
						b.Fatalf("%s: %q: %v", c, line, err)
					}
					b.ReportMetric(v, "redis-"+c+"-µs/call")
				}
			}
		}
	}
	b.Run("script", func(b *testing.B) {
		for range 500 { // warm: the sets and the list exist
			if err := state.runBatch(batch()); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := rs.Do("CONFIG", "RESETSTAT"); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := state.runBatch(batch()); err != nil {
				b.Fatal(err)
			}
		}
		redisCost(b, "evalsha", "zadd", "rpush")
	})
	b.Run("arguments-only", func(b *testing.B) {
		opt, err := redis.ParseURL(rs.URL())
		if err != nil {
			b.Fatal(err)
		}
		c := redis.NewClient(opt)
		defer c.Close()
		nothing := redis.NewScript("return 1")
		keys := []string{"k1", "k2", "k3", "k4", "k5", "k6"}
		args := make([]any, 0, recordHeaderArgs+6*per)
		for i := range recordHeaderArgs {
			args = append(args, i)
		}
		for _, p := range batch() {
			args = append(args, p.member, p.size, p.dupSize, p.payload, "1", time.Now().UnixMicro())
		}
		if err := nothing.Run(context.Background(), c, keys, args...).Err(); err != nil {
			b.Fatal(err)
		}
		if _, err := rs.Do("CONFIG", "RESETSTAT"); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := nothing.Run(context.Background(), c, keys, args...).Err(); err != nil {
				b.Fatal(err)
			}
		}
		redisCost(b, "evalsha")
	})
}
