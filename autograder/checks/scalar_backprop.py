"""Checks for 03_scalar_backprop: backprop one neuron at a time, with explicit loops.

One check per graded cell.  The network is seed 003's: input, hidden and output layers with
indices i, j, k and sizes l, m, n; ``W1[i, j]`` and ``W2[j, k]`` (fan_in, fan_out); one sample
``x`` of shape (l,) and target ``t`` of shape (n,); a sigmoid hidden layer and one of three
output activation / error pairs:

    "identity":  y_k = u_k,          E = 1/2 sum_k (y_k - t_k)^2
    "sigmoid":   y_k = sigma(u_k),   E = 1/2 sum_k (y_k - t_k)^2
    "softmax":   y = softmax(u),     E = -sum_k t_k log y_k        (t one-hot)

References are closed forms written here with numpy products (never the learner's loops).
Backward passes are judged against central differences of the learner's own loop forward
(``backward_loops``, ``batch_gradients``) or of a reference forward (the layer-sized parts).
Every case that can hide a swapped index runs on a square matrix first, where the mistake is
visible in the values; the non-square case after it then only fails with an IndexError when a
loop runs over the wrong layer's size.
"""
import numpy as np

from . import Exercises
from .. import check_grad, check_layer, like
from ..catalog import Mistake
from ..check import check_answer, through
from ..guard import CheckFailed, call
from .reference import sigmoid as _sigmoid, sigmoid_derivative as _dsigmoid, softmax as _softmax

EXERCISES = Exercises("03_scalar_backprop", [
    ("sigmoid_neuron", "One sigmoid neuron with the delta rule (CS231n's numbers)", 2),
    ("forward_loops", "Forward pass neuron by neuron, storing every u and y", 2),
    ("loss", "The error E: squared error or cross-entropy", 1),
    ("delta_identity_mse", "Output delta: identity output, squared error", 1),
    ("delta_sigmoid_mse", "Output delta: sigmoid output, squared error", 1),
    ("delta_softmax_ce", "Output delta: softmax output, cross-entropy", 2),
    ("layer_backward", "dw_jk = y_j delta_k, db_k = delta_k, dy_j = sum_r delta_r w_jr", 2),
    ("hidden_delta", "Hidden delta: delta_j = dy_j sigma'(u_j)", 1),
    ("backward_loops", "The whole backward pass, output layer then hidden layer", 2),
    ("batch_gradients", "A batch: the mean of the per-sample gradients", 2),
])
progress = EXERCISES.progress

OUTPUTS = ("identity", "sigmoid", "softmax")
CACHE_KEYS = ("u_hidden", "y_hidden", "u_out", "y_out")


# --- references (closed forms) ------------------------------------------------------------------

def _activate(u, output):
    if output == "identity":
        return np.array(u, dtype=np.float64)
    if output == "sigmoid":
        return _sigmoid(u)
    return _softmax(u)


def _error(y, t, output):
    if output == "softmax":
        return -float(np.sum(t * np.log(y)))
    return 0.5 * float(np.sum((y - t) ** 2))


def _delta_out(u, t, output):
    """dE/du_k for each pair (the three closed forms of the notebook)."""
    y = _activate(u, output)
    if output == "sigmoid":
        return (y - t) * y * (1.0 - y)
    return y - t                                   # identity + squared error, softmax + CE


def _net(x, W1, b1, W2, b2, output):
    u1 = x @ W1 + b1
    y1 = _sigmoid(u1)
    u2 = y1 @ W2 + b2
    return u1, y1, u2, _activate(u2, output)


def _backprop(x, W1, b1, W2, b2, delta_out, variant=None):
    """Reference backward pass from the output deltas; ``variant`` plants one mistake."""
    u1, y1, _, _ = _net(x, W1, b1, W2, b2, "identity")
    y_in = {"u_as_input": u1, "x_as_input": x}.get(variant, y1)
    if y_in.shape != y1.shape:
        return None
    dW2, db2 = np.outer(y_in, delta_out), delta_out
    dy1 = W2 @ delta_out
    local = {"no_derivative": np.ones_like(u1), "derivative_at_output": _dsigmoid(y1),
             "u_as_y": u1 * (1.0 - u1)}.get(variant, _dsigmoid(u1))
    d1 = dy1 * local
    return {"dx": W1 @ d1, "dW1": np.outer(x, d1), "db1": d1, "dW2": dW2, "db2": db2}


def _sample(rng, l, m, n, output):
    x = rng.uniform(-1.5, 1.5, size=l)
    W1, b1 = rng.standard_normal((l, m)), 0.5 * rng.standard_normal(m)
    W2, b2 = rng.standard_normal((m, n)), 0.5 * rng.standard_normal(n)
    return x, W1, b1, W2, b2, _target(rng, n, output)


def _target(rng, n, output):
    if output == "softmax":
        return np.eye(n)[rng.integers(n)]
    if output == "sigmoid":
        return rng.uniform(0.05, 0.95, size=n)
    return rng.standard_normal(n)


def _rng(hidden, base):
    return np.random.default_rng(base + (1 if hidden else 0))


def _name(fn, default):
    return getattr(fn, "__name__", default)


def _sizes(l, m, n):
    return f"l={l}, m={m}, n={n}"


# --- named mistakes shared by several checks ------------------------------------------------------

