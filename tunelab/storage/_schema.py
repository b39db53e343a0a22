"""The tables of the SQL store, as SQLAlchemy Core metadata (the schema at ``SCHEMA_HEAD``).

This module describes the *current* schema; ``storage/migrations/versions/`` holds the
alembic revisions that build it step by step, and a test checks that the two agree. Change
both together: add a revision, then edit the tables here and bump :data:`SCHEMA_HEAD`.

Layout (times are wall-clock epoch seconds, JSON columns are ``json.dumps(allow_nan=True)``):

* ``meta`` — one row (``id = 1``): ``schema_version``, ``created_with`` and
  ``last_opened_with`` (tunelab versions), so a refusal can say which tunelab wrote a store.
* ``studies`` — ``name`` unique; ``next_trial_number`` is the per-study counter trial
  numbers are taken from, in the transaction that inserts the trial.
* ``study_attrs``, ``study_distributions`` (one distribution per parameter name and study).
* ``trials`` — ``unique(study_id, number)``, index ``(study_id, state)``; ``owner`` is
  ``host:pid`` and ``heartbeat`` the last sign of life of a RUNNING trial.
* ``trial_params``, ``trial_intermediate`` (NULL stands for NaN), ``trial_attrs``.
* ``holdout_looks`` (revision 0002) — every look at a sealed hold-out set, as JSON, findable
  by the set's name or its data fingerprint.

Runs, metrics and artifacts (experiment tracking) will be added by a later revision as tables
of their own that reference ``trials.id``; nothing here needs to change for that.

Example:
    >>> sorted(metadata.tables)[:3]
    ['holdout_looks', 'meta', 'studies']
    >>> SCHEMA_HEAD
    '0002'
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "SCHEMA_HEAD",
    "holdout_looks",
    "meta",
    "metadata",
    "studies",
    "study_attrs",
    "study_distributions",
    "trial_attrs",
    "trial_intermediate",
    "trial_params",
    "trials",
]

#: The alembic revision this tunelab writes; a store at another known revision is upgraded.
SCHEMA_HEAD = "0002"

_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=_NAMING)

meta = Table(
    "meta", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("schema_version", String(64), nullable=False),
    Column("created_with", String(64), nullable=False),
    Column("last_opened_with", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

studies = Table(
    "studies", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(512), nullable=False, unique=True),
    Column("direction", String(16), nullable=False),
    Column("created", Float, nullable=False),
    Column("next_trial_number", Integer, nullable=False, server_default="0"),
    sqlite_autoincrement=True,  # ids are never reused: the in-process caches key on them
)

study_attrs = Table(
    "study_attrs", metadata,
    Column("study_id", Integer, ForeignKey("studies.id", ondelete="CASCADE"), primary_key=True),
    Column("system", Boolean, primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("value_json", Text, nullable=False),
)

study_distributions = Table(
    "study_distributions", metadata,
    Column("study_id", Integer, ForeignKey("studies.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(512), primary_key=True),
    Column("distribution_json", Text, nullable=False),
)

trials = Table(
    "trials", metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", Integer, ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("value", Float, nullable=True),
    Column("error", Text, nullable=True),
    Column("datetime_start", Float, nullable=True),
    Column("datetime_complete", Float, nullable=True),
    Column("owner", String(255), nullable=True),
    Column("heartbeat", Float, nullable=True),
    UniqueConstraint("study_id", "number"),
    Index(None, "study_id", "state"),
    sqlite_autoincrement=True,
)

trial_params = Table(
    "trial_params", metadata,
    Column("trial_id", Integer, ForeignKey("trials.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(512), primary_key=True),
    Column("value_json", Text, nullable=False),
    Column("distribution_json", Text, nullable=False),
)

trial_intermediate = Table(
    "trial_intermediate", metadata,
    Column("trial_id", Integer, ForeignKey("trials.id", ondelete="CASCADE"), primary_key=True),
    Column("step", Integer, primary_key=True, autoincrement=False),
    Column("value", Float, nullable=True),
)

trial_attrs = Table(
    "trial_attrs", metadata,
    Column("trial_id", Integer, ForeignKey("trials.id", ondelete="CASCADE"), primary_key=True),
    Column("system", Boolean, primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("value_json", Text, nullable=False),
)

holdout_looks = Table(
    "holdout_looks", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(512), nullable=False, index=True),
    Column("data_fingerprint", String(128), nullable=True, index=True),
    Column("time", Float, nullable=True),
    Column("look_json", Text, nullable=False),
    sqlite_autoincrement=True,
)
