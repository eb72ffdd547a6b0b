package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/internal/suggest"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/redisstore"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/store"
)

// defaultJournalCapacity and defaultJournalMaxBytes bound the sandbox's
// journal: a long-running server must not grow without end, nor be made
// to by 100,000 bodies near the size limit.
const (
	defaultJournalCapacity = 100_000
	defaultJournalMaxBytes = 256 << 20
)

func (a *app) serveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "serve the emulators over HTTP (Ocean Engine /track/activate/, admin, health)",
		Long: `Serves the Ocean Engine emulator (/track/activate/, /_admin/ocean/), the impact.com
dispatcher (/_admin/impact/), /healthz, /readyz and /metrics; /ns/NAME/… serves a
namespace of its own. Settings come from flags, then $POSTBACKSIM_* variables, then
the --config file.`,
		Example: `  postbacksim serve
  postbacksim serve --addr 0.0.0.0:8080 --admin-token s3cret --time-scale 3600
  POSTBACKSIM_STRICT=true postbacksim serve --config postbacksim.yaml
  postbacksim serve --tls-cert cert.pem --tls-key key.pem`,
		Args: noArgs,
	}
	fs := cmd.Flags()
	addr := fs.String("addr", "127.0.0.1:8080", "listen address `HOST:PORT` (loopback by default; use 0.0.0.0:PORT to accept other hosts)")
	logFormat := fs.String("log-format", "text", "log format on stderr: `text` or json")
	accessLog := fs.Bool("access-log", false, "log one line per request (off: only HTTP errors, admin changes, faults, impact attempts that did not deliver, and the summary)")
	logSummary := durationFlag(fs, "log-summary", time.Minute, "log a traffic summary this often (requests, Ocean codes, impact outcomes; 0: never)")
	pprofOn := fs.Bool("pprof", false, "serve runtime profiles under /debug/pprof/ (behind --admin-token when set; for go tool pprof), mutex and block profiles sampled")
	memLimit := byteSize(0)
	fs.Var(&memLimit, "memory-limit", "fixed soft memory `SIZE` the garbage collector keeps the heap under (GOMEMLIMIT; default: follow what the namespaces hold and what is live, never below the live heap, under 1.25 × --memory-budget + 64MiB; 0: none)")
	memBudget := byteSize(0)
	fs.Var(&memBudget, "memory-budget", "`SIZE` all namespaces together may hold in memory: Ocean journals, remembered outer_event_ids, impact deliveries; past it the oldest go first, whichever namespace holds them (default: --journal-max-bytes + --dedup-capacity × 128B, what one namespace holds at its caps; 0: no sandbox-wide bound)")
	lenient := fs.Bool("lenient", false, "Ocean: also accept, each with a journal warning, what real clients send outside the document's explicit rules (a POST's query string, a link-only conversion, no event_type, text not UTF-8 or not URL-encoded, parameters inside ext); default: the document's rules answer them")
	strict := fs.Bool("strict", false, "Ocean: every warning becomes an error (a milliseconds conv_time, os=ios, v2 seconds timestamps and unknown fields); not with --lenient")
	dedupCap := fs.Int("dedup-capacity", mockocean.DefaultDedupCapacity, "Ocean: outer_event_ids remembered (oldest evicted first; 0: the default)")
	dedupTTL := durationFlag(fs, "dedup-ttl", mockocean.DefaultDedupTTL, "Ocean: how long an outer_event_id is remembered (0: the default)")
	journalCap := fs.Int("journal-capacity", defaultJournalCapacity, "requests (Ocean) and finished deliveries (impact) kept in each journal (oldest evicted first; 0 = unbounded)")
	journalMaxBytes := byteSize(defaultJournalMaxBytes)
	fs.Var(&journalMaxBytes, "journal-max-bytes", "Ocean: `SIZE` of the requests kept in each journal, as received (256MiB, 64KB; oldest evicted first; 0 = no byte bound)")
	maxBody := fs.Int64("max-body", mockocean.DefaultMaxBodyBytes, "largest request body in bytes; larger ones get HTTP 413 (0: the default)")
	callbackKey := fs.String("callback-key", "", "Ocean: `HEX` key signing click callbacks (default: random); share it with 'ocean clicks'")
	appSecret := fs.String("ocean-app-secret", "", "Ocean v2: app `SECRET` the x-signature header of /api/v2/conversion is checked with, hex(sha256(body + SECRET)), as the SDK signs; empty: the header is journaled, not checked (a namespace's own app_secret, given to POST /_admin/namespaces, takes precedence)")
	corsOrigins := fs.String("cors-origins", mockocean.CORSAnyOrigin, "Ocean: `ORIGINS` whose browsers may call /track/activate/ (CORS): * for any, a comma list (https://brand.example,http://localhost:3000), or none to switch CORS off")
	extraEventTypes := fs.String("extra-event-types", "", "Ocean: event types agreed separately with the platform, accepted besides the documented enum: `VALUE=NAME,...` (1001=trial_start,1002=plan_upgrade); /track/activate/ takes the VALUE, /api/v2/conversion the NAME")
	strictAttribution := fs.Bool("strict-attribution", false, "Ocean: answer 40011 to callbacks this sandbox did not issue")
	maxInFlight := fs.Int("max-in-flight", mockimpact.DefaultMaxInFlight, "impact: live postback attempts in progress at once, across deliveries (the others queue; the journal says how long)")
	timeScale := fs.Float64("time-scale", 1, "impact: run the retry schedule `K` times faster than real time (3600: an hour a second)")
	shutdownGrace := durationFlag(fs, "shutdown-grace", 10*time.Second, "how long in-flight requests may finish after SIGTERM/SIGINT")
	adminToken := fs.String("admin-token", "", "require `TOKEN` as 'Authorization: Bearer TOKEN' on /_admin/ endpoints")
	maxNamespaces := fs.Int("max-namespaces", 64, "namespaces under /ns/NAME/, however created")
	openNamespaces := fs.Bool("open-namespaces", true, "create a namespace on the first request to /ns/NAME/ (default: true without --admin-token, false with one; then POST /_admin/namespaces creates them)")
	namespaceTTL := durationFlag(fs, "namespace-ttl", sandbox.DefaultNamespaceTTL, "remove a namespace (not the default one) after this long without a request (0: never)")
	metricsToken := fs.String("metrics-token", "", "require `TOKEN` as 'Authorization: Bearer TOKEN' on /metrics (the admin token works too)")
	denyPrivate := fs.Bool("deny-private-targets", false, "impact: refuse postbacks to loopback, private, link-local and the sandbox's own addresses (default: on when listening beyond loopback, off on loopback)")
	allowTargets := fs.String("allow-targets", "", "impact: `CIDR,...` ranges postbacks may reach despite --deny-private-targets (10.1.0.0/16,fd00::/8)")
	publicURL := fs.String("public-url", "", "impact: the sandbox's base `URL` as clients reach it, for job_completed links (default: the scheme and Host of the firing request)")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this PEM certificate `FILE` (with --tls-key); the document recommends HTTPS")
	tlsKey := fs.String("tls-key", "", "the PEM private key `FILE` of --tls-cert")
	storeURL := fs.String("store", "memory", "where the Ocean state (duplicate filter, journal, fault rules), the namespaces and the impact.com postback configurations and deliveries live: memory, or `URL` redis://[USER:PASSWORD@]HOST:PORT/DB (rediss:// for TLS), shared by every replica on it")
	storePrefix := fs.String("store-prefix", redisstore.DefaultPrefix, "prefix of every Redis key (--store redis://…; not empty); replicas sharing a sandbox use the same one")
	storeLease := durationFlag(fs, "store-lease", mockimpact.DefaultLease, "how long a replica holds an impact attempt it claimed from the shared schedule (--store redis://…): a replica that dies delays its attempts by at most this")
	replicaID := fs.String("replica-id", "", "this replica's name in the impact attempts it sends (--store redis://…); empty means HOSTNAME:PID")
	storeTTL := durationFlag(fs, "store-ttl", redisstore.DefaultIdleTTL, "how long a namespace's journal, fault rules, postback configurations and deliveries, and the list of namespaces, stay in Redis after their last change (an abandoned sandbox expires; remembered outer_event_ids follow --dedup-ttl)")
	configPath := fs.String("config", "", "YAML `FILE` of settings, keys named like these flags (addr: 0.0.0.0:8080)")
	documentEnv(fs)
	completeFlag(cmd, "log-format", "text", "json")
	_ = cmd.MarkFlagFilename("config", "yaml", "yml")
	_ = cmd.MarkFlagFilename("tls-cert", "pem", "crt")
	_ = cmd.MarkFlagFilename("tls-key", "pem", "key")
	cmd.RunE = a.action(func(ctx context.Context, cmd *cobra.Command, _ []string) int {
		stderr := a.stderr
		if *configPath == "" {
			*configPath = os.Getenv(envName("config"))
		}
		src, err := applyEnvAndFile(cmd.Flags(), *configPath, os.Getenv)
		if err != nil {
			fmt.Fprintf(stderr, "postbacksim serve: %v\n", err)
			return exitUsage
		}

		var handler slog.Handler
		switch *logFormat {
		case "text":
			handler = slog.NewTextHandler(stderr, nil)
		case "json":
			handler = slog.NewJSONHandler(stderr, nil)
		default:
			fmt.Fprintf(stderr, "postbacksim serve: %s: %q is not text or json\n", src.of("log-format"), *logFormat)
			return exitUsage
		}
		if *lenient && *strict {
			fmt.Fprintf(stderr, "postbacksim serve: %s and %s: choose one (--lenient accepts more than the default, --strict less)\n", src.of("lenient"), src.of("strict"))
			return exitUsage
		}
		for name, v := range map[string]int64{"dedup-capacity": int64(*dedupCap), "journal-capacity": int64(*journalCap), "max-body": *maxBody, "max-in-flight": int64(*maxInFlight)} {
			if v < 0 {
				fmt.Fprintf(stderr, "postbacksim serve: %s: %d is negative\n", src.of(name), v)
				return exitUsage
			}
		}
		key, err := parseKey(*callbackKey, src.of("callback-key"))
		if err != nil {
			fmt.Fprintf(stderr, "postbacksim serve: %v\n", err)
			return exitUsage
		}
		origins, err := mockocean.ParseCORSOrigins(*corsOrigins)
		if err != nil {
			fmt.Fprintf(stderr, "postbacksim serve: %s: %v\n", src.of("cors-origins"), err)
			return exitUsage
		}
		extra, err := mockocean.ParseExtraEventTypes(*extraEventTypes)
		if err != nil {
			fmt.Fprintf(stderr, "postbacksim serve: %s: %v\n", src.of("extra-event-types"), err)
			return exitUsage
		}
		if *timeScale <= 0 {
			fmt.Fprintf(stderr, "postbacksim serve: %s: %v: want a positive number\n", src.of("time-scale"), *timeScale)
			return exitUsage
		}
		var tlsConfig *tls.Config
		switch {
		case (*tlsCert == "") != (*tlsKey == ""):
			fmt.Fprintf(stderr, "postbacksim serve: --tls-cert and --tls-key go together: give both, or neither for plain HTTP\n")
			return exitUsage
		case *tlsCert != "":
			cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
			if err != nil {
				fmt.Fprintf(stderr, "postbacksim serve: --tls-cert %s, --tls-key %s: %v\n", *tlsCert, *tlsKey, err)
				return exitUsage
			}
			tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		logger := slog.New(handler)

		if *maxNamespaces < 0 {
			fmt.Fprintf(stderr, "postbacksim serve: %s: %d is negative\n", src.of("max-namespaces"), *maxNamespaces)
			return exitUsage
		}
		if *publicURL != "" {
			if u, err := url.Parse(*publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				fmt.Fprintf(stderr, "postbacksim serve: %s: %q: want http(s)://HOST[:PORT][/PATH], no query\n", src.of("public-url"), *publicURL)
				return exitUsage
			}
		}
		if *namespaceTTL < 0 {
			fmt.Fprintf(stderr, "postbacksim serve: %s: %v is negative (0 keeps namespaces forever)\n", src.of("namespace-ttl"), *namespaceTTL)
			return exitUsage
		}
		var open *bool
		if cmd.Flags().Changed("open-namespaces") {
			open = openNamespaces
		}
		if *logSummary < 0 {
			fmt.Fprintf(stderr, "postbacksim serve: %s: %v is negative (0 turns the summary off)\n", src.of("log-summary"), *logSummary)
			return exitUsage
		}
		summaryEvery := *logSummary
		if summaryEvery == 0 {
			summaryEvery = -1 // sandbox.Config: negative is never
		}
		if *storePrefix == "" {
			fmt.Fprintf(stderr, "postbacksim serve: %s: empty: every Redis key starts with the prefix (the default is %s)\n", src.of("store-prefix"), redisstore.DefaultPrefix)
			return exitUsage
		}
		var shared sandbox.Store // nil: memory
		if *storeURL != "memory" && *storeURL != "" {
			if err := redisstore.CheckURL(*storeURL); err != nil {
				fmt.Fprintf(stderr, "postbacksim serve: %s\n", storeURLError(src.of("store"), *storeURL, err))
				return exitUsage
			}
			if *storeLease <= 0 {
				fmt.Fprintf(stderr, "postbacksim serve: %s: %v: want a positive duration\n", src.of("store-lease"), *storeLease)
				return exitUsage
			}
			if *storeTTL <= 0 {
				fmt.Fprintf(stderr, "postbacksim serve: %s: %v: want a positive duration\n", src.of("store-ttl"), *storeTTL)
				return exitUsage
			}
			rlog := newRedisLog(logger, clock.Real{}) // one log, one format, a line a minute per message
			redisstore.SetLogger(rlog)
			defer rlog.stop() // the client's goroutines may outlive serve
			rs, err := redisstore.Open(redisstore.Options{URL: *storeURL, Prefix: *storePrefix, IdleTTL: *storeTTL})
			if err != nil {
				fmt.Fprintf(stderr, "postbacksim serve: %s\n", storeURLError(src.of("store"), *storeURL, err))
				return exitUsage
			}
			defer rs.Close()
			pctx, cancel := context.WithTimeout(ctx, storeStartTimeout)
			err = rs.Ping(pctx)
			cancel()
			if err != nil {
				fmt.Fprintf(stderr, "postbacksim serve: %s\n", storeDownError(src.of("store"), *storeURL, err))
				return exitFail
			}
			shared = rs
		}
		if _, err := mockimpact.ParseAllowTargets(*allowTargets); err != nil {
			fmt.Fprintf(stderr, "postbacksim serve: %s: %v\n", src.of("allow-targets"), err)
			return exitUsage
		}
		if _, port, err := net.SplitHostPort(*addr); err != nil || port == "" {
			fmt.Fprintf(stderr, "postbacksim serve: %s: %q: want HOST:PORT, such as 127.0.0.1:8080 or 0.0.0.0:8080\n", src.of("addr"), *addr)
			return exitUsage
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			fmt.Fprintf(stderr, "postbacksim serve: %s: %q: the port must be a number from 0 to 65535 (0: any free port)\n", src.of("addr"), *addr)
			return exitUsage
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil { // taken, or not ours to bind: the machine, not the flag
			fmt.Fprintf(stderr, "postbacksim serve: listening on %s: %v\n", *addr, err)
			return exitFail
		}
		policy, err := targetPolicy(*denyPrivate, cmd.Flags().Changed("deny-private-targets"), *allowTargets, ln.Addr())
		if err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "postbacksim serve: %v\n", err)
			return exitUsage
		}
		budget := int64(memBudget)
		if !cmd.Flags().Changed("memory-budget") {
			budget = defaultMemoryBudget(int64(journalMaxBytes), *journalCap, *dedupCap)
		}
		limit, track := applyMemoryLimit(cmd.Flags().Changed("memory-limit"), int64(memLimit), budget)
		if *pprofOn {
			// The mutex and block profiles are empty unless sampled: one
			// contended lock in 100, one blocking event per 10 µs blocked.
			runtime.SetMutexProfileFraction(100)
			runtime.SetBlockProfileRate(10_000)
		}
		sb := sandbox.New(sandbox.Config{
			PublicURL:      *publicURL,
			LoopbackOnly:   loopbackOnly(ln.Addr()),
			Logger:         logger,
			AccessLog:      *accessLog,
			SummaryEvery:   summaryEvery,
			Pprof:          *pprofOn,
			TimeScale:      *timeScale,
			AdminToken:     *adminToken,
			MaxNamespaces:  *maxNamespaces,
			OpenNamespaces: open,
			NamespaceTTL:   *namespaceTTL,
			MetricsToken:   *metricsToken,
			ReplicaID:      *replicaID,
			StoreLease:     *storeLease,
			Store:          shared,
			MemoryBudget:   budget,
			Impact:         mockimpact.Options{MaxDeliveries: *journalCap, MaxInFlight: *maxInFlight, TargetPolicy: policy},
			Ocean: mockocean.Config{
				Lenient: *lenient, Strict: *strict, StrictAttribution: *strictAttribution, CallbackKey: key, DedupCapacity: *dedupCap, DedupTTL: *dedupTTL,
				JournalCapacity: *journalCap, JournalMaxBytes: int64(journalMaxBytes), MaxBodyBytes: *maxBody,
				CORSOrigins: origins, ExtraEventTypes: extra, AppSecret: *appSecret,
			},
		})
		if track {
			stopTracking := make(chan struct{})
			defer close(stopTracking)
			trackMemory(sb, limit, clock.Real{}, stopTracking)
		}
		// A whole request must arrive within a minute, and an idle keep-alive
		// connection closes after two: a shared sandbox must not be held open
		// by slow or abandoned clients. There is no write timeout, because an
		// injected delay fault may hold an answer back on purpose.
		srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute, TLSConfig: tlsConfig,
			ErrorLog: slog.NewLogLogger(handler, slog.LevelWarn)}
		scheme := "http://"
		if tlsConfig != nil {
			scheme = "https://"
		}
		if *adminToken == "" && !loopbackOnly(ln.Addr()) {
			logger.Warn("admin endpoints are open to the network: set --admin-token (or $POSTBACKSIM_ADMIN_TOKEN)", "addr", ln.Addr().String())
		}
		if n := len(*adminToken); n > 0 && n < 16 {
			logger.Warn("the admin token is short: anyone who can reach a shared sandbox may guess it; use 16 characters or more, as namespace tokens must", "length", n)
		}
		if *pprofOn && *adminToken == "" {
			logger.Warn("runtime profiles are served without a token under /debug/pprof/: set --admin-token on a shared sandbox")
		}
		logger.Info("impact target policy", "deny_private_targets", policy.Enabled(), "policy", policy.String())
		logger.Info("namespaces", "created_by_traffic", open == nil && *adminToken == "" || open != nil && *open,
			"ttl", namespaceTTL.String(), "max", *maxNamespaces, "metrics_token", *metricsToken != "")
		logger.Info("postbacksim listening", "url", scheme+ln.Addr().String(), "activate", scheme+ln.Addr().String()+mockocean.ActivatePath,
			"impact_admin", scheme+ln.Addr().String()+mockimpact.AdminPrefix+"/", "lenient", *lenient, "strict", *strict, "time_scale", *timeScale, "access_log", *accessLog, "memory_limit", (*byteSize)(&limit).String(), "memory_limit_tracks_the_sandbox", track, "memory_budget", strconv.FormatFloat(float64(budget)/(1<<20), 'f', 1, 64)+"MiB", "store", storeName(*storeURL))

		errc := make(chan error, 1)
		go func() {
			if tlsConfig != nil {
				errc <- srv.ServeTLS(ln, "", "") // the certificate is in TLSConfig
				return
			}
			errc <- srv.Serve(ln)
		}()
		select {
		case err := <-errc:
			fmt.Fprintf(stderr, "postbacksim serve: %v\n", err)
			return exitFail
		case <-ctx.Done():
		}
		logger.Info("shutting down", "grace", *shutdownGrace)
		if n := sb.Close(); n > 0 {
			logger.Warn("impact deliveries cancelled at shutdown (they stay in the journal)", "pending", n)
		}
		sctx, cancel := context.WithTimeout(context.Background(), *shutdownGrace)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(stderr, "postbacksim serve: shutdown: %v\n", err)
			return exitFail
		}
		logger.Info("stopped")
		return exitOK
	})
	return cmd
}

