"""The generated PTL: deterministic, synthetic-only identifiers, valid rows, plausible shares."""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter
from typing import Any

import numpy as np
import pytest
from nhs_number.validate import is_valid

from app.demo import CANONICAL_COLUMNS, generate_ptl, patient_count, write_ptl_csv
from app.demo.identifiers import synthetic_nhs_numbers
from app.demo.reference import imd_2019_lsoas, reference_codes
from tests.app.demo.ptl_rules import file_errors, parse_date

CENSUS = datetime.date(2026, 11, 23)
CENSUS_D = np.datetime64(CENSUS, "D")
SAMPLE = 20_000


def _csv(rows: int, **kwargs: Any) -> bytes:
    buffer = io.BytesIO()
    write_ptl_csv(
        buffer, generate_ptl(rows, census_date=kwargs.pop("census_date", CENSUS), **kwargs)
    )
    return buffer.getvalue()


@pytest.fixture(scope="module")
def ptl() -> dict[str, np.ndarray]:
    return generate_ptl(SAMPLE, census_date=CENSUS)


@pytest.fixture(scope="module")
def wait_days(ptl: dict[str, np.ndarray]) -> np.ndarray:
    return (CENSUS_D - ptl["rtt_clock_start"]).astype(np.int64)


def share(mask: np.ndarray) -> float:
    return float(np.mean(mask))


def test_same_seed_gives_identical_bytes_and_other_seeds_differ() -> None:
    first = _csv(3_000, seed=7)
    assert first == _csv(3_000, seed=7)
    assert first != _csv(3_000, seed=8)
    assert first != _csv(3_000, seed=7, census_date=CENSUS - datetime.timedelta(days=1))


def test_columns_are_the_canonical_ones_and_equally_long(ptl: dict[str, np.ndarray]) -> None:
    assert tuple(ptl) == CANONICAL_COLUMNS
    assert {len(column) for column in ptl.values()} == {SAMPLE}


def test_every_generated_row_meets_the_contract(ptl: dict[str, np.ndarray]) -> None:
    buffer = io.StringIO()
    write_ptl_csv(buffer, ptl)
    assert file_errors(buffer.getvalue(), today=CENSUS) == []


def test_nhs_numbers_are_valid_and_in_the_never_issued_range(ptl: dict[str, np.ndarray]) -> None:
    numbers = ptl["nhs_number"]
    assert ((numbers >= 999_000_0000) & (numbers <= 999_999_9999)).all()
    assert all(is_valid(str(number)) for number in np.unique(numbers).tolist())


