"""Drive the course in a real browser: a private JupyterLab server and Debian's headless Chromium.

Shared by the browser tests (tests/test_browser.py, test_site.py, test_slides.py) and by
benchmarks/browser_latency.py. Chromium is Debian's (``apt-get install chromium``), passed to
Playwright by path: never a browser that Playwright downloads.

The server runs on a copy of ``notebooks/`` in a temporary folder, with autosave off, so running a
lesson in the browser never writes outputs into the working tree.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"

# Set in CI: a missing Chromium is then a failure, not a skip.
REQUIRE_ENV = "COURSE_REQUIRE_BROWSER"

CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# User settings for the private server: every cell in the DOM (windowing "defer"), no news or
# update pop-ups, and no autosave (the test never writes back).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "defer"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"


def chromium_executable() -> str | None:
    """Path of Debian's Chromium, or None when it is not installed."""
    return shutil.which("chromium")


def browser_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def skip_or_fail_without_chromium() -> str:
    """Return Chromium's path; otherwise skip the test (or fail it when COURSE_REQUIRE_BROWSER=1)."""
    import pytest

    path = chromium_executable()
    if path is None:
        reason = ("Chromium not found on PATH (apt-get install -y chromium); "
                  f"browser tests skipped. Set {REQUIRE_ENV}=1 to make this a failure.")
        if browser_required():
            pytest.fail(f"{REQUIRE_ENV} is set but {reason}", pytrace=False)
        pytest.skip(reason)
    return path


