package openapi

import (
	"net/http"
	"strings"

	"github.com/postbacksim/postbacksim/api"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/har"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/sandbox"
)

// Schemas given outright, for values no Go type names.
var (
	str      = schema{"type": "string"}
	integer  = schema{"type": "integer"}
	boolean  = schema{"type": "boolean"}
	dateTime = schema{"type": "string", "format": "date-time"}
)

func enum(values ...string) map[string]any { return map[string]any{"type": "string", "enum": values} }

func query(name, description string, s map[string]any) param {
	return param{Name: name, In: "query", Description: description, Schema: s}
}

func header(name, description string) param {
	return param{Name: name, In: "header", Description: description, Schema: str}
}

func path(name, description string) param {
	return param{Name: name, In: "path", Description: description, Schema: str}
}

// harFormat is the format parameter of the journals: their JSON view,
// or an HTTP Archive 1.2 document.
var harFormat = query("format", "json (the default), or har: an HTTP Archive 1.2 document (application/har+json) of the same entries", enum("json", "har"))

// harAnswer is the HAR view of a journal answer, beside its JSON view.
func harAnswer() map[string]map[string]any {
	return map[string]map[string]any{har.MediaType: {"$ref": "#/components/schemas/HAR"}}
}

// Answers many operations share.
var (
	noContent   = answer{Status: http.StatusNoContent, Description: "done"}
	unavailable = errorAnswer(http.StatusServiceUnavailable, "the store (Redis) did not answer in time: nothing was changed; try again (Retry-After)")
	badRequest  = errorAnswer(http.StatusBadRequest, "a parameter or the body is wrong: the error names it")
	notFound    = errorAnswer(http.StatusNotFound, "no such item")
	conflict    = errorAnswer(http.StatusConflict, "a bound is reached, or the item is in a state that refuses it: the error says which and how to make room")
)

// operations is the table of the sandbox's HTTP surface: every route of
// its routers, and nothing else (TestOpenAPIMatchesTheRouters).
func operations() []operation {
	var ops []operation
	ops = append(ops, oceanOperations()...)
	ops = append(ops, oceanAdminOperations()...)
	ops = append(ops, impactAdminOperations()...)
	ops = append(ops, sandboxOperations()...)
	ops = append(ops, jobOperations()...)
	return ops
}

// faultAnswer is what an injected fault rule makes an endpoint answer
// instead.
var faultAnswer = answer{Status: defaultStatus, Description: "an injected fault's answer: the status, body and delay its rule says (POST /_admin/ocean/faults)"}

func oceanOperations() []operation {
	var params []param
	for _, p := range mockocean.Params() {
		for _, name := range strings.Split(p.Name, ", ") {
			d := p.Meaning + " (required: " + p.Required + ")"
			params = append(params, query(name, d, map[string]any{"type": "string", "examples": []string{p.Example}}))
		}
	}
	form := map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}
	activate := []answer{
		{Status: http.StatusOK, Description: "the platform's answer: code 0 accepted, another code refused (GET /_admin/ocean/catalog lists them); HTTP 200 either way", Type: mockocean.Answer{}},
		faultAnswer,
	}
	return []operation{
		{Method: http.MethodGet, Path: mockocean.ActivatePath, Tag: "ocean", ID: "activateGet", Summary: "report a conversion (callback API, query parameters)",
			Description: "The conversion callback API as the platform documents it: the click's callback, the event type and the device information in the query.",
			Params:      params, Answers: activate, Open: true},
		{Method: http.MethodPost, Path: mockocean.ActivatePath, Tag: "ocean", ID: "activatePost", Summary: "report a conversion (callback API, form or JSON body)",
			Description: "The same parameters as the GET, in an application/x-www-form-urlencoded or JSON body (numbers may be JSON numbers).",
			BodySchema:  form, BodyContent: "application/x-www-form-urlencoded", Answers: activate, Open: true},
		{Method: http.MethodPost, Path: mockocean.V2Path, Tag: "ocean", ID: "conversionV2", Summary: "report a conversion (the v2 conversion API)",
			Description: "The newer gateway: a JSON body with event_type (a name), context.ad.callback, context.device, timestamp (ms) and properties. " +
				"An x-signature header is checked when the sandbox or the namespace has an app secret.",
			Params: []param{
				header("x-signature", "hex(sha256(body + app secret)), lower-case: checked when the sandbox (serve --ocean-app-secret) or the namespace has an app secret"),
				header("x-rs256-token", "instead of x-signature: credential=primary|backup&timestamp=SECONDS&signature=BASE64; its form is checked, not the signature (a warning says so)"),
				header("App-Access-Token", "the app's access token, as the SDK sends it: not checked"),
				header("X-Debug-Mode", "1: validated and journaled, but neither uses up nor meets an outer_event_id"),
			},
			BodySchema: v2Body(), Answers: []answer{
				{Status: http.StatusOK, Description: "the v2 answer: code 0 accepted, another code refused (GET /_admin/ocean/catalog lists them)", Type: mockocean.V2Answer{}},
				faultAnswer,
			}, Open: true},
	}
}

