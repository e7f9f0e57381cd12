"""Parity: for honest work the trusted verdict (autograder.trusted.grader.grade) is the in-kernel one.

* every solution notebook gets full marks through trusted.grade;
* every untouched learner notebook gets 0, every part "not implemented yet";
* planted mistakes taken from the tests/checks/test_checks_*.py suites, written into notebook cells, get
  the same key (and the same message) through the trusted path as in one process
  (``trusted.grade_in_process``: the submission's cells, then the source's test cells, in a kernel-like
  namespace; run in a subprocess so the learner's code stays out of this one).

Each notebook is graded once per module (fixtures), so the suite costs one learner process per
submission.
"""
import json
import re
import subprocess
import sys

import pytest

import nbedit
from conftest import ROOT, assignments, learner_path, solution_path

from autograder.trusted import grader as trusted


def in_process(submission, source, seconds=60):
    """grade_in_process in a fresh interpreter: the baseline a kernel gives."""
    proc = subprocess.run([sys.executable, "-m", "autograder.trusted", "inprocess", str(submission), str(source),
                           "--seconds", str(seconds)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def measured(message):
    """A message with its measured memory blurred (the learner's process allocates, not this one)."""
    return re.sub(r"\d+(\.\d+)? MB", "<n> MB", message)


def by_id(rows):
    return {r["grade_id"]: r for r in rows}


# --- solutions and untouched notebooks -------------------------------------------------------------------

@pytest.fixture(scope="module", params=assignments())
def solution_rows(request):
    a = request.param
    return a, trusted.grade(solution_path(a), solution_path(a))


def test_every_solution_gets_full_marks_through_the_trusted_path(solution_rows):
    a, rows = solution_rows
    failed = [(r["grade_id"], r["key"], r["message"][:300]) for r in rows if not r["passed"]]
    assert not failed, f"{a}: {failed}"
    assert all(r["status"] == "graded" for r in rows)
    source = nbedit.read(solution_path(a))
    assert [r["grade_id"] for r in rows] == [c["metadata"]["nbgrader"]["grade_id"] for c in nbedit.test_cells(source)]
    assert trusted.score(rows) == sum(c["metadata"]["nbgrader"]["points"] for c in nbedit.test_cells(source))


@pytest.mark.parametrize("a", assignments())
def test_every_untouched_notebook_gets_zero_and_not_implemented_yet(a):
    rows = trusted.grade(learner_path(a), solution_path(a))
    assert trusted.score(rows) == 0
    for r in rows:
        assert r["key"] == "not_implemented", (a, r)
        assert "is not implemented yet" in r["message"]
    baseline = in_process(learner_path(a), solution_path(a))
    assert [(r["grade_id"], r["key"], r["message"]) for r in rows] == \
        [(r["grade_id"], r["key"], r["message"]) for r in baseline]


# --- planted mistakes ----------------------------------------------------------------------------------

# (notebook, solution cell, its new source, the key the checks' own test suite expects, or None where
# the suite plants the mistake differently and only parity is asserted)
PLANTED = {
    "00_finite_differences": [
        ("central_difference", '''
def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h
''', "forward_difference"),
        ("numerical_gradient", '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(np.shape(x))
    for idx in np.ndindex(np.shape(x)):          # moves the caller's x and never puts it back
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
''', "x_not_restored"),
        ("relative_error", '''
def relative_error(a, b, floor=1e-3):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b))))
''', "no_floor"),
        ("cauchy_loss_grad", '''
def cauchy_loss_grad(x):
    return 1 / (1 + x ** 2)
''', "missing_inner_derivative"),
    ],
    "01_chain_rule": [
        ("chain_backward", '''
def chain_backward(dout, cache):
    inputs, chain = cache
    grad = dout
    for _, derivative in reversed(chain):
        grad = grad * derivative(inputs.pop())   # empties the cached list
    return grad
''', "mutated_cache"),
        ("mul_gate", '''
def mul_forward(x, y):
    return x * y, (x, y)

def mul_backward(dout, cache):
    x, y = cache
    return dout * x, dout * y
''', "mul_not_swapped"),
        ("sigmoid", '''
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))
''', None),
        ("exp_gate", '''
def exp_forward(x):
    out = np.exp(x)
    return out, out

def exp_backward(dout, cache):
    return dout * np.exp(cache)
''', None),
    ],
    "02_jacobian": [
        ("sigmoid_vjp", '''
def sigmoid_vjp(z, v):
    s = sigmoid(z)
    J = np.diag(s * (1 - s))
    return J.T @ v
''', "builds_full_jacobian"),
        ("softmax_jacobian", '''
def softmax_jacobian(z):
    s = softmax(z)
    return np.diag(s * (1 - s))
''', None),
        ("numerical_jacobian", '''
def numerical_jacobian(f, x, h=1e-5):
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = h
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x))) / h)
    return np.stack(columns, axis=1)
''', None),
        ("linear_vjp", '''
def linear_vjp(W, x, v):
    return W @ v
''', None),
    ],
    "03_scalar_backprop": [
        ("layer_backward", '''
def layer_backward(delta, y_in, W):
    m, n = W.shape
    dy_in, dW, db = np.zeros(m), np.zeros((m, n)), np.zeros(n)
    for k in range(n):
        for j in range(m):
            dW[j, k] = y_in[j] * delta[k]
    for j in range(m):
        for r in range(n):
            dy_in[j] += delta[r] * W[j, r]
    return dy_in, dW, db
