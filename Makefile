# Every target creates .venv from the requirement files when it is missing or stale.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo serve test bench clean package

$(VENV)/.installed: requirements.txt requirements-local.txt requirements-dev.txt sheets-emulator/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The local stack alone (demo, serve, pictures) needs less: a fresh clone's `make demo` installs that.
$(VENV)/.installed-local: requirements.txt requirements-local.txt sheets-emulator/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-local.txt
	touch $@

demo: $(VENV)/.installed-local  ## the main job on the local stack (no AWS or Google account)
	$(PY) -m local.demo

serve: $(VENV)/.installed-local  ## the local stack until Ctrl-C (API on PORT, default 8000)
	$(PY) -m local.stack

# Lint, types, then pytest on every core (pytest-xdist, a test file per worker) given its argument, then the
# add-on's Node tests (node --test; no npm install); fails if any fails, after running them all.
define run_suite
	status=0; \
	$(PY) -m ruff check . || status=1; \
	$(PY) -m ruff format --check . || status=1; \
	$(PY) -m mypy || status=1; \
	$(PY) -m pytest -q -n auto --dist loadfile $(1) || status=1; \
	node --test sheets_addon/test/ || status=1; \
	exit $$status
endef

.PHONY: check
check: $(VENV)/.installed  ## every test (what CI runs): ruff, mypy, the whole pytest suite with the end-to-end scenarios (marked e2e), the Node tests
	$(call run_suite,)

test: $(VENV)/.installed  ## under 90 s: ruff, mypy, pytest without the tests marked e2e (the demo's weeks and the local stack, runs over simulated weeks on moto, kills at every write, races, the fault drill, fuzzing, deployment: make check runs those), the Node tests
	$(call run_suite,-m "not e2e")

.PHONY: test-fast
test-fast: $(VENV)/.installed  ## under 20 s, no AWS or emulator: the money engine, the services on in-memory stores and the stores' contracts in memory (tests/domain, tests/services, tests/storage/contracts -k "not TestDynamoDB"), then the add-on's Node tests (the API-fuzzing pytest plugins left unloaded)
	status=0; $(PY) -m pytest -q -p no:schemathesis -p no:anyio -p no:xdist tests/domain tests/services tests/storage/contracts -k "not TestDynamoDB" || status=$$?; node --test sheets_addon/test/ || status=1; exit $$status

bench: $(VENV)/.installed
	$(PY) bench/run_all.py

.PHONY: fuzz
fuzz: $(VENV)/.installed  ## schemathesis against openapi.yaml on the local stack per token scope (no 5xx, answers as documented, stored data = the accepted writes; FUZZ_SECONDS per scope, default 40), then the fault drill's table
	$(PY) -m local.api_fuzz
	WORK_ITEMS_FUZZ_EXAMPLES=400 $(PY) -m pytest -q -p no:cacheprovider tests/test_work_items_fuzz.py  # every work-item field fuzzed, 10x make test's examples
	FAULT_DRILL=all $(PY) -m pytest -q -p no:cacheprovider tests/sheet/test_fault_drill.py  # the faults injected, and what each run did

STAGES ?= dev prod
package: $(VENV)/.installed  ## per stage: chalice package --merge-template into build/<stage>/ (sam.json + deployment.zip), cfn-lint, zip < 10 MB, import check
	for stage in $(STAGES); do $(PY) infra/package.py build/$$stage --stage $$stage || exit 1; done

clean:
	rm -rf $(VENV) .local demo-out build .pytest_cache .hypothesis .mypy_cache .ruff_cache

.PHONY: fault-drill
fault-drill: $(VENV)/.installed  ## the month close under each injected fault, compared with a clean run; prints the table
	FAULT_DRILL=all $(PY) -m pytest -q -p no:cacheprovider tests/sheet/test_fault_drill.py

.PHONY: dashboard-png
dashboard-png: $(VENV)/.installed-local  ## docs/dashboard.png from the demo's story (needs soffice and pdftoppm on PATH)
	$(PY) -m local.dashboard_png

.PHONY: pictures
pictures: $(VENV)/.installed-local  ## the README tour: docs/dashboard.png, docs/alert-email.png, docs/board-report.png from the demo's story (needs soffice, pdftoppm, chromium)
	$(PY) -m local.dashboard_png --pictures
