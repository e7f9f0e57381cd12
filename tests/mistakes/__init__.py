"""The mistake-replay catalog: realistic wrong answers, each a whole answer cell as a learner
would write it, with the mistake key its check must name.

One module per notebook, ``tests/mistakes/<NN_topic>.py``, holds ``MISTAKES``, a list of
``Mistake``.  ``replay(assignment, mistake)`` puts the mistake's cell in place of the solution's
answer cell that defines the same function(s), grades the notebook as ``course-check grade``
does (kernel-free, hidden tests included) up to the part's test cell, and returns what the
part's test cell said.  ``tests/checks/test_mistakes.py`` asserts every row is caught and named with
its key.

A key counts as **named** when it says what to fix; the keys in ``GENERIC`` only say that
something is wrong (a symptom), so a row expecting one of them is caught but not named.
"""
import ast
import atexit
import contextlib
import copy
import functools
import gc
import importlib
import json
import os
import pickle
import pkgutil
import select
import signal
import struct
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]

# Keys that report a symptom, not the mistake: "caught, not named".
GENERIC = frozenset({"wrong_values", "partly_wrong", "scaled_other", "wrong_shape", "exception",
                     "failed", "not_numeric", "bad_output", "wrong_count", "stderr"})


@dataclass(frozen=True)
class Mistake:
    part: str                 # the exercise part (its key in the checks module's Exercises)
    key: str                  # the mistake key the part's check must report
    what: str                 # the mistake in a few words, as a learner would make it
    cell: str                 # the whole answer cell, as the learner wrote it
    kind: str = "common"      # "common" (the most likely one), "subtle", or "blind" (from the blind
                              # catalog, tests/mistakes_holdout/, made to be named after it)
    replaces: Optional[str] = None   # the answer cell's grade_id, when its functions do not say it

    @property
    def source(self):
        return textwrap.dedent(self.cell).strip() + "\n"

    @property
    def named(self):
        return self.key not in GENERIC


@dataclass
class Outcome:
    caught: bool
    key: str                  # "" when the part passed
    message: str


def catalogs():
    """{assignment: [Mistake, ...]} for every notebook with a catalog module."""
    found = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name[:2].isdigit():
            found[info.name] = importlib.import_module(f"{__name__}.{info.name}").MISTAKES
    return dict(sorted(found.items()))