''', None),
        ("delta_softmax_ce", '''
def delta_softmax_ce(u, y, t):
    return (y - t) * y * (1 - y)
''', None),
    ],
    "04_vector_backprop": [
        ("affine", '''
def affine_forward(x, W, b):
    out = x.reshape(x.shape[0], -1) @ W + b
    return out, (x, W)


def affine_backward(dout, cache):
    x, W = cache
    x2 = x.reshape(x.shape[0], -1)
    dx = (dout @ W.T).reshape(x.shape)
    dW = x2.T @ dout
    db = dout.mean(axis=0)
    return dx, dW, db
''', None),
        ("relu", '''
def relu_forward(z):
    return np.maximum(z, 0), z


def relu_backward(dout, cache):
    z = cache
    z[z < 0] = 0                     # edits the cached z
    return dout * (z > 0)
''', "mutated_cache"),
        ("cache_bytes", '''
def cache_bytes(cache, seen=None):
    if isinstance(cache, np.ndarray):
        return cache.nbytes
    if isinstance(cache, dict):
        cache = list(cache.values())
    if isinstance(cache, (list, tuple)):
        return sum(cache_bytes(item) for item in cache)
    return 0
''', "counted_twice"),
        ("softmax_cross_entropy", '''
def softmax_cross_entropy(scores, labels):
    n = scores.shape[0]
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), labels]).mean()
    dscores = p.copy()
    dscores[np.arange(n), labels] -= 1.0
    return loss, dscores / n
''', None),
    ],
    "05_training": [
        ("sgd_step", '''
def sgd_step(params, grads, lr):
    params = {k: v - lr * grads[k] for k, v in params.items()}
    return params
''', "not_in_place"),
        ("init_params", '''
def init_params(sizes, rng):
    params = {}
    for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{k}"] = rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)
        params[f"b{k}"] = np.zeros(fan_out)
    return params
''', "xavier_scale"),
        ("numerical_grads", '''
def numerical_grads(f, params, h=1e-5):
    grads = {}
    for name, p in params.items():
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            q = {k: v.copy() for k, v in params.items()}
            old = q[name][i]
            q[name][i] = old + h
            up = f(params)
            q[name][i] = old - h
            down = f(params)
            g[i] = (up - down) / (2 * h)
        grads[name] = g
    return grads
''', "nudged_a_copy"),
        ("accuracy", '''
def accuracy(scores, labels):
    return float(np.mean(np.argmax(scores) == labels))
''', None),
    ],
    "06_autodiff": [
        ("value_mul", '''
@add_to_class(Value)
def __mul__(self, other):
    other = as_value(other)
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad = other.data * out.grad
        other.grad = self.data * out.grad
    out._backward = _backward
    return out
''', "overwrote_grad"),
        ("topo_order", '''
def topo_order(root):
    order, visited = [], set()
    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for parent in node.parents:
            visit(parent)
        order.append(node)
    visit(root)
    return order
''', "recursion_depth"),
        ("tensor_add", None, "mean_not_sum"),      # unbroadcast with .mean for .sum
    ],
    "06_autodiff_backward": [
        ("value_backward", '''
@add_to_class(Value)
def backward(self):
    from collections import deque
    order = topo_order(self)
    for node in order:
        if node.parents:
            node.grad = 0.0
    self.grad = 1.0
    queue, seen = deque([self]), {self}
    while queue:                         # breadth first: not a topological order
        node = queue.popleft()
        node._backward()
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
''', "bfs_order"),
    ],
}


def notebook_of(name):
    return "06_autodiff" if name == "06_autodiff_backward" else name


def planted_notebook(name, tmp_path):
    a = notebook_of(name)
    nb = nbedit.read(solution_path(a))
    for grade_id, source, _ in PLANTED[name]:
        if source is None:      # tensor_add: unbroadcast that averages
            source = nbedit.source(nb, grade_id).replace("grad.sum(axis=0)", "grad.mean(axis=0)") \
                .replace("grad.sum(axis=axis, keepdims=True)", "grad.mean(axis=axis, keepdims=True)")
        nbedit.set_source(nb, grade_id, source.lstrip("\n"))
    path = tmp_path / f"{a}.ipynb"
    nbedit.write(nb, path)
    return a, path


def _test_of(rows, grade_id):
    return by_id(rows)[f"test_{grade_id}"]


@pytest.mark.parametrize("name", [n for n in PLANTED if notebook_of(n) in assignments()])
def test_planted_mistakes_get_the_same_key_through_the_trusted_path(name, tmp_path):
    a, path = planted_notebook(name, tmp_path)
    got = trusted.grade(path, solution_path(a))
    want = in_process(path, solution_path(a))
    assert [r["grade_id"] for r in got] == [r["grade_id"] for r in want]
    for g, w in zip(got, want):
        assert (g["grade_id"], g["passed"], g["key"]) == (w["grade_id"], w["passed"], w["key"]), \
            f"{g['grade_id']}: trusted {g['key']}: {g['message']}\n  in process {w['key']}: {w['message']}"
        assert measured(g["message"]) == measured(w["message"]), (g["grade_id"], g["message"], w["message"])
    for grade_id, _, key in PLANTED[name]:
        row = _test_of(got, grade_id)
        assert not row["passed"], (grade_id, row)
        if key is not None:
            assert row["key"] == key, (grade_id, row["key"], row["message"])
