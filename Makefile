# Two commands a new user needs: `make demo` and `make test`. Both set up everything
# themselves on a fresh Debian 12 machine run as root (apt packages, venv, secrets).

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SYSTEM_PYTHON := /usr/bin/python3
APT_PACKAGES := python3-venv python3-dev gcc linux-libc-dev mosquitto mosquitto-clients \
	espeak-ng fonts-wqy-microhei alsa-utils sqlite3 libgl1 libegl1 libmtdev1 chromium openssl cage xwayland \
	libmosquitto-dev mosquitto-dev postgresql zbar-tools
APT_STAMP := $(VENV)/.apt-ok
# The broker plugin that ties client ids to users (broker/client_ids.c); `broker setup` copies it.
BROKER_PLUGIN := build/lobby_client_ids.so
PIP_STAMP := $(VENV)/.pip-ok

.PHONY: test test-fast lint demo setup clean bench install uninstall

setup: $(PIP_STAMP) $(BROKER_PLUGIN)

$(APT_STAMP):
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@# npm may come with a Node.js from elsewhere; only install Debian's when there is none.
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null)
	@# Debian's mosquitto package starts a system broker; ours are private and on free ports.
	@test -d $(VENV) || $(SYSTEM_PYTHON) -m venv $(VENV)
	@touch $@

NPM_STAMP := node_modules/.npm-ok

$(BROKER_PLUGIN): broker/client_ids.c $(APT_STAMP)
	@mkdir -p build
	gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $<

$(PIP_STAMP): $(APT_STAMP) $(NPM_STAMP) pyproject.toml constraints.txt
	$(PY) -m pip install -q --upgrade pip==24.3.1
	$(PY) -m pip install -q -c constraints.txt -e '.[kiosk,head-office,test]'
	@touch $@

# mqtt.js for the browser pages, at the version pinned in package-lock.json.
$(NPM_STAMP): package.json package-lock.json | $(APT_STAMP)
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

# Every test: the in-process lane, then tests/system/ (brokers, PostgreSQL, Chromium, Kivy,
# processes; marked slow). CI runs this.
test: setup lint
	$(PY) -m pytest $(PYTEST_ARGS)

# The in-process lane alone (tests/lobby, edge_agent, kiosk, head_office): a few minutes.
test-fast: setup
	$(PY) -m pytest --ignore=tests/system $(PYTEST_ARGS)

# ruff (with import sorting) and mypy over the Python, ESLint over the pages' JavaScript
# (eslint.config.js), as CI runs them; all must be clean.
lint: setup
	$(PY) -m ruff check .
	$(PY) -m mypy
	node_modules/.bin/eslint edge_agent/web/static head_office/web/static

demo: setup
	$(PY) -m tools.demo

bench: setup
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache test-artifacts

# A real branch box: software in /opt/lobby, config in /etc/lobby, units in systemd.
install: $(APT_STAMP) $(NPM_STAMP) $(BROKER_PLUGIN)
	ROOT=$(ROOT) bash scripts/install.sh

uninstall:
	ROOT=$(ROOT) PURGE=$(PURGE) bash scripts/uninstall.sh
