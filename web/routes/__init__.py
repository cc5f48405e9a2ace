"""Every page router, in one place for ``install_web``."""

from fastapi import APIRouter

from web.routes import (
    api_docs,
    audit,
    entry,
    equity,
    home,
    ranked,
    rule_drafts,
    rules,
    sign_in,
)

router = APIRouter(include_in_schema=False)
for module in (sign_in, home, ranked, entry, rules, rule_drafts, equity, audit, api_docs):
    router.include_router(module.router)
