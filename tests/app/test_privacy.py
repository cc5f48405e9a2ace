from datetime import date

import pytest

from app.privacy import AGE_BANDS, age_band, date_of_birth_for
from app.security import Principal, Role


@pytest.mark.parametrize(
    ("born", "band"),
    [
        (date(2026, 6, 1), "0-17"),
        (date(2008, 12, 3), "0-17"),  # 18 tomorrow
        (date(2008, 12, 2), "18-39"),  # 18 today
        (date(1986, 12, 3), "18-39"),
        (date(1986, 12, 2), "40-64"),
        (date(1961, 7, 14), "65-74"),
        (date(1950, 1, 1), "75-84"),
        (date(1930, 1, 1), "85+"),
    ],
)
def test_age_bands_count_whole_years(born, band):
    assert age_band(born, date(2026, 12, 2)) == band


def test_every_age_has_exactly_one_band():
    for age in range(0, 120):
        holding = [label for label, first, last in AGE_BANDS if first <= age <= (last or 200)]
        assert len(holding) == 1, age
    assert age_band(None, date(2026, 12, 2)) is None


def test_only_booking_roles_see_the_date_of_birth():
    born = date(1961, 7, 14)
    for role, shown in ((Role.SCHEDULER, born), (Role.ADMIN, born), (Role.CLINICIAN, None)):
        assert date_of_birth_for(Principal("x", frozenset({role})), born) == shown
    assert date_of_birth_for(Principal("x", frozenset({Role.AUDITOR})), born) is None
