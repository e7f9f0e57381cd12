"""conftest.execute_notebook starts a kernel again when it never started (a port another kernel took
at the same moment killed one in an ordinary user's `make test`), and only then."""
import nbclient
import pytest
from nbclient.exceptions import CellExecutionError

from conftest import execute_notebook, kernel_never_started, solution_path

NB = solution_path("00_finite_differences")


class FakeClient:
    """Fails as told, in turn; ``ran``: mark the first code cell as run before failing."""
    script = []

    def __init__(self, nb, **kwargs):
        self.nb = nb

    def execute(self):
        failure, ran = FakeClient.script.pop(0)
        if ran:
            next(c for c in self.nb.cells if c.cell_type == "code")["execution_count"] = 1
        if failure is not None:
            raise failure


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setattr(nbclient, "NotebookClient", FakeClient)
    yield FakeClient.script
    FakeClient.script.clear()


def test_a_kernel_that_died_while_starting_is_started_again(fake):
    fake[:] = [(RuntimeError("Kernel died before replying to kernel_info"), False), (None, False)]
    assert execute_notebook(NB).cells
    assert fake == []


def test_three_failed_starts_are_reported(fake):
    fake[:] = [(TimeoutError("slow"), False)] * 3
    with pytest.raises(TimeoutError):
        execute_notebook(NB)


def test_a_kernel_lost_after_a_cell_ran_is_not_hidden_by_a_second_run(fake):
    fake[:] = [(RuntimeError("Kernel died before replying to kernel_info"), True), (None, False)]
    with pytest.raises(RuntimeError):
        execute_notebook(NB)


def test_a_failing_cell_is_not_a_start_failure(fake):
    fake[:] = [(CellExecutionError("boom", "ValueError", "x"), False), (None, False)]
    with pytest.raises(CellExecutionError):
        execute_notebook(NB)
    assert not kernel_never_started(RuntimeError("something else"))
    assert kernel_never_started(RuntimeError("Kernel didn't respond to heartbeats in 240 seconds and timed out"))
