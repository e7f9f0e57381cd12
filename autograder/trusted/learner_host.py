"""The learner's process (L): run a submission's code, then answer the grader's requests.

Started by ``autograder.trusted`` from a private copy (``<host>/_course_host/``), with no access
to the course's package: ``autograder`` here is a *stub*.  ``import autograder`` and
``from autograder.checks import chain_rule as check`` work, so the notebook's setup cell runs,
but every object of the stub (``check.sigmoid``, ``autograder.checks.reference.sigmoid``,
``autograder.numeric.gradient``, ``autograder.check_grad``, ...) raises ``CourseCodeUnavailable``
when it is used, and each use is reported to the grader, which names it (``uses_course_code``).
One module is real: ``autograder.datasets`` (notebook 05 loads its data with it: data, not
answers; none of its functions is an exercise or a check's reference).

Imports only numpy and the standard library (and the wire's modules, next to this file).

Sequence: G sends ``{"cells": [[index, source], ...], "seconds": s, "skip": [...]}``; L runs the
cells in order, each under a time limit (a cell that raises, loops or exits is recorded and the
next one runs), telling G ``{"note": "cell", "i": index}`` before each; then ``{"ready": ...}``;
then L serves requests (``Endpoint``) until G says goodbye.
"""
import builtins
import importlib.abc
import importlib.machinery
import importlib.util
import io
import os
import signal
import sys
import threading
import tracemalloc
import types
import warnings

import numpy as np

from .. import autodiff_libs
from .endpoint import Endpoint
from .wire import MAX_TEXT, MAX_WARNINGS, Wire

CELL_SECONDS = 60.0
OUTPUT_LIMIT = 1 << 16

UNAVAILABLE = ("the course's library is not available to graded answers: write your own code "
               "({path} was used)")


class CourseCodeUnavailable(RuntimeError):
    """An answer used the course's own library (its checks, references or helpers)."""


CourseCodeUnavailable.__module__ = "autograder"
USES = []


def _use(path):
    if len(USES) < 100_000:         # every use is reported with the request it happened in
        USES.append(path)
    raise CourseCodeUnavailable(UNAVAILABLE.format(path=path))


def _is_dunder(name):
    return name.startswith("__") and name.endswith("__")


class _Poison:
    """Stands for an object of the course's library: using it raises CourseCodeUnavailable."""

    __slots__ = ("_path",)

    def __init__(self, path):
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name):
        if _is_dunder(name):
            raise AttributeError(name)
        return _Poison(f"{self._path}.{name}")

    def __setattr__(self, name, value):
        pass          # a learner's patch of the stub changes nothing anywhere

    def __call__(self, *args, **kwargs):
        _use(self._path)

    def __repr__(self):
        return f"<{self._path}: the course's library, not available to graded answers>"

    def __bool__(self):
        _use(self._path)

    def __iter__(self):
        _use(self._path)

    def __len__(self):
        _use(self._path)

    def __getitem__(self, key):
        _use(self._path)

    def __float__(self):
        _use(self._path)


def _poisoned_operator(name):
    def method(self, *args):
        _use(object.__getattribute__(self, "_path"))
    method.__name__ = name
    return method


for _op in ["add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow", "neg", "pos", "abs",
            "radd", "rsub", "rmul", "rmatmul", "rtruediv", "rpow", "lt", "le", "gt", "ge", "array"]:
    setattr(_Poison, f"__{_op}__", _poisoned_operator(f"__{_op}__"))


class _PoisonModule(types.ModuleType):
    """A module of the stub: its attributes are poison (``autograder.datasets`` is real)."""

    def __getattr__(self, name):
        if _is_dunder(name):
            raise AttributeError(name)
        if self.__name__ == "autograder" and name == "datasets":
            return importlib.import_module("autograder.datasets")
        return _Poison(f"{self.__name__}.{name}")


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import autograder.<anything>`` gives a stub module, except ``autograder.datasets``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith("autograder.") and fullname != "autograder.datasets":
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _PoisonModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def install_stub(package_dir):
    """Put the stub ``autograder`` in ``sys.modules`` (and its finder first on ``sys.meta_path``)."""
    stub = _PoisonModule("autograder")
    stub.__path__ = [package_dir]
    stub.__file__ = os.path.join(package_dir, "__init__.py")
    stub.CourseCodeUnavailable = CourseCodeUnavailable
    sys.modules["autograder"] = stub
    sys.meta_path.insert(0, _StubFinder())
    return stub


