# npscli — the two entry points: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   := demo
export NPSCLI_TIMEZONE := America/Chicago

.PHONY: install demo test lint bench bench-peers bench-quick bench-memory bench-emerging clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The weekly job on the synthetic sample exports, with the embedded SQLite store in ./demo/
# (a first load of four months of history: follow-up tickets only for the last 14 days).
demo: $(STAMP)
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	NPSCLI_DB=$(DEMO)/npscli.db NPSCLI_NOW=2026-11-16 NPSCLI_USER=demo $(BIN)/npscli import sample_data/qualtrics_export.csv sample_data/qualtrics_week16.csv sample_data/surveymonkey_export.xlsx sample_data/delighted_export.csv --rejects $(DEMO)/rejects --tickets-since 14d
	NPSCLI_DB=$(DEMO)/npscli.db NPSCLI_NOW=2026-11-16 $(BIN)/npscli score --by location --since last-week --compare previous
	NPSCLI_DB=$(DEMO)/npscli.db NPSCLI_NOW=2026-11-16 $(BIN)/npscli score --period month
	NPSCLI_DB=$(DEMO)/npscli.db NPSCLI_NOW=2026-11-16 $(BIN)/npscli detractors --since 2d --comments-only
	NPSCLI_DB=$(DEMO)/npscli.db NPSCLI_NOW=2026-11-16 $(BIN)/npscli themes --emerging
	NPSCLI_DB=$(DEMO)/npscli.db NPSCLI_NOW=2026-11-16 $(BIN)/npscli tickets stats --by location
	NPSCLI_DB=$(DEMO)/npscli.db NPSCLI_NOW=2026-11-16 $(BIN)/npscli report weekly --out $(DEMO)
	@echo "demo: the store is $(DEMO)/npscli.db; the weekly report is in $(DEMO)/ (open the .html in a browser)"

# The whole suite, spread over one pytest-xdist worker per core (TEST_WORKERS=0: one process); each worker
# starts its own PostgreSQL cluster and SMTP servers (tests/conftest.py). CI (.ci/run) runs exactly this.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check src tests bench sample_data scripts

# The benchmark tables of bench/README.md: npscli against its peers (pandas, pandas + to_sql, DuckDB),
# interleaved, then the per-command table on SQLite and PostgreSQL (about 30 minutes; RUNS=5 for steadier medians).
RUNS ?= 3
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python bench/run.py --runs $(RUNS)

# The peers table alone (about 10 minutes).
bench-peers: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python bench/run.py --suite peers --runs $(RUNS)

# A smoke test of the harness: 20,000 rows, one run, the peers only (under a minute).
bench-quick: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python bench/run.py --quick

# Peak memory of the import as the file grows (250k, 1M, 2M and 5M rows).
bench-memory: $(STAMP)
	$(BIN)/python bench/memory.py

# Early warning: the emerging-issue detectors on simulated incidents (bench/README.md, "Early warning").
bench-emerging: $(STAMP)
	$(BIN)/python bench/emerging.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache
