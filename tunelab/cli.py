"""The ``tunelab`` command: thin commands over the library; errors are one line and exit 1.

Example:
    >>> main(["--help"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tunelab.exceptions import TunelabError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tunelab", description="Hyperparameter tuning, AutoML and experiment tracking."
    )
    parser.add_argument("--storage", default=None,
                        help="store URL or SQLite path (default: $TUNELAB_STORAGE or ~/.tunelab/tunelab.db)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", help="tune a RandomForest three ways on embedded data")
    demo.add_argument("--budget", type=int, default=36, help="trials per method (default 36, the full grid)")
    demo.add_argument("--n-jobs", type=int, default=1, help="parallel worker processes (-1: every core)")

    studies = commands.add_parser("studies", help="list, show, export and delete studies")
    verbs = studies.add_subparsers(dest="verb", metavar="VERB")
    verbs.add_parser("ls", help="list the studies")
    for verb, text in (("show", "the trials of a study"), ("best", "the best trial of a study"),
                       ("delete", "delete a study and its trials")):
        verbs.add_parser(verb, help=text).add_argument("name")
    export = verbs.add_parser("export", help="write a study's trials as CSV or JSON")
    export.add_argument("name")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--output", "-o", default=None, help="file to write (default: standard output)")

    dash = commands.add_parser("dashboard", help="serve the web dashboard of a store (read-only by default)")
    dash.add_argument("--storage", dest="dashboard_storage", default=None, help="store URL or SQLite path")
    dash.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: this machine only)")
    dash.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    dash.add_argument("--token", default=None,
                      help="secret required by every request (generated when --host is not loopback)")
    dash.add_argument("--allow-edits", action="store_true", help="allow editing run tags and notes")

    from tunelab.track._cli import add_runs_parser

    add_runs_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Example:
        >>> main(["studies", "ls"]) in (0, 1)  # doctest: +SKIP
        True
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None or (args.command in ("studies", "runs") and args.verb is None):
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "dashboard":
            return _dashboard(args)
        if args.command == "runs":
            from tunelab.storage.base import get_storage
            from tunelab.track._cli import run_command

            return run_command(args, get_storage(args.storage))
        return _studies(args)
    except (TunelabError, ValueError, KeyError, TypeError, OSError, ImportError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"tunelab: error: {message}", file=sys.stderr)
        return 1


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _demo(args: argparse.Namespace) -> int:
    from rich.table import Table

    from tunelab._demo import run_demo

    if args.budget < 1:
        raise ValueError(f"`--budget` must be >= 1, got {args.budget}.")
    console = _console()
    console.print("[bold]tunelab demo[/]: RandomForest on make_classification(1000x10, seed 42), "
                  f"5-fold CV accuracy, {args.budget} trials per method\n")
    rows, test_accuracy, winner = run_demo(budget=args.budget, n_jobs=args.n_jobs, storage=args.storage)
    table = Table(title="Same budget, three search strategies")
    for column in ("method", "evaluations", "best CV accuracy", "best params", "wall time"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.method, str(row.evaluations), f"{row.best_cv_accuracy:.4f}",
                      _params_text(row.best_params), f"{row.wall_seconds:.1f} s")
    console.print(table)
    console.print(f"\nWinner [bold]{winner.name}[/]; its test accuracy, evaluated once: "
                  f"[bold]{test_accuracy:.4f}[/]")
    storage = f" --storage {args.storage}" if args.storage else ""
    console.print("\nInspect the studies:")
    console.print(f"  tunelab{storage} studies ls")
    console.print(f"  tunelab{storage} studies show {winner.name}")
    console.print(f"  tunelab{storage} studies export {winner.name} --format csv")
    return 0


def _params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in params.items())


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _studies(args: argparse.Namespace) -> int:
    from tunelab.storage.base import get_storage

    storage = get_storage(args.storage)
    if args.verb == "ls":
        return _studies_ls(storage)
    study_id = storage.get_study_id(args.name)
    if args.verb == "delete":
        n = storage.n_trials(study_id)
        storage.delete_study(study_id)
        print(f"deleted study {args.name!r} and its {n} trials")
        return 0
    if args.verb == "export":
        return _studies_export(storage, study_id, args.format, args.output)
    trials = storage.get_trials(study_id)
    if args.verb == "best":
        return _studies_best(storage, study_id, args.name, trials)
    return _studies_show(args.name, trials)


def _studies_ls(storage: Any) -> int:
    from rich.table import Table

    summaries = storage.list_studies()
    if not summaries:
        print("no studies yet; run `tunelab demo` or tunelab.create_study()")
        return 0
    table = Table()
    for column in ("name", "direction", "trials", "best value", "created"):
        table.add_column(column)
    for s in summaries:
        best = "-" if s.best_value is None else f"{s.best_value:.6g}"
        created = "" if s.datetime_start is None else f"{s.datetime_start:%Y-%m-%d %H:%M}"
        table.add_row(s.name, s.direction, str(s.n_trials), best, created)
    _console().print(table)
    return 0


def _studies_show(name: str, trials: list[Any]) -> int:
    from rich.table import Table

    table = Table(title=f"study {name}")
    names = sorted({p for t in trials for p in t.params})
    for column in ("#", "state", "value", *names, "duration"):
        table.add_column(column)
    for t in trials:
        value = "" if t.value is None else f"{t.value:.6g}"
        duration = "" if t.duration is None else f"{t.duration.total_seconds():.2f} s"
        table.add_row(str(t.number), t.state.value, value,
                      *(_short(t.params[p]) if p in t.params else "" for p in names), duration)
    _console().print(table)
    return 0


def _studies_best(storage: Any, study_id: int, name: str, trials: list[Any]) -> int:
    complete = [t for t in trials if t.state.value == "COMPLETE"]
    if not complete:
        raise ValueError(f"study {name!r} has no COMPLETE trial yet.")
    pick = min if storage.get_study_direction(study_id) == "minimize" else max
    best = pick(complete, key=lambda t: t.value)
    print(json.dumps({"study": name, "number": best.number, "value": best.value, "params": best.params},
                     indent=2, default=str))
    return 0


def _trial_record(t: Any) -> dict[str, Any]:
    return {
        "number": t.number, "state": t.state.value, "value": t.value,
        "datetime_start": t.datetime_start.isoformat() if t.datetime_start else None,
        "datetime_complete": t.datetime_complete.isoformat() if t.datetime_complete else None,
        "params": t.params, "user_attrs": t.user_attrs,
        "intermediate_values": {str(k): v for k, v in t.intermediate_values.items()},
        "error": t.error,
    }


def _csv_value(value: Any) -> Any:
    return "" if value is None else value if isinstance(value, (int, float, str)) else json.dumps(value)


def _studies_export(storage: Any, study_id: int, fmt: str, output: str | None) -> int:
    import csv
    import io

    records = [_trial_record(t) for t in storage.get_trials(study_id)]
    if fmt == "json":
        text = json.dumps(records, indent=2, default=str) + "\n"
    else:
        params = sorted({p for r in records for p in r["params"]})
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["number", "state", "value", "datetime_start", "datetime_complete",
                         *(f"params_{p}" for p in params), "error"])
        for r in records:
            writer.writerow([r["number"], r["state"], r["value"], r["datetime_start"], r["datetime_complete"],
                             *(_csv_value(r["params"].get(p)) for p in params),
                             (r["error"] or "").strip().splitlines()[-1] if r["error"] else ""])
        text = buffer.getvalue()
    if output is None:
        sys.stdout.write(text)
    else:
        Path(output).write_text(text)
        print(f"wrote {len(records)} trials to {output}", file=sys.stderr)
    return 0


def _dashboard_token(host: str, token: str | None) -> str | None:
    """The token the dashboard will require: as given, generated for a non-loopback host, else None.

    Example:
        >>> _dashboard_token("127.0.0.1", None) is None, len(_dashboard_token("0.0.0.0", None)) >= 32
        (True, True)
    """
    import ipaddress
    import secrets

    if token is not None and len(token) < 8:
        raise ValueError(f"`--token` must be at least 8 characters, got {len(token)}.")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if token is None and not loopback:
        return secrets.token_urlsafe(32)
    return token


def _dashboard(args: argparse.Namespace) -> int:
    from tunelab._imports import require

    uvicorn = require("uvicorn", extra="dashboard", feature="tunelab dashboard")
    from tunelab.dashboard.app import create_app
    from tunelab.storage.base import get_storage

    if not 0 <= args.port <= 65535:
        raise ValueError(f"`--port` must be in [0, 65535], got {args.port}.")
    token = _dashboard_token(args.host, args.token)
    app = create_app(get_storage(args.dashboard_storage or args.storage), token=token,
                     allow_edits=args.allow_edits)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{args.port}/" + (f"?token={token}" if token else "")
    print(f"tunelab dashboard on {url}" + ("" if token is None else "  (every request needs this token)"),
          flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
