"""``python -m compounding weight-check``: the same verdict as the core and the app (issue 8.4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEN = "\n".join(["270.1", "271.5", "272.0", "270.8", "271.2", "270.5", "271.9", "271.0", "270.6", "271.4"]) + "\n"


def run(stdin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compounding", "weight-check", "-", "--target", "271.03 mg", *args],
                          cwd=REPO, input=stdin, capture_output=True, text=True, timeout=60)


def test_two_capsules_are_incomplete_not_pass():
    p = run("271.2\n270.8\n")
    assert p.returncode == 1, p.stderr
    assert "VERDICT: INCOMPLETE" in p.stdout and "2 of 10 capsules weighed: weigh 8 more" in p.stdout
    assert "PASS" not in p.stdout


def test_ten_capsules_pass_with_the_cores_figures():
    p = run(TEN, "--json")
    assert p.returncode == 0 and p.stderr == ""
    d = json.loads(p.stdout)
    assert d["verdict"] == "PASS" and d["n"] == 10 and d["required"] == 10 and d["complete"] is True
    assert d["mean"] == {"value": 271.1, "unit": "mg"}  # Σ 2711 ÷ 10


def test_a_small_batch_is_complete_when_every_capsule_is_weighed():
    p = run("271.2\n270.8\n271\n", "--batch-size", "3")
    assert p.returncode == 0 and "VERDICT: PASS" in p.stdout


def test_one_capsule_outside_fails_at_once():
    p = run("271.2\n300\n")  # 300 ÷ 271.03 = 110.69 %
    assert p.returncode == 1 and "VERDICT: FAIL" in p.stdout and "#2 (300 mg, 110.69%)" in p.stdout


def test_a_line_that_is_not_a_weight_names_its_line(tmp_path):
    p = run("abc\n271.2\n270.8\n")
    assert p.returncode == 2 and "line 1: 'abc' is not a weight" in p.stderr and p.stdout == ""
    csv = tmp_path / "balance.csv"
    csv.write_text("No.,Weight (g)\n" + "".join(f"{i},0.2711\n" for i in range(1, 11)))
    p = subprocess.run([sys.executable, "-m", "compounding", "weight-check", str(csv), "--target", "271.03mg"],
                       cwd=REPO, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "10 of 10 capsules weighed" in p.stdout


SIZE3 = "88\n89.5\n90\n90.5\n91\n92\n89\n90.2\n90.8\n91.5\n"


def test_the_balance_a_check_needs_is_named():
    """Issue 9.5: 90 mg capsules within 81-99 mg on the Class III balance (MWQ 120 mg)."""
    p = subprocess.run([sys.executable, "-m", "compounding", "weight-check", "-", "--target", "90mg"], cwd=REPO,
                       input=SIZE3, capture_output=True, text=True, timeout=60)
    assert "warning: 10 of 10 capsules weigh less than the MWQ of the Class III" in p.stdout
    assert "needs 2.25 mg or better): use the analytical balance, 0.1 mg scale interval" in p.stdout
    p = subprocess.run([sys.executable, "-m", "compounding", "weight-check", "-", "--target", "90mg", "--balance",
                        "analytical_0_1mg", "--json"], cwd=REPO, input=SIZE3, capture_output=True, text=True,
                       timeout=60)
    d = json.loads(p.stdout)
    assert d["balance"]["warnings"] == [] and d["balance"]["mwq"] == {"value": 82, "unit": "mg"}
    assert d["balance"]["error_allowed"] == {"value": 2.25, "unit": "mg"}
