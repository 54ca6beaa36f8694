# Two commands do everything on a fresh machine:
#   make run    the whole system (web, SFU worker, transcriber, Celery) on http://localhost:8000/
#   make test   the whole test suite (Django test runner, PostgreSQL and Redis on 127.0.0.1)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export DATABASE_URL_TEST ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test setup lint format evaluate bench

$(STAMP): requirements.txt requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# llama-cpp-python compiles from source (~5 min once; pip caches the wheel afterwards).
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

setup:
	./deploy/system-packages.sh
	$(MAKE) $(STAMP)

run: setup
	$(PY) deploy/run.py

test: setup
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} REDIS_PREFIX=$${REDIS_PREFIX:-test} $(PY) manage.py test --noinput $(TESTS)

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

# Quality on the shared evaluation set (../shared/eval-dev), as CI runs it after the tests.
evaluate: $(STAMP)
	$(PY) manage.py evaluate_captions ../shared/eval-dev
	$(PY) manage.py evaluate_summaries ../shared/eval-dev

bench: $(STAMP)
	$(PY) bench/sfu_fanout.py
	$(PY) bench/sfu_failover.py
	$(PY) bench/captions.py ../shared/eval-dev
	$(PY) bench/summary.py ../shared/eval-dev
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} $(PY) bench/late_join.py
