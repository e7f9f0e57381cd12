"""autograder.trusted.sandbox on its own: who the learner's code runs as, and what it can reach.

Each layer is tested on its own where it can be (``wrap(..., use=...)`` leaves the others out), so a
test shows what that layer stops: the user and the permissions (``protect``), the private view
(the course covered, everything read-only, private memory folders), the pid namespace (nothing
outlives the program), the cgroup (processes), the limits.  As root every test runs; not as root
only the one that checks the warning does (there is no other user to become).  A layer this
machine does not allow is skipped with the reason ``sandbox.layers()`` gives.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import autograder.checks
import nbedit
from autograder.grading import runner
from autograder.trusted import sandbox
from conftest import ROOT, solution_path

needs_root = pytest.mark.skipif(not sandbox.available(), reason="the sandbox needs root")
PACKAGE_FILE = Path(autograder.checks.__file__)
LAYERS = sandbox.layers()
PERMISSIONS_ONLY = ("user", "limits")         # the layers of a machine without namespaces or cgroups


def _reachable_without_the_view():
    """Can a sandbox user reach this course's Python and packages through the real folders (not a
    course in a private folder, whose packages only the view shows)?"""
    if not sandbox.available():
        return True
    uid, gid = sandbox.ensure_user(0)
    for path in sandbox._site_dirs() + [sandbox.package_dir()]:
        parts = os.path.realpath(path).strip("/").split("/")
        for i in range(1, len(parts) + 1):
            if not sandbox._traversable("/" + "/".join(parts[:i]), uid, gid):
                return False
    return True


# the layers of a machine without namespaces, for a course its sandbox users can reach
without_the_view = pytest.mark.skipif(
    not _reachable_without_the_view(),
    reason="this course lives in a private folder: without the view its packages are out of the sandbox "
           "user's reach (test_without_the_view_packages_out_of_reach_are_named_with_the_fix)")


def needs(*names):
    missing = [f"{n}: {LAYERS.get(n)}" for n in names if LAYERS.get(n) is not True]
    return pytest.mark.skipif(bool(missing), reason="this machine has no " + "; ".join(missing))


def run(code, slot=0, workdir=sandbox.PRIVATE_DIR, use=None, ok=True, **kwargs):
    proc = subprocess.run(sandbox.wrap([sys.executable, "-c", code], workdir=workdir, slot=slot, use=use, **kwargs),
                          capture_output=True, text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stderr
        return proc.stdout
    return proc


def sandbox_processes(slot):
    """Pids of every process of the sandbox user of ``slot`` on this machine."""
    uid, _ = sandbox.ensure_user(slot)
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid and "\nState:\tZ" not in (entry / "status").read_text():
                    found.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                pass
    return found


def wait_until(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@needs_root
def test_the_code_runs_as_a_user_of_its_own_with_a_clean_environment(monkeypatch):
    monkeypatch.setenv("INSTRUCTOR_SECRET", "s3cret")
    monkeypatch.setenv("NBGRADER_DB_URL", "postgresql://grader:password@db/gradebook")
    out = run("import os, pwd, sys\n"
              "print(os.getuid(), os.getgid(), os.getgroups(), pwd.getpwuid(os.getuid()).pw_name, os.getcwd())\n"
              "print(sorted(os.environ))\n"
              "print(os.environ['HOME'])\n"
              "import numpy, autograder\n", slot=1).splitlines()
    first = out[0].split()
    uid, gid, name, cwd = int(first[0]), int(first[1]), first[-2], first[-1]
    assert uid != 0 and gid != 0 and " ".join(first[2:-2]) == "[]"
    assert name == "course-sandbox1"
    assert cwd == out[2], "its own scratch folder (its HOME) is its working directory"
    names = eval(out[1])
    assert "INSTRUCTOR_SECRET" not in names and "NBGRADER_DB_URL" not in names, names
    assert not any(n.startswith(("SUDO_", "SSH_")) for n in names)


@needs_root
@needs("view")
def test_the_view_shows_what_must_run_and_nothing_else_of_the_course():
    """In the view the course's folder is covered: its .git, solutions and everything else are
    not there; the package (read-only) and the Python installation are shown again; a private
    home such as /root stays closed to everyone else, yet the Python under it runs."""
    code = ("import os, json, sys\n"
            "def look(p):\n"
            "    try:\n"
            "        return sorted(os.listdir(p)) if os.path.isdir(p) else len(open(p, 'rb').read())\n"
            "    except OSError as exc:\n"
            "        return type(exc).__name__\n"
            f"root = {str(ROOT)!r}\n"
            "out = {p: look(os.path.join(root, p)) for p in ('.git', 'solutions', 'notebooks', 'nbgrader_config.py',\n"
            "                                                 'autograder/checks/reference.py')}\n"
            "out['root'] = look(root)\n"
            "try:\n"
            f"    open({str(PACKAGE_FILE)!r}, 'a')\n"
            "    out['write package'] = 'allowed'\n"
            "except OSError as exc:\n"
            "    out['write package'] = exc.strerror\n"
            "out['python'] = sys.version.split()[0]\n"
            "print(json.dumps(out))\n")
    import json
    seen = json.loads(run(code))
    for private in (".git", "solutions", "notebooks", "nbgrader_config.py"):
        assert seen[private] == "FileNotFoundError", (private, seen[private])
    assert isinstance(seen["autograder/checks/reference.py"], int), "the kernel's checks need the package"
    assert set(seen["root"]) <= {"autograder", ".venv"}, seen["root"]
    assert seen["write package"] in ("Read-only file system", "Permission denied")
    assert seen["python"] == sys.version.split()[0]
    # trusted grading's learner process: not even the package
    learner = json.loads(run(code, learner=True))
    assert learner["autograder/checks/reference.py"] == "FileNotFoundError"
    assert oct(os.stat("/root").st_mode & 0o777) == "0o700", "nothing was opened to other users"


@needs_root
@needs("view")
def test_a_course_in_a_private_folder_runs_without_opening_the_folder(monkeypatch):
    """A clone in a folder made by mktemp -d (mode 700, root's): the sandbox user reads the
    packages it must run through the view, and the folder stays 700."""
    private = Path(tempfile.mkdtemp(prefix="private-course-"))
    try:
        package = private / "course" / ".venv" / "site-packages"
        package.mkdir(parents=True)
        (package / "course_probe_module.py").write_text("VALUE = 42\n")
        os.chmod(private / "course", 0o755)
        real = sandbox._site_dirs
        monkeypatch.setattr(sandbox, "_site_dirs", lambda: real() + [str(package)])
        out = run(f"import sys; sys.path.insert(0, {str(package)!r}); import course_probe_module as m; print(m.VALUE)")
        assert out.strip() == "42"
        assert os.stat(private).st_mode & 0o777 == 0o700
    finally:
        import shutil
        shutil.rmtree(private, ignore_errors=True)


@needs_root
def test_without_the_view_packages_out_of_reach_are_named_with_the_fix(monkeypatch):
    """Without a private view (a machine that allows no mount namespace), a course in a private
    folder stops with the folder to open, not "No module named numpy" per submission."""
    private = tempfile.mkdtemp(prefix="private-course-")           # 700, owned by root
    try:
        monkeypatch.setattr(sandbox, "_site_dirs", lambda: [private])
        proc = run("print('ran')", use=PERMISSIONS_ONLY, ok=False)
        assert proc.returncode != 0 and "ran" not in proc.stdout
        assert f"cannot read the course's packages in {private}" in proc.stderr
        assert "chmod o+x" in proc.stderr
    finally:
        os.rmdir(private)


@pytest.fixture
def course():
    """A course folder other users may traverse, outside the memory folders the view replaces
    (/run), so that only the layer under test protects it."""
    base = "/run" if os.access("/run", os.W_OK) else None
    root = Path(tempfile.mkdtemp(prefix="course-sandbox-test-", dir=base))
    os.chmod(root, 0o755)
    for rel, text in {"solutions/a/a.ipynb": "solution", "gradebook.db": "grades",
                      "submitted/bob/a/a.ipynb": "bob's work", "notebooks/a/a.ipynb": "released",
                      ".git/config": "[remote]"}.items():
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
attempt("read .git", lambda: open({root!r} + "/.git/config").read())
attempt("write another submission", lambda: open({root!r} + "/submitted/bob/a/a.ipynb", "a"))
attempt("write the gradebook", lambda: open({root!r} + "/gradebook.db", "a"))
attempt("write the course package", lambda: open({package!r}, "a"))
attempt("create a file in the course", lambda: open({root!r} + "/planted.py", "w"))
attempt("read the released notebook", lambda: open({root!r} + "/notebooks/a/a.ipynb").read())
attempt("write its own scratch folder", lambda: open(os.path.join(os.environ["HOME"], "x"), "w").write("x"))
"""


@without_the_view
@needs_root
def test_permissions_alone_close_the_private_parts(course):
    """The layer of a machine without namespaces: another user, and protect()."""
    changed = sandbox.protect(str(course))
    assert {Path(p).name for p in changed} >= {"solutions", "gradebook.db", "submitted", "autograded", "feedback"}
    out = run(TRY.format(root=str(course), package=str(PACKAGE_FILE)), use=PERMISSIONS_ONLY)
    verdict = dict(line.rsplit(" ", 1) for line in out.splitlines())
    assert verdict == {
        "read solutions": "denied", "read gradebook": "denied", "read another submission": "denied",
        "read .git": "allowed",
        "write another submission": "denied", "write the gradebook": "denied",
        "write the course package": "denied", "create a file in the course": "denied",
        "read the released notebook": "allowed", "write its own scratch folder": "allowed"}, verdict


@needs_root
@needs("view")
def test_the_view_closes_the_course_without_its_permissions(course):
    """The same course, not protected (every file readable by everyone): covered in the view,
    nothing of it is there, .git included."""
    out = run(TRY.format(root=str(course), package=str(PACKAGE_FILE)), hide=[course])
    verdict = dict(line.rsplit(" ", 1) for line in out.splitlines())
    assert verdict == {
        "read solutions": "denied", "read gradebook": "denied", "read another submission": "denied",
        "read .git": "denied", "write another submission": "denied", "write the gradebook": "denied",
        "write the course package": "denied", "create a file in the course": "denied",
        "read the released notebook": "denied", "write its own scratch folder": "allowed"}, verdict


@needs_root
@needs("view")
def test_what_a_submission_writes_is_gone_after_it_and_never_seen_by_the_next():
    marker = f"left-by-test-{os.getpid()}"
    code = ("import os\n"
            f"for d in ('/tmp', '/var/tmp', '/dev/shm', '/run/lock'):\n"
            f"    if os.path.isdir(d):\n"
            f"        open(os.path.join(d, {marker!r}), 'w').write('x' * 1000)\n"
            "print(sorted(os.listdir('/tmp')))\n")
    first = run(code, slot=2)
    assert marker in first
    second = run(f"import os\nprint([d for d in ('/tmp', '/var/tmp', '/dev/shm') if {marker!r} in os.listdir(d)])",
                 slot=2)
    assert second.strip() == "[]", "the next submission sees nothing of it"
    for d in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        assert not os.path.exists(os.path.join(d, marker)), f"left in {d}"


@needs_root
@needs("view")
def test_shared_memory_is_bounded():
    """Filling /dev/shm (memory no process owns) stops at the private folder's size."""
    out = run("import os\nn = 0\ntry:\n    for i in range(200):\n"
              "        with open(f'/dev/shm/fill{i // 16}', 'ab') as fh:\n"    # files under the 64 MB file limit
              "            fh.write(b'x' * (1 << 20))\n            n += 1\n"
              "except OSError as exc:\n    print('stopped', exc.strerror)\nprint(n)\n")
    lines = out.split("\n")
    assert lines[0] == "stopped No space left on device", out
    assert int(lines[1]) <= dict(sandbox.SCRATCH_MOUNTS)["/dev/shm"] >> 20


@needs_root
@needs("pid")
def test_the_program_sees_only_its_own_processes():
    out = run("import os\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))")
    assert eval(out) == [1, 2], "the supervisor in the namespace, and the program"


@needs_root
def test_two_slots_cannot_signal_each_other():
    sleeper = subprocess.Popen(sandbox.wrap([sys.executable, "-c", "import time; time.sleep(60)"], slot=0))
    try:
        time.sleep(0.5)
        out = run(f"import os\ntry:\n    os.kill({sleeper.pid}, 0)\n    print('reached')\n"
                  f"except (PermissionError, ProcessLookupError):\n    print('denied')\n", slot=1)
        assert out.strip() == "denied"
    finally:
        sleeper.kill()
        sleeper.wait()


DAEMON = ("import os, sys, time\npid = os.fork()\nif pid == 0:\n    os.setsid()\n"
          "    null = os.open(os.devnull, os.O_RDWR)\n    [os.dup2(null, fd) for fd in (0, 1, 2)]\n"
          "    time.sleep(120)\n    os._exit(0)\nprint(pid, flush=True)\n")


@needs_root
@needs("pid")
def test_nothing_outlives_the_program():
    """A daemon (its own session, out of the program's process group) started by a submission
    dies with the program: the pid namespace ends with it."""
    sandbox.kill_all(1, leased=True, processes=True)     # what another test may have left
    run(DAEMON, slot=1)
    assert wait_until(lambda: not sandbox_processes(1), 5), sandbox_processes(1)


@without_the_view
@needs_root
def test_kill_all_ends_what_a_submission_left_behind():
    """Without the pid layer, the lease holder's kill_all ends what a submission left running."""
    run(DAEMON, slot=1, use=PERMISSIONS_ONLY)
    assert sandbox_processes(1), "the daemon outlived its program (no pid namespace)"
    sandbox.kill_all(1, leased=True, processes=True)
    assert wait_until(lambda: not sandbox_processes(1), 5)


@needs_root
def test_a_supervisor_whose_caller_dies_ends_the_program():
    """A class run killed mid-way: the programs its workers started do not go on running."""
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys, time\n"
                               f"subprocess.Popen({sandbox.wrap([sys.executable, '-c', 'import time; time.sleep(60)'], slot=3)!r})\n"
                               "time.sleep(60)\n"])
    try:
        assert wait_until(lambda: sandbox_processes(3), 10), "the program started"
        parent.kill()
        parent.wait()
        assert wait_until(lambda: not sandbox_processes(3), 10), sandbox_processes(3)
    finally:
        if parent.poll() is None:
            parent.kill()


