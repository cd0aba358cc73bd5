# PySEB: the two commands a fresh machine needs are `make demo` and `make test`; each sets itself up.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP_RUN := $(VENV)/.run-deps
STAMP_DEV := $(VENV)/.dev-deps
# Debian 12 / Raspberry Pi OS bookworm's own versions (python3-paho-mqtt 1.6.1, python3-numpy 1.24).
VENV16 ?= .venv-paho16
PY16   := $(VENV16)/bin/python
STAMP_16 := $(VENV16)/.deps
# What runs a command as root, and what a command said for the user to copy starts with: "sudo " for a user, nothing for
# root (DietPi logs in as root and has no sudo: it was told to run "sudo systemctl enable --now pyseb", and make's own
# commands were echoed with a space first). A user without sudo is still told "sudo ": the command needs root all the
# same, and bare it would fail with "Permission denied" as if it did not.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
AS_ROOT := $(if $(SUDO),$(SUDO) )

.PHONY: help demo test test-paho16 lint docs bench run check venv mosquitto service install-service clean

# `make` alone lists the commands (it made an empty .venv before).
help:
	@echo "PySEB: make demo (a live demo against a simulated house), make test (the test suite),"
	@echo "       make check / make run (your config.ini: check it / run the daemon), make service,"
	@echo "       make install-service (systemd), make lint, make bench, make docs, make test-paho16, make clean,"
	@echo "       make venv (only this checkout's .venv with the run-time packages)"

# A virtualenv (the argument), made whole or not at all: Debian's venv without python3-venv leaves a .venv/bin/python with
# no pip, which a re-run after installing python3-venv would otherwise take for done (and fail on forever).
# Interrupted (Ctrl-C, a closed terminal, kill) while it is made or its pip installs, it is removed too, said in a line
# (venv's own stderr, a traceback then, is shown only when it fails otherwise): the shell's trap, first in the line.
venv_interrupted = trap 'rm -rf $(1) $${err:+"$$err"}; echo "make: interrupted: the half-made $(1) is removed" >&2; exit 130' INT HUP TERM;
define make_venv
@"$(PYTHON)" scripts/check-python.py
@$(call venv_interrupted,$(1)) err=$$(mktemp) || exit 2; \
"$(PYTHON)" -m venv $(1) 2>"$$err"; made=$$?; cat "$$err" >&2; rm -f "$$err"; \
[ $$made = 0 ] || { rm -rf $(1); \
  if [ ! -w . ]; then echo "make: could not make $(1): this checkout is not writable by $$(id -un) (clone it as that user, or run make as its owner)" >&2; \
  elif ! "$(PYTHON)" -c 'import ensurepip' 2>/dev/null; then echo "make: could not make $(1): on Debian or Raspberry Pi OS, '$(AS_ROOT)apt install python3-venv', then run this again" >&2; \
  else echo "make: could not make $(1) (see the error above)" >&2; fi; exit 2; }
endef

$(PY):
	$(call make_venv,$(VENV))
	@echo "$(PY) -m pip install --quiet --upgrade pip"; $(call venv_interrupted,$(VENV)) \
	$(PY) -m pip install --quiet --upgrade pip || { rm -rf $(VENV); exit 2; }

# A .venv whose python no longer finds its packages (the system's Python upgraded under it: Debian's venv links
# bin/python3 to /usr/bin/python3, and 3.11's packages are not 3.13's): its stamps are out of date, and their recipes
# find no pip in it and make it again. (Left, `make check` said to run `make check`, and the service exited 2 at every
# boot.) Found, not imported: a numpy that cannot load (piwheels' without libopenblas) is no upgrade, and importing it
# cost every make a quarter of a second.
VENV_STALE :=
ifneq ($(wildcard $(STAMP_RUN)),)
ifneq ($(shell "$(PY)" -c 'import importlib.util as u, sys; sys.exit(not (u.find_spec("numpy") and u.find_spec("paho.mqtt.client")))' >/dev/null 2>&1 && echo ok),ok)
VENV_STALE := venv-stale
endif
endif

.PHONY: venv-stale
venv-stale:
	@echo "make: $(VENV)/bin/python does not find its packages (the system's Python upgraded under it?): installing them again"

# (a .venv left without pip by an earlier make is made again; one made by `sudo make` is said, pip's own error
# was "touch: cannot touch '.venv/.run-deps': Permission denied")
define venv_usable
@[ -w $(VENV) ] || { echo "make: $(VENV) is not writable by $$(id -un) (made by sudo make?): '$(AS_ROOT)rm -rf $(VENV)', then run this again" >&2; exit 2; }
@$(PY) -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV) && $(MAKE) --no-print-directory $(PY); }
endef

