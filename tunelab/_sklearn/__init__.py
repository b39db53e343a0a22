"""Private helpers of :mod:`tunelab.sklearn`: search-space translation, early checks, results."""

from __future__ import annotations

__all__: list[str] = []
