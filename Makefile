# furrow — see README.md. Two commands set everything up on a fresh machine:
#   make run    enrich → dedupe → shred the bundled sample with embedded defaults
#   make test   the whole test suite (unit, fuzz seeds, benchmarks once, conformance)

SHELL := /bin/bash
GO ?= go
BIN := bin/furrow
OUT ?= ./out
TOOLS ?= $(HOME)/.cache/furrow-tools
export PATH := $(TOOLS)/bin:$(PATH)
PKGS := ./...
FUZZTIME ?= 30s
BENCHCOUNT ?= 6
BENCHTIME ?= 1s

.PHONY: all build run test unit bench bench-smoke fuzz lint conformance sample clean tools

all: build

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/furrow

# make run OUT=<dir>: the main job on the bundled sample, no AWS, no config.
run: build
	@./scripts/run-sample.sh "$(BIN)" "$(OUT)"

# The suite CI users rely on: vet, unit tests (real servers where installed,
# see .ci/run), every benchmark once, and the peer conformance suite.
test: build
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 20m $(PKGS)
	$(GO) test -count=1 -run '^$$' -bench . -benchtime=1x -timeout 20m $(PKGS)
	$(MAKE) --no-print-directory conformance

unit:
	$(GO) test -count=1 -short $(PKGS)

# Benchmarks for benchstat: make bench > new.txt; benchstat old.txt new.txt
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) -benchtime $(BENCHTIME) -timeout 60m $(PKGS)

# Runs every Fuzz target for FUZZTIME each (go test -fuzz takes one target at a time).
fuzz:
	@./scripts/fuzz-all.sh "$(FUZZTIME)"

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet $(PKGS)
	@command -v staticcheck >/dev/null || bash .ci/install-staticcheck.sh
	staticcheck $(PKGS)
	@command -v shellcheck >/dev/null || bash .ci/install-shellcheck.sh
	shellcheck bootstrap/install-furrow.sh scripts/*.sh .ci/run .ci/install-*.sh

# The peer's own test suite (../shared/conformance), through the real
# `furrow enrich` / `furrow shred` code path; prints one summary line.
conformance: build
	$(GO) run ./internal/conformance/cmd/conformance -furrow $(BIN) -shared ../shared

sample:
	$(GO) run testdata/generate.go

clean:
	rm -rf bin out