def _text(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def defined_names(source):
    """Top-level functions and classes a cell defines (and ``Class.attr = ...`` assignments)."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                    names.add(f"{target.value.id}.{target.attr}")
                elif isinstance(target, ast.Name):
                    names.add(target.id)
    return names


def solution_notebook(assignment):
    """(path, a fresh dict of the solution notebook)."""
    path = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    return path, json.loads(_read(path))


@functools.lru_cache(maxsize=None)
def _read(path):
    return path.read_text(encoding="utf-8")


def _places(nb, mistake):
    """(index of the answer cell the mistake replaces, index of the part's test cell) in ``nb``;
    raises LookupError when either cannot be found."""
    cells = nb["cells"]
    answers = [i for i, c in enumerate(cells) if c.get("cell_type") == "code" and _meta(c).get("solution")]
    if mistake.replaces:
        index = next((i for i in answers if _meta(cells[i]).get("grade_id") == mistake.replaces), None)
    else:
        wanted = defined_names(mistake.source) if mistake.source.strip() else set()
        index = next((i for i in answers if wanted and wanted <= defined_names(_text(cells[i]))), None)
        if index is None:   # the cell defines fewer names than the solution's (a helper dropped)
            index = next((i for i in answers if wanted & defined_names(_text(cells[i]))), None)
    if index is None:
        raise LookupError(f"{mistake.part}: no answer cell defines what this cell defines")
    test = next((i for i, c in enumerate(cells) if _meta(c).get("grade") and
                 _meta(c).get("grade_id") == f"test_{mistake.part}"), None)
    if test is None:
        raise LookupError(f"no test cell test_{mistake.part}")
    return index, test


def replaced_cell(assignment, mistake):
    """The index of the solution's answer cell the mistake replaces."""
    return _places(solution_notebook(assignment)[1], mistake)[0]


def with_mistake(nb, mistake):
    """A copy of ``nb`` with the mistake's cell in place of the answer cell it replaces, cut after
    the part's test cell (later parts are not its business); raises LookupError when the cell or
    the test cell cannot be found."""
    index, test = _places(nb, mistake)
    nb = copy.deepcopy(nb)
    cells = nb["cells"]
    cells[index]["source"] = mistake.source
    nb["cells"] = cells[:test + 1]
    return nb


def replay(assignment, mistake, seconds=30.0):
    """Grade the notebook with the mistake in it, as ``course-check grade`` would (hidden tests
    included); the outcome of the part's test cell.

    The cells before the replaced answer cell are the solution's for every mistake that replaces
    that cell, and they are most of the time (05's training demos): they run once, in a forked
    process that then forks once per mistake, so each mistake continues from the exact state (the
    memory image) a straight run reaches there.  Where fork is missing, a straight run."""
    from autograder import i18n
    path, nb = solution_notebook(assignment)
    cut = with_mistake(nb, mistake)
    index, _ = _places(nb, mistake)
    if not hasattr(os, "fork") or os.environ.get("COURSE_REPLAY_FORK") == "0":
        return replay_straight(assignment, mistake, seconds)
    key = (assignment, index, seconds, i18n.chosen_language(), json.dumps(cut["cells"][:index], sort_keys=True))
    rows = _PREFIXES.run(key, path, cut, index, seconds)
    return _outcome(rows, mistake)


def replay_straight(assignment, mistake, seconds=30.0):
    """``replay`` without sharing the prefix: the whole cut notebook graded in this process."""
    from autograder.loader import grade_notebook
    path, nb = solution_notebook(assignment)
    graded = grade_notebook(path, seconds=seconds, nb=with_mistake(nb, mistake))
    return _outcome([(run.grade_id, run.passed, run.key, run.message) for run in graded.tests], mistake)


def _outcome(rows, mistake):
    grade_id, passed, key, message = next(row for row in rows if row[0] == f"test_{mistake.part}")
    return Outcome(caught=not passed, key="" if passed else (key or ""), message=message or "")


def _send(fd, obj):
    data = pickle.dumps(obj)
    view = memoryview(struct.pack("!Q", len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd, seconds=None):
    """The next object on ``fd``; None at end of file; TimeoutError after ``seconds`` of silence."""
    def exactly(n):
        chunks = []
        while n:
            if seconds is not None and not select.select([fd], [], [], seconds)[0]:
                raise TimeoutError(f"no answer from the replay process in {seconds} s")
            chunk = os.read(fd, n)
            if not chunk:
                return None
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)
    head = exactly(8)
    if head is None:
        return None
    return pickle.loads(exactly(struct.unpack("!Q", head)[0]))


class _Prefixes:
    """Processes that have run a notebook's cells up to one answer cell and wait there ("zygotes").

    For a mistake, the zygote forks; the child puts the mistake's cells in place of the rest of the
    notebook, goes on grading exactly where a straight run would, sends the test rows back and exits.
    A few zygotes are kept (the catalog's rows run in order of the cell they replace)."""

    KEEP = 2

    def __init__(self):
        self.live = {}          # key -> (pid, job fd, result fd), oldest first
        self.owner = os.getpid()

    def run(self, key, path, cut, index, seconds):
        if os.getpid() != self.owner:   # a forked test process: its parent's zygotes are not its own
            self.live, self.owner = {}, os.getpid()
        if key not in self.live:
            while len(self.live) >= self.KEEP:
                self.stop(next(iter(self.live)))
            self.live[key] = self.start(path, cut, index, seconds)
        pid, job, result = self.live[key]
        try:
            _send(job, cut["cells"][index:])
            answer = _receive(result, seconds=600 + seconds * len(cut["cells"]))
        except (OSError, TimeoutError):
            self.stop(key, kill=True)
            raise
        if answer is None or answer[0] != "rows":
            self.stop(key, kill=True)
            raise RuntimeError(f"the replay process failed: {answer!r}")
        return answer[1]

    def start(self, path, cut, index, seconds):
        # what every zygote would import on its own (and lose when it ends): imported once, here
        os.environ.setdefault("MPLBACKEND", "Agg")
        importlib.import_module("matplotlib.pyplot")
        job_r, job_w = os.pipe()
        result_r, result_w = os.pipe()
        pid = os.fork()
        if pid == 0:   # the zygote
            status = 0
            try:
                os.close(job_w)
                os.close(result_r)
                for _, other_job, other_result in self.live.values():
                    os.close(other_job)
                    os.close(other_result)
                _zygote(path, copy.deepcopy(cut), index, seconds, job_r, result_w)
            except BaseException:   # noqa: BLE001 (nothing may go back up a forked pytest's stack)
                status = 1
            finally:
                os._exit(status)
        os.close(job_r)
        os.close(result_w)
        return pid, job_w, result_r

    def stop(self, key, kill=False):
        pid, job, result = self.live.pop(key)
        if kill:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for fd in (job, result):
            with contextlib.suppress(OSError):
                os.close(fd)     # end of file on its job pipe: the zygote exits
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)

    def close(self):
        if os.getpid() == self.owner:
            for key in list(self.live):
                self.stop(key)


def _zygote(path, nb, index, seconds, job_r, result_w):
    """Grade ``nb`` up to cell ``index``; there, for each job (the cells from ``index`` on), fork: the
    child grades on with the job's cells and sends its rows; the zygote waits for it and serves the
    next job, until its job pipe ends."""
    from autograder.loader import grade_notebook
    cells = nb["cells"]
    forked = []

    def at_cell(i):
        if i != index or forked:
            return
        gc.freeze()     # a child's garbage collection leaves the zygote's objects (and pages) alone
        while True:
            job = _receive(job_r)
            if job is None:
                os._exit(0)
            child = os.fork()
            if child == 0:
                forked.append(True)
                os.close(job_r)
                # the loader already holds the cell at ``index`` (its metadata read): change it in place
                cells[index].clear()
                cells[index].update(job[0])
                cells[index + 1:] = job[1:]
                return
            _, status = os.waitpid(child, 0)
            if status != 0:
                _send(result_w, ("died", status))

    graded = grade_notebook(path, seconds=seconds, nb=nb, on_cell=at_cell)
    if not forked:
        raise RuntimeError(f"cell {index} was never reached")
    _send(result_w, ("rows", [(run.grade_id, run.passed, run.key, run.message) for run in graded.tests]))


_PREFIXES = _Prefixes()
atexit.register(_PREFIXES.close)


# --- the same, through the real check cell in a kernel ------------------------------------------

HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


class Kernel:
    """One Jupyter kernel (this Python, ipykernel) working in a notebook's folder, reused for many
    runs: ``run(code)`` executes one cell and returns what it printed and raised, as a learner's
    JupyterLab would see it.  Use as a context manager."""

    def __init__(self, folder, seconds=120.0):
        self.folder, self.seconds = Path(folder), seconds

    def __enter__(self):
        import os
        from jupyter_client.manager import KernelManager
        env = dict(os.environ, MPLBACKEND="Agg", PYDEVD_DISABLE_FILE_VALIDATION="1")
        env.setdefault("AUTOGRADER_CALL_SECONDS", "3")
        for attempt in (1, 2, 3):   # a kernel whose port another process took dies at once: again
            self.manager = KernelManager(kernel_name="python3")
            self.manager.kernel_spec.argv[0] = sys.executable   # this venv's Python, whatever is on PATH
            self.manager.start_kernel(cwd=str(self.folder), env=env, extra_arguments=["--HistoryManager.enabled=False"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.client = self.manager.client()
            self.client.start_channels()
            try:
                self.client.wait_for_ready(timeout=60)
                return self
            except RuntimeError:
                self.__exit__(None, None, None)
                if attempt == 3:
                    raise

    def __exit__(self, *exc):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def run(self, code):
        """{"stdout", "stderr", "error": (ename, evalue) or None} of one cell."""
        msg_id = self.client.execute(code, store_history=True, allow_stdin=False)
        out = {"stdout": "", "stderr": "", "error": None}
        while True:
            msg = self.client.get_iopub_msg(timeout=self.seconds)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out[content["name"]] += content["text"]
            elif kind == "error":
                out["error"] = (content["ename"], content["evalue"])
            elif kind == "status" and content["execution_state"] == "idle":
                break
        self.client.get_shell_msg(timeout=self.seconds)
        return out

    def verdict(self):
        """The hooks' record of the last cell (autograder.checks.last_verdict), or None."""
        got = self.run("import json as _j, autograder.checks as _c\n"
                       "print(_j.dumps(_c.last_verdict()))\ndel _j, _c")
        return json.loads(got["stdout"].strip().splitlines()[-1])

    def fresh(self):
        """As a new kernel: the learner's names gone, no check run, no cell failed."""
        self.run("%reset -f")
        # a new kernel has no figure either: with the Agg backend (no inline backend closing them
        # after each cell, as JupyterLab's does) every figure of every replay stayed open, and each
        # replay in the same kernel was slower than the one before (01: 3 s for the first ten rows,
        # 18 s for ten rows after 180)
        self.run("import sys as _s\nif 'matplotlib.pyplot' in _s.modules:\n    _s.modules['matplotlib.pyplot'].close('all')\n"
                 "import autograder.checks as _c\n_c.forget_cells()\ndel _c, _s")


def code_cells(nb, hidden=True):
    """The sources of the code cells, test cells with their hidden tests (as nbgrader runs them
    when grading) or without (as the learner's copy has them)."""
    sources = []
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        text = _text(cell)
        if not hidden and HIDDEN[0] in text:
            text = text[:text.index(HIDDEN[0])] + text[text.index(HIDDEN[1]) + len(HIDDEN[1]):]
        sources.append(text)
    return sources


def replay_in_kernel(kernel, assignment, mistake):
    """The mistake's notebook (cut after its part's test cell) run cell by cell in ``kernel``, after
    ``kernel.fresh()``; the outcome of the part's test cell, with the key of the CheckFailed it
    raised (read from the kernel).  The earlier parts' check cells run as the learner's copy has
    them (visible checks only, which is also quicker); the part's own cell as nbgrader runs it,
    hidden tests included."""
    _, nb = solution_notebook(assignment)
    kernel.fresh()
    cut = with_mistake(nb, mistake)
    cells, learner = code_cells(cut), code_cells(cut, hidden=False)
    for source in learner[:-1]:
        kernel.run(source)
    last = kernel.run(cells[-1])
    if last["error"] is None and not last["stderr"].strip():
        return Outcome(caught=False, key="", message="")
    verdict = kernel.verdict() if last["error"] is not None else None
    if verdict is None:   # no exception, but stderr: nbgrader scores the cell 0
        return Outcome(caught=True, key="stderr", message=last["stderr"])
    return Outcome(caught=True, key=verdict["key"] or "", message=verdict["message"])
