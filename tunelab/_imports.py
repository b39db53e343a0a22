"""Lazy imports of optional dependencies, with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import ``module`` or raise an ImportError telling which tunelab extra provides it.

    Example:
        >>> require("json", extra="core", feature="tunelab").__name__
        'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.split(".")[0]
        raise ImportError(
            f"{feature} needs {top}: pip install 'tunelab[{extra}]'"
        ) from err
