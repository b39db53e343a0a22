"""Worker processes that fit the folds of a pruned TuneSearchCV running candidates at once.

One pool per size, kept between searches so nested CV and repeated fits do not pay the start-up
(each worker imports scikit-learn) again; idle workers exit after ``IDLE_SECONDS`` and are
started again on demand. It is loky's executor (robust to crashed workers, pickles with
cloudpickle), but not joblib's shared one: every ``Parallel`` call, e.g. inside a forest's fit
or a scikit-learn search in the same process, reconfigures that.

Data of ``SHARE_BYTES`` or more is not pickled with every fold: :func:`shared_data` writes it
once to a temporary folder and the workers memory-map it (read-only), as joblib does for
``Parallel``.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["IDLE_SECONDS", "SHARE_BYTES", "SharedData", "fold_pool", "shared_data"]

IDLE_SECONDS = 300
SHARE_BYTES = 1_000_000
_pools: dict[int, Any] = {}
_lock = threading.Lock()


def fold_pool(workers: int) -> Any:
    """A ``concurrent.futures`` executor with ``workers`` processes, reused between calls.

    Example:
        >>> pool = fold_pool(1)
        >>> pool.submit(divmod, 7, 2).result(), fold_pool(1) is pool
        ((3, 1), True)
    """
    from joblib.externals.loky import ProcessPoolExecutor

    with _lock:
        pool = _pools.get(workers)
        if pool is None or pool._flags.shutdown:  # never made, shut down, or broken by a crashed worker
            if not _pools:
                atexit.register(_shut_down_all)
            pool = _pools[workers] = ProcessPoolExecutor(max_workers=workers, timeout=IDLE_SECONDS)
        return pool


def _shut_down_all() -> None:
    """Stop the workers before the interpreter tears down the modules loky's threads still use."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True)


@dataclass(frozen=True)
class SharedData:
    """``X, y`` written once to ``path``; :meth:`load` memory-maps them (cached per process)."""

    path: str

    def load(self) -> tuple[Any, Any]:
        import joblib

        if _loaded.get("path") != self.path:  # one search at a time per worker: keep the last only
            _loaded.clear()
            _loaded.update(path=self.path, data=joblib.load(self.path, mmap_mode="r"))
        data: tuple[Any, Any] = _loaded["data"]
        return data


_loaded: dict[str, Any] = {}


def _nbytes(obj: Any) -> int:
    """Bytes held by an array, a DataFrame/Series or a sparse matrix; 0 for anything else."""
    if hasattr(obj, "memory_usage"):  # pandas
        usage = obj.memory_usage(deep=False)
        return int(usage.sum() if hasattr(usage, "sum") else usage)
    if hasattr(obj, "indptr"):  # scipy.sparse CSR/CSC
        return int(obj.data.nbytes + obj.indices.nbytes + obj.indptr.nbytes)
    return int(getattr(obj, "nbytes", 0))


@contextmanager
def shared_data(X: Any, y: Any) -> Iterator[SharedData | None]:
    """A :class:`SharedData` of ``X, y`` for the workers while the block runs, or None if they are small.

    Example:
        >>> import numpy as np
        >>> X = np.ones((2000, 100))
        >>> with shared_data(X, None) as handle:
        ...     loaded, _ = handle.load()
        ...     isinstance(loaded, np.memmap), bool((loaded == X).all()), Path(handle.path).exists()
        (True, True, True)
        >>> Path(handle.path).exists()
        False
        >>> with shared_data(np.ones(3), None) as handle:
        ...     handle is None
        True
    """
    if _nbytes(X) + _nbytes(y) < SHARE_BYTES:
        yield None
        return
    import joblib

    folder = tempfile.mkdtemp(prefix="tunelab-folds-")
    try:
        path = str(Path(folder) / "data.joblib")
        joblib.dump((X, y), path)
        yield SharedData(path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
