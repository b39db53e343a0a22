"""Studies: a named group of trials, with the ask/tell interface everything else is built on.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:", direction="maximize", seed=0)
    >>> study.optimize(lambda t: -(t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=20)
    >>> abs(study.best_params["x"] - 1) < 1.0
    True
"""

from __future__ import annotations

import datetime as _dt
import math
import secrets
import threading
import warnings
from collections.abc import Callable, Container, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tunelab._heartbeat import Heartbeat
from tunelab.exceptions import GridExhaustedError, StudyError, TunelabWarning
from tunelab.pruners import FoldPruner, Pruner, get_pruner
from tunelab.samplers import Sampler, get_sampler
from tunelab.space import as_space
from tunelab.storage.base import Storage, StudySummary, get_storage
from tunelab.trial import FrozenTrial, Trial, TrialState

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Study",
    "create_study",
    "delete_study",
    "list_studies",
    "load_study",
]

Direction = Literal["minimize", "maximize"]
Objective = Callable[[Trial], float]
Callback = Callable[["Study", FrozenTrial], None]
StorageLike = str | Path | Storage | None
SamplerLike = str | Sampler | None
PrunerLike = str | Pruner | None


def _check_direction(direction: str) -> Direction:
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"`direction` must be 'minimize' or 'maximize', got {direction!r}.")
    return direction  # type: ignore[return-value]


