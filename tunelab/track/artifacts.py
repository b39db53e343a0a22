"""Artifacts of a run: files, folders, figures and fitted models, stored content-addressed.

Each artifact is one file ``<root>/<sha[:2]>/<sha>`` where ``root`` is the store's
:meth:`~tunelab.storage.base.Storage.artifact_root` (``artifacts/`` beside a SQLite file),
``~/.tunelab/artifacts`` for other shared stores and a temporary folder for in-memory ones.
Identical content is stored once. A folder becomes a reproducible tar archive (sorted
members, zeroed times), a matplotlib figure a PNG, a plotly figure its JSON, any other
object a joblib pickle (``kind="model"``).

Example:
    >>> import tempfile, pathlib
    >>> from tunelab.storage.memory import InMemoryStorage
    >>> store = InMemoryStorage()
    >>> rid = store.create_run("p", name="n", config={})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = path.write_text("hello")
    >>> info = save_artifact(store, rid, path)
    >>> info["name"], info["kind"], info["size"]
    ('notes.txt', 'file', 5)
    >>> artifact_path(store, info).read_text()
    'hello'
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from tunelab.exceptions import TrackingError
from tunelab.settings import home
from tunelab.storage.base import Storage

__all__ = ["artifact_path", "artifact_root", "save_artifact"]

_KINDS = ("file", "dir", "figure", "model")
_TEMP_ROOTS: dict[int, Path] = {}


def artifact_root(storage: Storage) -> Path:
    """The folder the store's artifact files live in.

    Example:
        >>> from tunelab.storage.memory import InMemoryStorage
        >>> artifact_root(InMemoryStorage()).is_dir()
        True
    """
    root = storage.artifact_root()
    if root is not None:
        return Path(str(root))
    if storage.shareable:
        return home() / "artifacts"
    key = id(storage)
    if key not in _TEMP_ROOTS:
        _TEMP_ROOTS[key] = Path(tempfile.mkdtemp(prefix="tunelab-artifacts-"))
    return _TEMP_ROOTS[key]


def artifact_path(storage: Storage, info: dict[str, Any]) -> Path:
    """Where the file of an artifact (a row of ``list_artifacts``) is.

    Example:
        >>> from tunelab.storage.memory import InMemoryStorage
        >>> artifact_path(InMemoryStorage(), {"relpath": "ab/abcd"}).name
        'abcd'
    """
    return artifact_root(storage) / str(info["relpath"])


def _tar_bytes(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(folder.rglob("*")):
            info = tar.gettarinfo(str(path), arcname=str(path.relative_to(folder)))
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if path.is_file():
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
            elif path.is_dir():
                tar.addfile(info)
    return buffer.getvalue()


def _figure_bytes(obj: Any) -> tuple[bytes, str] | None:
    module = type(obj).__module__
    if module.startswith("matplotlib") and hasattr(obj, "savefig"):
        buffer = io.BytesIO()
        obj.savefig(buffer, format="png")
        return buffer.getvalue(), ".png"
    if module.startswith("plotly") and hasattr(obj, "to_json"):
        return str(obj.to_json()).encode(), ".plotly.json"
    return None


def _model_bytes(obj: Any) -> bytes:
    from tunelab._imports import require

    joblib = require("joblib", extra="track", feature="logging a model artifact")
    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    return buffer.getvalue()


def _content(obj: Any, name: str | None) -> tuple[bytes, str, str]:
    """``(bytes, kind, default name)`` of what is logged."""
    if isinstance(obj, (str, os.PathLike)):
        path = Path(obj)
        if path.is_dir():
            return _tar_bytes(path), "dir", path.name
        if path.is_file():
            return path.read_bytes(), "file", path.name
        raise TrackingError(f"`path_or_object` {str(obj)!r} is neither a file nor a folder; check the path.")
    figure = _figure_bytes(obj)
    if figure is not None:
        return figure[0], "figure", f"figure{figure[1]}"
    return _model_bytes(obj), "model", f"{type(obj).__name__}.joblib"


def save_artifact(storage: Storage, run_id: str, obj: Any, name: str | None = None,
                  kind: str | None = None) -> dict[str, Any]:
    """Write ``obj`` content-addressed under the artifact root and record it with the run.

    Args:
        storage: The run's store.
        run_id: The run.
        obj: A file or folder path, a matplotlib/plotly figure, or any object joblib can save.
        name: The artifact's name (default: the file name, ``figure.png``, ``<Class>.joblib``).
        kind: Override the kind (``file``, ``dir``, ``figure``, ``model``).

    Returns:
        The recorded row: name, kind, sha256, size, relpath.

    Example:
        >>> from tunelab.storage.memory import InMemoryStorage
        >>> store = InMemoryStorage()
        >>> rid = store.create_run("p", name="n", config={})
        >>> save_artifact(store, rid, {"weights": [1, 2]}, name="model")["kind"]
        'model'
    """
    if kind is not None and kind not in _KINDS:
        raise TrackingError(f"`kind` must be one of {_KINDS} or None, got {kind!r}.")
    data, found_kind, default_name = _content(obj, name)
    sha = hashlib.sha256(data).hexdigest()
    relpath = f"{sha[:2]}/{sha}"
    target = artifact_root(storage) / relpath
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    info: dict[str, Any] = {"name": name or default_name, "kind": kind or found_kind, "sha256": sha,
                            "size": len(data), "relpath": relpath}
    storage.add_artifact(run_id, name=info["name"], kind=info["kind"], sha256=sha, size=len(data), relpath=relpath)
    return info
