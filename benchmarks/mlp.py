"""The networks the benchmarks time: the course's own numpy MLP, a tuned copy of its step, PyTorch's.

``course()`` loads the two solution notebooks in-process with ``autograder.load_notebook``:
notebook 05's ``loss_and_grads``, ``loss_only``, ``numerical_grads``, ``sgd_step`` and
``minibatch_step``, running on **notebook 04's layers** (its ``affine_forward``, ``relu_forward``,
``softmax_cross_entropy`` ... replace the copies notebook 05 carries, which are the same code).
Conventions are the course's: a batch is N rows, ``W`` has shape (fan_in, fan_out), the loss is
the softmax cross-entropy averaged over the batch.

``TunedStep`` computes the same step with the same formulas, written without needless work (see
its docstring); ``TorchMLP`` is the same network in PyTorch (optional: ``torch_mlp`` returns None
when torch is not installed).
"""
import contextlib
import functools
import io
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_04 = ROOT / "solutions" / "04_vector_backprop" / "04_vector_backprop.ipynb"
NOTEBOOK_05 = ROOT / "solutions" / "05_training" / "05_training.ipynb"
LAYERS = ("affine_forward", "affine_backward", "relu_forward", "relu_backward",
          "sigmoid_forward", "sigmoid_backward", "tanh_forward", "tanh_backward",
          "mse_loss", "softmax_cross_entropy")


def _load(path):
    from autograder import load_notebook
    with contextlib.redirect_stdout(io.StringIO()):
        nb = load_notebook(path)
    if nb.errors:
        raise SystemExit(f"{path.name} failed to load: {[e.message for e in nb.errors]}")
    return nb


class Course:
    """The two solution notebooks, notebook 05's functions running on notebook 04's layers."""

    def __init__(self, nb04, nb05):
        self.nb04, self.nb05 = nb04, nb05
        for name in LAYERS:
            nb05.namespace[name] = nb04.namespace[name]

    def __getattr__(self, name):
        if name in self.nb05:
            return getattr(self.nb05, name)
        return getattr(self.nb04, name)


@functools.lru_cache(maxsize=None)
def course():
    return Course(_load(NOTEBOOK_04), _load(NOTEBOOK_05))


def mlp_sizes(width, hidden_layers, classes=10, inputs=None):
    """[inputs, width x hidden_layers, classes]; inputs default to width."""
    return [inputs or width] + [width] * hidden_layers + [classes]


def problem(sizes, n, dtype=np.float64, seed=0):
    """He-initialised parameters (notebook 05's init_params), a batch X of n rows and its labels."""
    rng = np.random.default_rng(seed)
    params = {k: v.astype(dtype) for k, v in course().init_params(sizes, rng).items()}
    X = rng.standard_normal((n, sizes[0])).astype(dtype)
    labels = rng.integers(0, sizes[-1], size=n)
    return params, X, labels


def copy_params(params):
    return {k: v.copy() for k, v in params.items()}


