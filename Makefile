# The two commands of the README: `make run` and `make test`. Everything else is a helper.
# Both install what they need into .venv/ and node_modules/ and build the front-end bundle.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
ASSET_SOURCES := package.json package-lock.json esbuild.config.mjs $(shell find static/src -type f 2>/dev/null)
# `make test` keeps its own embedded servers under var/test and an ephemeral Redis on a free port.
TEST_SERVICES := $(PY) -m apg_wbpm.embedded --var-dir var/test --redis-port 0 --ephemeral --
PYTEST_ARGS ?=

.PHONY: run test setup lint fmt check bench soak manage clean

run: setup
	$(PY) -m apg_wbpm.launcher

test: $(STAMPS)/dev $(STAMPS)/assets $(STAMPS)/chromium
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(TEST_SERVICES) sh -c '$(PY) manage.py check --fail-level WARNING && $(PY) manage.py makemigrations --check --dry-run && $(PY) -m pytest $(PYTEST_ARGS)'

setup: $(STAMPS)/runtime $(STAMPS)/assets

$(STAMPS)/runtime: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/dev: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $(STAMPS)/runtime $@

$(STAMPS)/assets: $(ASSET_SOURCES)
	npm ci --no-audit --no-fund --loglevel=error
	npm run build
	@mkdir -p $(STAMPS) && touch $@

# Browser tests drive Debian's Chromium through Playwright; no browser is downloaded.
$(STAMPS)/chromium:
	sh docker/ensure-chromium.sh
	@mkdir -p $(STAMPS) && touch $@

lint: $(STAMPS)/dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

fmt: $(STAMPS)/dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Run a management command with the embedded servers of `make run`: make manage CMD="shell"
manage: setup
	$(PY) -m apg_wbpm.embedded -- $(PY) manage.py $(CMD)

# The benchmarks' own dependencies (SpiffWorkflow, to compare the engine with) stay out of
# requirements*.txt that run and test the platform.
$(STAMPS)/bench: $(STAMPS)/dev requirements-bench.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	@mkdir -p $(STAMPS) && touch $@

bench: $(STAMPS)/bench $(STAMPS)/assets
	$(TEST_SERVICES) $(PY) -m bench

soak: $(STAMPS)/dev $(STAMPS)/assets
	$(TEST_SERVICES) $(PY) -m bench --soak

clean:
	rm -rf $(STAMPS) static/dist staticfiles var/test
