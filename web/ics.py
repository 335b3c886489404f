"""GET /rdv/<signed token>.ics: the resident's calendar invitation."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response

from booking import service
from booking.ics import filename, invitation
from booking.ics_links import reference_from_token

router = APIRouter()


@router.get("/rdv/{token}.ics")
def calendar_invitation(token: str) -> Response:
    reference = reference_from_token(token)
    request = service.find_by_reference(reference) if reference else None
    if request is None or request.slot_start is None or request.status == "cancelled":
        return PlainTextResponse("Ce rendez-vous est introuvable ou annulé.", status_code=404)
    return Response(invitation(request), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename(request)}"'})
