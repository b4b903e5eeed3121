# Two entry points for a fresh machine (see README):
#   make serve   set up .venv and run Muse on 127.0.0.1:8000
#   make test    set up .venv and run the test suite
#   make test-fast  the unit tests only: no test that starts the application (a few minutes)
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup serve test test-fast lint browser

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --upgrade --quiet pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/muse serve

# The demo's browser test drives Debian's Chromium (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(STAMP) browser lint
	$(VENV)/bin/python -m pytest -q -rs

test-fast: $(STAMP)
	$(VENV)/bin/python -m pytest -q -rs -m "not integration"
