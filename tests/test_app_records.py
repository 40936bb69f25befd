"""The batch-record pages through Streamlit's AppTest, on a real SQLite store in a temporary LDN_DATA_DIR:
sign-in and idle sign-out, pages by role, Save as batch, actual weights, review, stock, recall, search and
paging; and the refusals: the service refuses what a role may not do whatever the page shows, with its
message on the page and nothing changed."""

from __future__ import annotations

import io
import time
from fractions import Fraction

import pytest

from tests.support import REPO_ROOT
from tests.support import records

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from compounding.store import Store  # noqa: E402
from compounding.units import Q  # noqa: E402

pytestmark = pytest.mark.store
APP = str(REPO_ROOT / "app.py")
PW = records.PASSWORDS


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return records.build(tmp_path_factory.mktemp("records-template"))


@pytest.fixture
def store(template, tmp_path, monkeypatch):
    """A fresh store (users + released API lot) that the app under test opens through LDN_DATA_DIR."""
    data = records.copy(template, tmp_path / "data")
    monkeypatch.setenv("LDN_DATA_DIR", str(data))
    monkeypatch.delenv("LDN_DATABASE_URL", raising=False)
    s = Store.open(f"sqlite:///{data / records.FILE}")
    yield s
    s.close()


@pytest.fixture(scope="module")
def pg_template():
    """A PostgreSQL server with a seeded template database (skipped locally without PostgreSQL)."""
    from sqlalchemy import create_engine, text

    from tests.support import skip_or_fail
    from tests.support.postgres import pg_bin_or_skip_reason, run_postgres

    bin_dir, reason = pg_bin_or_skip_reason()
    if bin_dir is None:
        skip_or_fail(reason)
    with run_postgres(bin_dir) as server:
        admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("CREATE DATABASE app_template"))
        records.seed(server.url("app_template"))
        yield server, admin
        admin.dispose()


