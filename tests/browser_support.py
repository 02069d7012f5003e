"""Drive the course in a real browser: a private JupyterLab server and Debian's headless Chromium.

Shared by the browser tests (tests/test_browser.py, test_site.py, test_slides.py) and by
benchmarks/browser_latency.py. Chromium is Debian's (``apt-get install chromium``), passed to
Playwright by path: never a browser that Playwright downloads.

Every wait is on something the student would see, through Playwright's auto-waiting ``expect()``
or ``wait_for_function`` over the page: the kernel status in the status bar, the cells' prompts
(``[*]`` while queued or running, ``[3]`` once run), the outputs, a canvas's pixels. No wait
on the page sleeps for a fixed time and nothing is tried twice. One number is read from JupyterLab's model
because no element shows it: how many widget views the kernel sent (see ``widget_outputs``).

The server runs on a copy of ``notebooks/`` in a temporary folder, with autosave off, so running a
lesson in the browser never writes outputs into the working tree.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
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

# User settings for the private server: every cell rendered (no windowing), no news or update
# pop-ups, and no autosave (the test never writes back).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

STDERR_MIME = "application/vnd.jupyter.stderr"  # how JupyterLab marks tracebacks and stderr text


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


def _copy_output(stream, log, ready: threading.Event, marker: bytes) -> None:
    """Copy the server's output into its log; set ``ready`` once it prints ``marker`` (or ends)."""
    for line in iter(stream.readline, b""):
        log.write(line)
        log.flush()
        if marker in line:
            ready.set()
    ready.set()


def _wait_for_port(port: int, process: subprocess.Popen, deadline: float, server: LabServer) -> None:
    """The server prints its address, then binds the port on its event loop's first turn (no line
    marks that turn): the one timed wait here, on a process, never on the page."""
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{server.log_tail()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"JupyterLab did not open port {port}:\n{server.log_tail()}")
        time.sleep(0.05)


