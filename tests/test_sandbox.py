"""autograder.sandbox on its own: who the learner's code runs as, and what it can reach.

As root every test runs; not as root only the one that checks the warning does (there is no other
user to become; `course-check class` says so).
"""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import autograder.checks
import nbedit
from autograder import runner, sandbox
from conftest import solution_path

needs_root = pytest.mark.skipif(not sandbox.available(), reason="the sandbox needs root")
PACKAGE_FILE = Path(autograder.checks.__file__)


def run(code, slot=0, workdir=sandbox.PRIVATE_DIR):
    proc = subprocess.run(sandbox.wrap([sys.executable, "-c", code], workdir=workdir, slot=slot),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@needs_root
def test_packages_the_sandbox_user_cannot_read_are_named_with_the_fix(monkeypatch):
    """A course cloned into a private folder (mktemp -d makes it 700): the sandbox says which
    folder to open, instead of every submission failing with "No module named 'numpy'"."""
    private = tempfile.mkdtemp(prefix="private-course-")           # 700, owned by root
    try:
        monkeypatch.setattr(sandbox, "_site_dirs", lambda: [private])
        proc = subprocess.run(sandbox.wrap([sys.executable, "-c", "print('ran')"], workdir=sandbox.PRIVATE_DIR),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode != 0 and "ran" not in proc.stdout
        assert f"cannot read the course's packages in {private}" in proc.stderr
        assert "chmod o+x" in proc.stderr
    finally:
        os.rmdir(private)


@needs_root
def test_the_code_runs_as_a_user_of_its_own():
    out = run("import os, pwd, sys\n"
              "print(os.getuid(), os.getgid(), os.getgroups(), pwd.getpwuid(os.getuid()).pw_name, os.getcwd())\n"
              "import numpy, autograder\n", slot=1).split()
    uid, gid, name, cwd = int(out[0]), int(out[1]), out[-2], out[-1]
    assert uid != 0 and gid != 0 and " ".join(out[2:-2]) == "[]"
    assert name == "course-sandbox1"
    assert cwd.startswith(sandbox.SCRATCH), "the private scratch folder is its working directory"


@pytest.fixture
def course():
    """A course folder other users may traverse, so that only the permissions protect it."""
    root = Path(tempfile.mkdtemp(prefix="course-sandbox-test-", dir="/tmp"))
    os.chmod(root, 0o755)
    for rel, text in {"solutions/a/a.ipynb": "solution", "gradebook.db": "grades",
                      "submitted/bob/a/a.ipynb": "bob's work", "notebooks/a/a.ipynb": "released"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for folder in root.rglob("*"):
        os.chmod(folder, 0o755 if folder.is_dir() else 0o644)
    yield root
    import shutil
    shutil.rmtree(root, ignore_errors=True)


TRY = """
import os, sys
def attempt(label, fn):
    try:
        fn()
        print(label, "allowed")
    except OSError as exc:
        print(label, "denied")
attempt("read solutions", lambda: open({root!r} + "/solutions/a/a.ipynb").read())
attempt("read gradebook", lambda: open({root!r} + "/gradebook.db").read())
attempt("read another submission", lambda: open({root!r} + "/submitted/bob/a/a.ipynb").read())
attempt("write another submission", lambda: open({root!r} + "/submitted/bob/a/a.ipynb", "a"))
attempt("write the gradebook", lambda: open({root!r} + "/gradebook.db", "a"))
attempt("write the course package", lambda: open({package!r}, "a"))
attempt("create a file in the course", lambda: open({root!r} + "/planted.py", "w"))
attempt("read the released notebook", lambda: open({root!r} + "/notebooks/a/a.ipynb").read())
attempt("write its own scratch folder", lambda: open(os.path.join(os.environ["HOME"], "x"), "w").write("x"))
"""


@needs_root
def test_it_can_write_nothing_but_its_scratch_folder_and_read_no_secret(course):
    changed = sandbox.protect(str(course))
    assert {Path(p).name for p in changed} >= {"solutions", "gradebook.db", "submitted", "autograded", "feedback"}
    out = run(TRY.format(root=str(course), package=str(PACKAGE_FILE)))
    verdict = dict(line.rsplit(" ", 1) for line in out.splitlines())
    assert verdict == {
        "read solutions": "denied", "read gradebook": "denied", "read another submission": "denied",
        "write another submission": "denied", "write the gradebook": "denied",
        "write the course package": "denied", "create a file in the course": "denied",
        "read the released notebook": "allowed", "write its own scratch folder": "allowed"}


@needs_root
def test_without_protect_the_course_is_still_read_only(course):
    out = run(TRY.format(root=str(course), package=str(PACKAGE_FILE)))
    verdict = dict(line.rsplit(" ", 1) for line in out.splitlines())
    assert verdict["write another submission"] == verdict["write the gradebook"] == "denied"
    assert verdict["read solutions"] == "allowed", "reading is what protect() closes"


@needs_root
def test_two_slots_cannot_signal_each_other():
    sleeper = subprocess.Popen(sandbox.wrap([sys.executable, "-c", "import time; time.sleep(60)"], slot=0))
    try:
        time.sleep(0.5)
        out = run(f"import os\ntry:\n    os.kill({sleeper.pid}, 0)\n    print('reached')\n"
                  f"except PermissionError:\n    print('denied')\n", slot=1)
        assert out.strip() == "denied"
    finally:
        sleeper.kill()
        sleeper.wait()


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in state


@needs_root
def test_kill_all_ends_what_a_submission_left_behind():
    code = ("import os, sys, time\npid = os.fork()\nif pid == 0:\n    os.setsid()\n"
            "    null = os.open(os.devnull, os.O_RDWR)\n    [os.dup2(null, fd) for fd in (0, 1, 2)]\n"
            "    time.sleep(120)\n    os._exit(0)\nprint(pid, flush=True)\n")
    daemon = int(run(code, slot=1).strip())
    assert _alive(daemon)
    sandbox.kill_all(1)
    for _ in range(50):
        if not _alive(daemon):
            break
        time.sleep(0.1)
    assert not _alive(daemon)


@needs_root
def test_a_planted_scratch_folder_is_not_followed(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    scratch = Path(sandbox.SCRATCH)
    saved = None
    if scratch.exists() or scratch.is_symlink():
        saved = scratch.with_name(f"{scratch.name}.saved-by-test-{os.getpid()}")   # unique: a crashed run's is left
        scratch.rename(saved)
    try:
        scratch.symlink_to(target)
        run("print('ok')")
        assert scratch.is_dir() and not scratch.is_symlink()
        assert list(target.iterdir()) == [], "nothing was written through the planted link"
    finally:
        for planted in scratch.parent.glob(scratch.name + ".planted-*"):
            planted.unlink()
        if saved is not None:
            import shutil
            shutil.rmtree(scratch, ignore_errors=True)
            saved.rename(scratch)


@needs_root
def test_the_kernel_free_grader_runs_in_the_sandbox(tmp_path):
    nb = nbedit.read(solution_path("00_finite_differences"))
    probe = tmp_path / "probe"
    nbedit.set_source(nb, "cauchy_loss_grad", nbedit.source(nb, "cauchy_loss_grad")
                      + f"\nopen({str(PACKAGE_FILE)!r}, 'a')\n")
    path = tmp_path / "00_finite_differences" / "00_finite_differences.ipynb"
    nbedit.write(nb, path)
    (result,) = runner.grade_many([(path, solution_path("00_finite_differences"))], seconds=10,
                                  wrap=lambda argv: sandbox.wrap(argv, workdir=sandbox.PRIVATE_DIR, slot=0))
    assert any(e["key"] == "PermissionError" for e in result["errors"]), result["errors"]
    assert not probe.exists()


def test_not_root_is_said_clearly(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert not sandbox.available()
    assert "not running as root" in sandbox.why_not() and "can write wherever you can" in sandbox.why_not()


@needs_root
def test_what_grading_wrote_goes_back_to_the_instructor(course):
    uid, gid = sandbox.ensure_user(3)        # stands for the instructor who ran sudo
    os.chown(course, uid, gid)
    (course / "autograded" / "alice").mkdir(parents=True)
    (course / "autograded" / "alice" / "a.ipynb").write_text("graded")
    (course / "grades.csv").write_text("csv")
    changed = sandbox.give_back(str(course))
    assert {Path(p).name for p in changed} >= {"autograded", "alice", "a.ipynb", "grades.csv", "gradebook.db"}
    assert os.stat(course / "autograded" / "alice" / "a.ipynb").st_uid == uid
    assert os.stat(course / "notebooks" / "a" / "a.ipynb").st_uid == 0, "only grading's files"
