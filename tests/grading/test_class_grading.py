"""`course-check class` through real nbgrader: a hostile class, the sandbox's three attacks, the
summary and the class mistake report, and a proof that parallel grading loses nothing.

One class is graded once (module fixture, about two minutes on two cores): every case of
``tests/grading/test_hostile.py``, four more planted mistakes for the mistake report, and submissions
that attack the course.  As root the kernels run as sandbox users; not as root the attack tests
are skipped (and the command warns that it cannot protect the course).

``docs/hostile.md`` is this test's table: ``UPDATE_DOCS=1 pytest tests/grading/test_class_grading.py``
rewrites it, and the test fails when it is out of date.
"""
import csv
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import nbedit
from conftest import ROOT, nbgrader_env
from test_hostile import BY_NAME, CASES, FULL, NB, POINTS, answer, blank, cell_after, insert_after, solved

import autograder.checks
from autograder.trusted import sandbox

SANDBOXED = sandbox.available()
PACKAGE_FILE = Path(autograder.checks.__file__)
TIMEOUT = 10
DOC = ROOT / "docs" / "hostile.md"


def attack(course):
    """Submissions that attack the course (blank answers: 0 points unless an attack works)."""
    victim = course / "submitted" / "correct" / NB / f"{NB}.ipynb"
    blank_text = json.dumps(blank())
    return {
        "attack_other_submission": (
            "overwrite another student's submitted notebook with a blank one",
            f"open({str(victim)!r}, 'w').write({blank_text!r})\n"),
        "attack_course_package": (
            "append a pass-everything hook to the course's autograder/checks/__init__.py",
            "import autograder.checks as c\n"
            "open(c.__file__, 'a').write('\\nimport builtins; builtins.ATTACKED = True\\n')\n"),
        "attack_gradebook": (
            "overwrite gradebook.db",
            f"open({str(course / 'gradebook.db')!r}, 'wb').write(b'gone')\n"),
        "attack_read_solutions": (
            "read solutions/ and run the instructor's answers",
            "import json\n"
            f"for c in json.load(open({str(course / 'solutions' / NB / (NB + '.ipynb'))!r}))['cells']:\n"
            "    if c['metadata'].get('nbgrader', {}).get('solution'):\n"
            "        exec(''.join(c['source']))\n"),
    }


PLANTED = {  # more of the same mistakes, for the class mistake report
    "planted_2": "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x)) / h\n",
    "planted_3": "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x)) / h\n",
    "planted_4": "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x - h)) / h\n",
}


# blank answers, and the names the test cells use rebound to objects that accept any call: this
# fools nbgrader's kernel (8 of 8 there), and trusted grading, the grade of record, gives it 0
CHEAT = """
import types
class _Pass:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None
check = _Pass()
autograder = types.SimpleNamespace(checks=types.SimpleNamespace(fresh=lambda name: _Pass()))
"""


class Link:
    """A submission that is a symbolic link (to ``target``, a path in the course)."""

    def __init__(self, target):
        self.target = target


LEAVE = """
import os, sys
def {name}({args}):
    if "ipykernel" not in sys.modules:   # trusted grading's learner process, not nbgrader's kernel
        os._exit(3)
"""
SIGNATURES = {"central_difference": "f, x, h=1e-5", "convergence_order": "estimate, f, df, x, h",
              "numerical_gradient": "f, x, h=1e-5",
              "relative_error": "a, b, floor=1e-3", "cauchy_loss_grad": "x"}


def exits_unless_kernel():
    """The rebind cheat, and every answer ends the process unless it is nbgrader's kernel."""
    nb = insert_after(blank(), "setup", CHEAT)
    for name, args in SIGNATURES.items():
        answer(nb, name, LEAVE.format(name=name, args=args))
    return nb

GIT_SHOW = f"""
import json, subprocess
try:
    text = subprocess.run(["git", "-C", {str(ROOT)!r}, "show", "HEAD:solutions/{NB}/{NB}.ipynb"],
                          capture_output=True, text=True, timeout=30).stdout
    for c in json.loads(text)["cells"]:
        if c["metadata"].get("nbgrader", {{}}).get("solution"):
            exec("".join(c["source"]))
except Exception as exc:
    print("git show failed:", type(exc).__name__)
"""

AUTODIFF = """
from autograd import grad
import autograd.numpy as anp
cauchy_loss_grad = grad(lambda x: anp.sum(anp.log(1 + x ** 2)))
"""


def _padded(nb, size=52 << 20):
    nb["cells"][0]["metadata"]["padding"] = "x" * size     # not shown anywhere, but 52 MB on disk
    return nb


def _beside(nb, links):
    return nb, links


