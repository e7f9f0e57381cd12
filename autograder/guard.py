"""Calling a learner's function without letting it take the check down.

``call`` turns everything that can go wrong *inside* the learner's code into
a ``CheckFailed`` with one readable sentence: a stub that is not written yet,
an exception, a warning (nbgrader scores any stderr output as 0, so a
warning would otherwise cost the points silently), a ``sys.exit``, or a
function that never returns.
"""
import contextlib
import io
import os
import signal
import sys
import threading
import warnings
from contextlib import contextmanager

import numpy as np

from .i18n import N_, tr, translated
from .tolerances import call_seconds


class CheckFailed(AssertionError):
    """A check found a problem; the message says what and where.

    ``key`` names the mistake (a catalog key such as ``"sign_flipped"``, or
    ``"not_implemented"``, ``"timeout"``, ``"exception"``...), and ``keys``
    maps each failing gradient's name to its key, for tests and tools.
    ``hint`` is the number of the exercise's hint that addresses the mistake (its
    ``<details>`` block "Hint N" in the notebook), or None; the notebook's check
    turns it into "see hint N of Exercise M".
    """

    def __init__(self, message, key="failed", keys=None, hint=None):
        super().__init__(message)
        self.key = key
        self.keys = dict(keys or {})
        self.hint = hint


class CheckSetupError(RuntimeError):
    """A check cannot judge anything with the inputs it was given (for example every entry's
    finite-difference step straddles a kink).  Meant for the course author: the learner's
    code is not at fault, so this is not a CheckFailed."""


class _OutOfTime(BaseException):
    """Raised by the alarm; a BaseException so `except Exception` in learner code cannot eat it."""


@contextmanager
def time_limit(seconds, state=None, on_line=None):
    """Interrupt the body after ``seconds`` (main thread on Unix; elsewhere no limit).

    A first SIGALRM raises ``_OutOfTime``.  Code that swallows it (``except
    BaseException: pass`` inside a loop) is met by a line tracer that raises
    again on the next line it runs, re-armed every 50 ms, so even a loop that
    catches everything is stopped and the check can report it.  ``state`` (a dict)
    gets ``raised`` (the alarm fired); ``on_line(frame)`` is called for each line
    the tracer stops (the notebook loader uses it to see a cell that kept going).
    """
    usable = (seconds and seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return
    state = {} if state is None else state
    state.update(active=True, raised=False)

    def _tracer(frame, event, arg):
        if state["active"] and event == "line":
            if on_line is not None:
                on_line(frame)
            raise _OutOfTime()
        return _tracer if state["active"] else None

    def _alarm(signum, frame):
        if not state["active"]:
            return
        while frame is not None:
            frame.f_trace = _tracer
            frame = frame.f_back
        sys.settrace(_tracer)
        state["raised"] = True
        raise _OutOfTime()

    previous = signal.signal(signal.SIGALRM, _alarm)
    previous_trace = sys.gettrace()
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)
    try:
        yield
    finally:
        while True:  # an alarm may land inside this block: retry until it is all undone
            try:
                state["active"] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                sys.settrace(previous_trace)
                signal.signal(signal.SIGALRM, previous)
                break
            except _OutOfTime:
                continue


# math.cos(array) and float(array) say "only 0-dimensional (length-1, size-1) arrays can be
# converted to Python scalars", depending on the numpy version.
MATH_ON_ARRAY = N_("a function from Python's math module (math.cos, math.exp, ...) met an array: "
                 "use numpy's (np.cos, np.exp), which work entry by entry")

