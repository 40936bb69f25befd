"""Benchmark the Streamlit app: server-side rerun time of the Capsules page, and in a real browser the
time from pressing Calculate to the results on screen.

    .venv/bin/python benchmarks/bench_app.py [--repeat 30] [--browser-repeat 10] [--no-browser]

Server side (Streamlit's AppTest, in this process): the Capsules page with the CAP-05 batch shown,
after warm-up (imports, cached reference data, the first calculation). Two figures:
  rerun   a rerun with the result on the page (what any widget change or download costs);
  submit  pressing Calculate: the core's calculation in the callback plus the rerun.
Browser (``streamlit run`` + Debian Chromium through Playwright, tests/support/browser.py): the wall
time from the click on Calculate until the new results are on screen, and until the app is idle.
Aims: under 150 ms server side, under 500 ms in the browser. Median and 90th percentile are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CAP05 = {"strength": (4.5, "mg"), "quantity": 90, "extra": (10.0, "%"), "capsule_size": "1",
         "fill_weight": (270.0, "mg"), "api_fill_weight": (350.0, "mg")}


def _summary(name: str, seconds: list[float], aim_ms: float) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    med = statistics.median(ms)
    verdict = "meets" if p90 < aim_ms else ("median meets" if med < aim_ms else "MISSES")
    return f"  {name:<34} median {med:7.1f} ms   p90 {p90:7.1f} ms   min {ms[0]:7.1f} ms   ({verdict} < {aim_ms:g} ms)"


def server_side(repeat: int) -> list[str]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    for name, value in CAP05.items():
        key = f"cap.{name}"
        if isinstance(value, tuple):
            at.number_input(key=key).set_value(value[0])
            at.selectbox(key=f"{key}.unit").set_value(value[1])
        elif isinstance(value, str):
            at.selectbox(key=key).set_value(value)
        else:
            at.number_input(key=key).set_value(value)
    at.button(key="cap.calculate").click().run()
    assert not at.exception and at.metric[0].value == "99", "the CAP-05 batch did not calculate"
    for _ in range(5):  # warm-up
        at.run()
    reruns = []
    for _ in range(repeat):
        t = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - t)
    submits = []
    for i in range(repeat):
        at.number_input(key="cap.strength").set_value([4.5, 3.0, 1.5][i % 3])
        t = time.perf_counter()
        at.button(key="cap.calculate").click().run()
        submits.append(time.perf_counter() - t)
        assert not at.exception and at.metric
    return ["Server side (AppTest, Capsules page with the CAP-05 result):",
            _summary("rerun with results shown", reruns, 150),
            _summary("submit (calculate + rerun)", submits, 150)]


def browser(repeat: int) -> list[str]:
    from playwright.sync_api import sync_playwright

    from tests.support.browser import launch_chromium, open_app, run_streamlit, wait_for_streamlit_idle

    shown, idle = [], []
    with run_streamlit(ROOT / "app.py") as server, sync_playwright() as pw:
        chromium = launch_chromium(pw)
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        open_app(page, server.url)

        def fill(label: str, value: str) -> None:
            box = page.get_by_label(label, exact=True)
            box.fill(value)
            box.press("Tab")

        fill("Strength per capsule", "4.5")
        fill("Capsules ordered", "90")
        fill("Extra for losses", "10")
        page.get_by_label("Capsule size", exact=True).click()
        page.get_by_role("option", name="size 1 (0.5 mL)", exact=True).click()
        fill("Filler fill weight, measured", "270")
        fill("Drug powder fill weight (optional)", "350")
        button = page.get_by_role("button", name="Calculate", exact=True)
        strengths = ["4.5", "3", "1.5", "2", "0.5", "1"]
        for i in range(repeat + 2):  # the first two are warm-up
            strength = strengths[i % len(strengths)]
            fill("Strength per capsule", strength)
            wait_for_streamlit_idle(page, settle=100)
            button.wait_for()
            heading = page.get_by_role("heading", name=f"Naltrexone HCl {strength} mg capsules", exact=False)
            t = time.perf_counter()
            button.click(no_wait_after=True)
            heading.wait_for(timeout=30_000)
            t_shown = time.perf_counter()
            page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=30_000)
            t_idle = time.perf_counter()
            if i >= 2:
                shown.append(t_shown - t)
                idle.append(t_idle - t)
        chromium.close()
    return ["Browser (Chromium, 1280 px, Capsules page, click Calculate):",
            _summary("until the results are on screen", shown, 500),
            _summary("until the app is idle", idle, 500)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--browser-repeat", type=int, default=10)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    lines = server_side(args.repeat)
    if not args.no_browser:
        lines += browser(args.browser_repeat)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
