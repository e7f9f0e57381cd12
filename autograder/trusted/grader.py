"""Trusted grading's grader process (G): the verdict comes from a process the learner's code cannot reach
(long: starting, driving and restarting the learner's process and grading each test cell are one
loop, read together).

``grade(submission, source)`` returns one row per test cell of the instructor's *source* notebook
(its cells, its points; never the submission's)::

    {"grade_id", "points", "passed", "key", "message", "status"}

``status`` is ``"graded"``, or ``"not graded: <reason>"`` when the learner's process died (``os._exit``,
a signal, memory) or could not be started; ``key`` names the mistake (the check's key, such as
``"sign_flipped"``; ``"not_implemented"``, ``"timeout"``, ``"uses_course_code"``, ...) or is None.

How (see docs/integrity.md for the threat model):

* this process (G) starts a learner process (L): ``python -m``-like boot of a private copy of
  ``autograder/trusted/learner_host.py`` and the wire (``HOST_FILES``) in a temporary directory, with a clean
  environment, a private working directory, resource limits, optionally wrapped (``wrap(argv)``,
  for example ``autograder.trusted.sandbox.wrap`` to run it as another user).  L sees a stub ``autograder``
  whose checks, references and helpers raise when used; it runs the submission's code cells
  (not its test cells) and then answers requests.
* G never runs learner code and never unpickles anything: it executes each *source* test cell
  itself, with the real checks, in a namespace where the learner's names are proxies of L's
  objects (``autograder.trusted.proxies``).  Patches of ``check``, ``autograder``, numpy, builtins,
  ``sys.modules``, the import system or IPython made by the submission all stay in L.
* every wait on L has a deadline; a function that loops is stopped by the check's own time limit
  (or by the test cell's deadline), L is killed and started again for the next test cell.

``grade_in_process`` runs the same source test cells in this process, after the submission's own
cells, as a kernel does: the baseline for parity tests and benchmarks, never for grading.
"""
import ast
import contextlib
import gc
import importlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from .. import i18n
from ..guard import CheckFailed
from ..i18n import N_, tr, translated
from .endpoint import Endpoint
from .wire import ProtocolError, RemoteLost, Wire

CELL_SECONDS = 120.0             # as nbgrader's Execute.timeout in nbgrader_config.py
CALL_SCALE = 3.0
START_SECONDS = 30.0             # to start Python and numpy in L, before the first cell
MAX_NOTEBOOK_BYTES = 50 << 20
MAX_STARTS = 8                   # learner processes started for one submission
MEMORY_BYTES = 4 << 30           # address space of L
BASE_NAMES = ("autograder", "check", "np", "numpy")
PACKAGE = Path(__file__).resolve().parent.parent      # autograder/
# what L runs, copied to <host>/_course_host/ in the package's own layout (relative imports work there)
HOST_FILES = ("autodiff_libs.py", "trusted/wire.py", "trusted/proxies.py", "trusted/codec.py", "trusted/mirrors.py",
              "trusted/endpoint.py", "trusted/learner_host.py")


class NotGraded(Exception):
    """The learner's process cannot be used for this test cell."""


# --- reading notebooks ------------------------------------------------------------------------------

def _meta(cell):
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nb = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nb if isinstance(nb, dict) else {}


def _text(src):
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def _is_test(cell):
    meta = _meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def read_notebook(path, limit=MAX_NOTEBOOK_BYTES):
    """The notebook's JSON as a dict with a list of cells; ValueError saying why not."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise ValueError(f"cannot read {os.path.basename(str(path))}: {exc.strerror}") from None
    if size > limit:
        raise ValueError(f"the notebook is {size:,} bytes, more than the limit of {limit:,}")
    try:
        with open(path, encoding="utf-8") as fh:
            nb = json.load(fh)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(f"the notebook is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("the file is not a notebook (no list of cells)")
    return nb


def source_tests(source_nb):
    """[(grade_id, points, code)] of the instructor's notebook, and its checks module's name."""
    tests, topic = [], None
    for cell in source_nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        code = _text(cell.get("source"))
        if _is_test(cell):
            meta = _meta(cell)
            tests.append((str(meta.get("grade_id", "")), float(meta.get("points", 0) or 0), code))
        elif topic is None:
            topic = _checks_topic(code)
    return tests, topic


def _checks_topic(code):
    """'chain_rule' for a cell with ``from autograder.checks import chain_rule as check``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "autograder.checks":
            for alias in node.names:
                if alias.asname == "check":
                    return alias.name
    return None