@needs_root
@needs("cgroup")
def test_a_fork_bomb_stops_at_the_process_limit():
    code = ("import os, time\nkids = []\ntry:\n    for _ in range(2000):\n        pid = os.fork()\n"
            "        if pid == 0:\n            time.sleep(30)\n            os._exit(0)\n        kids.append(pid)\n"
            "except OSError as exc:\n    print('stopped', len(kids))\n")
    t0 = time.monotonic()
    out = run(code, slot=2)
    assert out.startswith("stopped"), out
    assert int(out.split()[1]) < sandbox.PIDS_LIMIT
    assert time.monotonic() - t0 < 60
    assert wait_until(lambda: not sandbox_processes(2), 10), "and none of them is left"


@needs_root
@needs("cgroup")
def test_a_memory_bomb_is_killed_alone(monkeypatch):
    """A program over its memory limit (here 256 MB) is killed by the kernel's OOM killer inside
    its cgroup; the caller sees it killed (-9), as trusted grading reports it."""
    monkeypatch.setenv("AUTOGRADER_SANDBOX_MEMORY_MB", "256")
    proc = run("import numpy as np\na = np.ones((512 << 20) // 8)\nprint('allocated')\n", slot=2, ok=False)
    assert proc.returncode == -signal.SIGKILL and "allocated" not in proc.stdout, (proc.returncode, proc.stderr)


