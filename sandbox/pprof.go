package sandbox

import (
	"fmt"
	"html"
	"net/http"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/internal/httpjson"
)

// pprofPrefix is where the runtime profiles are served when
// Config.Pprof is set; the admin token guards it like /_admin/.
const pprofPrefix = "/debug/pprof/"

// handlePprof serves the runtime profiles in the format of
// net/http/pprof, for `go tool pprof http://HOST/debug/pprof/heap`: the
// named profiles (heap, allocs, goroutine, block, mutex, threadcreate),
// a CPU profile (profile?seconds=N) and an execution trace
// (trace?seconds=N). It does not import net/http/pprof, whose init
// would expose the profiles on http.DefaultServeMux of every program
// that embeds the sandbox.
func handlePprof(mux *http.ServeMux) {
	mux.HandleFunc("GET "+pprofPrefix+"{name}", servePprof)
	mux.HandleFunc("GET "+pprofPrefix+"{$}", servePprof)
}

func servePprof(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	switch name {
	case "":
		httpjson.HTMLHeaders(w.Header())
		fmt.Fprint(w, "<html><body><h1>postbacksim profiles</h1><ul>\n")
		for _, p := range pprof.Profiles() {
			n := html.EscapeString(p.Name())
			fmt.Fprintf(w, "<li><a href=\"%s?debug=1\">%s</a> (%d)</li>\n", n, n, p.Count())
		}
		fmt.Fprint(w, "<li><a href=\"profile?seconds=30\">profile</a>: CPU, 30 s</li>\n<li><a href=\"trace?seconds=5\">trace</a>: 5 s</li></ul></body></html>\n")
	case "profile", "trace":
		secs, err := strconv.Atoi(r.URL.Query().Get("seconds"))
		if r.URL.Query().Get("seconds") == "" {
			secs, err = 30, nil
			if name == "trace" {
				secs = 1
			}
		}
		if err != nil || secs <= 0 || secs > 600 {
			httpjson.Error(w, http.StatusBadRequest, "seconds: want a whole number from 1 to 600")
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		start, stop := pprof.StartCPUProfile, pprof.StopCPUProfile
		if name == "trace" {
			start, stop = trace.Start, trace.Stop
		}
		if err := start(w); err != nil {
			httpjson.Error(w, http.StatusConflict, name+": "+err.Error())
			return
		}
		// Real time on purpose: the profile covers this long of the
		// process's life. The client going away ends it early.
		select {
		case <-time.After(time.Duration(secs) * time.Second):
		case <-r.Context().Done():
		}
		stop()
	default:
		p := pprof.Lookup(strings.TrimSuffix(name, ".pb.gz"))
		if p == nil {
			httpjson.Error(w, http.StatusNotFound, "no profile "+strconv.Quote(name))
			return
		}
		if r.URL.Query().Get("gc") != "" && name == "heap" {
			runtime.GC() // as net/http/pprof does: the live heap, not last cycle's
		}
		debug, _ := strconv.Atoi(r.URL.Query().Get("debug"))
		if debug > 0 {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "application/octet-stream")
		}
		_ = p.WriteTo(w, debug)
	}
}