def learner_cells(sub_nb, test_ids=()):
    """[[index, code]] of the submission's code cells that are not test cells (by its metadata,
    or by carrying a grade_id of one of the source's test cells)."""
    cells = []
    for index, cell in enumerate(sub_nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        if _is_test(cell) or str(_meta(cell).get("grade_id", "")) in test_ids:
            continue
        cells.append([index, _text(cell.get("source"))])
    return cells


def plan(sub_nb, source_nb, test_ids):
    """([[index, code]] of the learner's cells, {grade_id: place}): a test cell is graded after
    every learner cell before its place in the notebook and before any after it, as nbgrader runs
    the notebook top to bottom.  A deleted test cell is put back where nbgrader's restore puts it
    (after the graded cell before it: ``submission.sanitize_cells``)."""
    from . import submission
    cells = learner_cells(sub_nb, test_ids)
    tagged = []
    for index, cell in enumerate(sub_nb["cells"]):
        if isinstance(cell, dict):
            cell = dict(cell, metadata=dict(cell.get("metadata") or {}) if isinstance(cell.get("metadata"), dict)
                        else {}, _index=index)
            tagged.append(cell)
    known, order = submission.known_from_source(source_nb)
    restored, _, _ = submission.sanitize_cells(tagged, known, order)
    place, last = {}, 0
    for cell in restored:
        gid = str(_meta(cell).get("grade_id", ""))
        if "_index" in cell:
            last = cell["_index"] + 1
        if gid in test_ids and gid not in place and _meta(cell).get("grade"):
            place[gid] = cell.get("_index", last)
    return cells, place


def refusal(sub_nb, assignment):
    """Why this notebook cannot be graded as ``assignment`` ("" when it can): it holds more of
    another assignment's answer cells than of this one's (an exercise both share would be graded
    with the other notebook's answer).  (The class command also refuses the instructor's own
    source notebook, in nbgrader's restore: ``nbgrader_hooks.CourseSanitize``.)"""
    from . import submission
    other = submission.looks_like(sub_nb)
    if other and assignment and other != assignment:
        return f"this is {other}'s notebook, not {assignment}'s"
    return ""


# --- what a submission tries (named in the feedback, although none of it reaches the grader) -----------

_GUARDED = {"autograder", "check", "importlib", "builtins", "sys", "np", "numpy", "IPython", "warnings",
            "traceback", "inspect", "gc", "signal"}
_GUARDED_CALLS = {"set_custom_exc", "register_magic_function", "run_cell", "addaudithook", "settrace",
                  "setprofile"}


def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def tampering(cells, topic):
    """[(cell index, line)] of code that tries to change the grading machinery: rebinding ``check``
    or ``autograder``, assigning into the checks, numpy, builtins, ``sys`` (modules, meta_path,
    hooks), importlib or IPython (``get_ipython()``, exception handlers, transformers, run_cell).
    None of it can reach the trusted grader; it is named so that an instructor sees the attempt."""
    found = []
    standard = {("autograder", None), (f"autograder.checks.{topic}", None), ("autograder.checks", topic)}
    for index, code in cells:
        try:
            tree = ast.parse(code)
            nodes = list(ast.walk(tree))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue      # not Python the parser can take (20,000 terms in one expression): runs in L only
        lines = code.splitlines()
        for node in nodes:
            hit = False
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                for t in targets:
                    for sub in ast.walk(t):
                        if isinstance(sub, ast.Name) and sub.id in ("check", "autograder") and \
                                isinstance(sub.ctx, (ast.Store, ast.Del)):
                            hit = True
                    if isinstance(t, (ast.Attribute, ast.Subscript)) and _root_name(t) in _GUARDED:
                        hit = True
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                module = node.module if isinstance(node, ast.ImportFrom) else None
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    key = (module, alias.name) if module else (alias.name, None)
                    if bound in ("check", "autograder") and key not in standard and module != "autograder.checks" \
                            and not (module is None and alias.name.startswith("autograder") and alias.asname is None):
                        hit = True
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in ("check", "autograder"):
                hit = True
            elif isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
                if name in ("setattr", "delattr") and node.args and _root_name(node.args[0]) in _GUARDED:
                    hit = True
                elif name == "get_ipython" or name in _GUARDED_CALLS:
                    hit = True
                elif isinstance(func, ast.Attribute) and name in ("insert", "append", "extend", "update",
                                                                   "__setitem__", "pop", "clear", "remove") \
                        and isinstance(func.value, ast.Attribute) and _root_name(func.value) == "sys" \
                        and func.value.attr in ("meta_path", "path_hooks", "modules"):
                    hit = True
            if hit:
                line = lines[node.lineno - 1].strip() if 0 < getattr(node, "lineno", 0) <= len(lines) else ""
                found.append((index, line[:120]))
    return list(dict.fromkeys(found))


def _free_names(code):
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return sorted(names - set(BASE_NAMES))


def forget_session(topic):
    """Forget what the checks recorded for ``topic``'s notebook: which parts passed, and the
    functions they were called with (which, after a trusted grading, are proxies into a learner
    process that no longer exists: a later check that re-ran an earlier part with them would fail
    with RemoteLost)."""
    from .. import checks
    module = importlib.import_module(f"autograder.checks.{topic}")
    exercises = getattr(module, "EXERCISES", None)
    if exercises is not None:
        # emptied in place: the notebook's Exercises (and any module object a test or kernel still
        # holds) keep these very dicts, so removing them from the tables would not forget them
        for store in (checks._STATUS, checks._MESSAGES, checks._ARGS):
            store.get(exercises.notebook, {}).clear()
    return module


def fresh_checks(topic):
    """The checks module of ``topic`` as a new kernel would import it (this notebook's session
    state forgotten)."""
    return importlib.reload(forget_session(topic))


# --- the learner's process ------------------------------------------------------------------------------

def _site_paths():
    paths = []
    for mod in ("numpy",):
        found = importlib.util.find_spec(mod)
        if found and found.origin:
            paths.append(str(Path(found.origin).resolve().parent.parent))
    return list(dict.fromkeys(paths))


def _fontlist():
    """matplotlib's font cache of this user, so that L need not build its own (seconds, and by
    running ``fc-list``, which L refuses: every failed part would be named for it).  A user
    without one yet (a fresh account) gets it built here, once."""
    from .sandbox import font_list
    found = font_list()
    if found is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import matplotlib.font_manager  # noqa: F401 (builds and saves the font list)
        except Exception:
            return None
        found = font_list()
    return Path(found) if found else None


class Host:
    """A private directory L runs from: copies of the modules it needs (``HOST_FILES``), the stub's one real
    module (datasets) with its data, matplotlib's font cache, and a working directory."""

    def __init__(self, shared=False):
        self.root = Path(tempfile.mkdtemp(prefix="course-trusted-"))
        pkg = self.root / "_course_host"
        (pkg / "trusted").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "trusted" / "__init__.py").write_text("")
        for name in HOST_FILES:
            shutil.copyfile(PACKAGE / name, pkg / name)
        stub = self.root / "autograder"
        (stub / "data").mkdir(parents=True)
        shutil.copyfile(PACKAGE / "datasets.py", stub / "datasets.py")
        for data in (PACKAGE / "data").glob("*.gz"):
            shutil.copyfile(data, stub / "data" / data.name)
        self.mpl = self.root / "mpl"
        self.mpl.mkdir()
        fonts = _fontlist()
        if fonts is not None:
            shutil.copyfile(fonts, self.mpl / fonts.name)
        self.work = self.root / "work"
        self.work.mkdir()
        mode_dir, mode_file = (0o755, 0o644)
        for path in self.root.rglob("*"):
            os.chmod(path, mode_dir if path.is_dir() else mode_file)
        os.chmod(self.root, 0o755)
        if shared:   # L runs as another user: it may write its own files there
            os.chmod(self.work, 0o1777)
            os.chmod(self.mpl, 0o1777)

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


