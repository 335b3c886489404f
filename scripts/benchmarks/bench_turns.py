"""One questionnaire turn: the project's stack against a bare Rasa, in the same run.

The bare Rasa has the project's NLU pipeline and NLU examples (the same spaCy model, the same
DIET), a minimal domain and no custom action: what Rasa costs alone. Both servers run at once
and get the same typed messages alternately, so the machine's load hits both alike.
Wall time (what a resident waits) and CPU time of the servers (work done, steadier on a busy
machine) are printed. Goal: project p95 <= 80 ms and <= 2x the bare p95."""

from __future__ import annotations

import argparse
import contextlib
import time
import uuid

import httpx
from common import bare_rasa, cpu_ms, percentile, project_stack, questionnaire, rest_url, summary


def turn(client: httpx.Client, url: str, sender: str, text: str) -> float:
    t0 = time.perf_counter()
    resp = client.post(rest_url(url), json={"sender": sender, "message": text})
    elapsed = (time.perf_counter() - t0) * 1000
    resp.raise_for_status()
    if not resp.json():
        raise RuntimeError(f"no reply to {text!r}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=10, help="measured conversations")
    parser.add_argument("--project-only", action="store_true", help="no bare Rasa (e.g. for an old checkout)")
    args = parser.parse_args()

    with contextlib.ExitStack() as servers:
        bare_url, bare_proc = (None, None) if args.project_only else servers.enter_context(bare_rasa())
        stack = servers.enter_context(project_stack())
        project_pids = [stack.processes["rasa"].pid, stack.processes["actions"].pid]
        bare, project = [], []
        with httpx.Client(timeout=60) as client:
            for n in range(args.conversations + 1):  # the first one warms both up, not counted
                if n == 1:
                    cpu_bare0 = cpu_ms(bare_proc.pid) if bare_proc else 0
                    cpu_project0 = [cpu_ms(pid) for pid in project_pids]
                sender = uuid.uuid4().hex[:10]
                for text in questionnaire(n):
                    if bare_url:
                        b = turn(client, bare_url, f"bare-{sender}", text)
                        if n:
                            bare.append(b)
                    p = turn(client, stack.rasa_url, f"bench-{sender}", text)
                    if n:
                        project.append(p)
        cpu_bare = (cpu_ms(bare_proc.pid) - cpu_bare0) / len(bare) if bare_proc else 0
        cpu_rasa, cpu_actions = ((cpu_ms(pid) - c0) / len(project) for pid, c0 in zip(project_pids, cpu_project0,
                                                                                          strict=True))
    print(f"project questionnaire turn: {summary(project)}; CPU {cpu_rasa:.1f} ms Rasa + "
          f"{cpu_actions:.1f} ms action server per turn")
    if not bare:
        return
    print(f"bare Rasa turn (same NLU pipeline, no custom action): {summary(bare)}; "
          f"CPU {cpu_bare:.1f} ms per turn")
    ratio50 = percentile(project, 50) / percentile(bare, 50)
    ratio95 = percentile(project, 95) / percentile(bare, 95)
    print(f"ratio project/bare: p50 {ratio50:.2f}x, p95 {ratio95:.2f}x, "
          f"CPU {(cpu_rasa + cpu_actions) / cpu_bare:.2f}x")
    print(f"goal: project p95 <= 80 ms ({'met' if percentile(project, 95) <= 80 else 'missed'}), "
          f"<= 2x bare p95 ({'met' if ratio95 <= 2 else 'missed'})")


if __name__ == "__main__":
    main()