_pg_databases = iter(range(10**6))


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path, monkeypatch):
    """The same store on SQLite (LDN_DATA_DIR) or on PostgreSQL (LDN_DATABASE_URL)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("store")
        return
    from sqlalchemy import text

    server, admin = request.getfixturevalue("pg_template")
    name = f"app_{next(_pg_databases)}"
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name} TEMPLATE app_template STRATEGY FILE_COPY"))
    monkeypatch.setenv("LDN_DATABASE_URL", server.url(name))
    s = Store.open(server.url(name))
    yield s
    s.close()
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def texts(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "error", "info", "success", "warning", "subheader", "title")
             for e in getattr(at, kind)]
    parts += [t.value.reset_index().to_string() for t in at.table]
    return "\n".join(str(p) for p in parts)


def listed(at) -> list[str]:
    """The lot numbers in the list of batches on the page, in order."""
    import re

    tables = [m.value for m in at.markdown if m.value.startswith("| Lot number |")]
    assert len(tables) <= 1
    return re.findall(r"^\| (LDN-[0-9A-Z-]+) \|", tables[0], re.M) if tables else []


def steps(at) -> list[str]:
    """The workflow buttons on the opened batch (its Excel record is for everyone)."""
    return [b.key for b in at.button if b.key and b.key.startswith("rec.batch.") and ".excel" not in b.key]


def ok(at) -> AppTest:
    assert not at.exception, at.exception
    return at


def sign_in(username: str, password: str | None = None) -> AppTest:
    at = ok(AppTest.from_file(APP, default_timeout=60).run())
    ok(at.switch_page("app_pages/sign_in.py").run())
    at.text_input(key="rec.login.username").set_value(username)
    at.text_input(key="rec.login.password").set_value(PW[username] if password is None else password)
    return ok(at.button(key="rec.login.submit").click().run())


def go(at, page: str) -> AppTest:
    return ok(at.switch_page(f"app_pages/{page}.py").run())


def click(at, key: str) -> AppTest:
    return ok(at.button(key=key).click().run())


def api_lot(store) -> int:
    return next(x.id for x in store.ingredient_lots() if x.supplier_lot == records.API_LOT)


def result():
    from compounding import capsule_batch

    import datetime as dt

    return capsule_batch("4.5 mg", 90, potency="99.5%", compounding_date=dt.date.today().isoformat())


def batch(store, preparer: str = "tech", status: str = "draft", **create) -> str:
    """A 4.5 mg × 90 capsule batch from the released API lot, moved to ``status`` through the service."""
    r = result()
    b = store.create_batch(preparer, kind="capsules", order=r.order, result=r, ingredient_lots=[api_lot(store)],
                           **create)
    lot = b.lot_number
    if status in ("in_preparation", "ready_for_review", "verified", "released"):
        store.start_preparation(preparer, lot)
    if status in ("ready_for_review", "verified", "released"):
        store.submit_for_review(preparer, lot, password=PW[preparer])
    if status in ("verified", "released"):
        store.verify("pharm2", lot, password=PW["pharm2"])
    if status == "released":
        store.release("pharm2", lot, password=PW["pharm2"])
    return lot


def open_batch(at, lot: str) -> AppTest:
    go(at, "batches")
    box = next(s for s in at.selectbox if s.key.startswith("rec.search.open"))
    ok(box.set_value(lot).run())
    assert lot in at.subheader[0].value
    return at


# --- sign-in, sessions, pages by role -------------------------------------------------------------

def test_calculator_pages_need_no_sign_in_and_records_pages_are_hidden(store):
    at = ok(AppTest.from_file(APP, default_timeout=60).run())
    assert [t.value for t in at.title] == ["Capsules"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not shown when signed out
        at.switch_page("app_pages/batches.py").run()


def test_wrong_password_is_refused_with_one_message_for_name_and_password(store):
    at = sign_in("tech", "not-the-password")
    assert "Sign-in refused: the user name or password is wrong" in texts(at)
    assert [t.value for t in at.title] == ["Sign in"]
    at2 = ok(AppTest.from_file(APP, default_timeout=60).run())
    ok(at2.switch_page("app_pages/sign_in.py").run())
    at2.text_input(key="rec.login.username").set_value("nobody")
    at2.text_input(key="rec.login.password").set_value("whatever-1")
    click(at2, "rec.login.submit")
    assert "Sign-in refused: the user name or password is wrong" in texts(at2)


def test_sign_in_shows_the_role_pages_and_sign_out_hides_them(store):
    at = sign_in("tech")
    assert "Signed in as Tom Tech (technician)" in texts(at)
    assert [t.value for t in go(at, "batches").title] == ["Batches"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # a technician has no Review
        go(at, "review")
    go(at, "sign_in")
    click(at, "rec.login.sign_out")
    assert "Signed out." in texts(at) and [t.value for t in at.title] == ["Sign in"]
    assert "rec.auth" not in at.session_state


@pytest.mark.parametrize("minutes, idle_s, signed_out", [(None, 14 * 60, False), (None, 16 * 60, True),
                                                         ("1", 61, True), ("1", 50, False)])
def test_an_idle_session_is_signed_out(store, monkeypatch, minutes, idle_s, signed_out):
    """Default 15 minutes; LDN_SESSION_IDLE_MINUTES sets another."""
    if minutes:
        monkeypatch.setenv("LDN_SESSION_IDLE_MINUTES", minutes)
    at = sign_in("pharm")
    at.session_state["rec.auth"]["seen"] = time.time() - idle_s  # the last click was that long ago
    ok(at.run())
    assert ("rec.auth" not in at.session_state) is signed_out
    assert ("Signed out after" in texts(at)) is signed_out


# --- save as batch, actual weights, submit ---------------------------------------------------------

def calculate_capsules(at, potency: float | None = 99.5) -> AppTest:
    go(at, "capsules")
    typed = {"cap.strength": 4.5, "cap.quantity": 90, **({"cap.potency": potency} if potency is not None else {})}
    for key, value in typed.items():
        if any(t.key == key for t in at.text_input):  # a quantity typed as text (the app's input convention)
            at.text_input(key=key).set_value(str(value))
        else:
            at.number_input(key=key).set_value(value)
    return click(at, "cap.calculate")


def test_save_as_batch_needs_sign_in(store):
    at = ok(AppTest.from_file(APP, default_timeout=60).run())
    calculate_capsules(at)
    assert "Sign in to save this calculation" in texts(at)
    assert not [b for b in at.button if b.key and b.key.startswith("rec.save")]


def test_save_as_batch_records_the_lot_and_the_order(any_store):
    store = any_store
    at = calculate_capsules(sign_in("tech"))
    at.selectbox(key="rec.save.capsules.api").select_index(0)
    click(at, "rec.save.capsules.save")
    page = store.search_batches()
    assert page.total == 1
    b = store.batch(page.items[0].lot_number)
    assert (b.status, b.preparer, b.strength) == ("draft", "tech", "4.5 mg")
    assert [x.supplier_lot for x in b.ingredient_lots] == [records.API_LOT]
    # the order is the core's order JSON (as typed, defaults filled in), so the record can be calculated again
    fields = b.order["fields"]
    assert b.order["kind"] == "capsules"
    assert (fields["strength"], fields["quantity"], fields["potency"]) == (
        {"value": "4.5", "unit": "mg"}, 90, {"value": "99.5", "unit": "%"})
    assert b.result["capsules_to_make"] == 90
    assert f"Saved as draft batch {b.lot_number}" in texts(at)


def test_save_as_batch_refuses_a_lot_whose_potency_was_not_used(store):
    """The lot says 99.5 %; a calculation without potency correction must not be recorded against it."""
    at = calculate_capsules(sign_in("tech"), potency=None)
    at.selectbox(key="rec.save.capsules.api").select_index(0)
    click(at, "rec.save.capsules.save")
    assert "Not saved" in texts(at) and "as-is potency of 99.5%" in texts(at)
    assert store.search_batches().total == 0


def test_save_an_oral_liquid_as_batch(store):
    """LQ-01: one 50 mg tablet in 50 mL = 1 mg/mL; saved as an oral-liquid batch of that strength."""
    at = go(sign_in("pharm"), "oral_liquid")
    for key, value in (("liq.tablets", 1), ("liq.final_volume", 50)):
        if any(t.key == key for t in at.text_input):
            at.text_input(key=key).set_value(str(value))
        else:
            at.number_input(key=key).set_value(value)
    click(at, "liq.calculate")
    click(at, "rec.save.oral_liquid.save")
    page = store.search_batches()
    assert page.total == 1 and (page.items[0].kind, page.items[0].strength) == ("oral_liquid", "1 mg/mL")
    assert store.batch(page.items[0].lot_number).preparer == "pharm"


def test_the_api_lots_figures_go_into_the_calculation_without_retyping(store):
    at = calculate_capsules(sign_in("tech"), potency=None)
    at.selectbox(key="rec.save.capsules.api").select_index(0)
    click(at, "rec.save.capsules.save")  # refused: calculated without the lot's potency; the page offers it
    assert "Not saved" in texts(at) and store.search_batches().total == 0
    click(at, "rec.save.capsules.use_lot")
    assert "press Calculate" in texts(at)
    click(at, "cap.calculate")
    # 405 mg naltrexone HCl / 0.995 = 407.04 mg of powder, weighed at 10 mg readability: 410 mg
    assert {m.label: m.value for m in at.metric}["Naltrexone HCl powder to weigh"] == "410 mg"
    click(at, "rec.save.capsules.save")
    b = store.batch(store.search_batches().items[0].lot_number)
    assert [x.supplier_lot for x in b.ingredient_lots] == [records.API_LOT]
    assert b.order["fields"]["potency"] == {"value": "99.5", "unit": "%"}


def dihydrate_lot(store, potency_basis: str | None) -> int:
    """A released naltrexone HCl dihydrate lot, 90 % as-is, on the given potency basis (None: anhydrous salt)."""
    import datetime as dt

    lot = store.receive_ingredient_lot("tech", kind="api", material="naltrexone hydrochloride", supplier="Acme",
                                       supplier_lot="DH-1", expiry=dt.date.today() + dt.timedelta(days=365),
                                       salt_form="hcl_dihydrate", potency="90%", potency_basis=potency_basis)
    return store.release_ingredient_lot("pharm", lot.id).id


def pick_api_lot(at, store, lot_id: int) -> None:
    import datetime as dt

    options = [x for x in store.ingredient_lots(status="released") if x.kind == "api" and x.expiry >= dt.date.today()]
    at.selectbox(key="rec.save.capsules.api").select_index(next(i for i, x in enumerate(options) if x.id == lot_id))


@pytest.mark.parametrize("lot_basis, typed_basis, words", [
    # the CoA's 90 % is of the dihydrate itself; the calculation took 90 % of the anhydrous salt
    ("hcl_dihydrate", "anhydrous", "potency is the content of naltrexone hydrochloride dihydrate; the calculation "
                                   "took the potency as the content of naltrexone hydrochloride (anhydrous)"),
    # the CoA's 90 % is of the anhydrous salt (none stated: the usual basis); the calculation took the dihydrate's
    (None, "as_weighed", "potency is the content of naltrexone hydrochloride (anhydrous); the calculation took "
                         "the potency as the content of naltrexone hydrochloride dihydrate")])
def test_save_as_batch_refuses_a_lot_whose_potency_basis_was_not_used(store, lot_basis, typed_basis, words):
    """Same lot, same 90 %: on the anhydrous basis the powder to weigh is 405 mg ÷ 0.9 = 450 mg, on the
    dihydrate's 405 × 1.0954 ÷ 0.9 ≈ 493 mg (domain §1): a basis the lot does not have is a 9.5 % dosing error."""
    lot = dihydrate_lot(store, lot_basis)
    at = go(sign_in("tech"), "capsules")
    at.selectbox(key="cap.api_form").set_value("hcl_dihydrate")
    at.selectbox(key="cap.potency_basis").set_value(typed_basis)
    for key, value in (("cap.strength", "4.5"), ("cap.quantity", "90"), ("cap.potency", "90")):
        at.text_input(key=key).set_value(value)
    click(at, "cap.calculate")
    pick_api_lot(at, store, lot)
    click(at, "rec.save.capsules.save")
    shown = texts(at)
    assert "Not saved" in shown and words in shown and "and calculate again" in shown
    assert "has an as-is potency of" not in shown and store.search_batches().total == 0  # potency, salt form agree
    click(at, "rec.save.capsules.use_lot")  # the lot's basis goes into the form; calculated again, it saves
    assert at.session_state["cap.potency_basis"] != typed_basis
    click(at, "cap.calculate")
    pick_api_lot(at, store, lot)
    click(at, "rec.save.capsules.save")
    b = store.batch(store.search_batches().items[0].lot_number)
    assert b.order["fields"]["potency_basis"] == lot_basis
    assert b.result["potency_basis"] == (lot_basis or "hcl_anhydrous")


