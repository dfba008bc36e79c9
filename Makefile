# Partner Hub. The two set-up commands are `make run` and `make test`; both install
# what is missing into .tools/ (git-ignored) first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
# The functions, as template.yaml names their binaries.
FUNCTIONS := $(shell sed -n "s/^ *Binary: *//p" template.yaml)
PORT ?= 3000

.PHONY: help tools run test fuzz build lint bench deploy console seed-usage $(addprefix invoke-,$(FUNCTIONS))

help:
	@echo "make run     serve the whole API on http://localhost:$(PORT) (DynamoDB Local + moto)"
	@echo "make test    the whole test suite, starting what it needs itself"
	@echo "make fuzz    the API fuzzer alone (schemathesis; FUZZ_URL=http://localhost:$(PORT) for make run's)"
	@echo "make build   cargo lambda build --release --arm64 (every function)"
	@echo "make lint    cargo clippy --all-targets -- -D warnings"
	@echo "make bench   benchmarks, written to BENCHMARKS.md"
	@echo "make seed-usage [CUSTOMERS=5 DAYS=90 USERS=20]  realistic usage into a running make run"
	@echo "make deploy  console + sam build + sam deploy (--guided the first time) + console upload"
	@echo "make console build console/dist and type-check it"
	@echo "make invoke-<fn>  run one function against its sample in events/ (needs make run's stack)"

tools:
	@scripts/install-tools.sh

run: tools
	@PORT=$(PORT) scripts/run.sh

test: tools
	@scripts/test.sh

# schemathesis against openapi.yaml (make test runs it too): its own DynamoDB Local and
# moto on :8130/:5130 and gateway, or the API at FUZZ_URL. FUZZ_SEED, FUZZ_MAX_EXAMPLES.
fuzz: tools
	@scripts/fuzz.sh

lint:
	cargo clippy --workspace --all-targets -- -D warnings

build: tools
	@scripts/build.sh

bench: tools
	@scripts/bench.sh

CUSTOMERS ?= 5
DAYS ?= 90
USERS ?= 20
seed-usage:
	cargo run -q -p partner-hub-tests --bin seed-usage -- --customers $(CUSTOMERS) --days $(DAYS) --users $(USERS) --base http://localhost:$(PORT)

# scripts/deploy.sh: the console and every function built (sam build's rust-cargolambda
# method runs cargo-lambda and Zig from .tools/venv), deployed with the SAM CLI from
# .tools/sam-venv, the console uploaded to its bucket. `make build` first makes sure the
# arm64 Rust target is there.
deploy: build
	@scripts/deploy.sh

# The console alone: console/dist (npm ci once per lockfile, then esbuild), type-checked.
console:
	@scripts/console.sh build && scripts/console.sh typecheck

$(addprefix invoke-,$(FUNCTIONS)): invoke-%:
	@export DYNAMODB_PORT=8000 MOTO_PORT=5000 TABLE_NAME=partner-hub EVENT_BUS_NAME=partner-hub S3_FORCE_PATH_STYLE=true; \
	  . scripts/aws-env.sh; cargo build -q -p $* && cargo run -q -p local-gateway --bin invoke -- $* events/$*.json
