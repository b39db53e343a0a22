"""Where studies live: the :class:`Storage` interface, an in-memory store and the SQL store.

``SQLStorage`` (SQLAlchemy) and ``InMemoryStorage`` load on first use, so importing this
package stays cheap.

Example:
    >>> import tunelab.storage as storage
    >>> type(storage.get_storage(":memory:")).__name__
    'InMemoryStorage'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from tunelab.storage.base import Storage, StudySummary, get_storage

if TYPE_CHECKING:
    from tunelab.storage.memory import InMemoryStorage
    from tunelab.storage.sql import SQLStorage

__all__ = ["InMemoryStorage", "SQLStorage", "Storage", "StudySummary", "get_storage"]

_LAZY = {"InMemoryStorage": "tunelab.storage.memory", "SQLStorage": "tunelab.storage.sql"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tunelab.storage' has no attribute {name!r}")
