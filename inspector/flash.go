package inspector

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"sync"
)

// The message a form's redirect shows ("fault rule f1 added", or what
// was wrong) is kept here under a random code, and the redirect carries
// the code (?flash=CODE): a page shows only messages the sandbox wrote,
// so a link cannot make it display text of the linker's choosing.

// maxFlashes bounds the messages kept; the oldest go first.
const maxFlashes = 256

// flash is one form's outcome.
type flash struct{ msg, err string }

// flashes keeps the messages of recent redirects by code.
type flashes struct {
	mu    sync.Mutex
	byKey map[string]flash
	order []string
}

// put keeps f and returns its code.
func (fs *flashes) put(f flash) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	code := hex.EncodeToString(b[:])
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.byKey == nil {
		fs.byKey = map[string]flash{}
	}
	fs.byKey[code] = f
	fs.order = append(fs.order, code)
	if len(fs.order) > maxFlashes {
		delete(fs.byKey, fs.order[0])
		fs.order = fs.order[1:]
	}
	return code
}

// get returns the message kept under code (the zero flash for an unknown
// one: shown as nothing).
func (fs *flashes) get(code string) flash {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.byKey[code]
}

// back redirects to path, with the outcome of the form.
func (in *Inspector) back(w http.ResponseWriter, r *http.Request, path, msg, errMsg string) {
	if msg != "" || errMsg != "" {
		path += "?" + url.Values{"flash": {in.flashes.put(flash{msg, errMsg})}}.Encode()
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}
