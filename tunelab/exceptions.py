"""Errors raised by tunelab.

Every error is a :class:`TunelabError`, and each specific one also inherits the builtin it
refines, so ``except ValueError`` keeps working for code written before tunelab::

    TunelabError(Exception)
    ├── SpaceError(ValueError)            a distribution or search space is invalid
    ├── StudyError                        misuse of a study (missing study, finished trial …)
    │   ├── DuplicatedStudyError(ValueError)
    │   ├── StudyNotFoundError(KeyError)
    │   ├── ConflictingDistributionError(ValueError)
    │   └── TrialFinishedError(RuntimeError)
    ├── SearchCVError(ValueError)         a search estimator's argument is invalid (before fitting)
    ├── SealedSetError(RuntimeError)      a sealed test set used for training or looked at again
    ├── StorageError(RuntimeError)        the store cannot be opened or written
    │   └── StorageVersionError           the store was written by a newer tunelab
    ├── TrackingError(ValueError)         a logged metric, step or config value is rejected
    ├── RunNotFoundError(KeyError)        no tracked run with that id
    └── GridExhaustedError(RuntimeError)  every grid point has been evaluated

    TrialPruned(Exception)                raised by an objective to stop a trial early

Example:
    >>> import tunelab
    >>> issubclass(tunelab.exceptions.SpaceError, ValueError)
    True
"""

from __future__ import annotations

__all__ = [
    "ConflictingDistributionError",
    "DuplicatedStudyError",
    "GridExhaustedError",
    "RunNotFoundError",
    "SealedSetError",
    "SearchCVError",
    "SpaceError",
    "StorageError",
    "StorageVersionError",
    "StudyError",
    "StudyNotFoundError",
    "TrackingError",
    "TrialFinishedError",
    "TrialPruned",
    "TunelabError",
    "TunelabWarning",
]


class TunelabError(Exception):
    """Base class of every error tunelab raises on purpose.

    Example:
        >>> try:
        ...     raise TunelabError("boom")
        ... except TunelabError as err:
        ...     str(err)
        'boom'
    """


class TunelabWarning(UserWarning):
    """Something the user should fix, though tunelab could go on.

    Example:
        >>> issubclass(TunelabWarning, UserWarning)
        True
    """


class SpaceError(TunelabError, ValueError):
    """A distribution or search space is invalid.

    Example:
        >>> from tunelab import Float
        >>> Float(5, 1)
        Traceback (most recent call last):
        ...
        tunelab.exceptions.SpaceError: `low <= high` must hold, got (low=5.0, high=1.0).
    """


class StudyError(TunelabError):
    """A study was used in a way it does not allow.

    Example:
        >>> issubclass(StudyNotFoundError, StudyError)
        True
    """


class DuplicatedStudyError(StudyError, ValueError):
    """A study with this name already exists and ``load_if_exists`` is False.

    Example:
        >>> issubclass(DuplicatedStudyError, ValueError)
        True
    """


class StudyNotFoundError(StudyError, KeyError):
    """No study has this name in the store.

    Example:
        >>> issubclass(StudyNotFoundError, KeyError)
        True
    """

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ConflictingDistributionError(StudyError, ValueError):
    """A parameter name was suggested with another distribution than before in this study.

    Example:
        >>> issubclass(ConflictingDistributionError, ValueError)
        True
    """


class TrialFinishedError(StudyError, RuntimeError):
    """A finished trial was asked to change (trials are immutable once finished).

    Example:
        >>> issubclass(TrialFinishedError, RuntimeError)
        True
    """


class SearchCVError(TunelabError, ValueError):
    """An argument of a tunelab search estimator is invalid (raised before any fitting).

    Example:
        >>> issubclass(SearchCVError, ValueError)
        True
    """


class SealedSetError(TunelabError, RuntimeError):
    """A sealed test set was used for training, or looked at again in strict mode.

    Example:
        >>> issubclass(SealedSetError, RuntimeError)
        True
    """


class StorageError(TunelabError, RuntimeError):
    """The store cannot be opened, read or written.

    Example:
        >>> issubclass(StorageError, RuntimeError)
        True
    """


class StorageVersionError(StorageError):
    """The store was written by a newer tunelab than this one.

    Example:
        >>> issubclass(StorageVersionError, StorageError)
        True
    """


class TrackingError(TunelabError, ValueError):
    """A value given to the tracker (metric, step, config, artifact) is rejected; nothing else is lost.

    Example:
        >>> issubclass(TrackingError, ValueError)
        True
    """


class RunNotFoundError(TunelabError, KeyError):
    """No tracked run with the given id in this store.

    Example:
        >>> str(RunNotFoundError("no run 'abc'"))
        "no run 'abc'"
    """

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class GridExhaustedError(TunelabError, RuntimeError):
    """Every point of the grid has been evaluated; the study stops.

    Example:
        >>> issubclass(GridExhaustedError, RuntimeError)
        True
    """


class TrialPruned(Exception):  # noqa: N818 - the field's name for it (Optuna, Ray Tune)
    """Raise inside an objective to stop the current trial early; it is recorded as PRUNED.

    Example:
        >>> def objective(trial):
        ...     trial.report(1.0, step=0)
        ...     if trial.should_prune():
        ...         raise TrialPruned()
        ...     return 1.0
    """
