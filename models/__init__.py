"""SQLAlchemy 2 tables. Importing this package registers every table on ``Base.metadata``."""

from models.audit import AuditEvent
from models.base import Base
from models.calibrations import RuleSetCalibration
from models.jobs import Job
from models.offers import Offer, OfferBatch
from models.predictions import GapPrediction
from models.ptl import PtlEntry, UploadBatch
from models.rankings import (
    RankingList,
    RankingOverride,
    RankingResult,
    RankingRun,
    RankingRunList,
)
from models.reference import (
    ClinicalArea,
    EthnicCategory,
    ImdEdition,
    ImdLsoa,
    InclusionGroup,
    PriorityCode,
    TreatmentFunction,
)
from models.reports import EquitySnapshot
from models.risk_models import RiskModel
from models.rules import RuleSetVersion
from models.sessions import WebSession

__all__ = [
    "AuditEvent",
    "Base",
    "ClinicalArea",
    "EquitySnapshot",
    "EthnicCategory",
    "GapPrediction",
    "ImdEdition",
    "ImdLsoa",
    "InclusionGroup",
    "Job",
    "Offer",
    "OfferBatch",
    "PriorityCode",
    "PtlEntry",
    "RankingList",
    "RankingOverride",
    "RankingResult",
    "RankingRun",
    "RankingRunList",
    "RiskModel",
    "RuleSetCalibration",
    "RuleSetVersion",
    "TreatmentFunction",
    "UploadBatch",
    "WebSession",
]
