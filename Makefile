# The commands the README shows. `make up` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := 1
# cdk.json runs `python3 app.py`: make it the project's interpreter.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install up keys synth deploy lint test browser test-unit test-infra test-integration test-e2e test-localstack bench-identity clean

install: $(STAMP) node_modules/.installed

$(STAMP): requirements.txt requirements-dev.txt requirements-bench.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -r requirements-bench.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Run Ventanilla locally (embedded emulator, sample data) at http://127.0.0.1:3000 until Ctrl-C.
up: install
	$(BIN)/ventanilla up

## Print the local per-channel API keys (CHANNEL=KEY).
keys:
	@$(BIN)/ventanilla keys

synth: install
	npx cdk synth --quiet

## Deploy to the AWS account in your credentials (run `npx cdk bootstrap` once per account/region).
deploy: install
	npx cdk deploy --all

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app.py infra shared functions ventanilla_local benchmarks

## The whole suite: lint, unit, infra, integration, end-to-end and browser tests. `-rP` prints what the trust
## tests tried (routes x credentials, fuzz cases, faults injected, touchpoints in vs stored: docs/trust.md).
test: lint browser
	$(BIN)/pytest -m "unit or infra or integration or e2e" -rP

## The Debian chromium the console's browser tests drive (Playwright's own browser download needs the internet).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

test-unit: install
	$(BIN)/pytest -m unit

test-infra: install
	$(BIN)/pytest -m infra

test-integration: install
	$(BIN)/pytest -m integration

test-e2e: install browser
	$(BIN)/pytest -m e2e

## Integration and e2e tests against LocalStack (needs a Docker engine; not available on CI here).
test-localstack: install
	$(BIN)/python -m pip install --quiet -r requirements-localstack.txt
	$(BIN)/pytest -p tests.localstack_plugin -m "integration or e2e"

## Identity accuracy and scale benchmarks (FEBRL + synthetic population): prints a report, writes benchmarks/results/.
bench-identity: install
	npx cdk synth --quiet
	$(BIN)/python -m benchmarks.identity report

## Benchmark suite (ingest overhead, end to end, cold start, scale, money), each figure beside its baseline:
## prints one report, writes benchmarks/results/bench.{json,md}. About 10 minutes on 2 cores.
.PHONY: bench
bench: install
	npx cdk synth --quiet
	$(BIN)/python -m benchmarks.suite

clean:
	rm -rf cdk.out .cache .ventanilla .pytest_cache .mypy_cache .ruff_cache
