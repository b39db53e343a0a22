"""The environment a run (or a study) was made in: Python, OS, machine, packages, command, git.

Each part can be switched off. Package versions come from :mod:`importlib.metadata`, so
nothing heavy (torch!) is imported; git is asked once with a timeout, through one
``git status --porcelain=v2 --branch`` call.

Example:
    >>> info = capture_env(git=False)
    >>> {"python", "os", "hostname", "cpu", "packages", "command"} <= set(info)
    True
"""

from __future__ import annotations

import functools
import os
import platform
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["capture_env", "git_info", "note_seed"]

# Distributions whose version is recorded when installed.
_KEY_PACKAGES = ("tunelab", "numpy", "scipy", "scikit-learn", "pandas", "torch", "lightgbm", "xgboost", "jax")

_SEED: list[int] = []


def note_seed(seed: int) -> None:
    """Remember the seed set through tunelab (recorded in every later run's environment).

    Example:
        >>> note_seed(7); capture_env(git=False, packages=False)["seed"]
        7
    """
    _SEED[:] = [int(seed)]


@functools.lru_cache(maxsize=1)
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@functools.lru_cache(maxsize=1)
def _packages() -> dict[str, str]:
    found = {}
    for name in _KEY_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def _gpus() -> list[str]:
    try:
        import pynvml  # optional: only when installed
    except ImportError:
        return []
    try:
        pynvml.nvmlInit()
        names = [pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(i))
                 for i in range(pynvml.nvmlDeviceGetCount())]
        return [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    except Exception:  # no driver, no device
        return []


@functools.lru_cache(maxsize=1)
def _system() -> dict[str, Any]:
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "os": platform.platform(), "hostname": socket.gethostname(), "cpu": _cpu_model(),
            "cpu_count": os.cpu_count(), "gpus": _gpus()}


def git_info(cwd: str | Path | None = None, *, timeout: float = 2.0) -> dict[str, Any] | None:
    """Commit, branch and dirty flag of the git work tree at ``cwd``, or None outside one.

    ``dirty`` is True when tracked files differ from the commit (untracked files are ignored).

    Example:
        >>> git_info("/") is None
        True
    """
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch", "--untracked-files=no"],
            cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    commit = branch = None
    dirty = False
    for line in out.stdout.splitlines():
        if line.startswith("# branch.oid "):
            commit = line.split(" ", 2)[2]
        elif line.startswith("# branch.head "):
            branch = line.split(" ", 2)[2]
        elif line and not line.startswith("#"):
            dirty = True
    if commit == "(initial)":
        commit = None
    return {"commit": commit, "branch": None if branch == "(detached)" else branch, "dirty": dirty}


@functools.lru_cache(maxsize=8)
def _cached_git(cwd: str) -> dict[str, Any] | None:
    return git_info(cwd)


def capture_env(
    *, git: bool = True, packages: bool = True, command: bool = True, system: bool = True,
    cwd: str | Path | None = None, cached_git: bool = False,
) -> dict[str, Any]:
    """Return the environment fingerprint as a JSON-able dict; each part can be switched off.

    Args:
        git: Record ``git`` (commit, branch, dirty) of ``cwd`` (default: the current folder).
        packages: Record the versions of key packages (numpy, scipy, scikit-learn, torch ...) that are installed.
        command: Record the command line (``sys.argv``) and the working folder.
        system: Record Python, OS, hostname, CPU model and count, GPU models.
        cwd: The folder whose git state is recorded.
        cached_git: Reuse this process's first git answer for ``cwd`` (cheap; used by studies).

    Example:
        >>> set(capture_env(git=False, packages=False, command=False, system=False)) <= {"seed"}  # seed: if noted
        True
    """
    info: dict[str, Any] = {}
    if system:
        info.update(_system())
        info["gpus"] = list(info["gpus"])
    if command:
        info.update(command=[sys.executable, *sys.argv], cwd=os.getcwd())
    if packages:
        info["packages"] = dict(_packages())
    if git:
        found = _cached_git(str(Path(cwd or os.getcwd()).resolve())) if cached_git else git_info(cwd)
        info["git"] = None if found is None else dict(found)
    if _SEED:
        info["seed"] = _SEED[0]
    return info
