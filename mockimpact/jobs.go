package mockimpact

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/httpjson"
)

// JobsPrefix is the path under which Jobs serves the exports that
// job_completed events link to, mimicking the platform's own paths
// (api.impact.com/jobs/{id}, download.impact.com/file?token=…):
//
//	GET /impact/jobs/{id}          the job's detail (JSON)
//	GET /impact/jobs/{id}/result   the job's result (CSV)
//	GET /impact/file?token=T&exp=5min   a download link: the CSV until it expires, then 410
const JobsPrefix = "/impact/"

// DownloadExpiries are the lifetimes of a job_completed event's four
// download links (ResultDownloadUrlExp5 … Exp60), as the document's field
// names say.
var DownloadExpiries = [4]time.Duration{5 * time.Minute, 15 * time.Minute, 30 * time.Minute, 60 * time.Minute}

// DefaultMaxJobs bounds the jobs a Jobs remembers when NewJobs is given 0.
const DefaultMaxJobs = 1024

// Jobs serves the report and click exports of fired job_completed events,
// so a brand's handler that follows the links can be tested end to end.
// Register rewrites an event's links to point at base; the download links
// expire on the injected clock. Safe for concurrent use.
type Jobs struct {
	clock clock.Clock
	max   int

	mu    sync.Mutex
	jobs  map[int64]*job
	order []int64
	token map[string]*job
	// downloads holds a slot per result being written (maxResultDownloads).
	downloads chan struct{}
}

type job struct {
	ev      fixtures.JobCompleted
	created time.Time
	token   string
}

// NewJobs returns a job store on c (nil: the wall clock) remembering at
// most max jobs (0: DefaultMaxJobs; the oldest are forgotten first).
func NewJobs(c clock.Clock, max int) *Jobs {
	if c == nil {
		c = clock.Real{}
	}
	if max <= 0 {
		max = DefaultMaxJobs
	}
	return &Jobs{clock: c, max: max, jobs: map[int64]*job{}, token: map[string]*job{}, downloads: make(chan struct{}, maxResultDownloads)}
}

// Register remembers ev's job and points its links at base (a URL such
// as http://127.0.0.1:8080/ns/team-a, no trailing slash), except the
// link fields named in keep, which stay as they are. The download links
// expire DownloadExpiries after now on the store's clock.
func (j *Jobs) Register(ev *fixtures.JobCompleted, base string, keep map[string]bool) {
	var b [12]byte
	_, _ = crand.Read(b[:])
	jb := &job{created: j.clock.Now(), token: hex.EncodeToString(b[:])}
	base = strings.TrimSuffix(base, "/")
	links := []struct {
		name string
		dst  *string
		url  string
	}{
		{"ApiJobDetailUri", &ev.ApiJobDetailUri, fmt.Sprintf("%s%sjobs/%d", base, JobsPrefix, ev.JobId)},
		{"ApiResultUri", &ev.ApiResultUri, fmt.Sprintf("%s%sjobs/%d/result", base, JobsPrefix, ev.JobId)},
	}
	for i, dst := range []*string{&ev.ResultDownloadUrlExp5, &ev.ResultDownloadUrlExp15, &ev.ResultDownloadUrlExp30, &ev.ResultDownloadUrlExp60} {
		m := int(DownloadExpiries[i] / time.Minute)
		links = append(links, struct {
			name string
			dst  *string
			url  string
		}{fmt.Sprintf("ResultDownloadUrlExp%d", m), dst, fmt.Sprintf("%s%sfile?token=%s&exp=%dmin", base, JobsPrefix, jb.token, m)})
	}
	for _, l := range links {
		if !keep[l.name] {
			*l.dst = l.url
		}
	}
	jb.ev = *ev
	j.mu.Lock()
	defer j.mu.Unlock()
	if old, ok := j.jobs[ev.JobId]; ok {
		delete(j.token, old.token)
		j.order = slices.DeleteFunc(j.order, func(id int64) bool { return id == ev.JobId })
	}
	j.jobs[ev.JobId] = jb
	j.token[jb.token] = jb
	j.order = append(j.order, ev.JobId)
	for len(j.order) > j.max {
		delete(j.token, j.jobs[j.order[0]].token)
		delete(j.jobs, j.order[0])
		j.order = j.order[1:]
	}
}

// ServeHTTP serves the job detail, the result and the download links.
func (j *Jobs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		httpjson.MethodNotAllowed(w, r)
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, JobsPrefix)
	if rest == "file" {
		j.serveFile(w, r)
		return
	}
	idText, sub, _ := strings.Cut(strings.TrimPrefix(rest, "jobs/"), "/")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !strings.HasPrefix(rest, "jobs/") || err != nil || (sub != "" && sub != "result") {
		httpjson.NotFound(w, r)
		return
	}
	j.mu.Lock()
	jb, ok := j.jobs[id]
	j.mu.Unlock()
	if !ok {
		httpjson.Error(w, http.StatusNotFound, fmt.Sprintf("no job %d (fire a job_completed event first)", id))
		return
	}
	if sub == "result" {
		j.writeCSV(w, r, jb)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{
		"Id": jb.ev.JobId, "Type": jb.ev.JobType, "Status": "COMPLETED", "AccountId": jb.ev.AccountId,
		"StartedDate": jb.ev.StartDate, "CompletedDate": jb.ev.EndDate, "RecordsProcessed": jb.ev.RecordsProcessed,
		"ResultUri": jb.ev.ApiResultUri,
	})
}

