"""A real calculator process (OpenFisca-France in .venv-calc) shared by the tests of a session."""

from __future__ import annotations

import pytest

from calculator import launcher
from ops.stack import free_port


@pytest.fixture(scope="session")
def calculator_process(tmp_path_factory):
    """The port of a warm calculator (`python -m calculator.server`), started once."""
    port = free_port()
    log = tmp_path_factory.mktemp("calculator") / "calculator.log"
    proc = launcher.start(port, log)
    try:
        launcher.wait_ready(port, proc)
    except RuntimeError as exc:
        launcher.stop(proc)
        pytest.fail(f"{exc}; see {log}")
    yield port
    launcher.stop(proc)
