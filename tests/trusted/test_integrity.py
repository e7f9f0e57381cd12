"""Integrity: no points without a correct answer (issue 10, section 4).

Every cheat the issue lists is written into a blank learner notebook (01_chain_rule, and
00_finite_differences), and ``autograder.trusted.grader.grade`` must give it 0 points, naming it where it
can be detected: ``uses_course_code`` for an answer that calls the course's own code (the stub's
objects, or the course's files read by path), ``tampering`` for a notebook that tries to change the
checks, numpy, builtins, the import system or IPython.  A few cheats are also run in one process
(``grade_in_process``, as a kernel runs them) to show that they are real: there they earn points.

Also proved here: no solution or hidden-test code in ``notebooks/``, for every notebook.  (Feedback
HTML without hidden-test source is tests/grading/test_roundtrip.py::test_feedback_has_no_hidden_tests, for
every assignment it grades: all of them.)
"""
import json
import subprocess
import sys

import pytest

import nbedit
from conftest import ROOT, assignments, learner_path, solution_path

from autograder.trusted import grader as trusted

TOPIC = {"00_finite_differences": "finite_differences", "01_chain_rule": "chain_rule"}

PASS = '''
class _Pass:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None
'''

# name -> the code of one cell inserted after the setup cell of a blank notebook
CHEATS = {
    "rebind check and autograder": PASS + '''
import types
check = _Pass()
autograder = types.SimpleNamespace(checks=types.SimpleNamespace(fresh=lambda name: _Pass()))
''',
    "patch autograder.checks.fresh": PASS + '''
import autograder.checks
autograder.checks.fresh = lambda name: _Pass()
check = _Pass()
''',
    "patch importlib.reload": PASS + '''
import importlib
importlib.reload = lambda module: _Pass()
check = _Pass()
''',
    "patch Exercises.check": '''
import autograder.checks
autograder.checks.Exercises.check = lambda self, key, uses=(): (lambda fn: (lambda *a, **k: None))
check = autograder.checks.fresh("{topic}")
''',
    "fake module from a sys.meta_path finder": '''
import sys, importlib, importlib.abc, importlib.machinery
class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        for name in [n for n in vars(module) if not n.startswith("__")]:
            delattr(module, name)
        module.__getattr__ = lambda name: (lambda *a, **k: None)
class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.startswith("autograder.checks."):
            return importlib.machinery.ModuleSpec(name, _Loader())
        return None
sys.meta_path.insert(0, _Finder())
check = importlib.reload(sys.modules["autograder.checks.{topic}"])
''',
    "fake module from builtins.__import__": '''
import builtins, types
_real_import = builtins.__import__
class _Fake(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Fake(name)
    def __call__(self, *args, **kwargs):
        return _Fake("result")
def _import(name, globals=None, locals=None, fromlist=(), level=0):
    if name.startswith("autograder"):
        return _Fake(name)
    return _real_import(name, globals, locals, fromlist, level)
builtins.__import__ = _import
import autograder
from autograder.checks import {topic} as check
''',
    "IPython input transformer blanks the test cells": '''
get_ipython().input_transformers_cleanup.append(
    lambda lines: ["pass\\n"] if any("check" in line for line in lines) else lines)
''',
    "IPython AST transformer blanks the test cells": '''
import ast
class _Blank(ast.NodeTransformer):
    def visit_Module(self, node):
        return ast.parse("pass") if "check" in ast.unparse(node) else node
get_ipython().ast_transformers.append(_Blank())
''',
    "replace the kernel's run_cell": '''
_shell = get_ipython()
_run_cell = _shell.run_cell
def _skip_checks(raw_cell, *args, **kwargs):
    return _run_cell("pass" if "check" in raw_cell else raw_cell, *args, **kwargs)
_shell.run_cell = _skip_checks
''',
    # in the answer cell of one exercise (an answer of zeros, compared by a patched numpy)
    "patch numpy's comparisons": {"01_chain_rule": "sin_square_derivative",
                                  "00_finite_differences": "cauchy_loss_grad", "code": '''
import numpy as np
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.max = lambda *a, **k: 0.0
np.amax = np.max

def {answer}(x):
    return np.zeros_like(x)
'''},
    "patch builtins": '''
import builtins
builtins.isinstance = lambda obj, cls: True
builtins.max = lambda *a, **k: 0.0
''',
    "replace sys.modules entries": '''
import sys, types
_fake = types.ModuleType("autograder.checks.{topic}")
_fake.__getattr__ = lambda name: (lambda *a, **k: None)
sys.modules["autograder.checks.{topic}"] = _fake
sys.modules["autograder.checks"].fresh = lambda name: _fake
check = _fake
''',
    "custom exception hooks": '''
import sys
sys.excepthook = lambda *args: None
get_ipython().set_custom_exc((BaseException,), lambda shell, etype, evalue, tb, tb_offset=None: None)
''',
}

