"""The two JupyterLabs of the Makefile, served for real from a copy of the course, and every way of
regenerating an assignment, each keeping a learner's work.

* `make lab` (the learner's): serves notebooks/, offers no nbgrader tool (no Formgrader, no Create
  Assignment, no assignment or course list), creates no gradebook.db, and its terminal runs the
  README's `course-check progress notebooks` (the venv is on PATH there).
* `make instructor`: serves the repository root with the Formgrader, whose links to solutions/ and
  notebooks/ open; its Generate button (through the HTTP API it posts to) keeps a learner's work.
* `nbgrader generate_assignment --force` through the course's nbgrader_config.py keeps it too, and
  puts back what a failed generation removed; without the course's configuration nbgrader deletes
  it (the hazard this guards against).  `make generate`: tests/grading/test_loader_cli.py.
* Every command of the README's bash blocks works as written from the repository root in a plain
  shell (the cheap ones run, the others are found and answer --help or `make -n`).

Each server runs in its own copy of the course on a free port (xdist-safe), with this checkout's
.venv; the tests never touch the repository's notebooks/.
"""
import json
import os
import re
import subprocess
import time

import pytest

import nbedit
from conftest import VENV_BIN, learner_path, nbgrader_cmd, nbgrader_env
from labserver import TOKEN, Server, page_config
from labserver import course_copy as _course_copy

NB = "00_finite_differences"
# with pytest-xdist one worker runs this module (GROUPS in the root conftest.py), so each server starts once
LEARNER_ANSWER = "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x - h)) / (2 * h)\n"


def course_copy(base, make=False):
    return _course_copy(base, (NB,), make=make)


def write_learner_work(course):
    """A learner's answer, run (with an output), a checkpoint and a file of their own."""
    path = course / "notebooks" / NB / f"{NB}.ipynb"
    nb = nbedit.read(path)
    nbedit.set_source(nb, "central_difference", LEARNER_ANSWER)
    cell = nbedit.cell(nb, "central_difference")
    cell["execution_count"] = 3
    nbedit.write(nb, path)
    checkpoints = path.parent / ".ipynb_checkpoints"
    checkpoints.mkdir(exist_ok=True)
    (checkpoints / f"{NB}-checkpoint.ipynb").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (path.parent / "my_notes.md").write_text("h = 1e-5 was best\n", encoding="utf-8")
    return path, path.read_text(encoding="utf-8")


def assert_work_kept(path, learner, message):
    """The notebook is the fresh generation, the learner's version is beside it, named in ``message``."""
    backups = sorted(path.parent.glob(f"{path.name}.bak-*"))
    assert len(backups) == 1, f"one backup beside {path.name}: {sorted(p.name for p in path.parent.iterdir())}"
    assert backups[0].read_text(encoding="utf-8") == learner
    assert backups[0].name in message, message[-3000:]
    assert path.read_bytes() == learner_path(NB).read_bytes(), "the notebook is regenerated"
    assert (path.parent / "my_notes.md").exists() and (path.parent / ".ipynb_checkpoints").exists()


@pytest.fixture(scope="module")
def learner_lab(tmp_path_factory):
    server = Server("lab", course_copy(tmp_path_factory.mktemp("lab") / "course", make=True))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def instructor_lab(tmp_path_factory):
    server = Server("instructor", course_copy(tmp_path_factory.mktemp("instructor") / "course", make=True))
    yield server
    server.stop()


# --- make lab: the learner's ---------------------------------------------------------------------

def test_make_lab_serves_the_notebooks(learner_lab):
    listing = json.loads(learner_lab.get(f"/api/contents/{NB}"))
    assert f"{NB}.ipynb" in [item["name"] for item in listing["content"]]
    output = learner_lab.output()
    if os.geteuid() == 0:
        assert "--allow-root" in output
    assert "--no-browser" in output and "--notebook-dir=notebooks" in output


def test_make_lab_offers_no_instructor_tool(learner_lab):
    """No Formgrader, Create Assignment, assignment or course list (server or JupyterLab side), and
    nothing creates gradebook.db."""
    for path in ("/formgrader", "/formgrader/api/assignments", "/assignments", "/formgraders", "/courses"):
        assert learner_lab.status(path) == 404, path
    config = page_config(learner_lab, f"/lab/tree/{NB}/{NB}.ipynb")
    assert config["disabledExtensions"].count("@jupyter/nbgrader") == 1, config["disabledExtensions"]
    assert not (learner_lab.course / "gradebook.db").exists()
    assert "nbgrader" not in learner_lab.output().lower(), "no nbgrader extension loaded"


