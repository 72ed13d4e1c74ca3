# ollama-grpc-gateway — every target installs what it needs first.
#   make demo   stream a chat through the gateway and two simulated Ollama backends
#   make test   type-check, check gen/ is fresh, run every test (incl. the Python client)
#   make bench  relay benchmark, quick (< 3 min): gateway vs direct HTTP, nice-grpc ceiling, nginx

SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_STAMP := node_modules/.deps-stamp
BUF := ./node_modules/.bin/buf
# Debian packages the tests use: the Python gRPC client, and protoc + grpc_python_plugin
# to generate it from proto/ (protoc >= 3.15 is needed for proto3 `optional`); redis-server
# (shared quotas), openssl (test certificates), tini (the container entrypoint, run without Docker).
APT_PACKAGES := python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc redis-server openssl tini
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# Debian packages only the relay benchmark uses: nginx, the pass-through peer (its rows say
# "not available" when it cannot be installed), util-linux for taskset.
BENCH_APT_PACKAGES := nginx util-linux

.PHONY: help deps deps-node deps-apt deps-bench gen gen-check breaking build typecheck test demo run sim bench bench-full bench-scheduling bench-quick bench-quotas bench-http clean

help:
	@echo "make demo | test | deps | gen | gen-check | breaking | build | typecheck | run | sim | bench | bench-full | bench-scheduling | bench-quick | bench-quotas | bench-http | clean"

deps: deps-node deps-apt

deps-node: $(NPM_STAMP)

# npm ci only when package.json or the lockfile changed since the last install.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps-apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# Best effort: a failed install leaves the nginx rows "not available", it does not stop the benchmark.
deps-bench:
	@missing=$$(for p in $(BENCH_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages for the benchmark:" $$missing; \
	  ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null) \
	    || echo "could not install $$missing: the benchmark runs without it"; \
	fi

# The only writer of gen/: lint, generate TypeScript, write the descriptor set for reflection.
gen: deps-node
	$(BUF) lint
	$(BUF) generate
	$(BUF) build -o gen/descriptor.binpb

# Fails when gen/ differs from what `make gen` would write (CI runs this).
gen-check: deps-node
	@$(BUF) lint
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(BUF) generate --output "$$tmp" && $(BUF) build -o "$$tmp/gen/descriptor.binpb" && \
	if diff -r gen "$$tmp/gen" >/dev/null; then echo "gen/ is up to date"; \
	else diff -r gen "$$tmp/gen" | head -20; echo "gen/ is stale: run 'make gen' and commit the result"; exit 1; fi

# Wire compatibility of proto/ against main (FILE level).
breaking: deps-node
	$(BUF) breaking --against '.git#branch=main'

build: deps-node
	./node_modules/.bin/tsc -p tsconfig.build.json

typecheck: deps-node
	./node_modules/.bin/tsc -p .

test: deps typecheck gen-check build
	@rm -f .vitest-results.json
	@status=0; ./node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=.vitest-results.json || status=$$?; \
	node scripts/test-summary.mjs .vitest-results.json; exit $$status

demo: deps-node build
	@node bin/ollama-grpc.js demo

run: deps-node build
	node bin/ollama-grpc.js serve $(ARGS)

sim: deps-node build
	node bin/ollama-grpc.js sim $(ARGS)

# Relay benchmark (bench/relay/): the gateway on core 0 against direct HTTP, a raw nice-grpc server
# and nginx, measured side by side in one run; report in bench/results/relay-*.{md,json,png}.
# Quick: every scenario once (< 3 min). Full: the whole matrix, 3 repetitions (~29 min).
# ARGS passes options, e.g. ARGS="--only saturation --strict". The fd soft limit goes to the hard
# limit (10k open streams need 10k sockets in one process).
bench: deps-node deps-bench build
	ulimit -Sn "$$(ulimit -Hn)"; node --import tsx bench/relay/main.ts $(ARGS)

bench-full: deps-node deps-bench build
	ulimit -Sn "$$(ulimit -Hn)"; node --import tsx bench/relay/main.ts --full $(ARGS)

# Scheduling benchmark: 8 simulated nodes, round_robin vs least_request vs ollama (~2.5 min; RUNS=3 for medians).
bench-scheduling: deps-node build
	node --import tsx bench/scheduling.ts $(if $(RUNS),--runs $(RUNS),)

# Smoke measurement of the bridge: TTFT overhead, relay cost, cancel latency.
bench-quick: deps-node build
	node --import tsx bench/quick.ts

# What quota metering costs per token: none vs memory store vs Redis store.
bench-quotas: deps build
	node --import tsx bench/quotas.ts

# HTTP doors benchmark (~2 min): gateway CPU per token, gRPC Chat vs the Ollama door (NDJSON) vs the
# OpenAI door (SSE), and direct to the backend, at 1 / 10 / 100 streams; bench/results/http-doors-*.{md,json}.
bench-http: deps-node build
	node --import tsx bench/http-doors.ts $(ARGS)

clean:
	rm -rf dist .vitest-results.json node_modules/.deps-stamp