def _objective_value(value: Any) -> tuple[float | None, str | None]:
    """Return ``(value, None)`` for a usable objective value, else ``(None, reason)``."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes)):
        return None, f"the objective must return a finite number, got {value!r}."
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, f"the objective must return a finite number, got {type(value).__name__} {value!r}."
    if not math.isfinite(number):
        return None, f"the objective returned {number!r}; NaN and inf are recorded as FAIL."
    return number, None


class Study:
    """A named set of trials sharing a direction, a sampler and a pruner, kept in a storage.

    Create one with :func:`create_study` or :func:`load_study`, not directly.

    Example:
        >>> import tunelab
        >>> study = tunelab.create_study(name="demo", storage=":memory:")
        >>> study.name, study.direction
        ('demo', 'minimize')
    """

    def __init__(self, name: str, storage: Storage, sampler: Sampler, pruner: Pruner) -> None:
        self._storage = storage
        self._study_id = storage.get_study_id(name)
        self._name = name
        self._direction: Direction = storage.get_study_direction(self._study_id)  # type: ignore[assignment]
        self.sampler = sampler
        self.pruner = pruner
        self._stop_requested = threading.Event()
        self._ask_lock = threading.RLock()
        self._sampler_desc: str | None = None  # last description recorded by _record_sampler
        self._heartbeat = Heartbeat(storage)
        self._track = bool(storage.get_study_attrs(self._study_id, system=True).get("track", False))
        self._runs: dict[int, Any] = {}
        self._fail_stale_trials()

    # -- identity -----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The study's unique name in its storage."""
        return self._name

    @property
    def direction(self) -> Direction:
        """``"minimize"`` or ``"maximize"``."""
        return self._direction

    @property
    def storage(self) -> Storage:
        """The storage the study lives in."""
        return self._storage

    @property
    def user_attrs(self) -> dict[str, Any]:
        """The study's user attributes (a copy)."""
        return self._storage.get_study_attrs(self._study_id)

    @property
    def system_attrs(self) -> dict[str, Any]:
        """Attributes tunelab records itself (sampler choice, environment …)."""
        return self._storage.get_study_attrs(self._study_id, system=True)

    def set_user_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable attribute on the study.

        Example:
            >>> import tunelab
            >>> study = tunelab.create_study(storage=":memory:")
            >>> study.set_user_attr("dataset", "iris")
            >>> study.user_attrs
            {'dataset': 'iris'}
        """
        from tunelab.trial import _check_json

        _check_json("user attribute", key, value)
        self._storage.set_study_attr(self._study_id, key, value)

    # -- history ------------------------------------------------------------------------------
    @property
    def trials(self) -> list[FrozenTrial]:
        """Every trial of the study, by number."""
        return self._storage.get_trials(self._study_id)

    def get_trials(self, states: Container[TrialState] | None = None) -> list[FrozenTrial]:
        """The study's trials, optionally only those in ``states``.

        Example:
            >>> import tunelab
            >>> study = tunelab.create_study(storage=":memory:")
            >>> study.get_trials(states=(tunelab.TrialState.COMPLETE,))
            []
        """
        return self._storage.get_trials(self._study_id, states)

    @property
    def best_trial(self) -> FrozenTrial:
        """The COMPLETE trial with the best value (first one on ties).

        Raises:
            ValueError: No trial has completed yet.
        """
        complete = self.get_trials((TrialState.COMPLETE,))
        if not complete:
            raise ValueError(
                f"study {self._name!r} has no COMPLETE trial yet; run optimize() or tell() a value first."
            )
        pick = min if self._direction == "minimize" else max
        return pick(complete, key=lambda t: t.value)  # type: ignore[arg-type,return-value]

    @property
    def best_value(self) -> float:
        """The best objective value so far."""
        value = self.best_trial.value
        assert value is not None  # COMPLETE trials always carry a value
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        """The parameters of :attr:`best_trial`."""
        return dict(self.best_trial.params)

    def trials_dataframe(self) -> pd.DataFrame:
        """The trials as a pandas DataFrame: one row per trial, ``params_*`` and ``user_attrs_*`` columns.

        Example:
            >>> import tunelab
            >>> study = tunelab.create_study(storage=":memory:", seed=0)
            >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
            >>> list(study.trials_dataframe().columns)[:4]
            ['number', 'value', 'state', 'datetime_start']
        """
        from tunelab._imports import require

        pd = require("pandas", extra="pandas", feature="Study.trials_dataframe")
        rows = []
        for t in self.trials:
            row: dict[str, Any] = {
                "number": t.number, "value": t.value, "state": t.state.value,
                "datetime_start": t.datetime_start, "datetime_complete": t.datetime_complete,
                "duration": t.duration, "error": t.error,
            }
            row.update({f"params_{k}": v for k, v in t.params.items()})
            row.update({f"user_attrs_{k}": v for k, v in t.user_attrs.items()})
            rows.append(row)
        return pd.DataFrame(rows, columns=None if rows else ["number", "value", "state", "datetime_start"])

    # -- ask / tell -----------------------------------------------------------------------------
    def ask(self, space: Mapping[str, Any] | None = None) -> Trial:
        """Start a trial: an enqueued one if any, else a new one the sampler fills in.

        Args:
            space: Optional static space (name → distribution or list); every parameter in it
                is suggested at once and is in ``trial.params`` on return.

        Raises:
            GridExhaustedError: The sampler has nothing left to propose.

        Example:
            >>> import tunelab
            >>> study = tunelab.create_study(storage=":memory:", seed=0)
            >>> trial = study.ask({"x": tunelab.Float(0, 1), "k": ["a", "b"]})
            >>> sorted(trial.params)
            ['k', 'x']
        """
        distributions = as_space(space) if space is not None else {}
        with self._ask_lock:
            popped = self._storage.pop_waiting_trial(self._study_id)
            fixed: dict[str, Any] = {}
            if popped is not None:
                attrs = self._storage.get_trial(popped[0]).system_attrs
                fixed = attrs.get("fixed_params", {})
                for key, val in attrs.get("enqueued_user_attrs", {}).items():
                    self._storage.set_trial_user_attr(popped[0], key, val)
            elif self.sampler.exhausted(self):
                raise GridExhaustedError(
                    f"{self.sampler.describe()} has evaluated every point of study {self._name!r}."
                )
            else:
                popped = self._storage.create_trial(self._study_id)
            trial_id, number = popped
            self._heartbeat.register(trial_id)
            trial = Trial(self, trial_id, number, fixed_params=fixed)
            frozen = trial.freeze()
            self.sampler.before_trial(self, frozen)
            self._record_sampler(number)
            relative_space = self.sampler.infer_relative_space(self, frozen)
            if relative_space:
                relative = self.sampler.sample_relative(self, frozen, relative_space)
                trial = Trial(self, trial_id, number, fixed_params=fixed, relative_params=relative,
                              relative_space=relative_space, datetime_start=trial.datetime_start)
        if self._track:
            from tunelab.track._study import start_trial_run

            trial._run = self._runs[trial_id] = start_trial_run(self, trial_id, number)
        for name, distribution in distributions.items():
            trial.suggest(name, distribution)
        return trial

    def _record_sampler(self, number: int) -> None:
        """Store the sampler's description (``auto``'s current choice) when it changes."""
        desc = self.sampler.describe()
        if desc == self._sampler_desc:
            return
        history = list(self.system_attrs.get("sampler_history", []))
        if not history or history[-1].get("sampler") != desc:
            history.append({"trial": number, "sampler": desc})
            self._storage.set_study_attr(self._study_id, "sampler", desc, system=True)
            self._storage.set_study_attr(self._study_id, "sampler_history", history, system=True)
        self._sampler_desc = desc

    def tell(
        self,
        trial: Trial | int,
        value: float | None = None,
        state: TrialState | None = None,
        *,
        error: str | None = None,
    ) -> FrozenTrial:
        """Finish a trial with its value (COMPLETE), or as PRUNED or FAIL.

        A value that is None, not a number, NaN or inf marks the trial FAIL with the reason
        stored (and a warning), never COMPLETE.

        Args:
            trial: The Trial from :meth:`ask`, or its number.
            value: The objective value; for PRUNED, defaults to the last reported value.
            state: None (COMPLETE if ``value`` is usable), ``PRUNED`` or ``FAIL``.
            error: Text stored with a FAIL (e.g. a traceback).

        Example:
            >>> import tunelab
            >>> import warnings
            >>> study = tunelab.create_study(storage=":memory:")
            >>> study.tell(study.ask(), 0.5).state
            <TrialState.COMPLETE: 'COMPLETE'>
            >>> with warnings.catch_warnings():
            ...     warnings.simplefilter("ignore")
            ...     study.tell(study.ask(), float("nan")).state
            <TrialState.FAIL: 'FAIL'>
        """
        trial_id, live = self._resolve(trial)
        if state not in (None, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
            raise ValueError(f"`state` must be None, COMPLETE, PRUNED or FAIL, got {state!r}.")
        stored_value: float | None = None
        if state is TrialState.FAIL:
            final = TrialState.FAIL
        elif state is TrialState.PRUNED:
            final = TrialState.PRUNED
            if value is not None:
                stored_value, _ = _objective_value(value)
            else:
                last = self._storage.get_trial(trial_id).intermediate_values
                stored_value = last[max(last)] if last and math.isfinite(last[max(last)]) else None
        else:
            stored_value, reason = _objective_value(value)
            final = TrialState.COMPLETE if reason is None else TrialState.FAIL
            if reason is not None:
                error = reason
                number = live.number if live is not None else trial
                warnings.warn(f"trial {number} failed: {reason}", TunelabWarning, stacklevel=2)
        self._storage.finish_trial(trial_id, final, stored_value if final != TrialState.FAIL else None, error)
        self._heartbeat.unregister(trial_id)
        frozen = self._storage.get_trial(trial_id)
        run = self._runs.pop(trial_id, None)
        if run is not None:
            from tunelab.track._study import finish_trial_run

            finish_trial_run(run, frozen)
        self.sampler.after_trial(self, frozen, final, frozen.value)
        return frozen

    def _resolve(self, trial: Trial | int) -> tuple[int, Trial | None]:
        if isinstance(trial, Trial):
            if trial.study is not self and trial.study.name != self._name:
                raise StudyError(f"trial {trial.number} belongs to study {trial.study.name!r}, not {self._name!r}.")
            return trial.trial_id, trial
        if isinstance(trial, bool) or not isinstance(trial, int):
            raise TypeError(f"`trial` must be a Trial or a trial number, got {trial!r}.")
        for frozen in self.trials:
            if frozen.number == trial:
                return frozen.trial_id, None
        raise ValueError(f"study {self._name!r} has no trial number {trial}.")

    def enqueue_trial(self, params: Mapping[str, Any], user_attrs: Mapping[str, Any] | None = None) -> None:
        """Queue a trial with fixed parameters; the next :meth:`ask` takes it first.

        Parameters not in ``params`` are sampled as usual; values are checked against the
        distribution when the objective suggests them.

        Example:
            >>> import tunelab
            >>> study = tunelab.create_study(storage=":memory:")
            >>> study.enqueue_trial({"x": 0.25})
            >>> study.ask().suggest_float("x", 0, 1)
            0.25
        """
        from tunelab.trial import _check_json

        if not isinstance(params, Mapping):
            raise TypeError(f"`params` must be a dict of name -> value, got {type(params).__name__}.")
        for key, val in params.items():
            _check_json("enqueued parameter", key, val)
        attrs = {"enqueued_user_attrs": dict(user_attrs)} if user_attrs else None
        self._storage.create_trial(self._study_id, state=TrialState.WAITING, fixed_params=dict(params),
                                   system_attrs=attrs)

    # -- running --------------------------------------------------------------------------------
    def optimize(
        self,
        objective: Objective,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        callbacks: Iterable[Callback] = (),
        catch: type[BaseException] | tuple[type[BaseException], ...] = (),
        show_progress_bar: bool | None = None,
        track: bool | None = None,
    ) -> None:
        """Run ``objective`` on new trials until ``n_trials``, ``timeout``, :meth:`stop` or grid end.

        Args:
            objective: ``f(trial) -> float``; raise :class:`~tunelab.TrialPruned` to prune.
            n_trials: Trials to run in this call; None runs until timeout/stop/grid end.
            timeout: Seconds after which no new trial starts.
            n_jobs: Parallel workers; ``-1`` uses every core. With a SQL storage the workers
                are processes (CPU-bound objectives run in parallel); with an in-memory
                storage they are threads.
            callbacks: ``f(study, frozen_trial)`` after each finished trial.
            catch: Exception types that mark the trial FAIL and let the study go on; any
                other exception also marks the trial FAIL, then stops the study and propagates.
            show_progress_bar: None shows it when stderr is a terminal.
            track: Make every trial of this call a tracked run (see :func:`create_study`);
                None keeps the study's setting.

        Example:
            >>> import tunelab
            >>> study = tunelab.create_study(storage=":memory:", seed=0)
            >>> study.optimize(lambda t: t.suggest_int("n", 1, 9), n_trials=4)
            >>> len(study.trials)
            4
        """
        from tunelab._optimize import run_optimize

        was_tracked = self._track
        self._track = was_tracked if track is None else bool(track)
        try:
            run_optimize(self, objective, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs,
                         callbacks=tuple(callbacks), catch=catch, show_progress_bar=show_progress_bar)
        finally:
            self._track = was_tracked

    def stop(self) -> None:
        """Ask :meth:`optimize` to start no new trial (running ones finish).

        Example:
            >>> import tunelab
            >>> study = tunelab.create_study(storage=":memory:")
            >>> study.optimize(lambda t: study.stop() or 1.0, n_trials=10)
            >>> len(study.trials)
            1
        """
        self._stop_requested.set()

    def _fail_stale_trials(self) -> None:
        for frozen in self._storage.fail_stale_trials(self._study_id):
            callback = self._storage.failed_trial_callback
            if callback is not None:
                callback(self, frozen)

    def __repr__(self) -> str:
        return f"Study(name={self._name!r}, direction={self._direction!r}, sampler={self.sampler.describe()})"


def _sampler_and_pruner(sampler: SamplerLike, pruner: PrunerLike, seed: int | None) -> tuple[Sampler, Pruner]:
    # A FoldPruner's intermediate values are running means of fold scores, estimates of the
    # final value, so a sampler given by name learns from the trials it prunes.
    the_pruner = get_pruner(pruner)
    return get_sampler(sampler, seed=seed, observe_pruned=isinstance(the_pruner, FoldPruner)), the_pruner


def _new_study_name() -> str:
    return f"study-{_dt.datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def create_study(
    name: str | None = None,
    storage: StorageLike = None,
    sampler: SamplerLike = None,
    pruner: PrunerLike = None,
    direction: Direction = "minimize",
    load_if_exists: bool = False,
    seed: int | None = None,
    track: bool = False,
) -> Study:
    """Create a study, stored by default in the persistent per-user SQLite store.

    Args:
        name: Unique name in the storage; None generates a readable one.
        storage: None (default store), ``":memory:"``, a URL, a SQLite path or a Storage.
        sampler: A Sampler or one of ``"auto"`` (default), ``"random"``, ``"qmc"``, ``"tpe"``, ``"gp"``.
        pruner: A Pruner, ``"median"``, ``"folds"`` or None (never prune). With a
            :class:`~tunelab.pruners.FoldPruner`, a sampler given by name learns from pruned
            trials at their last reported value (``observe_pruned=True``).
        direction: ``"minimize"`` or ``"maximize"``.
        load_if_exists: Continue the study if the name exists instead of raising.
        seed: Seed of the sampler for a reproducible sequence.
        track: Make every trial a tracked run in the project named after the study: config =
            its parameters, the intermediate values and final value as metrics, anything the
            objective logs with ``trial.log({...})``. The run id is the trial's system
            attribute ``"run_id"``.

    The environment (Python, OS, packages, git commit of the working folder) is stored as the
    study's system attribute ``"environment"``.

    Example:
        >>> import tunelab
        >>> tunelab.create_study(name="s", storage=":memory:", direction="maximize").direction
        'maximize'
    """
    direction = _check_direction(direction)
    store = get_storage(storage)
    the_sampler, the_pruner = _sampler_and_pruner(sampler, pruner, seed)
    name = name if name is not None else _new_study_name()
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"`name` must be a non-empty str or None, got {name!r}.")
    try:
        store.create_study(name, direction)
    except StudyError as err:
        if not load_if_exists or "already exists" not in str(err):
            raise
        existing = store.get_study_direction(store.get_study_id(name))
        if existing != direction:
            raise ValueError(
                f"study {name!r} exists with direction {existing!r}, not {direction!r}."
            ) from None
    from tunelab.track.env import capture_env

    study_id = store.get_study_id(name)
    store.set_study_attr(study_id, "sampler", the_sampler.describe(), system=True)
    store.set_study_attr(study_id, "environment", capture_env(cached_git=True), system=True)
    if track:
        store.set_study_attr(study_id, "track", True, system=True)
    return Study(name, store, the_sampler, the_pruner)


def load_study(
    name: str,
    storage: StorageLike = None,
    sampler: SamplerLike = None,
    pruner: PrunerLike = None,
    seed: int | None = None,
) -> Study:
    """Open an existing study; trials whose process died are marked FAIL on the way.

    Example:
        >>> import tunelab
        >>> store = tunelab.get_storage(":memory:")
        >>> _ = tunelab.create_study(name="a", storage=store)
        >>> tunelab.load_study("a", storage=store).name
        'a'
    """
    store = get_storage(storage)
    return Study(name, store, *_sampler_and_pruner(sampler, pruner, seed))


def delete_study(name: str, storage: StorageLike = None) -> None:
    """Delete a study and all its trials.

    Example:
        >>> import tunelab
        >>> store = tunelab.get_storage(":memory:")
        >>> _ = tunelab.create_study(name="a", storage=store)
        >>> tunelab.delete_study("a", storage=store)
        >>> tunelab.list_studies(store)
        []
    """
    store = get_storage(storage)
    store.delete_study(store.get_study_id(name))


def list_studies(storage: StorageLike = None) -> list[StudySummary]:
    """Every study in the storage with its trial count and best value.

    Example:
        >>> import tunelab
        >>> store = tunelab.get_storage(":memory:")
        >>> _ = tunelab.create_study(name="a", storage=store)
        >>> [s.name for s in tunelab.list_studies(store)]
        ['a']
    """
    return get_storage(storage).list_studies()
