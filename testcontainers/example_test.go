package postbacksimtc_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/testcontainers/testcontainers-go"

	"github.com/postbacksim/postbacksim/sandboxclient"
	postbacksimtc "github.com/postbacksim/postbacksim/testcontainers"
)

// Start the sandbox with an admin token and a namespace of its own,
// post a conversion as the application under test would, and read the
// Ocean journal back. It needs a Docker engine and the image built by
// `make docker IMAGE=postbacksim:dev`.
func ExampleRun() {
	ctx := context.Background()
	ctr, err := postbacksimtc.Run(ctx, "postbacksim:dev",
		postbacksimtc.WithAdminToken("s3cret-admin-token"),
		postbacksimtc.WithNamespace("team-a"),
		postbacksimtc.WithHostNetwork(),
	)
	defer func() {
		if err := testcontainers.TerminateContainer(ctr); err != nil {
			log.Printf("terminate: %v", err)
		}
	}()
	if err != nil {
		log.Fatal(err)
	}

	// The application under test is configured with this endpoint.
	activate, err := ctr.ActivateURL(ctx) // http://127.0.0.1:PORT/ns/team-a/track/activate/
	if err != nil {
		log.Fatal(err)
	}
	resp, err := http.Post(activate, "application/json",
		strings.NewReader(`{"callback":"cb-1","idfa":"FCD369C3-F622-44B8-AFDE-12065659F34B","event_type":2}`))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()

	// The journal of the namespace says what the sandbox received and why
	// it answered as it did, through the typed client.
	client, err := ctr.Client(ctx)
	if err != nil {
		log.Fatal(err)
	}
	journal, err := client.OceanRequests(ctx, sandboxclient.OceanFilter{})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range journal.Requests {
		fmt.Println(r.Params["callback"], r.Code, r.Msg)
	}
}