def _limits(memory):
    def apply():
        import resource
        for which, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CORE, 0),
                             (resource.RLIMIT_FSIZE, 256 << 20)):
            try:
                resource.setrlimit(which, (value, value))
            except (ValueError, OSError):
                pass
    return apply


def _describe_exit(code, stderr_tail):
    if code is None:
        return "the learner's process stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        text = f"the learner's process was killed by {name}"
        if -code == signal.SIGKILL:
            text += " (memory, or a time limit)"
    else:
        text = f"the learner's process ended with exit code {code} (os._exit, or a crash)"
    tail = [line for line in stderr_tail.splitlines() if line.strip()]
    if tail:
        text += f": {tail[-1][:200]}"
    return text


class LearnerSession:
    """The learner's process for one submission: started on demand, restarted after a loss."""

    def __init__(self, cells, *, seconds=CELL_SECONDS, wrap=None, memory=MEMORY_BYTES, host=None):
        self.cells, self.seconds, self.wrap, self.memory = cells, seconds, wrap, memory
        self.host = host or Host(shared=wrap is not None)
        self.own_host = host is None
        self.skip = {}                 # cell index -> why it is skipped in later starts
        self.failed_cells = []         # [(index, message)] of the last start
        self.proc = self.endpoint = None
        self.starts = 0
        self.gave_up = None
        self.startup_seconds = []
        self.denied = []               # what the submission's cells tried and were refused
        self.until = None              # L has run every learner cell before this index (None: all)

    # -- starting --
    def _spawn(self):
        argv = [sys.executable, "-S", "-E", "-s", "-c", _boot(), str(self.host.root), json.dumps(_site_paths())]
        if self.wrap is not None:
            argv = list(_wrap_learner(self.wrap, argv))
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.host.work), "TMPDIR": str(self.host.work),
               "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(self.host.mpl),
               "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONHASHSEED": "0"}
        self._release()
        self.errfile = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errfile,
                                     cwd=str(self.host.work), env=env, start_new_session=True,
                                     preexec_fn=_limits(self.memory), close_fds=True)
        wire = Wire(self.proc.stdout.fileno(), self.proc.stdin.fileno(), nonblocking=True)
        return wire

    def _start(self, until=None):
        """Start L and run the submission's cells before ``until`` (a cell index; None: all);
        skip a cell that ends or hangs the process and start again.  Returns the endpoint, or
        raises NotGraded."""
        while True:
            if self.starts >= MAX_STARTS:
                self.gave_up = (f"the learner's process could not be started ({MAX_STARTS} attempts; "
                                f"last: {self.gave_up or 'unknown'})")
                raise NotGraded(self.gave_up)
            self.starts += 1
            began = time.monotonic()
            wire = self._spawn()
            current, why = None, None
            try:
                wire.send({"cells": self.cells, "seconds": self.seconds, "skip": sorted(self.skip),
                           "guard": _guard_roots(), "until": until}, deadline=time.monotonic() + START_SECONDS)
                deadline = time.monotonic() + START_SECONDS
                while True:
                    header, _ = wire.recv(deadline)
                    if header.get("note") == "cell":
                        current = header.get("i")
                        deadline = time.monotonic() + self.seconds + 10.0
                    elif header.get("ready"):
                        self.failed_cells = [tuple(x) for x in header.get("failed", []) if isinstance(x, list)]
                        for index, message in self.failed_cells:   # it would cost its time again
                            if "did not finish" in str(message):
                                self.skip.setdefault(index, str(message)[:200])
                        self.denied = list(dict.fromkeys(str(x)[:300] for x in header.get("denied", [])[:1000]))[:20]
                        break
                    else:
                        raise ProtocolError("an unexpected message while starting")
            except TimeoutError:
                why = (f"cell {current} did not finish within {self.seconds:g} s and could not be stopped"
                       if current is not None else "Python did not start in time")
            except EOFError:
                self.proc.wait()
                why = _describe_exit(self.proc.returncode, self._stderr_tail())
                if current is not None:
                    why = f"cell {current} ended the learner's process: {why}"
            except ProtocolError as exc:
                why = f"cell {current} broke the protocol ({exc})" if current is not None else str(exc)
            self.startup_seconds.append(time.monotonic() - began)
            if why is None:
                self.endpoint = Endpoint(wire, trusted=True, on_lost=self._on_lost)
                self.until = until
                return self.endpoint
            self._kill()
            self.gave_up = why
            if current is None or current in self.skip:
                self.gave_up = why
                self.starts = MAX_STARTS
                continue
            self.skip[current] = why

    def _stderr_tail(self):
        try:
            self.errfile.seek(0, os.SEEK_END)
            size = self.errfile.tell()
            self.errfile.seek(max(0, size - 2000))
            return self.errfile.read().decode("utf-8", "replace")
        except (OSError, ValueError, AttributeError):
            return ""

    def _on_lost(self, reason, kind):
        if kind == "died":
            code = self._reap()
            self.lost_reason = _describe_exit(code, self._stderr_tail())
        else:
            self._kill()
            self.lost_reason = reason

    def _reap(self, timeout=2.0):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._kill()
            return self.proc.returncode

    def _kill(self):
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            for target in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
                try:
                    target()
                    break
                except (ProcessLookupError, PermissionError, OSError):
                    continue
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(Exception):
                stream.close()
        self.endpoint = None

    def _release(self):
        """Close this process's files now (a file left to the garbage collector would warn, and
        a check recording warnings at that moment would blame the learner for it)."""
        errfile, self.errfile = getattr(self, "errfile", None), None
        if errfile is not None:
            with contextlib.suppress(Exception):
                errfile.close()

    # -- used by grade() --
    def connect(self, until=None):
        """L with every learner cell before ``until`` run (None: every cell), and none after."""
        if self.gave_up is not None and self.starts >= MAX_STARTS:
            raise NotGraded(self.gave_up)
        ep = self.endpoint
        if ep is not None and ep.broken is None and self.proc.poll() is None:
            if self._behind(until) and not self._advance(ep, until):
                return self.connect(until)
            if not self._ahead(until):
                return ep
        if self.endpoint is not None:
            self._kill()
        return self._start(until)

    def _behind(self, until):
        return self.until is not None and (until is None or until > self.until)

    def _ahead(self, until):
        return until is not None and (self.until is None or self.until > until)

    def _advance(self, ep, until):
        """Run the learner cells from where L stopped up to ``until``; False when L was lost
        doing it.  One request per cell, each with one cell's time: a cell that hangs past its
        limit (or ends L) is known at once, after its own time rather than the time every cell
        left could take, and the next start skips it instead of running it again."""
        todo = [index for index, _ in self.cells if index not in self.skip
                and index >= self.until and (until is None or index < until)]
        for index in todo + [None]:
            ep.deadline = time.monotonic() + self.seconds + 10.0
            try:
                done = ep.request("advance", {"u": until if index is None else index + 1})
            except RemoteLost as exc:
                if index is not None and exc.kind == "timeout":
                    self.skip.setdefault(index, f"cell {index} did not finish within {self.seconds:g} s "
                                                f"and could not be stopped")
                elif index is not None and exc.kind == "died":
                    self.skip.setdefault(index, f"cell {index} ended the learner's process: "
                                                f"{getattr(self, 'lost_reason', None) or exc}")
                self._kill()
                return False
            if isinstance(done, dict):
                for item in done.get("failed", []) or []:
                    if isinstance(item, (list, tuple)) and len(item) == 2:
                        self.failed_cells.append((item[0], item[1]))
                        if "did not finish" in str(item[1]):
                            self.skip.setdefault(item[0], str(item[1])[:200])
                more = [str(x)[:300] for x in (done.get("denied") or [])[:20]]
                self.denied = list(dict.fromkeys(self.denied + more))[:20]
        ep.forget_types()
        self.until = until
        return True

    def end_test(self):
        """Between two test cells: forget this cell's handles, or replace a process that is busy."""
        ep = self.endpoint
        if ep is None:
            return
        if ep.idle and self.proc.poll() is None:
            ep.deadline = time.monotonic() + 10.0
            try:
                ep.reset()
                return
            except (RemoteLost, Exception):
                pass
        self._kill()

    def close(self):
        ep = self.endpoint
        if ep is not None and ep.idle:
            with contextlib.suppress(Exception, RemoteLost):
                ep.wire.send({"op": "bye"}, (), time.monotonic() + 2.0)
        if ep is not None and ep.broken is None:
            # a proxy kept past the grading says what happened, not a time limit it never met
            ep.broken = ("the learner's process has ended: its grading is over", "died")
        self._kill()
        self._release()
        if self.own_host:
            self.host.cleanup()


