"""rasa_sdk actions: thin adapters over the project's domain packages."""

from bot.actions import safety
from privacy.logging_filter import install_redaction

# The action server never writes what residents type into its logs.
install_redaction()
# Every action: wrongly typed slots/entities cleaned, a crash answered politely, no tracker logged.
safety.install()
