// Command bare is the baseline of the load benchmarks: a bare net/http
// server that answers Ocean Engine's success JSON to everything. It
// prints its base URL on standard output once it listens.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/postbacksim/postbacksim/internal/loadgen"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18111", "listen address (port 0: any free port)")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	log.Fatal(http.Serve(ln, loadgen.BareSuccess()))
}
