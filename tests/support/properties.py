"""Helpers for the Hypothesis property tests: which profile runs, and how many examples computed.

A property test that accepts "a result with its invariants, or a clean refusal" passes trivially
when every generated example is refused. :func:`mostly_computes` wraps such a test, counts each
example's outcome (the test body calls :func:`computed` or :func:`refused`) and fails the test when
fewer than ``min_share`` of its examples computed.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from contextvars import ContextVar
from fractions import Fraction
from typing import Mapping

from . import running_in_ci

_tally: ContextVar[Counter | None] = ContextVar("property_outcomes", default=None)


def hypothesis_profile(environ: Mapping[str, str] = os.environ) -> str:
    """``HYPOTHESIS_PROFILE`` if set, else ``ci`` when ``CI`` is set (as ``.ci/run`` does), else ``dev``."""
    named = environ.get("HYPOTHESIS_PROFILE", "").strip()
    if named:
        return named
    return "ci" if running_in_ci(environ) else "dev"


def _record(outcome: str) -> None:
    tally = _tally.get()
    if tally is None:
        raise RuntimeError("computed()/refused() called outside a test decorated with @mostly_computes")
    tally[outcome] += 1


def computed() -> None:
    """This example gave a result (whose invariants the test checks)."""
    _record("computed")


def refused() -> None:
    """This example was refused with a clean error."""
    _record("refused")


def share_problem(tally: Counter, min_share: Fraction) -> str | None:
    """Why ``tally`` is not good enough (no example counted, or too few computed), else None."""
    done, total = tally["computed"], tally["computed"] + tally["refused"]
    if total == 0:
        return "no example recorded an outcome (call computed() or refused() in the test body)"
    if done < min_share * total:
        return (f"only {done} of {total} generated examples ({100 * done // total}%) computed a result; "
                f"at least {float(min_share):.0%} must, or the property is barely tested")
    return None


def mostly_computes(min_share: Fraction = Fraction(4, 5)):
    """Decorate a ``@given`` test (put this decorator above ``@given``)."""
    def decorate(test):
        @functools.wraps(test)
        def run(*args, **kwargs):
            tally: Counter = Counter()
            token = _tally.set(tally)
            try:
                test(*args, **kwargs)
            finally:
                _tally.reset(token)
            problem = share_problem(tally, min_share)
            assert problem is None, problem
        return run
    return decorate