# --- the course's files stay closed ------------------------------------------------------------------

DENIED = []            # what the submission tried and was refused (reported to the grader)
_BLOCKED_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                   "os.forkpty", "pty.spawn", "os.symlink", "os.link", "ctypes.dlopen", "ctypes.dlsym",
                   "ctypes.dlsym/handle", "ctypes.call_function", "ctypes.string_at", "ctypes.wstring_at",
                   "ctypes.PyObj_FromPtr", "ctypes.addressof", "ctypes.cdata")
_PATH_EVENTS = ("open", "os.listdir", "os.scandir", "os.chdir", "shutil.copyfile", "os.rename",
                "os.truncate", "os.mkdir", "os.remove", "os.rmdir")


# modules through which a program can be started without an audit event (subprocess's own core)
_BLOCKED_MODULES = ("_posixsubprocess",)


def install_guard(deny, allow):
    """An audit hook (it cannot be removed) that refuses to open, list or touch anything under the
    ``deny`` roots (the course's package and its folder: the checks, the references, the source
    notebooks with their hidden tests, other submissions) except under the ``allow`` roots (the
    Python installation, this host directory), whatever the spelling of the path (``//course``,
    ``/proc/self/root/course``, a symlink: the real path is compared); refuses to start programs
    (``subprocess``, ``os.fork``, ``_posixsubprocess``, whose ``fork_exec`` has no audit event of
    its own) or to call C through ctypes (which would bypass it); and refuses to import libraries
    that compute derivatives (``autodiff_libs``).  Not a sandbox on its own (see
    docs/integrity.md): the operating system's isolation (``wrap``) is; this closes the easy
    routes when there is none, and names what was tried."""
    folders = {}

    def real(path):
        """os.path.realpath, its folder part remembered (L opens hundreds of module files; graded
        code can neither make a link nor move a folder, so a folder's real path stays true)."""
        head, tail = os.path.split(path)
        where = folders.get(head)
        if where is None:
            where = os.path.realpath(head)
            if len(folders) < 10_000:
                folders[head] = where
        full = os.path.join(where, tail)
        return os.path.realpath(full) if tail in ("", ".", "..") or os.path.islink(full) else full

    deny = [os.path.realpath(d) for d in deny if d]
    allow = [os.path.realpath(a) for a in allow if a]

    def under(path, roots):
        return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)

    def refuse(what, error=PermissionError):
        if len(DENIED) < 100_000:
            DENIED.append(what)
        raise error(f"graded code cannot {what}")

    def hook(event, args):
        if event in _PATH_EVENTS:
            path = args[0] if args else None
            if isinstance(path, bytes):
                path = os.fsdecode(path)
            if not isinstance(path, str):
                return
            full = real(os.path.normpath(os.path.join(os.getcwd(), path)))
            if under(full, deny[:1]) or (under(full, deny[1:]) and not under(full, allow)):
                refuse(f"read the course's files ({full})")
        elif event == "import":
            name = args[0] if args else None
            lib = autodiff_libs.is_autodiff(name)
            if lib:
                refuse(f"import {lib} (it computes derivatives for you)", ImportError)
            if name in _BLOCKED_MODULES:     # the stub below was taken out of sys.modules
                refuse(f"import {name} (it starts programs)", ImportError)
        elif event in _BLOCKED_EVENTS or event.startswith("ctypes."):
            refuse(f"use {event}")

    # ``subprocess`` stays importable (libraries import it), but its core is a stub that refuses
    for name in _BLOCKED_MODULES:
        stub = types.ModuleType(name)

        def blocked(*args, _name=name, **kwargs):
            refuse(f"use {_name}.fork_exec (it starts programs)")
        stub.fork_exec = blocked
        sys.modules[name] = stub
        sub = sys.modules.get("subprocess")
        if sub is not None and hasattr(sub, name):
            setattr(sub, name, stub)
    sys.addaudithook(hook)


