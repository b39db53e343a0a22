"""The local web dashboard: studies, runs, curves and comparisons in a browser.

Start it with ``tunelab dashboard`` (see ``docs/dashboard.md``) or build the ASGI app yourself
with :func:`create_app`. The web stack (starlette, uvicorn) is the ``dashboard`` extra and is
imported only when the app is built: ``import tunelab.dashboard`` stays cheap.

Example:
    >>> import tunelab.dashboard
    >>> callable(tunelab.dashboard.create_app)
    True
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def create_app(storage: Any, *, token: str | None = None, allow_edits: bool = False) -> Any:
    """Build the dashboard's ASGI app; see :func:`tunelab.dashboard.app.create_app`.

    Example:
        >>> import tunelab
        >>> type(create_app(tunelab.get_storage(":memory:"))).__name__
        'Guard'
    """
    from tunelab.dashboard.app import create_app as build

    return build(storage, token=token, allow_edits=allow_edits)
