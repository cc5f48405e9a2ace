"""Reference code lists the validator checks against, read from files or built from tables."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Folder of the shipped reference CSVs (loaded into database tables by a migration).
REFERENCE_DIR: Final = Path(__file__).resolve().parent.parent / "reference_data"

_FILES: Final[dict[str, str]] = {
    "treatment_function_codes": "treatment_functions.csv",
    "priority_codes": "priority_codes.csv",
    "ethnic_categories": "ethnic_categories.csv",
    "inclusion_groups": "inclusion_groups.csv",
    "clinical_areas": "clinical_areas.csv",
}


class ReferenceDataError(ValueError):
    """A reference file is missing its ``code`` column or holds a blank or repeated code."""


@dataclass(frozen=True)
class ReferenceCodes:
    """The codes each coded column may hold; the database layer builds one from its tables."""

    treatment_function_codes: frozenset[str]
    priority_codes: frozenset[str]
    ethnic_categories: frozenset[str]
    inclusion_groups: frozenset[str]
    clinical_areas: frozenset[str]

    @classmethod
    def from_reference_files(cls, directory: Path = REFERENCE_DIR) -> ReferenceCodes:
        """Read the ``code`` column of each reference CSV in ``directory``."""
        return cls(**{field: _read_codes(directory / name) for field, name in _FILES.items()})


def _read_codes(path: Path) -> frozenset[str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "code" not in reader.fieldnames:
            raise ReferenceDataError(f"{path.name}: no 'code' column")
        codes: list[str] = []
        for line, record in enumerate(reader, start=2):
            code = (record["code"] or "").strip()
            if not code:
                raise ReferenceDataError(f"{path.name} line {line}: blank code")
            codes.append(code)
    unique = frozenset(codes)
    if len(unique) != len(codes):
        raise ReferenceDataError(f"{path.name}: a code appears more than once")
    return unique
