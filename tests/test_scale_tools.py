"""The pieces of scripts/scale_test.py that make the faults: the TCP proxy that makes PostgreSQL
unreachable for Rasa (and reachable again), and what counts as a normal answer."""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading

import pytest

from ops.stack import ROOT

spec = importlib.util.spec_from_file_location("scale_test", ROOT / "scripts" / "scale_test.py")
scale_test = importlib.util.module_from_spec(spec)
sys.modules["scale_test"] = scale_test  # its dataclasses look their module up
spec.loader.exec_module(scale_test)


@pytest.fixture()
def echo_server():
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=lambda c=conn: [c.sendall(d) for d in iter(lambda: c.recv(1024), b"")],
                             daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def _echo(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        return sock.recv(1024)


def test_the_proxy_cuts_open_connections_and_comes_back(echo_server):
    proxy = scale_test.TcpProxy(echo_server).start()
    try:
        assert _echo(proxy.port, b"bonjour") == b"bonjour"
        held = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        held.sendall(b"x")
        assert held.recv(10) == b"x"
        proxy.cut()
        with pytest.raises(OSError):
            _echo(proxy.port, b"encore")  # refused: nothing listens
        assert held.recv(10) == b""  # the open connection was closed too
        held.close()
        proxy.restore()
        assert _echo(proxy.port, b"revenu") == b"revenu"
    finally:
        proxy.stop()


def test_a_partial_answer_has_another_signature():
    full = [{"text": "Question 2 sur 8 environ"}, {"text": "Quels sont vos revenus ?", "buttons": []}]
    assert scale_test.signature(full) == scale_test.signature([dict(m) for m in full])
    assert scale_test.signature(full[:1]) != scale_test.signature(full)
    assert scale_test.signature([]) != scale_test.signature(full)