@needs_root
def test_leases_give_two_runs_different_slots():
    first = sandbox.lease(2, first=40)
    try:
        second = sandbox.lease(2, first=40)
        try:
            assert not {s for s, _ in first} & {s for s, _ in second}
        finally:
            sandbox.release(second)
    finally:
        sandbox.release(first)


@without_the_view
@needs_root
def test_a_planted_scratch_folder_is_not_followed(tmp_path):
    """Without the view the scratch folder is in the real /tmp, where a sandbox user could plant
    a link in its place."""
    target = tmp_path / "elsewhere"
    target.mkdir()
    scratch = Path(sandbox.SCRATCH)
    saved = None
    if scratch.exists() or scratch.is_symlink():
        saved = scratch.with_name(f"{scratch.name}.saved-by-test-{os.getpid()}")   # unique: a crashed run's is left
        scratch.rename(saved)
    try:
        scratch.symlink_to(target)
        run("print('ok')", use=PERMISSIONS_ONLY)
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
    assert any(e["key"] in ("PermissionError", "OSError") for e in result["errors"]), result["errors"]
    assert not probe.exists()


def test_not_root_is_said_clearly(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert not sandbox.available()
    assert "not running as root" in sandbox.why_not() and "can write wherever you can" in sandbox.why_not()


def test_the_layers_are_reported():
    found = sandbox.layers()
    assert set(found) == {"user", "view", "pid", "ipc", "net", "cgroup", "limits"}
    line = sandbox.describe_layers(found)
    assert line.startswith("layers: ") and all(k in line for k in found)


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
