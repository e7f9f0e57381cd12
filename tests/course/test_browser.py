"""The learner's path in a real browser: headless Chromium (Debian's) driven by Playwright.

`make lab BROWSER=no PORT=...` (the README's command, token from JUPYTER_TOKEN) serves a copy of
the course (tests/labserver.py); in it the browser

* opens notebooks/01_chain_rule, runs the setup cell, the first exercise's stub and its check and
  reads "not implemented yet"; types a wrong answer into the cell editor and reads the named
  mistake; types the right one and reads the [ok] line; sees no Nbgrader menu (the learner's lab
  has no instructor tools);
* for every notebook, fresh: *Run > Run All Cells*, then saves it and reads what JupyterLab stored.
  Every code cell ran (Run All went past each failing check to the last cell); every plot that
  needs no exercise is drawn, and a plot that needs one (06's training curves) says so instead
  ("Nothing to draw yet: ... is not implemented yet"); no cell draws a figure whose axes hold nothing, nor a figure under
  its "not implemented yet" (each such cell is named);
* opens *File > New > Terminal* and runs the README's `course-check progress notebooks` there;
* in `make instructor`, opens the Formgrader from the Nbgrader menu and follows an assignment's
  link to its folder in solutions/.

An empty figure is recognised by the kernels of this test alone: an IPython startup file (in a
temporary IPYTHONDIR) makes a shown figure whose every axes holds no data say so in its text.
Playwright is a test-only package (`make install` puts it in .venv/test-packages); chromium comes
from apt (installed here as root, once).  Screenshots and timings go to test-artifacts/browser/.
"""
import ast
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, assignments
from labserver import TOKEN, Server, course_copy

sys.path.insert(0, str(ROOT / "deploy" / "hub"))
provision = pytest.importorskip("provision", reason="deploy/hub/provision.py needs a Unix system")

ALL = assignments()
ASSIGNMENT = "01_chain_rule"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
# Flags that work on a machine without a screen or network (docs: ../shared/NBGRADER_NOTES.md).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-dev-shm-usage"]
WRONG = "return np.cos(x ** 2)"             # forgets the inner derivative 2x
RIGHT = "return 2 * x * np.cos(x ** 2)"
EMPTY = "[browser test] every axes of this figure is empty"
# What a plotting cell prints when the figure needs an exercise the learner has not done yet.
WAITS = re.compile(r"Nothing to draw yet: .* is not implemented yet")
STARTUP = f'''# The browser test's kernels only (tests/course/test_browser.py): a shown figure none of whose axes holds
# data says so in its text, so the test can name the cell that drew it.
def _course_test_figure_text(fig, p, cycle):
    from matplotlib.collections import PathCollection

    def drawn(ax):
        if ax.images or ax.patches or ax.tables or ax.texts:
            return True
        if any(len(line.get_xdata()) for line in ax.lines):
            return True
        return any(len(c.get_offsets()) if isinstance(c, PathCollection) else len(c.get_paths())
                   for c in ax.collections)

    axes = fig.get_axes()
    p.text(("{EMPTY}: " if axes and not any(drawn(ax) for ax in axes) else "") + repr(fig))


def _course_test_register(*args):
    # before every cell and before the inline backend shows its figures (registered first, this runs
    # first): the backend, activated by the first figure, drops Figure's printers
    import sys
    if "matplotlib.figure" in sys.modules:
        from matplotlib.figure import Figure
        get_ipython().display_formatter.formatters["text/plain"].for_type(Figure, _course_test_figure_text)


get_ipython().events.register("pre_run_cell", _course_test_register)
get_ipython().events.register("post_execute", _course_test_register)
'''
# Calls that draw a figure; a cell draws one when its top-level code calls one of these, or a
# function of an earlier cell that does (01's draw_graph).
DRAW = re.compile(r"\bplt\.(subplots|subplot|figure|plot|imshow|scatter|bar|hist|show)\(")

# one Chromium, its lab and kernels in one worker (GROUPS in the root conftest.py)
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="installs Debian's chromium (Linux only)")


def plotting_cells(nb):
    """Indices of the code cells that draw a figure (as the solutions do: checked against them)."""
    helpers, found = set(), []
    for i, cell in enumerate(nb["cells"]):
        source = "".join(cell["source"])
        if cell["cell_type"] != "code":
            continue
        try:
            body = ast.parse(source).body
        except SyntaxError:
            continue
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                segment = ast.get_source_segment(source, node)
                if DRAW.search(segment) or set(re.findall(r"\w+", segment)) & helpers:
                    helpers.add(node.name)
        top = "\n".join(ast.get_source_segment(source, node) for node in body
                        if not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)))
        if DRAW.search(top) or set(re.findall(r"\w+", top)) & helpers:
            found.append(i)
    return found


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
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed: `make install` puts it in .venv/test-packages")
    timings["install chromium"] = round(time.monotonic() - started, 1)
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
def course(tmp_path_factory):
    return course_copy(tmp_path_factory.mktemp("browser") / "course", ALL, make=True)


