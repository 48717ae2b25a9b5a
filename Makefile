# Every target bootstraps what it needs: a fresh clone runs `make demo` and `make test` as is.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
# jsii (under aws-cdk-lib) warns about the Node.js version on every import; harmless here.
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
# Node 20 is past its end of life for jsii, which says so in a banner on every import (same cause).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# mkdocs-material prints a banner about MkDocs 2 on every build; nothing to act on here.
export NO_MKDOCS_2_WARNING := 1
# The CDK CLI, pinned in package.json / package-lock.json and run from node_modules by npx.
NODE_STAMP := node_modules/.installed-$(shell cat package.json package-lock.json | cksum | cut -d' ' -f1)
CDK := npx --no-install cdk

.PHONY: demo test lint format scan synth deploy bench cost docs docs-serve clean

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	$(PY) -m demo

# The docs site is built strictly into a throwaway directory, so a broken link or nav entry fails CI.
test: $(STAMP) lint
	tmp=$$(mktemp -d) && $(PY) -m mkdocs build --strict --quiet --site-dir "$$tmp"; rc=$$?; rm -rf "$$tmp"; exit $$rc
	$(PY) -m pytest

# The CLI with your own credentials, e.g. make scan ARGS="--region eu-west-1 --json"
scan: $(STAMP)
	PYTHONPATH=lambda $(PY) -m subnet_monitor scan $(ARGS)

# One full scan of 100, 1,000 and 10,000 subnets on a moto server, and the naive approach beside it, then
# check --plan on generated plans of 1,000, 5,000 and 20,000 subnets (a few minutes); figures printed and
# written to bench/results.json. E.g. make bench ARGS="--sizes 100,1000"; the plan part alone (seconds):
# make bench ARGS=--plan-only
bench: $(STAMP)
	$(PY) -m bench.run $(ARGS)

# The monthly list-price cost per metrics setting (lean, default, detailed) at 100, 1,000 and 10,000 subnets,
# from a measured scan of a 200-subnet estate (moto, in process) and the synthesized stack (about a minute);
# tables printed and written to bench/cost.json. E.g. make cost ARGS="--sizes 500,5000 --markdown"
cost: $(STAMP)
	$(PY) -m bench.cost $(ARGS)

# The docs site (mkdocs.yml, docs/) into site/; docs-serve serves it on http://127.0.0.1:8000 and rebuilds on save.
docs: $(STAMP)
	$(PY) -m mkdocs build --strict

docs-serve: $(STAMP)
	$(PY) -m mkdocs serve

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	PYTHONPATH=lambda:. $(VENV)/bin/lint-imports --no-cache

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	rm -f node_modules/.installed-* && touch $@

# Templates into cdk.out/ with the real CDK CLI; no AWS credentials needed (cdk-nag runs as part of it).
synth: $(STAMP) $(NODE_STAMP)
	$(CDK) synth --quiet
	@ls -1 cdk.out/*.template.json

# Needs credentials for the target account(s) and a one-time `npx cdk bootstrap` per account/region.
deploy: $(STAMP) $(NODE_STAMP)
	$(CDK) deploy --all $(ARGS)

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .ruff_cache .hypothesis
