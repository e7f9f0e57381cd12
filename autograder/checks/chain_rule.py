"""Checks for 01_chain_rule: the chain rule, chains of functions, gates, worked examples.

One check per graded cell.  Every check compares the learner's numbers with
references written here from closed-form formulas (never from the learner's
own code), and names the mistakes this notebook invites: a gate that does
not swap / route / distribute, a missing minus in the 1/x gate, gradients
that do not add at a branch, a sigmoid derivative forgotten or applied to
the wrong array.
"""
import numpy as np

from . import Exercises
from .. import check_grad, check_layer, like
from ..catalog import SAME, Mistake
from ..compare import relative_error
from ..guard import CheckFailed, call
from ..tolerances import VALUE_RTOL
from .reference import sigmoid as _sigmoid

EXERCISES = Exercises("01_chain_rule", [
    ("sin_square_derivative", "Chain rule: derivative of sin(x^2)", 1),
    ("chain_forward", "Chain forward pass that stores its inputs", 1),
    ("chain_backward", "Chain backward pass from the output side", 2),
    ("add_gate", "Add gate", 1),
    ("mul_gate", "Multiply gate", 1),
    ("exp_gate", "Exp gate", 1),
    ("reciprocal_gate", "1/x gate", 1),
    ("add_const_gate", "Add-a-constant gate", 1),
    ("mul_const_gate", "Multiply-by-a-constant gate", 1),
    ("max_gate", "Max gate", 1),
    ("branch", "Gradients add at a branch: x * exp(x)", 1),
    ("simple_example", "Worked example (x + y) z", 1),
    ("neuron_gates", "Sigmoid neuron, gate by gate", 2),
    ("sigmoid", "Stable sigmoid", 1),
    ("sigmoid_backward", "Sigmoid backward from the cached output", 1),
    ("neuron_shortcut", "Sigmoid neuron with the sigmoid shortcut", 1),
])
progress = EXERCISES.progress


# --- references (closed forms, written independently of the notebook) --------------------



def _square(x):
    return x * x


def _twice(x):
    return 2.0 * x


# y = C(B(A(x))) with A(x) = x^2, B(a) = exp(a), C(b) = b^2, as in DeZero step 5.
CHAIN_ABC = [(_square, _twice), (np.exp, np.exp), (_square, _twice)]
# CHAIN_ABC reads the same backwards (C' = A'), which hides order mistakes; the visible checks
# also run this chain, and the hidden ones a chain of four functions.
CHAIN_MIXED = [(np.exp, np.exp), (np.sin, np.cos), (_square, _twice)]
CHAIN_HIDDEN = [(np.sin, np.cos), (_square, _twice), (np.exp, np.exp), (np.tanh, lambda v: 1.0 - np.tanh(v) ** 2)]


def _run_chain(x, chain):
    """(inputs, outputs) of each function of the chain."""
    inputs, outputs = [], []
    for f, _ in chain:
        inputs.append(x)
        x = f(x)
        outputs.append(x)
    return inputs, outputs


def _uniform(rng, shape, low, high):
    return rng.uniform(low, high, size=shape)


