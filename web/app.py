"""The project's web process: widget demo page, chat proxy, staff app and health check."""

from __future__ import annotations

import importlib
import logging

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from core.settings import get_settings
from privacy.logging_filter import install_redaction
from web.lifecycle import lifespan

log = logging.getLogger(__name__)

# Each adapter package exposes an APIRouter named `router`; missing ones are skipped so that
# the web process still starts while a package is being built.
ROUTERS = ["web.ics", "channels.web.router", "staff.router", "guide.router", "guide.booking", "web.followup"]


def create_app() -> FastAPI:
    install_redaction()
    app = FastAPI(title="Avec vous pour vos droits", docs_url=None, redoc_url=None, lifespan=lifespan)

    @app.get("/health")
    async def health() -> JSONResponse:
        settings = get_settings()
        checks = {
            "rasa": f"{settings.rasa_url}/",
            "actions": f"http://127.0.0.1:{settings.actions_port}/health",
        }
        result: dict[str, str] = {}
        async with httpx.AsyncClient(timeout=2) as client:
            for name, url in checks.items():
                try:
                    resp = await client.get(url)
                    result[name] = "ok" if resp.status_code == 200 else f"http {resp.status_code}"
                except httpx.HTTPError:
                    result[name] = "down"
        healthy = all(v == "ok" for v in result.values())
        return JSONResponse({"status": "ok" if healthy else "starting", **result},
                            status_code=200 if healthy else 503)

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