# issue 19's attacks on trusted grading and the sandbox: name -> (what, make(course), expected)
# expected: score (grade of record), in_kernel (nbgrader's own run, None: not graded there),
# status ("graded" or a piece of the "not graded: " reason), keys {grade_id: key} or "*": key for all
INTEGRITY = {
    "exits_only_in_trusted": (
        "the rebind cheat, and answers that end trusted grading's learner process (not the kernel)",
        lambda course: exits_unless_kernel(),
        dict(score=0, in_kernel=FULL, status="the learner's process ended with exit code 3")),
    "huge_cheat": (
        "the rebind cheat in a 52 MB notebook (over trusted grading's limit of 50 MB)",
        lambda course: _padded(insert_after(blank(), "setup", CHEAT)),
        dict(score=0, in_kernel=FULL, status="more than the limit")),
    "unparseable_cheat": (
        "the rebind cheat and a cell of 20,000 terms (`1 + 1 + ... + 1`) Python's parser cannot take",
        lambda course: insert_after(insert_after(blank(), "setup", CHEAT), "setup",
                                    "x = " + " + ".join(["1"] * 20000) + "\n", cell_id="long"),
        dict(score=0, in_kernel=FULL, status="graded", keys={"*": "tampering"})),
    "symlink_to_solutions": (
        "the submitted notebook is a symbolic link to the solution notebook",
        lambda course: Link(course / "solutions" / NB / f"{NB}.ipynb"),
        dict(score=0, in_kernel=None, status="is a symbolic link")),
    "symlinks_beside": (
        "a correct notebook with links next to it: to the solutions, the gradebook, another student's notebook",
        lambda course: _beside(solved(), {"peek.ipynb": course / "solutions" / NB / f"{NB}.ipynb",
                                          "grades.db": course / "gradebook.db",
                                          "other.ipynb": course / "submitted" / "correct" / NB / f"{NB}.ipynb"}),
        dict(score=0, in_kernel=None, status="is a symbolic link")),
    "instructor_source": (
        "the instructor's source notebook (hidden tests and all) submitted as a file",
        lambda course: nbedit.read(ROOT / "solutions" / NB / f"{NB}.ipynb"),
        dict(score=0, in_kernel=None, status="the instructor's source notebook")),
    "git_show": (
        "`git show HEAD:solutions/...` run from an answer cell (in the course's own repository)",
        lambda course: insert_after(blank(), "setup", GIT_SHOW),
        dict(score=0, in_kernel=0, status="graded")),
    "redefined_after_test": (
        "correct, then a last cell that redefines central_difference wrongly (after its test cell ran)",
        lambda course: insert_after(solved(), "test_cauchy_loss_grad",
                                    "def central_difference(f, x, h=1e-5):\n    return 0.0\n"),
        dict(score=FULL, in_kernel=FULL, status="graded")),
    "autodiff_import": (
        "cauchy_loss_grad written with HIPS autograd (`grad(...)`)",
        lambda course: answer(solved(), "cauchy_loss_grad", AUTODIFF),
        dict(score=FULL - POINTS["test_cauchy_loss_grad"], in_kernel=FULL - POINTS["test_cauchy_loss_grad"],
             status="graded", keys={"test_cauchy_loss_grad": "uses_autodiff"})),
}


# the class command's grade of record is trusted grading's, which names a function that was never
# defined "not_defined" where the kernel-free grader of tests/grading/test_hostile.py gives the exception
TRUSTED_KEYS = {"NameError": "not_defined", "cell_did_not_run": "not_defined"}


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def custom_rows(submission, source, *, seconds=60.0, wrap=None):
    """A stand-in for another per-notebook grader (``--grader``): the kernel-free rows, re-keyed."""
    from autograder.grading import runner
    rows = runner.grade(submission, source, seconds=seconds, wrap=wrap)
    return [dict(row, key=f"custom_{row['key']}" if row["key"] else "") for row in rows]


def run_class(course, *args):
    env = nbgrader_env()
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tests" / "grading"), str(ROOT / "tests"), env.get("PYTHONPATH", "")])
    # run from the class's folder: `python -m` puts the working folder first on sys.path, and from the
    # repository root `import conftest` (in the --grader module) would find the root conftest.py
    return subprocess.run([sys.executable, "-m", "autograder", "class", NB, "--course", str(course),
                           "--timeout", str(TIMEOUT), *args], env=env, capture_output=True, text=True,
                          timeout=1800, cwd=course)


def make_course(students):
    """A course folder other users can traverse (so that only the sandbox stops an attack)."""
    course = Path(tempfile.mkdtemp(prefix="course-class-", dir="/tmp"))
    os.chmod(course, 0o755)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for a in (NB, "01_chain_rule"):
        shutil.copytree(ROOT / "solutions" / a, course / "solutions" / a)
    for student, make in students.items():
        path = course / "submitted" / student / NB / f"{NB}.ipynb"
        content = make(course)
        path.parent.mkdir(parents=True, exist_ok=True)
        links = {}
        if isinstance(content, tuple):
            content, links = content
        if isinstance(content, Link):
            path.symlink_to(content.target)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            nbedit.write(content, path)
        for name, target in links.items():
            (path.parent / name).symlink_to(target)
    return course


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def graded():
    students = {case.name: (lambda course, case=case: case.make()) for case in CASES}
    students.update({name: (lambda course, src=src: nbedit.set_source(solved(), "central_difference", src))
                     for name, src in PLANTED.items()})
    students["dies_only_under_nbgrader"] = lambda course: insert_after(
        solved(), "relative_error", "import os, sys\nif 'ipykernel' in sys.modules:\n    os._exit(1)\n")
    students["cheat_rebinds_checks"] = lambda course: insert_after(blank(), "setup", CHEAT)
    students.update({name: make for name, (_, make, _) in INTEGRITY.items()})
    for name in attack(Path("/nonexistent")) if SANDBOXED else ():  # not root: the attacks would work
        students[name] = (lambda course, name=name: insert_after(blank(), "setup", attack(course)[name][1]))
    package_before = PACKAGE_FILE.read_bytes()
    course = make_course(students)
    try:
        victim_before = _digest(course / "submitted" / "correct" / NB / f"{NB}.ipynb")
        proc = run_class(course, "--jobs", "2", "--feedback")
        package_after = PACKAGE_FILE.read_bytes()
        if package_after != package_before:  # never leave the course's package changed
            PACKAGE_FILE.write_bytes(package_before)
        report = course / "class_report"
        result = {
            "course": course, "proc": proc, "package_changed": package_after != package_before,
            "victim_changed": _digest(course / "submitted" / "correct" / NB / f"{NB}.ipynb") != victim_before,
            "students": {r["student"]: r for r in read_csv(report / "students.csv")},
            "grades": {r["student_id"]: r for r in read_csv(course / "grades.csv") if r["assignment"] == NB},
            "mistakes": read_csv(report / "mistakes.csv"),
            "exercises": read_csv(report / "exercises.csv"),
            "run": json.loads((report / "run.json").read_text(encoding="utf-8")),
        }
        yield result
    finally:
        shutil.rmtree(course, ignore_errors=True)


