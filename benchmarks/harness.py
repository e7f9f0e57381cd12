"""What every benchmark here shares: timing in paired rounds, ratios with their spread, the machine.

Timing.  Each function is called a few times first (warm-up: caches, allocator, lazy imports),
then timed in *rounds*: in every round each function runs ``number`` calls back to back, and the
functions take turns within the round (their order rotates from one round to the next).  A
ratio is computed round by round, from two times measured seconds apart, so a change in the
machine's load during the run moves both sides; the report gives the median of the per-round
ratios and their spread (min-max).

Clocks.  ``use_clock("cpu")`` times with the process's CPU time (``time.process_time``): the time
the work ran, not the time it waited while other jobs had the cores, which makes figures taken
on a shared machine repeatable (with one thread; with more, CPU time adds up the threads).
``use_clock("wall")`` (the default) times with ``time.perf_counter``.  Page faults
(``minor_faults``) are counted, not timed.

Threads.  ``limit_threads(n)`` must run before numpy is imported (it sets the variables BLAS
libraries read at start-up); ``blas_threads()`` asks the loaded OpenBLAS how many threads it
really uses, and ``set_blas_threads(n)`` changes it at run time when numpy is already imported.
"""
import contextlib
import ctypes
import datetime
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


_ORIGINAL = {}


def limit_threads(n):
    """Set the thread variables of BLAS and OpenMP to n (before numpy or torch is imported)."""
    for var in THREAD_VARIABLES:
        _ORIGINAL.setdefault(var, os.environ.get(var))
        os.environ[var] = str(n)


@contextlib.contextmanager
def default_threads():
    """Inside: the thread variables as they were before limit_threads, so that the processes started
    here (kernels, course-check, nbgrader) run as they do for a learner or an instructor."""
    saved = {var: os.environ.get(var) for var in _ORIGINAL}
    try:
        for var, value in _ORIGINAL.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
        yield
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


# ---------------------------------------------------------------------------------------------
# Statistics


@dataclass
class Stat:
    """A median and the spread (min, max) of n samples."""

    median: float
    lo: float
    hi: float
    n: int

    @classmethod
    def of(cls, samples):
        samples = [float(s) for s in samples]
        if not samples:
            raise ValueError("no samples")
        return cls(statistics.median(samples), min(samples), max(samples), len(samples))

    @property
    def spread(self):
        """(hi - lo) / median: the relative width of the range."""
        return (self.hi - self.lo) / self.median if self.median else math.inf

    def scaled(self, factor):
        return Stat(self.median * factor, self.lo * factor, self.hi * factor, self.n)

    def as_dict(self):
        return asdict(self)


@dataclass
class Timing:
    """Seconds per call, one sample per round."""

    samples: list
    number: int = 1
    warmup: int = 0

    @property
    def stat(self):
        return Stat.of(self.samples)

    @property
    def median(self):
        return statistics.median(self.samples)

    def as_dict(self):
        return {"samples": list(self.samples), "number": self.number, "warmup": self.warmup,
                **{k: v for k, v in self.stat.as_dict().items()}}


def ratio(a, b):
    """The per-round ratio a / b of two Timings measured in the same rounds: its median and range."""
    if len(a.samples) != len(b.samples):
        raise ValueError(f"the timings have {len(a.samples)} and {len(b.samples)} rounds; "
                         "a paired ratio needs the same rounds")
    return Stat.of([x / y for x, y in zip(a.samples, b.samples)])


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
CLOCK = time.perf_counter


def use_clock(name):
    """Time with the wall clock ("wall") or with this process's CPU time ("cpu": the time the
    process ran, whatever else the machine does; meaningful when the work runs on threads of this
    process only)."""
    global CLOCK
    CLOCK = CLOCKS[name]


def calls_per_sample(fn, target_seconds):
    """How many back-to-back calls of fn take about target_seconds (at least 1)."""
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, min(1_000_000, int(math.ceil(target_seconds / once))))


def compare(functions, *, rounds=7, target_seconds=0.02, warmup=2, number=None, clock=None):
    """Time several functions in the same rounds.

    functions: {name: zero-argument callable}.  Returns {name: Timing}, the samples of each round
    in the same order, so ``ratio(result[a], result[b])`` pairs them round by round.
    ``number`` fixes the calls per sample; otherwise each function gets enough calls to fill
    about ``target_seconds`` per sample.
    """
    clock = clock or CLOCK
    names = list(functions)
    for name in names:
        for _ in range(warmup):
            functions[name]()
    counts = {name: number or calls_per_sample(functions[name], target_seconds) for name in names}
    samples = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            fn, k = functions[name], counts[name]
            start = clock()
            for _ in range(k):
                fn()
            samples[name].append((clock() - start) / k)
    return {name: Timing(samples[name], counts[name], warmup) for name in names}


