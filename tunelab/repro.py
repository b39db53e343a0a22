"""Reproducibility: seed every random source at once, and report results over several seeds.

:func:`seed_everything` seeds Python's ``random``, NumPy's legacy global state and, when it is
installed, PyTorch on the CPU and every CUDA device, and switches PyTorch to deterministic
kernels. It returns what it set and what it could not (torch missing, the running interpreter's
hash seed), and notes the seed so every run tracked afterwards records it in its environment.
:func:`repeat` runs a function under several seeds and reports mean ± std with a 95% Student-t
interval, because one seed can be lucky; with ``track=True`` each seed is a tracked run.

Example:
    >>> import random
    >>> report = seed_everything(7, deterministic=False)
    >>> a = random.random(); _ = seed_everything(7, deterministic=False)
    >>> a == random.random()
    True
"""

from __future__ import annotations

import contextvars
import importlib.util
import inspect
import math
import os
import random
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RepeatResult", "SeedReport", "repeat", "seed_everything"]

_MAX_SEED = 2**32 - 1
_CUBLAS = ":4096:8"


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What :func:`seed_everything` set, and what it could not set with the reason.

    Example:
        >>> r = SeedReport(seed=1, set=("random",), not_set={"torch": "not installed"})
        >>> "random" in r.set
        True
    """

    seed: int
    set: tuple[str, ...]
    not_set: dict[str, str] = field(default_factory=dict)


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"`seed` must be an int in [0, 2**32 - 1], got {seed!r}.")
    return int(seed)


def _seed_python_and_numpy(seed: int, done: list[str], skipped: dict[str, str]) -> None:
    import numpy as np

    random.seed(seed)
    done.append("random")
    np.random.seed(seed)
    done.append("numpy.random (legacy global state)")
    wanted = str(seed)
    os.environ["PYTHONHASHSEED"] = wanted
    if sys.flags.hash_randomization:
        skipped["PYTHONHASHSEED"] = (
            f"set to {wanted} for child processes only; this interpreter's str/bytes hash seed is "
            f"fixed at start-up (run `PYTHONHASHSEED={wanted} python ...` to fix it here too)"
        )
    else:
        done.append("PYTHONHASHSEED (hash randomisation already off in this interpreter)")


def _seed_torch(seed: int, deterministic: bool, done: list[str], skipped: dict[str, str]) -> None:
    if importlib.util.find_spec("torch") is None:
        skipped["torch"] = "not installed"
        return
    import torch

    torch.manual_seed(seed)
    done.append("torch (CPU)")
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
        done.append(f"torch.cuda (all {torch.cuda.device_count()} devices)")
    else:
        skipped["torch.cuda"] = "no CUDA device available"
    if not deterministic:
        return
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    done.append("torch.backends.cudnn.deterministic=True, benchmark=False")
    torch.use_deterministic_algorithms(True)
    done.append("torch.use_deterministic_algorithms(True)")


def seed_everything(seed: int, deterministic: bool = True) -> SeedReport:
    """Seed Python, NumPy and (if installed) PyTorch; optionally force deterministic kernels.

    Sets ``random.seed``, ``numpy.random.seed`` (the legacy global state that scikit-learn uses
    when ``random_state=None``), ``PYTHONHASHSEED`` for child processes, ``torch.manual_seed``
    and ``torch.cuda.manual_seed_all``. With ``deterministic=True`` it also sets
    ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` (needed by deterministic cuBLAS; it only takes effect
    before CUDA starts), ``torch.backends.cudnn.deterministic=True``, ``benchmark=False`` and
    ``torch.use_deterministic_algorithms(True)``, which makes non-deterministic PyTorch
    operations raise instead of silently varying. torch is imported only if installed. The seed
    is also noted for experiment tracking: runs started afterwards record it in their
    environment (``env["seed"]``).

    Args:
        seed: An int in ``[0, 2**32 - 1]``.
        deterministic: Also switch to deterministic kernels (slower on GPU); False only seeds.

    Returns:
        A :class:`SeedReport` of what was set and what was not, with reasons.

    Example:
        >>> import numpy as np
        >>> _ = seed_everything(3, deterministic=False); a = np.random.rand()
        >>> _ = seed_everything(3, deterministic=False); a == np.random.rand()
        True
    """
    seed = _check_seed(seed)
    if not isinstance(deterministic, bool):
        raise TypeError(f"`deterministic` must be True or False, got {deterministic!r}.")
    done: list[str] = []
    skipped: dict[str, str] = {}
    _seed_python_and_numpy(seed, done, skipped)
    if deterministic:
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = _CUBLAS
        done.append(f"CUBLAS_WORKSPACE_CONFIG={_CUBLAS}")
    _seed_torch(seed, deterministic, done, skipped)
    from tunelab.track.env import note_seed  # lazily: importing tunelab.repro stays cheap

    note_seed(seed)
    return SeedReport(seed=seed, set=tuple(done), not_set=skipped)


@dataclass(frozen=True, slots=True)
class RepeatResult:
    """Per-seed values of :func:`repeat` with mean, sample std (ddof=1) and a 95% t interval.

    ``run_ids`` holds each seed's tracked run (in the order of ``seeds``) and ``group`` the
    group they share; both are empty/None when tracking was off.

    Example:
        >>> r = RepeatResult(seeds=(1, 2), values=(0.5, 0.7), mean=0.6, std=0.1414, ci95=(0.0, 1.0))
        >>> r.mean
        0.6
    """

    seeds: tuple[int, ...]
    values: tuple[float, ...]
    mean: float
    std: float
    ci95: tuple[float, float]
    run_ids: tuple[str, ...] = ()
    group: str | None = None

    def __str__(self) -> str:
        return (f"{self.mean:.4f} ± {self.std:.4f} (95% CI {self.ci95[0]:.4f} – {self.ci95[1]:.4f}, "
                f"{len(self.seeds)} seeds)")


def _call(fn: Callable[..., Any], seed: int) -> float:
    try:
        takes_seed = bool(inspect.signature(fn).parameters)
    except (TypeError, ValueError):  # builtins without a signature
        takes_seed = True
    value = fn(seed) if takes_seed else fn()
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"`fn` must return a number, got {value!r} for seed {seed}.") from None
    if not math.isfinite(number):
        raise ValueError(f"`fn` returned {number!r} for seed {seed}; only finite values can be averaged.")
    return number


def _check_tracking(track: Any, project: Any, storage: Any) -> None:
    if not isinstance(track, bool):
        raise TypeError(f"`track` must be True or False, got {track!r}.")
    if project is not None and (not isinstance(project, str) or not project.strip()):
        raise ValueError(f"`project` must be a non-empty str or None, got {project!r}.")
    if not track and (project is not None or storage is not None):
        raise ValueError(f"`project` and `storage` are only used with track=True, got track=False with "
                         f"project={project!r}, storage={storage!r}; pass track=True to record each seed.")


def _tracked_call(fn: Callable[..., Any], seed: int, deterministic: bool, project: str, group: str,
                  storage: Any) -> tuple[float, str]:
    """Seed, then run ``fn`` inside a run of its own; an exception marks the run failed and propagates."""
    from tunelab.track.api import init

    seed_everything(seed, deterministic=deterministic)  # first, so the run's environment records the seed
    with init(project, name=f"seed-{seed}", config={"seed": seed, "deterministic": deterministic},
              group=group, storage=storage) as run:
        value = _call(fn, seed)
        run.log({"value": value})
    return value, run.id


def repeat(
    fn: Callable[..., float],
    seeds: Sequence[int] = (42, 123, 456, 789, 1024),
    deterministic: bool = True,
    *,
    track: bool = False,
    project: str | None = None,
    storage: Any = None,
) -> RepeatResult:
    """Run ``fn`` once per seed, each run under :func:`seed_everything`, and summarise.

    With ``track=True`` each seed runs inside its own tracked run (:func:`tunelab.init`) named
    ``seed-<seed>``, with config ``{"seed": seed, "deterministic": ...}``, all runs sharing one
    ``group`` (``repeat-<8 hex digits>``); the returned value is logged as the metric ``value``
    and anything ``fn`` logs with :func:`tunelab.log` goes to that seed's run. If ``fn`` raises,
    its run is marked failed with the traceback and the exception propagates. Tracking is only
    on when asked for, never implied by an active run: ``repeat`` logs nothing to the caller's
    run, which is the current run again once the seeds' runs are over.

    Args:
        fn: ``fn(seed) -> float`` (or ``fn() -> float``); pass the seed on to models that take a
            ``random_state``.
        seeds: Distinct ints; at least two for a standard deviation.
        deterministic: Passed to :func:`seed_everything`.
        track: Record each seed as a run (see above).
        project: The project of the runs (``track=True`` only); None means ``"repeat"``.
        storage: The store of the runs (``track=True`` only): a URL, path, ``":memory:"`` or a
            Storage; None is the default store (``$TUNELAB_HOME``).

    Returns:
        A :class:`RepeatResult` with ``mean``, ``std`` (ddof=1), ``ci95`` =
        ``mean ± t_{0.975, n-1} · std / sqrt(n)`` and, when tracked, ``run_ids`` and ``group``.

    Raises:
        ValueError, TypeError: Bad ``seeds``, ``fn``, ``track`` or ``project``, before any run; or
            ``fn`` returned something that is not a finite number.

    Example:
        >>> import random
        >>> result = repeat(lambda seed: random.random(), seeds=(1, 2, 3), deterministic=False)
        >>> result.values == repeat(lambda s: random.random(), seeds=(1, 2, 3), deterministic=False).values
        True
        >>> from tunelab.storage.memory import InMemoryStorage
        >>> tracked = repeat(lambda seed: seed / 10, seeds=(1, 2), deterministic=False, track=True,
        ...                  project="doc", storage=InMemoryStorage())
        >>> len(tracked.run_ids), tracked.group.startswith("repeat-")
        (2, True)
    """
    from tunelab._stats import mean_std_ci

    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds:
        raise ValueError(f"`seeds` must be a non-empty sequence of ints, got {seeds!r}.")
    checked = tuple(_check_seed(s) for s in seeds)
    if len(set(checked)) != len(checked):
        raise ValueError(f"`seeds` must be distinct, got {list(seeds)!r}.")
    if not callable(fn):
        raise TypeError(f"`fn` must be callable as fn(seed), got {fn!r}.")
    _check_tracking(track, project, storage)
    values: list[float] = []
    run_ids: list[str] = []
    group = store = None
    if track:
        from tunelab.track.api import open_storage

        group = f"repeat-{uuid.uuid4().hex[:8]}"
        store = open_storage(storage)  # one store for every seed (":memory:" included)
    for seed in checked:
        if group is not None:
            # A copied context keeps the caller's current run current after each seed's run ends.
            value, run_id = contextvars.copy_context().run(
                _tracked_call, fn, seed, deterministic, project or "repeat", group, store)
            run_ids.append(run_id)
        else:
            seed_everything(seed, deterministic=deterministic)
            value = _call(fn, seed)
        values.append(value)
    mean, std, ci = mean_std_ci(values)
    return RepeatResult(seeds=checked, values=tuple(values), mean=mean, std=std, ci95=ci,
                        run_ids=tuple(run_ids), group=group)
