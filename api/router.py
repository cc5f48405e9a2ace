"""All versioned routes under ``/api/v1``."""

from fastapi import APIRouter

from api.routes import (
    audit,
    jobs,
    offers,
    ptl,
    rankings,
    reference,
    report_gap_watch,
    reports,
    risk_models,
    rule_calibrations,
    rule_preview,
    rules,
    simulations,
    support,
)

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(ptl.router)
api_router.include_router(reference.router)
api_router.include_router(audit.router)
api_router.include_router(reports.router)
api_router.include_router(report_gap_watch.router)
api_router.include_router(rules.router)
api_router.include_router(rule_preview.router)
api_router.include_router(rule_calibrations.router)
api_router.include_router(rankings.router)
api_router.include_router(simulations.router)
api_router.include_router(jobs.router)
api_router.include_router(offers.router)
api_router.include_router(risk_models.router)
api_router.include_router(support.router)