# cheats that are answers: (notebook, answer cell, its source, the test cell that must not pass)
ANSWERS = {
    "the course's reference as the answer": (
        "01_chain_rule", "sigmoid", "from autograder.checks.reference import sigmoid\n", "test_sigmoid"),
    "the course's numerical gradient as the answer": (
        "00_finite_differences", "numerical_gradient",
        "def numerical_gradient(f, x, h=1e-5):\n    return autograder.numeric.gradient(f, x)\n",
        "test_numerical_gradient"),
    "the course's reference read from its file": (
        "01_chain_rule", "sigmoid",
        f"exec(open({str(ROOT / 'autograder' / 'checks' / 'reference.py')!r}).read())\n", "test_sigmoid"),
    "the course's module imported from its folder": (
        "01_chain_rule", "sigmoid",
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfor name in [n for n in sys.modules if n.startswith('autograder')]:\n"
        f"    del sys.modules[name]\nfrom autograder.checks.reference import sigmoid\n", "test_sigmoid"),
}


# the same file through other spellings of its path (issue 19: they passed the audit hook)
REFERENCE = ROOT / "autograder" / "checks" / "reference.py"
ANSWERS.update({
    "the course's reference read through a path that starts with //": (
        "01_chain_rule", "sigmoid", f"exec(open('/' + {str(REFERENCE)!r}).read())\n", "test_sigmoid"),
    "the course's reference read through /proc/self/root": (
        "01_chain_rule", "sigmoid", f"exec(open('/proc/self/root' + {str(REFERENCE)!r}).read())\n", "test_sigmoid"),
})


def setup_index(nb):
    for i, cell in enumerate(nb["cells"]):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "setup":
            return i
    raise KeyError("setup")


def with_cell(a, code):
    """The blank notebook of ``a`` with the cheat: a cell after the setup cell, or (a dict) the
    answer cell of one exercise."""
    nb = nbedit.read(learner_path(a))
    if isinstance(code, dict):
        return nbedit.set_source(nb, code[a], code["code"].replace("{answer}", code[a]).lstrip("\n"))
    cell = {"cell_type": "code", "execution_count": None, "id": "cheat", "metadata": {}, "outputs": [],
            "source": code.replace("{topic}", TOPIC[a]).lstrip("\n")}
    nb["cells"].insert(setup_index(nb) + 1, cell)
    return nb


def write(nb, tmp_path, a):
    path = tmp_path / f"{a}.ipynb"
    nbedit.write(nb, path)
    return path


