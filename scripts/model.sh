#!/usr/bin/env bash
# models/avecvous.tar.gz, trained only when the model's inputs changed. Called by `make model`.
#
# The inputs are hashed (file names and contents, not dates: a fresh clone has new dates but the
# same model). A trained model is stored outside the repository under that hash, so a fresh clone
# or another worktree on the same machine copies it instead of training again; Rasa's own cache of
# trained components lives there too, so a change to stories alone does not retrain the NLU.
# urgent/ is not an input: UrgentDetector is not trainable and calls urgent.detect() at run
# time, so its rules and data are read when Rasa loads, never stored in the model.
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL=models/avecvous.tar.gz
CACHE_DIR=${AVECVOUS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/avecvous}
KEEP=${AVECVOUS_CACHE_KEEP:-12}  # models kept in the cache, newest first
# Bump when the way the model is built changes (training flags below).
RECIPE="rasa train v1"

inputs_hash() {
  {
    echo "$RECIPE"
    # The versions of what trains (not every pin: a new jsonschema does not change the model).
    grep -hiE '^(rasa|spacy|thinc|fr[-_]core[-_]news[-_]md|tensorflow|numpy|scikit-learn)==' \
      requirements-rasa.txt constraints-rasa.txt | tr 'A-Z_' 'a-z-' | LC_ALL=C sort -u
    find config.yml bot/domain.yml bot/data bot/components -type f \
      \( -name '*.yml' -o -name '*.yaml' -o -name '*.md' -o -name '*.json' -o -name '*.py' -o -name '*.txt' \) \
      -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs sha256sum
  } | sha256sum | cut -c1-16
}

hash=$(inputs_hash)
stamp=models/.inputs-hash
cached="$CACHE_DIR/models/$hash.tar.gz"

if [[ -f $MODEL && -f $stamp && $(cat "$stamp") == "$hash" ]]; then
  echo "model up to date ($hash)"
  exit 0
fi
mkdir -p models "$CACHE_DIR/models"
if [[ -f $cached ]]; then
  cp "$cached" "$MODEL.tmp" && mv "$MODEL.tmp" "$MODEL"
  touch "$cached"  # recently used: kept by the pruning below
  echo "$hash" > "$stamp"
  echo "model $hash copied from $cached (no training)"
  exit 0
fi

echo "training model $hash (inputs changed or no cached model)"
start=$SECONDS
PYTHONPATH=$PWD PYTHONWARNINGS=ignore TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false \
  SQLALCHEMY_SILENCE_UBER_WARNING=1 RASA_CACHE_DIRECTORY="$CACHE_DIR/rasa-cache" \
  .venv-rasa/bin/rasa train --config config.yml --domain bot/domain.yml --data bot/data \
  --out models --fixed-model-name avecvous
echo "$hash" > "$stamp"
# Stored atomically: another clone may be reading or storing the same hash.
cp "$MODEL" "$cached.$$.tmp" && mv "$cached.$$.tmp" "$cached"
ls -1t "$CACHE_DIR"/models/*.tar.gz | tail -n +$((KEEP + 1)) | xargs -r rm -f
echo "model $hash trained in $((SECONDS - start)) s, stored in $cached"
