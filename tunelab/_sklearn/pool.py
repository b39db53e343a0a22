"""Worker processes that fit the folds of a pruned TuneSearchCV running candidates at once.

One pool per size, kept between searches so nested CV and repeated fits do not pay the start-up
(each worker imports scikit-learn) again; idle workers exit after ``IDLE_SECONDS`` and are
started again on demand. It is loky's executor (robust to crashed workers, pickles with
cloudpickle), but not joblib's shared one: every ``Parallel`` call, e.g. inside a forest's fit
or a scikit-learn search in the same process, reconfigures that.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

__all__ = ["IDLE_SECONDS", "fold_pool"]

IDLE_SECONDS = 300
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