def minor_faults(fn, calls=5):
    """Minor page faults per call of fn (after two calls to settle), or None where the OS does not
    say.  A page fault is the kernel handing the process a fresh page of memory (and zeroing it):
    a count that, unlike a time, does not depend on the load of the machine."""
    try:
        import resource
    except ImportError:
        return None
    fn()
    fn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        fn()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


def time_once(fn):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


# ---------------------------------------------------------------------------------------------
# BLAS threads, read from the library itself


def _openblas():
    """The OpenBLAS library numpy loaded (ctypes handle) or None."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as fh:
            paths = {line.split()[-1] for line in fh if "openblas" in line.lower() and "/" in line}
    except OSError:
        paths = set()
    for path in sorted(paths):
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


_GET = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads")
_SET = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads")


def blas_threads():
    """Threads the loaded OpenBLAS uses, or None when that cannot be asked."""
    import numpy  # noqa: F401  (loads the library)
    lib = _openblas()
    for name in _GET if lib is not None else ():
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.restype = ctypes.c_int
            return int(fn())
    return None


def set_blas_threads(n):
    """Ask the loaded OpenBLAS to use n threads; True if it could be asked."""
    import numpy  # noqa: F401
    lib = _openblas()
    for name in _SET if lib is not None else ():
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.argtypes = [ctypes.c_int]
            fn(int(n))
            return True
    return False


# ---------------------------------------------------------------------------------------------
# The machine


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _git(*args):
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def numpy_blas():
    import numpy as np
    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # numpy < 1.26 prints instead
        return {"name": "unknown", "version": "", "configuration": ""}
    blas = config.get("Build Dependencies", {}).get("blas", {})
    simd = config.get("SIMD Extensions", {})
    return {"name": blas.get("name", "unknown"), "version": blas.get("version", ""),
            "configuration": blas.get("openblas configuration", ""),
            "simd": simd.get("found", []) if isinstance(simd, dict) else []}


def torch_description():
    """Version, BLAS and threads of PyTorch, or None when it is not installed."""
    torch = optional_torch()
    if torch is None:
        return None
    shown = torch.__config__.show()
    blas = next((part.split("=", 1)[1] for part in shown.replace(",", " ").split() if part.startswith("BLAS_INFO=")), "")
    mkl = next((line.strip(" -") for line in shown.splitlines() if "Math Kernel Library" in line), "")
    return {"version": torch.__version__, "blas": blas, "blas_detail": mkl,
            "threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads()}


def optional_torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def machine():
    """Everything that describes where the figures were measured."""
    import numpy as np
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    mem = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kb = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
            mem = round(kb / 1024 ** 2, 1)
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu_model(), "machine": platform.machine(), "logical_cores": os.cpu_count(),
        "usable_cores": usable, "memory_gib": mem, "os": platform.platform(terse=True),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": np.__version__, "blas": numpy_blas(), "blas_threads": blas_threads(),
        "thread_variables": {v: os.environ.get(v) for v in THREAD_VARIABLES if os.environ.get(v)},
        "torch": torch_description(), "load_average": load_average(),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


@dataclass
class Section:
    """One section's results with the load of the machine around it."""

    name: str
    clock: str = ""
    started: str = ""
    seconds: float = 0.0
    load_before: list = field(default_factory=list)
    load_after: list = field(default_factory=list)
    data: dict = field(default_factory=dict)


def run_section(name, fn, *args, clock=None, **kwargs):
    """Run fn(*args, **kwargs) -> dict, recording time and load; returns a Section as a dict.
    ``clock`` labels the section's clock (default: the one compare() uses)."""
    clock = clock or next(k for k, v in CLOCKS.items() if v is CLOCK)
    section = Section(name, clock=clock, started=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                      load_before=load_average())
    start = time.perf_counter()
    section.data = fn(*args, **kwargs)
    section.seconds = round(time.perf_counter() - start, 1)
    section.load_after = load_average()
    print(f"  [{name}: {section.seconds:.0f} s, load average {section.load_after}]", file=sys.stderr)
    return asdict(section)