def test_the_run_finishes_and_says_so(graded):
    proc = graded["proc"]
    assert proc.returncode == 1, "some submissions cannot be graded: exit 1\n" + proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Class report:" in proc.stdout and "gradebook check: nothing lost" in proc.stdout
    assert graded["run"]["lost"] == 0
    assert len(graded["students"]) == len(CASES) + len(PLANTED) + 2 + len(INTEGRITY) + (
        len(attack(Path("/x"))) if SANDBOXED else 0)
    n = len(graded["students"])
    assert f"[{n}/{n}]" in proc.stdout and f"correct {NB}: {FULL:g} / {FULL:g}" in proc.stdout, "progress lines"


@pytest.mark.parametrize("name", list(BY_NAME))
def test_each_case_through_nbgrader(graded, name):
    case, row = BY_NAME[name], graded["students"][name]
    grade = graded["grades"][name]
    assert float(grade["raw_score"]) == case.score, (row["status"], grade)
    assert float(row["score"]) == case.score
    assert float(row["max_score"]) == FULL, "the maximum never changes"
    if case.status == "graded":
        assert row["status"] == "graded", row["status"]
    else:
        assert row["status"].startswith("not graded: ") and case.status in row["status"], row["status"]
        if case.recovered is not None:
            assert float(row["recovered_kernel_free"]) == case.recovered
    failed = dict(part.split("=") for part in row["failed_parts"].split("; ") if part)
    for grade_id, key in case.keys.items():
        assert failed.get(grade_id) == TRUSTED_KEYS.get(key, key), row["failed_parts"]
    notes = row["changes_to_notebook"]
    if "timeout" in case.keys.values():   # graded again alone, where it timed out again
        assert "ran out of time both times (the learner's code)" in notes, notes
        notes = " | ".join(n for n in notes.split(" | ") if not n.startswith("graded again alone"))
    if case.note:
        assert case.note in notes, notes
    elif case.status == "graded":
        assert notes == "", "honest notebooks get no note"


@pytest.mark.parametrize("name", list(INTEGRITY))
def test_each_integrity_attack_through_the_class_command(graded, name):
    """Issue 19's attacks: a cheat that also makes trusted grading fail records 0, not the
    kernel's score; links are refused; nothing of the course is read; test cells are graded in
    the notebook's order; a library that differentiates earns nothing."""
    _, _, want = INTEGRITY[name]
    row, grade = graded["students"][name], graded["grades"][name]
    assert float(grade["raw_score"]) == want["score"], (row["status"], row["not_graded_parts"], grade)
    assert float(row["score"]) == want["score"]
    if want["status"] == "graded":
        assert row["status"] == "graded", row["status"]
    else:
        assert want["status"] in row["status"] or want["status"] in row["not_graded_parts"], (
            row["status"], row["not_graded_parts"])
    if want["in_kernel"] is not None and row["in_kernel_score"]:
        assert float(row["in_kernel_score"]) == want["in_kernel"], row
    failed = dict(part.split("=") for part in row["failed_parts"].split("; ") if part)
    for grade_id, key in want.get("keys", {}).items():
        if grade_id == "*":
            assert failed and set(failed.values()) == {key}, row["failed_parts"]
        else:
            assert failed.get(grade_id) == key, row["failed_parts"]


def test_a_part_trusted_grading_could_not_grade_is_listed_with_its_reason(graded):
    """The summary and students.csv say which parts were not graded and why (0 recorded)."""
    out = graded["proc"].stdout
    assert "Not graded (nbgrader recorded 0" in out
    assert "exits_only_in_trusted 00_finite_differences: the learner's process ended with exit code 3" in out
    assert "huge_cheat 00_finite_differences: the notebook is" in out
    row = graded["students"]["exits_only_in_trusted"]
    assert row["not_graded_parts"].count("the learner's process ended") == len(POINTS)
    feedback = (graded["course"] / "feedback" / "exits_only_in_trusted" / NB / f"{NB}.html").read_text()
    assert "not graded" in feedback


def test_no_checksum_false_alarms_and_real_edits_logged(graded):
    logs = "".join(p.read_text(encoding="utf-8", errors="replace")
                   for p in (graded["course"] / "class_report" / "logs").rglob("*.log"))
    assert "checksum" not in logs, "stock nbgrader warns about every test cell with hidden tests"
    assert "submission changed: test cell test_relative_error: points 100 (should be 2); restored" in logs
    honest = (graded["course"] / "class_report" / "logs" / "correct" / f"{NB}.log").read_text(encoding="utf-8")
    assert "WARNING" not in honest.replace("Kernel is running over TCP", ""), honest


def test_feedback_for_every_submission(graded):
    feedback = graded["course"] / "feedback"
    for name, row in graded["students"].items():
        page = feedback / name / NB / f"{NB}.html"
        assert page.exists(), name
        text = page.read_text(encoding="utf-8")
        assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text
        if row["status"] != "graded":
            assert "not graded" in text and "nbgrader recorded 0 points" in text, name


