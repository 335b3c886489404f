"""Attacks on what the run folder and the logs give away: each test is an attack that must fail."""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import pytest

from core import settings as settings_module
from ops import log_pump
from ops.stack import Stack
from privacy import logging_filter
from privacy.retention import purge_logs

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq"


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def collect():
    previous = logging.getLogRecordFactory()
    logging_filter._installed = None
    logging_filter.install_redaction()
    handler = Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        logging.setLogRecordFactory(previous)
        logging_filter._installed = None


def test_bot_token_in_a_bot_api_url_is_not_logged(collect: Collect) -> None:
    # What httpx logs for every Telegram call, whatever its level is set to later.
    logging.getLogger("httpx").warning('HTTP Request: POST https://api.telegram.org/bot%s/getUpdates "200 OK"',
                                       BOT_TOKEN)
    assert collect.lines and BOT_TOKEN not in collect.lines[0] and "[secret]" in collect.lines[0]
    assert BOT_TOKEN.split(":")[1] not in "".join(collect.lines)


def test_http_client_loggers_are_quiet_after_install(collect: Collect) -> None:
    for name in ("httpx", "httpcore", "urllib3"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING
    logging.getLogger("httpx").info("HTTP Request: GET https://api.telegram.org/bot%s/getMe", BOT_TOKEN)
    assert collect.lines == []


@pytest.mark.parametrize("line, secret", [
    ("connecting to postgresql://rasa:Hunter2-pw@db:5432/rasa", "Hunter2-pw"),
    ("GET /conversations/web-x/tracker?token=tok_9f8e7d6c5b4a 200", "tok_9f8e7d6c5b4a"),
    ("headers {'Authorization': 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig'}", "eyJhbGciOiJIUzI1NiJ9"),
    ("redis config {'password': 'r3dis-s3cret', 'db': 0}", "r3dis-s3cret"),
    ("smtp login user=x password=Sm7p-pass", "Sm7p-pass"),
])
def test_secret_patterns_are_redacted(collect: Collect, line: str, secret: str) -> None:
    logging.getLogger("rasa.core").info(line)
    assert secret not in collect.lines[0]


def test_a_dumped_tracker_is_cut_and_an_exception_message_is_dropped(collect: Collect) -> None:
    dump = "tracker " + repr({"events": [{"event": "user", "text": f"mon revenu est {i} euros"} for i in range(500)]})
    logging.getLogger("rasa.core.processor").error(dump)
    assert len(collect.lines[0]) < logging_filter.MAX_RECORD_CHARS + 50
    try:
        raise TypeError(f"bad slot in {dump}")
    except TypeError:
        logging.getLogger("rasa_sdk.executor").exception("action failed")
    assert "revenu" not in collect.lines[1] and collect.lines[1].endswith("TypeError")


def test_child_output_goes_redacted_into_a_rotating_log(tmp_path: Path) -> None:
    read, write = os.pipe()
    with os.fdopen(write, "wb") as out:
        out.write(f"GET https://api.telegram.org/bot{BOT_TOKEN}/getMe\nappel au 06 12 34 56 78\n".encode())
    thread = log_pump.pump(os.fdopen(read, "rb"), tmp_path / "telegram.log")
    thread.join(5)
    text = (tmp_path / "telegram.log").read_text()
    assert BOT_TOKEN not in text and "06 12 34 56 78" not in text and text.count("\n") == 2
    handler = log_pump.rotating_handler(tmp_path / "x.log")
    assert handler.backupCount == 30 and handler.when == "MIDNIGHT"
    handler.close()


def test_old_log_files_are_purged(tmp_path: Path) -> None:
    old, new = tmp_path / "rasa.log.2020-01-01", tmp_path / "rasa.log"
    old.write_text("x")
    new.write_text("y")
    os.utime(old, (time.time() - 31 * 86400,) * 2)
    assert purge_logs(tmp_path, 30) == 1
    assert not old.exists() and new.exists()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_run_folder_is_private_and_tightens_old_files(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir(mode=0o755)
    (run / "logs").mkdir(mode=0o755)
    (run / "avecvous.db").write_text("x")
    (run / "avecvous.db").chmod(0o644)
    old_umask = os.umask(0o022)
    try:
        settings_module.secure_run_dir(run)
        assert _mode(run) == 0o700 and _mode(run / "logs") == 0o700 and _mode(run / "avecvous.db") == 0o600
        (run / "avecvous.db-wal").write_text("new")  # e.g. SQLite's write-ahead log, made later
        assert _mode(run / "avecvous.db-wal") == 0o600
        key = settings_module._secret_key(run)
        assert key and _mode(run / "secret_key") == 0o600
    finally:
        os.umask(old_umask)


@pytest.mark.parametrize("kind", ["postgres", "redis"])
def test_endpoints_file_holds_no_password(tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PG_PASSWORD", "pg-Secret-42")
    monkeypatch.setenv("REDIS_PASSWORD", "redis-Secret-42")
    stack = Stack(run_dir=tmp_path, env_overrides={"TRACKER_STORE": kind})
    env = stack.environment()
    path = stack.render_endpoints(env)
    text = path.read_text()
    assert "Secret-42" not in text and _mode(path) == 0o600
    assert "password: ${" in text  # Rasa reads it from its environment
    assert env["PG_PASSWORD" if kind == "postgres" else "REDIS_PASSWORD"].endswith("Secret-42")


def test_rasa_api_is_off_by_default_and_token_never_on_the_command_line(tmp_path: Path) -> None:
    stack = Stack(run_dir=tmp_path)
    env = stack.environment()
    rasa = stack.commands(env)["rasa"]
    assert "--enable-api" not in rasa and "RASA_API_TOKEN" not in env
    tested = Stack(run_dir=tmp_path, enable_api=True)
    env = tested.environment()
    rasa = tested.commands(env)["rasa"]
    assert "--enable-api" in rasa and tested.api_token and tested.api_token not in " ".join(rasa)
    assert env["RASA_API_TOKEN"] == tested.api_token
    assert Stack(run_dir=tmp_path, enable_api=True).api_token != tested.api_token  # one per run
    with pytest.raises(RuntimeError):
        stack.api_get("/status")