def _skipped_neuron(labels):
    """A loop that stops one short (range(n - 1)) or starts at 1 leaves one neuron's entries at 0.

    ``labels[name]`` gives, per axis of the gradient, (who, letter, count): for dW2
    [("hidden neuron", "j", "m"), ("output neuron", "k", "n")].
    """
    def find(ev):
        truth = getattr(ev.oracle, "expected", None)
        if truth is None or ev.yours.ndim == 0:
            return None
        for axis in range(ev.yours.ndim):
            size = ev.yours.shape[axis]
            for idx in (size - 1, 0):
                cut = tuple(idx if a == axis else slice(None) for a in range(ev.yours.ndim))
                if size < 2 or np.any(ev.yours[cut]) or not np.any(truth[cut]):
                    continue
                repaired = ev.yours.copy()
                repaired[cut] = truth[cut]
                if ev.oracle.matches(repaired):
                    return axis, idx, size
        return None

    def test(ev):
        found = find(ev)
        ev.extra["skipped"] = found
        return found is not None

    def details(ev):
        axis, idx, size = ev.extra["skipped"]
        who, letter, count = labels[ev.name][axis]
        index = ", ".join(str(idx) if a == axis else ":" for a in range(ev.yours.ndim))
        if idx == size - 1:
            why = (f"{who} {letter} = {idx}, the last of {count} = {size}, was never reached: the loop "
                   f"`for {letter} in range({count} - 1)` stops one short; range({count}) runs "
                   f"{letter} = 0, ..., {count} - 1")
        else:
            why = (f"{who} {letter} = 0 was never reached: a loop that starts at 1, "
                   f"`range(1, {count})`, skips it (Python counts from 0)")
        return {"where": f"{ev.name}[{index}]", "why": why}

    return Mistake("neuron_skipped", "{where} is all zero: {why}.", test, grads=tuple(labels),
                   details=details)


def _never():
    """A wrong answer that does not apply to these shapes (like() then never matches)."""
    return None


def _square(A):
    return A.ndim == 2 and A.shape[0] == A.shape[1]


INDEX_RANGE = ("{what} works when {shape_word} square but raises IndexError for {shapes}: a loop "
               "runs over the wrong layer's size, or an index pair is swapped somewhere. Each index "
               "has its own range: i in range(l), j in range(m), k in range(n); and w_jk is W[j, k] "
               "(row = the neuron the weight comes from, column = the neuron it goes to).")


def _non_square(run, what, shape_word, shapes):
    """Run a non-square case after the square one passed; name an IndexError there."""
    try:
        run()
    except CheckFailed as exc:
        if exc.key == "exception" and "IndexError" in str(exc):
            raise CheckFailed(INDEX_RANGE.format(what=what, shape_word=shape_word, shapes=shapes)
                              + f"\n  ({str(exc).splitlines()[0]})", key="index_out_of_range") from None
        raise


def _check_order(raw, wanted, what):
    """Gradients returned in another order (the seed lists dw, db, dy) get their own message.

    ``wanted``: [(name, shape)] in the course's order, one per input.
    """
    if not isinstance(raw, (tuple, list)) or len(raw) != len(wanted):
        return
    try:
        got = [np.shape(g) for g in raw]
    except (TypeError, ValueError):
        return
    shapes = [shape for _, shape in wanted]
    if got != shapes and sorted(got) == sorted(shapes):
        order = ", ".join(name for name, _ in wanted)
        raise CheckFailed(f"{what} returned its gradients in another order: return ({order}), one per "
                          f"input in the order of the inputs (the course's convention), although the seed "
                          f"lists dw, db first. Shapes returned: {got}.", key="gradient_order")


# --- 1. one neuron: CS231n's sigmoid neuron with the delta rule ------------------------------------

SEED_NEURON = (np.array([-1.0, -2.0]), np.array([2.0, -3.0]), -3.0, 1.0)   # x, w, b, dE/dy
NEURON_FIELDS = ("y", "delta", "dw", "db", "dx")


def _neuron_truth(x, w, b, dE_dy):
    u = float(np.dot(w, x) + b)
    y = float(_sigmoid(u))
    delta = dE_dy * y * (1.0 - y)
    return {"y": y, "delta": delta, "dw": x * delta, "db": delta, "dx": w * delta}


def _neuron_values(raw, what):
    if not isinstance(raw, (tuple, list)) or len(raw) != 5:
        got = "None" if raw is None else (f"a tuple of {len(raw)}" if isinstance(raw, (tuple, list))
                                          else type(raw).__name__)
        raise CheckFailed(f"{what} must return (y, delta, dw, db, dx), a tuple of 5; it returned {got}.",
                          key="bad_return")
    return dict(zip(NEURON_FIELDS, raw))


def _fmt(value):
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return "?"
    if arr.ndim == 0:
        return f"{float(arr):.4f}"
    return "(" + ", ".join(f"{v:.4f}" for v in arr.ravel()) + ")"


def _neuron_table(mine):
    """The seed note's, CS231n's and the learner's numbers for the seed neuron, side by side."""
    rows = [("y = f", "-", "0.73", "y"), ("delta", "0.2", "0.20", "delta"),
            ("dw = (dw0, dw1)", "(-0.2, -)", "(-0.20, -0.39)", "dw"), ("db (= dw2)", "0.2", "0.20", "db"),
            ("dx = (dx0, dx1)", "(0.4, -)", "(0.39, -0.59)", "dx")]
    lines = ["  CS231n neuron: w = (2, -3), b = -3, x = (-1, -2), dE/dy = 1",
             f"  {'':16s}{'seed note 004':>15s}{'CS231n slides':>17s}   yours"]
    for label, note, slides, key in rows:
        yours = _fmt(mine.get(key)) if mine is not None else "?"
        lines.append(f"  {label:16s}{note:>15s}{slides:>17s}   {yours}")
    return "\n".join(lines)


