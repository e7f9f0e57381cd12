"""environment.yml (conda/Binder) and pyproject.toml ask for the same packages."""
import re
import sys

from conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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
