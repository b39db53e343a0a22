"""Initial schema: meta, studies (+ attrs, distributions), trials (+ params, intermediate, attrs).

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _owned(table: str, column: str, parent: str) -> sa.Column[int]:  # deleted with its parent row
    return sa.Column(column, sa.Integer,
                     sa.ForeignKey(f"{parent}.id", ondelete="CASCADE", name=f"fk_{table}_{column}_{parent}"),
                     primary_key=True)


def upgrade() -> None:
    """Create every table of schema 0001."""
    op.create_table(
        "meta",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("schema_version", sa.String(64), nullable=False),
        sa.Column("created_with", sa.String(64), nullable=False),
        sa.Column("last_opened_with", sa.String(64), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_meta_single_row"),
        sa.PrimaryKeyConstraint("id", name="pk_meta"),
    )
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("next_trial_number", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_studies"),
        sa.UniqueConstraint("name", name="uq_studies_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "study_attrs",
        _owned("study_attrs", "study_id", "studies"),
        sa.Column("system", sa.Boolean, primary_key=True),
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("value_json", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("study_id", "system", "key", name="pk_study_attrs"),
    )
    op.create_table(
        "study_distributions",
        _owned("study_distributions", "study_id", "studies"),
        sa.Column("name", sa.String(512), primary_key=True),
        sa.Column("distribution_json", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("study_id", "name", name="pk_study_distributions"),
    )
    op.create_table(
        "trials",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("study_id", sa.Integer,
                  sa.ForeignKey("studies.id", ondelete="CASCADE", name="fk_trials_study_id_studies"),
                  nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("datetime_start", sa.Float, nullable=True),
        sa.Column("datetime_complete", sa.Float, nullable=True),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("heartbeat", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_trials"),
        sa.UniqueConstraint("study_id", "number", name="uq_trials_study_id_number"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_trials_study_id_state", "trials", ["study_id", "state"])
    op.create_table(
        "trial_params",
        _owned("trial_params", "trial_id", "trials"),
        sa.Column("name", sa.String(512), primary_key=True),
        sa.Column("value_json", sa.Text, nullable=False),
        sa.Column("distribution_json", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("trial_id", "name", name="pk_trial_params"),
    )
    op.create_table(
        "trial_intermediate",
        _owned("trial_intermediate", "trial_id", "trials"),
        sa.Column("step", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("trial_id", "step", name="pk_trial_intermediate"),
    )
    op.create_table(
        "trial_attrs",
        _owned("trial_attrs", "trial_id", "trials"),
        sa.Column("system", sa.Boolean, primary_key=True),
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("value_json", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("trial_id", "system", "key", name="pk_trial_attrs"),
    )


def downgrade() -> None:
    """Drop every table of schema 0001 (children first)."""
    for table in ("trial_attrs", "trial_intermediate", "trial_params"):
        op.drop_table(table)
    op.drop_index("ix_trials_study_id_state", table_name="trials")
    for table in ("trials", "study_distributions", "study_attrs", "studies", "meta"):
        op.drop_table(table)
