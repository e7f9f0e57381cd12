"""nbgrader in-process for ``course-check class``: its configuration, the shared gradebook and its lock.

``load_config`` reads the course's ``nbgrader_config.py`` (with the sandboxed kernel when asked),
``lock_gradebook`` serializes the workers' gradebook sessions (``flock``), ``ensure_gradebook``
adds missing assignments, ``nbgrader_reason`` says in one line why nbgrader could not grade.
"""
import copy
import fcntl
import os
import re
import sys
import tempfile
import time
from pathlib import Path

# jsonschema imports rfc3987_syntax when it is installed (jupyter_events asks for it), and that
# module builds a grammar when imported: a second of start-up for every process that imports
# nbformat, nbgrader's among them.  The formats it checks (iri, iri-reference) appear in no schema
# nbformat or nbgrader validates, so the grading processes go without it.
sys.modules.setdefault("rfc3987_syntax", None)

LOCK_NAME = ".gradebook.lock"
DB_TIMEOUT = 600

# --- nbgrader, in-process -----------------------------------------------------------------

def _venv_on_path():
    """nbgrader runs ``alembic`` from PATH: put this Python's bin folder first."""
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def load_config(course, *, timeout=None, sandboxed=False):
    """The course's nbgrader configuration (``nbgrader_config.py``), with the options of a run."""
    _venv_on_path()
    from traitlets.config.loader import PyFileConfigLoader
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    cfg.CourseDirectory.root = str(course)
    configured = os.environ.get("NBGRADER_DB_URL") or (
        cfg.CourseDirectory.db_url if "db_url" in cfg.CourseDirectory else "")
    if configured and not str(configured).startswith("sqlite"):
        cfg.CourseDirectory.db_url = str(configured)   # a database server (PostgreSQL): as configured
    else:  # SQLite in the course folder, waiting for the lock rather than failing at once
        db = Path(course) / "gradebook.db"
        cfg.CourseDirectory.db_url = f"sqlite:///{db}?timeout={DB_TIMEOUT}"
    if timeout:
        cfg.Execute.timeout = int(timeout)
    if sandboxed:
        from .nbgrader_hooks import SandboxedExecute
        steps = list(cfg.Autograde.autograde_preprocessors) if "autograde_preprocessors" in cfg.Autograde else []
        if not steps:
            from nbgrader.converters import Autograde
            steps = list(Autograde.autograde_preprocessors.default_value)
        cfg.Autograde.autograde_preprocessors = [
            SandboxedExecute if _is_execute(step) else step for step in steps]
    return cfg


def _is_execute(step):
    name = step if isinstance(step, str) else f"{step.__module__}.{step.__name__}"
    return name.rsplit(".", 1)[-1] == "Execute"


_lock = {"fd": None, "depth": 0}


def lock_gradebook(course):
    """Make every ``nbgrader.api.Gradebook`` of this process hold an exclusive ``flock`` from
    its creation to its ``close()``: parallel workers never use the database at the same time."""
    from nbgrader import api as nbapi
    _lock["fd"] = os.open(os.path.join(course, LOCK_NAME), os.O_CREAT | os.O_RDWR, 0o600)
    if getattr(nbapi.Gradebook, "_course_locked", False):
        return
    init, close = nbapi.Gradebook.__init__, nbapi.Gradebook.close

    def acquire():
        if _lock["depth"] == 0:
            deadline = time.monotonic() + DB_TIMEOUT
            while True:
                try:
                    fcntl.flock(_lock["fd"], fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError("the gradebook stayed locked for 10 minutes") from None
                    time.sleep(0.01)
        _lock["depth"] += 1

    def release():
        _lock["depth"] -= 1
        if _lock["depth"] == 0:
            fcntl.flock(_lock["fd"], fcntl.LOCK_UN)

    def locked_init(self, *args, **kwargs):
        acquire()
        try:
            init(self, *args, **kwargs)
        except BaseException:
            release()
            raise
        self._course_holds = True

    def locked_close(self):
        try:
            close(self)
        finally:
            if getattr(self, "_course_holds", False):
                self._course_holds = False
                release()

    nbapi.Gradebook.__init__ = locked_init
    nbapi.Gradebook.close = locked_close
    nbapi.Gradebook._course_locked = True


def gradebook(cfg):
    from nbgrader.api import Gradebook
    return Gradebook(cfg.CourseDirectory.db_url, cfg.CourseDirectory.course_id)


def ensure_gradebook(course, cfg, assignments, say):
    """Add to the gradebook every assignment it lacks (generated into a scratch release folder)."""
    from nbgrader.api import MissingEntry
    from nbgrader.apps.api import NbGraderAPI
    missing = []
    with gradebook(cfg) as gb:
        for a in assignments:
            try:
                gb.find_assignment(a)
            except MissingEntry:
                missing.append(a)
    if not missing:
        return []
    with tempfile.TemporaryDirectory() as scratch:
        cfg2 = copy.deepcopy(cfg)
        cfg2.CourseDirectory.release_directory = scratch
        api = NbGraderAPI(config=cfg2)
        for a in missing:
            say(f"adding {a} to the gradebook (generated into a scratch folder; notebooks/ is not touched)")
            result = api.generate_assignment(a, force=True)
            if not result["success"]:
                raise RuntimeError(f"could not add {a} to the gradebook:\n{result.get('error', '')[-2000:]}")
    return missing


# --- what went wrong, in one line ----------------------------------------------------------

NBGRADER_REASONS = [
    (r"SubmissionRejected: (?:not graded: )?(.*)", None),
    (r"Kernel died", "the kernel died (exit(), os._exit, a signal or out of memory)"),
    (r"CellTimeoutError|Timeout waiting for execute reply", "a cell did not finish and could not be interrupted"),
    (r"UnresponsiveKernelError|kernel became unresponsive", "the kernel stopped answering"),
    (r"NotJSONError|does not appear to be JSON", "not a notebook (not valid JSON)"),
    (r"ValidationError|failed to validate", "the notebook's structure is not valid"),
    (r"No submitted file", "no notebook was submitted"),
]


def nbgrader_reason(text):
    """One line for why nbgrader could not grade a submission, from its log."""
    for pattern, sentence in NBGRADER_REASONS:
        m = re.search(pattern, text)
        if m:
            return sentence or m.group(1).strip().splitlines()[0]
    lines = [ln.strip() for ln in text.splitlines() if re.match(r"\s*[\w.]+(Error|Exception):", ln)]
    return lines[-1] if lines else "nbgrader stopped with an error"