// v2Body is the schema of the v2 request body, from mockocean.V2Fields.
func v2Body() map[string]any {
	root := map[string]any{"type": "object", "properties": map[string]any{}, "required": []string{"event_type"}}
	for _, f := range mockocean.V2Fields() {
		keys := strings.Split(f.Path, ".")
		parent := root
		for _, k := range keys[:len(keys)-1] {
			parent = parent["properties"].(map[string]any)[k].(map[string]any)
		}
		s := map[string]any{"type": f.Kind, "description": f.English}
		switch f.Kind {
		case "object":
			s["properties"] = map[string]any{}
		case "array":
			s["items"] = map[string]any{"type": "integer"}
		}
		parent["properties"].(map[string]any)[keys[len(keys)-1]] = s
	}
	props := root["properties"].(map[string]any)
	if p, ok := props["properties"].(map[string]any); ok {
		delete(p, "properties")
		p["additionalProperties"] = true // the advertiser's keys
	}
	return root
}

func oceanAdminOperations() []operation {
	const p = mockocean.AdminPrefix
	journal := []param{
		query("code", "only requests answered with this code", integer),
		query("event_type", "only this event type: a number (/track/activate/) or a v2 event name", str),
		query("api", "only one API's requests", enum(mockocean.APITrack, mockocean.APIV2)),
		query("fault", "only requests a fault rule answered, by its id", str),
		query("warned", "only requests accepted with a warning (true), or without (false)", boolean),
		query("limit", "the newest N (0: all)", map[string]any{"type": "integer", "minimum": 0}),
		query("since", "only requests after this seq (a cursor: the seq of the last request read)", map[string]any{"type": "integer", "minimum": 0}),
		harFormat,
	}
	return []operation{
		{Method: http.MethodGet, Path: p + "/requests", Tag: "ocean-admin", ID: "oceanRequests", Summary: "the journal of received requests, oldest first",
			Params: journal, Answers: []answer{
				{Status: 200, Type: map[string]any{"count": integer, "stats": mockocean.JournalStats{}, "requests": []mockocean.Request{}}, Also: harAnswer()},
				badRequest, unavailable}},
		{Method: http.MethodDelete, Path: p + "/requests", Tag: "ocean-admin", ID: "clearOceanRequests", Summary: "forget the journal",
			Answers: []answer{noContent, unavailable}},
		{Method: http.MethodGet, Path: p + "/conversions", Tag: "ocean-admin", ID: "oceanConversions", Summary: "the conversions accepted, decoded",
			Answers: []answer{{Status: 200, Type: map[string]any{"conversions": []mockocean.Conversion{}}}, unavailable}},
		{Method: http.MethodGet, Path: p + "/faults", Tag: "ocean-admin", ID: "oceanFaults", Summary: "the fault rules in force",
			Answers: []answer{{Status: 200, Type: map[string]any{"faults": []mockocean.Fault{}}}, unavailable}},
		{Method: http.MethodPost, Path: p + "/faults", Tag: "ocean-admin", ID: "addOceanFault", Summary: "inject a fault rule",
			Body: mockocean.Fault{}, Answers: []answer{{Status: 201, Description: "the rule as stored, with its id", Type: mockocean.Fault{}}, badRequest, conflict, unavailable}},
		{Method: http.MethodDelete, Path: p + "/faults", Tag: "ocean-admin", ID: "clearOceanFaults", Summary: "remove every fault rule",
			Answers: []answer{noContent, unavailable}},
		{Method: http.MethodDelete, Path: p + "/faults/{id}", Tag: "ocean-admin", ID: "removeOceanFault", Summary: "remove one fault rule",
			Params: []param{path("id", "the rule's id")}, Answers: []answer{noContent, notFound, unavailable}},
		{Method: http.MethodGet, Path: p + "/dedup", Tag: "ocean-admin", ID: "oceanDedup", Summary: "the duplicate filter's counts",
			Answers: []answer{{Status: 200, Type: mockocean.DedupStats{}}, unavailable}},
		{Method: http.MethodDelete, Path: p + "/dedup", Tag: "ocean-admin", ID: "clearOceanDedup", Summary: "forget every remembered outer_event_id",
			Answers: []answer{noContent, unavailable}},
		{Method: http.MethodPost, Path: p + "/clicks", Tag: "ocean-admin", ID: "sendOceanClicks", Summary: "send clicks to an advertiser's monitoring link",
			Body: mockocean.ClickOptions{}, BodyRequired: []string{"monitor_url"}, Answers: []answer{
				{Status: 200, Type: map[string]any{"report": mockocean.ClickReport{}, "summary": str, "error": optional{str}}}, badRequest}},
		{Method: http.MethodGet, Path: p + "/clicks", Tag: "ocean-admin", ID: "oceanClicks", Summary: "the clicks sent",
			Answers: []answer{{Status: 200, Type: map[string]any{"clicks": []mockocean.SentClick{}}}}},
		{Method: http.MethodGet, Path: p + "/monitor-macros", Tag: "ocean-admin", ID: "oceanMonitorMacros", Summary: "the monitoring-link macros",
			Answers: []answer{{Status: 200, Type: map[string]any{"macros": []mockocean.MonitorMacro{}}}}},
		{Method: http.MethodGet, Path: p + "/report", Tag: "ocean-admin", ID: "oceanReport", Summary: "the traffic report: findings about what an uploader sent",
			Params: []param{
				query("format", "json (default), text, html or junit", enum("json", "text", "html", "junit")),
				query("fail_on", "junit: the severity from which a rule's testcase fails (default error)", enum("error", "warning", "info", "never")),
				query("since", "only requests received at or after this time (RFC 3339)", dateTime),
				query("until", "only requests received before this time (RFC 3339)", dateTime),
			},
			Answers: []answer{{Status: 200, Description: "the report, in the format asked for", Type: mockocean.TrafficReport{},
				Also: map[string]map[string]any{"text/plain": str, "text/html": str, "application/xml": map[string]any{"type": "string", "description": "JUnit XML: one testcase per rule"}}},
				badRequest, unavailable}},
		{Method: http.MethodGet, Path: p + "/catalog", Tag: "ocean-admin", ID: "oceanCatalog", Summary: "the answer catalog, event types and parameters of /track/activate/",
			Answers: []answer{{Status: 200, Type: map[string]any{"catalog": []mockocean.Rule{}, "event_types": []mockocean.EventType{}, "params": []mockocean.Param{}}}}},
	}
}