def test_admin_cannot_save_a_batch(store):
    at = calculate_capsules(sign_in("admin"))
    assert "A admin does not prepare batches" in texts(at)


def test_actual_weights_with_verdicts_then_submit(any_store):
    store = any_store
    lot = batch(store, status="in_preparation")
    at = open_batch(sign_in("tech"), lot)
    # calculated: API 405 mg / 0.995 = 407.035 mg; blend 90 × 90 mg = 8100 mg, filler 8100 − 407.035 = 7692.96 mg.
    # The bench weighs at the Class III balance's 10 mg steps: API 410 mg, filler 8100 − 410 = 7690 mg; those
    # are the targets (5 % of 410 mg = 20.5 mg: over above 430.5 mg)
    at.text_input(key="rec.batch.w.api_to_weigh").set_value("431 mg")  # 5.1 % over 410 mg: over
    at.text_input(key="rec.batch.w.filler_to_weigh").set_value("7.69 g")  # the plan's 7690 mg exactly: within
    at.text_input(key="rec.batch.w.tolerance").set_value("5%")
    click(at, "rec.batch.weights")
    weights = {w.step: (w.target, w.verdict) for w in store.batch(lot).weights}
    assert weights == {"api_to_weigh": (Q(410, "mg"), "over"), "filler_to_weigh": (Q(7690, "mg"), "within")}
    shown = texts(at)
    assert "OVER" in shown
    # recalculated by the core from the weights as weighed: 431 mg ÷ 407.035 mg needed = 105.9 % of the strength
    assert "105.9% of the strength" in shown
    at.text_input(key="rec.batch.submit_pw").set_value(PW["tech"])
    click(at, "rec.batch.submit")
    assert store.batch(lot).status == "ready_for_review"
    assert "submitted for review" in texts(at)
    assert [s.meaning for s in store.batch(lot).signatures] == ["prepared"]