@contextlib.contextmanager
def chromium() -> Iterator["playwright.sync_api.Browser"]:  # noqa: F821
    """Headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    path = chromium_executable()
    if path is None:
        raise RuntimeError("Chromium not found: apt-get install -y chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    """A running private JupyterLab; ``url`` has no trailing slash."""

    url: str
    token: str
    root_dir: Path
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    def lab_url(self, notebook: str) -> str:
        """URL that opens ``notebooks/<notebook>`` in a fresh (reset) workspace."""
        return f"{self.url}/lab/tree/notebooks/{notebook}?reset&token={self.token}"

    def api(self, path: str, method: str = "GET", timeout: float = 30):
        request = urllib.request.Request(
            f"{self.url}/api/{path}", method=method,
            headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut down every session's kernel (TensorFlow kernels hold ~600 MB each)."""
        for session in self.api("sessions"):
            with contextlib.suppress(urllib.error.URLError):
                self.api(f"sessions/{session['id']}", method="DELETE")
        for kernel in self.api("kernels"):
            with contextlib.suppress(urllib.error.URLError):
                self.api(f"kernels/{kernel['id']}", method="DELETE")

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@contextlib.contextmanager
def lab_server(notebook_dir: Path = ROOT / "notebooks", startup_timeout: float = 180,
               log_path: Path | None = None) -> Iterator[LabServer]:
    """Start JupyterLab on 127.0.0.1, a free port and a random token, on a copy of ``notebook_dir``.

    Stops it at the end by signalling its own process group, then ends any kernel it left.
    """
    import psutil

    tmp = Path(tempfile.mkdtemp(prefix="course-lab-"))
    root = tmp / "root"
    shutil.copytree(notebook_dir, root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = tmp / "settings"
    for rel, values in LAB_SETTINGS.items():
        (settings / rel).parent.mkdir(parents=True, exist_ok=True)
        (settings / rel).write_text(json.dumps(values))
    env = dict(os.environ,
               JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               JUPYTER_CONFIG_DIR=str(tmp / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               IPYTHONDIR=str(tmp / "ipython"),
               PYTHONUNBUFFERED="1")
    env.pop("MPLBACKEND", None)
    port, token = free_port(), secrets.token_hex(24)
    log_path = log_path or tmp / "jupyterlab.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")
    command = [sys.executable, "-m", "jupyterlab", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class="
               "jupyterlab.handlers.announcements.NeverCheckForUpdate",
               "--LabApp.expose_app_in_browser=True",
               f"--ServerApp.root_dir={root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--ServerApp.allow_root=True")  # CI and containers run as root
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root,
                               start_new_session=True)
    server = LabServer(url=f"http://127.0.0.1:{port}", token=token, root_dir=root,
                       log_path=log_path, process=process)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{server.log_tail()}")
            try:
                server.api("status", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer in {startup_timeout} s:\n"
                                       f"{server.log_tail()}")
                time.sleep(0.5)
        yield server
    finally:
        descendants = []
        if process.poll() is None:
            with contextlib.suppress(Exception):
                server.shutdown_kernels()
            with contextlib.suppress(psutil.Error):
                descendants = psutil.Process(process.pid).children(recursive=True)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
        # Kernels run in sessions of their own; end those this server started and left behind.
        for child in descendants:
            with contextlib.suppress(psutil.Error):
                child.terminate()
        psutil.wait_procs(descendants, timeout=10)
        for child in descendants:
            with contextlib.suppress(psutil.Error):
                child.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """Serve ``directory`` on 127.0.0.1 and a free port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- a notebook in the browser ---------------------------------------------------------------

# JavaScript run in the page; `jupyterapp` is exposed by --LabApp.expose_app_in_browser.
# Finds the panel of the notebook whose path ends with `name` (a function argument in the page).
_JS_PANEL = """(() => {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const w of app.shell.widgets('main'))
    if (w.context && w.sessionContext && w.content && w.context.path.endsWith(name)) return w;
  return null;
})()"""

_JS_STATE = """(name) => {
  const panel = %s;
  if (!panel) return null;
  const cells = panel.content.widgets;
  const code = cells.filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim());
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  let errors = [];
  cells.forEach((c, i) => {
    if (c.model.type !== 'code') return;
    const outs = c.model.outputs;
    for (let j = 0; j < outs.length; j++) {
      const o = outs.get(j).toJSON();
      if (o.output_type === 'error')
        errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
      else if (o.output_type === 'stream' && o.name === 'stderr')
        errors.push(`cell ${i}: stderr: ${String(o.text).slice(0, 2000)}`);
    }
  });
  return {
    cells: cells.length,
    inDom: panel.node.querySelectorAll('.jp-Cell').length,
    codeCells: code.length,
    executed: code.filter(c => c.model.executionCount !== null).length,
    running: code.filter(c => c.promptNode && c.promptNode.textContent.includes('*')).length,
    kernel: kernel ? kernel.status : 'none',
    connection: kernel ? kernel.connectionStatus : 'none',
    errors: errors,
  };
}""" % _JS_PANEL

_JS_WIDGETS = """([name, scroll]) => {
  const panel = %s;
  let expected = 0;
  if (panel) panel.content.widgets.forEach(c => {
    if (c.model.type !== 'code') return;
    const outs = c.model.outputs;
    for (let j = 0; j < outs.length; j++) {
      const data = outs.get(j).toJSON().data || {};
      if (data['%s'] && data['%s'].model_id) expected += 1;
    }
  });
  if (!panel) return null;
  const outs = [...panel.node.querySelectorAll('.jp-OutputArea-output')];
  const text = el => el.innerText || '';
  const figures = [...panel.node.querySelectorAll('.jupyter-matplotlib-figure')];
  const cells = [...panel.node.querySelectorAll('.jp-Cell')];
  const blank = figures.filter(f => {
    const c = f.querySelector('canvas');
    if (!c || !c.width || !c.height) return true;
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let k = 3; k < data.length; k += 4) if (data[k] !== 0) return false;
    return true;
  });
  // A student looks at a figure: bring a blank one into view (ipympl draws views when shown).
  if (blank.length && scroll) blank[0].scrollIntoView();
  return {
    expected: expected,
    rendered: outs.filter(o => o.querySelector('.jupyter-widgets') && !text(o).includes('Error displaying widget')).length,
    failed: outs.filter(o => text(o).includes('Error displaying widget')).map(o => text(o).slice(0, 200)),
    loading: outs.filter(o => text(o).includes('Loading widget')).length,
    // A widget closed by the kernel (a tqdm.auto bar with leave=False) leaves an empty output.
    closed: outs.filter(o => o.classList.contains('lm-Panel') && !o.children.length && !text(o).trim()).length,
    figures: figures.length,
    // The first canvas of a figure holds the image; the second is the rubber band.
    blankCanvases: blank.length,
    blankCells: blank.map(f => cells.indexOf(f.closest('.jp-Cell'))),
  };
}""" % (_JS_PANEL, WIDGET_VIEW_MIME, WIDGET_VIEW_MIME)


def offline_page(browser, viewport: dict):
    """A new page that may load only from 127.0.0.1 (and data: URLs).

    Returns ``(page, outside, failed)``: requests to anywhere else are aborted and listed in
    ``outside``; responses with status >= 400 are listed in ``failed``.
    """
    context = browser.new_context(viewport=viewport)
    outside, failed = [], []

    def route(r):
        if urllib.parse.urlsplit(r.request.url).hostname == "127.0.0.1" or r.request.url.startswith("data:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()
    context.route("**/*", route)
    page = context.new_page()
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return page, outside, failed


def wait_until(predicate, timeout: float, interval: float = 0.5, message: str = "condition"):
    """Call ``predicate`` until it returns something truthy; return that, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


