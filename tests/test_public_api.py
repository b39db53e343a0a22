"""The public surface: pinned names, docstrings with examples, and a cheap `import tunelab`."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys

import tunelab

EXPECTED = {
    "Categorical", "Float", "FrozenTrial", "Int", "RetryFailedTrialCallback", "Study", "Trial",
    "TrialPruned", "TrialState", "create_study", "delete_study", "get_storage", "list_studies",
    "load_study", "tune",
}
HEAVY = ["sqlalchemy", "sklearn", "scipy", "plotly", "pandas", "starlette", "uvicorn", "torch", "dask",
         "ray", "alembic", "rich"]


def _public_modules() -> list[str]:
    names = ["tunelab"]
    for info in pkgutil.walk_packages(tunelab.__path__, "tunelab."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]) and "migrations" not in info.name:
            names.append(info.name)
    return names


def test_top_level_all_is_pinned() -> None:
    assert set(tunelab.__all__) >= EXPECTED
    assert sorted(tunelab.__all__) == sorted(set(tunelab.__all__))


def test_every_public_name_has_a_docstring_with_an_example() -> None:
    missing = []
    for module_name in _public_modules():
        module = importlib.import_module(module_name)
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"{module_name} has no __all__"
        assert not [n for n in exported if n.startswith("_")], module_name
        for name in exported:
            doc = inspect.getdoc(getattr(module, name)) or ""
            if "Example" not in doc:
                missing.append(f"{module_name}.{name}")
    assert missing == []


def test_import_tunelab_loads_no_heavy_dependency() -> None:
    code = f"import json, sys, tunelab; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
