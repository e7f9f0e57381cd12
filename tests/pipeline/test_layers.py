"""The package's layers, read from its imports (ast, nothing imported): the arrows run one way.

    autograder/*.py        the public API and the pipeline's stages
    autograder/checks/     one module per notebook, on the pipeline
    autograder/trusted/    trusted grading: the submission restored, the learner's process, the wire
    autograder/grading/    the self-check, class grading, nbgrader hooks, release, the CLI

A layer imports the layers above it in this list and never one below: the pipeline and the checks
import neither ``grading`` nor ``trusted``; ``trusted`` does not import ``grading``.  The one
exception is ``autograder/__main__.py``, which is ``python -m autograder``, the CLI.  The pipeline
reaches a learner's process through ``autograder.hosts``, which trusted grading fills in.
"""
import ast
from pathlib import Path

import numpy as np
import pytest

from autograder import check_layer, hosts

PACKAGE = Path(__file__).resolve().parents[2] / "autograder"

# layer of a module path (relative to autograder/), and the layers each may not import
BELOW = {"pipeline": {"grading", "trusted"}, "checks": {"grading", "trusted"}, "trusted": {"grading"},
         "grading": set()}
ENTRY_POINTS = {"__main__.py"}     # python -m autograder: the CLI (grading), by design


def layer_of(relative):
    parts = Path(relative).parts
    if len(parts) == 1:
        return "pipeline"
    return parts[0] if parts[0] in BELOW else "pipeline"


def imported_modules(path, root=PACKAGE):
    """Every module ``path`` imports (absolute dotted names), wherever the import statement is
    (inside functions too: a lazy import is an arrow all the same)."""
    package = ["autograder", *path.relative_to(root).parts[:-1]]     # where a relative import starts      # the package a relative import starts from
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module
            found.append((stem, node.lineno))
            found += [(f"{stem}.{alias.name}", node.lineno) for alias in node.names]
    return found


def violations(root=PACKAGE):
    bad = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if str(relative) in ENTRY_POINTS:
            continue
        forbidden = BELOW[layer_of(relative)]
        found = {}          # one report per import statement, naming the most specific module
        for name, line in imported_modules(path, root):
            parts = name.split(".")
            if parts[0] == "autograder" and len(parts) > 1 and parts[1] in forbidden:
                found[line] = max(found.get(line, ""), name, key=len)
        bad += [f"autograder/{relative}:{line} ({layer_of(relative)}) imports {name}" for line, name in found.items()]
    return bad


def test_the_layers_import_one_way():
    assert violations() == []