def _wrap_learner(wrap, argv):
    """``wrap(argv, learner=True)`` when the wrapper takes it (``autograder.trusted.sandbox.wrap``: L needs
    neither the course's package nor a network, so its view shows neither), else ``wrap(argv)``."""
    import inspect
    try:
        params = inspect.signature(wrap).parameters
    except (TypeError, ValueError):
        params = {}
    if "learner" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return wrap(argv, learner=True)
    return wrap(argv)


def _guard_roots():
    """What L may not open (the course's package first, then the course's folder) and what it may
    (the Python installation it runs, even when it sits inside the course's folder)."""
    course = PACKAGE.parent
    deny = [str(PACKAGE)] + ([str(course)] if (course / "solutions").is_dir() or (course / "pyproject.toml").exists()
                          else [])
    allow = {sys.prefix, sys.base_prefix, sys.exec_prefix, *_site_paths()}
    return {"deny": deny, "allow": sorted(str(Path(p).resolve()) for p in allow)}


def _boot():
    from .learner_host import BOOT
    return BOOT


# --- grading ---------------------------------------------------------------------------------------------

def _first_lines(exc):
    text = f"{type(exc).__name__}: {exc}".strip()
    return "\n".join(text.splitlines()[:6])


def _row(grade_id, points, passed, key, message, status="graded"):
    return {"grade_id": grade_id, "points": points, "passed": bool(passed), "key": key,
            "message": message, "status": status}


