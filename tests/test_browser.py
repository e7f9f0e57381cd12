"""The learner's path in a real browser: headless Chromium (Debian's) driven by Playwright.

`make lab BROWSER=no PORT=...` (the README's command, with a token from JUPYTER_TOKEN) serves the
course; the browser opens notebooks/01_chain_rule/01_chain_rule.ipynb, runs the setup cell, the
first exercise's stub and its check and reads "not implemented yet" on the page; types a wrong
answer into the cell editor and reads the named mistake; types the right one and reads the [ok]
line; then opens the formgrader from JupyterLab's Nbgrader menu, as the instructor does.
Screenshots go to test-artifacts/browser/.

Installs what it needs: Debian's chromium (apt, once) and Playwright from PyPI (into this venv,
once; Playwright drives /usr/bin/chromium by its path and downloads no browser).  Skipped, saying
why, only where apt cannot install chromium or pip cannot install Playwright.  Autosave is off
(JupyterLab settings in a temporary folder) and the notebook is checked unchanged at the end.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import json
from pathlib import Path

import pytest

from conftest import ROOT, learner_path

sys.path.insert(0, str(ROOT / "deploy" / "hub"))
provision = pytest.importorskip("provision", reason="deploy/hub/provision.py needs a Unix system")

ASSIGNMENT = "01_chain_rule"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
TOKEN = "course-browser-test"
CHROMIUM = "/usr/bin/chromium"
# Flags that work on a machine without a screen or network (docs: ../shared/NBGRADER_NOTES.md).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-dev-shm-usage"]
WRONG = "return np.cos(x ** 2)"             # forgets the inner derivative 2x
RIGHT = "return 2 * x * np.cos(x ** 2)"

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="installs Debian's chromium (Linux only)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    timings = {}
    started = time.monotonic()
    if not Path(CHROMIUM).exists():
        if os.geteuid() != 0:
            pytest.skip("chromium is not installed and installing it with apt needs root")
        try:
            provision.apt_install("chromium")
        except provision.Unavailable as err:
            pytest.skip(f"cannot install Debian's chromium: {err}")
    try:
        import playwright  # noqa: F401
    except ImportError:
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "playwright>=1.40"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot install Playwright from PyPI: {proc.stderr.strip()[-300:]}")
    from playwright.sync_api import sync_playwright
    timings["install chromium and playwright"] = round(time.monotonic() - started, 1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS.parent / ".gitignore").write_text("*\n")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium, timings
        finally:
            chromium.close()
            (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=1) + "\n")


@pytest.fixture(scope="module")
def lab(browser):
    """`make lab BROWSER=no` in the repository, autosave off, the notebook left as it was."""
    _, timings = browser
    notebook = learner_path(ASSIGNMENT)
    before = notebook.read_bytes()
    had_gradebook = (ROOT / "gradebook.db").exists()
    checkpoints = notebook.parent / ".ipynb_checkpoints"
    had_checkpoints = checkpoints.exists()
    settings = Path(tempfile.mkdtemp(prefix="bp-lab-settings-"))
    for plugin, values in {
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
    }.items():
        path = settings / "user-settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port = free_port()
    env = dict(os.environ, JUPYTER_TOKEN=TOKEN, JUPYTERLAB_SETTINGS_DIR=str(settings / "user-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(settings / "workspaces"))
    for name in ("MPLBACKEND", "AUTOGRADER_CALL_SECONDS"):  # set for the test suite (conftest), not a learner
        env.pop(name, None)
    log = open(ARTIFACTS / "lab.log", "w")
    started = time.monotonic()
    proc = subprocess.Popen(["make", "lab", "BROWSER=no", f"PORT={port}"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2).read()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    pytest.fail(f"`make lab` did not answer; see {ARTIFACTS / 'lab.log'}")
                time.sleep(0.5)
        timings["make lab: server up"] = round(time.monotonic() - started, 1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        shutil.rmtree(settings, ignore_errors=True)
        changed = notebook.read_bytes() != before
        notebook.write_bytes(before)
        if not had_checkpoints and checkpoints.exists():
            shutil.rmtree(checkpoints)
        if not had_gradebook and (ROOT / "gradebook.db").exists():
            (ROOT / "gradebook.db").unlink()
        assert not changed, "the browser session saved the committed learner notebook"


def code_cell(page, text):
    """The code cell whose source contains ``text``."""
    return page.locator(".jp-CodeCell").filter(has=page.locator(".cm-content", has_text=text)).first


def run(cell):
    cell.locator(".cm-content").click()
    cell.page.keyboard.press("Shift+Enter")


def wait_ran(cell, timeout=60_000):
    """Until the cell's prompt shows an execution count ([3]: rather than [*]:)."""
    from playwright.sync_api import expect
    expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]"), timeout=timeout)