def test_capsule_weights_are_recorded_net_of_the_shell(store):
    lot = batch(store, status="in_preparation")
    at = open_batch(sign_in("tech"), lot)
    at.text_area(key="rec.batch.c.weights").set_value("166 mg\n167.5 mg\n165 mg")
    at.text_input(key="rec.batch.c.shell").set_value("76 mg")
    click(at, "rec.batch.capsules")
    # net: 90, 91.5, 89 mg; mean 270.5 / 3 = 90.17 mg
    assert [x.magnitude for x in store.batch(lot).capsule_weights] == [90, Fraction(183, 2), 89]
    assert "3 capsule weights recorded" in texts(at) and "mean 90.17 mg" in texts(at)


def test_a_pharmacist_approves_the_fill_weight_learned_from_a_released_batch(store):
    import datetime as dt

    filler = store.receive_ingredient_lot("tech", kind="filler", material="mcc_ph102", supplier="FillCo",
                                          supplier_lot="F-1", expiry=dt.date.today() + dt.timedelta(days=400))
    store.release_ingredient_lot("pharm", filler.id)
    lot = batch(store, status="in_preparation")
    store.add_ingredient_lot_to_batch("tech", lot, filler.id)
    store.record_capsule_weights("tech", lot, "\n".join(f"{90 + i % 3} mg" for i in range(10)))  # at least 10
    store.submit_for_review("tech", lot, password=PW["tech"])
    store.verify("pharm2", lot, password=PW["pharm2"])
    store.release("pharm2", lot, password=PW["pharm2"])
    proposed = store.propose_fill_weight(lot).proposed
    at = open_batch(sign_in("pharm"), lot)
    assert "Filler fill weight learned from this batch" in texts(at)
    click(at, "rec.batch.fill")
    assert store.ingredient_lot(filler.id).fill_weights[store.propose_fill_weight(lot).capsule_size] == proposed
    assert "fill weight in size" in texts(at)


