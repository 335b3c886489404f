#!/bin/sh
# The image's entry points, one per process (deploy/README.md says what runs where).
set -eu
process="${1:-web}"
case "$process" in
  web)        shift || true
              exec /venv/app/bin/uvicorn web.app:create_app --factory --host 0.0.0.0 --port "${WEB_PORT:-8000}" \
                   --workers "${WEB_WORKERS:-2}" --no-access-log --ws none --proxy-headers "$@" ;;
  actions)    shift; exec /venv/app/bin/python -m rasa_sdk --actions bot.actions --port "${ACTIONS_PORT:-5055}" "$@" ;;
  telegram)   shift; exec /venv/app/bin/python -m channels.telegram "$@" ;;
  calculator) shift; exec /venv/calc/bin/python -m calculator.server "$@" ;;
  migrate)    shift; exec /venv/app/bin/python -m booking.cli upgrade-db ;;
  *)          # the Rasa chart passes Rasa's own arguments (run --port 5005 ...)
              exec /venv/rasa/bin/python -c "from privacy.logging_filter import install_redaction; install_redaction(); \
import sys; sys.argv[0] = 'rasa'; from rasa.__main__ import main; main()" "$@" ;;
esac