# --- output and the learner context around each request ------------------------------------------

class Bounded(io.TextIOBase):
    """A text stream that keeps at most ``limit`` characters until taken."""

    def __init__(self, limit=OUTPUT_LIMIT):
        self.limit, self.parts, self.size = limit, [], 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = self.limit - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(len(text), room)
        return len(text)

    def take(self):
        text = "".join(self.parts)
        self.parts, self.size = [], 0
        return text


OUT, ERR = Bounded(), Bounded()
_MODES = {"ignore", "warn", "raise", "print"}


class LearnerContext:
    """Around learner code run for a request: numpy's error state as the grader has it, warnings
    recorded (the grader re-emits them where its check can see them), output collected, the peak
    memory traced when the grader traces, and uses of the stub reported."""

    def __init__(self, header, sidecar, count=None):
        self.header, self.sidecar = header, sidecar
        self.count = getattr(getattr(count, "__func__", count), "__code__", None)

    def _profile(self, frame, event, arg):
        if event == "call" and frame.f_code is self.count:
            self.calls += 1

    def __enter__(self):
        self.uses, self.denied = len(USES), len(DENIED)
        if self.count is not None:    # the grader counts the calls of one function (a forward pass)
            self.calls, self.previous_profile = 0, sys.getprofile()
            sys.setprofile(self._profile)
        self.warn = warnings.catch_warnings(record=True)
        self.caught = self.warn.__enter__()
        warnings.simplefilter("always")
        es = self.header.get("es")
        settings = {k: v for k, v in es.items() if k in ("divide", "over", "under", "invalid") and v in _MODES} \
            if isinstance(es, dict) else {}
        self.errstate = np.errstate(**settings)
        self.errstate.__enter__()
        self.trace = bool(self.header.get("tm"))
        if self.trace:
            self.started = not tracemalloc.is_tracing()
            if self.started:
                tracemalloc.start()
            tracemalloc.reset_peak()
            self.base = tracemalloc.get_traced_memory()[0]
        return self

    def __exit__(self, *exc):
        if self.count is not None:
            sys.setprofile(self.previous_profile)
            self.sidecar["fc"] = self.calls
        if self.trace:
            self.sidecar["pk"] = max(0, tracemalloc.get_traced_memory()[1] - self.base)
            if self.started:
                tracemalloc.stop()
        self.errstate.__exit__(None, None, None)
        self.warn.__exit__(None, None, None)
        if self.caught:
            self.sidecar["w"] = [[w.category.__name__, w.category.__module__, str(w.message)[:2000],
                                  str(w.filename)[:200], int(w.lineno or 0)]
                                 for w in self.caught[:MAX_WARNINGS]]
        out, err = OUT.take(), ERR.take()
        if out:
            self.sidecar["o"] = out[:MAX_TEXT]
        if err:
            self.sidecar["e"] = err[:MAX_TEXT]
        uses = list(dict.fromkeys(USES[self.uses:] + DENIED[self.denied:]))
        if uses:
            self.sidecar["cc"] = uses[:20]
        return False


# --- running the submission's cells ------------------------------------------------------------------

class _OutOfTime(BaseException):
    pass