# Hints for exceptions learners commonly meet: (exception type, text in the message, hint).
EXCEPTION_HINTS = [
    (ValueError, "matmul", N_("a matrix product got operands whose inner dimensions differ: "
                           "check the order of the operands and which one needs .T")),
    (ValueError, "truth value", N_("an `if`, `and`, `or` or Python's max() met a whole array: "
                                "use np.maximum or np.where to choose entry by entry")),
    (ValueError, "shapes", N_("two arrays with incompatible shapes met: print the shapes of the operands")),
    (ValueError, "broadcast", N_("two arrays could not be broadcast together: print their shapes")),
    (TypeError, "only 0-dimensional arrays", MATH_ON_ARRAY),
    (TypeError, "only length-1 arrays", MATH_ON_ARRAY),
    (TypeError, "only size-1 arrays", MATH_ON_ARRAY),
    (TypeError, "unpack", N_("the number of values returned or unpacked is off: "
                          "forward returns (out, cache), backward one gradient per input")),
    (TypeError, "NoneType", N_("something is None: did a function forget to `return`?")),
    (NameError, "", N_("a name is not defined: did you run the cell that defines it, or misspell it?")),
    (IndexError, "", N_("an index is out of range: check the shapes you index into")),
    (RecursionError, "", N_("the function calls itself without end")),
]

# Exceptions whose cause numpy's own message already gives away: (exception type, text in the
# message, key, sentence).  The sentence replaces "X raised E: ..." as the first line, with the
# exception kept after it; {op} is the in-place operator of the ufunc named in the message.
_OPS = {"divide": "/", "true_divide": "/", "multiply": "*", "add": "+", "subtract": "-", "power": "**",
        "floor_divide": "//"}
NAMED_EXCEPTIONS = [
    (TypeError, "Cannot cast ufunc", "integer_in_place",
     N_("{what}: an in-place `{op}=` put a float result into an array of integers, which numpy refuses: an "
     "input here holds integers (or the array you write into was made from one, such as np.zeros_like(x)). "
     "Build a new array instead (g = g {op} d, not g {op}= d), or start from floats: "
     "x = np.asarray(x, dtype=float).")),
    (ValueError, "Integers to negative integer powers", "integer_negative_power",
     N_("{what}: a negative power of an array of integers (x ** -2), which numpy refuses: an input here holds "
     "integers. Write 1 / x**2 (true division gives floats), or start from floats: "
     "x = np.asarray(x, dtype=float).")),
]


def named_exception(exc, what):
    """(key, sentence) for an exception whose cause is clear from its message, else None."""
    import re
    text = str(exc)
    for kind, needle, key, sentence in NAMED_EXCEPTIONS:
        if isinstance(exc, kind) and needle in text:
            if key == "integer_in_place" and not re.search(r"to dtype\('(int|uint|bool)", text):
                continue
            ufunc = re.search(r"ufunc '(\w+)'", text)
            op = _OPS.get(ufunc.group(1), "op") if ufunc else "op"
            first = text.strip().splitlines()[0] if text.strip() else ""
            return key, translated(sentence).format(what=what, op=op) + f"\n  ({type(exc).__name__}: {first})"
    return None


WARNING_HINTS = [
    ("overflow", N_("an exp (or power) overflowed: for large inputs rewrite the formula so that "
                 "exp only ever sees numbers <= 0, for example with np.exp(-np.abs(x))")),
    ("divide by zero", N_("a division by zero: make sure the denominator cannot be 0")),
    ("invalid value", N_("an invalid operation produced nan (0/0, inf - inf or log of a negative number)")),
]


def _hint(table, exc_type, text):
    for row in table:
        kind, needle, hint = row if len(row) == 3 else (None,) + row
        if (kind is None or issubclass(exc_type, kind)) and needle.lower() in text.lower():
            return translated(hint)
    return None


_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _stub_name(exc, fn, what):
    """The stub that raised NotImplementedError when the learner's code reached it through another
    of its functions (``two_layer_net`` calling an unfinished ``relu_forward``), as ``name`` or
    ``Class.method``; None when the function checked is itself the stub."""
    import traceback
    learner = [frame for frame, _ in traceback.walk_tb(exc.__traceback__)
               if not os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE)
               and not frame.f_code.co_name.startswith("<")]
    if len(learner) < 2:
        return None
    frame = learner[-1]
    code = frame.f_code
    name = code.co_name
    if code.co_argcount and code.co_varnames[0] == "self" and "self" in frame.f_locals:
        name = f"{type(frame.f_locals['self']).__name__}.{name}"
    if name.rsplit(".", 1)[-1] in (getattr(fn, "__name__", None), what) or name in str(what):
        return None
    return name


