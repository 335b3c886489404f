"""National benefits computed by OpenFisca-France, off the chat turn.

- `situation`: profile -> OpenFisca situation (plain Python).
- `mapping`: catalogue id -> OpenFisca variable (`benefits.yml`).
- `compute`: the warm tax-benefit system, batched computations (needs the OpenFisca env).
- `server`: the calculator process (`python -m calculator.server`, in .venv-calc).
- `client`: what the action server calls (httpx, never blocks the event loop).
"""