def test_the_walk_sees_every_kind_of_import_across_the_layers(tmp_path):
    """The test can fail: a copy of the package with one forbidden import of each form (relative
    at the top, relative inside a function, absolute) is caught, with file and line."""
    copy = tmp_path / "autograder"
    for path in PACKAGE.rglob("*.py"):
        target = copy / path.relative_to(PACKAGE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert violations(copy) == []
    check = copy / "check.py"
    check.write_text(check.read_text() + "\nfrom .trusted import proxies\n", encoding="utf-8")
    chain = copy / "checks" / "chain_rule.py"
    chain.write_text(chain.read_text() + "\n\ndef _late():\n    from ..grading import runner\n", encoding="utf-8")
    host = copy / "trusted" / "grader.py"
    host.write_text(host.read_text() + "\nimport autograder.grading.cli\n", encoding="utf-8")
    found = violations(copy)
    assert len(found) == 3, found
    assert any(v.startswith("autograder/check.py:") and "autograder.trusted.proxies" in v for v in found)
    assert any(v.startswith("autograder/checks/chain_rule.py:") and "autograder.grading.runner" in v for v in found)
    assert any(v.startswith("autograder/trusted/grader.py:") and "autograder.grading.cli" in v for v in found)


def test_every_module_opens_with_the_sentence_that_says_its_job():
    for path in sorted(PACKAGE.rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and doc.split("\n")[0].strip(), f"{path.relative_to(PACKAGE.parent)} has no opening sentence"


def test_a_file_over_800_lines_says_why_in_its_opening_sentence():
    """Long files are split by job; one that is not says why in its first paragraph ("one file:",
    "one notebook's", ...): the marker ``(long:`` starts the reason."""
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 800:
            first = ast.get_docstring(ast.parse(text)).split("\n\n")[0]
            assert "(long:" in first, f"{path.relative_to(PACKAGE.parent)}: {text.count(chr(10))} lines, no reason"


# --- the pipeline's interface to a learner's process (autograder.hosts) ------------------------------

class Far:
    """A function said to live in another process: the fake host below owns it."""

    def __init__(self, fn):
        self.fn, self.__name__ = fn, fn.__name__

    def __call__(self, *args, **kwargs):
        FakeHost.calls += 1
        return self.fn(*args, **kwargs)


class FakeHost:
    """A host of the pipeline (see autograder.hosts) that runs each batch at once and records it."""
    calls = 0

    def __init__(self):
        self.batches, self.counted = [], []

    def owns(self, obj):
        return isinstance(obj, Far)

    def batch(self, like):
        host = self

        class Steps:
            def __init__(self):
                self.results = []
                host.batches.append(self)

            def call(self, fn, *args, **kwargs):
                self.results.append(fn(*args, **kwargs))
                return len(self.results) - 1

            def setattr(self, obj, name, value):
                setattr(obj, name, value)

            def accumulate(self, *rule):
                return hosts.Accumulate(*rule)

            def values(self, *pending):
                return [self.results[p] for p in pending]
        return Steps()

    def counting(self, fn):
        host = self

        class Count:
            def __enter__(self):
                self.start = FakeHost.calls
                return self

            def __exit__(self, *exc):
                self.calls = FakeHost.calls - self.start
                host.counted.append(self.calls)
        return Count()


@pytest.fixture
def far_host(monkeypatch):
    host = FakeHost()
    monkeypatch.setattr(hosts, "_HOSTS", [host])
    return host


def _affine(x, W):
    return x @ W, (x, W)


def _affine_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout


def test_check_layer_sends_the_finite_differences_of_a_far_function_in_batches(far_host):
    rng = np.random.default_rng(0)
    x, W = rng.normal(size=(3, 4)), rng.normal(size=(4, 5))
    assert not hosts.elsewhere(_affine) and hosts.elsewhere(Far(_affine))
    check_layer(Far(_affine), _affine_backward, x, W)
    assert far_host.batches, "the pipeline did not ask the host for a batch"
    assert sum(len(b.results) for b in far_host.batches) >= 2 * (x.size + W.size)
    assert far_host.counted == [0]          # the backward pass called no forward pass


def test_a_backward_that_calls_a_far_forward_per_entry_is_finite_differences(far_host):
    rng = np.random.default_rng(1)
    x, W = rng.normal(size=(3, 4)), rng.normal(size=(4, 5))
    forward = Far(_affine)

    def numerical_backward(dout, cache):
        x, W = cache
        grads = []
        for a in (x, W):
            g = np.zeros_like(a)
            for i in np.ndindex(a.shape):
                old = a[i]
                a[i] = old + 1e-6
                up = np.sum(forward(x, W)[0] * dout)
                a[i] = old - 1e-6
                down = np.sum(forward(x, W)[0] * dout)
                a[i] = old
                g[i] = (up - down) / 2e-6
            grads.append(g)
        return tuple(grads)
    with pytest.raises(AssertionError) as info:
        check_layer(forward, numerical_backward, x, W)
    assert info.value.key == "finite_differences_backward"
    assert far_host.counted and far_host.counted[0] == 2 * (x.size + W.size)


def test_with_no_host_every_step_runs_at_once_and_a_rule_accumulates():
    class Node:
        def __init__(self, grad):
            self.grad = grad
    steps = hosts.batch(Node)
    a, out = steps.call(Node, 1.0), steps.call(Node, 3.0)
    rule = steps.accumulate(a, "grad", out, "grad", 0.5)
    rule()
    assert steps.values(a, out) == (a, out) and a.grad == 2.5
    with pytest.raises(ValueError, match="another process"):
        hosts.counting(_affine)



def test_the_files_the_learner_s_process_runs_import_only_each_other():
    """L runs a private copy of ``HOST_FILES`` without the course's package: each of them may
    import numpy, the standard library and the others, nothing else of the package."""
    from autograder.trusted.grader import HOST_FILES
    copied = {"autograder." + name[:-3].replace("/", ".") for name in HOST_FILES}
    for name in HOST_FILES:
        for module, line in imported_modules(PACKAGE / name):
            if module.split(".")[0] != "autograder" or module in ("autograder", "autograder.trusted"):
                continue
            assert module in copied or module.rsplit(".", 1)[0] in copied, \
                f"autograder/{name}:{line} imports {module}, which the learner's process has no copy of"
