// Command bare is the baseline of the load benchmarks: a bare net/http
// server that answers Ocean Engine's success JSON to everything. It
// prints its base URL on standard output once it listens.
//
// With --spin it first keeps the CPU busy that long on each request: a
// handler of that cost and nothing else, to read what a handler's own
// time costs a request under load (docs/performance.md).
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/postbacksim/postbacksim/internal/loadgen"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18111", "listen address (port 0: any free port)")
	spin := flag.Duration("spin", 0, "keep the CPU busy this long on each request before answering (0: not at all)")
	flag.Parse()
	if *spin < 0 {
		log.Fatalf("--spin %v: want a duration of 0 or more", *spin)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	h := loadgen.BareSuccess()
	if *spin > 0 {
		h = spinning(*spin, h)
	}
	log.Fatal(http.Serve(ln, h))
}

// spinning runs next after busy-waiting d on the wall clock.
func spinning(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for end := time.Now().Add(d); time.Now().Before(end); {
		}
		next.ServeHTTP(w, r)
	})
}
