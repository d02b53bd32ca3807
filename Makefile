# Two commands do everything: `make run` and `make test` (`make lint`, `make test-fast` while you work).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
API_PORT ?= 6443

.PHONY: run test test-fast lint install install-test migrate demo serve bench clean chromium

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py cluster ensure demo --nodes 3

# The dashboard on http://$(HOST):$(PORT); the Kubernetes API for a real kubectl
# on https://$(HOST):$(API_PORT) (client-go sends bearer tokens only over TLS).
run: demo
	KUBECLASS_API_URL=https://$(HOST):$(API_PORT) $(PY) manage.py serve --host $(HOST) --port $(PORT) \
	  --api-port $(API_PORT)

# The browser tests drive Debian's Chromium; install it when it is missing
# (never `playwright install`: it downloads a browser build of its own).
chromium:
	@command -v chromium >/dev/null 2>&1 && fc-list | grep -qi nanum || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum >/dev/null; }

# The linter, the formatter's check (`ruff format .` mends what it finds), the import contracts (the layers,
# pyproject.toml) and the type checker; `make test` runs it first.
lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# Everything: the in-process tests on two workers, then the live ones (Daphne, kubectl, Chromium) on two workers,
# a test module to a worker (each module shares its servers among its own tests).
test: lint chromium
	$(PY) -m pytest -q -n 2 -m "not live"
	$(PY) -m pytest -q -n 2 --dist loadfile -m live

# The in-process tests only: no browser, no Daphne or manage.py subprocess (pytest.ini's `live` marker),
# spread over two worker processes (pytest-xdist), each with a test database of its own.
test-fast: install-test
	$(PY) -m pytest -q -n 2 -m "not live"

bench: install
	$(PY) bench/apiserver.py

clean:
	rm -rf $(VENV) db.sqlite3
