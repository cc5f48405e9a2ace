"""The columnar input and the string factorisation the engine sorts on."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prioritisation import FlagMatrix, Overrides, PtlArrays
from prioritisation.factorise import dense_rank, factorise, factorise_ints, factorise_known
from tests.prioritisation.builders import entry, ptl

BASE = {
    "pathway_id": ["a", "b"],
    "provider_code": ["RKB", "RKB"],
    "treatment_function_code": ["110", "110"],
    "pathway_stage": ["admitted", "non_admitted"],
    "priority_code": ["P2", "P3"],
    "rtt_clock_start": ["2026-01-01", "2026-02-01"],
}


def test_from_columns_fills_optional_columns_as_unknown() -> None:
    arrays = PtlArrays.from_columns(**BASE)  # type: ignore[arg-type]
    assert len(arrays) == 2
    assert arrays.imd_decile.tolist() == [0, 0] and arrays.imd_decile.dtype == np.int8
    assert arrays.ethnic_category.tolist() == ["", ""]
    assert arrays.rtt_status.tolist() == ["", ""]
    assert arrays.inclusion_groups.values.shape == (2, 0)
    assert arrays.rtt_clock_start.dtype == np.dtype("datetime64[D]")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"provider_code": ["RKB"]}, "provider_code: length 1 != 2"),
        ({"pathway_stage": ["admitted", "outpatient"]}, "pathway_stage: unknown values"),
        ({"imd_decile": [1, 11]}, "deciles must be 1..10"),
        ({"imd_decile": [1.7, 2.0]}, r"imd_decile: deciles must be whole numbers.*\[1\.7\]"),
        ({"imd_decile": np.array([np.inf, 1.0])}, "deciles must be 1..10"),
        (
            {"imd_domain_deciles": {"barriers": [3.0, 9.5]}},
            r"imd_domain_deciles\.barriers: deciles must be whole numbers",
        ),
        ({"imd_decile": [True, False]}, "expected integers 0..10"),
        ({"rtt_clock_start": ["2026-01-01", "NaT"]}, "missing dates"),
        ({"imd_domain_deciles": {"wealth": [1, 2]}}, "unknown domain 'wealth'"),
        ({"inclusion_groups": ["autism"]}, "inclusion_groups: 1 rows != 2"),
    ],
)
def test_from_columns_rejects_bad_columns(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PtlArrays.from_columns(**{**BASE, **change})  # type: ignore[arg-type]


def test_none_and_whitespace_become_blank_and_nan_deciles_unknown() -> None:
    arrays = PtlArrays.from_columns(
        **BASE,  # type: ignore[arg-type]
        ethnic_category=[None, " A "],
        imd_decile=np.array([np.nan, 3.0]),
    )
    assert arrays.ethnic_category.tolist() == ["", "A"]
    assert arrays.imd_decile.tolist() == [0, 3]


def test_flag_matrix_from_strings() -> None:
    matrix = FlagMatrix.from_strings(["autism; homeless", "", "homeless", "carer;autism"])
    assert matrix.codes == ("autism", "carer", "homeless")
    assert matrix.values.tolist() == [
        [True, False, True],
        [False, False, False],
        [False, False, True],
        [True, True, False],
    ]
    fixed = FlagMatrix.from_strings(["autism;unlisted"], codes=("autism", "smi"))
    assert fixed.values.tolist() == [[True, False]]
    assert fixed.row_codes(0) == ["autism"]
    assert fixed.column("smi") is not None and fixed.column("nope") is None
    with pytest.raises(ValueError, match="duplicate codes"):
        FlagMatrix(("a", "a"), np.zeros((1, 2), np.bool_))


def test_take_permutes_every_column() -> None:
    arrays = ptl([entry(pathway_id="x", imd_decile=2, inclusion="autism"), entry(pathway_id="y")])
    swapped = arrays.take([1, 0])
    assert swapped.pathway_id.tolist() == ["y", "x"]
    assert swapped.imd_decile.tolist() == [0, 2]
    assert swapped.inclusion_groups.row_codes(1) == ["autism"]
    assert swapped.imd_domain_deciles["barriers"].tolist() == [0, 0]


def test_overrides_validation() -> None:
    assert Overrides.from_columns(["", "pin_ahead"]).days.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="unknown kinds"):
        Overrides.from_columns(["jump"])
    with pytest.raises(ValueError, match="only adjust_uplift"):
        Overrides.from_columns(["pin_ahead"], [3.0])
    with pytest.raises(ValueError, match="finite"):
        Overrides.from_columns(["adjust_uplift"], [np.inf])
    sparse = Overrides.from_dict(3, {1: ("adjust_uplift", -2.5)})
    assert sparse.kind.tolist() == ["", "adjust_uplift", ""]
    assert sparse.days.tolist() == [0.0, -2.5, 0.0]


texts = st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=25)


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, min_size=1, max_size=60))
def test_factorise_and_dense_rank_match_numpy_unique(values: list[str]) -> None:
    array = np.array(values, dtype=str)
    uniques, inverse = np.unique(array, return_inverse=True)
    codes, found = factorise(array)
    assert found.tolist() == uniques.tolist()
    assert codes.tolist() == inverse.tolist()
    assert dense_rank(array).tolist() == inverse.tolist()


def test_factorise_many_distinct_long_strings_uses_several_words() -> None:
    rng = np.random.default_rng(3)
    values = np.array(
        ["".join(map(chr, rng.integers(32, 0x3000, 30))) for _ in range(6000)], dtype=str
    )
    uniques, inverse = np.unique(values, return_inverse=True)
    codes, found = factorise(values)
    assert codes.tolist() == inverse.tolist() and found.tolist() == uniques.tolist()


def test_factorise_ints_and_known_vocabulary() -> None:
    codes, uniques = factorise_ints(np.array([40, 7, 40, 9000, 7]))
    assert codes.tolist() == [1, 0, 1, 2, 0] and uniques.tolist() == [7, 40, 9000]
    codes, names = factorise_known(
        np.array(["non_admitted", "non_admitted"]), ("admitted", "non_admitted")
    )
    assert codes.tolist() == [0, 0] and names.tolist() == ["non_admitted"]
    codes, names = factorise_known(np.array(["x", "admitted"]), ("admitted", "non_admitted"))
    assert codes.tolist() == [1, 0] and names.tolist() == ["admitted", "x"]