def _neuron_mistakes(x, w, b, dE_dy, field):
    truth = _neuron_truth(x, w, b, dE_dy)
    y = truth["y"]
    at_output = dE_dy * float(_dsigmoid(y))
    two = float(_sigmoid(x[0] * w[0] + x[1] * w[1] + b)) if len(x) > 2 else None
    rows = {
        "y": [like("fixed_input_count", "u = sum_p x_p w_p + b sums over ALL P = len(x) inputs (this neuron "
                                        "has %d); yours uses only the first two." % len(x),
                   lambda ev: _never() if two is None else two)],
        "delta": [
            like("missing_activation_derivative", "delta = dE/dy * dy/du: the sigmoid's derivative "
                                                  "y (1 - y) is missing (yours is dE/dy alone).",
                 lambda ev: dE_dy),
            like("derivative_at_output", "sigma' must be taken at u, the neuron's input: "
                                         "sigma'(u) = y (1 - y). Yours is sigma'(y) = sigma(y)(1 - sigma(y)).",
                 lambda ev: at_output),
            like("ignores_upstream", "delta = dE/dy * y (1 - y): multiply by dE/dy (the check passes "
                                     "dE/dy = %g here)." % dE_dy, lambda ev: y * (1 - y)),
        ],
        "dw": [like("dw_dx_swapped", "dw_p = y_p delta = x_p delta (the input on the weight's edge); "
                                     "yours is w_p delta, which is dx.", lambda ev: w * truth["delta"]),
               like("missing_delta", "dw_p = x_p delta: yours is x_p without delta.", lambda ev: x)],
        "dx": [like("dw_dx_swapped", "dx_p = w_p delta (the weight on the input's edge); yours is "
                                     "x_p delta, which is dw.", lambda ev: x * truth["delta"])],
        "db": [like("bias_gradient_includes_input", "db = delta (du/db = 1); yours multiplies delta by "
                                                    "an input.", lambda ev: x[-1] * truth["delta"])],
    }
    return rows.get(field, [])


@EXERCISES.check("sigmoid_neuron")
def sigmoid_neuron(fn, *, hidden=False):
    what = _name(fn, "sigmoid_neuron")
    if hidden:
        cases = [(np.array([1.3, -0.4]), np.array([-0.6, 1.7]), 0.25, 2.5),
                 (np.array([0.7, 0.2, -1.1, 0.45]), np.array([0.5, -1.3, 0.8, 2.2]), -0.6, -1.5)]
    else:
        cases = [SEED_NEURON, (np.array([0.5, -1.2, 0.8]), np.array([0.3, 0.9, -1.1]), 0.4, -0.7)]
    seed_values = None
    try:
        for case_no, (x, w, b, dE_dy) in enumerate(cases):
            raw = call(fn, x.copy(), w.copy(), b, dE_dy, what=what)
            mine = _neuron_values(raw, what)
            if not hidden and case_no == 0:
                seed_values = mine
            truth = _neuron_truth(x, w, b, dE_dy)
            context = (" for CS231n's neuron" if not hidden and case_no == 0 else
                       f" for x = {x.tolist()}, w = {w.tolist()}, b = {b}, dE/dy = {dE_dy}")
            for field in NEURON_FIELDS:
                check_answer(what, mine[field], truth[field], name=field, of={"dw": "w", "dx": "x"}.get(field, field),
                             mistakes=_neuron_mistakes(x, w, b, dE_dy, field), context=context)
    except CheckFailed as exc:
        if hidden or exc.key == "not_implemented":
            raise
        raise CheckFailed(f"{exc}\n{_neuron_table(seed_values)}", key=exc.key, keys=exc.keys, hint=exc.hint) from None
    if not hidden:
        print(_neuron_table(seed_values))


# --- 2. forward pass with loops --------------------------------------------------------------------

def _forward_result(raw, what):
    if not isinstance(raw, tuple) or len(raw) != 2:
        raise CheckFailed(f"{what} must return (y, cache), a tuple of 2.", key="bad_return")
    y, cache = raw
    if not isinstance(cache, dict) or any(k not in cache for k in CACHE_KEYS):
        raise CheckFailed(f"{what}: the cache must be the dict built at the end of the function, with "
                          f"the keys {', '.join(CACHE_KEYS)}; keep those lines as they are.",
                          key="cache_format")
    return y, cache


