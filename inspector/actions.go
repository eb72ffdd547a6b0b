package inspector

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockimpact/macro"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/store"
)

// The forms post to /_admin/inspector/…: behind the admin token, and,
// with the login cookie, the CSRF token (the sandbox checks both). Each
// answers with a redirect to the page, with a message or an error.

func (in *Inspector) addFault(t *Tenant, w http.ResponseWriter, r *http.Request) {
	f := mockocean.Fault{ID: strings.TrimSpace(r.PostFormValue("id")), API: r.PostFormValue("api"), Msg: r.PostFormValue("msg"), Body: r.PostFormValue("body"),
		Drop: r.PostFormValue("drop") != "", Malformed: r.PostFormValue("malformed") != ""}
	var errs []string
	num := func(name string, dst *int) {
		if s := strings.TrimSpace(r.PostFormValue(name)); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				errs = append(errs, name+": "+strconv.Quote(s)+" is not an integer")
			}
			*dst = n
		}
	}
	num("status", &f.Status)
	num("code", &f.Code)
	num("times", &f.Times)
	if s := strings.TrimSpace(r.PostFormValue("probability")); s != "" {
		p, err := strconv.ParseFloat(s, 64)
		if err != nil {
			errs = append(errs, "probability: "+strconv.Quote(s)+" is not a number")
		}
		f.Probability = p
	}
	if s := strings.TrimSpace(r.PostFormValue("delay")); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			errs = append(errs, "delay: "+err.Error())
		}
		f.Delay = clock.Duration(d)
	}
	for _, pair := range strings.FieldsFunc(r.PostFormValue("match"), func(c rune) bool { return c == ',' || c == '\n' }) {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || k == "" {
			errs = append(errs, "match: want name=value pairs, got "+strconv.Quote(pair))
			continue
		}
		if f.Match == nil {
			f.Match = map[string]string{}
		}
		f.Match[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if len(errs) > 0 {
		in.back(w, r, t.Base+"/ocean", "", "fault: "+strings.Join(errs, "; "))
		return
	}
	added, err := t.Ocean.InjectFault(r.Context(), f)
	if errors.Is(err, store.ErrUnavailable) {
		storeDown(w, err)
		return
	}
	if err != nil {
		in.back(w, r, t.Base+"/ocean", "", err.Error())
		return
	}
	in.back(w, r, t.Base+"/ocean", "fault rule "+added.ID+" added", "")
}

func (in *Inspector) removeFault(t *Tenant, w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("id")
	removed, err := t.Ocean.RemoveFault(r.Context(), id)
	if err != nil {
		storeDown(w, err)
		return
	}
	if !removed {
		in.back(w, r, t.Base+"/ocean", "", "no fault rule "+strconv.Quote(id))
		return
	}
	in.back(w, r, t.Base+"/ocean", "fault rule "+id+" removed", "")
}

func (in *Inspector) savePostback(t *Tenant, w http.ResponseWriter, r *http.Request) {
	p := mockimpact.Postback{Event: r.PostFormValue("event"), URL: strings.TrimSpace(r.PostFormValue("url")),
		Method: r.PostFormValue("method"), Format: r.PostFormValue("format"), Body: r.PostFormValue("body")}
	headers := r.PostFormValue("headers")
	var ferr *FormError
	for _, line := range strings.Split(headers, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			ferr = &FormError{Msg: "headers: want one Name: value a line, got " + strconv.Quote(line), Field: "headers"}
			break
		}
		if p.Headers == nil {
			p.Headers = map[string]string{}
		}
		p.Headers[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if s := strings.TrimSpace(r.PostFormValue("timeout")); s != "" && ferr == nil {
		d, err := time.ParseDuration(s)
		if err != nil {
			ferr = &FormError{Msg: "timeout: " + err.Error(), Field: "timeout"}
		}
		p.Timeout = clock.Duration(d)
	}
	if ferr == nil {
		if _, err := t.Impact.Configure(r.Context(), p); errors.Is(err, store.ErrUnavailable) {
			storeDown(w, err)
			return
		} else if err != nil {
			ferr = formError(err, p)
		} else {
			in.back(w, r, t.Base+"/impact", "postback for "+p.Event+" saved", "")
			return
		}
	}
	v := &view{Tenant: t, Now: t.Impact.Clock().Now(), CSRF: r.PostFormValue(in.opts.CSRFField), Auth: !in.opts.TokenAccepted(t.Name, "")}
	in.renderImpact(t, w, r, http.StatusBadRequest, v, impactData{Edit: p, EditHeader: headers, FormError: ferr})
}

// formError places a configuration error: a macro error at its line and
// column in the template it names.
func formError(err error, p mockimpact.Postback) *FormError {
	fe := &FormError{Msg: err.Error()}
	var ce *mockimpact.ConfigError
	if errors.As(err, &ce) {
		fe.Field = ce.Field
	}
	var me *macro.Error
	if !errors.As(err, &me) {
		return fe
	}
	fe.Line, fe.Col = me.Pos.Line, me.Pos.Col
	text := p.URL
	switch {
	case strings.HasPrefix(me.Template, "body") || fe.Field == "body":
		text = p.Body
	case strings.HasPrefix(me.Template, "header "):
		text = p.Headers[strings.TrimPrefix(me.Template, "header ")]
	}
	if fe.Field == "" {
		fe.Field = me.Template
	}
	// Line and Col count from 1; Col in characters.
	lines := strings.SplitAfter(text, "\n")
	off := 0
	for i := 0; i < me.Pos.Line-1 && i < len(lines); i++ {
		off += len(lines[i])
	}
	rs := []rune(text[min(off, len(text)):])
	c := max(0, min(me.Pos.Col-1, len(rs)))
	fe.Before = text[:min(off, len(text))] + string(rs[:c])
	if c < len(rs) {
		fe.At, fe.After = string(rs[c]), string(rs[c+1:])
	} else {
		fe.At = " "
	}
	return fe
}

// fire fires an event through the impact admin endpoint, as a program
// would: the same checks, seeds and job links.
func (in *Inspector) fire(t *Tenant, w http.ResponseWriter, r *http.Request) {
	event := r.PostFormValue("event")
	q := url.Values{}
	for _, k := range []string{"seed", "status"} {
		if v := strings.TrimSpace(r.PostFormValue(k)); v != "" {
			q.Set(k, v)
		}
	}
	body := strings.TrimSpace(r.PostFormValue("payload"))
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, mockimpact.AdminPrefix+"/events/"+url.PathEscape(event)+"?"+q.Encode(), strings.NewReader(body))
	if err != nil {
		in.back(w, r, t.Base+"/impact", "", err.Error())
		return
	}
	req.Host = r.Host
	req.TLS = r.TLS
	req.Header.Set("Content-Type", "application/json")
	rec := &recorder{header: http.Header{}}
	t.ImpactAdmin.ServeHTTP(rec, req)
	var out struct {
		DeliveryID string `json:"delivery_id"`
		Error      string `json:"error"`
	}
	_ = json.Unmarshal(rec.body.Bytes(), &out)
	if rec.status == http.StatusServiceUnavailable {
		storeDown(w, errors.New(out.Error))
		return
	}
	if out.DeliveryID == "" {
		msg := out.Error
		if msg == "" {
			msg = "firing " + event + ": HTTP " + strconv.Itoa(rec.status)
		}
		in.back(w, r, t.Base+"/impact", "", msg)
		return
	}
	in.back(w, r, t.Base+"/deliveries/"+url.PathEscape(out.DeliveryID), "fired "+event, "")
}

func (in *Inspector) retryNow(t *Tenant, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := t.Impact.RetryNow(r.Context(), id)
	if errors.Is(err, store.ErrUnavailable) {
		storeDown(w, err)
		return
	}
	if err != nil {
		in.back(w, r, t.Base+"/deliveries/"+url.PathEscape(id), "", err.Error())
		return
	}
	in.back(w, r, t.Base+"/deliveries/"+url.PathEscape(id), "next attempt moved to now", "")
}

func (in *Inspector) replay(t *Tenant, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	nid, err := t.Impact.Replay(r.Context(), id)
	if errors.Is(err, store.ErrUnavailable) {
		storeDown(w, err)
		return
	}
	if err != nil {
		in.back(w, r, t.Base+"/deliveries/"+url.PathEscape(id), "", err.Error())
		return
	}
	in.back(w, r, t.Base+"/deliveries/"+url.PathEscape(nid), "replay of "+id, "")
}

// recorder captures the impact admin's answer to a fired form.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