$(STAMP_RUN): requirements.txt $(VENV_STALE) | $(PY)
	$(venv_usable)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(STAMP_DEV): requirements.txt requirements-dev.txt $(VENV_STALE) | $(PY)
	$(venv_usable)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(STAMP_RUN)

# (numpy 1.24 has no build for Python 3.12 and newer, and its sources need distutils, which 3.12 removed: said in a
# line, where pip's traceback ended "No module named 'distutils'")
$(STAMP_16): requirements-paho16.txt
	@v=$$("$(PYTHON)" -c 'import sys; print(sys.version.split()[0]); sys.exit(3 if sys.version_info >= (3, 12) else 0)'); \
	if [ $$? = 3 ]; then echo "make: $(VENV16) needs Python 3.10 or 3.11, not $$v: Debian 12's numpy 1.24, which it tests against, has no build for a newer one (make test-paho16 PYTHON=python3.11)" >&2; exit 2; fi
	$(call make_venv,$(VENV16))
	@echo "$(PY16) -m pip install --quiet -r requirements-paho16.txt"; $(call venv_interrupted,$(VENV16)) \
	$(PY16) -m pip install --quiet -r requirements-paho16.txt || { rm -rf $(VENV16); exit 2; }
	touch $@

# Debian's mosquitto (broker) and mosquitto-clients, installed only when missing and when we may.
mosquitto:
	@bash scripts/ensure-mosquitto.sh

## The main job: a live demo against a simulated house (no real devices needed).
demo: $(STAMP_RUN) mosquitto
	$(PY) -m simulation demo $(DEMO_ARGS)

## The daemon itself, against the broker and devices in config.ini (CONFIG=another.ini: that file).
# A config file missing is said in one line, PySEB's words, exit 2: the daemon said it, then make added its own "make:
# *** [Makefile:103: check] Error 2", the last word, read as make failing. (A failed command always gets make's line:
# $(error), expanded as the recipe is about to run, the venv made by then, is the one way out without it.)
# (the name in the command to copy quoted when it holds a space, as the daemon quotes it: `cp config.ini.sample my
# house.ini` copied nothing)
CONFIG_FILE = $(or $(CONFIG),config.ini)
no_space :=
space := $(no_space) $(no_space)
config_shown = $(if $(findstring $(space),$(CONFIG_FILE)),'$(CONFIG_FILE)',$(CONFIG_FILE))
config_found = $(if $(shell [ -f "$(CONFIG_FILE)" ] && echo found),,$(error $(CONFIG_FILE): file not found; start \
from the sample: cp config.ini.sample $(config_shown), then edit it (or make demo: a simulated house, no config needed)))

run: $(STAMP_RUN)
	$(config_found)$(PY) regulation.py -c "$(CONFIG_FILE)"

check: $(STAMP_RUN)
	$(config_found)$(PY) regulation.py -c "$(CONFIG_FILE)" --check

## This checkout's .venv with the run-time packages, nothing else (what a missing package's message names).
venv: $(STAMP_RUN)