@pytest.fixture(scope="module")
def lab(browser, course, tmp_path_factory):
    """`make lab BROWSER=no` in the copy: autosave off, every cell kept in the page, our startup file."""
    _, timings = browser
    settings = tmp_path_factory.mktemp("lab-settings")
    for plugin, values in {
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
    }.items():
        path = settings / "user-settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    ipython = settings / "ipython"
    (ipython / "profile_default" / "startup").mkdir(parents=True)
    (ipython / "profile_default" / "startup" / "50-empty-figures.py").write_text(STARTUP)
    started = time.monotonic()
    server = Server("lab", course, env={"JUPYTERLAB_SETTINGS_DIR": str(settings / "user-settings"),
                                        "JUPYTERLAB_WORKSPACES_DIR": str(settings / "workspaces"),
                                        "IPYTHONDIR": str(ipython)})
    timings["make lab: server up"] = round(time.monotonic() - started, 1)
    yield server
    server.stop()
    (ARTIFACTS / "lab.log").write_text(server.output())
    assert not (course / "gradebook.db").exists(), "the learner's lab created gradebook.db"


def open_notebook(chromium, lab, assignment):
    from playwright.sync_api import expect
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{lab.url}/lab/tree/{assignment}/{assignment}.ipynb?token={TOKEN}&reset")
    page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=120_000)
    expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=120_000)
    return page


def close_notebook(page, lab, assignment):
    """Close the page and shut its kernel down (each test starts a fresh one)."""
    page.close()
    for session in json.loads(lab.get("/api/sessions")):
        if session["path"].endswith(f"{assignment}.ipynb"):
            lab.request(f"/api/sessions/{session['id']}", method="DELETE")


def code_cell(page, text):
    """The code cell whose source contains ``text``."""
    return page.locator(".jp-CodeCell").filter(has=page.locator(".cm-content", has_text=text)).first


def run(cell):
    cell.locator(".cm-content").click()
    cell.page.keyboard.press("Shift+Enter")


def wait_ran(cell, timeout=120_000):
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


