"""Urgent situations: detect danger in a resident's message and give the right help at once.

Stdlib + PyYAML only, because the Rasa server's virtualenv imports this package.
"""

from urgent.detector import Detection, detect, situation_ids
from urgent.help import UrgentHelp, build_help
from urgent.situations import UrgentDataError

__all__ = ["Detection", "UrgentDataError", "UrgentHelp", "build_help", "detect", "situation_ids"]
