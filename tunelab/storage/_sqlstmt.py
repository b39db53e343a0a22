"""The statements :class:`~tunelab.storage.sql.SQLStorage` runs on every call, built once per dialect.

Building a Core statement costs more than running a cached one, so the hot ones are made here
with bound parameters (``:sid``, ``:tid``, ``:ids``) and reused. Upserts use the dialect's
``INSERT … ON CONFLICT`` on SQLite and PostgreSQL and a delete-then-insert elsewhere.

Example:
    >>> from sqlalchemy import create_engine
    >>> dialect = create_engine("sqlite://").dialect
    >>> "FOR UPDATE" in str(Statements(dialect).lock_trial.compile(dialect=dialect))  # BEGIN IMMEDIATE instead
    False
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.elements import BindParameter

from tunelab.storage._schema import (
    studies,
    study_distributions,
    trial_attrs,
    trial_intermediate,
    trial_params,
    trials,
)
from tunelab.trial import TrialState

__all__ = ["Statements"]

_RUNNING = TrialState.RUNNING.value
_WAITING = TrialState.WAITING.value


class Statements:
    """Prepared Core statements and the dialect-specific upsert / insert-or-ignore.

    Example:
        >>> from sqlalchemy import create_engine
        >>> Statements(create_engine("sqlite://").dialect).dialect
        'sqlite'
    """

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect.name
        self._returning = bool(getattr(dialect, "update_returning", False))
        ids: BindParameter[Any] = bindparam("ids", expanding=True)
        sid: BindParameter[Any] = bindparam("sid")
        tid: BindParameter[Any] = bindparam("tid")
        self.study = select(studies.c.id, studies.c.name, studies.c.direction).where(studies.c.id == sid)
        self.bump = update(studies).where(studies.c.id == sid).values(
            next_trial_number=studies.c.next_trial_number + 1)
        self.counter = select(studies.c.next_trial_number).where(studies.c.id == sid)
        waiting = (select(trials.c.id, trials.c.number)
                   .where(trials.c.study_id == sid, trials.c.state == _WAITING)
                   .order_by(trials.c.number).limit(1))
        self.first_waiting = waiting
        self.claim_waiting = waiting.with_for_update(skip_locked=True)
        self.lock_trial = (select(trials.c.state, trials.c.study_id, trials.c.number)
                           .where(trials.c.id == tid).with_for_update())
        self.study_distribution = select(study_distributions.c.distribution_json).where(
            study_distributions.c.study_id == sid, study_distributions.c.name == bindparam("name"))
        self.beat = update(trials).where(trials.c.id.in_(ids), trials.c.state == _RUNNING).values(
            heartbeat=bindparam("now"))
        self.running_owners = select(trials.c.id, trials.c.owner, trials.c.heartbeat).where(
            trials.c.study_id == sid, trials.c.state == _RUNNING)
        self.trial_states = (select(trials.c.id, trials.c.state).where(trials.c.study_id == sid)
                             .order_by(trials.c.number))
        self.trials_by_ids = select(trials).where(trials.c.id.in_(ids)).order_by(trials.c.number)
        self.params_by_ids = select(trial_params.c.trial_id, trial_params.c.name, trial_params.c.value_json,
                                    trial_params.c.distribution_json).where(trial_params.c.trial_id.in_(ids))
        self.intermediate_by_ids = (
            select(trial_intermediate.c.trial_id, trial_intermediate.c.step, trial_intermediate.c.value)
            .where(trial_intermediate.c.trial_id.in_(ids)).order_by(trial_intermediate.c.step))
        self.attrs_by_ids = select(trial_attrs.c.trial_id, trial_attrs.c.system, trial_attrs.c.key,
                                   trial_attrs.c.value_json).where(trial_attrs.c.trial_id.in_(ids))
        self._upserts: dict[str, Any] = {}
        self._ignores: dict[str, Any] = {}
        self._guarded: dict[tuple[str, tuple[str, ...]], Any] = {}
        if self._returning:
            self.bump = self.bump.returning(studies.c.next_trial_number)

    def next_number(self, conn: Connection, study_id: int) -> int | None:
        """Take the study's next trial number (inside the caller's write transaction), or None.

        Example:
            >>> from sqlalchemy import create_engine
            >>> from tunelab.storage._migrate import migrate
            >>> with create_engine("sqlite://").begin() as conn:
            ...     _ = migrate(conn, "memory")
            ...     Statements(conn.dialect).next_number(conn, 1) is None
            True
        """
        if self._returning:
            taken = conn.execute(self.bump, {"sid": study_id}).scalar()
        else:
            if conn.execute(self.bump, {"sid": study_id}).rowcount != 1:
                return None
            taken = conn.execute(self.counter, {"sid": study_id}).scalar()
        return None if taken is None else int(taken) - 1

    def _dialect_insert(self, table: Table) -> Any:
        if self.dialect == "sqlite":
            from sqlalchemy.dialects import sqlite

            return sqlite.insert(table)
        if self.dialect == "postgresql":
            from sqlalchemy.dialects import postgresql

            return postgresql.insert(table)
        return None

    def upsert(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` into ``table``, replacing rows with the same primary key.

        Example:
            >>> from sqlalchemy import create_engine
            >>> from tunelab.storage._migrate import migrate
            >>> from tunelab.storage._schema import meta
            >>> with create_engine("sqlite://").begin() as conn:
            ...     _ = migrate(conn, "memory")
            ...     row = {"id": 1, "schema_version": "x", "created_with": "a", "last_opened_with": "b"}
            ...     Statements(conn.dialect).upsert(conn, meta, [row])
            ...     conn.execute(select(meta.c.schema_version)).scalar()
            'x'
        """
        keys = [c.name for c in table.primary_key.columns]
        stmt = self._upserts.get(table.name)
        if stmt is None:
            base = self._dialect_insert(table)
            if base is not None:
                rest = {c.name: base.excluded[c.name] for c in table.columns if c.name not in keys}
                stmt = base.on_conflict_do_update(index_elements=keys, set_=rest)
                self._upserts[table.name] = stmt
        if stmt is not None:
            conn.execute(stmt, rows)
            return
        for row in rows:
            conn.execute(delete(table).where(and_(*(table.c[k] == row[k] for k in keys))))
        conn.execute(insert(table), rows)

    def guarded_upsert(self, conn: Connection, table: Table, row: dict[str, Any], states: tuple[str, ...]) -> bool:
        """Upsert a row of a trial's child ``table`` only if the trial is in ``states``; True if done.

        One statement (``INSERT … SELECT … WHERE EXISTS (trial in states) ON CONFLICT …``) that
        also locks the trial row on PostgreSQL, so a concurrent ``finish_trial`` cannot slip in.

        Example:
            >>> from sqlalchemy import create_engine
            >>> from tunelab.storage._migrate import migrate
            >>> with create_engine("sqlite://").begin() as conn:
            ...     _ = migrate(conn, "memory")
            ...     row = {"trial_id": 7, "step": 0, "value": 1.0}
            ...     Statements(conn.dialect).guarded_upsert(conn, trial_intermediate, row, ("RUNNING",))
            False
        """
        key = (table.name, states)
        stmt = self._guarded.get(key)
        if stmt is None:
            base = self._dialect_insert(table)
            if base is None:  # generic SQL: lock the trial row, then replace
                found = conn.execute(self.lock_trial, {"tid": row["trial_id"]}).first()
                if found is None or found.state not in states:
                    return False
                self.upsert(conn, table, [row])
                return True
            keys = [c.name for c in table.primary_key.columns]
            guard = (select(trials.c.id)
                     .where(trials.c.id == bindparam("guard_tid"), trials.c.state.in_(states))
                     .with_for_update().exists())
            source = select(*(bindparam(c.name, type_=c.type) for c in table.columns)).where(guard)
            stmt = base.from_select([c.name for c in table.columns], source)
            stmt = stmt.on_conflict_do_update(
                index_elements=keys, set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys},
            ).execution_options(preserve_rowcount=True)  # INSERT rowcounts are not kept by default
            self._guarded[key] = stmt
        return bool(conn.execute(stmt, {**row, "guard_tid": row["trial_id"]}).rowcount)

    def insert_ignore(self, conn: Connection, table: Table, row: dict[str, Any]) -> None:
        """Insert ``row`` unless a row with its primary key exists (another process won the race).

        Example:
            >>> from sqlalchemy import create_engine
            >>> from tunelab.storage._migrate import migrate
            >>> from tunelab.storage._schema import meta
            >>> with create_engine("sqlite://").begin() as conn:
            ...     _ = migrate(conn, "memory")
            ...     row = {"id": 1, "schema_version": "x", "created_with": "a", "last_opened_with": "b"}
            ...     Statements(conn.dialect).insert_ignore(conn, meta, row)  # the row with id 1 exists
            ...     conn.execute(select(meta.c.schema_version)).scalar() != "x"
            True
        """
        stmt = self._ignores.get(table.name)
        if stmt is None:
            base = self._dialect_insert(table)
            if base is not None:
                stmt = self._ignores[table.name] = base.on_conflict_do_nothing()
        if stmt is not None:
            conn.execute(stmt, row)
            return
        keys = [c.name for c in table.primary_key.columns]
        exists = conn.execute(select(*table.primary_key.columns).where(
            and_(*(table.c[k] == row[k] for k in keys)))).first()
        if exists is None:
            conn.execute(insert(table), row)
