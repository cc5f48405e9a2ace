"""Which run serves each list: newer partial runs replace only the specialties they ranked."""

from __future__ import annotations

from app.rankings.served import Segment, ServedRuns, plan
from models import RankingRun


def _run(run_id: int, specialties: list[str] | None = None) -> RankingRun:
    return RankingRun(id=run_id, provider_code="RZZ", specialties=specialties)


def test_each_specialty_comes_from_the_newest_run_that_ranked_it():
    served = plan("RZZ", [_run(9, ["100"]), _run(8, ["100", "110"]), _run(7), _run(6, ["120"])])
    assert served == ServedRuns("RZZ", 7, {"100": 9, "110": 8})
    assert served.run_ids == [7, 8, 9]
    assert (served.run_for("100"), served.run_for("110"), served.run_for("120")) == (9, 8, 7)


def test_a_run_that_ranked_nothing_newer_is_not_read():
    served = plan("RZZ", [_run(9, ["100"]), _run(8, ["100"]), _run(7)])
    assert served.run_ids == [7, 9]


def test_segments_cover_every_specialty_once_in_order():
    served = ServedRuns("RZZ", 7, {"100": 9, "110": 8})
    assert served.segments() == [
        Segment(7, before="100"),
        Segment(9, specialty="100"),
        Segment(7, after="100", before="110"),
        Segment(8, specialty="110"),
        Segment(7, after="110"),
    ]
    assert served.segments("110") == [Segment(8, specialty="110")]
    assert served.segments("300") == [Segment(7, specialty="300")]
    for code in ("010", "100", "105", "110", "502"):
        holding = [s for s in served.segments() if s.holds(code)]
        assert len(holding) == 1
        index = served.segments().index(holding[0])
        assert all(s.precedes(code) for s in served.segments()[:index])
        assert not any(s.precedes(code) for s in served.segments()[index:])


def test_without_a_run_of_every_specialty_only_the_ranked_ones_are_served():
    served = plan("RZZ", [_run(4, ["110"]), _run(3, ["100"])])
    assert served.rest is None and served.run_for("120") is None
    assert served.segments() == [Segment(3, specialty="100"), Segment(4, specialty="110")]
    assert served.segments("120") == []
    assert plan("RZZ", []).run_ids == []
