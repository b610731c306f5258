# Developer entry points; CI runs `make test` through .ci/run. The scripts in scripts/ do the work.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:

VENV := .venv/bin
# Extra arguments for pytest, e.g. make test PYTEST_ARGS='-k storage -x'
PYTEST_ARGS ?=

.PHONY: run test bench services services-stop totp lint format lock clean

# The demo on http://127.0.0.1:8000/ with the local services; Ctrl-C stops it.
run:
	bash scripts/bootstrap.sh runtime
	bash scripts/run.sh

# Lint and the whole test suite, with clamd, the S3 server and Redis running.
test:
	bash scripts/test.sh $(PYTEST_ARGS)

# The documents pipeline's performance (and any other bench/<feature>.py), as ratios measured in
# one run: prints a table and writes var/bench/results.json.
bench:
	bash scripts/bench.sh

services:
	bash scripts/bootstrap.sh runtime
	bash scripts/services.sh start all

services-stop:
	bash scripts/services.sh stop all

# The current two-factor code of the demo staff accounts (only while DEBUG is on, as in make run).
totp:
	DEBUG=$${DEBUG:-true} $(VENV)/python manage.py demo_totp

lint:
	bash scripts/bootstrap.sh dev
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/lint-imports

format:
	bash scripts/bootstrap.sh dev
	$(VENV)/ruff check --fix .
	$(VENV)/ruff format .

# Re-pin requirements/*.txt from the direct dependencies in pyproject.toml: install each layer
# (base, then the local extra, then the dev extra) into a throwaway venv and freeze what it added.
# To upgrade a package, change its pin in pyproject.toml first.
lock:
	@tmp=$$(mktemp -d)
	trap 'rm -rf "$$tmp"' EXIT
	python3 -m venv "$$tmp/venv"
	"$$tmp/venv/bin/python" -m pip install --quiet --upgrade pip
	: >"$$tmp/none.frozen"
	previous=none
	for layer in base local dev; do
		python3 -c 'import sys, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]
		print("\n".join(p["dependencies"] if sys.argv[1] == "base" else p["optional-dependencies"][sys.argv[1]]))' \
			"$$layer" >"$$tmp/$$layer.in"
		"$$tmp/venv/bin/python" -m pip install --quiet -r "$$tmp/$$layer.in"
		"$$tmp/venv/bin/python" -m pip freeze >"$$tmp/$$layer.frozen"
		# Keep the file's header comments; pin only what this layer added to the one before.
		{
			grep '^#' "requirements/$$layer.txt" || true
			[ "$$previous" = none ] || echo "-r $$previous.txt"
			grep -vxF -f "$$tmp/$$previous.frozen" "$$tmp/$$layer.frozen" || true
		} >"$$tmp/$$layer.txt"
		previous=$$layer
	done
	mv "$$tmp"/{base,local,dev}.txt requirements/
	git diff --stat -- requirements/

# Stop the services scripts/services.sh started and delete what the commands made: the demo's
# database, the services' data and keys, bench results and logs (var/), collected static files
# and caches. The .venv stays (rm -rf .venv to reinstall it); the next make run starts afresh.
clean:
	bash scripts/services.sh stop all
	rm -rf var staticfiles .pytest_cache .ruff_cache test-results
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
