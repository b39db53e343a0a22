"""Alembic environment of the tunelab store: runs on the connection tunelab hands over.

tunelab never shells out to the ``alembic`` command: :mod:`tunelab.storage.sql` builds an
``alembic.config.Config`` whose ``script_location`` is this folder and passes its open
connection (already inside a locked transaction) in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from tunelab.storage._schema import metadata

__all__: list[str] = []


def _run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "tunelab migrations run on a connection passed in config.attributes['connection']; "
            "open the store with tunelab.get_storage(url) instead of calling alembic directly."
        )
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if getattr(context, "_proxy", None) is not None:  # inside alembic; a plain import (pytest) is a no-op
    _run()