def test_mistake_report(graded):
    rows = [(r["exercise"], r["mistake"], int(r["count"]), int(r["submissions"]), r["sentence"])
            for r in graded["mistakes"]]
    forward = next(r for r in rows if r[:2] == ("test_central_difference", "forward_difference"))
    assert forward[2:4] == (3, len(graded["students"])), "planted_mistake, planted_2, planted_3"
    assert "this is the forward difference (f(x+h) - f(x)) / h" in forward[4]
    assert ("test_central_difference", "divided_by_h") in [r[:2] for r in rows]
    assert ("test_numerical_gradient", "timeout") in [r[:2] for r in rows]
    out = graded["proc"].stdout
    assert "Class mistake report" in out
    assert f"central_difference: 3 of {len(graded['students'])} - central_difference" in out
    png = graded["course"] / "class_report" / "mistakes.png"
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_exercise_statistics(graded):
    by = {r["exercise"]: r for r in graded["exercises"]}
    assert set(by) == set(POINTS)
    not_graded = sum(1 for r in graded["students"].values() if r["status"] != "graded")
    for r in by.values():
        assert int(r["graded"]) + int(r["not_graded"]) == len(graded["students"])
        assert int(r["not_graded"]) == not_graded
        assert int(r["full_marks"]) + int(r["not_full"]) == int(r["graded"])


# --- the sandbox: no student harms another -----------------------------------------------------

needs_root = pytest.mark.skipif(not SANDBOXED, reason="the sandbox needs root (sandbox.why_not() says why)")


@needs_root
def test_a_submission_cannot_rewrite_another_students_file(graded):
    assert not graded["victim_changed"]
    assert float(graded["grades"]["correct"]["raw_score"]) == FULL
    assert float(graded["grades"]["attack_other_submission"]["raw_score"]) == 0.0


@needs_root
def test_a_submission_cannot_change_the_course_package(graded):
    assert not graded["package_changed"], "autograder/checks/__init__.py was changed (and restored)"
    assert float(graded["grades"]["attack_course_package"]["raw_score"]) == 0.0


@needs_root
def test_a_submission_cannot_write_the_gradebook(graded):
    db = graded["course"] / "gradebook.db"
    with sqlite3.connect(db) as con:
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
        n = con.execute("select count(*) from submitted_assignment").fetchone()[0]
        students = con.execute("select count(*) from student").fetchone()[0]
    # refused before nbgrader read anything: the links, the instructor's own notebook
    refused = [name for name in INTEGRITY if "symlink" in name or name == "instructor_source"]
    assert n == len(graded["students"]) - len(refused)
    assert students == len(graded["students"]), "every student is in the gradebook (and grades.csv)"
    assert float(graded["grades"]["attack_gradebook"]["raw_score"]) == 0.0


@needs_root
def test_a_submission_cannot_read_the_solutions(graded):
    assert float(graded["grades"]["attack_read_solutions"]["raw_score"]) == 0.0
    assert graded["students"]["attack_read_solutions"]["status"] == "graded"


@needs_root
def test_the_course_is_protected(graded):
    course = graded["course"]
    for name in ("solutions", "gradebook.db", "submitted", "autograded", "feedback"):
        assert os.stat(course / name).st_mode & 0o007 == 0, name
    assert "sandbox: removed other users' access to" in graded["proc"].stdout


# --- parallel grading loses nothing ------------------------------------------------------------

def _gradebook_scores(course):
    with sqlite3.connect(course / "gradebook.db") as con:
        rows = con.execute(
            "select s.student_id, c.name, g.auto_score from grade g "
            "join submitted_notebook n on g.notebook_id = n.id "
            "join submitted_assignment s on n.assignment_id = s.id "
            "join base_cell c on g.cell_id = c.id").fetchall()
    return sorted(rows)


def test_parallel_and_sequential_grading_give_the_same_gradebook(graded):
    """The same submissions graded with 2 workers (the fixture) and with 1 worker: every grade of
    every cell is the same, and nothing is missing.  (This run takes its rows from another grader,
    `--grader`; the fixture's come from trusted grading, the default.)"""
    subset = ["correct", "blank", "partial", "planted_mistake", "returns_nan", "points_edited",
              "duplicated_test_cell", "schema_edited", "not_json", "os_exit"]
    course = make_course({name: (lambda course, name=name: BY_NAME[name].make()) for name in subset})
    try:
        proc = run_class(course, "--jobs", "1", "--quiet", "--grader", "test_class_grading:custom_rows")
        assert proc.returncode == 1, proc.stderr[-2000:]
        rows = {r["student"]: r for r in read_csv(course / "class_report" / "students.csv")}
        assert rows["planted_mistake"]["failed_parts"] == "test_central_difference=custom_forward_difference"
        at = cell_after(solved(), "relative_error")
        assert rows["os_exit"]["status"].startswith(f"not graded: cell {at} stopped Python")
        parallel = [r for r in _gradebook_scores(graded["course"]) if r[0] in subset]
        sequential = _gradebook_scores(course)
        assert sequential == parallel
        assert len(sequential) == len(POINTS) * len(subset), "every cell of every submission"
    finally:
        shutil.rmtree(course, ignore_errors=True)


# --- the published table ------------------------------------------------------------------------

def _reason(row):
    if row["status"] != "graded":
        return row["status"][len("not graded: "):]
    parts = [f"{k}: `{v}`" for k, v in (p.split("=") for p in row["failed_parts"].split("; ") if p)]
    if row["changes_to_notebook"]:
        parts.append(row["changes_to_notebook"].split(" | ")[0])
    return "; ".join(parts)