class _time_limit:
    """Stop the body after ``seconds`` (SIGALRM, then a line tracer for code that swallows it)."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        self.usable = (self.seconds and self.seconds > 0 and hasattr(signal, "setitimer")
                       and threading.current_thread() is threading.main_thread())
        if not self.usable:
            return self
        state = self.state = {"active": True}

        def tracer(frame, event, arg):
            if state["active"] and event == "line":
                raise _OutOfTime()
            return tracer if state["active"] else None

        def alarm(signum, frame):
            if not state["active"]:
                return
            while frame is not None:
                frame.f_trace = tracer
                frame = frame.f_back
            sys.settrace(tracer)
            raise _OutOfTime()

        self.previous = signal.signal(signal.SIGALRM, alarm)
        self.previous_trace = sys.gettrace()
        signal.setitimer(signal.ITIMER_REAL, self.seconds, 0.05)
        return self

    def __exit__(self, *exc):
        if not self.usable:
            return False
        while True:
            try:
                self.state["active"] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                sys.settrace(self.previous_trace)
                signal.signal(signal.SIGALRM, self.previous)
                break
            except _OutOfTime:
                continue
        return False


def _source(src):
    lines = [("pass  # " + line) if line.lstrip().startswith(("%", "!")) else line
             for line in str(src).splitlines()]
    return "\n".join(lines)


def run_cell(source, namespace, index, seconds):
    """exec one cell; '' or one line saying what went wrong."""
    message = ""
    try:
        with _time_limit(seconds):
            exec(compile(_source(source), f"<cell {index}>", "exec"), namespace)
    except _OutOfTime:
        message = f"the cell did not finish within {seconds:g} s and was stopped"
    except SystemExit:
        message = "the cell called exit()"
    except BaseException as exc:   # anything the learner's code may raise
        text = f"{type(exc).__name__}: {exc}".strip().splitlines()
        message = text[0][:500] if text else type(exc).__name__
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        try:
            plt.close("all")
        except Exception:
            pass
    OUT.take()
    ERR.take()
    return message


def main(host):
    """Entry point in L (see ``autograder.trusted`` for the command line)."""
    try:
        _main(host)
    except BaseException:
        import traceback
        os.write(2, traceback.format_exc().encode("utf-8", "replace")[-4000:])
        os._exit(70)
    os._exit(0)


def _main(host):
    rfd, wfd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdin = open(os.devnull)
    sys.stdout, sys.stderr = OUT, ERR
    wire = Wire(rfd, wfd, nonblocking=False)
    header, _ = wire.recv(None)
    cells = [c for c in header.get("cells", []) if isinstance(c, list) and len(c) == 2]
    seconds = float(header.get("seconds", CELL_SECONDS))
    skip = set(header.get("skip", []))
    until = header.get("until")
    install_stub(os.path.join(host, "autograder"))
    guard = header.get("guard")
    if isinstance(guard, dict):
        install_guard(list(guard.get("deny", [])), list(guard.get("allow", [])) + [host])
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    # the cells run in order, up to the next test cell's place in the notebook (as nbgrader runs
    # them): the grader asks for the rest, test by test ("advance")
    pending = [c for c in cells if c[0] not in skip]

    def run_until(limit, note=None):
        failed = []
        while pending and (limit is None or pending[0][0] < limit):
            index, source = pending.pop(0)
            if note is not None:
                note(index)
            message = run_cell(source, namespace, index, seconds)
            if message:
                failed.append([index, message])
        return failed

    failed = run_until(until, lambda index: wire.send({"note": "cell", "i": index}))
    endpoint = Endpoint(wire, trusted=False, namespace=namespace, context=LearnerContext)
    seen = len(DENIED)

    def advance(args):
        nonlocal seen
        limit = args.get("u")
        done = run_until(limit if isinstance(limit, int) else None)
        denied, seen = DENIED[seen:], len(DENIED)
        return {"failed": done, "denied": list(dict.fromkeys(denied))[:20]}

    endpoint.ops["advance"] = advance
    wire.send({"ready": 1, "failed": failed, "denied": list(dict.fromkeys(DENIED))[:20]})
    seen = len(DENIED)
    endpoint.serve_forever()


BOOT = ("import sys, json\n"
        "host, extra = sys.argv[1], json.loads(sys.argv[2])\n"
        "sys.path[:] = [host] + [p for p in sys.path if p] + extra\n"
        "from _course_host.trusted.learner_host import main\n"
        "main(host)\n")
