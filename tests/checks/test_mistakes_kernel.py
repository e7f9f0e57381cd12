"""The mistake-replay catalog through the REAL check cell in a Jupyter kernel: each mistake's cell
replaces its answer cell, the notebook is run cell by cell up to the part's test cell (hidden
tests included, as nbgrader runs it), and the CheckFailed the cell raised must carry the catalog's
key, which tests/checks/test_mistakes.py asserts the kernel-free grade gives (benchmarks/mistakes.py
--kernel compares the two messages too).  One kernel per notebook, reused."""
import pytest

from mistakes import Kernel, catalogs, replay_in_kernel, solution_notebook

CATALOGS = catalogs()


@pytest.fixture(scope="module")
def kernels():
    started = {}

    def kernel(assignment):     # one per notebook (setdefault would start one per call)
        if assignment not in started:
            started[assignment] = Kernel(solution_notebook(assignment)[0].parent).__enter__()
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