def in_process_score(path, a):
    proc = subprocess.run([sys.executable, "-m", "autograder.trusted", "inprocess", str(path), str(solution_path(a))],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return trusted.score(json.loads(proc.stdout.splitlines()[-1]))


@pytest.mark.parametrize("a", [a for a in TOPIC if a in assignments()])
@pytest.mark.parametrize("cheat", list(CHEATS))
def test_a_cheat_earns_nothing_and_is_named(cheat, a, tmp_path):
    path = write(with_cell(a, CHEATS[cheat]), tmp_path, a)
    rows = trusted.grade(path, solution_path(a))
    assert trusted.score(rows) == 0, [(r["grade_id"], r["key"]) for r in rows if r["passed"]]
    assert len(rows) == len(nbedit.test_cells(nbedit.read(solution_path(a))))
    for r in rows:
        assert r["key"] == "tampering", (cheat, r)
        assert "tries to change the grading" in r["message"]


@pytest.mark.parametrize("cheat, points", [("patch Exercises.check", 18), ("replace sys.modules entries", 18),
                                           ("patch numpy's comparisons", 1),
                                           # 0 since checks.fresh runs the module's compiled code itself,
                                           # not through importlib.reload and the import system
                                           ("fake module from a sys.meta_path finder", 0), ("patch importlib.reload", 0)])
def test_those_cheats_do_earn_points_in_one_process(cheat, points, tmp_path):
    """The baseline is not a strawman: in one process (course-check's way, and a kernel's) the same
    notebooks get points with blank (or zero) answers; two cheats that did no longer do."""
    a = "01_chain_rule"
    if a not in assignments():
        pytest.skip(a)
    path = write(with_cell(a, CHEATS[cheat]), tmp_path, a)
    assert in_process_score(path, a) == points


@pytest.mark.parametrize("cheat", list(ANSWERS))
def test_an_answer_that_calls_the_course_s_code_earns_nothing_and_is_named(cheat, tmp_path):
    a, cell, source, test = ANSWERS[cheat]
    if a not in assignments():
        pytest.skip(a)
    nb = nbedit.read(learner_path(a))
    nbedit.set_source(nb, cell, source)
    path = write(nb, tmp_path, a)
    rows = trusted.grade(path, solution_path(a))
    assert trusted.score(rows) == 0
    row = {r["grade_id"]: r for r in rows}[test]
    assert row["key"] == "uses_course_code", row
    assert "the course's own code" in row["message"]


def test_the_reference_answer_does_earn_its_point_in_one_process(tmp_path):
    a, cell, source, test = ANSWERS["the course's reference as the answer"]
    nb = nbedit.read(learner_path(a))
    nbedit.set_source(nb, cell, source)
    assert in_process_score(write(nb, tmp_path, a), a) == 1


def test_test_cells_and_points_come_from_the_source_not_the_submission(tmp_path):
    """Blank answers, every test cell replaced by `pass` and given 100 points, an answer cell marked
    as a graded cell worth 50: still 0 of the source's points."""
    a = "01_chain_rule"
    nb = nbedit.read(learner_path(a))
    for c in nbedit.test_cells(nb):
        c["source"] = "pass"
        c["metadata"]["nbgrader"]["points"] = 100
    answer = nbedit.cell(nb, "sigmoid")
    answer["metadata"]["nbgrader"].update(grade=True, points=50)
    rows = trusted.grade(write(nb, tmp_path, a), solution_path(a))
    source = nbedit.read(solution_path(a))
    assert [r["grade_id"] for r in rows] == [c["metadata"]["nbgrader"]["grade_id"] for c in nbedit.test_cells(source)]
    assert [r["points"] for r in rows] == [c["metadata"]["nbgrader"]["points"] for c in nbedit.test_cells(source)]
    assert trusted.score(rows) == 0


def test_a_solved_notebook_that_also_tampers_keeps_its_points(tmp_path):
    """Tampering is named only where a part fails: correct answers still earn their points."""
    a = "01_chain_rule"
    nb = nbedit.read(solution_path(a))
    cell = {"cell_type": "code", "execution_count": None, "id": "cheat", "metadata": {}, "outputs": [],
            "source": CHEATS["patch importlib.reload"].lstrip("\n")}
    nb["cells"].insert(setup_index(nb) + 1, cell)
    rows = trusted.grade(write(nb, tmp_path, a), solution_path(a))
    assert all(r["passed"] for r in rows), [(r["grade_id"], r["key"]) for r in rows if not r["passed"]]


# --- no leak ---------------------------------------------------------------------------------------------

LEAKS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS", "hidden=True")


@pytest.mark.parametrize("a", assignments())
def test_the_learner_notebook_holds_no_solution_and_no_hidden_test(a):
    nb = nbedit.read(learner_path(a))
    for i, cell in enumerate(nb["cells"]):
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for marker in LEAKS:
            assert marker not in text, f"{a} cell {i} holds {marker!r}"
        assert not cell.get("outputs"), f"{a} cell {i} stores outputs"
    sol = nbedit.read(solution_path(a))
    hidden = [nbedit.source(sol, c["metadata"]["nbgrader"]["grade_id"]).split("### BEGIN HIDDEN TESTS")[1]
              for c in nbedit.test_cells(sol)]
    text = json.dumps(nb)
    for h in hidden:
        body = h.split("### END HIDDEN TESTS")[0].strip()
        assert body and body not in text


@pytest.mark.parametrize("a", assignments())
def test_every_test_cell_has_a_hidden_half_that_runs_a_fresh_copy_of_the_checks(a):
    """The design this suite relies on: the source's test cells call the checks module by name, and
    the hidden half reloads it, so grading them in another process needs nothing from the notebook."""
    sol = nbedit.read(solution_path(a))
    tests, topic = trusted.source_tests(sol)
    assert topic and tests
    for grade_id, _, code in tests:
        assert f'check = autograder.checks.fresh("{topic}")' in code, grade_id
        assert "hidden=True" in code.split("### BEGIN HIDDEN TESTS")[1], grade_id


# --- issue 19: around the audit hook, points for gradients the learner did not derive, order -------------

V = "04_vector_backprop"

GIT_SOLUTIONS = f'''
import json, subprocess
_text = subprocess.run(["git", "-C", {str(ROOT)!r}, "show", "HEAD:solutions/{V}/{V}.ipynb"],
                       capture_output=True, text=True, timeout=60).stdout
for _c in json.loads(_text)["cells"]:
    if _c["metadata"].get("nbgrader", {{}}).get("solution"):
        exec("".join(_c["source"]))
'''

FORK_EXEC = '''
import _posixsubprocess
_posixsubprocess.fork_exec(["git", "show", "HEAD:solutions"])
'''

RELU_FORWARD = nbedit.source(nbedit.read(solution_path(V)), "relu").split("def relu_backward")[0] if (
    solution_path(V).exists()) else ""

RELU_AUTOGRAD = RELU_FORWARD + '''
def relu_backward(dout, cache):
    from autograd import grad
    import autograd.numpy as anp
    z = cache
    return grad(lambda z: anp.sum(anp.maximum(z, 0) * dout))(z)
'''

RELU_AUTOGRAD_AT_THE_TOP = RELU_FORWARD + '''
from autograd import grad
import autograd.numpy as anp


def relu_backward(dout, cache):
    z = cache
    return grad(lambda z: anp.sum(anp.maximum(z, 0) * dout))(z)
'''

RELU_FINITE_DIFFERENCES = RELU_FORWARD + '''
def relu_backward(dout, cache):
    z, h = cache, 1e-6
    dz = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[i] += h
        down[i] -= h
        dz[i] = np.sum((relu_forward(up)[0] - relu_forward(down)[0]) * dout) / (2 * h)
    return dz
'''


def solved_04():
    nb = nbedit.read(learner_path(V))
    sol = nbedit.read(solution_path(V))
    for c in nbedit.solution_cells(sol):
        gid = c["metadata"]["nbgrader"]["grade_id"]
        nbedit.set_source(nb, gid, nbedit.source(sol, gid))
    return nb


def in_process_rows(path, a):
    proc = subprocess.run([sys.executable, "-m", "autograder.trusted", "inprocess", str(path), str(solution_path(a))],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.splitlines()[-1])


needs_04 = pytest.mark.skipif(V not in assignments(), reason=V)
FULL_04 = sum(c["metadata"]["nbgrader"]["points"] for c in nbedit.test_cells(nbedit.read(solution_path(V)))) if (
    solution_path(V).exists()) else 0
needs_git = pytest.mark.skipif(not (ROOT / ".git").exists(), reason="the course is not a git checkout")


@needs_04
@needs_git
def test_the_solutions_read_from_git_earn_nothing(tmp_path):
    """Every answer cell runs `git show HEAD:solutions/...` and the instructor's answers: full marks
    in one process (a kernel without the sandbox), 0 in trusted grading, named."""
    nb = nbedit.read(learner_path(V))
    for c in nbedit.solution_cells(nb):
        c["source"] = GIT_SOLUTIONS
    path = write(nb, tmp_path, V)
    assert trusted.score(in_process_rows(path, V)) == FULL_04, "the attack is real"
    rows = trusted.grade(path, solution_path(V))
    assert trusted.score(rows) == 0
    assert {r["key"] for r in rows} == {"uses_course_code"}
    assert "use subprocess.Popen" in rows[0]["message"]


@needs_04
def test_a_program_started_through_posixsubprocess_is_refused(tmp_path):
    """_posixsubprocess.fork_exec starts a program without an audit event: in trusted grading's
    learner process it is a stub that refuses, and so is importing the real one again."""
    nb = solved_04()
    nb["cells"].insert(setup_index(nb) + 1, {"cell_type": "code", "execution_count": None, "id": "fork",
                                             "metadata": {}, "outputs": [], "source": FORK_EXEC})
    nb["cells"].insert(setup_index(nb) + 2, {"cell_type": "code", "execution_count": None, "id": "again",
                                             "metadata": {}, "outputs": [],
                                             "source": "import sys\ndel sys.modules['_posixsubprocess']\n"
                                                       "import _posixsubprocess\n"})
    nbedit.set_source(nb, "relu", "raise RuntimeError('a part that fails')\n")
    rows = {r["grade_id"]: r for r in trusted.grade(write(nb, tmp_path, V), solution_path(V))}
    assert rows["test_relu"]["key"] == "uses_course_code"
    message = rows["test_relu"]["message"]
    assert "use _posixsubprocess.fork_exec" in message and "import _posixsubprocess" in message, message
    assert rows["test_affine"]["passed"], "the other parts keep their points"


@needs_04
@pytest.mark.parametrize("cheat, key", [(RELU_AUTOGRAD, "uses_autodiff"),
                                        (RELU_FINITE_DIFFERENCES, "finite_differences_backward")])
def test_a_gradient_the_learner_did_not_derive_earns_nothing(cheat, key, tmp_path):
    """relu_backward by HIPS autograd, or by central differences of relu_forward (2 forward calls
    per entry): 0 for that part, with the same name in one process and in trusted grading; the
    other parts keep their points."""
    nb = solved_04()
    nbedit.set_source(nb, "relu", cheat)
    path = write(nb, tmp_path, V)
    verdicts = []
    for rows in (trusted.grade(path, solution_path(V)), in_process_rows(path, V)):
        by = {r["grade_id"]: r for r in rows}
        assert not by["test_relu"]["passed"] and by["test_relu"]["key"] == key, by["test_relu"]
        # the parts that do not build on relu keep their points
        assert all(r["passed"] for g, r in by.items() if g not in ("test_relu", "test_two_layer_net")), by
        verdicts.append({g: r["passed"] for g, r in by.items()})
    # the same points part by part (a part built on relu fails in both; trusted grading names it too)
    assert verdicts[0] == verdicts[1], "the same verdict in trusted grading and in one process"


@needs_04
def test_an_autodiff_import_at_the_top_of_a_cell_earns_nothing(tmp_path):
    """The import refused (trusted grading) or missing (a kernel without autograd): the cell
    stops before relu_backward is defined.  0 for that part in both; trusted grading names it."""
    nb = solved_04()
    nbedit.set_source(nb, "relu", RELU_AUTOGRAD_AT_THE_TOP)
    path = write(nb, tmp_path, V)
    rows = {r["grade_id"]: r for r in trusted.grade(path, solution_path(V))}
    assert rows["test_relu"]["key"] == "uses_autodiff" and "imports autograd" in rows["test_relu"]["message"]
    assert not {r["grade_id"]: r for r in in_process_rows(path, V)}["test_relu"]["passed"]


@needs_04
def test_each_test_cell_sees_the_notebook_as_it_is_at_its_place(tmp_path):
    """A correct notebook whose last cell redefines relu_backward wrongly after its test cell ran:
    nbgrader runs the cells in order and gives full marks; trusted grading and the in-process baseline
    grade each test cell at its place, and give full marks too.  A wrong definition *before* the test cell
    costs the part in all of them."""
    nb = solved_04()
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "late", "metadata": {}, "outputs": [],
                        "source": "def relu_backward(dout, cache):\n    return dout\n"})
    path = write(nb, tmp_path, V)
    assert trusted.score(trusted.grade(path, solution_path(V))) == FULL_04
    assert trusted.score(in_process_rows(path, V)) == FULL_04
    early = solved_04()
    at = early["cells"].index(nbedit.cell(early, "test_relu"))
    early["cells"].insert(at, {"cell_type": "code", "execution_count": None, "id": "early", "metadata": {},
                               "outputs": [], "source": "def relu_backward(dout, cache):\n    return dout\n"})
    path = write(early, tmp_path, V)
    for rows in (trusted.grade(path, solution_path(V)), in_process_rows(path, V)):
        by = {r["grade_id"]: r for r in rows}
        assert not by["test_relu"]["passed"]
        assert all(r["passed"] for g, r in by.items() if g not in ("test_relu", "test_two_layer_net")), by


@needs_04
def test_another_assignment_s_notebook_shares_an_exercise_and_earns_nothing(tmp_path):
    """01's notebook submitted for 04 (both have an answer cell `sigmoid`): not graded."""
    rows = trusted.grade(solution_path("01_chain_rule"), solution_path(V))
    assert trusted.score(rows) == 0
    assert {r["status"] for r in rows} == {f"not graded: this is 01_chain_rule's notebook, not {V}'s"}