@pytest.mark.parametrize("typed, words", [("4,5 mg", "comma"), ("-1 g", "actual"), ("", None)])
def test_a_bad_actual_weight_is_refused_naming_the_field(store, typed, words):
    lot = batch(store, status="in_preparation")
    at = open_batch(sign_in("tech"), lot)
    at.text_input(key="rec.batch.w.api_to_weigh").set_value(typed or "407 mg")
    at.text_input(key="rec.batch.w.tolerance").set_value("5%" if typed else "985%")
    click(at, "rec.batch.weights")
    shown = texts(at)
    assert "Refused" in shown and (words or "tolerance") in shown
    assert store.batch(lot).weights == ()


def test_allocation_to_a_patient_is_found_by_the_patient_search(store):
    lot = batch(store)
    at = open_batch(sign_in("tech"), lot)
    at.text_input(key="rec.batch.a.patient").set_value("Jane Doe")
    at.text_input(key="rec.batch.a.rx").set_value("RX-77")
    at.text_input(key="rec.batch.a.quantity").set_value("100")  # the batch makes 90
    click(at, "rec.batch.allocate")
    assert "Refused" in texts(at) and "quantity" in texts(at) and store.batch(lot).allocations == ()
    # a refusal keeps what was typed: only the wrong box is corrected
    assert [at.text_input(key=f"rec.batch.a.{k}").value for k in ("patient", "rx", "quantity")] == \
        ["Jane Doe", "RX-77", "100"]
    at.text_input(key="rec.batch.a.prescriber").set_value("Dr. A. Smith")
    at.text_input(key="rec.batch.a.quantity").set_value("90")
    click(at, "rec.batch.allocate")
    assert [(a.patient, a.rx_number, a.prescriber, a.quantity) for a in store.batch(lot).allocations] == \
        [("Jane Doe", "RX-77", "Dr. A. Smith", 90)]
    assert "Dr. A. Smith" in texts(at)  # the allocation table shows the prescriber
    # taken: the form is empty for the next prescription
    assert [at.text_input(key=f"rec.batch.a.{k}").value for k in ("patient", "rx", "prescriber", "quantity")] == \
        ["", "", "", ""]
    assert [b.lot_number for b in store.search_batches(patient="jane doe").items] == [lot]


def test_another_preparers_draft_cannot_be_edited(store):
    lot = batch(store, preparer="pharm", status="in_preparation")
    at = open_batch(sign_in("tech"), lot)
    assert not steps(at)  # no preparation steps shown


# --- review ---------------------------------------------------------------------------------------

def review(at, lot: str) -> AppTest:
    go(at, "review")
    ok(at.selectbox(key="rec.review.open").set_value(lot).run())
    return at


