"""Readable automatic run names such as ``brisk-falcon-7``.

The number is the run's position in its project, so names stay short and mostly unique;
uniqueness is not required (runs are identified by their id).

Example:
    >>> import random
    >>> name = run_name(3, rng=random.Random(0))
    >>> name.count("-"), name.endswith("-3")
    (2, True)
"""

from __future__ import annotations

import random

__all__ = ["run_name"]

_ADJECTIVES = (
    "amber", "bold", "brisk", "calm", "clever", "crisp", "daring", "eager", "fancy", "gentle", "glad",
    "golden", "happy", "keen", "lively", "lucky", "mellow", "misty", "nimble", "noble", "polar", "proud",
    "quiet", "rapid", "royal", "rustic", "shiny", "silent", "smooth", "solar", "steady", "sunny", "swift",
    "tidy", "vivid", "warm", "wild", "wise", "witty", "zesty",
)
_NOUNS = (
    "badger", "beacon", "bison", "breeze", "canyon", "cedar", "comet", "coral", "crane", "delta", "dune",
    "falcon", "fern", "fjord", "fox", "galaxy", "glacier", "harbor", "heron", "island", "lake", "lynx",
    "maple", "meadow", "meteor", "moon", "nebula", "oak", "orca", "otter", "panda", "pine", "planet",
    "raven", "river", "sparrow", "star", "tiger", "valley", "willow",
)


def run_name(number: int, *, rng: random.Random | None = None) -> str:
    """Return ``adjective-noun-number``.

    Args:
        number: The suffix, usually the count of runs in the project plus one.
        rng: Source of randomness (default: the ``random`` module).

    Example:
        >>> run_name(1, rng=random.Random(1)).endswith("-1")
        True
    """
    pick = rng or random
    return f"{pick.choice(_ADJECTIVES)}-{pick.choice(_NOUNS)}-{number}"
