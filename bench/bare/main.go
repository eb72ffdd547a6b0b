// Command bare is the baseline of the load script: a bare net/http server
// that answers Ocean Engine's success JSON to everything.
package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/postbacksim/postbacksim/internal/loadgen"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18111", "listen address")
	flag.Parse()
	log.Fatal(http.ListenAndServe(*addr, loadgen.BareSuccess()))
}