def test_pharmacist_verifies_and_releases_with_the_password(any_store):
    store = any_store
    lot = batch(store, status="ready_for_review")
    at = review(sign_in("pharm"), lot)
    at.text_input(key="rec.batch.verify_pw").set_value("wrong-password")
    click(at, "rec.batch.verify")
    assert "Refused" in texts(at) and "password" in texts(at)
    assert store.batch(lot).status == "ready_for_review"
    at.text_input(key="rec.batch.verify_pw").set_value(PW["pharm"])
    click(at, "rec.batch.verify")
    assert store.batch(lot).status == "verified"
    at.text_input(key="rec.batch.release_pw").set_value(PW["pharm"])
    click(at, "rec.batch.release")
    b = store.batch(lot)
    assert (b.status, b.verifier) == ("released", "pharm")
    assert [s.meaning for s in b.signatures] == ["prepared", "verified", "released"]


def test_the_preparer_cannot_verify_their_own_batch(any_store):
    """The page shows Verify to every pharmacist; the service refuses the batch's own preparer."""
    store = any_store
    lot = batch(store, preparer="pharm", status="ready_for_review")
    at = review(sign_in("pharm"), lot)
    at.text_input(key="rec.batch.verify_pw").set_value(PW["pharm"])
    click(at, "rec.batch.verify")
    assert "prepared this batch: a second person must verify it" in texts(at)
    assert store.batch(lot).status == "ready_for_review" and store.batch(lot).verifier is None


def test_send_back_needs_a_reason(store):
    lot = batch(store, status="ready_for_review")
    at = review(sign_in("pharm"), lot)
    click(at, "rec.batch.send_back")
    assert "Refused" in texts(at) and "reason" in texts(at)
    at.text_input(key="rec.batch.send_back_reason").set_value("filler weight not recorded")
    click(at, "rec.batch.send_back")
    b = store.batch(lot)
    assert (b.status, b.status_reason) == ("in_preparation", "filler weight not recorded")


def test_a_10000_character_reason_is_refused(store):
    lot = batch(store, status="verified")
    at = review(sign_in("pharm"), lot)
    at.text_input(key="rec.batch.quarantine_reason").set_value("x" * 10_000)
    click(at, "rec.batch.quarantine")
    assert "too long" in texts(at) and store.batch(lot).status == "verified"


# who, batch status, the step a pharmacist's page offers, the service's refusal
TAMPERED = [("tech", "verified", "release", "may not release a batch"),
            ("tech", "ready_for_review", "verify", "may not verify a batch"),
            ("admin", "ready_for_review", "verify", "may not verify a batch"),
            ("admin", "verified", "release", "may not release a batch")]


@pytest.mark.parametrize("who, status, step, refusal", TAMPERED, ids=[f"{w}-{s}" for w, s, _, _ in TAMPERED])
def test_no_review_step_is_shown_to_a_non_pharmacist_and_the_service_refuses_it_anyway(store, who, status, step,
                                                                                     refusal):
    lot = batch(store, status=status)
    at = open_batch(sign_in(who), lot)
    assert not steps(at)  # no review steps shown
    # a page that showed the pharmacist's buttons anyway (here: a session whose role was altered)
    at.session_state["rec.auth"]["role"] = "pharmacist"
    ok(at.run())
    events = len(store.history(lot))
    review(at, lot)
    at.text_input(key=f"rec.batch.{step}_pw").set_value(PW[who])
    click(at, f"rec.batch.{step}")
    assert refusal in texts(at)
    assert store.batch(lot).status == status and len(store.history(lot)) == events


@pytest.mark.parametrize("who, pages", [("tech", {"batches", "stock", "recall"}),
                                        ("admin", {"batches", "stock", "recall", "users"}),
                                        ("pharm", {"batches", "stock", "recall", "review"})])
def test_records_pages_by_role(store, who, pages):
    at = sign_in(who)
    for name in ("batches", "stock", "recall", "review", "users"):
        if name in pages:
            assert go(at, name).title[0].value == name.capitalize()
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                go(at, name)
    go(at, "stock")
    assert any(b.key == "rec.stock.receive" for b in at.button) is (who != "admin")  # admins sign nothing


