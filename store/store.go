// Package store names what every state backend of postbacksim shares:
// the error of a store that cannot be reached or did not answer, and the
// registry the replicas of a shared sandbox agree through (namespaces,
// heartbeats, the scaled clocks' epoch).
//
// The emulators define the state they keep as interfaces of their own,
// each with its in-memory implementation beside it: mockocean.State (the
// duplicate filter, the journal and the fault rules), mockimpact.
// ConfigStore (postback configurations) and mockimpact.DeliveryStore (the
// deliveries and their pending attempts). Package redisstore implements
// all of them, and Registry, on Redis; it is the only package that
// imports a Redis client.
package store

import (
	"errors"
	"fmt"
)

// ErrUnavailable wraps every error of a store that could not be reached
// or did not answer. The HTTP endpoints answer it with 503 and
// Retry-After, the same JSON body on every route, and do nothing: a
// request answered 503 was not journaled, and a change answered 503 was
// not made (unless the store made it and the answer was lost, which the
// caller's retry then finds done).
var ErrUnavailable = errors.New("state store unavailable")

// Unavailable wraps err, an error of the store met while doing what, as
// ErrUnavailable: "reading the journal: state store unavailable: dial tcp
// …: connection refused". A nil err is nil.
func Unavailable(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w: %w", what, ErrUnavailable, err)
}
