"""Ranking runs (immutable snapshots of a scored PTL) and clinicians' overrides."""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.ptl import BigId

OVERRIDE_KINDS: Final = ("pin_ahead", "hold_back", "adjust_uplift")
RUN_TRIGGERS: Final = ("upload", "manual", "change")


class RankingRun(Base):
    """One scoring of a provider's open PTL: what went in (hash, rule versions) and when.

    Rows are written once, in the transaction that stores their results, and never changed.
    """

    __tablename__ = "ranking_runs"
    __table_args__ = (
        CheckConstraint("trigger IN ('upload', 'manual', 'change')", name="trigger"),
        Index("ix_ranking_runs_latest", "provider_code", "completed_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_code: Mapped[str] = mapped_column(String(5))
    census_date: Mapped[date] = mapped_column(Date)
    rules_at: Mapped[datetime] = mapped_column()
    """The moment whose rule versions and overrides were applied."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    requested_by: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(10))
    upload_batch_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("upload_batches.id"))
    specialties: Mapped[list[str] | None] = mapped_column(JSON)
    """Treatment function codes ranked; null means every specialty."""
    rule_versions: Mapped[dict[str, int | None]] = mapped_column(JSON)
    """Specialty key ("default" or a code) → RuleSetVersion id; null = the shipped default."""
    imd_edition: Mapped[str] = mapped_column(String(20))
    inputs_hash: Mapped[str] = mapped_column(String(64))
    entry_count: Mapped[int] = mapped_column(Integer)
    parked_count: Mapped[int] = mapped_column(Integer)
    list_count: Mapped[int] = mapped_column(Integer)
    override_count: Mapped[int] = mapped_column(Integer)
    """Overrides requested in this run (applied or ignored)."""
    capacity: Mapped[dict[str, dict[str, float]] | None] = mapped_column(JSON)
    """Patients booked per week, per ``tfc/stage`` and priority code, estimated from the
    list's recent clock stops: the last-chance range's input (null: none known)."""
    job_id: Mapped[int | None] = mapped_column(BigId)
    """The background job that made the run (None: asked for directly)."""


class RankingList(Base):
    """One list (provider + specialty + stage): which run serves it and how fresh that is.

    ``change_seq`` counts changes to the list's entries, overrides and reference data;
    ``ranked_seq`` is the count the serving run had read before it loaded the entries, so the
    list is stale while ``change_seq > ranked_seq`` (rule versions and override expiry are
    compared at read time instead). ``run_id`` switches in the run's own transaction: a list
    is always served whole from one run.
    """

    __tablename__ = "ranking_lists"

    provider_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    treatment_function_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    pathway_stage: Mapped[str] = mapped_column(String(12), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ranking_runs.id"))
    change_seq: Mapped[int] = mapped_column(Integer, default=1)
    ranked_seq: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When the list's entries, overrides or reference data last changed."""
    served_at: Mapped[datetime | None] = mapped_column()
    """When ``run_id`` started serving the list."""


class RankingRunList(Base):
    """One list a run ranked: its size and the columns the equity report reads.

    ``report_columns`` holds the list's entries as compact arrays (clock start, IMD decile,
    ethnic group, inclusion groups, priority, parked) so the equity report is served from
    what the run already computed, without loading the PTL again.
    """

    __tablename__ = "ranking_run_lists"
    __table_args__ = (
        Index(
            "ix_ranking_run_lists_list",
            "provider_code",
            "treatment_function_code",
            "pathway_stage",
            "run_id",
        ),
    )

    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("ranking_runs.id"), primary_key=True)
    treatment_function_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    pathway_stage: Mapped[str] = mapped_column(String(12), primary_key=True)
    provider_code: Mapped[str] = mapped_column(String(5))
    entry_count: Mapped[int] = mapped_column(Integer)
    parked_count: Mapped[int] = mapped_column(Integer)
    report_columns: Mapped[bytes] = mapped_column(LargeBinary)


class RankingOverride(Base):
    """A clinician's instruction for one pathway, applied by every run until it expires."""

    __tablename__ = "ranking_overrides"
    __table_args__ = (
        CheckConstraint("kind IN ('pin_ahead', 'hold_back', 'adjust_uplift')", name="kind"),
        Index("ix_ranking_overrides_pathway", "provider_code", "pathway_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_code: Mapped[str] = mapped_column(String(5))
    pathway_id: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(13))
    days: Mapped[float | None] = mapped_column(Float)
    """Uplift adjustment in days (adjust_uplift only; may be negative)."""
    reason: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class RankingResult(Base):
    """One entry's place in one run, with its inputs as they were (up to 1M rows per run).

    ``rank`` is 1..list_size within (provider, treatment function, stage) and 0 when parked;
    ``list_position`` equals ``rank`` for ranked entries and numbers parked entries after
    them (by pathway id), so (specialty, stage, list_position) is a unique keyset order.
    Component columns are in days and sum to ``score``.
    """

    __tablename__ = "ranking_results"
    __table_args__ = (
        Index(
            "ix_ranking_results_list",
            "run_id",
            "provider_code",
            "treatment_function_code",
            "pathway_stage",
            "list_position",
        ),
    )

    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("ranking_runs.id"), primary_key=True)
    pathway_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigId)
    provider_code: Mapped[str] = mapped_column(String(5))
    treatment_function_code: Mapped[str] = mapped_column(String(3))
    pathway_stage: Mapped[str] = mapped_column(String(12))
    priority_code: Mapped[str] = mapped_column(String(4))
    """The code ranked by (a blank input code shows the code it defaulted to)."""
    priority_defaulted: Mapped[bool] = mapped_column(Boolean)
    site_code: Mapped[str | None] = mapped_column(String(9))
    list_size: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer)
    list_position: Mapped[int] = mapped_column(Integer)
    conventional_rank: Mapped[int] = mapped_column(Integer)
    wait_days: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    wait: Mapped[float] = mapped_column(Float)
    deprivation: Mapped[float] = mapped_column(Float)
    ethnicity: Mapped[float] = mapped_column(Float)
    core20: Mapped[float] = mapped_column(Float)
    inclusion: Mapped[float] = mapped_column(Float)
    clinical_area: Mapped[float] = mapped_column(Float)
    cap: Mapped[float] = mapped_column(Float)
    override: Mapped[float] = mapped_column(Float)
    uplift_uncapped: Mapped[float] = mapped_column(Float)
    cap_days: Mapped[float] = mapped_column(Float)
    protected: Mapped[bool] = mapped_column(Boolean)
    protection_reason: Mapped[str] = mapped_column(String(40))
    capped: Mapped[bool] = mapped_column(Boolean)
    parked: Mapped[bool] = mapped_column(Boolean)
    parked_reason: Mapped[str] = mapped_column(String(20))
    rule_set_key: Mapped[str] = mapped_column(String(7))
    rule_set_version: Mapped[str] = mapped_column(String(64))
    rule_version_id: Mapped[int | None] = mapped_column(BigId)
    override_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ranking_overrides.id"))
    override_kind: Mapped[str] = mapped_column(String(13))
    override_status: Mapped[str] = mapped_column(String(20))
    # The inputs as they were at the run.
    rtt_clock_start: Mapped[date] = mapped_column(Date)
    imd_decile: Mapped[int | None] = mapped_column(SmallInteger)
    imd_measure_decile: Mapped[int | None] = mapped_column(SmallInteger)
    """Decile of the IMD measure the deprivation rule used (overall or one domain)."""
    imd_source: Mapped[str] = mapped_column(String(10))
    imd_edition: Mapped[str | None] = mapped_column(String(20))
    ethnic_category: Mapped[str] = mapped_column(String(2))
    ethnic_group: Mapped[str] = mapped_column(String(20))
    inclusion_groups: Mapped[str] = mapped_column(String(400))
    clinical_areas: Mapped[str] = mapped_column(String(400))
    rtt_status: Mapped[str | None] = mapped_column(String(2))
    priority_set_date: Mapped[date | None] = mapped_column(Date)
