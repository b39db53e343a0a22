"""Where tunelab keeps its data, resolved at call time from the environment.

``TUNELAB_HOME`` (default ``~/.tunelab``) holds the default store ``tunelab.db`` and, later,
artifacts. ``TUNELAB_STORAGE`` overrides the default store URL entirely.

Example:
    >>> import os
    >>> os.environ["TUNELAB_HOME"] = "/tmp/tl-doc"
    >>> str(home())
    '/tmp/tl-doc'
    >>> default_storage_url()
    'sqlite:////tmp/tl-doc/tunelab.db'
    >>> del os.environ["TUNELAB_HOME"]
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_storage_url", "home"]

_HOME_ENV = "TUNELAB_HOME"
_STORAGE_ENV = "TUNELAB_STORAGE"


def home() -> Path:
    """Return tunelab's data folder: ``$TUNELAB_HOME``, else ``~/.tunelab``.

    Example:
        >>> home().name in {".tunelab", home().name}
        True
    """
    configured = os.environ.get(_HOME_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".tunelab"


def default_storage_url() -> str:
    """Return the store used when none is given: ``$TUNELAB_STORAGE`` or SQLite in :func:`home`.

    Example:
        >>> default_storage_url().startswith(("sqlite:///", os.environ.get("TUNELAB_STORAGE", "")))
        True
    """
    configured = os.environ.get(_STORAGE_ENV)
    if configured:
        return configured
    return f"sqlite:///{home() / 'tunelab.db'}"
