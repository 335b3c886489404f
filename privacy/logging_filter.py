"""Keep personal data out of logs: phone numbers, e-mail addresses and free text typed by residents
are replaced before any handler sees the record.

    from privacy.logging_filter import install_redaction
    install_redaction()            # once, at process start; every logger, every handler

`RedactionFilter` can also be attached to a handler by hand (e.g. in a dictConfig)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

PHONE_MARK, EMAIL_MARK, TEXT_MARK = "[téléphone]", "[e-mail]", "[texte masqué]"
SECRET_MARK, CUT_MARK = "[secret]", "[… tronqué]"
# A record longer than this is cut: nothing useful to an operator is that long, but a dumped
# tracker (every event of a conversation) is.
MAX_RECORD_CHARS = 2000
# HTTP clients log every URL at INFO (Bot API URLs hold the bot token): warnings only.
NOISY_LOGGERS = ("httpx", "httpcore", "urllib3", "aiohttp.client", "telegram.ext.ExtBot", "hpack")

# Secrets, whatever logger prints them: Telegram bot tokens (also inside /bot<token>/ URLs),
# token=/password=/secret= parameters, Authorization headers, passwords in connection URLs.
_SECRETS = [
    (re.compile(r"(?<!\d)\d{5,15}:[A-Za-z0-9_-]{30,}"), SECRET_MARK),
    (re.compile(r"(?i)\b((?:auth_?)?token|password|passwd|pwd|secret(?:_token)?|api_?key|jwt)"
                r"(['\"]?\s*[=:]\s*['\"]?)[^\s&'\",;)}]+"), r"\1\2" + SECRET_MARK),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + SECRET_MARK),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@"), r"\1" + SECRET_MARK + "@"),
]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# French numbers in any usual spelling (06 12 34 56 78, 06.12…, +33 6…, 0033…), and E.164.
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)33[\s.-]?(?:\(0\)\s?)?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)"
                    r"|(?<![\w+])\+\d{8,15}(?!\d)")
# A quoted value after a key that always holds what the person typed ("user message '…'",
# 'text': "…", message="…"). The closing quote must end the value, so "j'ai" does not end it.
_KEYED = re.compile(r"""(?P<key>\b(?:user message|text|message)\b['"]?\s*[:=]?\s*)(?P<q>['"])"""
                    r"""(?P<body>.*?)(?P=q)(?=[\s,;:)\]}.]|$)""", re.IGNORECASE)
_QUOTED = re.compile(r"""(?<!\w)(?P<q>['"])(?P<body>[^\n]*?)(?P=q)(?=[\s,;:)\]}.]|$)""")


def redact_secrets(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def redact(text: str, *, min_words: int = 4) -> str:
    """The text with secrets, phones, e-mails, typed messages and quoted passages of `min_words`
    words or more replaced by markers, cut to MAX_RECORD_CHARS."""
    if len(text) > MAX_RECORD_CHARS:
        text = text[:MAX_RECORD_CHARS] + CUT_MARK
    text = redact_secrets(text)
    text = _KEYED.sub(lambda m: f"{m['key']}{m['q']}{TEXT_MARK}{m['q']}" if m["body"] else m[0], text)
    text = _QUOTED.sub(
        lambda m: f"{m['q']}{TEXT_MARK}{m['q']}" if len(m["body"].split()) >= min_words else m[0], text)
    text = _EMAIL.sub(EMAIL_MARK, text)
    return _PHONE.sub(PHONE_MARK, text)


class RedactionFilter(logging.Filter):
    """Rewrites records of the given loggers (and their children; all loggers when none given).
    Never drops a record."""

    def __init__(self, loggers: Iterable[str] | None = None, *, min_words: int = 4) -> None:
        super().__init__()
        self.prefixes = tuple(loggers or ())
        self.min_words = min_words

    def _applies(self, name: str) -> bool:
        return not self.prefixes or any(name == p or name.startswith(p + ".") for p in self.prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False) or not self._applies(record.name):
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record: hide its arguments rather than fail
            record.msg, record.args = redact(str(record.msg), min_words=self.min_words), None
        else:
            redacted = redact(message, min_words=self.min_words)
            if redacted != message:
                self._rewrite(record, redacted)
        if record.exc_info and not record.exc_text:  # exception texts may quote what was typed
            record.exc_text = redact(_short_traceback(record.exc_info), min_words=self.min_words)
        record._redacted = True
        return True

    def _rewrite(self, record: logging.LogRecord, redacted: str) -> None:
        # Keep the args tuple when redacting each argument gives the same text: some formatters
        # (uvicorn's access log) unpack record.args and would fail on None.
        if isinstance(record.args, tuple) and isinstance(record.msg, str):
            template = redact(record.msg, min_words=self.min_words)
            args = tuple(redact(a, min_words=self.min_words) if isinstance(a, str) else a for a in record.args)
            try:
                if template % args == redacted:
                    record.msg, record.args = template, args
                    return
            except (TypeError, ValueError):
                pass
        record.msg, record.args = redacted, None


def _short_traceback(exc_info: tuple) -> str:
    """The traceback without the exception's own message, which may quote a whole tracker or
    what a resident typed: the frames and the exception type are what an operator needs."""
    import traceback

    _type, value, tb = exc_info
    frames = "".join(traceback.format_tb(tb))
    return f"Traceback (most recent call last):\n{frames}{type(value).__name__}"


def quiet_http_clients() -> None:
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


_installed: RedactionFilter | None = None


def install_redaction(loggers: Iterable[str] | None = None, *, min_words: int = 4) -> RedactionFilter:
    """Redact every record as it is created, whatever logger or handler (even ones configured
    later, e.g. by uvicorn), and quiet the HTTP client loggers. Calling it again only changes
    the settings."""
    global _installed
    quiet_http_clients()
    if _installed is not None:
        _installed.prefixes, _installed.min_words = tuple(loggers or ()), min_words
        return _installed
    _installed = RedactionFilter(loggers, min_words=min_words)
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:  # noqa: ANN002, ANN003
        record = previous(*args, **kwargs)
        if _installed is not None:  # a test may have reset the module
            _installed.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    return _installed
