"""The default sampler: picks QMC, a Gaussian process or TPE per study, as the study grows.

``create_study(sampler=None)`` (or ``"auto"``) uses :class:`AutoSampler`. Before each trial it
looks at the study's finished trials and delegates the whole trial to one sub-sampler:

1. **Start-up** (fewer than ``n_startup_trials`` finished trials, COMPLETE or PRUNED: a pruned
   trial has located a bad region as surely as a complete one): scrambled Sobol' points
   (:class:`~tunelab.samplers.qmc.QMCSampler`), which cover the space more evenly than random.
2. **Gaussian process** (:class:`~tunelab.samplers.gp.GPSampler`) while the space is small and
   mostly continuous (at least as many float dimensions as integer and categorical ones
   together) and the run is short: it is far more sample-efficient there (median
   regret at 50 evaluations over 10 seeds, docs/benchmarks.md: Branin 6.6e-5 vs TPE's 0.11,
   Hartmann-6 2.0e-4 vs 0.32, Ackley-10 10.7 vs 17.7, Styblinski-Tang-20 286 vs 353) and
   costs ~0.02-0.2 s per trial up to 500 trials, small next to any objective worth tuning.
3. **TPE** (:class:`~tunelab.samplers.tpe.TPESampler`, multivariate) when the GP is the wrong
   tool: conditional spaces (parameters that exist only under some choices: the GP models
   only the shared part), spaces where integer and categorical dimensions outnumber the
   float ones (the objective is then a step function that a smooth GP fits poorly: in the
   real-model suite of docs/benchmarks.md, tree ensembles with integer depths, leaf sizes and
   tree counts, TPE found better models than the GP), more than ``max_gp_dims`` dimensions, and
   long runs (``max_gp_trials`` COMPLETE trials and beyond: TPE costs milliseconds per trial
   where the GP's cost grows with the history). Once TPE is chosen the study stays on it.

The rule itself is :func:`choose_sampler`, a pure function of the space summary and the number
of COMPLETE trials, so it can be tested and documented on its own. Every sub-sampler is
seeded with the same seed; :meth:`AutoSampler.reseed` reaches all of them. A
:class:`~tunelab.samplers.gp.GPSampler` starts with this same QMC design, so a study the rule
sends to the GP gets exactly the points ``GPSampler(seed=seed)`` alone would propose.
:meth:`AutoSampler.describe` names the current choice; the study records it in its system
attributes ``"sampler"`` and ``"sampler_history"`` whenever it changes.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:", seed=0)
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 2) ** 2, n_trials=12)
    >>> study.sampler.describe()
    'AutoSampler(seed=0) -> GPSampler'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tunelab.samplers.base import Sampler, is_observed
from tunelab.samplers.qmc import QMCSampler
from tunelab.space import Categorical, Distribution, Float, Int

if TYPE_CHECKING:
    from tunelab.study import Study
    from tunelab.trial import FrozenTrial, TrialState

__all__ = ["AutoSampler", "SpaceSummary", "choose_sampler"]

Choice = Literal["qmc", "gp", "tpe"]


@dataclass(frozen=True, slots=True)
class SpaceSummary:
    """What the choice rule needs to know about a study's space.

    Args:
        n_dims: Parameters every finished trial has with one distribution (constants excluded).
        n_categorical: How many of those are categorical.
        conditional: Some parameter exists in some finished trials but not in others.
        n_integer: How many are integers (or floats with a ``step``).

    Example:
        >>> s = SpaceSummary(n_dims=4, n_categorical=1, conditional=False, n_integer=1)
        >>> s.n_continuous, s.n_float, s.n_discrete
        (3, 2, 2)
    """

    n_dims: int
    n_categorical: int
    conditional: bool
    n_integer: int = 0

    @property
    def n_continuous(self) -> int:
        """Non-categorical dimensions (floats and ints)."""
        return self.n_dims - self.n_categorical

    @property
    def n_float(self) -> int:
        """Float dimensions without a step."""
        return self.n_continuous - self.n_integer

    @property
    def n_discrete(self) -> int:
        """Integer, stepped and categorical dimensions."""
        return self.n_categorical + self.n_integer


def summarize_space(trials: Sequence[FrozenTrial]) -> SpaceSummary:
    """Summarise the space of ``trials`` (finished ones): shared dimensions, categoricals, conditionals.

    Example:
        >>> summarize_space([]).n_dims
        0
    """
    union: set[str] = set()
    shared: dict[str, Distribution] | None = None
    for t in trials:
        union.update(n for n, d in t.distributions.items() if not d.single)
        if shared is None:
            shared = dict(t.distributions)
        else:
            shared = {n: d for n, d in shared.items() if t.distributions.get(n) == d}
    dims = {n: d for n, d in (shared or {}).items() if not d.single}
    n_cat = sum(isinstance(d, Categorical) for d in dims.values())
    n_int = sum(isinstance(d, Int) or (isinstance(d, Float) and d.step is not None) for d in dims.values())
    return SpaceSummary(len(dims), n_cat, conditional=bool(union - set(dims)), n_integer=n_int)


def choose_sampler(
    summary: SpaceSummary,
    n_complete: int,
    *,
    n_pruned: int = 0,
    n_startup_trials: int = 10,
    max_gp_dims: int = 20,
    max_gp_trials: int = 300,
) -> Choice:
    """The rule of :class:`AutoSampler`: ``"qmc"``, ``"gp"`` or ``"tpe"``.

    * ``"qmc"`` while fewer than ``n_startup_trials`` trials are COMPLETE or PRUNED
      (``n_complete + n_pruned``; with aggressive pruning few trials ever complete, and the
      models learn from pruned trials too);
    * ``"tpe"`` for conditional spaces, more than ``max_gp_dims`` dimensions, more than 4
      categoricals, more integer and categorical dimensions than float ones, and from
      ``max_gp_trials`` COMPLETE trials on;
    * ``"gp"`` otherwise.

    Example:
        >>> small = SpaceSummary(n_dims=2, n_categorical=0, conditional=False)
        >>> choose_sampler(small, 3), choose_sampler(small, 40), choose_sampler(small, 500)
        ('qmc', 'gp', 'tpe')
        >>> choose_sampler(SpaceSummary(4, 1, conditional=True), 40)
        'tpe'
        >>> choose_sampler(SpaceSummary(4, 0, conditional=False, n_integer=3), 40)  # mostly integers
        'tpe'
    """
    if n_complete + n_pruned < n_startup_trials:
        return "qmc"
    if summary.conditional or summary.n_dims == 0 or n_complete >= max_gp_trials:
        return "tpe"
    if summary.n_dims > max_gp_dims:
        return "tpe"
    if summary.n_categorical > 4 or summary.n_discrete > summary.n_float:
        return "tpe"
    return "gp"


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, got {value!r}.")
    return value


class AutoSampler(Sampler):
    """Picks QMC start-up, a GP or TPE for each trial from the study's space and size.

    Args:
        seed: Seed given to every sub-sampler; None draws one from the OS.
        n_startup_trials: Finished (COMPLETE or PRUNED) trials sampled by scrambled Sobol' before a
            model is used (>= 1).
        max_gp_dims: Largest number of dimensions handed to the GP (>= 1).
        max_gp_trials: COMPLETE trials from which on TPE replaces the GP for good (>= 1).
        observe_pruned: The GP and TPE learn from PRUNED trials too, at their last reported
            value (see :func:`~tunelab.samplers.base.is_observed`); they then count as COMPLETE
            for ``max_gp_trials``. :class:`~tunelab.sklearn.TuneSearchCV` turns it on with a pruner.

    Raises:
        ValueError: An argument is out of range.

    Example:
        >>> AutoSampler(seed=3).describe()
        'AutoSampler(seed=3) -> QMCSampler'
    """

    def __init__(
        self,
        seed: int | None = None,
        *,
        n_startup_trials: int = 10,
        max_gp_dims: int = 20,
        max_gp_trials: int = 300,
        observe_pruned: bool = False,
    ) -> None:
        super().__init__(seed)
        self.n_startup_trials = _check_int("n_startup_trials", n_startup_trials, 1)
        self.max_gp_dims = _check_int("max_gp_dims", max_gp_dims, 1)
        self.max_gp_trials = _check_int("max_gp_trials", max_gp_trials, 1)
        if not isinstance(observe_pruned, bool):
            raise TypeError(f"`observe_pruned` must be True or False, got {observe_pruned!r}.")
        self.observe_pruned = observe_pruned
        self._subs: dict[str, Sampler] = {"qmc": QMCSampler(seed=self.seed)}
        self._choice: Choice = "qmc"
        self._by_trial: dict[int, Sampler] = {}
        self._seen: dict[str, tuple[set[int], list[FrozenTrial]]] = {}

    @property
    def current(self) -> Sampler:
        """The sub-sampler used for the latest trial.

        Example:
            >>> type(AutoSampler(seed=0).current).__name__
            'QMCSampler'
        """
        return self._sub(self._choice)

    def _sub(self, choice: Choice) -> Sampler:
        sampler = self._subs.get(choice)
        if sampler is None:
            if choice == "gp":
                from tunelab.samplers.gp import GPSampler

                sampler = GPSampler(seed=self.seed, n_startup_trials=1, observe_pruned=self.observe_pruned)
            else:
                from tunelab.samplers.tpe import TPESampler

                sampler = TPESampler(seed=self.seed, n_startup_trials=0, multivariate=True,
                                     observe_pruned=self.observe_pruned)
            self._subs[choice] = sampler
        return sampler

    def reseed(self, seed: int | None) -> None:
        """Reseed this sampler and every sub-sampler (created now or later) with ``seed``.

        Example:
            >>> s = AutoSampler(seed=0); s.reseed(7); s.current.seed
            7
        """
        super().reseed(seed)
        for sampler in self._subs.values():
            sampler.reseed(seed)

    def describe(self) -> str:
        """``"AutoSampler(seed=...) -> <current choice>"``.

        Example:
            >>> AutoSampler().describe()
            'AutoSampler(seed=None) -> QMCSampler'
        """
        pruned = ", observe_pruned=True" if self.observe_pruned else ""
        return f"AutoSampler(seed={self.seed}{pruned}) -> {type(self.current).__name__}"

    # -- the choice ---------------------------------------------------------------------------
    def _finished(self, study: Study) -> list[FrozenTrial]:
        """Finished (COMPLETE or PRUNED) trials, in a list kept per study and grown incrementally."""
        from tunelab.trial import TrialState

        seen, trials = self._seen.setdefault(study.name, (set(), []))
        for t in study.get_trials((TrialState.COMPLETE, TrialState.PRUNED)):
            if t.trial_id not in seen:
                seen.add(t.trial_id)
                trials.append(t)
        return trials

    def _decide(self, study: Study) -> Choice:
        if self._choice == "tpe":  # sticky: a long or awkward study stays on TPE
            return "tpe"
        finished = self._finished(study)
        n_complete = sum(is_observed(t, pruned=self.observe_pruned) for t in finished)
        choice = choose_sampler(
            summarize_space(finished), n_complete, n_pruned=len(finished) - n_complete,
            n_startup_trials=self.n_startup_trials,
            max_gp_dims=self.max_gp_dims, max_gp_trials=self.max_gp_trials,
        )
        return choice

    # -- delegation ---------------------------------------------------------------------------
    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        """Choose the sub-sampler for ``trial`` and pass the hook on to it."""
        self._choice = self._decide(study)
        sampler = self.current
        self._by_trial[trial.trial_id] = sampler
        sampler.before_trial(study, trial)

    def _for(self, trial: FrozenTrial | None) -> Sampler:
        if trial is None:
            return self.current
        return self._by_trial.get(trial.trial_id, self.current)

    def infer_relative_space(self, study: Study, trial: FrozenTrial) -> dict[str, Distribution]:
        """The relative space of the sub-sampler chosen for ``trial``."""
        return self._for(trial).infer_relative_space(study, trial)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, space: dict[str, Distribution]
    ) -> dict[str, Any]:
        """Joint proposal of the sub-sampler chosen for ``trial``."""
        return self._for(trial).sample_relative(study, trial, space)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        """Independent proposal of the sub-sampler chosen for ``trial``."""
        return self._for(trial).sample_independent(study, trial, name, distribution)

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, value: float | None) -> None:
        """Pass the hook to the sub-sampler that proposed ``trial`` and forget the trial."""
        sampler = self._by_trial.pop(trial.trial_id, None) or self.current
        sampler.after_trial(study, trial, state, value)

    def exhausted(self, study: Study) -> bool:
        """Never: QMC, GP and TPE can always propose another point."""
        return False

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_by_trial={}, _seen={})
        return state
