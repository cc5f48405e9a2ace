"""The API documentation (Swagger UI and ReDoc) with assets served by the service itself, so
it works without internet access and under the pages' no-inline-script policy."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.templating import environment

router = APIRouter()


def _page(request: Request, template: str) -> HTMLResponse:
    html = (
        environment()
        .get_template(template)
        .render({"openapi_url": request.app.openapi_url, "title": request.app.title})
    )
    return HTMLResponse(html)


@router.get("/docs", name="swagger_ui")
def swagger_ui(request: Request) -> HTMLResponse:
    return _page(request, "api_docs/swagger.html")


@router.get("/redoc", name="redoc")
def redoc(request: Request) -> HTMLResponse:
    return _page(request, "api_docs/redoc.html")