def _away_from_zero(rng, shape, low=0.5, high=2.0):
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _same(a, b):
    try:
        a = np.asarray(a, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and relative_error(a, b) <= SAME


def _check_forward(forward, inputs, reference, what, mistakes=()):
    """forward(*inputs)[0] must equal ``reference``; ``mistakes`` are (key, sentence, wrong_out)."""
    result = call(forward, *[np.array(x, dtype=np.float64) for x in inputs], what=what)
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(f"{what} must return (out, cache), a tuple of 2.", key="bad_return")
    try:
        out = np.asarray(result[0], dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what}: out is not an array of numbers.", key="bad_output") from None
    if out.shape == () and np.shape(reference) != ():
        raise CheckFailed(f"{what}: out is a single number, but a gate works entry by entry: use "
                          f"elementwise numpy operations (np.maximum, not max or np.max).",
                          key="forward_scalar")
    if out.shape != np.shape(reference):
        raise CheckFailed(f"{what}: out has shape {out.shape}, expected {np.shape(reference)} "
                          f"(a gate works entry by entry, so out has the shape of its input).",
                          key="forward_shape")
    if relative_error(out, reference) <= VALUE_RTOL:
        return
    for key, sentence, wrong in mistakes:
        if _same(out, wrong):
            raise CheckFailed(f"{what}: {sentence}", key=key)
    raise CheckFailed(f"{what}: out has the right shape but wrong values "
                      f"(relative error {relative_error(out, reference):.1e}).", key="forward_wrong")


# --- 1. scalar chain rule ----------------------------------------------------------------

@EXERCISES.check("sin_square_derivative")
def sin_square_derivative(dy_dx, *, hidden=False):
    rng = np.random.default_rng(101 if hidden else 100)
    x = _uniform(rng, (4, 3), -2.0, 2.0)
    mistakes = [
        like("missing_inner_derivative",
             "you forgot the inner derivative: d/dx sin(x^2) = cos(x^2) * 2x, not cos(x^2).",
             lambda ev: np.cos(ev.inputs[0] ** 2)),
        like("outer_at_x",
             "the outer derivative cos must be evaluated at the inner value g(x) = x^2: "
             "cos(x^2) * 2x, not cos(x) * 2x.",
             lambda ev: np.cos(ev.inputs[0]) * 2 * ev.inputs[0]),
        like("outer_not_differentiated",
             "you kept sin where its derivative cos belongs: cos(x^2) * 2x.",
             lambda ev: np.sin(ev.inputs[0] ** 2) * 2 * ev.inputs[0]),
    ]
    check_grad(lambda v: np.sum(np.sin(v ** 2)), dy_dx, x, name="dy/dx", mistakes=mistakes, quiet=True)


# --- 2. a chain of functions ---------------------------------------------------------------

def _chain_cases(hidden):
    """(x, chain, pass the chain explicitly?) for each run of a check."""
    rng = np.random.default_rng(201 if hidden else 200)
    x = _uniform(rng, (4, 3), -1.0, 1.0)
    if hidden:
        return [(x, CHAIN_HIDDEN, True)]
    return [(x, CHAIN_ABC, False), (x[::-1].copy(), CHAIN_MIXED, True)]


@EXERCISES.check("chain_forward")
def chain_forward(forward, *, hidden=False):
    for x, chain, explicit in _chain_cases(hidden):
        _chain_forward_case(forward, x, chain, explicit)


def _chain_forward_case(forward, x, chain, explicit):
    inputs, outputs = _run_chain(x, chain)
    args = (x.copy(), chain) if explicit else (x.copy(),)
    what = getattr(forward, "__name__", "chain_forward")
    result = call(forward, *args, what=what)
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(f"{what} must return (y, cache), a tuple of 2.", key="bad_return")
    y, cache = result
    reversed_chain = _run_chain(x, chain[::-1])[1][-1]
    if not _same(y, outputs[-1]):
        if explicit and chain is not CHAIN_ABC and _same(y, _run_chain(x, CHAIN_ABC)[1][-1]):
            raise CheckFailed(f"{what}: you applied the global CHAIN; apply the `chain` passed as the "
                              f"second argument.", key="ignored_chain_argument")
        if _same(y, reversed_chain):
            raise CheckFailed(f"{what}: you applied the functions in reverse order; "
                              f"A acts first: y = C(B(A(x))).", key="chain_order")
        raise CheckFailed(f"{what}: y is wrong: apply each function of the chain in turn, "
                          f"from the first to the last.", key="forward_wrong")
    try:
        stored = list(cache[0])
    except (TypeError, IndexError, KeyError):
        stored = None
    if stored is None or len(stored) != len(chain):
        raise CheckFailed(f"{what}: cache must be (inputs, chain) where inputs is a list with the "
                          f"input of each of the {len(chain)} functions.", key="cache_format")
    if all(_same(s, o) for s, o in zip(stored, outputs)):
        raise CheckFailed(f"{what}: the cache holds the outputs (a, b, y); backward needs the "
                          f"inputs (x, a, b): append x before you overwrite it.", key="stored_outputs")
    for k, (s, want) in enumerate(zip(stored, inputs)):
        if not _same(s, want):
            raise CheckFailed(f"{what}: inputs[{k}] is not the input of function {k} "
                              f"(inputs must be [x, A(x), B(A(x)), ...]).", key="inputs_wrong")


def _product_of_locals(x, chain, skip=None, at=None):
    """dy/dx = product of local derivatives; variants for the mistake rows."""
    inputs, outputs = _run_chain(x, chain)
    points = {"inputs": inputs, "outputs": outputs, "unreversed": inputs[::-1]}[at or "inputs"]
    total = np.ones_like(x)
    for k, (_, df) in enumerate(chain):
        if k != skip:
            total = total * df(points[k])
    return total


def _chain_mistakes(chain):
    def missing_one(ev):
        x, dout = ev.inputs[0], ev.dout
        return any(_same(ev.yours, dout * _product_of_locals(x, chain, skip=k))
                   for k in range(len(chain)))

    def summed(ev):
        inputs, _ = _run_chain(ev.inputs[0], chain)
        return ev.dout * sum(df(v) for (_, df), v in zip(chain, inputs))

    def global_chain(ev):
        inputs, _ = _run_chain(ev.inputs[0], chain)
        grad = ev.dout
        for (_, df), v in zip(reversed(CHAIN_ABC), reversed(inputs)):
            grad = grad * df(v)
        return grad

    rows = [] if chain is CHAIN_ABC else [
        like("used_global_chain", "use the chain stored in the cache (cache = (inputs, chain)), "
                                  "not the global CHAIN.", global_chain)]
    return rows + [
        like("wrong_point",
             "each local derivative must be evaluated at the input its own function saw: "
             "C'(b), then B'(a), then A'(x). Walk the stored inputs in reverse together with the chain.",
             lambda ev: ev.dout * _product_of_locals(ev.inputs[0], chain, at="unreversed")),
        like("used_outputs",
             "you evaluated the local derivatives at the outputs (a, b, y); use the stored "
             "inputs (x, a, b): C'(b), B'(a), A'(x).",
             lambda ev: ev.dout * _product_of_locals(ev.inputs[0], chain, at="outputs")),
        Mistake("missing_local",
                "a local derivative is missing from the product: dx = dout * C'(b) * B'(a) * A'(x), "
                "one factor per function of the chain.", missing_one),
        like("summed_locals",
             "you added the local derivatives; the chain rule multiplies them.", summed),
    ]


@EXERCISES.check("chain_backward")
def chain_backward(backward, *, hidden=False):
    for k, (x, chain, _) in enumerate(_chain_cases(hidden)):
        def chain_reference_forward(x, chain=chain):
            inputs, outputs = _run_chain(x, chain)
            return outputs[-1], (inputs, chain)

        check_layer(chain_reference_forward, backward, x, names=["x"], mistakes=_chain_mistakes(chain),
                    seed=(7 if hidden else 6) + 10 * k, quiet=True)


# --- 3. gates ----------------------------------------------------------------------------

def _rng(hidden, base):
    return np.random.default_rng(base + (1 if hidden else 0))


@EXERCISES.check("add_gate")
def add_gate(forward, backward, *, hidden=False):
    rng = _rng(hidden, 300)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    _check_forward(forward, (x, y), x + y, getattr(forward, "__name__", "add_forward"),
                   mistakes=[("add_forward_mul", "add gate computes x + y, not x * y.", x * y)])
    mistakes = [
        like("add_split", "add gate: the upstream gradient is copied to both inputs, not split "
                          "between them (the local gradients are 1 and 1).", lambda ev: ev.dout / 2),
        like("add_like_mul", "add gate: the local gradients are 1, not the other input "
                             "(swapping is the multiply gate).",
             lambda ev: ev.dout * ev.inputs[1 if ev.of == "x" else 0]),
        like("add_dropped", "add gate: both inputs get the upstream gradient unchanged "
                            "(add distributes); one of yours is zero.", lambda ev: 0 * ev.dout),
    ]
    check_layer(forward, backward, x, y, names=["x", "y"], mistakes=mistakes, quiet=True)


@EXERCISES.check("mul_gate")
def mul_gate(forward, backward, *, hidden=False):
    rng = _rng(hidden, 310)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    _check_forward(forward, (x, y), x * y, getattr(forward, "__name__", "mul_forward"),
                   mistakes=[("mul_forward_add", "multiply gate computes x * y, not x + y.", x + y)])
    mistakes = [
        like("mul_not_swapped", "multiply gate: you did not swap the inputs: dx = dout * y and "
                                "dy = dout * x.", lambda ev: ev.dout * ev.inputs[0 if ev.of == "x" else 1]),
        like("mul_passthrough", "multiply gate: you passed dout through unchanged, like an add gate; "
                                "multiply it by the other input.", lambda ev: ev.dout),
    ]
    check_layer(forward, backward, x, y, names=["x", "y"], mistakes=mistakes, quiet=True)


@EXERCISES.check("exp_gate")
def exp_gate(forward, backward, *, hidden=False):
    rng = _rng(hidden, 320)
    x = _uniform(rng, (4, 3), -2.0, 2.0)
    _check_forward(forward, (x,), np.exp(x), getattr(forward, "__name__", "exp_forward"))
    mistakes = [
        like("exp_passthrough", "exp gate: you passed the upstream gradient through; multiply it "
                                "by the local gradient exp(x).", lambda ev: ev.dout),
        like("exp_of_upstream", "exp gate: you used the upstream instead of exp(x): "
                                "dx = dout * exp(x), with x the gate's input.",
             lambda ev: ev.dout * np.exp(ev.dout)),
        like("exp_of_upstream", "exp gate: you used the upstream instead of exp(x): "
                                "dx = dout * exp(x), with x the gate's input.",
             lambda ev: np.exp(ev.dout)),
        like("exp_times_x", "exp gate: the local gradient is exp(x), not x * exp(x).",
             lambda ev: ev.dout * ev.inputs[0] * np.exp(ev.inputs[0])),
        like("exp_used_input", "exp gate: your backward multiplies dout by x, the gate's input, as if it "
                               "were exp(x). The local gradient is exp(x): cache the output "
                               "out = exp(x), or compute np.exp(x) from the cached x.",
             lambda ev: ev.dout * ev.inputs[0]),
        like("exp_of_output", "exp gate: the cache already holds out = exp(x); multiply dout by it "
                              "directly, not by exp(out).",
             lambda ev: ev.dout * np.exp(np.exp(ev.inputs[0]))),
    ]
    check_layer(forward, backward, x, names=["x"], mistakes=mistakes, quiet=True)


@EXERCISES.check("reciprocal_gate")
def reciprocal_gate(forward, backward, *, hidden=False):
    rng = _rng(hidden, 330)
    x = _away_from_zero(rng, (4, 3))
    _check_forward(forward, (x,), 1.0 / x, getattr(forward, "__name__", "reciprocal_forward"))
    no_minus = "1/x gate: missing minus sign: the local gradient is -1/x^2 (times dout)."
    mistakes = [
        like("reciprocal_no_minus", no_minus, lambda ev: ev.dout / ev.inputs[0] ** 2),
        like("reciprocal_no_minus", no_minus, lambda ev: 1.0 / ev.inputs[0] ** 2),
        like("reciprocal_wrong_power", "1/x gate: the local gradient is -1/x^2, not -1/x.",
             lambda ev: -ev.dout / ev.inputs[0]),
        like("reciprocal_wrong_power", "1/x gate: the local gradient is -1/x^2, not -1/x.",
             lambda ev: ev.dout / ev.inputs[0]),
        like("reciprocal_used_output", "1/x gate: your backward treats the cached value as x, but it is "
                                       "the output out = 1/x (-dout / out**2 is -dout * x**2). Cache x, "
                                       "or use the output: -1/x^2 = -out**2.",
             lambda ev: -ev.dout * ev.inputs[0] ** 2),
    ]
    check_layer(forward, backward, x, names=["x"], mistakes=mistakes, quiet=True)


@EXERCISES.check("add_const_gate")
def add_const_gate(forward, backward, *, hidden=False):
    rng = _rng(hidden, 340)
    x = rng.standard_normal((4, 3))
    c = np.array(-2.5 if hidden else 3.0)
    _check_forward(forward, (x, c), x + c, getattr(forward, "__name__", "add_const_forward"),
                   mistakes=[("add_const_forward_mul", "add-a-constant gate computes x + c, not c * x.", c * x)])
    mistakes = [
        like("add_const_scaled", "add-a-constant gate: the local gradient is 1, not the constant c.",
             lambda ev: ev.dout * ev.inputs[1]),
        like("add_const_added", "add-a-constant gate: dx = dout * 1; do not add c to the gradient.",
             lambda ev: ev.dout + ev.inputs[1]),
    ]
    check_layer(forward, backward, x, c, wrt=[0], names=["x", "c"], mistakes=mistakes, quiet=True)


@EXERCISES.check("mul_const_gate")
def mul_const_gate(forward, backward, *, hidden=False):
    rng = _rng(hidden, 350)
    x = rng.standard_normal((4, 3))
    a = np.array(-1.0 if hidden else 2.5)
    _check_forward(forward, (x, a), a * x, getattr(forward, "__name__", "mul_const_forward"),
                   mistakes=[("mul_const_forward_add", "multiply-by-a-constant gate computes a * x, not x + a.",
                              x + a)])
    mistakes = [
        like("mul_const_not_scaled", "multiply-by-a-constant gate: the local gradient is the "
                                     "constant a: dx = a * dout.", lambda ev: ev.dout),
        like("mul_const_used_x", "multiply-by-a-constant gate: you multiplied by x; the local "
                                 "gradient is the constant a.", lambda ev: ev.dout * ev.inputs[0]),
    ]
    check_layer(forward, backward, x, a, wrt=[0], names=["x", "a"], mistakes=mistakes, quiet=True)


@EXERCISES.check("max_gate")
def max_gate(forward, backward, *, hidden=False):
    rng = _rng(hidden, 360)
    x = rng.standard_normal((4, 3))
    # y differs from x by at least 0.2 everywhere: no ties, no kinks within the finite-difference step
    y = x + _away_from_zero(rng, (4, 3), 0.2, 1.0)
    what = getattr(forward, "__name__", "max_forward")
    try:
        _check_forward(forward, (x, y), np.maximum(x, y), what,
                       mistakes=[("max_forward_min", "max gate returned the smaller input.", np.minimum(x, y))])
    except CheckFailed as exc:
        if exc.key == "exception" and "truth value of an array" in str(exc):
            raise CheckFailed(f"{what}: Python's max(x, y) compares whole arrays and fails; "
                              f"np.maximum(x, y) takes the max entry by entry.", key="max_python_max") from None
        raise

    def larger(ev):
        x_, y_ = ev.inputs
        return (x_ > y_) if ev.of == "x" else (y_ > x_)

    mistakes = [
        like("max_both", "max gate: gradient sent to both inputs; only the larger one gets dout "
                         "(max routes).", lambda ev: ev.dout),
        like("max_to_smaller", "max gate: gradient sent to the smaller input; it belongs to the "
                               "larger one.", lambda ev: ev.dout * ~larger(ev)),
        like("max_value", "max gate: dx = dout where x is the larger input, else 0; "
                          "not the max value itself.", lambda ev: ev.dout * np.maximum(*ev.inputs)),
    ]
    check_layer(forward, backward, x, y, names=["x", "y"], mistakes=mistakes, quiet=True)


# --- 4. a branch ---------------------------------------------------------------------------

@EXERCISES.check("branch")
def branch(forward, backward, *, hidden=False):
    rng = _rng(hidden, 400)
    x = _uniform(rng, (4, 3), -1.5, 1.5)
    _check_forward(forward, (x,), x * np.exp(x), getattr(forward, "__name__", "branch_forward"))
    says = ("forgetting that gradients add at a branch: x feeds both the multiply gate and the "
            "exp gate, so dx = (gradient through mul) + (gradient through exp).")
    mistakes = [
        like("branch_not_summed", says, lambda ev: ev.dout * np.exp(ev.inputs[0])),
        like("branch_not_summed", says, lambda ev: ev.dout * ev.inputs[0] * np.exp(ev.inputs[0])),
    ]
    check_layer(forward, backward, x, names=["x"], mistakes=mistakes, quiet=True)


# --- 5. worked examples ----------------------------------------------------------------------
#
# The learner's function returns numbers, not a layer, so the check compares them with closed
# forms and tries named alternatives.  When a helper gate has passed its own check in this
# session (EXERCISES.status), a wrong result that looks like a broken gate is blamed on how the
# gate was used (unpacked in the wrong order, a backward call skipped), not on the gate.

def _passed(*keys):
    return all(EXERCISES.status.get(k) == "passed" for k in keys)


def _numbers(result, what, names, shapes, hints):
    """The learner's tuple as float64 arrays of the expected shapes; messages name each value."""
    expected = "(" + ", ".join(names) + ")"
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = (f"a tuple of {len(result)}" if isinstance(result, (tuple, list))
               else "None" if result is None else type(result).__name__)
        raise CheckFailed(f"{what} must return a tuple of {len(names)} values, {expected}; it returned "
                          f"{got}.", key="bad_return")
    arrays = []
    for value, shape, name, hint in zip(result, shapes, names, hints):
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise CheckFailed(f"{what}: {name} is not a number or an array of numbers "
                              f"(got {type(value).__name__}).", key="bad_return") from None
        if arr.shape != shape:
            raise CheckFailed(f"{what}: {name} has shape {arr.shape}, expected {shape} ({hint}).",
                              key="wrong_shape")
        arrays.append(arr)
    return arrays


def _diagnose_example(what, mine, truth, variants, names, table="", context=""):
    """Raise a CheckFailed naming the mistake; ``table`` (the seed's numbers next to yours)
    ends the message, where it helps most."""
    if all(relative_error(m, t) <= VALUE_RTOL * 1e3 for m, t in zip(mine, truth)):
        return
    tail = f"\n{table}" if table else ""
    if relative_error(mine[0], truth[0]) > VALUE_RTOL * 1e3:
        raise CheckFailed(f"{what}{context}: the forward value {names[0]} is wrong "
                          f"(yours {float(mine[0]):.4g}, expected {float(truth[0]):.4g}).{tail}",
                          key="forward_wrong")
    for key, sentence, wrong in variants:
        if all(_same(m, w) for m, w in zip(mine[1:], wrong)):
            raise CheckFailed(f"{what}{context}: {sentence}{tail}", key=key)
    bad = [n for n, m, t in zip(names[1:], mine[1:], truth[1:]) if relative_error(m, t) > VALUE_RTOL * 1e3]
    raise CheckFailed(f"{what}{context}: wrong gradient{'s' if len(bad) > 1 else ''}: {', '.join(bad)}.{tail}",
                      key="wrong_values")


def _fmt(values):
    return ", ".join(f"{v + 0.0:.2f}" for v in np.ravel(values))     # + 0.0: no "-0.00" for an exact -0


def _simple_variants(q, z):
    """Wrong (df/dx, df/dy, df/dz) for f = (x + y) z, with q = x + y."""
    if _passed("mul_gate"):
        swapped = ("mul_unpacked_swapped",
                   "you unpacked mul_backward's (dx, dy) in the wrong order: for f = q * z, "
                   "mul_forward(q, z) makes mul_backward return (df/dq, df/dz), in the order of "
                   "mul_forward's arguments (your multiply gate passed its own check).")
    else:
        swapped = ("mul_not_swapped",
                   "multiply gate: you did not swap the inputs (df/dz must be q = x + y, df/dq must be z).")
    if _passed("add_gate"):
        dropped = ("add_output_dropped",
                   "df/dy is 0, but add_backward gives both inputs df/dq (your add gate passed its own "
                   "check): keep both of its gradients, dx, dy = add_backward(dq, add_cache).")
    else:
        dropped = ("add_dropped", "add gate: both x and y get the upstream gradient df/dq (add distributes).")
    return [
        swapped + ([q, q, z],),
        dropped + ([z, 0.0 * z, q],),
        ("add_not_chained", "add_backward was given 1 as its upstream gradient; give it dq = df/dq, "
                            "what mul_backward returned for q (downstream = upstream x local).", [1.0, 1.0, q]),
        ("zero_start", "start the backward pass with df/df = 1 (the upstream gradient of the output).",
         [0.0, 0.0, 0.0]),
    ]


@EXERCISES.check("simple_example", uses=("add_gate", "mul_gate"))
def simple_example(fn, *, hidden=False):
    x, y, z = (3.0, -1.5, 2.0) if hidden else (-2.0, 5.0, -4.0)
    what = getattr(fn, "__name__", "simple_example")
    names = ["f", "df/dx", "df/dy", "df/dz"]
    mine = _numbers(call(fn, x, y, z, what=what), what, names, [()] * 4, ["a single number"] * 4)
    q = x + y
    truth = [q * z, z, z, q]                                  # f = (x + y) z
    table = "" if hidden else (
        f"  seed (CS231n lecture 4, as in the Korean notes): f = -12, df/dx = -4, df/dy = -4, df/dz = 3\n"
        f"  yours:                                           f = {_fmt(mine[0])}, df/dx = {_fmt(mine[1])}, "
        f"df/dy = {_fmt(mine[2])}, df/dz = {_fmt(mine[3])}")
    _diagnose_example(what, mine, truth, _simple_variants(q, z), names, table)
    if table:
        print(table)


def _neuron_truth(w, x):
    z = w[0] * x[0] + w[1] * x[1] + w[2]
    s = float(_sigmoid(z))
    local = s * (1.0 - s)
    return s, local, np.array([x[0], x[1], 1.0]), np.array([w[0], w[1]])


def _neuron_variants(w, x, shortcut):
    """Wrong (dw, dx) for the sigmoid neuron, each with the key and sentence that name it."""
    s, local, dz_dw, dz_dx = _neuron_truth(w, x)
    z = w[0] * x[0] + w[1] * x[1] + w[2]

    def through(df_dz):
        return [df_dz * dz_dw, df_dz * dz_dx]

    swapped = [local * np.array([w[0], w[1], 1.0]), local * np.array([x[0], x[1]])]
    rows = [("missing_sigmoid_derivative", "you forgot the sigmoid derivative: dz/dw must be multiplied "
                                           "by df/dz = sigma(z)(1 - sigma(z)).", [dz_dw, dz_dx])]
    if _passed("mul_gate"):
        rows.append(("mul_unpacked_swapped",
                     "you unpacked mul_backward's two gradients in the wrong order: mul_forward(w0, x0) "
                     "makes mul_backward return (df/dw0, df/dx0), in the order of mul_forward's "
                     "arguments (your multiply gate passed its own check).", swapped))
    else:
        rows.append(("mul_not_swapped", "multiply gate: you did not swap the inputs (df/dw0 = x0 * df/dz, "
                                        "df/dx0 = w0 * df/dz).", swapped))
    if shortcut:
        rows.append(("sigmoid_backward_got_z",
                     "sigmoid_backward needs the cached output s = sigma(z), not z: pass it the cache "
                     "sigmoid_forward returned (you passed z, and z (1 - z) is not the sigmoid's "
                     "derivative).", through(z * (1.0 - z))))
        return rows
    if _passed("reciprocal_gate", "mul_const_gate"):
        rows.append(("sign_flipped", "every gradient has the wrong sign, and your 1/x and ×(-1) gates "
                                     "passed their checks: is a backward call missing? Without "
                                     "mul_const_backward (the ×(-1) gate) the sign never flips back.",
                     through(-local)))
    else:
        rows.append(("sign_flipped", "every gradient has the wrong sign: check the minus of the 1/x gate "
                                     "(-1/x^2) and the * (-1) gate.", through(-local)))
    if _passed("exp_gate"):
        rows.append(("exp_skipped", "you skipped exp_backward: your df/dz is sigma(z)^2 instead of "
                                    "sigma(z)(1 - sigma(z)). Pass the gradient through every gate: "
                                    "dn = exp_backward(de, exp_cache).", through(s * s)))
    else:
        rows.append(("exp_passthrough", "exp gate: you passed the upstream gradient through; multiply it by "
                                        "exp(x) (your df/dz is sigma(z)^2 instead of sigma(z)(1 - sigma(z))).",
                     through(s * s)))
    if _passed("reciprocal_gate"):
        rows.append(("reciprocal_skipped", "you skipped reciprocal_backward: the backward pass starts at the "
                                           "last gate, dd = reciprocal_backward(1.0, its cache), and goes "
                                           "through every gate in reverse order.", through(-np.exp(-z))))
    else:
        rows.append(("reciprocal_passthrough", "1/x gate: you passed the upstream gradient through; its local "
                                               "gradient is -1/x^2.", through(-np.exp(-z))))
    return rows


# The seed's worked example first (its numbers are printed next to yours), then a point where
# w1 != w2 and x0 != -1, which the seed's numbers cannot tell apart from a few slips
# (w[1] used as the bias, say).
NEURON_POINTS = {
    False: [(np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0])),
            (np.array([0.7, -1.2, 0.4]), np.array([1.5, 0.8]))],
    True: [(np.array([0.5, 1.5, -0.25]), np.array([1.2, -0.7]))],
}

