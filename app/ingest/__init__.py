"""PTL upload parsing and validation: pure, vectorised, no web framework or database.

``read_ptl_csv`` (or ``RawTable.from_records`` for JSON) turns an upload into raw columns;
``validate_table`` checks them all and returns every error or a typed ``ValidatedPtl``.
"""

from app.ingest.columns import CANONICAL_COLUMNS, REQUIRED_COLUMNS, WLMDS_ALIASES
from app.ingest.imd_lookup import ImdLookup, IodFileError, IodTable, read_iod_csv
from app.ingest.nhs_number import check_nhs_numbers, is_valid_nhs_number, mask_nhs_number
from app.ingest.reader import RawTable, read_ptl_csv
from app.ingest.reference import ReferenceCodes
from app.ingest.results import (
    PTL_COLUMNS,
    RowError,
    ValidatedPtl,
    ValidationOutcome,
    ValidationWarning,
    WarningCode,
)
from app.ingest.validate import validate_table

__all__ = [
    "CANONICAL_COLUMNS",
    "PTL_COLUMNS",
    "REQUIRED_COLUMNS",
    "WLMDS_ALIASES",
    "ImdLookup",
    "IodFileError",
    "IodTable",
    "RawTable",
    "ReferenceCodes",
    "RowError",
    "ValidatedPtl",
    "ValidationOutcome",
    "ValidationWarning",
    "WarningCode",
    "check_nhs_numbers",
    "is_valid_nhs_number",
    "mask_nhs_number",
    "read_iod_csv",
    "read_ptl_csv",
    "validate_table",
]