class LabNotebook:
    """One notebook open in a JupyterLab tab: open it, run all cells, read what the student sees."""

    def __init__(self, page, server: LabServer, name: str):
        self.page, self.server, self.name = page, server, name

    def open(self, timeout: float = 180, attempts: int = 2) -> "LabNotebook":
        """Load the notebook and wait for its kernel to be idle (reloading once if it hangs)."""
        for attempt in range(1, attempts + 1):
            self.page.goto(self.server.lab_url(self.name), timeout=timeout * 1000)
            self.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell",
                                        timeout=timeout * 1000)
            try:
                wait_until(lambda: self._dismiss_dialogs() or self.state(), timeout,
                           message=f"the panel of {self.name}")
                wait_until(lambda: self._dismiss_dialogs() or (self.state() or {}).get("kernel") == "idle",
                           timeout, message=f"an idle kernel for {self.name}")
                return self
            except TimeoutError as error:
                shot = ARTIFACTS / f"{Path(self.name).stem}-open-failed-{attempt}.png"
                shot.parent.mkdir(exist_ok=True)
                self.page.screenshot(path=str(shot))
                if attempt == attempts:
                    raise TimeoutError(f"{error}; state {self.state()}; screenshot {shot}\n"
                                       f"server log:\n{self.server.log_tail(2500)}") from None
                self.server.shutdown_kernels()
        return self

    def _dismiss_dialogs(self) -> bool:
        """Accept a kernel-choice dialog, should one appear; returns False so waits go on."""
        dialog = self.page.locator(".jp-Dialog .jp-mod-accept")
        if dialog.count():
            dialog.first.click()
        return False

    def state(self) -> dict | None:
        return self.page.evaluate(_JS_STATE, self.name)

    def widgets(self, scroll_to_blank: bool = False) -> dict:
        return self.page.evaluate(_JS_WIDGETS, [self.name, scroll_to_blank])

    def run_all(self, timeout: float = 600) -> dict:
        """Run → Run All Cells from the menu bar, and wait until every code cell ran (or one failed)."""
        self.page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        self.page.locator(".lm-Menu-item:visible", has_text="Run All Cells").first.click()

        def finished():
            s = self.state()
            if s is None or s["kernel"] != "idle" or s["running"]:
                return None
            if s["executed"] == s["codeCells"] or s["errors"]:
                return s
            return None

        wait_until(finished, timeout, interval=1, message=f"{self.name} to finish running")
        # Idle can flicker between cells: settled means finished twice, a second apart.
        time.sleep(1)
        return wait_until(finished, timeout, interval=1, message=f"{self.name} to settle")

    def wait_widgets_rendered(self, timeout: float = 120) -> dict:
        """Wait until every cell is in the DOM and no widget view says 'Loading widget…'."""
        def settled():
            s, w = self.state(), self.widgets(scroll_to_blank=True)
            if not s or not w:
                return None
            done = (s["inDom"] >= s["cells"] and w["rendered"] + w["closed"] + len(w["failed"]) >= w["expected"]
                    and not w["loading"] and not w["blankCanvases"])
            return w if done else None
        try:
            return wait_until(settled, timeout, message="widget views to render")
        except TimeoutError:
            return self.widgets()

    def rerun_cell(self, index: int, timeout: float = 300) -> None:
        """Run one cell again (what lesson 00 tells a student to do when a widget misbehaves)."""
        self.page.evaluate("""([name, index]) => {
          const panel = %s;
          panel.content.activeCellIndex = index;
          return window.jupyterapp.commands.execute('notebook:run-cell');
        }""" % _JS_PANEL, [self.name, index])

        def idle():
            s = self.state()
            return s if s and s["kernel"] == "idle" and not s["running"] else None
        time.sleep(1)
        wait_until(idle, timeout, interval=1, message=f"cell {index} of {self.name} to run again")

    def canvas_sizes(self, index: int) -> list:
        """Width and height of every canvas in cell ``index`` (for the log of a blank figure)."""
        return self.page.evaluate("""([name, index]) => {
          const panel = %s;
          const cell = panel.node.querySelectorAll('.jp-Cell')[index];
          return cell ? [...cell.querySelectorAll('canvas')].map(c => [c.width, c.height]) : [];
        }""" % _JS_PANEL, [self.name, index])

    def shutdown(self) -> None:
        self.server.shutdown_kernels()