func (j *Jobs) serveFile(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	j.mu.Lock()
	jb, ok := j.token[q.Get("token")]
	j.mu.Unlock()
	if !ok {
		httpjson.Error(w, http.StatusNotFound, "no download with this token")
		return
	}
	life := time.Duration(-1)
	for _, e := range DownloadExpiries {
		if q.Get("exp") == fmt.Sprintf("%dmin", int(e/time.Minute)) {
			life = e
		}
	}
	if life < 0 {
		httpjson.Error(w, http.StatusNotFound, fmt.Sprintf("query parameter exp: %q: want 5min, 15min, 30min or 60min", q.Get("exp")))
		return
	}
	if now := j.clock.Now(); !now.Before(jb.created.Add(life)) {
		httpjson.Error(w, http.StatusGone, fmt.Sprintf("this download link expired %v after the job's notification (%v ago)", life, now.Sub(jb.created.Add(life))))
		return
	}
	j.writeCSV(w, r, jb)
}

// writeCSV streams the job's records: RecordsProcessed rows of a report
// export (actions) or a click export (clicks), the same rows every time
// for one job.
func (j *Jobs) writeCSV(w http.ResponseWriter, r *http.Request, jb *job) {
	select {
	case j.downloads <- struct{}{}:
		defer func() { <-j.downloads }()
	default:
		w.Header().Set("Retry-After", "1")
		httpjson.Error(w, http.StatusTooManyRequests, fmt.Sprintf("%d job results are being downloaded from this namespace already: try again in a second", maxResultDownloads))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="job-%d.csv"`, jb.ev.JobId))
	if r.Method == http.MethodHead {
		return
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	defer bw.Flush()
	_ = JobRecords(r.Context(), bw, &jb.ev)
}

// JobRecordsHeader returns the CSV header of a job type's export.
func JobRecordsHeader(jobType string) string {
	if jobType == "CLICK_EXPORT" {
		return "ClickId,EventDate,MediaPartnerId,AdId,IpAddress,ReferringDomain,LandingPageUrl"
	}
	return "ActionId,Oid,EventDate,CampaignId,MediaPartnerId,Status,Amount,Payout,Currency"
}

// MaxJobRecords bounds the rows of one export: a supplied payload may
// claim any RecordsProcessed.
const MaxJobRecords = 100_000

// maxResultDownloads bounds the job results a Jobs writes at once: more
// wait for none, they get 429 with Retry-After.
const maxResultDownloads = 2

// JobRecords writes ev's export as CSV: a header and RecordsProcessed
// rows (at most MaxJobRecords), generated from the JobId (same job, same
// file), dated between StartDate and EndDate. It stops early when ctx is
// done.
func JobRecords(ctx context.Context, w interface{ WriteString(string) (int, error) }, ev *fixtures.JobCompleted) error {
	if _, err := w.WriteString(JobRecordsHeader(ev.JobType) + "\n"); err != nil {
		return fmt.Errorf("writing job %d: %w", ev.JobId, err)
	}
	rng := rand.New(rand.NewPCG(uint64(ev.JobId), uint64(ev.AccountId)))
	span := max(ev.EndDate.Sub(ev.StartDate.Time), time.Second)
	statuses := []string{"APPROVED", "PENDING", "REVERSED"}
	var line []byte
	for i := range min(ev.RecordsProcessed, MaxJobRecords) {
		if i%1024 == 0 && ctx.Err() != nil {
			return fmt.Errorf("writing job %d: %w", ev.JobId, ctx.Err())
		}
		at := fixtures.TS(ev.StartDate.Add(time.Duration(rng.Int64N(int64(span)))))
		line = line[:0]
		if ev.JobType == "CLICK_EXPORT" {
			line = fmt.Appendf(line, "CLK%010d,%s,%d,%d,10.%d.%d.%d,partner%d.example,https://brand.example/p/%d\n",
				rng.IntN(1<<30), at, 100+rng.IntN(99900), 10000+rng.IntN(90000), rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(50), rng.IntN(1000))
		} else {
			amount := fixtures.Money(500 + rng.IntN(50000))
			line = fmt.Appendf(line, "ACT-%06d,ORD-%06d,%s,%d,%d,%s,%s,%s,USD\n",
				rng.IntN(999999)+1, rng.IntN(999999)+1, at, 1000+rng.IntN(99000), 100+rng.IntN(99900), statuses[rng.IntN(len(statuses))],
				amount, amount/10)
		}
		if _, err := w.WriteString(string(line)); err != nil {
			return fmt.Errorf("writing job %d: %w", ev.JobId, err)
		}
	}
	return nil
}

type baseKey struct{}

// WithPublicBase returns ctx carrying the URL at which the server that
// serves Jobs is reached from outside (scheme, host and any path prefix
// such as /ns/NAME, no trailing slash). The sandbox sets it; Admin uses
// it for the links of job_completed events.
func WithPublicBase(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, baseKey{}, base)
}

// PublicBase returns the base URL WithPublicBase put in r's context, or
// else the one r was sent to (http or https, and its Host).
func PublicBase(r *http.Request) string {
	if b, ok := r.Context().Value(baseKey{}).(string); ok && b != "" {
		return b
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
