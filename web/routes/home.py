"""The start page: sign-in first, then each role's main page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from web.auth import CurrentUser
from web.navigation import landing_page

router = APIRouter()


@router.get("/", name="home")
def home(user: CurrentUser) -> RedirectResponse:
    return RedirectResponse(landing_page(user.principal.roles), 303)
