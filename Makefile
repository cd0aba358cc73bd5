# PySEB: the two commands a fresh machine needs are `make demo` and `make test`; each sets itself up.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP_RUN := $(VENV)/.run-deps
STAMP_DEV := $(VENV)/.dev-deps

.PHONY: demo test lint bench run check mosquitto clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP_RUN): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(STAMP_DEV): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(STAMP_RUN)

# Debian's mosquitto (broker) and mosquitto-clients, installed only when missing and when we may.
mosquitto:
	@bash scripts/ensure-mosquitto.sh

## The main job: a live demo against a simulated house (no real devices needed).
demo: $(STAMP_RUN) mosquitto
	$(PY) -m simulation demo $(DEMO_ARGS)

## The daemon itself, against the broker and devices in config.ini.
run: $(STAMP_RUN)
	$(PY) regulation.py -c $(or $(CONFIG),config.ini)

check: $(STAMP_RUN)
	$(PY) regulation.py -c $(or $(CONFIG),config.ini) --check

## The test suite (a private mosquitto per test session, on a free loopback port).
test: $(STAMP_DEV) mosquitto
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP_DEV)
	$(PY) -m ruff check .
	$(PY) -m mypy .

bench: $(STAMP_RUN) mosquitto
	$(PY) bench/latency.py
	$(PY) bench/replay.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
