"""End-to-end slider latency in a real browser: from the key press that moves a slider to the
figure repainted on screen, for the slider apps of lessons 01 and 02.

Runs a private JupyterLab and Debian's headless Chromium (tests/browser_support.py), runs each
lesson with Run All, focuses the app's ``lr`` slider and presses an arrow key ``--moves`` times
(one slider step each, half of them right, half left). For each press it takes the keydown
event's time stamp and the time the browser next presented a frame after the ipympl canvas was
redrawn (a hook on ``drawImage`` plus ``requestAnimationFrame``), then waits for the canvas to
settle before the next press. Goal: median <= 100 ms for each lesson.

Prints a table; the LAST line is JSON with ``lesson01_median_ms`` and ``lesson02_median_ms``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import (PAINT_PROBE, LabNotebook, chromium, chromium_executable,  # noqa: E402
                             figure_canvas, lab_server, sliders, wait_until)

GOAL_MS = 100.0


def find_app(page, slider_name: str = "lr"):
    """The first output that shows a ``slider_name`` slider beside an ipympl figure."""
    outputs = page.locator(".jp-OutputArea-output").filter(
        has=page.locator(".widget-slider")).filter(has=page.locator(".jupyter-matplotlib-figure"))
    for i in range(outputs.count()):
        app = outputs.nth(i)
        for slider in sliders(app):
            if slider.description == slider_name:
                return app, slider
    raise RuntimeError(f"no output shows a {slider_name!r} slider beside an ipympl figure")


def paint_count(canvas) -> int:
    return canvas.evaluate("c => (c.__paints || []).length")


def wait_quiet(canvas, quiet: float = 0.4, timeout: float = 30) -> None:
    """Wait until the canvas has gone ``quiet`` seconds without a repaint."""
    seen = [paint_count(canvas), time.monotonic()]

    def settled():
        n = paint_count(canvas)
        if n != seen[0]:
            seen[:] = [n, time.monotonic()]
        return time.monotonic() - seen[1] >= quiet
    wait_until(settled, timeout, interval=0.05, message="the canvas to settle")


def measure_lesson(browser, server, notebook: str, moves: int) -> list[float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(PAINT_PROBE)
    page = context.new_page()
    lab_notebook = LabNotebook(page, server, notebook).open()
    try:
        state = lab_notebook.run_all(timeout=900)
        if state["errors"]:
            raise RuntimeError(f"{notebook} raised: {state['errors']}")
        lab_notebook.wait_widgets_rendered()
        app, slider = find_app(page)
        app.scroll_into_view_if_needed()
        canvas = figure_canvas(app)
        slider.handle.focus()
        wait_quiet(canvas, quiet=1.0)
        latencies = []
        for i in range(moves):
            key = "ArrowRight" if i < moves // 2 else "ArrowLeft"
            before = slider.value_text()
            inputs_before = page.evaluate("window.__inputs.length")
            paints_before = paint_count(canvas)
            page.keyboard.press(key)
            wait_until(lambda: slider.value_text() != before, 30, interval=0.02,
                       message="the readout to change")
            wait_until(lambda: canvas.evaluate("(c, n) => c.__paints.length > n && "
                                "c.__paints[n].shown !== null", paints_before),
                30, interval=0.01, message="the canvas to repaint")
            wait_quiet(canvas)
            keydown = page.evaluate(
                "n => window.__inputs.slice(n).find(e => e.type === 'keydown').t", inputs_before)
            shown = canvas.evaluate(
                "(c, n) => c.__paints[n].shown", paints_before)
            latencies.append(shown - keydown)
        return latencies
    finally:
        lab_notebook.shutdown()
        context.close()


def summary(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {"n": len(ordered), "median_ms": round(statistics.median(ordered), 1),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
            "min_ms": round(ordered[0], 1), "max_ms": round(ordered[-1], 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=40, help="slider moves per lesson (>= 30)")
    parser.add_argument("--lessons", nargs="+", default=["01", "02"],
                        help="lesson numbers to measure (default: 01 02)")
    parser.add_argument("--log", type=Path, default=None, help="keep JupyterLab's log in this file")
    args = parser.parse_args(argv)

    result = {f"lesson{n}_median_ms": None for n in args.lessons}
    result.update(goal_ms=GOAL_MS, moves=args.moves)
    if chromium_executable() is None:
        print("Chromium not found (apt-get install -y chromium): nothing measured")
        result["skipped"] = "no chromium"
        print(json.dumps(result))
        return 0
    notebooks = {}
    for number in args.lessons:
        found = sorted((ROOT / "notebooks").glob(f"{number}_*.ipynb"))
        if not found:
            print(f"lesson {number}: no notebooks/{number}_*.ipynb yet; not measured")
        else:
            notebooks[number] = found[0].name

    rows = {}
    with lab_server(log_path=args.log) as server, chromium() as browser:
        for number, name in notebooks.items():
            latencies = measure_lesson(browser, server, name, args.moves)
            rows[number] = summary(latencies)
            result[f"lesson{number}_median_ms"] = rows[number]["median_ms"]
            result[f"lesson{number}_p90_ms"] = rows[number]["p90_ms"]

    width = max([len("lesson"), *(len(name) for name in notebooks.values())]) + 2
    print(f"{'lesson':<{width}}{'moves':>6}{'median ms':>11}{'p90 ms':>9}{'min':>8}{'max':>8}  goal")
    for number, row in rows.items():
        verdict = "met" if row["median_ms"] <= GOAL_MS else "MISSED"
        print(f"{notebooks[number]:<{width}}{row['n']:>6}{row['median_ms']:>11}{row['p90_ms']:>9}"
              f"{row['min_ms']:>8}{row['max_ms']:>8}  <= {GOAL_MS:g} ms {verdict}")
    result["goal_met"] = bool(rows) and all(r["median_ms"] <= GOAL_MS for r in rows.values())
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
