# GridPatrol: `make run` serves the app with demo data, `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := run
PORT ?= 8000
WITH_ENV := scripts/with-env
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test setup system venv env web review-web db test-db migrate seed bench lint clean

run: setup seed
	@echo ""
	@echo "  GridPatrol 网格巡查 is starting on http://127.0.0.1:$(PORT)/"
	@echo "    worker app  http://127.0.0.1:$(PORT)/app/"
	@echo "    review      http://127.0.0.1:$(PORT)/review/"
	@echo "    API docs    http://127.0.0.1:$(PORT)/api/docs"
	@echo "  demo logins (password: $${DEMO_PASSWORD:-gridpatrol-demo}):"
	@echo "    demo-admin, demo-street, demo-community, demo-worker, demo-worker2 … demo-worker12"
	@echo ""
	@# Open311 callbacks and patrol upkeep in the background, gunicorn in the foreground (the same PID through
	@# exec): both loops end with it.
	$(WITH_ENV) $(VENV)/bin/flask open311 deliver --loop --while-pid $$$$ & $(WITH_ENV) scripts/upkeep-loop $$$$ & exec $(WITH_ENV) $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:$(PORT) wsgi:app

test: system venv env web test-db
	$(WITH_ENV) $(VENV)/bin/ruff check .
	$(WITH_ENV) $(VENV)/bin/lint-imports
	$(WITH_ENV) $(VENV)/bin/pytest -q -p no:cacheprovider

setup: system venv env web db migrate

system:
	@scripts/ensure-system.sh --browser

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

env:
	@scripts/ensure-env.sh

web: node_modules/.package-lock.json review-web
	npm run --silent build

# The street review page is its own npm project (static/review), built into static/review/dist.
review-web: static/review/node_modules/.package-lock.json
	cd static/review && npm run --silent build

static/review/node_modules/.package-lock.json: static/review/package.json static/review/package-lock.json
	cd static/review && npm install --no-audit --no-fund --loglevel=error
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	@# npm ci refuses this lock: the registry here lists only some of rollup's optional platform
	@# packages, so the lock holds those; npm install still installs exactly the locked versions.
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

# The database names are read after .env is loaded (a checkout may name its own).
db:
	@$(WITH_ENV) bash -c 'deploy/provision-postgis.sh "$${DB_NAME:-gridpatrol}"'

test-db:
	@$(WITH_ENV) bash -c 'deploy/provision-postgis.sh --recreate "$${TEST_DB_NAME:-gridpatrol_test}"'

migrate:
	$(WITH_ENV) $(VENV)/bin/flask db upgrade

seed:
	$(WITH_ENV) $(VENV)/bin/flask seed-demo

bench: setup seed $(VENV)/.bench-installed
	$(WITH_ENV) $(PY) -m bench $(BENCH)

# TiPg and uvicorn only serve as the reference tile server in bench_review; not needed to run or test.
$(VENV)/.bench-installed: bench/requirements.txt $(VENV)/.installed
	$(VENV)/bin/pip install -q --disable-pip-version-check -r bench/requirements.txt
	@touch $@

load: setup
	$(WITH_ENV) $(PY) -m bench load faults

lint:
	$(WITH_ENV) $(VENV)/bin/ruff check .
	$(WITH_ENV) $(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) node_modules static/vendor static/pwa/dist