def warning_sentence(what, w):
    """The sentence for a warning (a ``warnings.WarningMessage``) emitted by ``what``."""
    text = str(w.message)
    hint = _hint(WARNING_HINTS, w.category, text)
    return (tr("{what} emitted a warning ({category}: {text}). Correct code is warning-free, and nbgrader gives "
               "0 points to a test cell that prints a warning.", what=what, category=w.category.__name__, text=text)
            + ("\n  " + tr("hint: {hint}", hint=hint) if hint else ""))


def stderr_sentence(what, text):
    """The one sentence for code that wrote to stderr, the same in the kernel's check cell and in
    ``course-check`` (whose loader sees the stderr of a whole test cell)."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = first if len(first) <= 200 else first[:197] + "..."
    return tr("{what} wrote to stderr, and nbgrader scores a test cell that writes to stderr as 0: {first!r}; "
              "remove that print(..., file=sys.stderr) or logging call.", what=what, first=first)


def call(fn, *args, what):
    """Run ``fn(*args)``; turn any misbehaviour into a CheckFailed about ``what``."""
    if not callable(fn):
        raise CheckFailed(tr("{what}: expected a function, got {kind}.",
                             what=what, kind=type(fn).__name__), key="not_callable")
    seconds = call_seconds()
    err = io.StringIO()
    try:
        with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn", under="ignore"), \
                contextlib.redirect_stderr(err):
            warnings.simplefilter("always")
            with time_limit(seconds):
                result = fn(*args)
    except NotImplementedError as exc:
        inner = _stub_name(exc, fn, what)
        if inner is not None:
            from .checks import exercise_for
            found = exercise_for(inner)
            where = (tr("Exercise {number} ({title})", number=found[0], title=translated(found[1])) if found
                     else tr("its exercise"))
            raise CheckFailed(tr("{what} calls {inner}, which is not implemented yet: finish {where} first, then run this "
                                 "check again.",
                                 what=what, inner=inner, where=where), key="not_implemented") from None
        raise CheckFailed(tr("{what} is not implemented yet: replace `raise NotImplementedError()` with your code, "
                             "run that cell, then run this check again.",
                             what=what),
                          key="not_implemented") from None
    except _OutOfTime:
        raise CheckFailed(tr("{what} did not finish within {seconds:g} s and was stopped: is there a loop that never "
                             "ends?",
                             what=what, seconds=seconds), key="timeout") from None
    except SystemExit:
        raise CheckFailed(tr("{what} called exit(): a function must return its result, not stop Python.",
                             what=what),
                          key="exit") from None
    except CheckSetupError:
        raise
    except RecursionError:
        raise CheckFailed(tr("{what} raised RecursionError: the function calls itself without end.",
                             what=what),
                          key="recursion") from None
    except Exception as exc:  # the learner's code may raise anything
        named = named_exception(exc, what)
        if named is not None:
            raise CheckFailed(named[1], key=named[0]) from None
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        hint = _hint(EXCEPTION_HINTS, type(exc), text)
        sentence = (tr("{what} raised {error}: {text}", what=what, error=type(exc).__name__, text=text) if text
                    else tr("{what} raised {error}", what=what, error=type(exc).__name__))
        raise CheckFailed(sentence + ("\n  " + tr("hint: {hint}", hint=hint) if hint else ""),
                          key="exception") from None
    if caught:
        raise CheckFailed(warning_sentence(what, caught[0]), key="warning")
    if err.getvalue().strip():
        raise CheckFailed(stderr_sentence(what, err.getvalue()), key="stderr")
    return result