def test_a_deactivated_user_is_refused_on_the_next_click(store):
    lot = batch(store, status="verified")
    at = review(sign_in("pharm"), lot)
    store.deactivate_user("admin", "pharm", reason="left the pharmacy")
    at.text_input(key="rec.batch.release_pw").set_value(PW["pharm"])
    click(at, "rec.batch.release")
    assert "Refused" in texts(at) and store.batch(lot).status == "verified"


# --- stock ----------------------------------------------------------------------------------------

def receive(at, **fields) -> AppTest:
    import datetime as dt

    go(at, "stock")
    at.text_input(key="rec.stock.r.supplier").set_value(fields.get("supplier", "Acme"))
    at.text_input(key="rec.stock.r.supplier_lot").set_value(fields.get("lot", "NX-9001"))
    at.date_input(key="rec.stock.r.expiry").set_value(fields.get("expiry", dt.date.today() + dt.timedelta(days=400)))
    at.text_input(key="rec.stock.r.potency").set_value(fields.get("potency", "98.7%"))
    return click(at, "rec.stock.receive")


def test_technician_receives_a_lot_into_quarantine_and_cannot_release_it(store):
    at = receive(sign_in("tech"))
    lot = next(x for x in store.ingredient_lots() if x.supplier_lot == "NX-9001")
    assert lot.status == "quarantined" and lot.potency.magnitude == Fraction(987, 10)
    assert "quarantined until a pharmacist releases it" in texts(at)
    assert not [b for b in at.button if b.key in ("rec.stock.release", "rec.stock.reject")]


@pytest.mark.parametrize("fields, words", [({"potency": "985%"}, "potency"),
                                           ({"lot": records.API_LOT}, "already recorded"),
                                           ({"lot": "'; DROP TABLE batches; --"}, "supplier_lot"),
                                           ({"potency": "98,5%"}, "comma")])
def test_bad_lot_input_is_refused_naming_the_field(store, fields, words):
    before = len(store.ingredient_lots())
    at = receive(sign_in("tech"), **fields)
    assert "Refused" in texts(at) and words in texts(at)
    assert len(store.ingredient_lots()) == before


def test_an_expired_lot_is_refused(store):
    import datetime as dt

    at = receive(sign_in("tech"), expiry=dt.date.today() - dt.timedelta(days=1))
    assert "in the past" in texts(at)


def test_pharmacist_releases_and_rejects_lots(store):
    at = receive(sign_in("pharm"))
    click(at, "rec.stock.release")
    assert next(x for x in store.ingredient_lots() if x.supplier_lot == "NX-9001").status == "released"
    receive(at, lot="NX-9002")
    click(at, "rec.stock.reject")  # no reason
    assert "Refused" in texts(at) and "reason" in texts(at)
    at.text_input(key="rec.stock.d.reason").set_value("certificate does not match the label")
    click(at, "rec.stock.reject")
    assert next(x for x in store.ingredient_lots() if x.supplier_lot == "NX-9002").status == "rejected"


# --- batches: search and paging -------------------------------------------------------------------

def test_search_by_lot_patient_status_and_ingredient_lot(any_store):
    store = any_store
    a = batch(store, allocations=[{"patient": "Jane O'Brien", "rx_number": "RX-1", "quantity": 90}])
    b = batch(store, status="in_preparation")
    at = go(sign_in("pharm"), "batches")

    def search(**typed):
        for k in ("lot_number", "patient", "strength", "ingredient_lot"):
            at.text_input(key=f"rec.search.{k}").set_value(typed.get(k, ""))
        at.selectbox(key="rec.search.status").set_value(typed.get("status"))
        click(at, "rec.search.submit")
        return listed(at)

    assert search(lot_number=a) == [a]
    assert search(patient="jane o'brien") == [a]
    assert search(status="in_preparation") == [b]
    assert sorted(search(ingredient_lot=records.API_LOT, strength="4.5 mg")) == sorted([a, b])
    assert search(ingredient_lot="NX-0000") == [] and "0 batches" in texts(at)
    search(patient="x'; DROP TABLE batches; --")
    assert "Not searched" in texts(at) and "Patient" in texts(at)
    assert store.search_batches().total == 2