class TunedStep:
    """Notebook 05's ``minibatch_step`` (``loss_and_grads``, then ``sgd_step``) with the same formulas
    as notebook 04's layers, without the work the notebooks' step does and does not need:

    - ``skip_input_grad``: no ``dx`` for the first layer.  ``affine_backward`` always returns ``dx``;
      for the first layer it is the gradient of the data, which nothing uses (notebook 04: "The
      ``dx`` of the first layer is not needed").  That is one matrix product of the first layer's
      size per step.
    - ``reuse_buffers``: ``dW`` and ``db`` are written into arrays kept from one step to the next
      (``np.matmul(..., out=)``) instead of new ones, and the update's ``lr * dW`` goes into a kept
      scratch array: no new arrays of the parameters' size per step.
    - ``in_place``: the bias is added to the product in place (``z += b``), ReLU overwrites ``z``
      (the mask is taken from the output, which notebook 04 allows: ``out > 0`` exactly where
      ``z > 0``), and ReLU's backward multiplies the incoming gradient in place (it is a fresh array
      of this step's own).

    With all three False it computes exactly what the notebooks' step computes, with new arrays
    for the gradients at every call, as the notebooks' step.  The loss is
    notebook 04's ``softmax_cross_entropy``, unchanged (N x C numbers: nothing to save there).
    """

    def __init__(self, params, skip_input_grad=True, reuse_buffers=True, in_place=True):
        self.L = len(params) // 2
        self.skip_input_grad, self.reuse, self.in_place = skip_input_grad, reuse_buffers, in_place
        self.grads = {k: np.empty_like(v) for k, v in params.items()} if reuse_buffers else None
        self.scratch = {k: np.empty_like(v) for k, v in params.items()} if reuse_buffers else None
        self.loss_fn = course().nb04.softmax_cross_entropy

    def loss_and_grads(self, params, X, labels):
        inputs, h = [], X
        for k in range(1, self.L + 1):
            W, b = params[f"W{k}"], params[f"b{k}"]
            inputs.append(h)
            if self.in_place:
                z = h @ W
                z += b
            else:
                z = h @ W + b
            if k < self.L:
                h = np.maximum(z, 0, out=z) if self.in_place else np.maximum(z, 0)
        loss, dh = self.loss_fn(z, labels)
        grads = self.grads if self.reuse else {}           # new arrays each call, as the notebooks' step
        for k in range(self.L, 0, -1):
            if k < self.L:                                   # ReLU: its output is the next layer's input
                mask = inputs[k] > 0
                if self.in_place:
                    dh *= mask
                else:
                    dh = dh * mask
            x, W = inputs[k - 1], params[f"W{k}"]
            if self.reuse:
                np.matmul(x.T, dh, out=grads[f"W{k}"])
                np.sum(dh, axis=0, out=grads[f"b{k}"])
            else:
                grads[f"W{k}"], grads[f"b{k}"] = x.T @ dh, dh.sum(axis=0)
            if k > 1 or not self.skip_input_grad:
                dh = dh @ W.T
        return loss, grads

    def __call__(self, params, X, labels, lr):
        loss, grads = self.loss_and_grads(params, X, labels)
        for name, p in params.items():
            if self.reuse:
                np.multiply(grads[name], lr, out=self.scratch[name])
                p -= self.scratch[name]
            else:
                p -= lr * grads[name]
        return loss


class TorchMLP:
    """The same network in PyTorch, written as PyTorch users write it: ``F.linear`` (the layer of
    ``nn.Linear``, with the weight stored (fan_out, fan_in), the transpose of the course's ``W``,
    which is PyTorch's faster layout here), ReLU, ``cross_entropy`` (mean over the batch),
    ``torch.optim.SGD``; the same numbers as the numpy parameters it is built from, the same dtype."""

    def __init__(self, torch, params, X, labels, lr=0.01):
        self.torch = torch
        self.F = torch.nn.functional
        self.L = len(params) // 2
        self.weights = [torch.tensor(np.ascontiguousarray(params[f"W{k}"].T)).requires_grad_()
                        for k in range(1, self.L + 1)]
        self.biases = [torch.tensor(params[f"b{k}"]).requires_grad_() for k in range(1, self.L + 1)]
        self.params = self.weights + self.biases
        self.X = torch.tensor(X)
        self.labels = torch.tensor(labels, dtype=torch.long)
        self.optimizer = torch.optim.SGD(self.params, lr=lr)

    def scores(self):
        h = self.X
        for k in range(self.L):
            h = self.F.linear(h, self.weights[k], self.biases[k])
            if k < self.L - 1:
                h = self.torch.relu(h)
        return h

    def loss(self):
        """The forward pass alone (no graph recorded)."""
        with self.torch.no_grad():
            return self.F.cross_entropy(self.scores(), self.labels)

    def loss_and_grads(self):
        for p in self.params:
            p.grad = None
        loss = self.F.cross_entropy(self.scores(), self.labels)
        loss.backward()
        return loss.detach()

    def step(self):
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.F.cross_entropy(self.scores(), self.labels)
        loss.backward()
        self.optimizer.step()
        return loss.detach()

    def numpy_params(self):
        """The parameters in the course's layout ({'W1': (fan_in, fan_out), 'b1', ...})."""
        out = {}
        for k in range(self.L):
            out[f"W{k + 1}"] = self.weights[k].detach().numpy().T.copy()
            out[f"b{k + 1}"] = self.biases[k].detach().numpy().copy()
        return out


def torch_mlp(params, X, labels, lr=0.01, threads=None):
    """A TorchMLP, or None when PyTorch is not installed."""
    from benchmarks.harness import optional_torch
    torch = optional_torch()
    if torch is None:
        return None
    if threads is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return TorchMLP(torch, params, X, labels, lr)
