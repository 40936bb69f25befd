"""Test-harness helpers (LibreOffice recalculation, real-browser Streamlit tests).

Fixtures live in :mod:`tests.support.fixtures`; enable them from
``tests/conftest.py`` with::

    pytest_plugins = ["tests.support.fixtures"]
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: Repository root (the directory holding ``app.py`` and ``requirements.txt``).
REPO_ROOT = Path(__file__).resolve().parents[2]


def running_in_ci(environ=os.environ) -> bool:
    """True when the ``CI`` environment variable is set to a truthy value."""
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def skip_or_fail(reason: str) -> None:
    """Skip the current test locally, but FAIL it in CI.

    CI installs every external tool (see ``scripts/test.sh``), so a missing
    tool there is a broken pipeline, not a reason to silently skip.
    """
    if running_in_ci():
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)
