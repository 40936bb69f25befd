"""``python -m compounding capsules`` as another system drives it: a subprocess, its exit status,
stdout and stderr. The JSON contract is the one issue 2 lists."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pint
import pytest

REPO = Path(__file__).resolve().parents[1]
CONTRACT_KEYS = {"capsules_to_make", "naltrexone_hcl", "api_to_weigh", "tablets_to_crush",
                 "tablet_powder_to_weigh", "filler_to_weigh", "blend_total", "fill_weight_per_capsule",
                 "fill_weight_min", "fill_weight_max", "capsule_size", "bud", "storage", "aliquot",
                 "warnings", "trace"}
QUANTITY_KEYS = {"naltrexone_hcl", "filler_to_weigh", "blend_total", "fill_weight_per_capsule",
                 "fill_weight_min", "fill_weight_max"}
ALIQUOT_KEYS = {"drug_to_weigh", "diluent_to_add", "mixture_total", "aliquot_to_take"}
_UREG = pint.UnitRegistry()  # a plain registry, as a consumer of the JSON would have


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compounding", "capsules", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


def run_json(*args: str) -> dict:
    p = run(*args, "--date", "2026-01-05", "--json")
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    return json.loads(p.stdout)  # stdout holds only the JSON


def assert_quantity(q, dimension="[mass]") -> pint.Quantity:
    assert set(q) == {"value", "unit"}, q
    assert isinstance(q["value"], (int, float)) and not isinstance(q["value"], bool)
    assert isinstance(q["unit"], str)
    parsed = _UREG.Quantity(q["value"], q["unit"])
    assert parsed.check(dimension), q
    return parsed


def test_json_contract_api():
    d = run_json("--strength", "4.5mg", "--quantity", "90", "--extra", "10%", "--capsule-size", "1",
                 "--fill-weight", "270mg", "--api-fill-weight", "350mg")
    assert CONTRACT_KEYS <= set(d)
    assert d["capsules_to_make"] == 99 and type(d["capsules_to_make"]) is int
    for key in QUANTITY_KEYS | {"api_to_weigh"}:
        assert_quantity(d[key])
    assert d["tablets_to_crush"] is None and d["tablet_powder_to_weigh"] is None
    assert d["capsule_size"] == "1" and d["aliquot"] is None
    assert dt.date.fromisoformat(d["bud"]) == dt.date(2026, 1, 5) + dt.timedelta(days=180)
    assert isinstance(d["storage"], str) and d["storage"]
    assert isinstance(d["warnings"], list) and all(isinstance(w, str) for w in d["warnings"])
    assert isinstance(d["trace"], list) and all({"key", "description", "value"} <= set(s) for s in d["trace"])
    blend = assert_quantity(d["blend_total"])
    parts = assert_quantity(d["api_to_weigh"]) + assert_quantity(d["filler_to_weigh"])
    assert abs((parts - blend).to("mg").magnitude) < 1e-6


def test_json_contract_tablets():
    d = run_json("--strength", "4.5mg", "--quantity", "30", "--source", "tablets", "--tablet-weight", "321mg",
                 "--fill-weight", "250mg")
    assert d["api_to_weigh"] is None
    assert type(d["tablets_to_crush"]) is int and d["tablets_to_crush"] >= 1
    assert_quantity(d["tablet_powder_to_weigh"])


def test_json_aliquot_one_stage():
    d = run_json("--strength", "0.1mg", "--quantity", "100", "--fill-weight", "250mg")
    a = d["aliquot"]
    assert ALIQUOT_KEYS <= set(a) and "stages" not in a
    for key in ALIQUOT_KEYS:
        assert_quantity(a[key])


def test_json_aliquot_two_stages():
    d = run_json("--strength", "0.1mg", "--quantity", "10")
    a = d["aliquot"]
    assert ALIQUOT_KEYS <= set(a)
    assert isinstance(a["stages"], list) and len(a["stages"]) == 2
    for stage in a["stages"]:
        assert ALIQUOT_KEYS <= set(stage)
        for key in ALIQUOT_KEYS:
            assert_quantity(stage[key])
    first, second = a["stages"]
    assert second["drug_to_weigh"] == first["aliquot_to_take"]  # stage 2 dilutes stage 1's aliquot
    assert {k: a[k] for k in ALIQUOT_KEYS} == {k: first[k] for k in ALIQUOT_KEYS}


def test_readable_sheet_prints_the_key_numbers():
    p = run("--strength", "4.5mg", "--quantity", "90", "--extra", "10%", "--fill-weight", "270mg",
            "--api-fill-weight", "350mg", "--date", "2026-01-05")
    assert p.returncode == 0 and p.stderr == ""
    d = run_json("--strength", "4.5mg", "--quantity", "90", "--extra", "10%", "--fill-weight", "270mg",
                 "--api-fill-weight", "350mg")
    from compounding.display import format_number
    for key in ("naltrexone_hcl", "api_to_weigh", "filler_to_weigh", "blend_total", "fill_weight_per_capsule"):
        assert f"{format_number(d[key]['value'], 2)} mg" in p.stdout, key
    assert "99 (90 ordered + 9 extra)" in p.stdout
    assert d["bud"] in p.stdout


@pytest.mark.parametrize("args, words", [
    (["--strength", "4.5 g"], "mg"),
    (["--strength", "4.5mL"], "volume"),
    (["--strength", "0mg"], "strength"),
    (["--strength=-1mg"], "strength"),
    (["--strength", "nan mg"], "finite"),
    (["--strength", "inf mg"], "finite"),
    (["--strength", ""], "empty"),
    (["--strength", "abc"], "not a number"),
    (["--strength", "4,5mg"], "comma"),
    (["--strength", ".5 mg"], "naked decimal"),
    (["--strength", "4.5gr"], "grain"),
    (["--strength", "4.5cc"], "mL"),
    (["--strength", "0.05mg"], "LDN"),
    (["--strength", "5mg"], "LDN"),
    (["--quantity", "0"], "quantity"),
    (["--quantity", "2.5"], "whole number"),
    (["--quantity", "-3"], "quantity"),
    (["--quantity", "abc"], "quantity"),
    (["--extra", "150%"], "extra"),
    (["--extra", "-1"], "extra"),
    (["--potency", "98.5"], "%"),
    (["--potency", "50%"], "potency"),
    (["--source", "tablets"], "tablet_weight"),
    (["--source", "tablets", "--tablet-weight", "30mg"], "tablet_weight"),
    (["--capsule-size", "7"], "capsule_size"),
    (["--filler", "sand"], "filler"),
    (["--filler", "calcium_carbonate"], "absorption"),
    (["--filler", "slow_release"], "slow-release"),
    (["--source", "tablets", "--tablet-weight", "321mg", "--fill-weight", "20mg"], "size"),
    (["--date", "2026-02-30"], "date"),
    (["--source", "syrup"], "source"),
    (["--bogus"], "unrecognized"),
])
def test_invalid_input_is_one_line_on_stderr_and_exit_2(args, words):
    base = {"--strength": "4.5mg", "--quantity": "90"}
    flags = {a.split("=")[0] for a in args[::2]} | {a.split("=")[0] for a in args if a.startswith("--")}
    argv = [x for k, v in base.items() if k not in flags for x in (k, v)] + args + ["--json"]
    p = run(*argv)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    assert words.lower() in lines[0].lower(), lines[0]


def test_lactose_is_warned_not_refused():
    d = run_json("--strength", "4.5mg", "--quantity", "90", "--filler", "lactose_monohydrate")
    assert any("lactose" in w.lower() for w in d["warnings"])
