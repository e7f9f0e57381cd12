"""The mistake-replay catalog through the REAL check cell in a Jupyter kernel: each mistake's cell
replaces its answer cell, the notebook is run cell by cell up to the part's test cell (hidden
tests included, as nbgrader runs it), and the CheckFailed the cell raised must carry the catalog's
key, which tests/checks/test_mistakes.py asserts the kernel-free grade gives (benchmarks/mistakes.py
--kernel compares the two messages too).  One kernel per notebook, reused."""
import pytest

from mistakes import Kernel, catalogs, replay_in_kernel, solution_notebook

CATALOGS = catalogs()


# A kernel serves this many replays, then a new one starts (about a second): each replay in one
# kernel takes longer than the one before (01's rows, 40 at a time in one kernel: 18.6 s, 23.5 s,
# 30.6 s, 34.5 s), though its objects, modules, threads and files stay as many; its open figures were
# one cause (Kernel.fresh closes them now), the rest is not found yet.
REPLAYS_PER_KERNEL = 30


@pytest.fixture(scope="module")
def kernels():
    started, used = {}, {}

    def kernel(assignment):     # one per notebook at a time (setdefault would start one per call)
        if used.get(assignment, 0) >= REPLAYS_PER_KERNEL:
            started.pop(assignment).__exit__(None, None, None)
        if assignment not in started:
            started[assignment] = Kernel(solution_notebook(assignment)[0].parent).__enter__()
            used[assignment] = 0
        used[assignment] += 1
        return started[assignment]
    yield kernel
    for kernel in started.values():
        kernel.__exit__(None, None, None)


CASES = [(a, m) for a, rows in CATALOGS.items() for m in rows]


@pytest.mark.parametrize("assignment, mistake", CASES, ids=[f"{a}:{m.part}:{m.key}" for a, m in CASES])
def test_mistake_in_the_kernel_gets_the_graded_key(kernels, assignment, mistake):
    """Does the check cell in a kernel name the mistake with the key of the graded path?"""
    in_kernel = replay_in_kernel(kernels(assignment), assignment, mistake)
    assert in_kernel.caught, f"{mistake.what}: passed its check cell in the kernel"
    assert in_kernel.key == mistake.key, (
        f"{mistake.what}: the kernel says {in_kernel.key!r}, the catalog {mistake.key!r}\n{in_kernel.message}")
