package sandbox

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	ph "github.com/prometheus/client_golang/prometheus/promhttp"
)

func promhttp(r *prometheus.Registry) http.Handler {
	return ph.HandlerFor(r, ph.HandlerOpts{ErrorHandling: ph.ContinueOnError})
}