def _run_test(code, namespace, label):
    """exec a test cell; (error or None, stdout, stderr)."""
    # this process's own garbage (a file an earlier submission's grading left to the collector) is
    # collected now, not in the middle of a check that records warnings and would blame the learner
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.collect()
    out, err = io.StringIO(), io.StringIO()
    error = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = lambda m, c, f, l, file=None, line=None: err.write(f"{c.__name__}: {m}\n")
        try:
            exec(compile(code, f"<test cell {label}>", "exec"), namespace)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # the verdict, whatever it is
            error = exc
    return error, out.getvalue(), err.getvalue()


# What the wire (trusted/wire.py) says when it loses the learner's process (the learner reads it in the verdict):
# The wire stays free of the course's imports, so its sentences are marked and translated here.
REMOTE_REASONS = (N_("the learner's code was still running after its time limit"),
                  N_("the learner's process stopped reading (it did not take a message in time)"),
                  N_("the learner's process ended"), N_("the learner's code did not finish in time"))


def _verdict(error, stderr, seconds):
    """(passed, key, message, status) of a test cell that ended with ``error`` (None: no error)."""
    if error is None:
        if stderr.strip():
            return (False, "stderr", tr("the cell wrote to stderr (nbgrader scores that as 0):") + "\n"
                    + stderr.strip()[:500],
                    "graded")
        return True, None, "", "graded"
    if isinstance(error, CheckFailed):
        return False, error.key, str(error), "graded"
    if isinstance(error, RemoteLost):
        if error.kind == "timeout":
            return (False, "timeout", tr("the test did not finish within {seconds:g} s: the learner's code was "
                                         "stopped ({reason})", seconds=seconds, reason=translated(error.reason)),
                    "graded")
        return False, "not_graded", translated(error.reason), f"not graded: {error.reason}"
    if isinstance(error, SystemExit):
        return False, "exit", tr("the cell called exit()"), "graded"
    if isinstance(error, NameError):
        return False, "not_defined", _first_lines(error), "graded"
    return False, "error", _first_lines(error), "graded"