def _forward_mistakes(x, W1, b1, W2, b2, output):
    u1, y1, u2, y2 = _net(x, W1, b1, W2, b2, output)
    labels = {"u_hidden": [("hidden neuron", "j", "m")], "y_hidden": [("hidden neuron", "j", "m")],
              "u_out": [("output neuron", "k", "n")], "y_out": [("output neuron", "k", "n")]}
    skipped = _skipped_neuron(labels)
    transposed = ("w_pj is W[p, j]: the row is the neuron the weight comes from, the column the neuron "
                  "it goes to (shape (fan_in, fan_out)); you used W[j, p].")
    hidden_rows = [
        like("transposed_weight_index", transposed,
             lambda ev: W1 @ x + b1 if _square(W1) else _never(), grads="u_hidden"),
        like("missing_bias", "u_j = sum_p y_p w_pj + b_j: the bias b_j is missing.",
             lambda ev: x @ W1, grads="u_hidden"),
        like("sum_overwritten", "u_j = sum_p y_p w_pj + b_j adds ALL l inputs; yours keeps only the last "
                                "one, p = l - 1 (did `=` overwrite instead of `+=` adding?).",
             lambda ev: x[-1] * W1[-1] + b1, grads="u_hidden"),
        like("bias_added_per_input", "add the bias b_j once, outside the loop over the inputs p; yours "
                                     "adds it l times.", lambda ev: x @ W1 + len(x) * b1, grads="u_hidden"),
        like("missing_hidden_activation", "the hidden layer's output is y_j = sigma(u_j); yours is u_j.",
             lambda ev: u1, grads="y_hidden"),
    ]
    out_rows = [
        like("used_u_not_y", "the output layer's inputs are the hidden OUTPUTS y_j = sigma(u_j), "
                             "not the pre-activations u_j.", lambda ev: u1 @ W2 + b2, grads="u_out"),
        like("transposed_weight_index", transposed.replace("pj", "qk").replace("[p, j]", "[q, k]")
             .replace("W[j, p]", "W[k, q]"),
             lambda ev: W2 @ y1 + b2 if _square(W2) else _never(), grads="u_out"),
        like("missing_bias", "u_k = sum_q y_q w_qk + b_k: the bias b_k is missing.",
             lambda ev: y1 @ W2, grads="u_out"),
        like("sum_overwritten", "u_k = sum_q y_q w_qk + b_k adds ALL m hidden outputs; yours keeps only "
                                "the last one, q = m - 1 (did `=` overwrite instead of `+=` adding?).",
             lambda ev: y1[-1] * W2[-1] + b2, grads="u_out"),
        like("bias_added_per_input", "add the bias b_k once, outside the loop over the inputs q; yours "
                                     "adds it m times.", lambda ev: y1 @ W2 + len(y1) * b2, grads="u_out"),
    ]
    act_rows = {
        "identity": [like("identity_output_activated", "with output='identity' the output neurons apply "
                                                       "no function: y_k = u_k.",
                          lambda ev: _sigmoid(u2), grads="y_out")],
        "sigmoid": [like("missing_output_activation", "with output='sigmoid', y_k = sigma(u_k); yours is u_k.",
                         lambda ev: u2, grads="y_out")],
        "softmax": [like("softmax_as_elementwise", "softmax is not applied neuron by neuron: "
                                                   "y_k = exp(u_k) / sum_r exp(u_r) divides by a sum over "
                                                   "ALL output neurons. Yours is sigma(u_k).",
                         lambda ev: _sigmoid(u2), grads="y_out"),
                    like("softmax_not_normalized", "softmax divides exp(u_k) by sum_r exp(u_r); yours is "
                                                   "not divided (the outputs must sum to 1).",
                         lambda ev: np.exp(u2), grads="y_out"),
                    like("missing_output_activation", "with output='softmax', y = softmax(u); yours is u.",
                         lambda ev: u2, grads="y_out")],
    }[output]
    return hidden_rows + out_rows + act_rows + [skipped]


def _check_forward_case(fn, x, W1, b1, W2, b2, output, what):
    l, m, n = W1.shape[0], W1.shape[1], W2.shape[1]
    args = [x, W1, b1, W2, b2]
    copies = [a.copy() for a in args]
    raw = call(fn, *copies, output, what=what)
    for name, a, c in zip(["x", "W1", "b1", "W2", "b2"], args, copies):
        if not np.array_equal(a, c):
            raise CheckFailed(f"{what} changed its input {name} in place; write into the arrays "
                              f"u_hidden, y_hidden, u_out, y_out instead.", key="mutated_input")
    y, cache = _forward_result(raw, what)
    truth = dict(zip(CACHE_KEYS, _net(x, W1, b1, W2, b2, output)))
    mistakes = _forward_mistakes(x, W1, b1, W2, b2, output)
    context = f" ({_sizes(l, m, n)}, output={output!r})"
    for key in CACHE_KEYS:
        check_answer(what, cache[key], truth[key], name=key, of=key, mistakes=mistakes, context=context)
    check_answer(what, y, truth["y_out"], name="y", of="y_out", context=context)


def forward_cases(hidden):
    """(x, W1, b1, W2, b2, t, output) for the forward and backward checks: a square case first."""
    rng = _rng(hidden, 900)
    shapes = [(3, 3, 3), (5, 3, 4), (3, 4, 2)] if hidden else [(4, 4, 4), (4, 5, 3), (4, 5, 3)]
    outputs = ["sigmoid", "softmax", "identity"] if hidden else ["identity", "sigmoid", "softmax"]
    return [_sample(rng, *s, out) + (out,) for s, out in zip(shapes, outputs)]


@EXERCISES.check("forward_loops")
def forward_loops(fn, *, hidden=False):
    what = _name(fn, "forward_loops")
    cases = forward_cases(hidden)
    if not hidden:                                   # the visible check tries all three outputs
        cases = cases + [cases[1][:6] + ("identity",)]
    square, rest = cases[0], cases[1:]
    _check_forward_case(fn, *square[:5], square[6], what)
    for case in rest:
        W1, W2 = case[1], case[3]
        _non_square(lambda case=case: _check_forward_case(fn, *case[:5], case[6], what), what,
                    "W1 and W2 are", f"W1 of shape {W1.shape} and W2 of shape {W2.shape}")


# --- 3. the error E ---------------------------------------------------------------------------------

