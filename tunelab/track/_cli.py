"""``tunelab runs ls | show | compare | export | delete``: the run commands of the command line.

Each function takes the parsed arguments and a store and returns the exit code; errors are
raised (the CLI prints them on one line).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from tunelab.exceptions import TrackingError
from tunelab.storage.base import Storage
from tunelab.storage.records import RunRecord
from tunelab.track.query import run_row

__all__ = ["add_runs_parser", "run_command"]


def add_runs_parser(commands: Any) -> None:
    """Add the ``runs`` command and its verbs to an argparse sub-parsers object."""
    runs = commands.add_parser("runs", help="list, show, compare, export and delete tracked runs")
    verbs = runs.add_subparsers(dest="verb", metavar="VERB")
    ls = verbs.add_parser("ls", help="list the runs of a project (or the projects)")
    ls.add_argument("project", nargs="?", default=None)
    verbs.add_parser("show", help="config, summary, environment and alerts of a run").add_argument("run")
    compare = verbs.add_parser("compare", help="config differences and final metrics side by side")
    compare.add_argument("runs", nargs="+", metavar="RUN")
    export = verbs.add_parser("export", help="write a project's runs as CSV, JSON or Parquet")
    export.add_argument("project")
    export.add_argument("--format", choices=("csv", "json", "parquet"), default="csv")
    export.add_argument("--output", "-o", default=None, help="file to write (default: standard output; "
                        "required for parquet)")
    verbs.add_parser("delete", help="delete a run with its metrics").add_argument("run")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    return "" if value is None else str(value)


def _find(storage: Storage, ref: str) -> RunRecord:
    """A run by id, id prefix or (unique) name."""
    try:
        return storage.get_run(ref)
    except KeyError:
        pass
    matches = [r for r in storage.list_runs() if r.run_id.startswith(ref) or r.name == ref]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise TrackingError(f"no run with id or name {ref!r}; `tunelab runs ls PROJECT` lists them.")
    raise TrackingError(f"{ref!r} matches {len(matches)} runs; give the run id.")


def _ls(storage: Storage, project: str | None) -> int:
    from rich.table import Table

    from tunelab.track.api import _console

    storage.mark_stale_runs_crashed(project)
    if project is None:
        projects = storage.list_projects()
        if not projects:
            print("no runs yet; start one with tunelab.init(project)")
            return 0
        table = Table()
        table.add_column("project")
        table.add_column("runs")
        for name, n in projects:
            table.add_row(name, str(n))
        _console().print(table)
        return 0
    records = storage.list_runs(project)
    if not records:
        raise TrackingError(f"project {project!r} has no runs; `tunelab runs ls` lists the projects.")
    keys = sorted({k for r in records for k in r.summary if not k.startswith("system/")})[:6]
    table = Table(title=f"project {project}")
    for column in ("id", "name", "state", "created", *keys):
        table.add_column(column)
    import datetime as dt

    for r in records:
        created = dt.datetime.fromtimestamp(r.created_at).strftime("%Y-%m-%d %H:%M")
        table.add_row(r.run_id, r.name, r.state, created, *(_fmt(r.summary.get(k, {}).get("last")) for k in keys))
    _console().print(table)
    return 0


def _show(storage: Storage, ref: str) -> int:
    record = _find(storage, ref)
    out = {
        "run_id": record.run_id, "project": record.project, "name": record.name, "state": record.state,
        "tags": list(record.tags), "notes": record.notes, "group": record.group, "config": record.config,
        "summary": record.summary, "created_at": record.created_at, "finished_at": record.finished_at,
        "study_name": record.study_name, "trial_number": record.trial_number, "env": record.env,
        "alerts": storage.list_alerts(record.run_id), "artifacts": storage.list_artifacts(record.run_id),
        "error": record.error,
    }
    print(json.dumps(out, indent=2, default=str))
    return 0


def _compare(storage: Storage, refs: list[str]) -> int:
    from rich.table import Table

    from tunelab.track.api import _console

    records = [_find(storage, ref) for ref in refs]
    rows = [run_row(r) for r in records]
    config_keys = sorted({k for row in rows for k in row if k.startswith("config.")})
    differing = [k for k in config_keys if len({json.dumps(row.get(k), default=str) for row in rows}) > 1]
    metric_keys = sorted({k for r in records for k in r.summary if not k.startswith("system/")})
    table = Table(title="config differences and final metrics")
    table.add_column("")
    for r in records:
        table.add_column(f"{r.name} ({r.run_id})")
    table.add_row("state", *(r.state for r in records))
    for key in differing:
        table.add_row(key, *(_fmt(row.get(key)) for row in rows))
    for key in metric_keys:
        table.add_row(key, *(_fmt(r.summary.get(key, {}).get("last")) for r in records))
    _console().print(table)
    return 0


def _export(storage: Storage, project: str, fmt: str, output: str | None) -> int:
    records = storage.list_runs(project, descending=False)
    if not records:
        raise TrackingError(f"project {project!r} has no runs; `tunelab runs ls` lists the projects.")
    rows = [run_row(r) for r in records]
    if fmt == "parquet":
        if output is None:
            raise TrackingError("`--format parquet` needs `--output FILE` (Parquet is binary).")
        from tunelab._imports import require

        pd = require("pandas", extra="pandas", feature="tunelab runs export --format parquet")
        pd.DataFrame(rows).to_parquet(output)
    elif fmt == "json":
        full = [{**row, "config": r.config, "summary": r.summary} for row, r in zip(rows, records, strict=True)]
        _write(json.dumps(full, indent=2, default=str) + "\n", output)
    else:
        import csv
        import io

        columns = list(dict.fromkeys(k for row in rows for k in row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in row.items()})
        _write(buffer.getvalue(), output)
    if output is not None:
        print(f"wrote {len(rows)} runs to {output}", file=sys.stderr)
    return 0


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        Path(output).write_text(text)


def run_command(args: argparse.Namespace, storage: Storage) -> int:
    """Run ``tunelab runs VERB`` and return the exit code."""
    if args.verb == "ls":
        return _ls(storage, args.project)
    if args.verb == "show":
        return _show(storage, args.run)
    if args.verb == "compare":
        return _compare(storage, args.runs)
    if args.verb == "export":
        return _export(storage, args.project, args.format, args.output)
    record = _find(storage, args.run)
    storage.delete_run(record.run_id)
    print(f"deleted run {record.name!r} ({record.run_id}) of project {record.project!r}")
    return 0
