"""Which run serves each list: one run per list, read in list order."""

from __future__ import annotations

from app.rankings.served import Segment, ServedRuns


def test_each_list_is_read_from_its_own_run_in_list_order():
    served = ServedRuns(
        "RZZ",
        {("110", "admitted"): 8, ("100", "non_admitted"): 9, ("100", "admitted"): 7},
    )
    assert served.run_ids == [7, 8, 9]
    assert served.segments() == [
        Segment(7, "100", "admitted"),
        Segment(9, "100", "non_admitted"),
        Segment(8, "110", "admitted"),
    ]
    assert served.segments("100", "non_admitted") == [Segment(9, "100", "non_admitted")]
    assert served.segments(stage="admitted") == [
        Segment(7, "100", "admitted"),
        Segment(8, "110", "admitted"),
    ]
    assert (served.run_for("100"), served.run_for("110"), served.run_for("120")) == (9, 8, None)


def test_nothing_served_reads_nothing():
    served = ServedRuns("RZZ")
    assert served.run_ids == [] and served.segments() == []
