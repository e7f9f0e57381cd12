"""The root conftest.py shares the suite between pytest-xdist workers: tested both ways."""
import os
import re
import subprocess
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT))
import importlib.util

_spec = importlib.util.spec_from_file_location("course_root_conftest", ROOT / "conftest.py")
root = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(root)


def test_the_cells_of_a_notebook_are_one_unit_and_two_notebooks_are_two():
    a = "solutions/00_finite_differences/00_finite_differences.ipynb"
    b = "solutions/04_vector_backprop/04_vector_backprop.ipynb"
    assert root.scope_of(f"{a}::Cell 0") == root.scope_of(f"{a}::Cell 41")
    assert root.scope_of(f"{a}::Cell 0") != root.scope_of(f"{b}::Cell 0")


def test_grouped_files_share_a_unit_and_other_tests_go_alone():
    assert root.scope_of("tests/course/test_hub.py::test_a") == root.scope_of("tests/course/test_hub_postgres.py::test_b")
    assert root.scope_of("tests/course/test_hub.py::test_a") != root.scope_of("tests/course/test_lab.py::test_a")
    assert (root.scope_of("tests/grading/test_class_grading.py::test_x[1]")
            == root.scope_of("tests/grading/test_class_grading.py::test_y"))
    free = "tests/pipeline/test_engine.py::test_x[a@b]"
    assert root.scope_of(free) == free
    assert root.scope_of(free) != root.scope_of("tests/pipeline/test_engine.py::test_y")


def test_a_notebook_s_mistake_replays_share_a_unit_per_test_function():
    f = "tests/checks/test_mistakes.py::test_mistake_is_caught_and_named"
    g = "tests/checks/test_mistakes.py::test_mistake_is_named_in_every_language"
    assert root.scope_of(f"{f}[05_training:train:no_shuffle]") == root.scope_of(f"{f}[05_training:init:zeros]")
    assert root.scope_of(f"{f}[05_training:train:no_shuffle]") != root.scope_of(f"{f}[04_vector_backprop:affine:x]")
    assert root.scope_of(f"{g}[ko-05_training:train:no_shuffle]") == root.scope_of(f"{g}[ko-05_training:init:zeros]")
    assert root.scope_of(f"{g}[ko-05_training:train:no_shuffle]") != root.scope_of(f"{g}[ko-06_autodiff:init:zeros]")
    assert root.scope_of(f"{f}[05_training:train:no_shuffle]") != root.scope_of(f"{g}[ko-05_training:train:no_shuffle]")
    free = "tests/checks/test_mistakes.py::test_the_catalog_is_sorted[x]"
    assert root.scope_of(free) == free


def test_every_grouped_file_exists_once():
    found = {name: sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob(name))
             for name in {**root.GROUPS, **dict.fromkeys(root.BY_NOTEBOOK)}}
    assert {name: paths for name, paths in found.items() if len(paths) != 1} == {}


def test_no_test_file_relies_on_xdist_group_marks():
    # pytest-xdist 3.8 cannot read them under pytest 9.2 (the root conftest.py says why)
    marked = [p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("*.py")
              if p.name != "test_scheduling.py" and "xdist_group" in p.read_text(encoding="utf-8")]
    assert marked == []


def test_nbval_runs_a_notebook_on_two_workers_in_one_kernel(tmp_path):
    # before the scheduler, the cells of a notebook were spread over both workers: a cell that uses a
    # function defined two cells earlier failed with NameError in the other worker's kernel
    notebook = "solutions/00_finite_differences/00_finite_differences.ipynb"
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    run = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-v", "-p", "no:cacheprovider",
                          "-o", f"cache_dir={tmp_path}", notebook, "tests/pipeline/test_layers.py"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    workers = {m.group(1) for m in re.finditer(r"\[(gw\d+)\] .*PASSED .*00_finite_differences", run.stdout)}
    cells = len(re.findall(r"PASSED .*00_finite_differences.*Cell \d+", run.stdout))
    assert cells > 5 and len(workers) == 1, (workers, cells)


def test_the_suite_also_runs_without_xdist(tmp_path):
    # the scheduler hook is registered only when xdist is loaded: a conftest that defines a hook no
    # plugin declares makes pytest stop with "unknown hook" before collecting anything
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
                          "tests/pipeline/test_scheduling.py", "-k", "one_unit"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]