def test_the_batches_page_shows_one_page_at_a_time(store):
    lots = [batch(store) for _ in range(55)]
    at = go(sign_in("tech"), "batches")
    assert "55 batches" in texts(at) and "page 1 of 2" in texts(at)
    assert listed(at) == lots[:4:-1]  # newest first: the last 50 made
    click(at, "rec.search.next")
    assert "page 2 of 2" in texts(at) and listed(at) == lots[4::-1]


def test_an_opened_batch_shows_its_lots_weights_signatures_and_history(store):
    lot = batch(store, status="released", weights=[{"step": "api_to_weigh", "actual": "407 mg", "tolerance": "5%"}])
    at = open_batch(sign_in("tech"), lot)
    shown = texts(at)
    assert records.API_LOT in shown and "407.04 mg" in shown and "within" in shown
    # the one target is the weighing plan's: 407.035 mg at the Class III balance's 10 mg steps = 410 mg
    assert "410 mg" in shown
    for meaning, who in (("prepared", "Tom Tech"), ("verified", "Paul Pharm"), ("released", "Paul Pharm")):
        assert any(meaning in line and who in line for line in shown.splitlines())
    assert "batch created" in shown and "verify" in shown


# --- recall ---------------------------------------------------------------------------------------

def test_recall_lists_every_batch_of_the_lot_and_exports_it(store):
    import openpyxl

    used = [batch(store, status="released"), batch(store)]
    at = go(sign_in("pharm"), "recall")
    at.selectbox(key="rec.recall.lot").select_index(0)
    ok(at.run())
    assert listed(at) == used[::-1]  # newest first
    wb = openpyxl.load_workbook(io.BytesIO(store.export_recall(api_lot(store))))
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert any(records.API_LOT in str(c) for c in cells) and all(x in cells for x in used)
    at.text_input(key="rec.recall.reason").set_value("supplier recalled the API lot")
    click(at, "rec.recall.recall")
    assert store.batch(used[0]).status == "recalled" and store.batch(used[1]).status == "draft"


def test_a_saved_batch_exports_to_excel_from_the_store(store):
    """Saved with the core's own inputs as its order, the batch is calculated again for its Excel record."""
    import openpyxl

    at = calculate_capsules(sign_in("tech"))
    at.selectbox(key="rec.save.capsules.api").select_index(0)
    click(at, "rec.save.capsules.save")
    lot = store.search_batches().items[0].lot_number
    open_batch(at, lot)
    click(at, "rec.batch.excel")
    assert not [e for e in at.error if "Refused" in e.value]
    wb = openpyxl.load_workbook(io.BytesIO(store.export_batch(lot)))
    assert lot in [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]


# --- users ----------------------------------------------------------------------------------------

def test_admin_adds_a_user_who_can_sign_in_and_deactivates_them(store):
    at = go(sign_in("admin"), "users")
    for key, value in (("username", "tina"), ("name", "Tina Tech"), ("initials", "TT"),
                       ("password", "tina-secret-01")):
        at.text_input(key=f"rec.users.{key}").set_value(value)
    at.selectbox(key="rec.users.role").set_value("technician")
    click(at, "rec.users.add")
    assert "User tina (technician) added." in texts(at)
    assert [at.text_input(key=f"rec.users.{k}").value for k in ("username", "name", "initials", "password")] == \
        ["", "", "", ""]  # taken: the form is empty for the next user
    at.text_input(key="rec.users.username").set_value("tina")  # the same name again
    at.text_input(key="rec.users.name").set_value("Tina Two")
    at.text_input(key="rec.users.initials").set_value("TT")
    at.text_input(key="rec.users.password").set_value("tina-secret-02")
    click(at, "rec.users.add")
    assert "already taken" in texts(at)
    # refused: the entries stay for correcting, the password is emptied
    assert [at.text_input(key=f"rec.users.{k}").value for k in ("username", "name", "initials", "password")] == \
        ["tina", "Tina Two", "TT", ""]
    assert "Signed in as Tina Tech (technician)" in texts(sign_in("tina", "tina-secret-01"))
    at.selectbox(key="rec.users.who").set_value("tina")
    click(at, "rec.users.deactivate")  # no reason
    assert "Refused" in texts(at) and "reason" in texts(at)
    at.text_input(key="rec.users.reason").set_value("left the pharmacy")
    click(at, "rec.users.deactivate")
    assert "Sign-in refused" in texts(sign_in("tina", "tina-secret-01"))
