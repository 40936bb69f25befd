"""The whole day in a real browser (Streamlit server + Debian Chromium), on a SQLite store in a temporary
LDN_DATA_DIR: a technician signs in, prepares 4.5 mg × 90 capsules from a released API lot, saves the batch,
enters the actual weights and the capsule weights, submits it; the technician has no way to verify it; a pharmacist signs in,
verifies and releases it; the Recall page finds the batch from its API lot and exports the list to Excel."""

from __future__ import annotations

import io
import os
import re

import pytest

from tests.support import records
from tests.support.browser import open_app, wait_for_streamlit_idle

pytestmark = [pytest.mark.browser, pytest.mark.store]


def settle(page) -> None:
    wait_for_streamlit_idle(page)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stSkeleton], "
                           "[data-testid=stAppSkeleton]').length === 0", timeout=30_000)


def fill(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")


def press(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    settle(page)


def nav(page, name: str) -> None:
    """Go to a page through the navigation (a link click keeps the session; a new URL would not)."""
    page.get_by_role("link", name=name, exact=True).first.click()
    page.get_by_role("heading", name=name, exact=True).first.wait_for()
    settle(page)


def choose(page, label: str, option_text: str) -> None:
    """Pick the option containing ``option_text`` in a select box (typed into its search, then chosen).
    A rerun that lands while the list is open closes it (the result scrolls into view after Calculate):
    open it again."""
    settle(page)
    box = page.get_by_label(label, exact=True)
    for attempt in range(3):
        box.scroll_into_view_if_needed()
        box.click()
        box.fill(option_text)
        try:
            page.get_by_role("option").filter(has_text=option_text).first.click(timeout=5_000)
            break
        except Exception:  # noqa: BLE001 - the list closed under us
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    settle(page)


def alert(page, text: str):
    return page.locator('[data-testid="stAlert"]').filter(has_text=text)


def sign_in(page, username: str) -> None:
    nav(page, "Sign in")
    fill(page, "User name", username)
    fill(page, "Password", records.PASSWORDS[username])
    press(page, "Sign in")
    alert(page, "Signed in as").wait_for()


def sign_out(page) -> None:
    nav(page, "Account")
    press(page, "Sign out")
    alert(page, "Signed out").wait_for()


def test_the_whole_day(streamlit_factory, browser_page, tmp_path):
    data = records.build(tmp_path / "data")
    server = streamlit_factory(env={**os.environ, "LDN_DATA_DIR": str(data)})
    page = browser_page
    open_app(page, server.url)

    # the technician prepares the batch
    sign_in(page, "tech")
    nav(page, "Capsules")
    fill(page, "Strength per capsule", "4.5")
    fill(page, "Capsules ordered", "90")
    fill(page, "As-is potency (%)", "99.5")
    press(page, "Calculate")
    choose(page, "API powder lot", records.API_LOT)
    press(page, "Save as batch")
    saved = alert(page, "Saved as draft batch")
    saved.wait_for()
    lot = re.search(r"LDN-\d{6}-\d{3}", saved.inner_text()).group(0)
    page.get_by_role("link", name=f"Open {lot} on the Batches page").click()
    page.get_by_role("heading", name=re.compile(lot)).first.wait_for()
    settle(page)
    press(page, "Start preparation")
    alert(page, "preparation started").wait_for()
    fill(page, "Actual: Naltrexone HCl powder", "407 mg")  # target 405 mg / 0.995 = 407.04 mg
    fill(page, "Actual: Filler", "7.69 g")  # target 7692.96 mg
    fill(page, "Actual: Average capsule fill weight", "90.4 mg")  # capsules weighed: target 8100 mg / 90 = 90 mg
    fill(page, "Tolerance (% of the target, as your SOP sets it, e.g. 5%)", "5%")
    press(page, "Record weights")
    alert(page, "actual weights recorded").wait_for()
    weights = page.locator("[data-testid=stTable]").filter(has_text="Tolerance").first
    assert weights.inner_text().count("within") == 3
    capsules = "\n".join(f"{166 + (i % 3) * 0.5} mg" for i in range(10))  # gross; shell 76 mg: net 90-91 mg
    fill(page, "Capsule weights (one per line; a bare number is mg)", capsules)
    fill(page, "Empty shell (optional), e.g. 76 mg", "76 mg")
    press(page, "Record capsule weights")
    alert(page, "10 capsule weights recorded").wait_for()
    fill(page, "Your password (signs as prepared)", records.PASSWORDS["tech"])
    press(page, "Submit for review")
    alert(page, "submitted for review").wait_for()
    # the technician has no Review page and no verify or release button
    assert page.get_by_role("link", name="Review", exact=True).count() == 0
    assert page.get_by_role("button", name="Verify", exact=True).count() == 0
    sign_out(page)

    # the pharmacist verifies and releases
    sign_in(page, "pharm")
    nav(page, "Review")
    choose(page, "Review a batch", lot)
    fill(page, "Your password (signs as verified)", records.PASSWORDS["pharm"])
    press(page, "Verify")
    alert(page, "now verified").wait_for()
    fill(page, "Your password (signs as released)", records.PASSWORDS["pharm"])
    press(page, "Release")
    alert(page, "now released").wait_for()

    # the recall page finds the batch from its API lot
    nav(page, "Recall")
    choose(page, "Ingredient lot", records.API_LOT)
    table = page.locator('[data-testid="stMarkdownContainer"] table').filter(has_text="Lot number")
    assert lot in table.inner_text() and "released" in table.inner_text()
    with page.expect_download() as info:
        page.get_by_role("button", name="Recall list (Excel)").click()
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    assert lot in [c.value for row in wb.active.iter_rows() for c in row]
