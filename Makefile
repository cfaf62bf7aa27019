# weir — common tasks. `make help` lists them.

GO            ?= go
GOLANGCI_LINT ?= github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
FUZZTIME      ?= 10s
BENCHTIME     ?= 1s

.PHONY: help test test-short lint fmt vet bench bench-checkpoint bench-kafka bench-nexmark fuzz generate demo

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

test: ## the whole test suite under the race detector (what CI runs); builds MinIO for the S3 tests on first use
	$(GO) mod download
	GO=$(GO) ./scripts/install-test-deps.sh
	$(GO) test -race -timeout 20m ./...

test-short: ## quick tests without the race detector
	$(GO) test -short ./...

lint: fmt vet ## gofmt, go vet and golangci-lint (installed on first use)
	$(GO) run $(GOLANGCI_LINT) run ./...

fmt: ## fail if any file needs gofmt
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet ./...

bench: ## record-path, state, codec and connector benchmarks (see docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -skip 'BenchmarkCheckpoint' -benchmem -benchtime $(BENCHTIME) ./stream/... ./state/... ./window/... ./keygroup/... ./codec/... ./connector/filesink/...

bench-checkpoint: ## checkpoint, recovery and checkpointing-cost benchmarks at 1M and 10M keys (several minutes, ~5 GB of RAM)
	$(GO) test -run '^$$' -bench BenchmarkCheckpointSnapshot -benchmem -count 3 ./stream/
	$(GO) test -run '^$$' -bench BenchmarkCheckpointJob -benchtime 1x -count 3 -timeout 90m ./stream/
	$(GO) test -run '^$$' -bench BenchmarkCheckpointRestore -benchtime 5x -count 3 -timeout 90m ./stream/
	$(GO) test -run '^$$' -bench BenchmarkCheckpointThroughput -benchtime 100000000x -count 3 -timeout 90m ./stream/

bench-kafka: ## Kafka source and sink against a bare franz-go loop on one kfake cluster (records/s, MB/s), 5 runs each
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./connector/kafka/...

bench-nexmark: ## every Nexmark query on weir and as its baseline; writes the table into docs/benchmarks.md
	$(GO) run ./benchmarks/nexmark/report

fuzz: ## run every fuzz test for FUZZTIME each
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

generate: ## regenerate generated code (none is checked in yet)
	$(GO) generate ./...

demo: ## run the demo job on embedded defaults
	$(GO) run ./examples/demo
