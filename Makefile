# Spoke: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
SPOKE := target/debug/spoke

.PHONY: help build run test lint openapi clean

help:
	@echo "make run      build, load the demo agency into ./spoke.db and serve on http://127.0.0.1:8080"
	@echo "make test     formatting, clippy, the OpenAPI drift check and every test on SQLite and PostgreSQL"
	@echo "make openapi  regenerate openapi/openapi.json from the code"
	@echo "make lint     formatting and clippy only"

build:
	$(CARGO) build -p spoke-api --bin spoke

run: build
	$(SPOKE) seed-demo
	$(SPOKE) serve

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The OpenAPI drift check is the `the_committed_contract_is_the_generated_one`
# test; scripts/with-postgres.sh starts a private PostgreSQL for the suite.
test: lint
	scripts/with-postgres.sh scripts/run-tests.sh

openapi:
	$(CARGO) run -q -p spoke-api --bin spoke -- openapi > openapi/openapi.json.tmp
	mv openapi/openapi.json.tmp openapi/openapi.json

clean:
	$(CARGO) clean
	rm -f spoke.db spoke.db-wal spoke.db-shm spoke.db.jwt-secret
