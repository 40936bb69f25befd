"""Benchmark: the Batches page with 100,000 batches, rendered in a real browser.

    .venv/bin/python benchmarks/bench_batches_page.py               # 100,000 batches, 10 runs
    options: --batches 100000 --repeat 10

A SQLite store in a temporary LDN_DATA_DIR is filled like ``bench_store.py`` (same seeding), the app
is started (``streamlit run app.py``) and Debian's Chromium (Playwright) signs in, then times, from the
click to the last row drawn and the app idle:

* opening the Batches page from the navigation (newest 50 of all batches, with the count);
* the next page of 50;
* a search by ingredient lot (about 500 matches, first page);
* as a baseline for the machine's speed, opening a calculator page that does not touch the store.

Each figure is the median of ``--repeat`` runs (wall clock, browser and server together). Target
(issue 11): the Batches page with 100,000 records renders in ≤ 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_store import PASSWORD, _bulk_fill, _setup_users_and_lots  # noqa: E402

from compounding import capsule_batch  # noqa: E402
from compounding.store import Store  # noqa: E402
from compounding.store.db import SQLITE_FILE  # noqa: E402

LOT = "API-0007"  # an ingredient lot of the seeding (200 lots: about 500 batches each)


def seed(data_dir: Path, n: int) -> int:
    """Fill the store; the number of batches that used the lot the benchmark searches for."""
    store = Store.open(f"sqlite:///{data_dir / SQLITE_FILE}")
    t = time.perf_counter()
    lot_ids = _setup_users_and_lots(store)
    _bulk_fill(store, n, lot_ids, {"strength": "4.5 mg", "quantity": 90, "potency": "99.5%"},
               capsule_batch("4.5 mg", 90, potency="99.5%"))
    matches = store.search_batches(ingredient_lot=LOT).total
    print(f"  filled {n} batches in {time.perf_counter() - t:.0f} s", flush=True)
    runs = []
    for _ in range(21):
        t = time.perf_counter()
        store.search_batches(page=1, page_size=50)
        runs.append(time.perf_counter() - t)
    print(f"  server: the page's query (count + newest 50), median {statistics.median(runs) * 1000:.1f} ms")
    store.close()
    return matches


def _timed(page, action, done) -> float:
    """Seconds from ``action`` (a click) until ``done`` (what it shows) is drawn."""
    t = time.perf_counter()
    action()
    done()
    return time.perf_counter() - t


def measure(url: str, repeat: int, matches: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from tests.support.browser import launch_chromium, open_app, wait_for_streamlit_idle

    rows = '[data-testid="stMarkdownContainer"] table tbody tr'  # the list of batches
    figures: dict[str, list[float]] = {"open the Batches page (50 of all)": [], "next page": [],
                                       "search by ingredient lot": [],
                                       "baseline: open the Weight check page (no store)": []}
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        open_app(page, url)
        page.get_by_role("link", name="Sign in", exact=True).click()
        page.get_by_label("User name", exact=True).fill("tech")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.get_by_text("Signed in as").first.wait_for()
        wait_for_streamlit_idle(page)
        for _ in range(repeat + 1):  # the first run warms up (page code, caches)
            figures["baseline: open the Weight check page (no store)"].append(_timed(
                page, lambda: page.get_by_role("link", name="Weight check", exact=True).click(),
                lambda: page.get_by_role("heading", name="Weight check").first.wait_for()))
            wait_for_streamlit_idle(page)
            page.get_by_role("link", name="Capsules", exact=True).click()
            page.get_by_role("heading", name="Capsules").first.wait_for()
            wait_for_streamlit_idle(page)
            figures["open the Batches page (50 of all)"].append(_timed(
                page, lambda: page.get_by_role("link", name="Batches", exact=True).click(),
                lambda: page.locator(rows).nth(49).wait_for()))
            wait_for_streamlit_idle(page)
            first = page.locator(rows).first.inner_text()
            figures["next page"].append(_timed(
                page, lambda: page.get_by_role("button", name="Next page").click(),
                lambda: page.wait_for_function(
                    "([sel, first]) => { const r = document.querySelectorAll(sel);"
                    " return r.length === 50 && r[0].innerText !== first; }", arg=[rows, first])))
            wait_for_streamlit_idle(page)
            page.get_by_label("Ingredient lot", exact=True).fill(LOT)
            figures["search by ingredient lot"].append(_timed(
                page, lambda: page.get_by_role("button", name="Search", exact=True).click(),
                lambda: page.get_by_text(f"{matches} batches", exact=True).wait_for()))
            wait_for_streamlit_idle(page)
            page.get_by_label("Ingredient lot", exact=True).fill("")
            page.get_by_role("button", name="Search", exact=True).click()
            wait_for_streamlit_idle(page)
        browser.close()
    return {name: statistics.median(times[1:]) * 1000 for name, times in figures.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batches", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    from tests.support.browser import run_streamlit

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        print(f"Batches page: {args.batches} batches in SQLite, median of {args.repeat} (browser + server)")
        matches = seed(data, args.batches)
        env = {**os.environ, "LDN_DATA_DIR": str(data)}
        env.pop("LDN_DATABASE_URL", None)
        with run_streamlit(ROOT / "app.py", env=env) as server:
            for name, ms in measure(server.url, args.repeat, matches).items():
                print(f"  {name:<40} {ms:8.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
