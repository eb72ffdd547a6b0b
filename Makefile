# postbacksim — see README.md. Every target works on a fresh clone with Go 1.26
# or newer: go.mod's toolchain line has the go command fetch the patched Go
# release it names (through the module proxy) when the local one is older.
GO        ?= go
GOTOOLCHAIN ?= auto
export GOTOOLCHAIN
BIN       := bin/postbacksim
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 15s
# FuzzParse runs longer: from seeds without the crash, it took 36 s, 3 m 44 s and 4 m 20 s
# (2 workers) to find the goccy/go-yaml nil dereference again with the guard
# removed. Its seeds now include that crash on every list key, so the
# baseline run fails at once if the guard goes; the time is for its cousins.
FUZZTIME_PARSE ?= 5m
BENCHTIME ?= 3x

IMAGE     ?= postbacksim

# Pinned analysers, fetched through the Go module proxy.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: help run test test-image build docker bench bench-quick wrk pgo fuzz mocks schema openapi docs lint staticcheck vulncheck bigfiles fmt clean

## run: serve the sandbox on 127.0.0.1:8080 with embedded defaults
run:
	$(GO) run ./cmd/postbacksim serve

## test: vet, formatting, every test with the race detector, the scenario library, and the client generated from the OpenAPI description
test: lint
	$(GO) run ./cmd/postbacksim run scenarios/
	$(GO) test -race -count=1 ./...
	cd examples/generated-client && $(GO) vet ./... && $(GO) test -count=1 ./...

## lint: go vet, gofmt, staticcheck, govulncheck, and no tracked file over 1 MB
lint: bigfiles
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(MAKE) --no-print-directory staticcheck vulncheck

## staticcheck: the pinned staticcheck release
staticcheck:
	$(GO) run $(STATICCHECK) ./...

## vulncheck: govulncheck against a pinned copy of the vulnerability database
vulncheck:
	GO=$(GO) bash .ci/vulncheck.sh

## bigfiles: fail when a tracked file is over 1 MB (a build output, most likely)
bigfiles:
	@big=$$(git ls-files -z 2>/dev/null | xargs -0 -r stat -c '%s %n' 2>/dev/null | awk '$$1 > 1048576 {print "  " $$2 " (" $$1 " bytes)"}'); \
	  if [ -n "$$big" ]; then echo "tracked files over 1 MB (build outputs belong in bin/, which is ignored):"; echo "$$big"; exit 1; fi

## build: a static binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/postbacksim

## docker: the static binary, then the image (FROM scratch: nothing to pull)
docker: build
	docker build -t $(IMAGE) .

## test-image: build the image, run it with --network host, and check both emulators answer
test-image:
	bash .ci/image-test.sh

## bench: the performance figures of docs/performance.md. Per-operation
## benchmarks run for the default second, on one core where
## docs/performance.md says so; load runs
## BENCHTIME rounds; memory benchmarks one.
MICRO_BENCH := ActivateHandler|ConversionHandler|RenderActionLifecycle|RenderRequest|AddAtCapacity|Attempt|Generate|Seed|RecordBatch
LOAD_BENCH  := ShippedBinary|ShippedRedis|RedisStoreLoad|LoopbackLoad|LoopbackLatency|SandboxLoad|SandboxFaults|VirtualSchedule|LiveDispatch|RateLimitAccuracy
MEM_BENCH   := ShippedMemory|ShippedMemoryNamespaces|ShippedIdleNamespaces|ShippedDispatch|JournalMemory|JournalByteBudget|DedupMemory
bench: wrk
	$(GO) test -run '^$$' -bench '^Benchmark($(MICRO_BENCH))$$' -benchmem -cpu 1 ./...
	$(GO) test -run '^$$' -bench '^Benchmark($(LOAD_BENCH))$$' -benchtime $(BENCHTIME) ./...
	$(GO) test -run '^$$' -bench '^Benchmark($(MEM_BENCH))$$' -benchtime 1x ./...

## bench-quick: the regression guard CI can afford (under a minute): one
## wrk round of GET and JSON POST against the bare server, failing only
## on a large drop: under 0.45x the bare server's req/s, or over 2.9x its
## CPU per request (today about 0.75x and 1.45x)
bench-quick: wrk
	WRK_DURATION=5s WRK_MIN_RATIO=0.45 WRK_MAX_CPU_RATIO=2.9 $(GO) test ./bench -run '^$$' -bench '^BenchmarkShippedBinary$$/^(GET|JSON-POST)$$' -benchtime 1x

## pgo: refresh cmd/postbacksim/default.pgo, the CPU profile every build of
## the binary is optimized with (profile-guided optimization), from the
## binary under wrk and impact load (bench/pgo.sh, about a minute)
pgo: wrk
	bash bench/pgo.sh

## wrk: the load generator of the benchmarks (Debian's package)
wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

## fuzz: a pass of every fuzz target (FUZZTIME each, FUZZTIME_PARSE for the scenario loader)
fuzz:
	$(GO) test ./mockocean -run '^$$' -fuzz '^FuzzActivate$$' -fuzztime $(FUZZTIME)
	$(GO) test ./mockocean -run '^$$' -fuzz '^FuzzJSONFastPath$$' -fuzztime $(FUZZTIME)
	$(GO) test ./mockocean -run '^$$' -fuzz '^FuzzEntryPayload$$' -fuzztime $(FUZZTIME)
	$(GO) test ./mockocean -run '^$$' -fuzz '^FuzzV2FastDecode$$' -fuzztime $(FUZZTIME)
	$(GO) test ./mockimpact/macro -run '^$$' -fuzz '^FuzzTemplate$$' -fuzztime $(FUZZTIME)
	$(GO) test ./sandbox -run '^$$' -fuzz '^FuzzNamespaceName$$' -fuzztime $(FUZZTIME)
	$(GO) test ./sandbox -run '^$$' -fuzz '^FuzzAdminBodies$$' -fuzztime $(FUZZTIME)
	$(GO) test ./scenarios -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME_PARSE)

## schema: regenerate scenarios/scenario.schema.json from the Go types
schema:
	$(GO) test ./scenarios -run SchemaInSync -update

## openapi: regenerate api/openapi.json from the code, and the example client generated from it
openapi:
	$(GO) test ./api -run OpenAPIInSync -update
	cd examples/generated-client && $(GO) generate ./...

## docs: regenerate the tables between <!-- generated:NAME --> markers in README.md and docs/*.md
docs:
	$(GO) test ./internal/docgen -run DocsInSync -update

## mocks: regenerate the mockery mocks listed in .mockery.yaml
mocks:
	$(GO) tool mockery

## help: list these targets
help:
	@awk '/^## [a-z-]+:/ {sub(/^## /, ""); print; next} /^## / {sub(/^## /, "    "); print}' $(firstword $(MAKEFILE_LIST))

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