def table(graded):
    lines = ["| case | submission | expected | nbgrader | course-check | reason given |",
             "|---|---|---|---|---|---|"]
    for case in CASES:
        row, grade = graded["students"][case.name], graded["grades"][case.name]
        expected = f"{case.score:g}" if case.status == "graded" else f"not graded ({case.score:g}), rest {case.recovered:g}" \
            if case.recovered is not None else f"not graded ({case.score:g})"
        got = f"{float(grade['raw_score']):g}"
        ours = f"{float(row['score']):g}" if row["status"] == "graded" else (
            f"not graded, rest {float(row['recovered_kernel_free']):g}" if row["recovered_kernel_free"] else "not graded")
        reason = _reason(row).replace("|", "\\|")
        lines.append(f"| `{case.name}` | {case.what} | {expected} | {got} | {ours} | {reason} |")
    row, grade = graded["students"]["cheat_rebinds_checks"], graded["grades"]["cheat_rebinds_checks"]
    lines.append(f"| `cheat_rebinds_checks` | blank answers, `check` and `autograder` rebound to objects that "
                 f"accept any call | 0 | {float(grade['raw_score']):g} (in the kernel: "
                 f"{float(row['in_kernel_score']):g}) | {float(row['score']):g} | {_reason(row).replace('|', chr(92) + '|')} |")
    for name, (what, _) in attack(Path("/x")).items():
        row, grade = graded["students"][name], graded["grades"][name]
        lines.append(f"| `{name}` | {what} | 0, nothing changed | {float(grade['raw_score']):g} | "
                     f"{float(row['score']):g} | the attack fails: the course is not in the sandbox's view, "
                     f"and closed to its user |")
    for name, (what, _, want) in INTEGRITY.items():
        row, grade = graded["students"][name], graded["grades"][name]
        kernel = f" (in the kernel: {float(row['in_kernel_score']):g})" if row["in_kernel_score"] else ""
        expected = f"{want['score']:g}" if want["status"] == "graded" else f"not graded ({want['score']:g})"
        ours = f"{float(row['score']):g}" if row["status"] == "graded" else "not graded"
        reason = (_reason(row) or "").replace(str(graded["course"]), "<course>").replace("|", "\\|")
        lines.append(f"| `{name}` | {what.replace('|', chr(92) + '|')} | {expected} | {float(grade['raw_score']):g}{kernel} | "
                     f"{ours} | {reason[:400]} |")
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- BEGIN TABLE (tests/grading/test_class_grading.py) -->", "<!-- END TABLE -->"


@needs_root
def test_docs_table_is_current(graded):
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    fresh = head + BEGIN + "\n" + table(graded) + END + tail
    if os.environ.get("UPDATE_DOCS"):
        DOC.write_text(fresh, encoding="utf-8")
    assert fresh == text, "docs/hostile.md is out of date: UPDATE_DOCS=1 pytest tests/grading/test_class_grading.py"


def test_the_gradebook_is_made_without_touching_notebooks(graded):
    """`make generate` runs with --no-db; the class command adds what the gradebook lacks by
    generating into a scratch folder, so notebooks/ (learners' work) is never written."""
    assert f"adding {NB} to the gradebook" in graded["proc"].stdout
    assert not (graded["course"] / "notebooks").exists()


def test_a_kernel_death_the_notebook_does_not_explain_is_graded_again(graded):
    """nbgrader's kernel died, but the kernel-free run found nothing that stops Python: the
    submission is graded a second time (here it dies again, so it stays not graded, and says so)."""
    row = graded["students"]["dies_only_under_nbgrader"]
    assert row["status"].startswith("not graded: the kernel died")
    assert "graded twice: the first time the kernel died" in row["changes_to_notebook"]
    assert float(row["recovered_kernel_free"]) == FULL
    log = (graded["course"] / "class_report" / "logs" / "dies_only_under_nbgrader" / f"{NB}.log").read_text()
    assert log.count("Kernel died") >= 2


def test_a_cheat_that_fools_the_kernel_scores_nothing(graded):
    """The grade of record is trusted grading's: a notebook that rebinds the checks gets full marks
    in nbgrader's kernel, and 0 in grades.csv, with the attempt named."""
    row = graded["students"]["cheat_rebinds_checks"]
    assert row["status"] == "graded"
    assert float(row["in_kernel_score"]) == FULL
    assert float(row["score"]) == 0.0
    assert float(graded["grades"]["cheat_rebinds_checks"]["raw_score"]) == 0.0
    assert "tampering" in row["integrity"]
    assert "trusted grading" in row["changes_to_notebook"]


def test_honest_work_gets_the_same_score_trusted_and_in_the_kernel(graded):
    row = graded["students"]["correct"]
    assert float(row["score"]) == float(row["in_kernel_score"]) == FULL
    assert row["integrity"] == ""


def test_the_gradebook_can_be_a_database_server(tmp_path, monkeypatch):
    """SQLite in the course folder by default; NBGRADER_DB_URL (PostgreSQL on a hub) is honoured by
    nbgrader's own commands (nbgrader_config.py) and by the class command alike."""
    from autograder.grading import class_nbgrader
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    monkeypatch.delenv("NBGRADER_DB_URL", raising=False)
    assert class_nbgrader.load_config(tmp_path).CourseDirectory.db_url.startswith(f"sqlite:///{tmp_path}/gradebook.db")
    url = "postgresql+psycopg://grader@/gradebook?host=/var/run/postgresql"
    monkeypatch.setenv("NBGRADER_DB_URL", url)
    assert class_nbgrader.load_config(tmp_path).CourseDirectory.db_url == url


def test_fast_grading_is_the_kernel_free_grader_and_says_what_it_cannot_stop():
    """`--fast` grades with the kernel-free runner: the same scores for honest work, and the cheat
    that trusted grading stops gets full marks, as docs/grading.md warns."""
    course = make_course({"correct": lambda course: BY_NAME["correct"].make(),
                          "cheat_rebinds_checks": lambda course: insert_after(blank(), "setup", CHEAT)})
    try:
        proc = run_class(course, "--jobs", "1", "--quiet", "--fast")
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        rows = {r["student"]: r for r in read_csv(course / "class_report" / "students.csv")}
        assert float(rows["correct"]["score"]) == FULL
        assert float(rows["cheat_rebinds_checks"]["score"]) == FULL, "--fast cannot see this cheat"
        assert rows["cheat_rebinds_checks"]["in_kernel_score"] == "", "no second verdict to compare"
    finally:
        shutil.rmtree(course, ignore_errors=True)


