#!/usr/bin/env bash
# Every check of the project, in the order a failure is cheapest to see. Called by `make test`.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD" TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1
export PYTHONWARNINGS="ignore::DeprecationWarning,ignore::PendingDeprecationWarning"
RASA=.venv-rasa/bin/rasa
failed=()

step() {
  local name=$1; shift
  echo "=== $name"
  local start=$SECONDS
  if "$@"; then echo "--- $name: ok ($((SECONDS - start)) s)"; else echo "--- $name: FAILED"; failed+=("$name"); fi
}

mkdir -p results
step "ruff" .venv/bin/ruff check .
step "urgent NLU component (Rasa env)" .venv-rasa/bin/python tests/rasa_env/check_urgent_component.py
step "spaCy NLU component (Rasa env)" .venv-rasa/bin/python tests/rasa_env/check_spacy_component.py
step "SQLite tracker store (Rasa env)" .venv-rasa/bin/python tests/rasa_env/check_tracker_store.py
step "rasa data validate" $RASA data validate --config config.yml --domain bot/domain.yml --data bot/data --fail-on-warnings --quiet
step "rasa test stories" $RASA test core --model models/avecvous.tar.gz --stories bot/tests \
  --fail-on-prediction-errors --out results/core --quiet
step "nlu held-out evaluation" bash -c "$RASA test nlu --model models/avecvous.tar.gz --nlu bot/tests/nlu_holdout.yml --out results/nlu --quiet >/dev/null 2>&1 && .venv/bin/python scripts/nlu_report.py results/nlu/intent_report.json --min-accuracy 0.85"

if ((${#failed[@]})); then echo "Failed before pytest: ${failed[*]}"; fi
echo "=== pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider
status=$?
if ((${#failed[@]})); then exit 1; fi
exit $status
