# Two commands matter on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Test workers: two cores on CI; override with `make test JOBS=1`.
JOBS   ?= 2

.PHONY: install sysdeps test run bench schema-hash deploy clean
.PHONY: bench-freecad

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# LinuxCNC's rs274 (the G-code truth check) and Debian's chromium for browser tests.
sysdeps:
	bash scripts/ensure-system-deps.sh

schema-hash: install
	$(PY) -m chalicelib.ci.check_cam_intent_schema_hash

test: install sysdeps schema-hash
	$(PY) -m pytest -q -n $(JOBS)

run: install
	$(PY) -m chalicelib.local

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
	rm -rf $(VENV) .pytest_cache test-artifacts