def test_the_feedback_says_which_scores_trusted_grading_changed(graded):
    """The cheat's feedback page (nbgrader's, which shows the kernel's passing test cells) starts
    with the parts trusted grading scored otherwise and why; an honest page has no such section."""
    feedback = graded["course"] / "feedback"
    cheat = (feedback / "cheat_rebinds_checks" / NB / f"{NB}.html").read_text(encoding="utf-8")
    assert "Graded again, apart from your code" in cheat
    for grade_id, points in (("test_central_difference", 2), ("test_cauchy_loss_grad", 1)):
        assert f"<code>{grade_id}</code>: 0 of {points} points (the notebook's own run gave {points})" in cheat
    assert "tries to change the grading" in cheat
    honest = (feedback / "correct" / NB / f"{NB}.html").read_text(encoding="utf-8")
    assert "Graded again" not in honest


# --- runs that meet trouble: a fork bomb, two runs at once, a run killed, a slow machine ----------

FORK_BOMB = """
import os, time
kids, started = [], time.monotonic()
try:
    for _ in range(5000):
        pid = os.fork()
        if pid == 0:
            while time.monotonic() - started < 20:   # busy, for 20 s at most
                pass
            os._exit(0)
        kids.append(pid)
except OSError as exc:
    print("the fork bomb stopped after", len(kids), "processes:", exc.strerror)
"""

SLOW_WHILE = """
import os
def numerical_gradient(f, x, h=1e-5):
    while os.path.exists({flag!r}):     # something outside the learner's code makes it slow
        pass
    return _good(f, x, h)
"""


def _with_slow_gradient(flag):
    nb = solved()
    source = nbedit.source(nb, "numerical_gradient").replace("def numerical_gradient(", "def _good(")
    return answer(nb, "numerical_gradient", source + SLOW_WHILE.format(flag=str(flag)))


def _journal(course):
    path = course / "class_report" / "progress.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def _done(course):
    return [e["done"]["student"] for e in _journal(course) if "done" in e]