def terminal_run(server, command, marker, seconds=240):
    """Open a terminal as JupyterLab's launcher does (cwd: the file browser's folder, here its top),
    type ``command`` and return what the terminal shows up to ``marker``."""
    import asyncio
    from tornado.websocket import websocket_connect
    status, body = server.request("/api/terminals", data=json.dumps({"cwd": ""}).encode(), method="POST")
    name = json.loads(body)["name"]

    async def talk():
        ws = await websocket_connect(f"ws://127.0.0.1:{server.port}/terminals/websocket/{name}?token={TOKEN}")
        ws.write_message(json.dumps(["stdin", command + "\r"]))
        shown, deadline = "", time.monotonic() + seconds
        while marker not in shown and time.monotonic() < deadline:
            msg = await asyncio.wait_for(ws.read_message(), timeout=seconds)
            if msg is None:
                break
            kind, *rest = json.loads(msg)
            if kind == "stdout":
                shown += rest[0]
        ws.close()
        return shown

    try:
        return asyncio.run(talk())
    finally:
        server.request(f"/api/terminals/{name}", method="DELETE")


def test_lab_terminal_runs_the_readme_progress_command(learner_lab):
    """JupyterLab's terminal opens in the course folder with the venv first on PATH: the README's
    `course-check progress notebooks` runs there (it was "command not found")."""
    shown = terminal_run(learner_lab, "command -v course-check; course-check progress notebooks; echo END-$((6*7))",
                         "END-42")
    assert f"{VENV_BIN}/course-check" in shown, shown[-2000:]
    assert re.search(r"total: 0 / \d+ points", shown), shown[-2000:]


# --- make instructor -----------------------------------------------------------------------------

def test_make_instructor_serves_the_formgrader_with_working_links(instructor_lab):
    assignments = json.loads(instructor_lab.get("/formgrader/api/assignments"))
    row = next(a for a in assignments if a["name"] == NB)
    html = instructor_lab.get("/formgrader/manage_assignments")
    prefix = re.search(r'url_prefix\s*=\s*"([^"]*)"', html).group(1)
    for rel in (row["source_path"], row["release_path"]):
        path = os.path.normpath(f"{prefix}/{rel}")
        assert not path.startswith(".."), f"a formgrader link leaves the served folder: {path}"
        assert instructor_lab.status(f"/api/contents/{path}") == 200, path
    assert "@jupyter/nbgrader" not in page_config(instructor_lab, "/lab")["disabledExtensions"]


def test_formgrader_generate_keeps_a_learners_work(instructor_lab):
    """The Formgrader's Generate button posts here and forces: nbgrader alone deletes notebooks/<A>."""
    path, learner = write_learner_work(instructor_lab.course)
    status, body = instructor_lab.request(f"/formgrader/api/assignment/{NB}/assign", data=b"{}", method="POST")
    answer = json.loads(body)
    assert answer["success"], answer
    assert_work_kept(path, learner, answer["log"])


# --- nbgrader generate_assignment through the course's configuration -------------------------------

def nbgrader(course, *args):
    return subprocess.run(nbgrader_cmd() + list(args), cwd=course, env=nbgrader_env(), capture_output=True,
                          text=True, timeout=600)


def test_nbgrader_generate_force_keeps_a_learners_work(tmp_path):
    course = course_copy(tmp_path / "course")
    path, learner = write_learner_work(course)
    proc = nbgrader(course, "generate_assignment", NB, "--force")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert_work_kept(path, learner, proc.stderr)


def test_a_failed_generation_puts_the_folder_back(tmp_path):
    """nbgrader removes notebooks/<A> when generating it fails; the course puts everything back."""
    course = course_copy(tmp_path / "course")
    path, learner = write_learner_work(course)
    source = course / "solutions" / NB / f"{NB}.ipynb"
    nb = nbedit.read(source)
    solution_cells = nbedit.solution_cells(nb)
    solution_cells[1]["metadata"]["nbgrader"]["grade_id"] = solution_cells[0]["metadata"]["nbgrader"]["grade_id"]
    nbedit.write(nb, source)     # two cells with one grade_id: nbgrader refuses the notebook
    proc = nbgrader(course, "generate_assignment", NB, "--force")
    assert "Removing failed assignment" in proc.stderr, proc.stderr[-3000:]
    assert path.read_text(encoding="utf-8") == learner
    assert (path.parent / "my_notes.md").exists() and (path.parent / ".ipynb_checkpoints").exists()
    assert "put back" in proc.stderr


