# Every target bootstraps what it needs: a fresh clone runs `make demo` and `make test` as is.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
# jsii (under aws-cdk-lib) warns about the Node.js version on every import; harmless here.
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: demo test lint format scan synth deploy bench clean

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	$(PY) -m demo

test: $(STAMP) lint
	$(PY) -m pytest

# The CLI with your own credentials, e.g. make scan ARGS="--region eu-west-1 --json"
scan: $(STAMP)
	PYTHONPATH=lambda $(PY) -m subnet_monitor scan $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .ruff_cache .hypothesis