NEURON_TABLE = ("  CS231n lecture 4 slides:  f = 0.73, dw = (-0.20, -0.39, 0.20), dx = (0.39, -0.59)\n"
                "  seed (the Korean notes):  df/dz = 0.2 (1/x gate -0.53, exp gate -0.2, ×(-1) gate 0.2), "
                "df/dw0 = -0.2, df/dx0 = 0.4 (2 × 0.2, rounded)\n"
                "  yours:                    f = {f}, dw = ({dw}), dx = ({dx})")


def _check_neuron(fn, hidden, what, shortcut):
    names = ["f", "dw", "dx"]
    hints = ["a single number", "one gradient per weight: w0, w1, w2", "one gradient per input: x0, x1"]
    for k, (w, x) in enumerate(NEURON_POINTS[hidden]):
        mine = _numbers(call(fn, w.copy(), x.copy(), what=what), what, names, [(), (3,), (2,)], hints)
        s, local, dz_dw, dz_dx = _neuron_truth(w, x)
        seed_point = not hidden and k == 0
        table = NEURON_TABLE.format(f=_fmt(mine[0]), dw=_fmt(mine[1]), dx=_fmt(mine[2])) if seed_point else ""
        context = "" if seed_point else f", at w = {w.tolist()}, x = {x.tolist()}"
        _diagnose_example(what, mine, [s, local * dz_dw, local * dz_dx], _neuron_variants(w, x, shortcut),
                          names, table, context)
        if table:
            print(table)