// storeName is --store as logged: a Redis URL without its password.
func storeName(u string) string { return redisstore.Redact(u) }

// storeStartTimeout bounds serve's first look at the store: a Redis that
// does not answer by then stops serve from starting.
var storeStartTimeout = 5 * time.Second

// storeURLError is serve's message for a --store value, given by source,
// that is neither memory nor a Redis URL redisstore.Open takes: the value
// as given (its password hidden), what is wrong, both valid forms, and
// the value probably meant when the fix is plain.
func storeURLError(source, value string, err error) string {
	var ue *redisstore.URLError
	if !errors.As(err, &ue) {
		return fmt.Sprintf("%s: %v", source, err)
	}
	msg := fmt.Sprintf("%s: %q: %s; want memory (the default) or %s", source, ue.URL, ue.Problem, redisstore.URLForm)
	meant := ue.Suggest
	if best, ok := suggest.Closest(value, []string{"memory"}); meant == "" && ok && !strings.Contains(value, ":") {
		meant = best
	}
	if meant != "" {
		msg += "; did you mean " + meant + "?"
	}
	return msg
}

// storeDownError is serve's message when the Redis at u, given by
// source, fails serve's first look: it did not answer (it could not be
// reached, or not in time), or it answered with an error, which is
// quoted. A rediss:// URL that timed out or met no TLS gets a hint: a
// Redis without TLS never finishes the handshake.
func storeDownError(source, u string, err error) string {
	name := redisstore.Redact(u)
	var re *redisstore.ServerError
	if errors.As(err, &re) {
		msg := fmt.Sprintf("%s: %q: Redis answered with an error, not starting: %v", source, name, re)
		if strings.Contains(re.Error(), "DB index is out of range") {
			msg += " (Redis has the databases 0 to its 'databases' setting minus one: 0–15 by default)"
		}
		return msg
	}
	if m, ok := err.(interface{ Unwrap() []error }); ok && errors.Is(err, store.ErrUnavailable) {
		if errs := m.Unwrap(); len(errs) > 0 {
			err = errs[len(errs)-1] // Redis's own error, without "redis ping: state store unavailable"
		}
	}
	msg := fmt.Sprintf("%s: %q: Redis does not answer, not starting: %v", source, name, err)
	if errors.Is(err, context.DeadlineExceeded) {
		msg = fmt.Sprintf("%s: %q: Redis does not answer within %v, not starting", source, name, storeStartTimeout)
	}
	var ne net.Error
	var tlsErr tls.RecordHeaderError
	if strings.HasPrefix(u, "rediss://") && (errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &tlsErr)) {
		msg += " (rediss:// needs a Redis that speaks TLS, redis:// one that does not: is this one listening with TLS?)"
	}
	return msg
}
