"""The suite needs nothing outside the repository (issue 8, item 10).

A fresh clone with no folder beside it used to stop at collection: the golden cases were read from
a reference folder beside the checkout. They now live in ``tests/data/reference/``; these tests
fail if any code, script or configuration file points outside the repository at that folder again.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests import reference_cases

REPO = Path(__file__).resolve().parents[1]
# Files that run or configure something (documentation may mention where the data came from).
CODE_SUFFIXES = {".py", ".sh", ".ini", ".toml", ".cfg", ".txt", ".json", ".yml", ".yaml"}
# A path to the reference folder beside the checkout: up one level, an absolute work path, or
# Path(...) / NAME / ... (NAME spelled in parts so this file does not name the path itself)
OUTSIDE_SHARED = re.compile(r"""(\.\./|/work/)shared\b|["']shared["']\s*[/,)]|/\s*["']shared["']""")


SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".hypothesis", "node_modules"}


def _code_files() -> list[Path]:
    """Every code/configuration file of the checkout except this one (whose examples must match)."""
    files = [f for f in REPO.rglob("*") if f.is_file() and not SKIP_DIRS & set(f.relative_to(REPO).parts)]
    return [f for f in files if (f.suffix in CODE_SUFFIXES or f.parent.name == ".ci")
            and f != Path(__file__).resolve()]


def test_no_file_refers_to_a_shared_folder_outside_the_repository():
    files = _code_files()
    assert REPO / "tests" / "reference_cases.py" in files and REPO / ".ci" / "run" in files  # the scan sees them
    offending = [f"{f.relative_to(REPO)}:{n}: {line.strip()}"
                 for f in files for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
                 if OUTSIDE_SHARED.search(line)]
    assert offending == []


def test_the_pattern_catches_each_way_of_reaching_the_folder_beside_the_repository():
    name = "sha" + "red"
    for line in [f'Path(__file__).resolve().parents[2] / "{name}" / "reference"', f"open('../{name}/x.json')",
                 f'os.path.join(root, "{name}", "reference")', f"cat /work/{name}/reference/cases.md"]:
        assert OUTSIDE_SHARED.search(line), line
    for line in ['"""Widgets and helpers shared by the pages."""', "tests/data/reference/cases.json"]:
        assert not OUTSIDE_SHARED.search(line), line


def test_reference_cases_are_read_from_the_repository(monkeypatch):
    monkeypatch.delenv(reference_cases.ENV_VAR, raising=False)
    path = reference_cases.cases_path().resolve()
    assert path == REPO / "tests" / "data" / "reference" / "cases.json" and path.is_file()
    assert (path.parent / "cases.md").is_file() and (path.parent / "README.md").is_file()
    cases = reference_cases.load_cases()
    assert len(cases) == 30 and all(c["source"] for c in cases)  # the published set, each with its source