## The test suite (a private mosquitto per test, on a free loopback port).
# Run by pytest-xdist, one worker per core (TEST_JOBS=auto; TEST_JOBS=0: all in one process, for --pdb), each picking
# its brokers' ports in a range of its own (tests/worker_ports.py). Tests marked with one xdist_group name run in one
# worker, one after the other (--dist loadgroup): for tests that cannot run beside each other.
TEST_JOBS ?= auto
XDIST = -n $(TEST_JOBS) --dist loadgroup
test: $(STAMP_DEV) mosquitto
	$(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

## The MQTT tests again, on the versions Debian 12's apt packages ship (CI runs both).
test-paho16: $(STAMP_16) mosquitto
	$(PY16) -m pytest $(XDIST) -m "mqtt or debian" $(PYTEST_ARGS)

lint: $(STAMP_DEV)
	$(PY) -m ruff check .
	$(PY) -m mypy .

## The configuration reference, generated from the option tables (a test fails when it is out of date).
# Written beside it, then renamed: a generator that fails or a Ctrl-C left the tracked page empty (the shell's `>`
# truncated it before the generator ran); the temporary file goes at any exit of the shell.
docs: $(STAMP_RUN)
	@echo "$(PY) -m settings.reference > docs/configuration.md"
	@tmp=docs/.configuration.md.tmp; trap 'rm -f "$$tmp"' EXIT; trap 'exit 130' INT HUP TERM; \
	$(PY) -m settings.reference > "$$tmp" && mv "$$tmp" docs/configuration.md

bench: $(STAMP_RUN) mosquitto
	$(PY) bench/latency.py
	$(PY) bench/replay.py
	$(PY) bench/control.py

## The systemd unit for this checkout: `make service` prints it, `make install-service` installs it.
# (root without sudo's SUDO_USER, `sudo su -` or a root login, takes the checkout's owner: it took root, and the
# status file and records in pi's checkout became root's; a checkout of root's, DietPi's, still gets root, warned)
SERVICE_USER ?= $(or $(SUDO_USER),$(shell [ "$$(id -u)" = 0 ] && stat -c %U "$(CURDIR)" 2>/dev/null || id -un))
service:
	@"$(PYTHON)" contrib/render_service.py --user $(SERVICE_USER) --dir "$(CURDIR)"

# (the unit is made in $TMPDIR, not in a checkout the user may not write: `sudo git clone` into /opt)
UNIT_FILE ?= /etc/systemd/system/pyseb.service
# A PySEB running already (this is an upgrade: git pull, then this again) keeps the code it started with, and
# `systemctl enable --now` leaves it so: then the restart is what runs this checkout's.
# A setting added to the installed unit by hand is lost when it is written again: each is named, with the way to keep it
# (an Environment= line by its variable: the unit's own sets PYTHONUNBUFFERED only). One the new unit sets otherwise
# (an older version's After=, a checkout moved, another --user) is said apart, with no drop-in advised: User=pi put in
# one would run PySEB as the old user.
# A daemon-reload that fails (a chroot, a container without systemd) is said, exit 1: it said "installed; start it
# with: sudo systemctl enable --now pyseb", which failed next with systemd's own words.
install-service:
	@tmp=$$(mktemp "$${TMPDIR:-/tmp}/pyseb.service.XXXXXX") || exit 2; trap 'rm -f "$$tmp"' EXIT; \
	echo "$(PYTHON) contrib/render_service.py --user $(SERVICE_USER) --dir \"$(CURDIR)\" > $$tmp"; \
	"$(PYTHON)" contrib/render_service.py --user $(SERVICE_USER) --dir "$(CURDIR)" > "$$tmp" || exit 2; \
	if [ -f "$(UNIT_FILE)" ]; then awk -F= -v unit="$(UNIT_FILE)" \
	  'function k() { return $$1 == "Environment" ? $$1 "=" $$2 : $$1 } \
	   NR == FNR { seen[$$0]; key[k()]; next } /^[[:space:]]*([#;[]|$$)/ || ($$0 in seen) { next } \
	   (k() in key) { other = other (other ? ", " : "") $$0; next } { lost = lost (lost ? ", " : "") $$0 } \
	   END { if (lost) print "make install-service: " unit " had settings the new unit has not: " lost ": to keep one, put it in a drop-in: $(AS_ROOT)systemctl edit pyseb" > "/dev/stderr"; \
	         if (other) print "make install-service: " unit " had values set otherwise by the new unit: " other " (this version'"'"'s, for this checkout and user; a value of your own goes in a drop-in)" > "/dev/stderr" }' \
	  "$$tmp" "$(UNIT_FILE)" || true; fi; \
	echo "$(AS_ROOT)install -m 0644 $$tmp $(UNIT_FILE)"; \
	$(SUDO) install -m 0644 "$$tmp" $(UNIT_FILE) || exit 1; \
	echo "$(AS_ROOT)systemctl daemon-reload"; \
	$(SUDO) systemctl daemon-reload || { echo "make install-service: $(UNIT_FILE) is written but systemd did not read it (systemctl daemon-reload failed, above: is this system run by systemd?); once it can, $(AS_ROOT)systemctl daemon-reload, then $(AS_ROOT)systemctl enable --now pyseb" >&2; exit 1; }; \
	if systemctl is-active --quiet pyseb; then \
	  echo "installed $(UNIT_FILE); PySEB is running the code it started with: to run this checkout's, $(AS_ROOT)systemctl restart pyseb (loads to 0 W for a moment, the status kept)"; \
	else echo "installed $(UNIT_FILE); start it with: $(AS_ROOT)systemctl enable --now pyseb"; fi

# A venv the installed unit runs PySEB with is kept (said, with the way to remove it): CLEAN_VENV=1 removes it all the same.
clean:
	@sh scripts/clean.sh "$(UNIT_FILE)" "$(CLEAN_VENV)" "$(VENV)" "$(VENV16)"
	rm -rf .pytest_cache .mypy_cache .ruff_cache build *.egg-info
