"""Experiment tracking: runs, their metrics (one packed row per step), artifacts and alerts.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _run_fk(table: str) -> sa.Column[int]:  # deleted with its run
    return sa.Column("run_pk", sa.Integer,
                     sa.ForeignKey("runs.id", ondelete="CASCADE", name=f"fk_{table}_run_pk_runs"), nullable=False)


def upgrade() -> None:
    """Add ``runs``, ``metric_names``, ``run_metrics``, ``run_artifacts`` and ``run_alerts``."""
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("project", sa.String(512), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("config_json", sa.Text, nullable=False),
        sa.Column("tags_json", sa.Text, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("group_name", sa.String(512), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float, nullable=True),
        sa.Column("heartbeat_at", sa.Float, nullable=True),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("env_json", sa.Text, nullable=False),
        sa.Column("summary_json", sa.Text, nullable=False),
        sa.Column("study_name", sa.String(512), nullable=True),
        sa.Column("trial_number", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.UniqueConstraint("run_id", name="uq_runs_run_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_runs_project_created_at", "runs", ["project", "created_at"])
    op.create_index("ix_runs_state", "runs", ["state"])
    op.create_table(
        "metric_names",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(512), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metric_names"),
        sa.UniqueConstraint("name", name="uq_metric_names_name"),
    )
    op.create_table(
        "run_metrics",
        _run_fk("run_metrics"),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("part", sa.Integer, nullable=False),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("run_pk", "step", "part", name="pk_run_metrics"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "run_artifacts",
        sa.Column("id", sa.Integer, primary_key=True),
        _run_fk("run_artifacts"),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("relpath", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_run_artifacts"),
    )
    op.create_index("ix_run_artifacts_run_pk", "run_artifacts", ["run_pk"])
    op.create_table(
        "run_alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        _run_fk("run_alerts"),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("time", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_run_alerts"),
    )
    op.create_index("ix_run_alerts_run_pk", "run_alerts", ["run_pk"])


def downgrade() -> None:
    """Drop the tracking tables (children first)."""
    op.drop_index("ix_run_alerts_run_pk", table_name="run_alerts")
    op.drop_table("run_alerts")
    op.drop_index("ix_run_artifacts_run_pk", table_name="run_artifacts")
    op.drop_table("run_artifacts")
    op.drop_table("run_metrics")
    op.drop_table("metric_names")
    op.drop_index("ix_runs_state", table_name="runs")
    op.drop_index("ix_runs_project_created_at", table_name="runs")
    op.drop_table("runs")
