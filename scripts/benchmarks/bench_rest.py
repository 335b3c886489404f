"""Cold start of the whole stack and turn latency over 100 REST turns (p50/p95).

Starts Rasa, the action server and the web process on free ports, on SQLite in a temporary
folder, then plays questionnaire conversations through Rasa's REST channel."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from ops.stack import Stack, free_port

TURNS = 100
SCRIPT = ["bonjour", "/start_benefits_check", "j'ai 45 ans", "seule", "2 enfants", "3 et 7 ans",
          "1200 euros", "locataire", "500", "je suis au chomage", "non", "nancy", "voir les autres"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp)
        stack = Stack(run_dir=run_dir, rasa_port=free_port(), actions_port=free_port(), web_port=free_port(),
                      with_telegram=False, env_overrides={"DATABASE_URL": f"sqlite:///{run_dir / 'app.db'}"})
        started = time.perf_counter()
        stack.start()
        try:
            stack.wait_healthy(timeout=600)
            cold = time.perf_counter() - started
            latencies = []
            with httpx.Client(timeout=60) as client:
                sender, step = None, 0
                while len(latencies) < TURNS:
                    if sender is None or step == len(SCRIPT):
                        sender, step = f"bench-{uuid.uuid4().hex[:8]}", 0
                    t0 = time.perf_counter()
                    resp = client.post(f"{stack.rasa_url}/webhooks/rest/webhook",
                                       json={"sender": sender, "message": SCRIPT[step]})
                    latencies.append((time.perf_counter() - t0) * 1000)
                    resp.raise_for_status()
                    step += 1
        finally:
            stack.stop()
    latencies.sort()
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    print(f"cold start (processes launched -> /health 200): {cold:.1f} s")
    print(f"REST turn latency over {TURNS} turns: p50 {statistics.median(latencies):.0f} ms, "
          f"p95 {p95:.0f} ms, max {latencies[-1]:.0f} ms")


if __name__ == "__main__":
    main()
