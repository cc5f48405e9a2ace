"""Every page router, in one place for ``install_web``."""

from fastapi import APIRouter

from web.routes import api_docs, entry, home, ranked, sign_in

router = APIRouter(include_in_schema=False)
for module in (sign_in, home, ranked, entry, api_docs):
    router.include_router(module.router)