def output_text(cell):
    return cell.locator(".jp-OutputArea").inner_text()


def type_into(cell, body):
    """Replace the cell's source by typing, as a learner does (the editor indents the body)."""
    page = cell.page
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type("def sin_square_derivative(x):")
    page.keyboard.press("Enter")
    page.keyboard.type(body)


def shot(page, name, locator=None):
    if locator is not None:
        locator.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_learner_path_in_chromium(browser, lab):
    from playwright.sync_api import expect
    chromium, timings = browser
    started = time.monotonic()
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{lab}/lab/tree/{ASSIGNMENT}/{ASSIGNMENT}.ipynb?token={TOKEN}")
    setup = code_cell(page, "from autograder.checks import chain_rule as check")
    setup.wait_for(timeout=90_000)
    expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=90_000)
    timings["notebook open, kernel idle"] = round(time.monotonic() - started, 1)
    # the title and its rendered math
    expect(page.locator(".jp-RenderedMarkdown h1").first).to_contain_text("The chain rule")
    shot(page, "01-notebook-open")

    started = time.monotonic()
    run(setup)
    wait_ran(setup)
    # section 1: the printed table and the plot
    for text in ("slope = np.exp(np.sin(x0))", "ax.set_title("):
        cell = code_cell(page, text)
        run(cell)
        wait_ran(cell)
    plot = code_cell(page, "ax.set_title(")
    expect(plot.locator(".jp-OutputArea img")).to_have_count(1)
    shot(page, "02-plot", plot)

    # the first exercise: the stub, then its check
    stub = code_cell(page, "def sin_square_derivative(x):")
    check = code_cell(page, "check.sin_square_derivative(sin_square_derivative)")
    run(stub)
    wait_ran(stub)
    run(check)
    wait_ran(check)
    assert "not implemented yet" in output_text(check)
    shot(page, "03-not-implemented", check)

    # a wrong answer typed into the editor: the check names the mistake
    type_into(stub, WRONG)
    assert "return np.cos(x ** 2)" in stub.locator(".cm-content").inner_text()
    run(stub)
    wait_ran(stub)
    run(check)
    wait_ran(check)
    expect(check.locator(".jp-OutputArea")).to_contain_text("you forgot the inner derivative")
    shot(page, "04-named-mistake", check)

    # fixed: the pass line
    type_into(stub, RIGHT)
    run(stub)
    wait_ran(stub)
    run(check)
    wait_ran(check)
    expect(check.locator(".jp-OutputArea")).to_contain_text("[ok] sin_square_derivative")
    assert "Error" not in output_text(check)
    shot(page, "05-passed", check)
    timings["learner path: run, fail, fix, pass"] = round(time.monotonic() - started, 1)

    # the instructor: Nbgrader > Formgrader, which lists the course's assignments
    started = time.monotonic()
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Formgrader", exact=True).click()
    frame = page.frame_locator("iframe").first
    expect(frame.locator("body")).to_contain_text("Manage Assignments", timeout=60_000)
    row = frame.locator("tr", has_text=ASSIGNMENT).first
    expect(row).to_be_visible(timeout=60_000)
    shot(page, "06-formgrader")
    row.scroll_into_view_if_needed()
    shot(page, "07-formgrader-assignments")
    timings["formgrader"] = round(time.monotonic() - started, 1)
    page.close()