def _loss_mistakes(y, t, output):
    if output == "softmax":
        return [
            like("cross_entropy_sign", "E = -sum_k t_k log y_k: the minus makes E positive "
                                       "(log y_k < 0 for probabilities).", lambda ev: -_error(y, t, output)),
            like("binary_cross_entropy", "the softmax pair's E is -sum_k t_k log y_k only; the terms "
                                         "(1 - t_k) log(1 - y_k) belong to a sigmoid output per class.",
                 lambda ev: -float(np.sum(t * np.log(y) + (1 - t) * np.log(1 - y)))),
            like("squared_error_for_softmax", "with output='softmax' E is the cross-entropy "
                                              "-sum_k t_k log y_k, not the squared error.",
                 lambda ev: 0.5 * float(np.sum((y - t) ** 2))),
        ]
    return [
        like("missing_half", "E = 1/2 sum_k (y_k - t_k)^2: the 1/2 is missing (it is there so that "
                             "dE/dy_k = y_k - t_k, without a 2).", lambda ev: float(np.sum((y - t) ** 2))),
        like("mean_not_sum", "E sums over the output neurons k; yours divides by n (a mean).",
             lambda ev: 0.5 * float(np.mean((y - t) ** 2))),
        like("not_squared", "E = 1/2 sum_k (y_k - t_k)^2: square each difference.",
             lambda ev: 0.5 * float(np.sum(y - t))),
    ]


@EXERCISES.check("loss")
def loss(fn, *, hidden=False):
    what = _name(fn, "loss")
    rng = _rng(hidden, 910)
    n = 4 if hidden else 3
    for output in OUTPUTS:
        u = rng.uniform(-2.0, 2.0, size=n)
        y, t = _activate(u, output), _target(rng, n, output)
        raw = call(fn, y.copy(), t.copy(), output, what=what)
        try:
            per_neuron = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            per_neuron = None
        if per_neuron is not None and per_neuron.shape == (n,):
            raise CheckFailed(f"{what} (output={output!r}): E is one number, the sum over the {n} output "
                              f"neurons; yours has shape ({n},): add the terms up.", key="not_summed")
        check_answer(what, raw, _error(y, t, output), name="E", of="E",
                     mistakes=_loss_mistakes(y, t, output), context=f" (output={output!r})")


# --- 4-6. output deltas: one per loss/activation pair -----------------------------------------------

def _check_delta(fn, output, hidden, base, mistakes_of):
    what = _name(fn, "delta")
    rng = _rng(hidden, base)
    for n in ([5, 4] if hidden else [3, 4]):
        u = rng.uniform(-2.5, 2.5, size=n)
        t = _target(rng, n, output)

        def E(v, t=t):
            return _error(_activate(v, output), t, output)

        def learner(v, t=t):
            return fn(v.copy(), _activate(v, output), t.copy())
        learner.__name__ = what
        check_grad(E, learner, u, name="delta", mistakes=mistakes_of(t), quiet=True)


SIGN = "the sign of (y_k - t_k) is flipped: E grows when y_k moves away from t_k, so dE/dy_k = y_k - t_k."


def _y(ev, output):
    return _activate(ev.inputs[0], output)


@EXERCISES.check("delta_identity_mse")
def delta_identity_mse(fn, *, hidden=False):
    def mistakes(t):
        y = lambda ev: _y(ev, "identity")  # noqa: E731
        return [
            like("sign_of_error_flipped", SIGN, lambda ev: t - y(ev)),
            like("missing_half_cancel", "d/dy_k of 1/2 (y_k - t_k)^2 is y_k - t_k: the 2 of the square "
                                        "cancels the 1/2.", lambda ev: 2 * (y(ev) - t)),
            like("identity_has_derivative_1", "the identity output y_k = u_k has dy_k/du_k = 1: "
                                              "delta_k = y_k - t_k, with no y_k (1 - y_k).",
                 lambda ev: (y(ev) - t) * y(ev) * (1 - y(ev))),
            like("identity_has_derivative_1", "the identity output y_k = u_k has dy_k/du_k = 1: "
                                              "delta_k = y_k - t_k, with no sigma'(u_k).",
                 lambda ev: (y(ev) - t) * _dsigmoid(ev.inputs[0])),
            like("error_not_delta", "delta_k is the derivative dE/du_k = y_k - t_k, not the error "
                                    "1/2 (y_k - t_k)^2 itself.", lambda ev: 0.5 * (y(ev) - t) ** 2),
        ]
    _check_delta(fn, "identity", hidden, 920, mistakes)


@EXERCISES.check("delta_sigmoid_mse")
def delta_sigmoid_mse(fn, *, hidden=False):
    def mistakes(t):
        y = lambda ev: _y(ev, "sigmoid")  # noqa: E731
        return [
            like("sigmoid_pair_without_derivative", "with a sigmoid output, delta_k = (y_k - t_k) * "
                                                    "y_k (1 - y_k): the factor dy_k/du_k = y_k (1 - y_k) is "
                                                    "missing (y_k - t_k alone is the identity pair's delta).",
                 lambda ev: y(ev) - t),
            like("derivative_at_output", "sigma' must be taken at u_k: sigma'(u_k) = y_k (1 - y_k). Yours "
                                         "is sigma'(y_k) = sigma(y_k)(1 - sigma(y_k)), the derivative at the "
                                         "output.", lambda ev: (y(ev) - t) * _dsigmoid(y(ev))),
            like("sign_of_error_flipped", SIGN, lambda ev: (t - y(ev)) * y(ev) * (1 - y(ev))),
            like("missing_one_minus", "sigma'(u) = y (1 - y); a factor is missing.",
                 lambda ev: (y(ev) - t) * y(ev)),
            like("missing_one_minus", "sigma'(u) = y (1 - y); a factor is missing.",
                 lambda ev: (y(ev) - t) * (1 - y(ev))),
        ]
    _check_delta(fn, "sigmoid", hidden, 930, mistakes)


