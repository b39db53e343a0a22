"""The storage contract, run on every store: in memory, SQLite and PostgreSQL."""

from __future__ import annotations

from tests.contracts.storage_contract import StorageContract


class TestStorageContract(StorageContract):
    """Each test runs once per value of the ``storage`` fixture."""
