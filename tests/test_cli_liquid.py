"""``python -m compounding liquid`` and ``titration`` through a subprocess: the CLI contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compounding", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


LIQUID_KEYS = {"naltrexone_hcl", "concentration", "final_volume", "tablets_to_use", "tablets_to_crush",
               "tablet_powder_to_weigh", "dose_volumes", "bud", "storage", "warnings", "trace"}


def test_liquid_json_contract():
    r = run("liquid", "--concentration", "1mg/mL", "--volume", "150mL", "--doses", "0.5mg,1.5mg,4.5mg",
            "--date", "2026-01-05", "--json")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    d = json.loads(r.stdout)  # stdout is JSON only
    assert LIQUID_KEYS <= set(d)
    assert d["naltrexone_hcl"] == {"value": 150, "unit": "mg"}
    assert d["concentration"] == {"value": 1, "unit": "mg/mL"}
    assert d["final_volume"] == {"value": 150, "unit": "mL"}
    assert d["tablets_to_use"] == 3 and d["tablets_to_crush"] is None and d["tablet_powder_to_weigh"] is None
    assert d["bud"] == "2026-01-19" and d["storage"] == "refrigerator"
    rows = d["dose_volumes"]
    assert [set(r) >= {"dose", "volume", "syringe", "on_graduation"} for r in rows] == [True] * 3
    # issue 8.7: 4.5 mL gets the 10 mL syringe marked by 0.5 mL, so the standard 1 mg/mL stays
    assert rows[2]["volume"] == {"value": 4.5, "unit": "mL"} and rows[2]["on_graduation"] is True
    assert rows[2]["syringe"]["graduation"] == {"value": 0.5, "unit": "mL"} and rows[2]["measurable"] is True
    assert d["recommended_concentration"] is None
    # 150 mL lasts 33.3 days at 4.5 mg but the BUD is 14 days
    assert rows[2]["days_supply"]["value"] == pytest.approx(100 / 3) and rows[2]["limited_by_bud"] is True
    assert rows[2]["days_usable"] == {"value": 14, "unit": "days"}
    sheet = run("liquid", "--concentration", "1mg/mL", "--volume", "150mL", "--doses", "4.5mg", "--date", "2026-01-05")
    assert "one bottle usable for 14 days (limited by the BUD; 33 days at this dose)" in sheet.stdout
    assert all({"key", "description", "formula", "inputs", "value"} <= set(s) for s in d["trace"])


def test_liquid_api_aliquot_json_and_sheet():
    # issue 9.3: 0.1 mg/mL × 10 mL at 99 % = 1.0101 mg of powder; the old plan measured 0.084 mL, shown 0.08 mL
    args = ("liquid", "--source", "api", "--concentration", "0.1mg/mL", "--volume", "10mL", "--potency", "99%",
            "--date", "2026-01-05")
    d = json.loads(run(*args, "--json").stdout)["aliquot"]
    assert {"factor", "api_to_weigh", "stock_volume", "stock_concentration", "stock_volume_to_take",
            "stages", "powder_delivered", "percent_of_target", "instructions"} <= set(d)
    for s in d["stages"]:
        take, grad, low = (s[k]["value"] for k in ("volume_to_take", "device_graduation", "device_minimum"))
        assert take >= low and abs(take / grad - round(take / grad)) < 1e-9
    assert 95 <= d["percent_of_target"]["value"] <= 105
    sheet = run(*args).stdout
    # the row's label is the glossary's (issue 10); below the MWQ the sheet says the aliquot delivers it
    assert "Naltrexone HCl powder to weigh" in sheet and "the liquid aliquot below delivers it" in sheet
    assert d["instructions"][-1] in sheet


def test_liquid_partial_tablet_json():
    r = run("liquid", "--concentration", "0.5mg/mL", "--volume", "90mL", "--tablet-weight", "280mg", "--json")
    d = json.loads(r.stdout)
    assert d["tablets_to_use"] is None and d["tablets_to_crush"] == 1
    assert d["tablet_powder_to_weigh"] == {"value": 252, "unit": "mg"}


def test_liquid_tablets_option_and_vehicle():
    r = run("liquid", "--tablets", "2", "--volume", "100mL", "--vehicle", "fawcett_1997", "--json")
    d = json.loads(r.stdout)
    assert d["concentration"] == {"value": 1, "unit": "mg/mL"} and d["bud_days"] == 35
    assert {"name": "Glycerol", "role": "vehicle", "amount": {"value": 20, "unit": "mL"},
            "make_up_to_final_volume": False} in d["components"]


def test_liquid_api_json():
    r = run("liquid", "--source", "api", "--concentration", "1mg/mL", "--volume", "150mL", "--potency", "99.5%",
            "--json")
    d = json.loads(r.stdout)
    assert d["source"] == "api" and d["potency"] == {"value": 99.5, "unit": "%"}
    assert d["api_to_weigh"]["unit"] == "mg"


def test_liquid_readable_sheet():
    r = run("liquid", "--concentration", "1mg/mL", "--volume", "50mL", "--doses", "1.5mg", "--date", "2024-03-01")
    assert r.returncode == 0
    assert "NALTREXONE HCl 1 mg/mL" in r.stdout and "SHAKE WELL" in r.stdout and "2024-03-15" in r.stdout


@pytest.mark.parametrize("args, field", [
    (["--concentration", "1mg", "--volume", "150mL"], "concentration"),  # a mass as a concentration
    (["--concentration", "1mg/mL", "--volume", "0mL"], "final_volume"),
    (["--concentration", "1mg/mL", "--volume", "150mL", "--tablets", "2"], "tablets"),  # inconsistent
    (["--concentration", "0.5mg/mL", "--volume", "90mL"], "tablet_weight"),
    (["--concentration", "1mg/mL", "--volume", "150mL", "--doses", "6mg"], "doses"),
    (["--concentration", "nan", "--volume", "150mL"], "concentration"),
    (["--concentration", "1mg/mL", "--volume=-5mL"], "final_volume"),
    (["--concentration", "1mg/mL", "--volume", "150mL", "--vehicle", "juice"], "vehicle"),
])
def test_liquid_bad_input_exit_2_one_line(args, field):
    r = run("liquid", *args, "--json")
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and field in lines[0]


TITRATION = ["titration", "--start", "1.5mg", "--step", "1.5mg", "--every", "14", "--target", "4.5mg",
             "--maintain", "28", "--start-date", "2026-01-05"]


def test_titration_capsules_json_contract():
    r = run(*TITRATION, "--form", "capsules", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["stages"][0] == {"dose": {"value": 1.5, "unit": "mg"}, "days": 14, "first_day": 1, "last_day": 14,
                              "start_date": "2026-01-05", "end_date": "2026-01-18"}
    assert d["capsules_per_strength"] == [{"strength": {"value": 1.5, "unit": "mg"}, "count": 14},
                                          {"strength": {"value": 3, "unit": "mg"}, "count": 14},
                                          {"strength": {"value": 4.5, "unit": "mg"}, "count": 28}]
    assert len(d["chart"]) == 56 and d["chart"][55]["date"] == "2026-03-01"
    assert d["total_volume"] is None and d["fills"] is None


def test_titration_liquid_json_contract():
    r = run(*TITRATION, "--form", "liquid", "--concentration", "1mg/mL", "--json")
    d = json.loads(r.stdout)
    assert d["total_volume"] == {"value": 189, "unit": "mL"}
    assert [f["volume"]["value"] for f in d["fills"]] == [21, 42, 63, 63]
    assert [f["date"] for f in d["fills"]] == ["2026-01-05", "2026-01-19", "2026-02-02", "2026-02-16"]
    assert d["chart"][0]["volume"] == {"value": 1.5, "unit": "mL"} and d["chart"][0]["syringe"] == "3 mL oral syringe"


def test_titration_preset_and_sheet():
    r = run("titration", "--preset", "ldnrt_slow", "--form", "liquid", "--start-date", "2026-01-05")
    assert r.returncode == 0
    assert "fill 7" in r.stdout and "Patient chart" in r.stdout and "day  98" in r.stdout


@pytest.mark.parametrize("args, field", [
    (["--start", "1.5mg", "--step", "1.5mg", "--every", "14", "--target", "6mg"], "target"),
    (["--start", "1.5mg", "--step", "0mg", "--every", "14", "--target", "4.5mg"], "step"),
    (["--start", "1.5mg", "--step", "1.5mg", "--every", "0", "--target", "4.5mg"], "every"),
    (["--start", "1.5mg", "--step", "1.5mg", "--target", "4.5mg"], "every"),
    (["--preset", "nope"], "preset"),
])
def test_titration_bad_input_exit_2_one_line(args, field):
    r = run("titration", *args, "--json")
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and field in lines[0]
