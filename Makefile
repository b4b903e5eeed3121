# Two entry points for a fresh machine (see README):
#   make serve   set up .venv and run Muse on 127.0.0.1:8000
#   make test    set up .venv and run the test suite
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup serve test

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --upgrade --quiet pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/muse serve

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q -rs
