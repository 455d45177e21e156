# Passage: `make run` serves the platform on http://127.0.0.1:8000; `make test` runs everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12 (Django 6 needs it); `.python-version` makes pyenv pick it.
PYTHON ?= $(shell command -v python3.12 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install messages setup run worker test test-services lint bench clean

help:
	@echo "make run            set everything up and serve on http://$(HOST):$(PORT) (Ctrl-C stops)"
	@echo "make test           lint, checks and the whole test suite"
	@echo "make test-services  the suite against PostgreSQL/Redis (DATABASE_URL, REDIS_URL)"
	@echo "make bench          every benchmark in bench/, each with its budget"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python 3.12 or newer is needed (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

messages: install
	$(MANAGE) compile_translations

setup: messages
	@mkdir -p var
	$(MANAGE) migrate --no-input
	$(MANAGE) collectstatic --no-input -v 0
	$(MANAGE) seed_demo

# daphne (web + WebSockets) and a Celery worker with beat on the folder broker in var/celery/.
# The first of the two to stop stops the other; Ctrl-C stops both.
run: setup
	@echo "Passage on http://$(HOST):$(PORT)/  (demo users: see README; Ctrl-C stops)"
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' EXIT; \
	$(BIN)/celery -A config worker --beat --pool=solo --loglevel=WARNING & \
	$(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application & \
	wait -n

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $$(ls */services.py */selectors.py */services/*.py */selectors/*.py 2>/dev/null)

test: messages lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.production \
	  DJANGO_SECRET_KEY=check-deploy-only-$$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n') \
	  ALLOWED_HOSTS=passage.example.org REDIS_URL=redis://127.0.0.1:6379/0 \
	  EMAIL_URL=smtp+tls://passage:secret@smtp.example.org:587 \
	  SMS_BACKEND=accounts.sms.HttpSMSBackend SMS_GATEWAY_URL=https://sms.example.org/send \
	  FIELD_ENCRYPTION_KEYS=$$($(BIN)/python -c 'import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())') \
	  $(MANAGE) check --deploy --fail-level WARNING
	$(BIN)/pytest $(PYTEST_ARGS)

# The same suite against PostgreSQL and Redis; .ci/run sets the URLs where they are reachable.
test-services: messages
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf var node_modules $(VENV)
