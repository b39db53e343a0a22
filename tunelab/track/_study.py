"""Tracked studies: each trial is a run in the project named after the study.

:func:`start_trial_run` is called by ``Study.ask`` and :func:`finish_trial_run` by
``Study.tell``. The run's config is the trial's parameters; the intermediate values become the
``intermediate_value`` series and the final value the ``value`` metric; the trial's state is
a tag (``complete``, ``pruned``, ``fail``) and FAIL marks the run failed with the error text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunelab.track.run import Run, TrackOptions
from tunelab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tunelab.study import Study

__all__ = ["finish_trial_run", "start_trial_run"]

_OPTIONS = TrackOptions(system_metrics=False, capture_env=False)


def start_trial_run(study: Study, trial_id: int, number: int) -> Run:
    """Create the run of a new trial and link the two (trial system attribute ``run_id``)."""
    run = Run.create(study.storage, study.name, name=f"{study.name}-trial-{number}", options=_OPTIONS,
                     tags=["trial"], study_name=study.name, trial_number=number)
    study.storage.set_trial_system_attr(trial_id, "run_id", run.id)
    return run


def finish_trial_run(run: Run, frozen: FrozenTrial) -> None:
    """Record the trial's parameters, curves, value and state in its run, then finish the run."""
    try:
        run.flush()
        if frozen.params:
            run.storage.update_run(run.id, config={**dict(run.config), **frozen.params})
        now = frozen.datetime_complete.timestamp() if frozen.datetime_complete else 0.0
        rows: list[tuple[int, float, str, float]] = [
            (int(step), now, "intermediate_value", float(value))
            for step, value in sorted(frozen.intermediate_values.items())
        ]
        if frozen.value is not None:
            last = max([run.step - 1, *frozen.intermediate_values.keys(), 0])
            rows.append((int(last), now, "value", float(frozen.value)))
        if rows:
            run.storage.append_metrics(run.id, rows)
        run.storage.update_run(run.id, tags=["trial", frozen.state.value.lower()])
    except Exception as err:  # the trial is recorded; its run is a view that must not break tell()
        run._warn(f"could not record trial {frozen.number} in its run {run.id}: {err}")
    failed = frozen.state == TrialState.FAIL
    run.finish("failed" if failed else "finished", error=frozen.error if failed else None)


