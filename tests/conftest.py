"""Shared helpers for the test suite."""
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(os.sys.executable).parent

# Learner functions that loop for ever are stopped by the checks after this
# many seconds; the default (20 s) is for humans, the tests do not wait that long.
os.environ.setdefault("AUTOGRADER_CALL_SECONDS", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

# Property tests (tests/pipeline/test_properties.py): the same examples on every run (derandomize), a
# bounded number of them, no per-example deadline (the machine may be busy), and no example
# database written into the work tree.  HYPOTHESIS_PROFILE=explore draws fresh, more examples.
try:
    from hypothesis import settings
except ImportError:  # pragma: no cover (hypothesis is a course dependency)
    settings = None
if settings is not None:
    settings.register_profile("course", derandomize=True, max_examples=25, deadline=None, database=None,
                              print_blob=True)
    settings.register_profile("explore", max_examples=300, deadline=None, database=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "course"))


def assignments():
    """Assignment ids, e.g. ['00_finite_differences', '01_chain_rule', ...].

    COURSE_ONLY=00_finite_differences,01_chain_rule limits the notebook tests to
    those (handy while writing one notebook); the default is all of them.
    """
    found = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir() and p.name[:2].isdigit())
    only = [a for a in os.environ.get("COURSE_ONLY", "").split(",") if a]
    return [a for a in found if a in only] if only else found


def solution_path(assignment):
    return ROOT / "solutions" / assignment / f"{assignment}.ipynb"


def learner_path(assignment, lang="en"):
    from autograder import i18n
    return ROOT / i18n.edition_dir(lang) / assignment / f"{assignment}.ipynb"


def languages():
    """The course's languages: English and every language with a translation in i18n/."""
    from autograder import i18n
    return [i18n.SOURCE_LANGUAGE] + i18n.translated_languages(ROOT)


def solution_edition(assignment, lang, folder):
    """The solution notebook of ``assignment`` in ``lang``, written to ``folder/<a>/<a>.ipynb``
    (the English one is solutions/ itself)."""
    import json
    from autograder import i18n
    if lang == i18n.SOURCE_LANGUAGE:
        return solution_path(assignment)
    nb = i18n.edition(ROOT, lang, assignment, json.loads(solution_path(assignment).read_text(encoding="utf-8")))
    path = Path(folder) / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return path


_loaded = {}


def load_solution(assignment):
    """The definitions of a solution notebook (loaded once per test session)."""
    from autograder import load_notebook
    if assignment not in _loaded:
        nb = load_notebook(solution_path(assignment))
        assert not nb.errors, f"{assignment}: cells failed while loading: {[e.message for e in nb.errors]}"
        _loaded[assignment] = nb
    return _loaded[assignment]


def fails_with(key, check, *fns, **kwargs):
    """Run ``check(*fns)`` expecting a CheckFailed whose key is ``key``; return its message."""
    from autograder import CheckFailed
    with pytest.raises(CheckFailed) as info:
        check(*fns, quiet=True, **kwargs)
    err = info.value
    assert err.key == key or key in err.keys.values(), (
        f"expected mistake {key!r}, got {err.key!r}: {err}")
    return str(err)


def nbgrader_env():
    """Environment for nbgrader subprocesses: the venv's bin first (nbgrader calls alembic)."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["AUTOGRADER_CALL_SECONDS"] = os.environ["AUTOGRADER_CALL_SECONDS"]
    return env


def nbgrader_cmd():
    exe = VENV_BIN / "nbgrader"
    return [str(exe)] if exe.exists() else [shutil.which("nbgrader") or "nbgrader"]


def stub(*args, **kwargs):
    """What a learner's unfinished function does."""
    raise NotImplementedError()


def assert_solution_passes(module, solution_args, hidden, capsys):
    """Every check of ``module`` passes the solution's functions, printing one [ok] line each
    and nothing on stderr (nbgrader scores a test cell with stderr output as 0)."""
    assert set(solution_args) == set(module.EXERCISES.keys), "one entry per exercise part"
    for key, fns in solution_args.items():
        getattr(module, key)(*fns, hidden=hidden)
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out.count("[ok]") == len(module.EXERCISES.keys)


def assert_stubs_not_implemented(module, solution_args):
    """Replacing any one function of an exercise by a stub gives 'not implemented yet'."""
    for key, fns in solution_args.items():
        for i in range(len(fns)):
            planted = list(fns)
            planted[i] = stub
            message = fails_with("not_implemented", getattr(module, key), *planted)
            assert "not implemented yet" in message


# What a kernel that never started says: it was slow on a busy machine (a timeout), or it died at
# once, most often because another process took one of the ports its connection file had just
# chosen ("Address already in use", two kernels starting side by side): worth another try.
KERNEL_START_FAILURES = ("Kernel died before replying to kernel_info", "Kernel didn't respond to heartbeats")


def kernel_never_started(exc):
    """True when ``exc`` says a kernel failed while starting (not while running a cell)."""
    import asyncio
    from nbclient.exceptions import DeadKernelError
    if isinstance(exc, (asyncio.CancelledError, asyncio.TimeoutError, TimeoutError, DeadKernelError)):
        return True
    return isinstance(exc, RuntimeError) and any(s in str(exc) for s in KERNEL_START_FAILURES)


def execute_notebook(path, allow_errors=True, timeout=300, tries=3):
    """Run the notebook at ``path`` in a fresh kernel with nbclient (cells that raise stop the run
    unless ``allow_errors`` or the cell is tagged ``raises-exception``) and return it.  A kernel
    that does not start (four minutes on a busy machine, or a port taken) is started again, up to
    ``tries`` times, as long as no cell has run."""
    import nbformat
    from nbclient import NotebookClient
    for attempt in range(1, tries + 1):
        nb = nbformat.read(str(path), as_version=4)
        client = NotebookClient(nb, timeout=timeout, startup_timeout=240, allow_errors=allow_errors,
                                kernel_name="python3", resources={"metadata": {"path": str(Path(path).parent)}})
        try:
            client.execute()
            return nb
        except BaseException as exc:
            ran = any(c.get("execution_count") for c in nb.cells if c.cell_type == "code")
            if attempt == tries or ran or not kernel_never_started(exc):
                raise
            print(f"{Path(path).name}: the kernel did not start ({exc!r}); trying again")
    raise AssertionError("unreachable")
