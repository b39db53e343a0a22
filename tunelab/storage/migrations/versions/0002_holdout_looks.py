"""Looks at sealed hold-out sets: one row per evaluation, found by set name or data fingerprint.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``holdout_looks`` and its two lookup indexes."""
    op.create_table(
        "holdout_looks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("data_fingerprint", sa.String(128), nullable=True),
        sa.Column("time", sa.Float, nullable=True),
        sa.Column("look_json", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_holdout_looks"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_holdout_looks_name", "holdout_looks", ["name"])
    op.create_index("ix_holdout_looks_data_fingerprint", "holdout_looks", ["data_fingerprint"])


def downgrade() -> None:
    """Drop ``holdout_looks``."""
    op.drop_index("ix_holdout_looks_data_fingerprint", table_name="holdout_looks")
    op.drop_index("ix_holdout_looks_name", table_name="holdout_looks")
    op.drop_table("holdout_looks")