def menu(page, *labels):
    """Click through JupyterLab's menu bar: menu(page, "Run", "Run All Cells")."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{labels[0]}$")).click()
    for label in labels[1:]:
        page.locator(".lm-Menu:visible .lm-Menu-itemLabel").get_by_text(label, exact=True).click()


def test_learner_path_in_chromium(browser, lab):
    from playwright.sync_api import expect
    chromium, timings = browser
    started = time.monotonic()
    page = open_notebook(chromium, lab, ASSIGNMENT)
    setup = code_cell(page, "from autograder.checks import chain_rule as check")
    timings["notebook open, kernel idle"] = round(time.monotonic() - started, 1)
    # the title and its rendered math; no instructor tools in the learner's lab
    expect(page.locator(".jp-RenderedMarkdown h1").first).to_contain_text("The chain rule")
    assert page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").count() == 0
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
    close_notebook(page, lab, ASSIGNMENT)


def wait_until_run_all_ends(page, seconds=600):
    """Until no cell is queued or running ([*]) and the kernel has been idle for a second."""
    deadline, quiet = time.monotonic() + seconds, 0
    page.wait_for_timeout(1000)
    while quiet < 2:
        assert time.monotonic() < deadline, "Run All still running"
        running = page.locator(".jp-InputPrompt", has_text="[*]").count()
        idle = page.get_by_text("Python 3 (ipykernel) | Idle").count()
        quiet = quiet + 1 if (running == 0 and idle) else 0
        page.wait_for_timeout(500)


def saved(page, path, before):
    """Save the notebook (File > Save Notebook) and return what JupyterLab wrote."""
    menu(page, "File", "Save Notebook")
    deadline = time.monotonic() + 60
    while path.read_bytes() == before:
        assert time.monotonic() < deadline, "the notebook was not saved"
        time.sleep(0.25)
    time.sleep(0.5)          # the contents API writes the file once; let it finish
    return json.loads(path.read_text(encoding="utf-8"))


def outputs(cell, kind):
    return [o for o in cell.get("outputs", []) if kind(o)]


@pytest.mark.parametrize("assignment", ALL)
def test_run_all_reaches_the_last_cell_and_draws_what_needs_no_exercise(browser, lab, assignment):
    chromium, timings = browser
    path = lab.course / "notebooks" / assignment / f"{assignment}.ipynb"
    before = path.read_bytes()
    plots = plotting_cells(json.loads(before))
    started = time.monotonic()
    page = open_notebook(chromium, lab, assignment)
    try:
        menu(page, "Run", "Run All Cells")
        wait_until_run_all_ends(page)
        timings[f"Run All {assignment}"] = round(time.monotonic() - started, 1)
        shot(page, f"run-all-{assignment}")
        nb = saved(page, path, before)
    finally:
        close_notebook(page, lab, assignment)
        path.write_bytes(before)
    code = [(i, c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    never_ran = [f"cell {i} ({c['id']})" for i, c in code if c.get("execution_count") is None]
    assert not never_ran, (f"Run All stopped before {never_ran[0]}: the cell before it failed and is not "
                           f"tagged raises-exception ({len(never_ran)} cells never ran)")
    failed = {i for i, c in code if outputs(c, lambda o: o["output_type"] == "error")}
    drawn = {i for i, c in code if outputs(c, lambda o: "image/png" in o.get("data", {}))}
    empty = {i for i, c in code if outputs(c, lambda o: EMPTY in "".join(o.get("data", {}).get("text/plain", "")))}
    ids = dict((i, c["id"]) for i, c in code)
    problems = [f"cell {i} ({ids[i]}) draws a figure under its error: draw nothing until the function works"
                for i in sorted(failed & drawn)]
    problems += [f"cell {i} ({ids[i]}) draws a figure whose axes hold nothing" for i in sorted(empty - failed)]
    waits = {i for i, c in code if outputs(c, lambda o: WAITS.search(o.get("text", "") if isinstance(o.get("text"), str)
                                                                   else "".join(o.get("text", []))))}
    problems += [f"cell {i} ({ids[i]}) needs no exercise but drew no plot" for i in plots
                 if i not in failed and i not in drawn and i not in waits]
    problems += [f"cell {i} ({ids[i]}) says it waits for an exercise yet drew a plot" for i in sorted(waits & drawn)]
    assert not problems, "\n".join(problems)


def test_terminal_runs_the_readme_progress_command(browser, lab):
    """File > New > Terminal opens in the course folder with the venv on PATH."""
    chromium, timings = browser
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{lab.url}/lab?token={TOKEN}&reset")
    page.locator(".lm-MenuBar-itemLabel", has_text="File").wait_for(timeout=120_000)
    menu(page, "File", "New", "Terminal")
    page.locator(".jp-Terminal .xterm-helper-textarea").wait_for(timeout=60_000)
    page.locator(".jp-Terminal").first.click()
    report = lab.course / "terminal-report.txt"
    page.keyboard.type(f"{{ pwd; command -v course-check; course-check progress notebooks; }} > {report} 2>&1; "
                       f"mv {report} {report}.done")
    page.keyboard.press("Enter")
    done = Path(f"{report}.done")
    deadline = time.monotonic() + 300
    while not done.exists():
        assert time.monotonic() < deadline, "the terminal did not run the command"
        time.sleep(0.5)
    shot(page, "terminal")
    text = done.read_text()
    page.close()
    for session in json.loads(lab.get("/api/terminals")):
        lab.request(f"/api/terminals/{session['name']}", method="DELETE")
    lines = text.splitlines()
    assert Path(lines[0]) == lab.course, text
    assert lines[1] == str(Path(sys.executable).parent / "course-check"), text
    assert re.search(r"total: 0 / \d+ points", text), text


def test_instructor_formgrader_links_open_the_course(browser, tmp_path):
    """`make instructor`: Nbgrader > Formgrader lists the assignments; an assignment's name opens
    its folder in solutions/ in JupyterLab's file browser."""
    from playwright.sync_api import expect
    chromium, timings = browser
    started = time.monotonic()
    server = Server("instructor", course_copy(tmp_path / "course", [ASSIGNMENT], make=True))
    try:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{server.url}/lab?token={TOKEN}&reset")
        page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for(timeout=120_000)
        menu(page, "Nbgrader", "Formgrader")
        frame = page.frame_locator("iframe").first
        expect(frame.locator("body")).to_contain_text("Manage Assignments", timeout=120_000)
        row = frame.locator("tr", has_text=ASSIGNMENT).first
        expect(row).to_be_visible(timeout=120_000)
        shot(page, "06-formgrader")
        row.locator("a", has_text=ASSIGNMENT).first.click()
        listing = page.locator(".jp-DirListing-content")
        expect(listing).to_contain_text(f"{ASSIGNMENT}.ipynb", timeout=60_000)
        expect(page.locator(".jp-BreadCrumbs")).to_contain_text("solutions")
        shot(page, "07-formgrader-link")
        page.close()
    finally:
        server.stop()
        (ARTIFACTS / "instructor.log").write_text(server.output())
    timings["instructor: formgrader and a link"] = round(time.monotonic() - started, 1)
