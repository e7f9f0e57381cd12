"""environment.yml (conda/Binder) and pyproject.toml ask for the same packages and Python."""
import re
import sys
import tomllib

from conftest import ROOT

REQUIRED = {"jupyterlab", "numpy", "matplotlib", "nbgrader", "pytest", "nbval"}


def pyproject_deps():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return dict(re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", d).groups() for d in data["project"]["dependencies"])


def environment_deps():
    deps, in_deps = {}, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        m = re.match(r"  - ([A-Za-z0-9_.-]+)\s*([<>=!].*)?$", line)
        if in_deps and m and m.group(1) not in ("python", "pip"):
            deps[m.group(1)] = (m.group(2) or "").strip()
    return deps


def test_same_packages_and_bounds():
    assert pyproject_deps() == environment_deps()


def test_required_packages_with_lower_bounds():
    deps = pyproject_deps()
    assert REQUIRED <= set(deps)
    assert all(spec.startswith(">=") for spec in deps.values()), deps


def test_environment_installs_the_course_package():
    assert "- -e ." in (ROOT / "environment.yml").read_text()


def test_autograder_needs_only_numpy():
    """The grading library imports nothing heavier than numpy."""
    import subprocess
    code = ("import sys, autograder, autograder.checks.finite_differences, autograder.cli;"
            "bad = [m for m in ('matplotlib', 'nbgrader', 'IPython', 'jupyter_client', 'scipy') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_python_floor_is_the_same_everywhere():
    """nbgrader 0.9.6 and numpy 2.4, which pip installs, need Python 3.11: every file says so."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["project"]["requires-python"] == ">=3.11"
    assert "  - python>=3.11" in (ROOT / "environment.yml").read_text()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "3.11 or newer" in readme and "3.9" not in readme


def _fake_python(tmp_path, version):
    exe = tmp_path / "python-fake"
    exe.write_text(f'#!/bin/sh\necho "{version}"\n')
    exe.chmod(0o755)
    return exe


def test_make_stops_at_once_on_an_old_python(tmp_path):
    """`make test` / `make lab` with a Python older than 3.11 stop before installing anything,
    with a message that names the version and what to do."""
    import subprocess
    exe = _fake_python(tmp_path, "3 9")
    for target in ("test", "lab"):
        proc = subprocess.run(["make", "-s", target, f"PYTHON={exe}", f"VENV={tmp_path / 'venv'}"],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0
        assert "needs Python 3.11 or newer" in proc.stderr and "is Python 3.9" in proc.stderr
        assert f"make {target} PYTHON=python3.11" in proc.stderr
        assert not (tmp_path / "venv").exists(), "nothing is installed on a Python that cannot work"


def test_make_accepts_the_running_python():
    import subprocess
    proc = subprocess.run(["make", "-s", "check-python", f"PYTHON={sys.executable}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