@EXERCISES.check("delta_softmax_ce")
def delta_softmax_ce(fn, *, hidden=False):
    def mistakes(t):
        y = lambda ev: _y(ev, "softmax")  # noqa: E731
        elementwise = ("softmax treated as elementwise: y_k depends on every u_r, so delta_k = "
                       "sum_r dE/dy_r * dy_r/du_k, with the full Jacobian dy_r/du_k = y_r (1[r = k] - y_k). "
                       "{}The sum collapses to delta_k = y_k - t_k.")
        return [
            like("softmax_as_elementwise", elementwise.format("You used only its diagonal y_k (1 - y_k). "),
                 lambda ev: -t * (1 - y(ev))),
            like("softmax_as_elementwise", elementwise.format("Yours is the sigmoid pair's formula "
                                                              "(y_k - t_k) y_k (1 - y_k). "),
                 lambda ev: (y(ev) - t) * y(ev) * (1 - y(ev))),
            like("missing_softmax_jacobian", "dE/dy_k = -t_k / y_k is only the first factor: multiply by "
                                             "the softmax Jacobian and sum over r, which gives y_k - t_k.",
                 lambda ev: -t / y(ev)),
            like("sign_of_error_flipped", SIGN.replace("dE/dy_k = y_k - t_k", "delta_k = y_k - t_k"),
                 lambda ev: t - y(ev)),
        ]
    _check_delta(fn, "softmax", hidden, 940, mistakes)


# --- 7. one layer's weights, bias and the gradient sent back ------------------------------------------

LAYER_LABELS = {"dW": [("input neuron", "j", "m"), ("neuron", "k", "n")], "db": [("neuron", "k", "n")],
                "dy_in": [("input neuron", "j", "m")]}


def _layer_mistakes():
    only_one = ("dy_in[j] = sum_r delta_r w_jr sums over ALL n neurons r of the layer: neuron j feeds "
                "every one of them. Yours uses only {}; accumulate with += over r in range(n).")
    y_in = lambda ev: ev.inputs[0]  # noqa: E731
    W = lambda ev: ev.inputs[1]  # noqa: E731
    return [
        like("transposed_weight_index", "dy_in[j] = sum_r delta_r w_jr uses W[j, r] (row j: the weights "
                                        "leaving neuron j); yours uses W[r, j], the transposed index.",
             lambda ev: ev.dout @ W(ev) if _square(W(ev)) else _never(), grads="dy_in"),
        like("missing_sum_over_next_layer", only_one.format("r = n - 1, the last one (did `=` overwrite "
                                                            "instead of `+=` adding?)"),
             lambda ev: ev.dout[-1] * W(ev)[:, -1], grads="dy_in"),
        like("missing_sum_over_next_layer", only_one.format("r = 0"),
             lambda ev: ev.dout[0] * W(ev)[:, 0], grads="dy_in"),
        like("missing_sum_over_next_layer", only_one.format("r = j"),
             lambda ev: ev.dout * np.diag(W(ev)) if _square(W(ev)) else _never(), grads="dy_in"),
        like("missing_weight", "du_r/dy_j = w_jr: each delta_r is multiplied by the weight w_jr "
                               "before summing.", lambda ev: np.full(W(ev).shape[0], ev.dout.sum()),
             grads="dy_in"),
        like("bias_gradient_includes_input", "db_k = delta_k: du_k/db_k = 1, so no y_j enters db. Yours "
                                             "is y_j delta_k for the last j (the bias is not on any "
                                             "input's edge).", lambda ev: y_in(ev)[-1] * ev.dout, grads="db"),
        like("bias_gradient_includes_input", "db_k = delta_k: du_k/db_k = 1, so no y_j enters db. Yours "
                                             "adds y_j delta_k over j.", lambda ev: y_in(ev).sum() * ev.dout,
             grads="db"),
        like("dW_missing_input", "dw_jk = y_j delta_k: the input y_j on the weight's edge is missing.",
             lambda ev: np.tile(ev.dout, (W(ev).shape[0], 1)), grads="dW"),
        _skipped_neuron(LAYER_LABELS),
    ]


def _layer_case(fn, y_in, W, b, seed, what):
    def layer_forward(y_in, W, b):
        return y_in @ W + b, (y_in.copy(), W.copy())

    def backward(dout, cache):
        return fn(dout, cache[0], cache[1])
    backward.__name__ = what
    probe = call(fn, np.linspace(-1.0, 1.0, W.shape[1]), y_in.copy(), W.copy(), what=what)
    _check_order(probe, [("dy_in", y_in.shape), ("dW", W.shape), ("db", b.shape)], what)
    check_layer(layer_forward, backward, y_in, W, b, names=["y_in", "W", "b"],
                mistakes=_layer_mistakes(), seed=seed, quiet=True)


@EXERCISES.check("layer_backward")
def layer_backward(fn, *, hidden=False):
    what = _name(fn, "layer_backward")
    rng = _rng(hidden, 950)
    shapes = [(3, 3), (3, 5), (6, 2)] if hidden else [(4, 4), (5, 3)]

    def case(shape, k):
        y_in = rng.uniform(0.05, 0.95, size=shape[0])      # a sigmoid layer's outputs
        return y_in, rng.standard_normal(shape), 0.5 * rng.standard_normal(shape[1]), (41 if hidden else 40) + k

    _layer_case(fn, *case(shapes[0], 0), what)
    for k, shape in enumerate(shapes[1:], start=1):
        args = case(shape, k)
        _non_square(lambda args=args: _layer_case(fn, *args, what), what, "W is",
                    f"W of shape {shape} (m = {shape[0]} inputs j, n = {shape[1]} neurons k)")


# --- 8. the hidden delta --------------------------------------------------------------------------