@contextlib.contextmanager
def _call_limit(scale):
    """The checks' time limit for one learner call, scaled: in trusted grading every operation on
    a learner's object is a round trip between two processes, so a check that builds a graph of
    10,000 nodes through the learner's constructor takes seconds instead of milliseconds."""
    from ..tolerances import call_seconds
    base = call_seconds()
    old = os.environ.get("AUTOGRADER_CALL_SECONDS")
    os.environ["AUTOGRADER_CALL_SECONDS"] = f"{base * scale:g}"
    try:
        yield base * scale
    finally:
        if old is None:
            os.environ.pop("AUTOGRADER_CALL_SECONDS", None)
        else:
            os.environ["AUTOGRADER_CALL_SECONDS"] = old


def grade(submission_path, source_path, *, seconds=CELL_SECONDS, wrap=None, memory=MEMORY_BYTES,
          call_scale=CALL_SCALE):
    """One row per test cell of the source notebook, judged by this process (see the module doc).

    ``seconds``: the limit for each of the submission's cells in L and for each test cell here;
    ``call_scale``: the checks' limit for one call of learner code (``AUTOGRADER_CALL_SECONDS``,
    20 s by default) is multiplied by it; ``wrap(argv) -> argv`` starts L (for example as another
    user); ``memory``: L's address space in bytes.

    Each test cell is graded against the learner's names as the notebook leaves them at that test
    cell's place: the cells before it have run, the cells after it not yet (nbgrader's order)."""
    source = read_notebook(source_path)
    tests, topic = source_tests(source)
    if topic is None:
        raise ValueError(f"{source_path}: no `from autograder.checks import <topic> as check` in the source")
    try:
        sub = read_notebook(submission_path)
    except ValueError as exc:
        why = f"not graded: {exc}"
        return [_row(g, p, False, "not_graded", str(exc), why) for g, p, _ in tests]
    refused = refusal(sub, Path(source_path).parent.name if Path(source_path).stem == Path(source_path).parent.name
                      else None)
    if refused:
        return [_row(g, p, False, "not_graded", refused, f"not graded: {refused}") for g, p, _ in tests]
    test_ids = {g for g, _, _ in tests}
    cells, place = plan(sub, source, test_ids)
    tampered = tampering(cells, topic)
    autodiff = _autodiff_imports(cells)
    namespace = {"__name__": "__main__", "autograder": importlib.import_module("autograder"), "np": np, "numpy": np,
                 "check": fresh_checks(topic)}
    session = LearnerSession(cells, seconds=seconds, wrap=wrap, memory=memory)
    order = sorted(range(len(tests)), key=lambda k: (place.get(tests[k][0], float("inf")), k))
    rows = [None] * len(tests)
    try:
        with _call_limit(call_scale), i18n.speaking(i18n.notebook_language(sub)):
            for k in order:
                grade_id, points, code = tests[k]
                until = place.get(grade_id)
                rows[k] = _grade_one(session, namespace, grade_id, points, code, seconds, tampered, until,
                                     autodiff)
    finally:
        session.close()
        forget_session(topic)
    return rows