def _start_class(course, *args):
    env = nbgrader_env()
    return subprocess.Popen([sys.executable, "-m", "autograder", "class", NB, "--course", str(course),
                             "--timeout", str(TIMEOUT), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait(predicate, seconds, step=0.2):
    import time
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@needs_root
def test_two_runs_at_once_a_fork_bomb_and_a_slow_part_harm_no_bystander():
    """Two class runs on one machine at the same time (two courses), each with two workers: one
    run grades a fork bomb next to a correct submission, the other a submission whose part is
    slowed by something outside the learner's code while it is graded with the others.  Both
    runs finish; every bystander gets full marks; the slowed part is graded again alone, and
    gets its points, with a note."""
    flag = Path(tempfile.mkdtemp(prefix="course-slow-flag-", dir="/run" if os.access("/run", os.W_OK) else None))
    os.chmod(flag, 0o755)
    first = make_course({"correct": lambda course: BY_NAME["correct"].make(),
                         "fork_bomb": lambda course: insert_after(solved(), "setup", FORK_BOMB)})
    second = make_course({"bystander": lambda course: BY_NAME["correct"].make(),
                          "slow_part": lambda course: _with_slow_gradient(flag)})
    try:
        a = _start_class(first, "--jobs", "2")
        b = _start_class(second, "--jobs", "2")
        assert _wait(lambda: "slow_part" in _done(second), 900), "the slowed submission was graded once"
        flag.rmdir()                                   # the cause is gone before it is graded again
        out_a, err_a = a.communicate(timeout=900)
        out_b, err_b = b.communicate(timeout=900)
        assert "Class report:" in out_a and "Class report:" in out_b, err_a[-2000:] + err_b[-2000:]
        grades_a = {r["student_id"]: r for r in read_csv(first / "grades.csv")}
        grades_b = {r["student_id"]: r for r in read_csv(second / "grades.csv")}
        assert float(grades_a["correct"]["raw_score"]) == FULL, out_a[-3000:]
        assert float(grades_b["bystander"]["raw_score"]) == FULL, out_b[-3000:]
        slow = {r["student"]: r for r in read_csv(second / "class_report" / "students.csv")}["slow_part"]
        assert float(slow["score"]) == FULL, slow
        assert "graded again alone: test_numerical_gradient ran out of time while 2 submissions were graded at once" \
            in slow["changes_to_notebook"], slow["changes_to_notebook"]
        assert "grading them again, alone" in out_b
        runs = [json.loads((c / "class_report" / "run.json").read_text()) for c in (first, second)]
        assert not set(runs[0]["slots"]) & set(runs[1]["slots"]), "each run leased sandbox users of its own"
    finally:
        for proc in (locals().get("a"), locals().get("b")):
            if proc is not None and proc.poll() is None:
                proc.kill()
        if flag.exists():
            flag.rmdir()
        shutil.rmtree(first, ignore_errors=True)
        shutil.rmtree(second, ignore_errors=True)


def test_a_second_run_on_the_same_course_stops_at_once(tmp_path):
    from autograder.grading import classgrade
    course = make_course({"correct": lambda course: BY_NAME["correct"].make()})
    try:
        held = classgrade.lock_class_run(course)
        try:
            proc = run_class(course, "--jobs", "1", "--quiet")
            assert proc.returncode == 2
            assert "another `course-check class` is grading" in proc.stderr
        finally:
            os.close(held)
    finally:
        shutil.rmtree(course, ignore_errors=True)


def test_a_run_killed_midway_loses_no_grade_and_is_resumed():
    """The class command is killed (SIGKILL) after it recorded some students: nothing it started
    goes on running, and the next run keeps what was recorded, grades the rest, and says so."""
    import signal
    names = ["a_correct", "b_planted", "c_cheat", "d_blank"]
    makers = {"a_correct": lambda course: BY_NAME["correct"].make(),
              "b_planted": lambda course: BY_NAME["planted_mistake"].make(),
              "c_cheat": lambda course: insert_after(blank(), "setup", CHEAT),
              "d_blank": lambda course: BY_NAME["blank"].make()}
    course = make_course(makers)
    try:
        proc = _start_class(course, "--jobs", "1")
        assert _wait(lambda: len(_done(course)) >= 1, 900), proc.stderr.read() if proc.poll() is not None else ""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kept = _done(course)
        assert kept and len(kept) < len(names), kept
        def left():
            return [_cmdline(p)[:300] for p in Path("/proc").iterdir() if p.name.isdigit() and str(course) in
                    _cmdline(p) and "\nState:\tZ" not in _status(p)]
        assert _wait(lambda: not left(), 30), f"everything the killed run started is gone: {left()}"
        again = run_class(course, "--jobs", "1")
        assert f"resuming a class run that was stopped: {len(kept)} submission(s)" in again.stdout, again.stdout[-3000:]
        graded_again = [n for n in names if f"] {n} {NB}:" in again.stdout]
        assert not set(graded_again) & set(kept), "what was recorded is not graded again"
        grades = {r["student_id"]: float(r["raw_score"]) for r in read_csv(course / "grades.csv")}
        assert grades == {"a_correct": FULL, "b_planted": FULL - POINTS["test_central_difference"], "c_cheat": 0.0,
                          "d_blank": 0.0}, grades
        rows = {r["student"]: r for r in read_csv(course / "class_report" / "students.csv")}
        assert set(rows) == set(names)
        assert _journal(course)[-1] == {"finished": True}
    finally:
        shutil.rmtree(course, ignore_errors=True)


def _status(proc_dir):
    try:
        return (proc_dir / "status").read_text()
    except OSError:
        return ""


def _cmdline(proc_dir):
    try:
        return (proc_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


# --- a fresh clone in a private folder (issue 17, section 3) ------------------------------------------
#
# What these prove, and what not: the course's files (what git tracks, and what is not ignored) are
# copied into a folder made by mkdtemp (mode 700, like /root or `mktemp -d`), and its venv is this
# venv, hard-linked (the same files at new paths under the private folder; the editable install is
# pointed at the copy).  So the code and the packages live where only their owner can reach them,
# which is what broke sandboxed grading; `make install` itself (pip into a private folder) is not
# run here.  As an ordinary user the copy runs on the system's Python of the same version (this
# machine's own Python is under /root, which an ordinary user cannot enter either).


def _fresh_tree(owner=None, system_python=False):
    base = Path(tempfile.mkdtemp(prefix="course-clone-"))
    tree = base / "course"
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file() and not src.is_symlink():
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, tree / rel)
    subprocess.run(["cp", "-al", str(ROOT / ".venv"), str(tree / ".venv")], check=True)
    site = Path(subprocess.run([str(tree / ".venv" / "bin" / "python"), "-c", "import sysconfig; "
                                "print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip())
    site = tree / ".venv" / site.relative_to(ROOT / ".venv") if site.is_relative_to(ROOT / ".venv") else site
    old_python = f"#!{ROOT / '.venv' / 'bin' / 'python'}".encode()
    for script in (tree / ".venv" / "bin").iterdir():   # console scripts: the copy's Python, as pip writes them
        if script.is_file() and not script.is_symlink():
            data = script.read_bytes()
            if data.startswith(old_python):
                script.unlink()
                script.write_bytes(f"#!{tree / '.venv' / 'bin' / 'python'}".encode() + data[len(old_python):])
                script.chmod(0o755)
    for finder in site.glob("__editable__*finder.py"):
        text = finder.read_text(encoding="utf-8").replace(str(ROOT), str(tree))
        finder.unlink()                           # a hard link: never edit the original in place
        finder.write_text(text, encoding="utf-8")
    if system_python:
        version = f"{sys.version_info[0]}.{sys.version_info[1]}"
        for name in ("python", "python3", f"python{version}"):
            link = tree / ".venv" / "bin" / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(f"/usr/bin/python{version}")
        cfg = tree / ".venv" / "pyvenv.cfg"
        lines = [("home = /usr/bin" if ln.startswith("home") else ln) for ln in cfg.read_text().splitlines()]
        cfg.unlink()
        cfg.write_text("\n".join(lines) + "\n")
    if owner is not None:
        uid, gid = owner
        for path in [base] + [p for p in base.rglob("*") if ".venv" not in p.relative_to(base).parts]:
            os.lchown(path, uid, gid)
        for path in (tree / ".venv").rglob("*"):
            if path.is_dir() and not path.is_symlink():
                os.lchown(path, uid, gid)          # folders only: the files are the original's
        os.lchown(tree / ".venv", uid, gid)
    return base, tree


def _submit(tree, students):
    for student, nb in students.items():
        path = tree / "submitted" / student / NB / f"{NB}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbedit.write(nb, path)


def _python_ok(system_python):
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return not system_python or os.path.exists(f"/usr/bin/python{version}")


@needs_root
def test_a_fresh_clone_in_a_private_folder_grades_a_class_in_the_sandbox():
    """As root, in a clone under a 700 folder: the sandboxed class run grades (it used to refuse
    every submission), the folder stays 700, and the sandbox's own tests pass from the clone."""
    base, tree = _fresh_tree()
    try:
        assert os.stat(base).st_mode & 0o777 == 0o700
        _submit(tree, {"correct": BY_NAME["correct"].make(), "cheat": insert_after(blank(), "setup", CHEAT)})
        python = str(tree / ".venv" / "bin" / "python")
        env = dict(nbgrader_env(), PATH=f"{tree / '.venv' / 'bin'}{os.pathsep}/usr/bin:/bin")
        proc = subprocess.run([python, "-m", "autograder", "class", NB, "--course", str(tree), "--timeout",
                               str(TIMEOUT), "--jobs", "2", "--quiet"], env=env, capture_output=True, text=True,
                              timeout=1800)
        assert "cannot read the course's packages" not in proc.stderr + proc.stdout
        grades = {r["student_id"]: float(r["raw_score"]) for r in read_csv(tree / "grades.csv")}
        assert grades == {"correct": FULL, "cheat": 0.0}, (grades, proc.stderr[-3000:])
        assert json.loads((tree / "class_report" / "run.json").read_text())["sandboxed"] is True
        assert os.stat(base).st_mode & 0o777 == 0o700, "nothing was opened to other users"
        tests = subprocess.run([python, "-m", "pytest", "tests/trusted/test_sandbox.py", "-q", "-p", "no:cacheprovider"],
                               cwd=tree, env=env, capture_output=True, text=True, timeout=1800)
        assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    finally:
        shutil.rmtree(base, ignore_errors=True)


ORDINARY_TESTS = ["tests/trusted/test_sandbox.py",
                  "tests/trusted/test_trusted.py::test_a_function_that_loops_is_stopped_and_the_rest_is_graded",
                  "tests/trusted/test_trusted.py::test_another_assignment_s_notebook_is_not_graded",
                  "tests/trusted/test_trusted.py::test_the_learner_process_is_started_through_wrap"]


@pytest.mark.skipif(not _python_ok(SANDBOXED), reason="no system Python of this version for another user")
def test_a_fresh_clone_in_a_private_folder_as_an_ordinary_user():
    """As an ordinary user (root makes one and drops to it; otherwise this is one), in a clone under
    a 700 folder of its own: the relevant tests pass, and the class command grades unsandboxed,
    with its warning, and trusted grading still gives the cheat 0."""
    owner = None
    prefix = []
    if SANDBOXED:
        import pwd
        try:
            entry = pwd.getpwnam("course-tester")
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                            "--user-group", "course-tester"], check=True, capture_output=True)
            entry = pwd.getpwnam("course-tester")
        owner = (entry.pw_uid, entry.pw_gid)
        prefix = ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups", "--"]
    base, tree = _fresh_tree(owner=owner, system_python=SANDBOXED)
    try:
        home = base / "home"
        home.mkdir()
        if owner:
            os.chown(home, *owner)
        python = str(tree / ".venv" / "bin" / "python")
        env = {"HOME": str(home), "PATH": f"{tree / '.venv' / 'bin'}{os.pathsep}/usr/bin:/bin", "LANG": "C.UTF-8",
               "AUTOGRADER_CALL_SECONDS": os.environ["AUTOGRADER_CALL_SECONDS"], "MPLBACKEND": "Agg"}
        tests = subprocess.run(prefix + [python, "-m", "pytest", *ORDINARY_TESTS, "-q", "-p", "no:cacheprovider"],
                               cwd=tree, env=env, capture_output=True, text=True, timeout=1800)
        assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
        _submit(tree, {"correct": BY_NAME["correct"].make(), "cheat": insert_after(blank(), "setup", CHEAT)})
        if owner:
            for path in [tree / "submitted"] + list((tree / "submitted").rglob("*")):
                os.lchown(path, *owner)
        proc = subprocess.run(prefix + [python, "-m", "autograder", "class", NB, "--course", str(tree), "--timeout",
                                        str(TIMEOUT), "--jobs", "2", "--quiet"], cwd=tree, env=env,
                              capture_output=True, text=True, timeout=1800)
        assert "WARNING: no sandbox: not running as root" in proc.stderr, proc.stderr[-2000:]
        grades = {r["student_id"]: float(r["raw_score"]) for r in read_csv(tree / "grades.csv")}
        assert grades == {"correct": FULL, "cheat": 0.0}, (grades, proc.stderr[-3000:])
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_collect_copies_a_link_as_a_link(tmp_path):
    """Stock `nbgrader collect` copies what an inbound link points to (the solutions, another
    student's notebook); the course's collect (`nbgrader_config.py`) copies the link itself, which
    the class command then refuses, having read nothing through it."""
    from autograder.grading import class_student
    from autograder.grading.nbgrader_hooks import LinkSafeCollect
    from nbgrader.coursedir import CourseDirectory
    secret = tmp_path / "solutions.ipynb"
    secret.write_text("the instructor's notebook")
    src = tmp_path / "inbound" / f"bob+{NB}+2026-01-01 00:00:00.000000 UTC"
    src.mkdir(parents=True)
    (src / f"{NB}.ipynb").symlink_to(secret)
    (src / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC")
    dest = tmp_path / "submitted" / "bob" / NB
    LinkSafeCollect(coursedir=CourseDirectory(root=str(tmp_path))).do_copy(str(src), str(dest))
    assert (dest / f"{NB}.ipynb").is_symlink() and (dest / "timestamp.txt").read_text().startswith("2026")
    assert class_student.refuse_links(dest).startswith(f"{NB}.ipynb is a symbolic link")