@EXERCISES.check("hidden_delta")
def hidden_delta(fn, *, hidden=False):
    what = _name(fn, "hidden_delta")
    rng = _rng(hidden, 960)
    u = rng.uniform(-3.0, 3.0, size=6 if hidden else 5)

    def sigmoid_layer(u):
        y = _sigmoid(u)
        return y, (u.copy(), y.copy())

    def backward(dout, cache):
        return fn(dout, cache[0], cache[1])
    backward.__name__ = what
    s = lambda ev: _sigmoid(ev.inputs[0])  # noqa: E731
    mistakes = [
        like("missing_activation_derivative", "delta_j = dy_j * dy_j/du_j: the sigmoid's derivative "
                                              "y_j (1 - y_j) is missing.", lambda ev: ev.dout),
        like("derivative_at_output", "sigma' must be taken at u_j, the neuron's input: sigma'(u_j) = "
                                     "y_j (1 - y_j). Yours is sigma'(y_j) = sigma(y_j)(1 - sigma(y_j)), "
                                     "the derivative evaluated at the output.",
             lambda ev: ev.dout * _dsigmoid(s(ev))),
        like("missing_one_minus", "dy_j/du_j = sigma'(u_j) = y_j (1 - y_j); yours multiplies by y_j = "
                                  "sigma(u_j) alone (the sigmoid, not its derivative).", lambda ev: ev.dout * s(ev)),
        like("missing_one_minus", "sigma'(u) = y (1 - y); a factor is missing.",
             lambda ev: ev.dout * (1 - s(ev))),
    ]
    check_layer(sigmoid_layer, backward, u, names=["u"], mistakes=mistakes, seed=43 if hidden else 42,
                quiet=True)


# --- 9. the whole backward pass -------------------------------------------------------------------

NET_LABELS = {"dx": [("input", "i", "l")], "dW1": [("input", "i", "l"), ("hidden neuron", "j", "m")],
              "db1": [("hidden neuron", "j", "m")], "dW2": [("hidden neuron", "j", "m"), ("output neuron", "k", "n")],
              "db2": [("output neuron", "k", "n")]}


def _variant_row(key, sentence, variant, grads):
    def wrong(ev):
        ref = _backprop(*ev.inputs, ev.dout, variant=variant)
        return _never() if ref is None else ref[ev.name]
    return like(key, sentence, wrong, grads=grads)


def _network_mistakes():
    hidden_grads = ("dx", "dW1", "db1")
    return [
        _variant_row("used_u_not_y", "the output layer's input is the hidden OUTPUT y_j = sigma(u_j): "
                                     "dw_jk = y_j delta_k, not u_j delta_k.", "u_as_input", "dW2"),
        _variant_row("wrong_layer_input", "the output layer's input is the hidden output y_j, not x: "
                                          "dw_jk = y_j delta_k.", "x_as_input", "dW2"),
        _variant_row("missing_activation_derivative", "the hidden delta is delta_j = dy_j * sigma'(u_j): "
                                                      "the sigmoid's derivative is missing.",
                     "no_derivative", hidden_grads),
        _variant_row("derivative_at_output", "sigma' must be taken at u_j: sigma'(u_j) = y_j (1 - y_j). "
                                             "Yours is sigma'(y_j), the derivative at the output.",
                     "derivative_at_output", hidden_grads),
        _variant_row("u_as_y", "sigma'(u_j) = y_j (1 - y_j) with the OUTPUT y_j = sigma(u_j); yours is "
                               "u_j (1 - u_j): the pre-activation went where the output belongs (check the "
                               "order of the arguments of hidden_delta(dy, u, y)).", "u_as_y", hidden_grads),
        _skipped_neuron(NET_LABELS),
    ]


def _loop_forward(forward, output, what):
    return through(forward, lambda x, W1, b1, W2, b2: ((x, W1, b1, W2, b2, output), {}), lambda out: out, what)


def _forward_is_right(forward, case, what):
    try:
        _check_forward_case(forward, *case[:5], case[6], what)
    except CheckFailed as exc:
        if exc.key == "not_implemented":
            raise
        raise CheckFailed(f"{what} does not compute the right values yet, and this check differentiates "
                          f"it: fix Exercise 2 first.\n  ({str(exc).splitlines()[0]})", key="forward_wrong") from None


def _backward_case(forward, backward, case, seed, fwd_name):
    _forward_is_right(forward, case, fwd_name)
    x, W1, b1, W2, b2 = case[:5]
    _, cache = call(forward, *[a.copy() for a in case[:5]], "identity", what=fwd_name)
    probe = call(backward, np.linspace(-1.0, 1.0, W2.shape[1]), cache, what=_name(backward, "backward_loops"))
    _check_order(probe, [("dx", x.shape), ("dW1", W1.shape), ("db1", b1.shape), ("dW2", W2.shape),
                         ("db2", b2.shape)], _name(backward, "backward_loops"))
    check_layer(_loop_forward(forward, "identity", fwd_name), backward, *case[:5],
                names=["x", "W1", "b1", "W2", "b2"], mistakes=_network_mistakes(), seed=seed, quiet=True)


@EXERCISES.check("backward_loops", uses=("forward_loops", "layer_backward", "hidden_delta"))
def backward_loops(forward, backward, *, hidden=False):
    fwd, bwd = _name(forward, "forward_loops"), _name(backward, "backward_loops")
    cases = forward_cases(hidden)
    base = 45 if hidden else 44
    _backward_case(forward, backward, cases[0], base, fwd)
    for k, case in enumerate(cases[1:], start=1):
        W1, W2 = case[1], case[3]
        _non_square(lambda case=case, k=k: _backward_case(forward, backward, case, base + 10 * k, fwd),
                    bwd, "W1 and W2 are", f"W1 of shape {W1.shape} and W2 of shape {W2.shape}")


# --- 10. a batch ----------------------------------------------------------------------------------

