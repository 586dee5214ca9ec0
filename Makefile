# Two commands matter on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Test workers: two cores on CI; override with `make test JOBS=1`.
JOBS   ?= 2

.PHONY: install sysdeps nodedeps lint test run bench bench-freecad schema-hash deploy clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# LinuxCNC's rs274 (the G-code truth check) and Debian's chromium for browser tests.
sysdeps:
	bash scripts/ensure-system-deps.sh

# axe-core, which the browser tests inject into the page (package-lock.json pins it).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

nodedeps: node_modules/.package-lock.json

schema-hash: install
	$(PY) -m chalicelib.ci.check_cam_intent_schema_hash

# The whole tree is linted; pyproject.toml holds the rules (strict typing for
# contracts/, storage/ and rmos/cam/).
RUFF_PATHS := app.py chalicelib bench scripts luthier tests
MYPY_PATHS := app.py chalicelib bench scripts luthier

lint: install
	$(VENV)/bin/ruff check --quiet $(RUFF_PATHS)
	$(VENV)/bin/mypy $(MYPY_PATHS)

test: install sysdeps nodedeps schema-hash lint
	$(PY) -m pytest -q -n $(JOBS)

# Data is kept in LOCAL_DATA_DIR (default .local-data/) across restarts; `make run FRESH=1` starts empty.
run: install
	$(PY) -m luthier.local $(if $(filter-out 0,$(FRESH)),--fresh)

bench: install
	$(PY) -m bench

# Opt-in: re-measure FreeCAD on the peer cases (needs `apt-get install freecad`);
# rewrites bench/freecad_results.json, which `make bench` compares against.
bench-freecad: install sysdeps
	$(PY) -m bench.freecad_peer

# Deploy: `make deploy STAGE=prod` after the infra stack exists (docs/deploy.md).
STAGE ?= dev
deploy: install
	$(PY) scripts/deploy.py $(STAGE)

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts node_modules