@contextlib.contextmanager
def lab_server(notebook_dir: Path = ROOT / "notebooks", startup_timeout: float = 180,
               log_path: Path | None = None) -> Iterator[LabServer]:
    """Start JupyterLab on 127.0.0.1, a free port and a random token, on a copy of ``notebook_dir``.

    Ready when the server prints the address it serves (it does so once it listens). Stops it at
    the end by signalling its own process group, then ends any kernel it left.
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
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                               cwd=root, start_new_session=True)
    ready = threading.Event()
    copier = threading.Thread(target=_copy_output, daemon=True,
                              args=(process.stdout, log, ready, f"http://127.0.0.1:{port}/".encode()))
    copier.start()
    server = LabServer(url=f"http://127.0.0.1:{port}", token=token, root_dir=root,
                       log_path=log_path, process=process)
    try:
        if not ready.wait(startup_timeout):
            raise RuntimeError(f"JupyterLab did not announce its address in {startup_timeout} s:\n"
                               f"{server.log_tail()}")
        _wait_for_port(port, process, deadline=time.monotonic() + startup_timeout, server=server)
        server.api("status")
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
        copier.join(timeout=10)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


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


# --- a notebook in the browser ---------------------------------------------------------------

# True once every code cell with source shows a number in its prompt, or an error/stderr output
# shows (Run All stops at an error; the cells after it keep an empty prompt).
_JS_RUN_FINISHED = """(panel) => {
  const cells = [...panel.querySelectorAll('.jp-CodeCell')]
    .filter(c => (c.querySelector('.jp-InputArea-editor')?.textContent || '').trim() !== '');
  const numbered = cells.every(c => /^\\[\\d+\\]:$/.test(c.querySelector('.jp-InputPrompt').textContent.trim()));
  return numbered || panel.querySelector('.jp-OutputArea-output[data-mime-type="%s"]') !== null;
}""" % STDERR_MIME

# The one number no element shows: how many widget views the kernel sent to this notebook (from
# JupyterLab's notebook model; `jupyterapp` is exposed by --LabApp.expose_app_in_browser).
_JS_WIDGET_OUTPUTS = """(name) => {
  for (const w of window.jupyterapp.shell.widgets('main')) {
    if (!(w.context && w.content && w.context.path.endsWith(name))) continue;
    let n = 0;
    for (const cell of w.content.widgets) {
      if (cell.model.type !== 'code') continue;
      const outs = cell.model.outputs;
      for (let j = 0; j < outs.length; j++)
        if ((outs.get(j).data || {})['application/vnd.jupyter.widget-view+json']) n += 1;
    }
    return n;
  }
  return null;
}"""

# A canvas shows something once any pixel is not fully transparent.
JS_CANVAS_PAINTED = """(c) => {
  if (!c.width || !c.height) return false;
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let k = 3; k < data.length; k += 4) if (data[k] !== 0) return true;
  return false;
}"""


class LabNotebook:
    """One notebook open in a JupyterLab tab, as a student sees it: open, Run All, look."""

    def __init__(self, page, server: LabServer, name: str):
        self.page, self.server, self.name = page, server, name
        self.panel = page.locator(".jp-NotebookPanel")
        # The status bar's kernel item reads e.g. "Python 3 (ipykernel) | Idle".
        self.kernel_status = page.locator(f".jp-StatusBar-TextItem[title='Change kernel for {name}']")
        self.code_cells = self.panel.locator(".jp-CodeCell")
        self.outputs = self.panel.locator(".jp-OutputArea-output")

    def open(self, timeout: float = 180) -> "LabNotebook":
        """Load the notebook and wait until the status bar says its kernel is idle."""
        from playwright.sync_api import expect

        self.page.goto(self.server.lab_url(self.name), timeout=timeout * 1000)
        expect(self.panel).to_have_count(1, timeout=timeout * 1000)
        expect(self.kernel_status).to_have_text(re.compile(r"\|\s*Idle$"), timeout=timeout * 1000)
        return self

    def run_all(self, timeout: float = 900) -> "LabNotebook":
        """Run → Run All Cells from the menu bar; wait until every prompt shows a number (or an
        error shows) and the kernel is idle."""
        from playwright.sync_api import expect

        self.page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        self.page.locator(".lm-Menu-item:visible", has_text="Run All Cells").first.click()
        self.page.wait_for_function(_JS_RUN_FINISHED, arg=self.panel.element_handle(),
                                    timeout=timeout * 1000)
        expect(self.kernel_status).to_have_text(re.compile(r"\|\s*Idle$"), timeout=timeout * 1000)
        return self

    def prompts(self) -> list[str]:
        """Each code cell's prompt as shown: '[7]:', '[*]:' or '[ ]:'."""
        return [p.strip() for p in self.code_cells.locator(".jp-InputPrompt").all_inner_texts()]

    def error_texts(self) -> list[str]:
        """The text of every traceback and stderr output, with its cell's prompt."""
        found = []
        for cell in self.code_cells.filter(has=self.page.locator(f"[data-mime-type='{STDERR_MIME}']")).all():
            prompt = cell.locator(".jp-InputPrompt").inner_text().strip()
            for text in cell.locator(f"[data-mime-type='{STDERR_MIME}']").all_inner_texts():
                found.append(f"cell {prompt} {text[:2000]}")
        return found

    def widget_outputs(self) -> int:
        """How many widget views the kernel sent (not shown by any element; read from the model)."""
        return self.page.evaluate(_JS_WIDGET_OUTPUTS, self.name)

    def figures(self):
        """The ipympl figures on the page (their image canvas is the first canvas of each)."""
        return self.panel.locator(".jupyter-matplotlib-figure")

    def wait_figures_painted(self, timeout: float = 60) -> list[str]:
        """Bring each ipympl figure into view, as a student scrolling by would, and wait until its
        canvas shows a picture. Returns the figures left blank: code cell index and canvas size."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        blank = []
        for i in range(self.figures().count()):
            canvas = self.figures().nth(i).locator("canvas").first
            canvas.scroll_into_view_if_needed()
            try:
                self.page.wait_for_function(JS_CANVAS_PAINTED, arg=canvas.element_handle(),
                                            timeout=timeout * 1000)
            except PlaywrightTimeout:
                blank.append(canvas.evaluate(
                    "c => `code cell ${[...document.querySelectorAll('.jp-CodeCell')].indexOf(c.closest('.jp-CodeCell'))}`"
                    " + ` (canvas ${c.width} x ${c.height})`"))
        return blank

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
    """A slider as the student sees it: the course's own (``helpers.controls.Slider``: a labelled
    ``<input type="range">``) or an ipywidgets one (noUiSlider in ipywidgets 8; the naive way of
    benchmarks/browser_latency.py)."""

    def __init__(self, locator):
        self.root = locator
        self.native = locator.evaluate("e => e.classList.contains('course-slider')")
        if self.native:
            self.handle = self.track = locator.locator("input[type=range]")
            self.readout = locator.locator(".course-slider-readout")
            self._label = locator.locator(".course-slider-label")
        else:
            self.handle = locator.locator(".noUi-handle").first
            self.track = locator.locator(".noUi-base")
            self.readout = locator.locator(".widget-readout").first
            self._label = locator.locator(".widget-label").first

    @property
    def description(self) -> str:
        return self._label.inner_text().strip()

    def value_text(self) -> str:
        return self.readout.inner_text().strip()

    def value(self) -> float:
        return float(self.value_text())

    def thumb_x(self) -> float:
        """The page x of the thumb's centre."""
        if not self.native:
            box = self.handle.bounding_box()
            return box["x"] + box["width"] / 2
        box = self.track.bounding_box()
        fraction = self.handle.evaluate("e => (e.value - e.min) / (e.max - e.min)")
        thumb = 16  # Chromium's range thumb: its centre travels from 8 px in to 8 px before the end
        return box["x"] + thumb / 2 + fraction * (box["width"] - thumb)

    def drag(self, page, dx: float, steps: int = 8) -> None:
        """Press the thumb with the mouse, move it ``dx`` pixels to the right, release."""
        self.handle.scroll_into_view_if_needed()
        box = self.handle.bounding_box()
        x, y = self.thumb_x(), box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + dx, y, steps=steps)
        page.mouse.up()

    def press(self, key: str, times: int = 1) -> None:
        """Focus the thumb and press ``key`` (ArrowRight, ArrowLeft, ...) ``times`` times."""
        self.handle.focus()
        for _ in range(times):
            self.handle.press(key)


SLIDER_SELECTOR = ".course-slider, .widget-slider:not(.widget-vslider)"
"""The course's sliders and horizontal ipywidgets sliders."""


def sliders(scope) -> list[Slider]:
    """Every slider inside ``scope`` (a page or a locator), in document order."""
    found = scope.locator(SLIDER_SELECTOR)
    return [Slider(found.nth(i)) for i in range(found.count())]


def canvas_pixels(canvas_locator) -> str:
    """The canvas's pixels as a data URL: equal strings mean equal pictures."""
    return canvas_locator.evaluate("c => c.toDataURL('image/png')")


def figure_canvas(scope, index: int = 0):
    """The image canvas of the ``index``-th ipympl figure in ``scope``."""
    return scope.locator(".jupyter-matplotlib-figure").nth(index).locator("canvas").first
