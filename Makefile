# AppWatch. `make run` and `make test` set up everything they need on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The served process reads PORT back for SITE_URL (links in e-mails), however PORT was given.
export PORT
STAMP := $(VENV)/.installed

.PHONY: run setup install test test-setup lint format bench bench-smoke fuzz chaos loadtest worker beat clean

run: setup
	@echo "AppWatch on http://127.0.0.1:$(PORT)/  (admin: http://127.0.0.1:$(PORT)/admin/)"
	PORT=$(PORT) VENV=$(VENV) bin/serve

setup: install
	$(PY) manage.py compile_translations
	$(PY) manage.py migrate --noinput
	$(PY) manage.py train_classifier --if-none-active
	$(PY) manage.py demo_data
	$(PY) manage.py collectstatic --noinput -v 0

# Dependencies: Python packages pinned by constraints.txt, chart libraries from npm.
install: $(STAMP) node_modules/.installed

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Browser tests drive Debian's Chromium (with CJK fonts for the screenshots); the translation
# test scans the sources with GNU gettext; the APK inspection tests build real packages with
# aapt against android-framework-res and a dex with smali. Installed once.
test-setup: install
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ -z "$$(fc-list :lang=zh 2>/dev/null)" ] || [ ! -x /usr/bin/xgettext ] \
		|| [ ! -x /usr/bin/aapt ] || [ ! -f /usr/share/android-framework-res/framework-res.apk ] || [ ! -x /usr/bin/smali ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk gettext aapt android-framework-res libsmali-java) \
		|| echo "Chromium or aapt could not be installed; browser and APK tests will report it."; \
	fi
	$(PY) manage.py compile_translations

test: test-setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Every performance figure beside its limit, measured in one run on loopback (at most 20 minutes;
# its own database and redis-server, gunicorn and a real worker): benchmarks/results/ and
# RESULTS.md. bench-smoke: the same at tiny sizes (a few minutes), checking only that every
# figure, baseline and ratio was produced; tests/benchmarks/test_bench_smoke.py runs it in CI.
bench: install
	$(PY) manage.py compile_translations
	$(PY) -m benchmarks.run

bench-smoke: install
	$(PY) manage.py compile_translations
	$(PY) -m benchmarks.run --smoke

# Schema-driven fuzzing of the whole API as each role (schemathesis); CI runs the same tests
# with a few examples each. FUZZ_EXAMPLES=n for more or fewer.
FUZZ_EXAMPLES ?= 100
fuzz: test-setup
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/fuzz -n 2 -q

# Faults under load (about 3 minutes; not in CI): its own Redis and database, 2,000 filings,
# the worker killed twice, Redis stopped for 15 s. The last line is the summary.
chaos: setup
	$(PY) -m benchmarks.chaos

# A mixed load for LOADTEST_SECONDS (default 300; its own Redis and database, gunicorn, a
# worker and beat): consumers filing, regulators on the queue and dashboards, the public on
# the board. Prints p50/p95/p99 per endpoint and appends the table to benchmarks/RESULTS.md.
loadtest: setup
	$(PY) -m benchmarks.loadtest

worker: setup
	VENV=$(VENV) bin/worker --loglevel=info

beat: setup
	$(VENV)/bin/celery -A config beat --loglevel=info --schedule var/celerybeat-schedule

clean:
	rm -rf $(VENV) node_modules var
