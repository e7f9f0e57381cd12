"""How `make test` shares the suite between pytest-xdist workers (loaded for every run from the root).

The scheduler below decides, from a test's id alone, which tests must run in one worker, in order:

- the cells of a notebook that nbval runs (`solutions/<a>/<a>.ipynb::Cell 3`) share one kernel, so
  every cell of a notebook goes to the worker that runs its first cell;
- the tests of a file whose module set-up is expensive (a class graded in the sandbox, a round trip
  through nbgrader, the hostile submissions graded once) stay together, so the set-up runs once;
- files that share a machine-wide resource (the hub's Unix users, one Chromium and its lab) form a
  group and never run side by side;
- the mistake replays of one notebook stay together (they share the cells before a mistake's cell).

Every other test is a unit of its own and goes to whichever worker is free.

Why not `--dist loadgroup` and `@pytest.mark.xdist_group`: pytest-xdist 3.8 passes the group by
rewriting `item._nodeid`, which pytest 9.2 no longer reads (pytest-dev/pytest-xdist#1386), so the
marks were silently ignored and nbval's cells ran in kernels that never saw the cells before them.
A scheduler that reads the id needs no mark and works on every pytest version.
"""
import re
from pathlib import PurePosixPath

# file name -> group; files of one group run in one worker, one test at a time.
GROUPS = {
    "test_browser.py": "browser",          # one Chromium, its lab and kernels
    "test_lab.py": "lab",                  # the lab servers start once per module
    "test_hub.py": "hub",                  # Unix users bpt-*, /opt/backprop-course-hub, apt
    "test_hub_postgres.py": "hub",
    **{name: PurePosixPath(name).stem for name in (
        "test_class_grading.py", "test_roundtrip.py", "test_hostile.py", "test_trusted_parity.py",
        "test_integrity.py", "test_sandbox.py", "test_trusted.py", "test_remote.py",
        "test_benchmarks.py", "test_loader_cli.py")},
}


# Files whose tests are parametrized by notebook first (`test_x[05_training:...]`): a test function's
# rows of one notebook stay together, in order (the mistake replays share the cells before the one
# a row replaces, and one kernel per notebook).
BY_NOTEBOOK = {"test_mistakes.py", "test_mistakes_kernel.py"}


def scope_of(nodeid):
    """The unit of work a test belongs to: a group name, a notebook, or the test itself."""
    path = nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        return f"nbval:{path}"
    name = PurePosixPath(path).name
    if name in GROUPS:
        return f"group:{GROUPS[name]}"
    if name in BY_NOTEBOOK:
        head, _, params = nodeid.partition("[")
        notebook = re.search(r"(?:^|-)(\d\d_\w+?):", params)
        if notebook:
            return f"{head}[{notebook.group(1)}"
    return nodeid


class _Scheduling:
    """The hook, registered only when pytest-xdist is loaded (`pytest -p no:xdist` must still run:
    pytest refuses a conftest that implements a hook no plugin declares)."""

    @staticmethod
    def pytest_xdist_make_scheduler(config, log):
        from xdist.scheduler import LoadScopeScheduling

        class CourseScheduling(LoadScopeScheduling):
            def _split_scope(self, nodeid):
                return scope_of(nodeid)

        return CourseScheduling(config, log)


def pytest_configure(config):
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_Scheduling(), "course-scheduling")
