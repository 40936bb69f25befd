"""Issue 10, "One glossary": every form field that sets a core input is labelled with the glossary's
label for that field (compounding.glossary), so a field and its name on a page cannot drift apart.

Generated from the rendered pages, not a hand list: each variant of each page is drawn through
Streamlit's AppTest and every widget on it is checked. A widget's core field comes from its key
(``cap.strength`` → ``strength``, app_pages._widgets.field_of); a quantity box also records the
field its refusal names (``_widgets.BOUND``), and that must be the field its key names, so a new
box whose key or label drifts from the core's name fails here.
"""

from __future__ import annotations

import re

import pytest

from compounding.glossary import term
from tests.support import REPO_ROOT

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from app_pages import _widgets as w  # noqa: E402

APP = str(REPO_ROOT / "app.py")
WIDGETS = ("text_input", "text_area", "selectbox", "multiselect", "radio", "checkbox", "date_input",
           "number_input", "toggle", "select_slider")
# typed inputs that make a capsule result, so the fields under it (actual weights, record details) are drawn
CAPSULE_ORDER = {"cap.strength": "4.5", "cap.quantity": "90", "cap.fill_weight": "270"}

VARIANTS = {
    "capsules powder": ("app_pages/capsules.py", []),
    "capsules tablets": ("app_pages/capsules.py", [("selectbox", "cap.formula", "LDN-CAP-TAB")]),
    "capsules densities": ("app_pages/capsules.py", [("radio", "cap.method", "density")]),
    "capsules result": ("app_pages/capsules.py", [("text_input", k, v) for k, v in CAPSULE_ORDER.items()]
                        + [("button", "cap.calculate", None)]),
    "liquid tablets": ("app_pages/oral_liquid.py", []),
    "liquid powder": ("app_pages/oral_liquid.py", [("radio", "liq.source", "api")]),
    "titration regimen": ("app_pages/titration.py", []),
    "titration liquid": ("app_pages/titration.py", [("radio", "tit.form", "liquid")]),
    "titration stages": ("app_pages/titration.py", [("radio", "tit.mode", "stages")]),
    "QA capsules": ("app_pages/independent_check.py", []),
    "QA liquid": ("app_pages/independent_check.py", [("radio", "qa.preparation", "oral_liquid")]),
    "weight check": ("app_pages/weight_check.py", []),
    "worklist": ("app_pages/worklist.py", []),
}


def _rendered(page: str, steps) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page(page).run()
    for kind, key, value in steps:
        if kind == "button":
            at.button(key=key).click()
        else:
            getattr(at, kind)(key=key).set_value(value)
        at.run()
    assert not at.exception, at.exception
    return at


def _widgets(at):
    for kind in WIDGETS:
        for widget in getattr(at, kind, []):
            if isinstance(widget.key, str):
                yield kind, widget


def _glossary_key(field: str) -> str | None:
    """The glossary's key for a field a refusal names; None for a row of a table (``qa.dose_volumes[0].dose``
    is labelled by its row: "Dose 1")."""
    if re.search(r"\[\d+\]", field):
        return None
    for key in (field, field.removeprefix("qa.")):
        try:
            term(key)
            return key
        except KeyError:
            continue
    return None


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_field_shows_its_glossary_label(variant):
    at = _rendered(*VARIANTS[variant])
    checked = []
    for kind, widget in _widgets(at):
        field = w.field_of(widget.key)
        if field is None:
            continue
        label = term(field).label
        assert widget.label.startswith(label), (kind, widget.key, widget.label, label)
        # what follows the label is a note in brackets, never another name for the field
        rest = widget.label[len(label):]
        assert rest == "" or rest.startswith(" ("), (widget.key, widget.label)
        checked.append(widget.key)
    assert len(checked) >= 2, checked  # the page was drawn, and its fields found


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v not in ("titration stages", "worklist")])
def test_every_quantity_box_is_named_for_the_field_its_refusal_names(variant):
    at = _rendered(*VARIANTS[variant])
    bound = at.session_state[w.BOUND] if w.BOUND in at.session_state else {}
    drawn = {x.key for x in at.text_input}
    boxes = {key: field for key, field in bound.items() if key in drawn}
    assert boxes, "no quantity box drawn"
    for key, field in boxes.items():
        known = _glossary_key(field)
        if known is None:
            continue  # a row of a table
        expected = w.LABEL_KEYS.get(key, known)
        assert w.field_of(key) == expected, (key, field, w.field_of(key))
        assert at.text_input(key=key).label.startswith(term(expected).label)


def test_quantity_boxes_without_their_own_help_show_the_glossary_description():
    at = _rendered("app_pages/capsules.py", [])
    # the caller gave these no help: the glossary's description is the help
    for key in ("cap.quantity", "cap.qc_low", "cap.assay", "cap.water"):
        box = at.text_input(key=key)
        assert box.help == term(w.field_of(key)).description, (key, box.help)


def test_field_of_maps_keys_to_the_cores_names():
    # worked out from the pages' keys and the names the core refuses with (compounding.errors field=)
    assert w.field_of("cap.strength") == "strength"
    assert w.field_of("liq.expiry") == "component_expiries"
    assert w.field_of("cap.actual.filler") == "actual_filler"
    assert w.field_of("qa.amount.api_to_weigh") == "api_to_weigh"
    assert w.field_of("cap.record.patient") == "patient"
    assert w.field_of("qc.low") == "individual_low"
    assert w.field_of("cap.strength.unit") is None  # a unit chooser sets no field of its own
    assert w.field_of("qal.dv0.volume") is None


def test_an_error_above_the_form_names_the_field_by_its_glossary_label():
    at = _rendered("app_pages/capsules.py", [("text_input", "cap.strength", "4.5"),
                                             ("text_input", "cap.quantity", "0"),
                                             ("button", "cap.calculate", None)])
    summary = [e.value for e in at.error if e.value.startswith("Not calculated")]
    assert summary and f"**{term('quantity').label}**" in summary[0], summary
