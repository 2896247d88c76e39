# Focus Scheduled Jobs on Airflow 3.3: `make run` starts it, `make test` tests it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run run-cluster test lint bench lock clean ui ui-check

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m include.local_airflow

# The production profile on this machine: Postgres, Celery workers on Redis, FAB roles.
run-cluster: $(STAMP)
	$(BIN)/python -m include.cluster

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/parse_bench.py
	$(BIN)/python bench/task_bench.py
	$(BIN)/python bench/memory_bench.py
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/sis_bench.py
	$(BIN)/python bench/throughput_bench.py
	$(BIN)/python bench/communication_bench.py

# Re-pin requirements.txt from requirements.in (needs the registry).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile --python-version 3.11 requirements.in -o requirements.txt

# The Jobs screen (ui/): its bundle ui/dist/main.js is committed, so `make run` needs no Node.
ui/node_modules/.package-lock.json: ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	touch $@

ui: ui/node_modules/.package-lock.json
	cd ui && npm run build

# What CI checks of the screen: lint, types, component tests, and a rebuild equal to the commit.
ui-check: ui/node_modules/.package-lock.json
	cd ui && npm run lint && npm run typecheck && npm test && npm run build
	git diff --exit-code --stat -- ui/dist
	test -z "$$(git status --porcelain -- ui/dist)" || { git status --short -- ui/dist; echo "ui/dist differs from the commit: run make ui and commit it" >&2; exit 1; }

clean:
	rm -rf $(VENV) .local .local-cluster
