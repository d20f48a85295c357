# The two commands of the README:  `make run`  and  `make test`.
SHELL := /bin/bash
# Debian's own Python 3.11 where there is one: it is built with profile-guided and
# link-time optimisation, and runs the test suite about 12 % faster than a plain build
# (pyenv's here). Any python3 otherwise.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3.11) python3)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
# The PostgreSQL server of the second test pass (trust auth; a fresh database is
# created for the run and dropped afterwards).
TEST_POSTGRES ?= postgresql://postgres@127.0.0.1:5432/test
# Two workers: the machine has two cores. Each worker gets its own fresh database.
PYTEST_ARGS ?= -n 2 --dist worksteal
# The tests run in a shuffled order (pytest-randomly), by default always the same one
# (the file order ran slower: README, "The two commands"). SHUFFLE=1 picks a new order
# (each pass prints its seed), SHUFFLE=<seed> that seed's, SHUFFLE= the file order.
# CLOCK=2027-03-27T23:58 starts the whole run's clock there (Helsinki time), ticking on.
SHUFFLE ?= 3741776687
CLOCK ?=
SHUFFLE_ARGS := $(if $(SHUFFLE),-p randomly $(if $(filter-out 1,$(SHUFFLE)),--randomly-seed=$(SHUFFLE)))
CLOCK_ENV := $(if $(CLOCK),TEST_CLOCK=$(CLOCK))
# Each pass's JUnit XML and times, read by tests/timing.py.
REPORTS := .test-reports

.PHONY: run test test-sqlite test-postgres pass-sqlite pass-postgresql install install-test \
  chromium translations vendor clean

# Without compiling every installed module: the test passes keep their own compiled
# modules (PYCACHE, below) and never read pip's; that compiling was a third of a fresh
# install's time. The test packages are installed with the app's in one go.
PIP := $(PY) -m pip install --quiet --disable-pip-version-check --no-compile

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PIP) -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(PY)
	$(PIP) -r requirements.txt -r requirements-dev.txt
	touch $(VENV)/.runtime $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.runtime

# Debian's chromium for the browser tests, in its headless shell (Playwright cannot
# download browsers here; tests/browser/conftest.py says why the shell).
chromium:
	@command -v chromium-headless-shell >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell >/dev/null; }

install-test: $(VENV)/.dev node_modules/.installed chromium

## Start the app on SQLite with demo data (development mode) on http://$(HOST):$(PORT)/
run: install
	CONSULT_ENV=development $(FLASK) init-db
	CONSULT_ENV=development $(FLASK) seed-demo
	@echo
	@echo "  consult is starting: open http://$(HOST):$(PORT)/login and log in with a demo login above."
	@echo
	CONSULT_ENV=development $(FLASK) run --host $(HOST) --port $(PORT)

## Install everything the tests need and run them all: the SQLite and the PostgreSQL pass
## at the same time (each line of output starts with its pass's name), so that one
## pass's waits for its database or browser are the other's working time. At the end,
## green or red: the install's time, each pass's, and the slowest tests.
test:
	@rm -rf $(REPORTS) && mkdir -p $(REPORTS)
	@start=$$(date +%s.%N); $(MAKE) -j3 --no-print-directory install-test || exit $$?; \
	  echo "install $$start $$(date +%s.%N)" >> $(REPORTS)/times
	@set -o pipefail; \
	  $(MAKE) --no-print-directory pass-sqlite 2>&1 | sed -u 's/^/sqlite     | /' & sqlite=$$!; \
	  $(MAKE) --no-print-directory pass-postgresql 2>&1 | sed -u 's/^/postgresql | /' & postgresql=$$!; \
	  status=0; wait $$sqlite || status=1; wait $$postgresql || status=1; \
	  $(PY) tests/timing.py $(REPORTS); exit $$status

## One pass alone (after `make install-test`), with its timing summary.
test-sqlite test-postgres: test-%:
	@rm -rf $(REPORTS) && mkdir -p $(REPORTS)
	@status=0; $(MAKE) --no-print-directory pass-$(subst postgres,postgresql,$*) || status=$$?; \
	  $(PY) tests/timing.py $(REPORTS); exit $$status

# Compiled modules and pytest's rewritten test modules are kept in the virtualenv, also
# where the environment says not to write them (PYTHONDONTWRITEBYTECODE): otherwise
# every test worker compiles the whole app and every test file again, 6 s each.
PYCACHE := $(CURDIR)/$(VENV)/pycache
pass-sqlite: DATABASE_ENV := -u TEST_DATABASE_URL
pass-postgresql: DATABASE_ENV := TEST_DATABASE_URL=$(TEST_POSTGRES)
pass-sqlite pass-postgresql: pass-%:
	@echo "== test pass: $*"
	@start=$$(date +%s.%N); status=0; \
	  env -u PYTHONDONTWRITEBYTECODE $(DATABASE_ENV) PYTHONPYCACHEPREFIX=$(PYCACHE) $(CLOCK_ENV) \
	    $(PY) -m pytest $(PYTEST_ARGS) $(SHUFFLE_ARGS) --junitxml=$(REPORTS)/$*.xml \
	    || status=$$?; \
	  echo "$* $$start $$(date +%s.%N) $$status" >> $(REPORTS)/times; exit $$status

## Re-extract messages and update the fi, sv and en catalogs; compile them.
translations: $(VENV)/.runtime
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --project consult --copyright-holder "consult developers" -o consult/translations/messages.pot .
	$(VENV)/bin/pybabel update -i consult/translations/messages.pot -d consult/translations --ignore-obsolete
	$(VENV)/bin/pybabel compile -d consult/translations --statistics

## Copy htmx and hds-core from node_modules into static/vendor (versions in the names),
## hds-core pruned by PurgeCSS to the rules our templates and consult.js can match
## (purgecss.config.cjs); written over in place.
vendor: node_modules/.installed
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx-2.0.11.min.js
	H=node_modules/hds-core/lib; cat $$H/base.min.css \
	  $$H/components/{container,button,text-input,notification,table,error-summary,fieldset,status-label}/*.min.css \
	  > static/vendor/hds-core-5.2.2.min.css
	node_modules/.bin/purgecss --config purgecss.config.cjs \
	  --css static/vendor/hds-core-5.2.2.min.css --output static/vendor/

clean:
	rm -rf $(VENV) node_modules