def test_the_synthetic_pool_holds_exactly_the_valid_999_numbers() -> None:
    pool = synthetic_nhs_numbers()
    prefixes = range(999_000_000, 1_000_000_000, 97)  # a stride of prefixes, checked one by one
    expected = [p * 10 + d for p in prefixes for d in range(10) if is_valid(f"{p}{d}")]
    in_stride = pool[np.isin(pool // 10, np.array(prefixes))]
    assert in_stride.tolist() == expected
    assert 900_000 < pool.size < 920_000 and len(np.unique(pool)) == pool.size


def test_nhs_numbers_identify_patients_consistently(ptl: dict[str, np.ndarray]) -> None:
    numbers = ptl["nhs_number"]
    distinct, first = np.unique(numbers, return_index=True)
    assert len(distinct) == patient_count(SAMPLE)
    index = np.searchsorted(distinct, numbers)
    for name in ("date_of_birth", "sex", "ethnic_category", "lsoa_code", "inclusion_groups"):
        assert (ptl[name] == ptl[name][first][index]).all(), name


def test_patient_count_never_exceeds_the_synthetic_range() -> None:
    assert patient_count(0) == 0 and patient_count(1) == 1
    assert patient_count(1_000_000) <= synthetic_nhs_numbers().size
    assert patient_count(5_000_000) == synthetic_nhs_numbers().size


def test_pathway_ids_are_unique_and_follow_clock_start(ptl: dict[str, np.ndarray]) -> None:
    ids = ptl["pathway_id"]
    assert len(np.unique(ids)) == SAMPLE
    assert max(len(i) for i in ids.tolist()) <= 20 and all(
        i.startswith("RZZ") for i in ids.tolist()
    )
    by_id = np.argsort(ids)
    assert (np.diff(ptl["rtt_clock_start"][by_id].astype(np.int64)) >= 0).all()


def test_dates_are_consistent(ptl: dict[str, np.ndarray], wait_days: np.ndarray) -> None:
    start, born = ptl["rtt_clock_start"], ptl["date_of_birth"]
    assert (start <= CENSUS_D).all() and (start > born).all()
    for name in ("priority_set_date", "last_validated_date"):
        dates = ptl[name][~np.isnat(ptl[name])]
        assert (dates <= CENSUS_D).all()
        assert (dates >= start[~np.isnat(ptl[name])]).all()
    set_age = (CENSUS_D - ptl["priority_set_date"]).astype("timedelta64[D]").astype(float)
    assert 0.05 < share(set_age[~np.isnan(set_age)] > 90) < 0.4  # some stale priorities


def test_wait_distribution_has_a_long_tail(
    ptl: dict[str, np.ndarray], wait_days: np.ndarray
) -> None:
    assert 0.35 < share(wait_days >= 127) < 0.6  # over 18 weeks
    assert 0.01 < share(wait_days >= 365) < 0.08  # over 52 weeks
    assert 0 < (wait_days >= 456).sum() < 0.02 * SAMPLE  # a few over 65 weeks
    urgent = np.isin(ptl["priority_code"], ["P1a", "P1b", "P2"])
    routine = np.isin(ptl["priority_code"], ["P3", "P4"])
    assert np.median(wait_days[urgent]) < np.median(wait_days[routine]) / 2
    p1 = np.isin(ptl["priority_code"], ["P1a", "P1b"])
    assert (wait_days[p1] <= 14).all()


def test_stage_and_priority_mix(ptl: dict[str, np.ndarray]) -> None:
    admitted = ptl["pathway_stage"] == "admitted"
    assert 0.3 < share(admitted) < 0.4
    codes = Counter(ptl["priority_code"][admitted].tolist())
    n = admitted.sum()
    assert 0.10 <= codes["P2"] / n <= 0.15
    assert 0 < (codes["P1a"] + codes["P1b"]) / n < 0.01
    assert 0.015 <= (codes["P5"] + codes["P6"]) / n <= 0.035
    assert (codes["P3"] + codes["P4"]) / n > 0.8
    assert set(ptl["procedure_code"][~admitted].tolist()) == {""}
    assert share(ptl["procedure_code"][admitted] != "") > 0.85


def test_specialties_use_reference_codes(ptl: dict[str, np.ndarray]) -> None:
    codes = Counter(ptl["treatment_function_code"].tolist())
    assert set(codes) <= set(reference_codes("treatment_functions")) and len(codes) >= 20
    assert codes.most_common(1)[0][0] == "110"  # trauma and orthopaedics is the largest list
    gynae = ptl["treatment_function_code"] == "502"
    assert set(ptl["sex"][gynae].tolist()) <= {"2", "9", "X"}
    admitted = ptl["pathway_stage"] == "admitted"
    surgical = np.isin(ptl["treatment_function_code"], ["110", "100", "101", "140"])
    medical = np.isin(ptl["treatment_function_code"], ["300", "320", "330", "340", "400", "410"])
    assert share(admitted[surgical]) > 3 * share(admitted[medical])


def test_imd_skews_deprived_and_has_unknowns(ptl: dict[str, np.ndarray]) -> None:
    codes, deciles = imd_2019_lsoas()
    assert codes.size == 32_844
    lookup = dict(zip(codes.tolist(), deciles.tolist(), strict=True))
    supplied = ptl["imd_decile"]
    lsoa = ptl["lsoa_code"]
    assert all(code in lookup for code in lsoa.tolist() if code)
    looked_up = np.array([lookup.get(code, 0) for code in lsoa.tolist()])
    decile = np.where(supplied > 0, supplied, looked_up)
    assert share(np.isin(decile, [1, 2, 3])) > 1.5 * share(np.isin(decile, [8, 9, 10]))
    assert 0.01 < share(decile == 0) < 0.03  # neither LSOA nor decile
    assert 0.03 < share(supplied > 0) < 0.08
    both = (supplied > 0) & (lsoa != "")
    assert (supplied[both] == looked_up[both]).all()  # a supplied decile matches its LSOA


def test_custom_imd_lookup_is_used() -> None:
    lookup = (np.array(["E01000001", "E01000002", "W01000003"]), np.array([1, 1, 10]))
    ptl = generate_ptl(500, census_date=CENSUS, imd_lsoas=lookup)
    assert set(ptl["lsoa_code"].tolist()) <= {"", *lookup[0].tolist()}
    assert set(ptl["imd_decile"].tolist()) <= {0, 1, 10}


def test_ethnicity_sex_and_flags(ptl: dict[str, np.ndarray]) -> None:
    ethnicity = Counter(ptl["ethnic_category"].tolist())
    assert set(ethnicity) <= {*reference_codes("ethnic_categories"), ""}
    assert 0.08 <= ethnicity["Z"] / SAMPLE <= 0.12
    assert 0.03 <= ethnicity["99"] / SAMPLE <= 0.05
    assert 0.005 <= ethnicity[""] / SAMPLE <= 0.015
    assert 0.4 < ethnicity["A"] / SAMPLE < 0.6
    sex = Counter(ptl["sex"].tolist())
    assert (sex["1"] + sex["2"]) / SAMPLE > 0.99 and sex["X"] > 0
    groups = Counter(g for cell in ptl["inclusion_groups"].tolist() for g in cell.split(";") if g)
    areas = Counter(a for cell in ptl["clinical_areas"].tolist() for a in cell.split(";") if a)
    assert set(groups) <= set(reference_codes("inclusion_groups"))
    assert set(areas) <= set(reference_codes("clinical_areas"))
    assert 0.01 <= groups["learning_disability"] / SAMPLE <= 0.02
    assert 0.13 <= groups["multimorbidity"] / SAMPLE <= 0.22
    assert 0.07 <= areas["hypertension"] / SAMPLE <= 0.13
    assert groups["homeless"] > 0 and groups["asylum_seeker"] > 0 and areas["maternity"] > 0
    assert any(";" in cell for cell in ptl["inclusion_groups"].tolist())
    maternity = np.array(["maternity" in cell for cell in ptl["clinical_areas"].tolist()])
    assert set(ptl["treatment_function_code"][maternity].tolist()) == {"502"}


def test_status_and_sites(ptl: dict[str, np.ndarray]) -> None:
    status = Counter(ptl["rtt_status"].tolist())
    assert set(status) == {"", "20", "31", "32", "33"}
    non_admitted = ptl["pathway_stage"] != "admitted"
    assert 0.015 < share(ptl["rtt_status"][non_admitted] == "33") < 0.05
    assert 0.004 < (status["31"] + status["32"]) / SAMPLE < 0.02
    assert set(ptl["site_code"].tolist()) <= {"RZZ01", "RZZ02", "RZZ03", ""}


def test_other_providers_and_bad_provider_codes() -> None:
    ptl = generate_ptl(50, census_date=CENSUS, provider_code=" rkb ")
    assert set(ptl["provider_code"].tolist()) == {"RKB"}
    assert all(i.startswith("RKB") for i in ptl["pathway_id"].tolist())
    with pytest.raises(ValueError, match="provider_code"):
        generate_ptl(5, census_date=CENSUS, provider_code="R!")


def test_no_rows_gives_just_a_header() -> None:
    assert _csv(0).decode() == ",".join(CANONICAL_COLUMNS) + "\n"


def test_written_dates_are_mostly_iso_with_some_uk() -> None:
    rows = list(csv.DictReader(io.StringIO(_csv(4_000).decode())))
    cells = [row["rtt_clock_start"] for row in rows]
    uk = sum("/" in cell for cell in cells) / len(cells)
    assert 0.02 < uk < 0.1
    assert all(parse_date(cell) is not None for cell in cells)