func impactAdminOperations() []operation {
	const p = mockimpact.AdminPrefix
	event := path("event", "an impact event name (GET /_admin/impact/events lists them)")
	id := path("id", "a delivery's id")
	payload := map[string]any{"type": "object", "description": "the event's fields, as impact.com sends them (GET /_admin/impact/events lists each event's)", "additionalProperties": true}
	return []operation{
		{Method: http.MethodPut, Path: p + "/postbacks/{event}", Tag: "impact-admin", ID: "configurePostback", Summary: "configure the postback of an event",
			Params: []param{event}, Body: mockimpact.Postback{}, BodyRequired: []string{"url"}, Answers: []answer{{Status: 200, Description: "the configuration as stored", Type: mockimpact.Postback{}}, badRequest, unavailable}},
		{Method: http.MethodDelete, Path: p + "/postbacks/{event}", Tag: "impact-admin", ID: "deletePostback", Summary: "remove the postback of an event",
			Params: []param{event}, Answers: []answer{noContent, notFound, unavailable}},
		{Method: http.MethodGet, Path: p + "/postbacks", Tag: "impact-admin", ID: "postbacks", Summary: "the postbacks configured",
			Answers: []answer{{Status: 200, Type: map[string]any{"postbacks": []mockimpact.Postback{}}}, unavailable}},
		{Method: http.MethodPost, Path: p + "/events/{event}", Tag: "impact-admin", ID: "fireEvent", Summary: "fire an event: generated, or with the fields given",
			Description: "Fires one event (or count of them) through its configured postback. The body, when given, sets fields of the generated event.",
			Params: []param{event,
				query("seed", "generate from this seed (the same seed, the same event); default: the next", integer),
				query("status", "the event's status (GET /_admin/impact/events lists each event's)", str),
				query("count", "fire this many, from seed, seed+1, …", map[string]any{"type": "integer", "minimum": 1, "maximum": mockimpact.MaxFireCount}),
			},
			BodySchema: payload, BodyOptional: true,
			Answers: []answer{
				{Status: 202, Description: "fired: one delivery (without count) or count of them", Schema: map[string]any{"oneOf": []any{
					mustObject(map[string]any{"delivery_id": str, "event": str, "seed": integer, "payload": schema(payload)}),
					mustObject(map[string]any{"delivery_ids": schema{"type": "array", "items": str}, "event": str, "seed": integer, "count": integer}),
				}}},
				badRequest, notFound, errorAnswer(http.StatusRequestEntityTooLarge, "the body is over the limit"),
				{Status: 409, Description: "a bound on pending deliveries is reached; those of the batch already fired are named and delivered",
					Schema: mustObject(map[string]any{"error": str, "delivery_ids": optional{schema{"type": "array", "items": str}}})},
				{Status: 503, Description: "the store did not answer; those of the batch already fired are named and delivered",
					Schema: mustObject(map[string]any{"error": str, "delivery_ids": optional{schema{"type": "array", "items": str}}})},
			}},
		{Method: http.MethodGet, Path: p + "/events", Tag: "impact-admin", ID: "impactEvents", Summary: "the events, their statuses, the attempt outcomes and the retry schedule",
			Answers: []answer{{Status: 200, Type: map[string]any{"events": []fixtures.EventSpec{}, "statuses": []fixtures.StatusSpec{}, "outcomes": []mockimpact.OutcomeRule{}, "retry_schedule": []string{}}}}},
		{Method: http.MethodGet, Path: p + "/deliveries", Tag: "impact-admin", ID: "deliveries", Summary: "the deliveries and their attempts, oldest first",
			Params: []param{
				query("event", "only this event's", str),
				query("outcome", "only deliveries with this outcome", enum(deliveryOutcomes()...)),
				query("limit", "the newest N of those matching (0: all)", map[string]any{"type": "integer", "minimum": 0}),
				harFormat,
			},
			Answers: []answer{{Status: 200, Type: map[string]any{"count": integer, "stats": mockimpact.Stats{}, "deliveries": []mockimpact.Delivery{}}, Also: harAnswer()}, badRequest, unavailable}},
		{Method: http.MethodDelete, Path: p + "/deliveries", Tag: "impact-admin", ID: "clearDeliveries", Summary: "forget the ended deliveries (pending ones stay)",
			Answers: []answer{noContent, unavailable}},
		{Method: http.MethodGet, Path: p + "/deliveries/{id}", Tag: "impact-admin", ID: "delivery", Summary: "one delivery with every attempt",
			Params: []param{id, harFormat}, Answers: []answer{{Status: 200, Type: mockimpact.Delivery{}, Also: harAnswer()}, badRequest, notFound, unavailable}},
		{Method: http.MethodPost, Path: p + "/deliveries/{id}/retry", Tag: "impact-admin", ID: "retryDelivery", Summary: "make the next attempt of a pending delivery now",
			Params: []param{id}, Answers: []answer{{Status: 202, Type: map[string]any{"delivery_id": str, "due": dateTime}}, notFound, conflict, unavailable}},
		{Method: http.MethodPost, Path: p + "/deliveries/{id}/replay", Tag: "impact-admin", ID: "replayDelivery", Summary: "send an ended delivery's request again, as a new delivery",
			Params: []param{id}, Answers: []answer{{Status: 202, Type: map[string]any{"delivery_id": str, "replay_of": str}}, notFound, conflict, unavailable}},
	}
}

