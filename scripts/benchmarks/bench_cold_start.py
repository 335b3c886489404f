"""Cold start: `make run` until `/health` answers 200 and Rasa's REST channel answers a message.

`make run` is started as a resident's server would start it (model and virtualenvs already
built), on free ports and in a temporary run folder, then stopped; repeated --runs times.
`--direct` starts what `make run` runs once its prerequisites are built (`python -m ops.stack`),
without make (no setup step: for a machine whose virtualenvs are shared). The time each part
first answers is printed too (Rasa's /, the action server's /health, the web process).
Also printed: the CPU time each process used until ready (the work of starting, steadier than
wall time on a busy machine). Goal: <= 30 s."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from common import cpu_ms, rest_url

from ops.stack import APP_PYTHON, ROOT, free_port


def children(pid: int) -> list[int]:
    """All descendants of pid (the stack's processes run in their own sessions)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").iterdir():
            kids = (task / "children").read_text().split()
            found.extend(int(k) for k in kids)
            todo.extend(int(k) for k in kids)
    return found


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def one_start(direct: bool = False) -> tuple[float, float, dict[str, float], dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        ports = {"RASA_PORT": free_port(), "ACTIONS_PORT": free_port(), "WEB_PORT": free_port()}
        env = {**os.environ, "AVECVOUS_RUN_DIR": tmp, **{k: str(v) for k, v in ports.items()}}
        started = time.perf_counter()
        command = [str(APP_PYTHON), "-m", "ops.stack"] if direct else ["make", "-s", "run"]
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.STDOUT, start_new_session=True)
        health = rest = None
        cpu: dict[str, float] = {}
        phases: dict[str, float] = {}
        parts = {"rasa": f"http://127.0.0.1:{ports['RASA_PORT']}/",
                 "actions": f"http://127.0.0.1:{ports['ACTIONS_PORT']}/health",
                 "web": f"http://127.0.0.1:{ports['WEB_PORT']}/"}
        try:
            while rest is None:
                for part, url in parts.items():
                    if part not in phases and _answers(url):
                        phases[part] = time.perf_counter() - started
                if proc.poll() is not None:
                    raise RuntimeError(f"make run stopped (exit {proc.returncode}); see {tmp}/logs")
                if time.perf_counter() - started > 600:
                    raise TimeoutError("not ready after 600 s")
                try:
                    if health is None and httpx.get(f"http://127.0.0.1:{ports['WEB_PORT']}/health",
                                                    timeout=2).status_code == 200:
                        health = time.perf_counter() - started
                    if health is not None and httpx.post(
                            rest_url(f"http://127.0.0.1:{ports['RASA_PORT']}"),
                            json={"sender": "cold-start", "message": "bonjour"}, timeout=30).json():
                        rest = time.perf_counter() - started
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            for pid in children(proc.pid):
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                name = ("rasa" if "rasa run" in cmdline or "rasa.__main__" in cmdline or cmdline.endswith("rasa") else
                        "actions" if "rasa_sdk" in cmdline else "web" if "uvicorn" in cmdline else
                        "calculator" if "calculator.server" in cmdline else None)
                if name:
                    cpu[name] = cpu.get(name, 0) + cpu_ms(pid) / 1000
        finally:
            os.killpg(proc.pid, signal.SIGINT)  # ops.stack stops its children on Ctrl-C
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        return health, rest, cpu, phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--direct", action="store_true", help="python -m ops.stack instead of make run")
    args = parser.parse_args()
    if not args.direct:
        subprocess.run(["make", "-s", "setup", "model"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    results = []
    for n in range(args.runs):
        health, rest, cpu, phases = one_start(args.direct)
        results.append(rest)
        cpu_text = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(cpu.items()))
        phase_text = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(phases.items(), key=lambda kv: kv[1]))
        print(f"run {n + 1}: /health 200 after {health:.1f} s, REST answering after {rest:.1f} s "
              f"(first answers: {phase_text}; CPU until ready: {cpu_text})", flush=True)
    print(f"cold start (make run -> /health and REST answering): best {min(results):.1f} s, "
          f"worst {max(results):.1f} s over {len(results)} runs; goal <= 30 s "
          f"({'met' if max(results) <= 30 else 'missed'})")


if __name__ == "__main__":
    main()
