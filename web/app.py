"""The project's web process: widget demo page, chat proxy, staff app and health check."""

from __future__ import annotations

import asyncio
import importlib
import logging

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from calculator import client as calculator
from core.settings import get_settings
from privacy.logging_filter import install_redaction
from web.lifecycle import lifespan

log = logging.getLogger(__name__)
CALCULATOR_HEALTH_TIMEOUT = 0.5   # seconds: a calculator that is down refuses the connection at once

# Each adapter package exposes an APIRouter named `router`; missing ones are skipped so that
# the web process still starts while a package is being built.
ROUTERS = ["web.ics", "channels.web.router", "staff.router", "guide.router", "guide.booking", "web.followup"]


def create_app() -> FastAPI:
    install_redaction()
    app = FastAPI(title="Avec vous pour vos droits", docs_url=None, redoc_url=None, lifespan=lifespan)

    @app.get("/health")
    async def health() -> JSONResponse:
        """Rasa and the action server must answer; the calculator (OpenFisca) is reported but
        optional: without it the bot answers from the catalogue rules, without exact amounts
        ("status": "degraded", still 200)."""
        settings = get_settings()
        checks = {
            "rasa": f"{settings.rasa_url}/",
            "actions": f"http://127.0.0.1:{settings.actions_port}/health",
        }

        async def probe(client: httpx.AsyncClient, url: str) -> str:
            try:
                resp = await client.get(url)
                return "ok" if resp.status_code == 200 else f"http {resp.status_code}"
            except httpx.HTTPError:
                return "down"

        async with httpx.AsyncClient(timeout=2) as client:
            found = await asyncio.gather(*(probe(client, url) for url in checks.values()),
                                         calculator.healthy(timeout=CALCULATOR_HEALTH_TIMEOUT))
        result: dict[str, str] = dict(zip(checks, found[:-1], strict=True))
        result["calculator"] = "ok" if found[-1] else "down"
        healthy = all(result[name] == "ok" for name in checks)
        status = "starting" if not healthy else "ok" if result["calculator"] == "ok" else "degraded"
        return JSONResponse({"status": status, **result}, status_code=200 if healthy else 503)

    for module_name in ROUTERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                log.warning("router %s not available yet", module_name)
                continue
            raise
        app.include_router(module.router)
    return app