@EXERCISES.check("neuron_gates", uses=("add_gate", "mul_gate", "exp_gate", "reciprocal_gate", "add_const_gate", "mul_const_gate"))
def neuron_gates(fn, *, hidden=False):
    _check_neuron(fn, hidden, getattr(fn, "__name__", "neuron_gates"), shortcut=False)


@EXERCISES.check("neuron_shortcut", uses=("add_gate", "mul_gate", "sigmoid", "sigmoid_backward"))
def neuron_shortcut(fn, *, hidden=False):
    _check_neuron(fn, hidden, getattr(fn, "__name__", "neuron_shortcut"), shortcut=True)


# --- 6. sigmoid -----------------------------------------------------------------------------

def _sigmoid_points(hidden):
    rng = np.random.default_rng(501 if hidden else 500)
    extremes = np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0, -1.0, 2.5, 1e-9, -36.0, 36.5])
    x = np.concatenate([extremes, rng.standard_normal(12) * 5]).reshape(4, 6)
    return x


@EXERCISES.check("sigmoid")
def sigmoid(fn, *, hidden=False):
    x = _sigmoid_points(hidden)
    what = getattr(fn, "__name__", "sigmoid")
    got = call(fn, x.copy(), what=what)
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} must return an array of numbers.", key="bad_return") from None
    if got.shape != x.shape:
        raise CheckFailed(f"{what}: output has shape {got.shape}, expected {x.shape} "
                          f"(sigmoid works entry by entry).", key="wrong_shape")
    if not np.all(np.isfinite(got)):
        raise CheckFailed(f"{what}: the output contains nan or inf for large |x|: rewrite it so "
                          f"that exp only sees numbers <= 0, e.g. np.exp(-np.abs(x)).", key="non_finite")
    want = _sigmoid(x)
    # atol: formulas such as 0.5 * (1 + tanh(x / 2)) are correct but only to ~1e-16 absolute
    if np.allclose(got, want, rtol=1e-9, atol=1e-15):
        return
    if np.allclose(got, _sigmoid(-x), rtol=1e-9, atol=1e-15):
        raise CheckFailed(f"{what}: you computed 1 / (1 + exp(x)) = sigma(-x); the exponent is -x.",
                          key="sigmoid_sign")
    bad = np.argmax(np.abs(got - want) / np.maximum(np.abs(want), 1e-300))
    raise CheckFailed(f"{what}: wrong value at x = {x.flat[bad]:g}: yours {got.flat[bad]:.6g}, "
                      f"expected {want.flat[bad]:.6g}.", key="wrong_values")


