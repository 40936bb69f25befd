"""One glossary (issue 10): every field the core refuses by name and every key of a result's JSON has
one entry (label, unit, description) in compounding.glossary, and each form field of the app listens
for a name the core raises."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from compounding import capsule_batch, plan_titration, prepare_liquid
from compounding.errors import InputError
from compounding.glossary import GLOSSARY, WEIGHING_KEYS, term
from compounding.orders import ORDER_KINDS

ROOT = Path(__file__).resolve().parents[1]
DATE = "2026-03-02"
# the calculation core and the QA check (store, CLI, Excel, labels and worklist name their own fields:
# columns, options)
CORE = ["units", "bud", "capsules", "liquids", "liquid_aliquot", "titration", "drug", "weighing", "qc",
        "orders", "reference", "liquid_data", "formulas", "bundle", "check", "verify"]
# the Excel export refuses record fields (patient, lot, note …) and reads records back (verify sits with
# the Excel code, issue 10; compounding/verify.py re-exports it): every module of it, scanned as the core
EXCEL = sorted(f"excel/{p.stem}" for p in (ROOT / "compounding" / "excel").glob("*.py"))


def _trees():
    return {m: ast.parse((ROOT / "compounding" / f"{m}.py").read_text(encoding="utf-8")) for m in CORE + EXCEL}


def _field_positions() -> dict[str, int | None]:
    """Function name -> position of its ``field`` parameter (None: keyword-only), over the package."""
    out: dict[str, int | None] = {}
    for path in (ROOT / "compounding").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                names = [a.arg for a in node.args.posonlyargs + node.args.args]
                if "field" in names:
                    out[node.name] = names.index("field") - (1 if names[0] in ("self", "cls") else 0)
    return out


def _constants(node) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    return []


def raised_fields() -> set[str]:
    """Every field name the core passes as ``field``: ``field="x"`` keywords, ``"x"`` at a function's
    ``field`` position (``as_quantity(v, "strength", "mass")``) and the defaults of ``field`` parameters;
    reference-file fields ("bud.toml: …") are the data's, not a user's."""
    positions, found = _field_positions(), set()
    for tree in _trees().values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                values = [k.value for k in node.keywords if k.arg == "field"]
                if positions.get(name) is not None and len(node.args) > positions[name]:
                    values.append(node.args[positions[name]])
                found.update(c for v in values for c in _constants(v))
            elif isinstance(node, ast.FunctionDef):
                args, defaults = node.args.args, node.args.defaults
                pairs = list(zip(args[len(args) - len(defaults):], defaults))
                pairs += list(zip(node.args.kwonlyargs, node.args.kw_defaults))
                found.update(c for a, d in pairs if a.arg == "field" and d is not None for c in _constants(d))
    found = {f for f in found if ".toml" not in f}
    # names built at run time: the order fields (orders.py refuses them by name), actual_<weighing>
    found |= {f for cls in ORDER_KINDS.values() for f in cls.TYPES} | {f"actual_{k}" for k in WEIGHING_KEYS}
    found |= {"weights_unit"}  # qc.py: f"{field}_unit" for the weights' unit
    return found


def test_the_collector_finds_the_fields_it_should():
    # a collector that finds nothing would make the next test pass vacuously
    fields = raised_fields()
    assert {"strength", "quantity", "tablet_weight", "final_volume", "component_expiries", "stages",
            "qc_low", "individual_low", "date", "vehicle", "preset"} <= fields
    assert "component_expiry" not in fields  # issue 10: the form listens for component_expiries


def test_every_field_the_core_raises_is_in_the_glossary():
    missing = sorted(f for f in raised_fields() if f not in GLOSSARY)
    assert missing == []


def _results():
    return [capsule_batch("4.5 mg", 90, extra="10%", compounding_date=DATE),
            capsule_batch("0.5 mg", 30, compounding_date=DATE, actual_weights={"filler": "9000 mg"}),
            capsule_batch("1.5 mg", 60, source="tablets", tablet_weight="200 mg", compounding_date=DATE),
            prepare_liquid(concentration="1 mg/mL", final_volume="100 mL", doses="0.5mg,1.5mg,4.5mg",
                           compounding_date=DATE),
            prepare_liquid(source="api", concentration="0.1 mg/mL", final_volume="30 mL", potency="99%",
                           compounding_date=DATE),
            prepare_liquid(concentration="1 mg/mL", final_volume="75 mL", tablet_weight="300 mg",
                           compounding_date=DATE),
            plan_titration(stages="1.5mg:14,3mg:14", start_date=DATE),
            plan_titration(stages="1.5mg:14,3mg:14,4.5mg:28", form="liquid", start_date=DATE)]


def _keys(value, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            if k != "inputs":  # a trace step's inputs are named by that step (its own trace words)
                _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    return out


def test_every_key_of_a_result_json_is_in_the_glossary():
    keys = set()
    for result in _results():
        _keys(result.as_dict(), keys)
    assert len(keys) > 100  # the results above reach every part of the JSON (aliquots, fills, chart)
    assert sorted(k for k in keys if k not in GLOSSARY) == []


def test_the_glossary_says_what_a_name_means():
    assert term("stages[2].dose") is GLOSSARY["stages"]
    # one name, one meaning: what goes on the balance is not all the filler in the blend
    assert term("filler_to_add").label != term("filler_to_weigh").label
    assert all(t.label and t.description for t in GLOSSARY.values())
    from compounding.weighing import WEIGHING_KEYS as core_keys

    assert tuple(WEIGHING_KEYS) == tuple(core_keys)


def test_an_expired_component_is_refused_under_the_name_the_form_listens_for():
    with pytest.raises(InputError) as e:
        capsule_batch("4.5 mg", 90, compounding_date=DATE, component_expiries=["2026-03-01"])
    assert e.value.field == "component_expiries"
    with pytest.raises(InputError) as e:
        prepare_liquid(concentration="1 mg/mL", final_volume="50 mL", compounding_date=DATE,
                       component_expiries=[DATE])
    assert e.value.field == "component_expiries" and "0-day" in str(e.value)


def _quantity_field(node: ast.Call) -> list[str]:
    """The name a ``quantity_input`` shows the core's error for: its ``field=``, else its key after the
    page prefix (``f"{p}.strength"`` → ``strength``)."""
    for k in node.keywords:
        if k.arg == "field":
            return _constants(k.value)
    key = node.args[1] if len(node.args) > 1 else None
    if isinstance(key, ast.JoinedStr) and isinstance(key.values[-1], ast.Constant):
        return [key.values[-1].value.rpartition(".")[2]]
    return [c.rpartition(".")[2] for c in _constants(key)] if key else []


def _app_listeners() -> set[str]:
    """The field names the app's forms show an error beside (``w.field_error(page, "name", …)``, and
    each ``w.quantity_input``, which shows the error of its own field)."""
    names = set()
    for path in (ROOT / "app_pages").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node.func, "attr", getattr(node.func, "id", None)) if isinstance(node, ast.Call) else None
            if name == "field_error":
                names.update(c for a in node.args[1:] for c in _constants(a))
            elif name == "quantity_input":
                names.update(_quantity_field(node))
    return names


def test_each_form_field_listens_for_a_name_the_core_raises():
    listeners = _app_listeners()
    assert {"component_expiries", "strength", "date"} <= listeners
    assert sorted(listeners - raised_fields()) == []


def test_the_cli_options_the_glossary_names_exist():
    import argparse
    import importlib

    options = set()
    for sub in ("capsules", "liquid", "titration"):
        parser = argparse.ArgumentParser()
        importlib.import_module(f"compounding.cli.{sub}").add_arguments(parser)
        options.update(o for a in parser._actions for o in a.option_strings)
    named = {t.option for t in GLOSSARY.values() if t.option}
    assert named and named <= options


def _traced_results():
    """Results that reach every trace step: each source and potency input, extra as a count and a
    percentage, one- and two-stage powder aliquots, actual weights, the density method, measured fill
    weights, liquids from tablets (whole and part), powder and a liquid aliquot, titrations in both
    forms, and weight checks with and without a shell."""
    from compounding.qc import weight_check

    return _results() + [
        capsule_batch("4.5 mg", 90, extra="2", potency="98.5%", compounding_date=DATE),
        capsule_batch("4.5 mg", 90, assay="99.5%", water="8.7%", api_form="hcl_dihydrate", compounding_date=DATE),
        capsule_batch("4.5 mg", 90, strength_basis="base", capsule_size="1", fill_weight="270 mg",
                      api_fill_weight="350 mg", compounding_date=DATE),
        capsule_batch("0.1 mg", 10, compounding_date=DATE, actual_weights={"drug": "121 mg"}),
        capsule_batch("1.5 mg", 60, method="density", drug_bulk_density="0.5 g/mL",
                      filler_bulk_density="0.6 g/mL", compounding_date=DATE),
        capsule_batch("3 mg", 100, mwq="120 mg", readability="0.1 mg", qc_limits=("90%", "110%"),
                      compounding_date=DATE),
        prepare_liquid(tablets=1, final_volume="50 mL", compounding_date=DATE),
        prepare_liquid(tablets=2, concentration="0.5 mg/mL", compounding_date=DATE),
        prepare_liquid(source="api", concentration="0.01 mg/mL", final_volume="1 mL", potency="99%",
                       compounding_date=DATE),
        prepare_liquid(source="api", concentration="1 mg/mL", final_volume="150 mL", assay="99%", water="8%",
                       api_form="hcl_dihydrate", compounding_date=DATE),
        plan_titration(preset="ldnrt_slow", start_date=DATE),
        plan_titration(stages="1.5mg:14,3mg:14,4.5mg:28", form="liquid", overage="5%", start_date=DATE),
        weight_check(["100 mg", "101 mg", "99 mg"], "100 mg"),
        weight_check(["150 mg", "151 mg", "149 mg"], "100 mg", shell="50 mg", batch_size=5, mwq="20 mg")]


def test_every_trace_key_is_in_the_glossary():
    # issue 10: term("drug_powder_per_capsule") raised KeyError; the keys come from runs, not a hand list
    keys = {s.key for r in _traced_results() for s in r.trace}
    assert {"drug_powder_per_capsule", "aliquot_stage_2", "weigh_aliquot_2", "api_fill_weight", "final_volume",
            "drug_volume_per_capsule", "aliquot_delivered", "capsules_4.5mg", "net_weights", "verdict"} <= keys
    missing = []
    for k in sorted(keys):
        try:
            t = term(k)
        except KeyError:
            missing.append(k)
        else:
            assert t.label and t.description, k
    assert missing == []


def test_a_numbered_trace_key_reads_as_its_family():
    assert term("aliquot_stage_2") is GLOSSARY["aliquot_stage"]
    assert term("capsules_1.5mg") is term("capsules_4mg") is GLOSSARY["capsules_of_strength"]
    assert term("weigh_diluent_2").label == "Weigh: diluent, aliquot stage 2"
    with pytest.raises(KeyError):
        term("capsules_to_bake")  # a family is a pattern, not a prefix