def _sample_grads(x, t, W1, b1, W2, b2, output):
    u1, y1, u2, y2 = _net(x, W1, b1, W2, b2, output)
    ref = _backprop(x, W1, b1, W2, b2, _delta_out(u2, t, output))
    return [ref["dW1"], ref["db1"], ref["dW2"], ref["db2"]]


def _batch_mistakes(X, T, output):
    N = X.shape[0]
    slot = {"dW1": 0, "db1": 1, "dW2": 2, "db2": 3}

    def last_sample(scale):
        def wrong(ev):
            return ev.dout * scale * _sample_grads(X[-1], T[-1], *ev.inputs, output)[slot[ev.name]]
        return wrong

    says = ("only the last sample's gradient survived: inside the loop over samples s, add each "
            "sample's gradient (dW += ...), do not overwrite it (dW = ...); then divide by N = {}.".format(N))
    rows = [like("not_accumulated", says, last_sample(1.0)), like("not_accumulated", says, last_sample(1.0 / N))]
    if output == "sigmoid":
        def identity_delta(ev):
            total = 0.0
            for x, t in zip(X, T):
                u1, y1, u2, y2 = _net(x, *ev.inputs, output)
                total = total + _backprop(x, *ev.inputs, y2 - t)[ev.name]
            return ev.dout * total / N
        rows.append(like("delta_ignores_pair", "with output='sigmoid' the output delta is (y_k - t_k) y_k (1 - y_k), "
                                               "not y_k - t_k: take it from OUTPUT_DELTA[output].", identity_delta))
    return rows


def _batch_case(fn, X, T, params, output, seed, what):
    N = X.shape[0]

    def batch_loss(W1, b1, W2, b2):
        # The course's own forward pass and error, which the learner's L has just matched: finite
        # differences of them need no call of the learner's code (thousands of calls otherwise,
        # each a round trip to the learner's process in trusted grading).
        return float(np.mean([_error(_net(X[s], W1, b1, W2, b2, output)[3], T[s], output) for s in range(N)])), None
    batch_loss.__name__ = "the batch's mean loss"

    result = call(fn, X.copy(), T.copy(), *[p.copy() for p in params], output, what=what)
    if not isinstance(result, (tuple, list)) or len(result) != 5:
        raise CheckFailed(f"{what} must return (L, dW1, db1, dW2, db2), a tuple of 5.", key="bad_return")
    truth_L = np.mean([_error(_net(X[s], *params, output)[3], T[s], output) for s in range(N)])
    check_answer(what, result[0], truth_L, name="L", of="L", context=f" (N={N}, output={output!r})", mistakes=[
        like("L_summed", f"L is the MEAN of the per-sample errors E over the batch: divide the sum by N = {N}.",
             lambda ev: N * truth_L),
        like("not_accumulated", "L is the mean over ALL samples: add each sample's E inside the loop "
                                "(L += ...), then divide by N.",
             lambda ev: _error(_net(X[-1], *params, output)[3], T[-1], output) / N),
        like("not_accumulated", "L is the mean over ALL samples: add each sample's E inside the loop "
                                "(L += ...), then divide by N.",
             lambda ev: _error(_net(X[-1], *params, output)[3], T[-1], output)),
    ])

    def backward(dL, cache):
        scaled = []
        for g in result[1:]:
            try:
                scaled.append(None if g is None else dL * np.asarray(g, dtype=np.float64))
            except (TypeError, ValueError):
                scaled.append(g)                       # not numbers: the catalog says so
        return tuple(scaled)
    backward.__name__ = what
    check_layer(batch_loss, backward, *params, names=["W1", "b1", "W2", "b2"], batch=N,
                mistakes=_batch_mistakes(X, T, output) + [_skipped_neuron({k: v for k, v in NET_LABELS.items()
                                                                            if k != "dx"})],
                seed=seed, quiet=True)


@EXERCISES.check("batch_gradients", uses=("forward_loops", "loss", "delta_identity_mse", "delta_sigmoid_mse",
                                          "delta_softmax_ce", "backward_loops"))
def batch_gradients(forward, loss_fn, fn, *, hidden=False):
    """``fn(X, T, W1, b1, W2, b2, output) -> (L, dW1, db1, dW2, db2)``: L against the course's own
    forward pass and error, then the gradients against finite differences of that loss.  The
    learner's ``forward`` and ``loss_fn``, which ``fn`` builds on, are called once each first, so
    that a stub among them is named as such; their values are checked by their own exercises."""
    fwd, lname, what = _name(forward, "forward_loops"), _name(loss_fn, "loss"), _name(fn, "batch_gradients")
    rng = _rng(hidden, 970)
    N, (l, m, n) = (3, (5, 4, 2)) if hidden else (5, (3, 4, 2))      # small: 3 outputs x 2 douts x FD
    outputs = ["sigmoid", "softmax", "identity"] if hidden else ["identity", "sigmoid", "softmax"]
    for k, output in enumerate(outputs):
        X = rng.uniform(-1.5, 1.5, size=(N, l))
        T = np.stack([_target(rng, n, output) for _ in range(N)])
        params = [rng.standard_normal((l, m)), 0.5 * rng.standard_normal(m),
                  rng.standard_normal((m, n)), 0.5 * rng.standard_normal(n)]
        if k == 0:
            made = call(forward, X[0].copy(), *[p.copy() for p in params], output, what=fwd)
            if isinstance(made, tuple) and len(made) == 2:
                call(loss_fn, made[0], T[0].copy(), output, what=lname)
        _batch_case(fn, X, T, params, output, (47 if hidden else 46) + 10 * k, what)
