"""Channel-neutral replies for the adapters' hooks (no Telegram or web library here):

- Telegram: a CallbackQueryHandler(pattern="^fu:") calls `answer_callback(query.data)` and edits
  or sends the returned text with the returned buttons (label, callback_data);
- the widget, when a resident comes back: `widget_prompt(conversation_id)` gives the question and
  the answer page's address (/suivi/<token>), or None.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.settings import get_settings
from followup import messages, service


@dataclass
class Reply:
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, callback data)


def answer_callback(data: str, *, url: str | None = None) -> Reply | None:
    """None when the data is not a follow-up button (let other handlers have it)."""
    parsed = service.parse_callback(data)
    if parsed is None:
        return None
    token, answer, reason = parsed
    try:
        result = service.record_answer(token, answer, reason=reason, url=url or get_settings().database_url)
    except service.FollowUpError as exc:
        return Reply(str(exc))
    if result.ask_reason:
        return Reply(messages.reason_question(),
                     [(label, service.callback_data(token, "no", value)) for value, label in messages.reason_buttons()])
    reference = result.request.reference if result.request else None
    return Reply(messages.thanks(result.followup.answer, result.team_name, reference))


@dataclass
class WidgetPrompt:
    text: str
    answer_url: str


def widget_prompt(conversation_id: str, *, url: str | None = None) -> WidgetPrompt | None:
    settings = get_settings()
    row = service.pending_for_conversation(conversation_id, url=url or settings.database_url)
    if row is None:
        return None
    text = messages.question(row.first_name, row.step, service.benefit_labels(row))
    return WidgetPrompt(text, f"{settings.public_url.rstrip('/')}/suivi/{row.token}")