def _autodiff_imports(cells):
    """[(cell index, library)] of the submission's imports of libraries that differentiate for it."""
    from ..autodiff_libs import imports_in
    return [(index, lib) for index, code in cells for lib in imports_in(code)]


def _grade_one(session, namespace, grade_id, points, code, seconds, tampered=(), until=None, autodiff=()):
    try:
        ep = session.connect(until)
    except NotGraded as exc:
        return _row(grade_id, points, False, "not_graded", str(exc), f"not graded: {exc}")
    ep.deadline = time.monotonic() + seconds
    ep.course_code.clear()
    session.lost_reason = None
    cell_ns = dict(namespace)
    try:
        found = ep.names(_free_names(code))
        cell_ns.update({k: v for k, v in found.items() if isinstance(k, str)})
        error, _, stderr = _run_test(code, cell_ns, grade_id)
    except RemoteLost as exc:
        error, stderr = exc, ""
    namespace["check"] = cell_ns.get("check", namespace["check"])   # the hidden half's fresh module
    if isinstance(error, RemoteLost) and error.kind == "died" and session.lost_reason:
        error = RemoteLost(session.lost_reason, "died")
    passed, key, message, status = _verdict(error, stderr, seconds)
    refused_autodiff = [d for d in session.denied if "computes derivatives" in d]
    denied = [d for d in session.denied if d not in refused_autodiff]
    uses = list(dict.fromkeys(ep.course_code + denied))
    if tampered and not passed and status == "graded":
        key = "tampering"
        where = "; ".join(tr("cell {cell}", cell=i) + f": {line}" for i, line in tampered[:3])
        message = tr("your notebook tries to change the grading ({where}); that has no effect on the grade, "
                     "which comes from the course's own checks run apart from your code.", where=where) + f"\n{message}"
    if uses and not passed and key != "not_implemented":   # a stub not yet written is just that
        key = "uses_course_code"
        read = [d for d in denied if d.startswith("read the course's files")]
        code = list(dict.fromkeys(ep.course_code + read))
        other = [d for d in denied if d not in read]
        if code and other:
            what = tr("your notebook used the course's own code ({code}), which graded answers cannot use: write "
                      "your own and tried what graded code may not do ({other}).",
                      code="; ".join(code), other="; ".join(other))
        elif code:
            what = tr("your notebook used the course's own code ({code}), which graded answers cannot use: write "
                      "your own.", code="; ".join(code))
        else:
            what = tr("your notebook tried what graded code may not do ({other}).", other="; ".join(other))
        message = f"{what}\n{message}"
    libs = list(dict.fromkeys([lib for _, lib in autodiff] + [d.split()[1] for d in refused_autodiff]))
    if libs and not passed and status == "graded" and key != "not_implemented":
        key = "uses_autodiff"
        message = tr("your notebook imports {libs}, which computes derivatives for you: graded answers cannot use "
                     "it (the import is refused); write the derivative yourself.", libs=", ".join(libs)) + f"\n{message}"
    session.end_test()
    return _row(grade_id, points, passed, key, message, status)


