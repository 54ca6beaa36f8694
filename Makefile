# Two commands do everything on a fresh machine:
#   make run    the whole system (web, SFU worker, transcriber, Celery) on http://localhost:8000/
#   make test   the whole test suite (Django test runner, PostgreSQL and Redis on 127.0.0.1)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export DATABASE_URL_TEST ?= postgres://postgres@127.0.0.1:5432/test
# Evaluations and benchmarks run with DEBUG off, where settings refuse the development key
# (`manage.py test` sets a test key itself): a throwaway key for this machine, never a deployment's.
LOCAL_KEY := SECRET_KEY=$${SECRET_KEY:-local-evaluation-key-not-for-deployments}

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
	# The SFU's C fast path (sfu/_fastpath, ~1 s; without it the SFU forwards in Python).
	$(PY) sfu/fastpath_build.py

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
	$(LOCAL_KEY) $(PY) manage.py evaluate_captions ../shared/eval-dev
	$(LOCAL_KEY) $(PY) manage.py evaluate_summaries ../shared/eval-dev

bench: $(STAMP)
	$(LOCAL_KEY) $(PY) bench/sfu_fanout.py
	$(LOCAL_KEY) $(PY) bench/sfu_congestion.py
	$(LOCAL_KEY) $(PY) bench/sfu_meeting.py
	$(LOCAL_KEY) $(PY) bench/sfu_failover.py
	$(LOCAL_KEY) $(PY) bench/sfu_hostile.py --no-failover
	$(LOCAL_KEY) $(PY) bench/captions.py ../shared/eval-dev
	$(LOCAL_KEY) $(PY) bench/summary.py ../shared/eval-dev
	$(LOCAL_KEY) DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} $(PY) bench/late_join.py
	$(LOCAL_KEY) $(PY) bench/signaling.py
	$(LOCAL_KEY) DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} TEST_DATABASE_NAME=test_bench_dashboard $(PY) bench/dashboard.py