def test_without_the_course_configuration_nbgrader_deletes_the_work(tmp_path):
    """The hazard, shown (so the tests above can fail): stock nbgrader with --force."""
    course = course_copy(tmp_path / "course")
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.source_directory = "solutions"\n'
        'c.CourseDirectory.release_directory = "notebooks"\n', encoding="utf-8")
    path, learner = write_learner_work(course)
    proc = nbgrader(course, "generate_assignment", NB, "--force", "--no-db")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Removing existing assignment" in proc.stderr
    assert path.read_text(encoding="utf-8") != learner
    assert not list(path.parent.glob("*.bak-*")) and not (path.parent / "my_notes.md").exists()


# --- every command the README gives works as written from the repository root -----------------

# run for real (cheap, read-only); every other command is checked without running it: a make target
# with `make -n` (make lab and make test run for real above and in the whole suite), another
# program by finding it and asking for its --help
RUN = ("make progress", "make help", ". .venv/bin/activate", "course-check progress", "course-check grade")


def readme_commands(text):
    """[(block number, command)] of the README's ```bash blocks, comments and blank lines removed."""
    import shlex
    found = []
    for n, block in enumerate(re.findall(r"```bash\n(.*?)```", text, re.S)):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words:
                found.append((n, " ".join(words)))
    return found


def plain_shell_env():
    """A shell as a learner opens one: the venv not on PATH, no variable of the test suite."""
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "AUTOGRADER_CALL_SECONDS", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and os.path.realpath(p) != os.path.realpath(VENV_BIN))
    return env


def as_checked(command):
    """The shell line that checks ``command`` (itself when it is cheap)."""
    if command.startswith("course-check grade"):
        return f"{command} || [ $? -eq 1 ]"    # 1: a part has not passed (documented), not a failure
    if command.startswith(RUN):
        return command
    words = command.split()
    if words[0] == "sudo":
        words = words[1:]
    if words[0] == "make":
        return "make -n " + " ".join(words[1:]) + " > /dev/null"
    return f"command -v {words[0]} > /dev/null && {words[0]} {words[1]} --help > /dev/null"


def test_readme_commands_work_as_written_from_the_repository_root():
    """Every command of the README's bash blocks, from the repository root in a plain shell (the
    venv not on PATH: `course-check` was "command not found" there), one shell per block, in order."""
    from conftest import ROOT
    commands = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert any(c == "make progress" for _, c in commands) and any(c.startswith("make lab") for _, c in commands)
    import shlex
    failures = []
    for block in sorted({n for n, _ in commands}):
        lines = [c for n, c in commands if n == block]
        script = "set -e\n" + "".join(f"echo {shlex.quote('>>> ' + c)}\n{as_checked(c)}\n" for c in lines)
        proc = subprocess.run(["bash", "-c", script], cwd=ROOT, env=plain_shell_env(), capture_output=True,
                              text=True, timeout=600)
        if proc.returncode != 0:
            failed = re.findall(r"^>>> (.*)$", proc.stdout, re.M)[-1]
            failures.append(f"{failed!r}: exit {proc.returncode}: {(proc.stdout + proc.stderr)[-800:]}")
    assert not failures, "\n".join(failures)


def test_readme_make_targets_exist():
    """Every `make ...` the README's text quotes (not only its code blocks) is a target of the Makefile."""
    from conftest import ROOT
    quoted = set(re.findall(r"`(make [^`]+)`", (ROOT / "README.md").read_text(encoding="utf-8")))
    assert "make instructor" in quoted and "make lock" in quoted
    bad = []
    for command in sorted(quoted):
        proc = subprocess.run(["bash", "-c", f"{command.replace('make', 'make -n', 1)} > /dev/null"], cwd=ROOT,
                              env=plain_shell_env(), capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            bad.append(f"{command}: {proc.stderr[-300:]}")
    assert not bad, bad


def test_the_readme_check_catches_a_command_that_is_not_found():
    """The check above can fail: `course-check` in a plain shell, without activating the venv."""
    from conftest import ROOT
    proc = subprocess.run(["bash", "-c", "set -e\n" + as_checked("course-check progress notebooks")], cwd=ROOT,
                          env=plain_shell_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 127 and "command not found" in proc.stderr
