"""Memory of the web process when someone posts a huge body to /api/chat (issue 12: a 300 MB post
took it to 718 MB). Starts the web process (uvicorn, as `make run` does) on a free port against a
fake Rasa, posts 300 MB chunked and with a declared length, and prints its peak memory (VmHWM)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from ops.stack import ROOT, free_port
from tests.fakes.fake_rasa import FakeRasa

MB = 1024 * 1024


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeRasa() as rasa:
        port = free_port()
        env = dict(os.environ, RASA_URL=rasa.url, AVECVOUS_RUN_DIR=tmp, DATABASE_URL=f"sqlite:///{tmp}/app.db",
                   PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory", "--host",
                                 "127.0.0.1", "--port", str(port), "--no-access-log", "--ws", "none"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(60):
                try:
                    httpx.get(f"{url}/widget/avecvous.css", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.5)
            before = _peak_mb(proc.pid)

            def chunks():  # noqa: ANN202
                for _ in range(300):
                    yield b"x" * MB

            started = time.perf_counter()
            try:
                chunked = httpx.post(f"{url}/api/chat", content=chunks(), timeout=60,
                                     headers={"content-type": "application/json"}).status_code
            except httpx.HTTPError as exc:  # the server may close the connection once it has refused
                chunked = type(exc).__name__
            elapsed = time.perf_counter() - started
            try:
                declared = httpx.post(f"{url}/api/chat", content=chunks(), timeout=60,
                                      headers={"content-type": "application/json",
                                               "content-length": str(300 * MB)}).status_code
            except httpx.HTTPError as exc:
                declared = type(exc).__name__
            ok = httpx.post(f"{url}/api/chat", json={"message": "bonjour"}, timeout=10).status_code
            print(f"web process peak memory: {before:.0f} MB after start, {_peak_mb(proc.pid):.0f} MB after "
                  f"two 300 MB posts (chunked: {chunked} in {elapsed:.1f} s; declared length: {declared}); "
                  f"then a normal message: {ok}")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