// deliveryOutcomes are the outcomes a delivery can have.
func deliveryOutcomes() []string {
	var out []string
	for _, o := range mockimpact.DeliveryOutcomes() {
		out = append(out, string(o.Outcome))
	}
	return out
}

func sandboxOperations() []operation {
	ns := path("name", "the namespace's name")
	health := mustObject(map[string]any{"status": str})
	return []operation{
		{Method: http.MethodGet, Path: sandbox.NamespacesPath, Tag: "sandbox", ID: "namespaces", Root: true, Summary: "the namespaces",
			Answers: []answer{{Status: 200, Type: map[string]any{"count": integer, "namespaces": []sandbox.NamespaceInfo{}}}, unavailable}},
		{Method: http.MethodPost, Path: sandbox.NamespacesPath, Tag: "sandbox", ID: "createNamespace", Root: true, Summary: "create a namespace: its own journals, faults, postbacks and token",
			Body: sandbox.NamespaceSpec{}, BodyRequired: []string{"name"}, Answers: []answer{{Status: 201, Type: sandbox.NamespaceInfo{}}, badRequest, conflict, unavailable}},
		{Method: http.MethodGet, Path: sandbox.NamespacesPath + "/{name}", Tag: "sandbox", ID: "namespace", Root: true, Summary: "one namespace",
			Params: []param{ns}, Answers: []answer{{Status: 200, Type: sandbox.NamespaceInfo{}}, badRequest, notFound, unavailable}},
		{Method: http.MethodDelete, Path: sandbox.NamespacesPath + "/{name}", Tag: "sandbox", ID: "deleteNamespace", Root: true, Summary: "remove a namespace and everything it holds",
			Params: []param{ns}, Answers: []answer{noContent, badRequest, notFound, unavailable}},
		{Method: http.MethodGet, Path: "/_admin/stream", Tag: "sandbox", ID: "stream", Summary: "the live stream of requests received and attempts made (server-sent events)",
			Description: "One `ocean` event per journaled request (data: the request as GET /_admin/ocean/requests lists it) and one `impact` event per attempt (data: the attempt), " +
				"each with the cursor after it as its id. It starts after Last-Event-ID (or ?since=), else at the present.",
			Params: []param{query("since", "start after this cursor, OCEAN.IMPACT (0.0: the start)", map[string]any{"type": "string", "pattern": `^\d+\.\d+$`}),
				header("Last-Event-ID", "resume after this cursor (what an EventSource sends on reconnecting); it wins over since")},
			Answers: []answer{{Status: 200, Description: "the stream, until the client goes", Content: "text/event-stream", Schema: str}, badRequest, unavailable}},
		{Method: http.MethodGet, Path: api.Path, Tag: "sandbox", ID: "openapi", Root: true, Summary: "this description", Open: true,
			Answers: []answer{{Status: 200, Description: "the OpenAPI 3.1 document", Schema: map[string]any{"type": "object"}}}},
		{Method: http.MethodGet, Path: "/healthz", Tag: "sandbox", ID: "health", Root: true, Summary: "the process is up", Open: true,
			Answers: []answer{{Status: 200, Schema: health}}},
		{Method: http.MethodGet, Path: "/readyz", Tag: "sandbox", ID: "ready", Root: true, Summary: "the sandbox can answer: its store (Redis) too", Open: true,
			Answers: []answer{{Status: 200, Schema: health},
				{Status: 503, Description: "the store does not answer", Schema: mustObject(map[string]any{"status": str, "error": str}), Headers: map[string]string{"Retry-After": "seconds"}}}},
		{Method: http.MethodGet, Path: "/metrics", Tag: "sandbox", ID: "metrics", Root: true, Summary: "Prometheus metrics",
			Description: "Served to loopback Host names. Open unless the sandbox has a metrics token (serve --metrics-token): then it needs that token, or the admin token.",
			Security:    []any{map[string]any{}, map[string]any{"metricsToken": []string{}}},
			Answers:     []answer{{Status: 200, Content: "text/plain", Schema: str}}},
	}
}

