"""rasa_sdk actions: thin adapters over the project's domain packages."""

from privacy.logging_filter import install_redaction

# The action server never writes what residents type into its logs.
install_redaction()
