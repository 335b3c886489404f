# Two commands on a fresh machine:  `make run`  (everything, on SQLite)  and  `make test`.
SHELL := /bin/bash
PY310 ?= $(shell (pyenv root 2>/dev/null || echo $$HOME/.pyenv) | head -1)/versions/3.10.13/bin/python3.10
VENV := .venv
RASA_VENV := .venv-rasa
CALC_VENV := .venv-calc
STAMPS := .stamps
RASA := PYTHONPATH=$(CURDIR) PYTHONWARNINGS=ignore TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 $(RASA_VENV)/bin/rasa

.PHONY: run test test-fast setup model shell lint validate freeze clean bench scale-test

run: setup model
	$(VENV)/bin/python -m ops.stack

test: setup model
	bash scripts/test.sh

# Unit tests only (no model, no Rasa, no server, no browser, no PostgreSQL, no OpenFisca run): the
# quick loop while coding. `make test` still runs everything.
test-fast: $(STAMPS)/app
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider -m "not e2e and not browser and not postgres and not slow" \
	  --deselect tests/test_privacy.py::test_stores_written_by_the_real_rasa

setup: $(STAMPS)/app $(STAMPS)/rasa $(STAMPS)/calc $(STAMPS)/chromium

$(STAMPS)/app: pyproject.toml constraints-app.txt
	test -x $(VENV)/bin/python || $(PY310) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints-app.txt -e ".[dev]"
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/rasa: requirements-rasa.txt constraints-rasa.txt
	test -x $(RASA_VENV)/bin/python || $(PY310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints-rasa.txt -r requirements-rasa.txt
	@mkdir -p $(STAMPS) && touch $@

# OpenFisca-France for the calculator process (own env: OpenFisca-Core pins pytest<9).
$(STAMPS)/calc: requirements-calculator.txt constraints-calculator.txt
	test -x $(CALC_VENV)/bin/python || $(PY310) -m venv $(CALC_VENV)
	$(CALC_VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints-calculator.txt -r requirements-calculator.txt
	@mkdir -p $(STAMPS) && touch $@

# Debian's Chromium for the real-browser tests (Playwright drives it; it downloads no browser).
$(STAMPS)/chromium:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	@mkdir -p $(STAMPS) && touch $@

# Trained only when the model's inputs changed (hashed, not dated); a model trained once on this
# machine is copied from ~/.cache/avecvous/models, also into a fresh clone. See scripts/model.sh.
model: $(STAMPS)/rasa
	bash scripts/model.sh

validate: $(STAMPS)/rasa
	$(RASA) data validate --config config.yml --domain bot/domain.yml --data bot/data --fail-on-warnings

lint: $(STAMPS)/app
	$(VENV)/bin/ruff check .

# A terminal chat for volunteers and developers (starts the stack if it is not running).
shell: setup model
	$(VENV)/bin/python -m ops.shell

# The scale topology (several Rasa replicas, action servers, web workers on PostgreSQL + Redis)
# under load and faults; heavy, not part of `make test`. SCALE_CONVERSATIONS=20 for a short run.
scale-test: setup model
	nice -n 10 $(VENV)/bin/python scripts/scale_test.py

bench: setup
	for f in scripts/benchmarks/bench_*.py; do $(VENV)/bin/python $$f || exit 1; done

freeze:
	$(VENV)/bin/pip freeze --exclude-editable | sed '1i # Full pinned set of the project virtualenv (pip freeze); regenerate with `make freeze`.' > constraints-app.txt
	$(RASA_VENV)/bin/pip freeze | sed '1i # Full pinned set of the Rasa virtualenv (pip freeze); regenerate with `make freeze`.' > constraints-rasa.txt
	$(CALC_VENV)/bin/pip freeze | sed '1i # Full pinned set of the calculator virtualenv (.venv-calc, pip freeze); regenerate with `make freeze`.' > constraints-calculator.txt

clean:
	rm -rf $(STAMPS) models run results test-artifacts
