"""Issue 10, one glossary: every trace step's words begin with its key's glossary label, so the trace,
the sheet, the JSON and the Excel record say one name for one thing. The steps come from runs over
many cases of each preparation (capsules from API, tablets, an aliquot, the density method; liquids
from tablets, API and a liquid aliquot; titrations; weight checks), not from a hand list."""

from __future__ import annotations

import pytest

from compounding.capsules import capsule_batch
from compounding.glossary import term
from compounding.liquids import prepare_liquid
from compounding.qc import weight_check
from compounding.titration import plan_titration
from compounding.trace import Trace

DATE = "2026-03-02"


def _cases():
    caps = [dict(strength=s, quantity=n) for s, n in (("4.5 mg", 90), ("0.1 mg", 10), ("1.5 mg", 60), ("3 mg", 100),
                                                      ("0.5 mg", 30), ("0.25 mg", 12))]
    out = []
    for c in caps:
        out += [capsule_batch(**c, compounding_date=DATE),
                capsule_batch(**c, potency="98.5%", extra="10%", compounding_date=DATE),
                capsule_batch(**c, source="tablets", tablet_weight="321 mg", compounding_date=DATE),
                capsule_batch(**c, method="density", drug_bulk_density="0.5 g/mL", filler_bulk_density="0.6 g/mL",
                              compounding_date=DATE),
                capsule_batch(**c, assay="99.5%", water="8.7%", api_form="hcl_dihydrate", mwq="120 mg",
                              readability="0.1 mg", compounding_date=DATE, actual_weights={"drug": "121 mg"})]
    out += [capsule_batch("4.5 mg", 90, strength_basis="base", capsule_size="1", fill_weight="270 mg",
                          api_fill_weight="350 mg", compounding_date=DATE)]
    out += [prepare_liquid(tablets=1, final_volume="50 mL", compounding_date=DATE),
            prepare_liquid(tablets=2, concentration="0.5 mg/mL", compounding_date=DATE),
            prepare_liquid(concentration="1 mg/mL", final_volume="30 mL", tablet_weight="321 mg",
                           compounding_date=DATE),
            prepare_liquid(source="api", concentration="0.01 mg/mL", final_volume="1 mL", potency="99%",
                           compounding_date=DATE),
            prepare_liquid(source="api", concentration="1 mg/mL", final_volume="150 mL", assay="99%", water="8%",
                           api_form="hcl_dihydrate", mwq="50 mg", compounding_date=DATE)]
    out += [plan_titration(preset="ldnrt_slow", start_date=DATE),
            plan_titration(stages="1.5mg:14,3mg:14,4.5mg:28", form="liquid", overage="5%", start_date=DATE)]
    out += [weight_check(["100 mg", "101 mg", "99 mg"], "100 mg"), weight_check(["100 mg"], "100 mg"),
            weight_check(["150 mg", "151 mg", "149 mg"], "100 mg", shell="50 mg", batch_size=5, mwq="20 mg")]
    return out


RESULTS = _cases()


def test_the_runs_reach_every_kind_of_step():
    keys = {s.key for r in RESULTS for s in r.trace}
    assert {"aliquot_stage_2", "tablets_to_crush", "drug_volume_per_capsule", "aliquot_delivered", "tablets_to_use",
            "capsules_4.5mg", "fills", "net_weights", "verdict", "actual_drug", "potency", "salt_factor"} <= keys


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: type(r).__name__)
def test_every_step_begins_with_its_glossary_label(result):
    for s in result.trace:
        label = term(s.key).label
        assert s.description == label or s.description.startswith(label + " ("), (s.key, s.description, label)
        if s.description != label:
            assert s.description.endswith(")"), s.description  # one convention: label (detail)


def test_a_step_is_worded_from_the_glossary_not_at_the_call_site():
    t = Trace()
    t.add("filler_fill_weight", "given", 1, detail="lactose, size 0, measured")
    t.note("blend_total", 2)
    assert [s.description for s in t.steps] == ["Filler fill weight used (lactose, size 0, measured)", "Blend total"]
    with pytest.raises(KeyError):
        t.add("not_a_glossary_key", "given", 3)  # a step without a name in the glossary cannot be recorded


def test_a_vehicle_component_step_is_named_by_the_component():
    # a component's key is its name from vehicles.toml (data, not a glossary name): its words are that name
    r = prepare_liquid(concentration="1 mg/mL", final_volume="50 mL", vehicle="fawcett_1997", compounding_date=DATE)
    steps = {s.key: s.description for s in r.trace}
    assert steps["ascorbic_acid"] == "Ascorbic acid" and steps["sodium_benzoate"] == "Sodium benzoate"
    assert steps["glycerol"] == "Glycerol"