# --- sliders and canvases --------------------------------------------------------------------

# Installed before any page script: stamps each repaint of an ipympl canvas with the time the
# browser next presents a frame, and logs the time stamp of every key and pointer event.
PAINT_PROBE = """(() => {
  const draw = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (...args) {
    const result = draw.apply(this, args);
    const canvas = this.canvas;
    if (canvas && canvas.closest && canvas.closest('.jupyter-matplotlib-figure')) {
      const drawn = performance.now();
      canvas.__paints = canvas.__paints || [];
      const entry = {drawn: drawn, shown: null};
      canvas.__paints.push(entry);
      requestAnimationFrame(() => { entry.shown = performance.now(); });
    }
    return result;
  };
  window.__inputs = [];
  for (const type of ['keydown', 'pointerdown', 'pointermove', 'pointerup'])
    document.addEventListener(type, e => window.__inputs.push({type: type, t: e.timeStamp}), true);
})();"""


class Slider:
    """An ipywidgets slider (noUiSlider in ipywidgets 8) as the student sees it."""

    def __init__(self, locator):
        self.root = locator
        self.handle = locator.locator(".noUi-handle").first
        self.readout = locator.locator(".widget-readout").first

    @property
    def description(self) -> str:
        return self.root.locator(".widget-label").first.inner_text().strip()

    def value_text(self) -> str:
        return self.readout.inner_text().strip()

    def value(self) -> float:
        return float(self.value_text())

    def drag(self, page, dx: float, steps: int = 8) -> None:
        """Press the handle with the mouse, move it ``dx`` pixels to the right, release."""
        self.handle.scroll_into_view_if_needed()
        box = self.handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + dx, y, steps=steps)
        page.mouse.up()

    def press(self, key: str, times: int = 1) -> None:
        """Focus the handle and press ``key`` (ArrowRight, ArrowLeft, ...) ``times`` times."""
        self.handle.focus()
        for _ in range(times):
            self.handle.press(key)


def sliders(scope) -> list[Slider]:
    """Every ipywidgets slider inside ``scope`` (a page or a locator), in document order."""
    found = scope.locator(".widget-slider:not(.widget-vslider)")
    return [Slider(found.nth(i)) for i in range(found.count())]


def canvas_pixels(canvas_locator) -> str:
    """The canvas's pixels as a data URL: equal strings mean equal pictures."""
    return canvas_locator.evaluate("c => c.toDataURL('image/png')")


def figure_canvas(scope, index: int = 0):
    """The image canvas of the ``index``-th ipympl figure in ``scope``."""
    return scope.locator(".jupyter-matplotlib-figure").nth(index).locator("canvas").first