func jobOperations() []operation {
	id := path("id", "the job's id, from a job_completed event")
	return []operation{
		{Method: http.MethodGet, Path: mockimpact.JobsPrefix + "jobs/{id}", Tag: "impact-jobs", ID: "job", Summary: "a fired job_completed event's job", Open: true,
			Params: []param{id}, Answers: []answer{{Status: 200, Schema: map[string]any{"type": "object"}}, notFound}},
		{Method: http.MethodGet, Path: mockimpact.JobsPrefix + "jobs/{id}/result", Tag: "impact-jobs", ID: "jobResult", Summary: "the job's result (CSV)", Open: true,
			Params: []param{id}, Answers: []answer{{Status: 200, Content: "text/csv", Schema: str}, notFound,
				errorAnswer(http.StatusTooManyRequests, "two downloads of this namespace are under way (Retry-After)")}},
		{Method: http.MethodGet, Path: mockimpact.JobsPrefix + "file", Tag: "impact-jobs", ID: "jobFile", Summary: "a download link of a job's result: the CSV until it expires", Open: true,
			Params: []param{
				{Name: "token", In: "query", Description: "the link's token", Schema: str, Required: true},
				{Name: "exp", In: "query", Description: "the link's lifetime: 5min, 15min, 30min or 60min", Schema: str, Required: true},
			},
			Answers: []answer{{Status: 200, Content: "text/csv", Schema: str}, notFound, errorAnswer(http.StatusGone, "the link expired"),
				errorAnswer(http.StatusTooManyRequests, "two downloads of this namespace are under way (Retry-After)")}},
	}
}

// mustObject is object for members that hold no Go type to reflect.
func mustObject(members map[string]any) schema {
	b := &builder{schemas: map[string]any{}}
	s, err := b.object(members)
	if err != nil {
		panic(err)
	}
	return s
}