@EXERCISES.check("sigmoid_backward")
def sigmoid_backward(backward, *, hidden=False):
    rng = np.random.default_rng(511 if hidden else 510)
    x = rng.standard_normal((4, 3)) * 2

    def sigmoid_reference_forward(x):
        out = _sigmoid(x)
        return out, out

    s_of = _sigmoid
    mistakes = [
        like("missing_sigmoid_derivative", "you forgot the sigmoid derivative: dx = dout * s * (1 - s).",
             lambda ev: ev.dout),
        like("sigma_of_cache", "sigmoid_backward used sigma(cache): the cache already holds "
                               "s = sigma(x); use it directly: dx = dout * s * (1 - s).",
             lambda ev: ev.dout * s_of(s_of(ev.inputs[0])) * (1 - s_of(s_of(ev.inputs[0])))),
        like("sigma_of_dout", "sigmoid_backward used sigma(dout); the local gradient comes from the "
                              "cached output s: dx = dout * s * (1 - s).",
             lambda ev: ev.dout * s_of(ev.dout) * (1 - s_of(ev.dout))),
        like("sigma_of_dout", "sigmoid_backward used sigma(dout); the local gradient comes from the "
                              "cached output s: dx = dout * s * (1 - s).",
             lambda ev: s_of(ev.dout) * (1 - s_of(ev.dout))),
        like("missing_one_minus", "the sigmoid derivative is s * (1 - s); a factor is missing.",
             lambda ev: ev.dout * s_of(ev.inputs[0])),
        like("missing_one_minus", "the sigmoid derivative is s * (1 - s); a factor is missing.",
             lambda ev: ev.dout * (1 - s_of(ev.inputs[0]))),
    ]
    check_layer(sigmoid_reference_forward, backward, x, names=["x"], mistakes=mistakes,
                seed=13 if hidden else 12, quiet=True)
    # far from 0 the gradient must stay finite, warning-free and (almost) zero
    big = np.array([[-1000.0, -745.0, 745.0], [1000.0, -40.0, 40.0]])
    s = _sigmoid(big)
    dout = np.random.default_rng(521 if hidden else 520).standard_normal(big.shape)
    what = getattr(backward, "__name__", "sigmoid_backward")
    got = call(backward, dout.copy(), s.copy(), what=what)
    got = np.asarray(got[0] if isinstance(got, (tuple, list)) else got, dtype=np.float64)
    if got.shape != big.shape or not np.all(np.isfinite(got)) or not np.allclose(got, dout * s * (1 - s), atol=1e-15):
        raise CheckFailed(f"{what}: for |x| up to 1000 the gradient must be finite and ~0; "
                          f"yours is {got.ravel()[:6]}.", key="unstable_backward")