# --- the baseline: the same test cells in this process, after the submission's cells ----------------------

def grade_in_process(submission_path, source_path, *, seconds=CELL_SECONDS):
    """What a kernel would say: the submission's cells and the source's test cells, each at its
    place in the notebook, in this process.  For parity tests and benchmarks; it runs the
    learner's code here."""
    from .. import loader
    source = read_notebook(source_path)
    tests, topic = source_tests(source)
    fresh_checks(topic)
    sub = read_notebook(submission_path)
    cells, place = plan(sub, source, {g for g, _, _ in tests})
    namespace = {"__name__": "__main__", "__file__": os.path.abspath(str(submission_path))}
    stops = namespace["__stops__"] = []
    namespace["exit"], namespace["quit"] = loader._StopsKernel(stops, "exit"), loader._StopsKernel(stops, "quit")
    label = os.path.basename(str(submission_path))
    pending = list(cells)
    history = namespace["_ih"] = []       # the cells run so far, as IPython keeps them (autodiff_libs)
    rows = [None] * len(tests)
    for k in sorted(range(len(tests)), key=lambda k: (place.get(tests[k][0], float("inf")), k)):
        grade_id, points, code = tests[k]
        until = place.get(grade_id)
        while pending and (until is None or pending[0][0] < until):
            index, text = pending.pop(0)
            history.append(text)
            loader._run_cell(loader._source({"source": text}), namespace, index, label, seconds)
        error, _, stderr = _run_test(code, namespace, grade_id)
        passed, key, message, status = _verdict(error, stderr, seconds)
        rows[k] = _row(grade_id, points, passed, key, message, status)
    return rows


def score(rows):
    return sum(r["points"] for r in rows if r["passed"])


def main(argv=None):
    """python -m autograder.trusted {grade,inprocess} SUBMISSION SOURCE: the rows as JSON."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m autograder.trusted")
    parser.add_argument("mode", choices=["grade", "inprocess"])
    parser.add_argument("submission")
    parser.add_argument("source")
    parser.add_argument("--seconds", type=float, default=CELL_SECONDS)
    args = parser.parse_args(argv)
    if args.mode == "grade":
        rows = grade(args.submission, args.source, seconds=args.seconds)
    else:
        rows = grade_in_process(args.submission, args.source, seconds=args.seconds)
    sys.stdout.write(json.dumps(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
