"""System metrics of a run, sampled in a background thread: CPU, RAM, process RSS, GPUs.

psutil is loaded when the first sample is taken; GPUs are read through pynvml only if it
can be imported (``pip install nvidia-ml-py``). Samples are logged as ``system/...`` metrics.

Example:
    >>> sample = sample_system()
    >>> "system/cpu_percent" in sample and sample["system/rss_mb"] > 0
    True
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["SystemMonitor", "sample_system"]

_MB = 1024.0 * 1024.0


def _gpu_handles() -> tuple[Any, list[Any]]:
    try:
        import pynvml
    except ImportError:
        return None, []
    try:
        pynvml.nvmlInit()
        return pynvml, [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
    except Exception:  # no driver or no device
        return None, []


def sample_system(process: Any = None, gpu: tuple[Any, list[Any]] | None = None) -> dict[str, float]:
    """One sample: ``system/cpu_percent``, ``system/ram_percent``, ``system/ram_used_mb``,
    ``system/rss_mb`` and, per GPU ``i``, ``system/gpu{i}_util_percent`` and ``system/gpu{i}_mem_mb``.

    Example:
        >>> sample_system()["system/ram_percent"] > 0
        True
    """
    import psutil

    proc = process or psutil.Process(os.getpid())
    memory = psutil.virtual_memory()
    sample = {
        "system/cpu_percent": float(psutil.cpu_percent(interval=None)),
        "system/ram_percent": float(memory.percent),
        "system/ram_used_mb": float(memory.used) / _MB,
        "system/rss_mb": float(proc.memory_info().rss) / _MB,
    }
    nvml: Any = gpu[0] if gpu is not None else None
    for i, handle in enumerate(gpu[1] if gpu is not None and nvml is not None else []):
        try:
            sample[f"system/gpu{i}_util_percent"] = float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
            sample[f"system/gpu{i}_mem_mb"] = float(nvml.nvmlDeviceGetMemoryInfo(handle).used) / _MB
        except Exception:  # a GPU that stops answering is skipped
            continue
    return sample


class SystemMonitor:
    """Calls ``sink(sample)`` every ``interval`` seconds from a daemon thread until :meth:`stop`.

    Args:
        sink: Receives each sample dict (the run's internal, never-raising log).
        interval: Seconds between samples (> 0).

    Example:
        >>> got = []
        >>> monitor = SystemMonitor(got.append, interval=0.01)
        >>> monitor.start(); monitor.stop()
        >>> len(got) >= 1
        True
    """

    def __init__(self, sink: Callable[[dict[str, float]], None], interval: float = 5.0) -> None:
        if not interval > 0:
            raise ValueError(f"`interval` must be > 0 seconds, got {interval!r}.")
        self._sink = sink
        self._interval = float(interval)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start sampling (the first sample is taken at once)."""
        self._thread = threading.Thread(target=self._loop, name="tunelab-system", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        try:
            import psutil

            process = psutil.Process(os.getpid())
            psutil.cpu_percent(interval=None)  # primes the counter
            gpu = _gpu_handles()
        except Exception:  # psutil missing or unusable: no system metrics
            return
        while True:
            try:
                self._sink(sample_system(process, gpu))
            except Exception:  # sampling must never disturb the run
                pass
            if self._stop.wait(self._interval):
                return

    def stop(self) -> None:
        """Stop sampling and wait for the thread (at most one interval)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._interval + 1.0)
