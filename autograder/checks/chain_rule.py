"""Checks for 01_chain_rule: the chain rule, chains of functions, gates, worked examples
(long: one notebook's checks and the catalog of its mistakes, read together, one exercise after
another; split by exercise they would scatter what a notebook's author edits at once).

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
from ..check import check_answer
from ..compare import relative_error
from ..guard import CheckFailed, call
from ..i18n import N_, tr, translated
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
def _dtanh(v):
    return 1.0 - np.tanh(v) ** 2


# CHAIN_ABC reads the same backwards (C' = A'), which hides order mistakes; the visible checks
# also run CHAIN_MIXED, and a chain of four functions (code written for exactly three fails
# there); the hidden ones chains of four and of two.
CHAIN_MIXED = [(np.exp, np.exp), (np.sin, np.cos), (_square, _twice)]
CHAIN_FOUR = [(np.tanh, _dtanh), (np.exp, np.exp), (np.sin, np.cos), (_square, _twice)]
CHAIN_HIDDEN = [(np.sin, np.cos), (_square, _twice), (np.exp, np.exp), (np.tanh, _dtanh)]
CHAIN_TWO = [(np.cos, lambda v: -np.sin(v)), (np.exp, np.exp)]


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
    try:
        result = call(forward, *[np.array(x, dtype=np.float64) for x in inputs], what=what)
    except CheckFailed as exc:
        _math_module(exc, what, hint=None)
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(tr("{what} must return (out, cache), a tuple of 2.", what=what), key="bad_return")
    try:
        out = np.asarray(result[0], dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(tr("{what}: out is not an array of numbers.", what=what), key="bad_output") from None
    if out.shape == () and np.shape(reference) != ():
        raise CheckFailed(tr("{what}: out is a single number, but a gate works entry by entry: use elementwise numpy "
                             "operations (np.maximum, not max or np.max).",
                             what=what),
                          key="forward_scalar")
    if out.shape != np.shape(reference):
        raise CheckFailed(tr("{what}: out has shape {out_shape}, expected {np_shape_reference} (a gate works entry by "
                             "entry, so out has the shape of its input).",
                             what=what, out_shape=out.shape, np_shape_reference=np.shape(reference)),
                          key="forward_shape")
    if relative_error(out, reference) <= VALUE_RTOL:
        return
    for key, sentence, wrong in mistakes:
        if _same(out, wrong):
            raise CheckFailed(f"{what}: {sentence}", key=key)
    raise CheckFailed(tr("{what}: out has the right shape but wrong values (relative error {v:.1e}).",
                         what=what, v=relative_error(out, reference)), key="forward_wrong")


# --- 1. scalar chain rule ----------------------------------------------------------------

SIN_SQUARE_MISTAKES = [
    like("missing_inner_derivative",
         "you forgot the inner derivative: d/dx sin(x^2) = cos(x^2) * 2x, not cos(x^2).",
         lambda ev: np.cos(ev.inputs[0] ** 2), hint=2),
    like("outer_at_x",
         "the outer derivative cos must be evaluated at the inner value g(x) = x^2: "
         "cos(x^2) * 2x, not cos(x) * 2x.",
         lambda ev: np.cos(ev.inputs[0]) * 2 * ev.inputs[0], hint=2),
    like("outer_not_differentiated",
         "you kept sin where its derivative cos belongs: cos(x^2) * 2x.",
         lambda ev: np.sin(ev.inputs[0] ** 2) * 2 * ev.inputs[0], hint=2),
    like("inner_not_differentiated",
         "the inner factor is the derivative of x^2, which is 2x, not x^2 itself: cos(x^2) * 2x.",
         lambda ev: np.cos(ev.inputs[0] ** 2) * ev.inputs[0] ** 2, hint=2),
]

# The other products of an outer factor and an inner factor (the four above, and the right one,
# excepted): the outer derivative at the wrong point (x, the inner derivative 2x), the square put
# outside the cosine, the derivative of cos for that of sin; the inner derivative missing or wrong.
SIN_SQUARE_OUTER = [
    ("cos(x^2)", lambda x: np.cos(x ** 2), None, None),
    ("cos(x)", np.cos, "outer_at_x", N_("cos must be evaluated at the inner value u = x^2, not at x")),
    ("cos(2x)", lambda x: np.cos(2 * x), "outer_at_inner_derivative",
     N_("cos must be evaluated at the inner VALUE u = x^2, not at the inner derivative 2x")),
    ("cos(x)^2", lambda x: np.cos(x) ** 2, "square_outside",
     N_("cos(x)**2 squares the cosine; the square belongs to its argument, cos(x**2)")),
    ("sin(x^2)", lambda x: np.sin(x ** 2), "outer_not_differentiated",
     N_("you kept sin where its derivative cos belongs")),
    ("-sin(x^2)", lambda x: -np.sin(x ** 2), "outer_derivative_wrong",
     N_("the derivative of sin is cos (-sin is the derivative of cos)")),
]
SIN_SQUARE_INNER = [
    ("2x", lambda x: 2 * x, None, None),
    ("1", np.ones_like, "missing_inner_derivative", N_("the inner derivative 2x is missing")),
    ("x^2", lambda x: x ** 2, "inner_not_differentiated", N_("the inner factor is the derivative of x^2, 2x, not x^2")),
    ("x", lambda x: x, "inner_derivative_wrong", N_("the derivative of x^2 is 2x, not x")),
    ("2", lambda x: np.full_like(x, 2.0), "inner_derivative_wrong", N_("the derivative of x^2 is 2x, not 2")),
]


def _sin_square_row(outer, inner):
    (o_text, o_fn, o_key, o_why), (i_text, i_fn, i_key, i_why) = outer, inner
    row = like(o_key or i_key, N_("yours is {outer} * {inner}: {why}. dy/dx = cos(x^2) * 2x."),
               lambda ev: o_fn(ev.inputs[0]) * i_fn(ev.inputs[0]), hint=2)
    return Mistake(row.key, row.says, row.test, row.grads, hint=row.hint, details=lambda ev: {
        "outer": o_text, "inner": i_text, "why": "; ".join(translated(w) for w in (o_why, i_why) if w)})


SIN_SQUARE_MISTAKES += [_sin_square_row(o, i) for o in SIN_SQUARE_OUTER for i in SIN_SQUARE_INNER
                        if (o[0], i[0]) not in (("cos(x^2)", "2x"), ("cos(x^2)", "1"), ("cos(x)", "2x"),
                                                ("sin(x^2)", "2x"), ("cos(x^2)", "x^2"))]


def _math_on_array(exc):
    """The guard's report of a math function (or float()) given an array, in any language: the hint
    names Python's math module; TypeError's own words are kept whatever the language."""
    text = str(exc)
    return "math module" in text or "TypeError" in text and any(
        needle in text.lower() for needle in ("only 0-dimensional arrays", "only length-1 arrays", "only size-1 arrays"))


def _math_module(exc, what, hint):
    """Python's math module met an array (math.cos(x), math.exp(x)): name it."""
    if exc.key == "exception" and _math_on_array(exc):
        raise CheckFailed(tr("{what}: Python's math functions (math.cos, math.exp) take one number; numpy's (np.cos, "
                             "np.exp) work entry by entry on arrays.\n  ({str_exc_splitlines_0})",
                             what=what, str_exc_splitlines_0=str(exc).splitlines()[0]),
                          key="math_on_array", hint=hint) from None
    raise exc


@EXERCISES.check("sin_square_derivative")
def sin_square_derivative(dy_dx, *, hidden=False):
    rng = np.random.default_rng(101 if hidden else 100)
    for shape in ([(2, 5), (7,)] if hidden else [(4, 3), (6,)]):
        x = _uniform(rng, shape, -2.0, 2.0)
        try:
            check_grad(lambda v: np.sum(np.sin(v ** 2)), dy_dx, x, name="dy/dx", mistakes=SIN_SQUARE_MISTAKES,
                       quiet=True)
        except CheckFailed as exc:
            _math_module(exc, getattr(dy_dx, "__name__", "sin_square_derivative"), hint=3)


# --- 2. a chain of functions ---------------------------------------------------------------

def _chain_cases(hidden):
    """(x, chain, pass the chain explicitly?) for each run of a check: arrays of different shapes
    (no two axes of the same length) and chains of different lengths."""
    rng = np.random.default_rng(201 if hidden else 200)
    if hidden:
        return [(_uniform(rng, (5, 2), -1.0, 1.0), CHAIN_HIDDEN, True),
                (_uniform(rng, (3,), -1.0, 1.0), CHAIN_TWO, True),
                (_uniform(rng, (2, 3), -1.0, 1.0), CHAIN_ABC, False)]
    return [(_uniform(rng, (4, 3), -1.0, 1.0), CHAIN_ABC, False),
            (_uniform(rng, (2, 5), -1.0, 1.0), CHAIN_MIXED, True),
            (_uniform(rng, (6,), -1.0, 1.0), CHAIN_FOUR, True)]


FIXED_LENGTH = N_("your code is written for a chain of exactly three functions, and this chain has {n}: "
                  "loop over the chain (`for function, derivative in chain:`), whatever its length.")


def _fixed_length(what, exc, chain):
    """An exception on a chain that is not three long, from code that unpacks or indexes three."""
    if exc.key == "exception" and len(chain) != 3 and any(
            word in str(exc) for word in ("unpack", "IndexError", "index out of range")):
        raise CheckFailed(f"{what}: {tr(FIXED_LENGTH, n=len(chain))}\n  ({str(exc).splitlines()[0]})",
                          key="fixed_length", hint=2) from None
    raise exc


@EXERCISES.check("chain_forward")
def chain_forward(forward, *, hidden=False):
    for x, chain, explicit in _chain_cases(hidden):
        _chain_forward_case(forward, x, chain, explicit)


def _chain_forward_case(forward, x, chain, explicit):
    inputs, outputs = _run_chain(x, chain)
    args = (x.copy(), list(chain)) if explicit else (x.copy(),)   # a copy: a learner's code may change the list
    what = getattr(forward, "__name__", "chain_forward")
    where = tr(" (for x of shape {shape} and a chain of {n} functions)", shape=x.shape, n=len(chain))
    try:
        result = call(forward, *args, what=what)
    except CheckFailed as exc:
        _fixed_length(what, exc, chain)
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(tr("{what} must return (y, cache), a tuple of 2.", what=what), key="bad_return")
    y, cache = result
    reversed_chain = _run_chain(x, chain[::-1])[1][-1]
    if not _same(y, outputs[-1]):
        if explicit and chain is not CHAIN_ABC and _same(y, _run_chain(x, CHAIN_ABC)[1][-1]):
            raise CheckFailed(tr("{what}: you applied the global CHAIN; apply the `chain` passed as the second argument.",
                                 what=what), key="ignored_chain_argument", hint=2)
        if _same(y, reversed_chain):
            raise CheckFailed(tr("{what}: you applied the functions in reverse order; A acts first: y = C(B(A(x))).",
                                 what=what), key="chain_order", hint=2)
        if len(chain) > 3 and _same(y, outputs[2]):
            raise CheckFailed(tr("{what}{where}: y is the output of the first three functions only: {v}",
                                 what=what, where=where, v=tr(FIXED_LENGTH, n=len(chain))), key="fixed_length", hint=2)
        # a loop that stops early or starts late: y is the output of a part of the chain
        for k in range(1, len(chain)):
            if _same(y, outputs[k - 1]):
                raise CheckFailed(tr("{what}{where}: y is the output of the first {k} of the {len_chain} functions: the loop "
                                     "stops early (range(len(chain) - 1)?): apply every function of the chain, `for function, "
                                     "_ in chain:`.",
                                     what=what, where=where, k=k, len_chain=len(chain)), key="loop_bounds", hint=2)
            if _same(y, _run_chain(x, chain[k:])[1][-1]):
                raise CheckFailed(tr("{what}{where}: y skips the first {k} of the {len_chain} functions: the loop starts late "
                                     "(range(1, len(chain))?): apply every function of the chain, `for function, _ in chain:`.",
                                     what=what, where=where, k=k, len_chain=len(chain)), key="loop_bounds", hint=2)
        raise CheckFailed(tr("{what}{where}: y is wrong: apply each function of the chain in turn, from the first to "
                             "the last.",
                             what=what, where=where), key="forward_wrong")
    try:
        stored = list(cache[0])
    except (TypeError, IndexError, KeyError):
        stored = None
    if stored is not None and len(stored) > len(chain) and all(
            _same(s, want) for s, want in zip(stored[-len(chain):], inputs)):
        raise CheckFailed(tr("{what}{where}: inputs holds {len_stored} values for a chain of {len_chain} functions, "
                             "this call's {len_chain} at its end: the list outlives the call, so every call appends "
                             "to the same one. A default argument (inputs=[]) is made once, when `def` runs, and so "
                             "is a list made outside the function: make a new list inside it, inputs = [] as its "
                             "first line.",
                             what=what, where=where, len_stored=len(stored), len_chain=len(chain)), key="shared_list", hint=3)
    if stored is None or len(stored) != len(chain):
        raise CheckFailed(tr("{what}: cache must be (inputs, chain) where inputs is a list with the input of each of "
                             "the {len_chain} functions.",
                             what=what, len_chain=len(chain)), key="cache_format", hint=3)
    if all(_same(s, o) for s, o in zip(stored, outputs)):
        raise CheckFailed(tr("{what}: the cache holds the outputs (a, b, y); backward needs the inputs (x, a, b): "
                             "append x before you overwrite it.",
                             what=what), key="stored_outputs", hint=1)
    if all(_same(s, x) for s in stored):
        raise CheckFailed(tr("{what}: every stored input is x itself: record the value each function receives, which "
                             "changes as you go (x, then A(x), then B(A(x)), ...): append the running value, then "
                             "replace it by function(value).",
                             what=what), key="stored_x_only", hint=2)
    for k, (s, want) in enumerate(zip(stored, inputs)):
        if not _same(s, want):
            raise CheckFailed(tr("{what}{where}: inputs[{k}] is not the input of function {k} (inputs must be [x, A(x), "
                                 "B(A(x)), ...]).",
                                 what=what, where=where, k=k), key="inputs_wrong", hint=2)
    kept = cache[1] if isinstance(cache, (tuple, list)) and len(cache) == 2 else None
    applied = chain if explicit else _default_chain(forward)      # called without a chain: its default
    if applied is not None and not _same_chain(kept, applied):
        glob = getattr(forward, "__globals__", {}).get("CHAIN")
        which = (tr("the global CHAIN") if kept is glob and glob is not None else
                 tr("no list of (function, derivative) pairs") if not isinstance(kept, (list, tuple)) else
                 tr("another chain"))
        raise CheckFailed(tr("{what}{where}: cache[1] must be the chain this call applied, the `chain` argument; "
                             "yours holds {which}, and chain_backward takes its derivatives from it: return y, "
                             "(inputs, chain).",
                             what=what, where=where, which=which), key="cache_wrong_chain", hint=3)


def _default_chain(forward):
    """The default value of forward's `chain` parameter (the notebook's CHAIN), or None."""
    import inspect
    try:
        default = inspect.signature(forward).parameters["chain"].default
    except (KeyError, TypeError, ValueError):
        return None
    # in trusted grading a default lives in the learner's process and shows as an opaque
    # placeholder: then only the calls with an explicit chain check the cache's chain
    return default if isinstance(default, (list, tuple)) else None


_PROBE = np.array([0.3, -0.7, 1.1])


def _same_function(f, g):
    """The same function, or one that gives the same values (in trusted grading the learner's
    functions arrive as proxies, a new one each time they cross)."""
    if f is g:
        return True
    try:
        with np.errstate(all="ignore"):
            return _same(np.asarray(f(_PROBE.copy()), dtype=np.float64), np.asarray(g(_PROBE.copy()), dtype=np.float64))
    except Exception:    # anything a learner's function may raise: not the same
        return False


def _same_chain(kept, chain):
    """The cache's chain: the pairs of ``chain`` (a copy of the list will do)."""
    try:
        return len(kept) == len(chain) and all(
            _same_function(a[0], b[0]) and _same_function(a[1], b[1]) for a, b in zip(kept, chain))
    except (TypeError, IndexError, KeyError):
        return False


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

    def one_factor(ev):
        inputs, _ = _run_chain(ev.inputs[0], chain)
        for k, ((_, df), v) in enumerate(zip(chain, inputs)):
            if _same(ev.yours, ev.dout * df(v)):
                ev.extra["factor"] = "A'(x)" if k == 0 else tr("the local derivative of function {k}", k=k)
                return True
        return False

    rows = [] if chain is CHAIN_ABC else [
        like("used_global_chain", "use the chain stored in the cache (cache = (inputs, chain)), "
                                  "not the global CHAIN.", global_chain, hint=2)]
    if len(chain) > 2:   # with two functions, one factor is also "one missing" (missing_local)
        rows.append(Mistake("grad_restarted",
                            "dx is dout times ONE local derivative ({factor}): each step must multiply the running "
                            "gradient, grad = grad * derivative(value); grad = dout * derivative(value) starts "
                            "again from dout at every step, so only the last factor survives.", one_factor,
                            details=lambda ev: {"factor": ev.extra.get("factor", tr("one of them"))}, hint=3))
    return rows + [
        like("ignores_upstream",
             "the backward pass starts from grad = dout, the upstream gradient it is given; yours "
             "starts from 1 (dy/dy = 1 is the case dout = 1 only).",
             lambda ev: _product_of_locals(ev.inputs[0], chain), hint=1),
        like("wrong_point",
             "each local derivative must be evaluated at the input its own function saw: "
             "C'(b), then B'(a), then A'(x). Walk the stored inputs in reverse together with the chain.",
             lambda ev: ev.dout * _product_of_locals(ev.inputs[0], chain, at="unreversed"), hint=2),
        like("used_outputs",
             "you evaluated the local derivatives at the outputs (a, b, y); use the stored "
             "inputs (x, a, b): C'(b), B'(a), A'(x).",
             lambda ev: ev.dout * _product_of_locals(ev.inputs[0], chain, at="outputs"), hint=2),
        Mistake("missing_local",
                "a local derivative is missing from the product: dx = dout * C'(b) * B'(a) * A'(x), "
                "one factor per function of the chain.", missing_one, hint=3),
        like("summed_locals",
             "you added the local derivatives; the chain rule multiplies them.", summed, hint=1),
    ]


@EXERCISES.check("chain_backward")
def chain_backward(backward, *, hidden=False):
    for k, (x, chain, _) in enumerate(_chain_cases(hidden)):
        def chain_reference_forward(x, chain=chain):
            inputs, outputs = _run_chain(x, chain)
            return outputs[-1], (inputs, list(chain))   # a copy: a backward that changes it harms no later check

        try:
            check_layer(chain_reference_forward, backward, x, names=["x"], mistakes=_chain_mistakes(chain),
                        seed=(7 if hidden else 6) + 10 * k, quiet=True)
        except CheckFailed as exc:
            _fixed_length(getattr(backward, "__name__", "chain_backward"), exc, chain)


# --- 3. gates ----------------------------------------------------------------------------

def _rng(hidden, base):
    return np.random.default_rng(base + (1 if hidden else 0))


def _shapes(hidden):
    """Two arrays of different shapes on each side, no two axes of the same length."""
    return [(3, 2), (5,)] if hidden else [(4, 3), (2, 5)]


def _name(fn, default):
    return getattr(fn, "__name__", default)


def _returned(forward, backward, *inputs):
    """How many values backward returns for forward's cache of ``inputs`` (one for a bare array),
    asked again rather than read from the message, which may be in another language."""
    try:
        out, cache = call(forward, *[np.array(v) for v in inputs], what="forward")
        grads = call(backward, np.ones(np.shape(out)), cache, what="backward")
    except (CheckFailed, TypeError, ValueError):
        return None
    return len(grads) if isinstance(grads, (tuple, list)) else 1


def _one_gradient(exc, what, count):
    """A two-input gate's backward that returned one gradient, as the one-input gates do."""
    if exc.key == "wrong_count" and count() == 1:
        raise CheckFailed(tr("{what} returned one gradient; a gate with two inputs returns two, (dx, dy), one per "
                             "input in the order of forward's arguments (only the one-input gates return dx alone).",
                             what=what), key="one_gradient", hint=3) from None
    raise exc


def _constant_gradient(what, exc, constant, count):
    """backward returned (dx, d<constant>) for a gate whose second argument is a constant."""
    if exc.key == "wrong_count" and count() == 2:
        raise CheckFailed(tr("{what} returned two values; {constant} is a constant (a plain number the gate was built "
                             "with), not an input that gets a gradient: return dx alone.",
                             what=what, constant=constant),
                          key="constant_gradient", hint=3) from None
    raise exc


NUMBERS = N_("gates work on single numbers too (section 3's convention; Exercises 12, 13 and 16 call them with "
             "numbers): use operations that work on a number as on an array (x * y, np.exp(x), np.maximum(x, y), "
             "np.asarray(x)), not array methods a plain number lacks (x.copy(), x.shape, x[...] = ...).")

# Integer arrays (no zero, no tie) and a fractional dout: a gradient stored in an integer array,
# or an integer operation (np.reciprocal, //, a negative power), shows there.
GATE_INTEGERS = {False: ([[3, -1, 4], [2, -5, 1]], [[1, 2, -2], [5, 3, -4]]),
                 True: ([[-2, 6], [1, 3], [-4, 5]], [[4, -1], [-3, 2], [1, 7]])}


def _gate_kinds(forward, backward, hidden, reference, locals_, n_inputs, consts=(), const_name="c",
                kinds=("single numbers", "integer arrays")):
    """The gate on single numbers (Python floats) and on integer arrays, as the worked examples
    and the convention need it: out = reference(*inputs), each gradient dout * local(*inputs).
    ``n_inputs``: how many of the inputs get a gradient (1 or 2); ``consts``: the constant a
    one-input gate is built with (a Python number, named ``const_name``), for both kinds."""
    fwd, bwd = _name(forward, "forward"), _name(backward, "backward")
    ints = [np.array(v, dtype=np.int64) for v in GATE_INTEGERS[hidden]][:n_inputs]
    numbers = [1.5, -2.0][:n_inputs]
    dout_int = np.random.default_rng(371 if hidden else 370).uniform(0.1, 0.9, ints[0].shape) * \
        np.where(ints[0] % 2 == 0, 1.0, -1.0)
    for kind, inputs, dout in (("single numbers", numbers, 0.7), ("integer arrays", ints, dout_int)):
        if kind not in kinds:
            continue
        given = list(inputs) + [c for c in consts[:1]]
        floats = [np.asarray(v, dtype=np.float64) for v in given]
        shown = ", ".join(f"{n} = {v.tolist() if isinstance(v, np.ndarray) else v}"
                          for n, v in zip(("x", "y") if n_inputs == 2 else ("x", const_name), given))
        context = (tr(" on single numbers ({shown})", shown=shown) if kind == "single numbers"
                   else tr(" on integer arrays ({shown})", shown=shown))
        try:
            result = call(forward, *[v.copy() if isinstance(v, np.ndarray) else v for v in given], what=fwd)
        except CheckFailed as exc:
            _kind_failed(exc, fwd, kind, context)
        if not isinstance(result, tuple) or len(result) != 2:
            raise CheckFailed(tr("{fwd} must return (out, cache), a tuple of 2.", fwd=fwd), key="bad_return")
        want = reference(*floats)
        if not _same(result[0], want):
            raw = np.asarray(result[0])
            why = (tr(" Its output has integer dtype {dtype}: np.reciprocal and // of integers stay integers "
                      "(1 // 2 is 0); 1.0 / x divides as real numbers.", dtype=raw.dtype)
                   if raw.dtype.kind in "iub" else "")
            raise CheckFailed(tr("{fwd}{context}: out is {show_result_0}, expected {show_want}.{why}",
                                 fwd=fwd, context=context, show_result_0=_show(result[0]), show_want=_show(want), why=why),
                              key="integer_input" if kind == "integer arrays" else "wrong_on_numbers")
        try:
            grads = call(backward, dout.copy() if isinstance(dout, np.ndarray) else dout, result[1], what=bwd)
        except CheckFailed as exc:
            _kind_failed(exc, bwd, kind, context)
        grads = (grads,) if n_inputs == 1 else grads
        if not isinstance(grads, (tuple, list)) or len(grads) != n_inputs:
            raise CheckFailed(tr("{bwd} must return {v}, one gradient per input.",
                                 bwd=bwd, v='dx' if n_inputs == 1 else '(dx, dy)'), key="wrong_count")
        for slot, (got, local) in enumerate(zip(grads, locals_)):
            grad_name = "dx" if slot == 0 else "dy"
            check_answer(bwd, got, np.asarray(dout, dtype=np.float64) * local(*floats), name=grad_name,
                         of=grad_name[1:], context=context + f", dout = {_show(dout)}")


def _show(value):
    arr = np.asarray(value, dtype=np.float64) if not isinstance(value, (list, tuple)) else np.asarray(value)
    return f"{float(arr):g}" if arr.shape == () else str(np.round(arr, 4).tolist())


def _kind_failed(exc, name, kind, context):
    """An exception on numbers or on integers: named by its kind (numpy's named exceptions pass)."""
    if exc.key != "exception":
        raise exc
    first = str(exc).splitlines()[0]
    if kind == "single numbers":
        numbers = translated(NUMBERS)
        raise CheckFailed(tr("{name} failed{context}: {first}. {numbers}", name=name, context=context, first=first,
                             numbers=numbers[0].upper() + numbers[1:]), key="fails_on_numbers") from None
    raise CheckFailed(tr("{name} failed{context}: {first}. Gates take integer arrays too (section 3's "
                         "convention): start from floats if an operation needs them (x = np.asarray(x, "
                         "dtype=float)).",
                         name=name, context=context, first=first),
                      key="fails_on_integers") from None


@EXERCISES.check("add_gate")
def add_gate(forward, backward, *, hidden=False):
    rng = _rng(hidden, 300)
    mistakes = [
        like("add_split", "add gate: the upstream gradient is copied to both inputs, not split "
                          "between them (the local gradients are 1 and 1).", lambda ev: ev.dout / 2, hint=2),
        like("add_like_mul", "add gate: the local gradients are 1, not the other input "
                             "(swapping is the multiply gate).",
             lambda ev: ev.dout * ev.inputs[1 if ev.of == "x" else 0], hint=2),
        like("add_dropped", "add gate: both inputs get the upstream gradient unchanged "
                            "(add distributes); one of yours is zero.", lambda ev: 0 * ev.dout, hint=2),
    ]
    for k, shape in enumerate(_shapes(hidden)):
        x, y = rng.standard_normal(shape), rng.standard_normal(shape)
        _check_forward(forward, (x, y), x + y, _name(forward, "add_forward"),
                       mistakes=[("add_forward_mul", tr("add gate computes x + y, not x * y."), x * y)])
        try:
            check_layer(forward, backward, x, y, names=["x", "y"], mistakes=mistakes, quiet=True, seed=k,
                        reference=lambda x, y: x + y)
        except CheckFailed as exc:
            _one_gradient(exc, _name(backward, "backward"), lambda: _returned(forward, backward, x, y))
    _gate_kinds(forward, backward, hidden, lambda x, y: x + y,
                [lambda x, y: np.ones_like(x), lambda x, y: np.ones_like(y)], 2)


@EXERCISES.check("mul_gate")
def mul_gate(forward, backward, *, hidden=False):
    rng = _rng(hidden, 310)
    mistakes = [
        like("mul_not_swapped", "multiply gate: you did not swap the inputs: dx = dout * y and "
                                "dy = dout * x.", lambda ev: ev.dout * ev.inputs[0 if ev.of == "x" else 1], hint=2),
        like("mul_passthrough", "multiply gate: you passed dout through unchanged, like an add gate; "
                                "multiply it by the other input.", lambda ev: ev.dout, hint=2),
        like("mul_product", "multiply gate: each input's local gradient is the OTHER input alone "
                            "(d(xy)/dx = y), not the product x * y: dx = dout * y, dy = dout * x.",
             lambda ev: ev.dout * ev.inputs[0] * ev.inputs[1], hint=2),
    ]
    for k, shape in enumerate(_shapes(hidden)):
        x, y = rng.standard_normal(shape), rng.standard_normal(shape)
        _check_forward(forward, (x, y), x * y, _name(forward, "mul_forward"),
                       mistakes=[("mul_forward_add", tr("multiply gate computes x * y, not x + y."), x + y)])
        try:
            check_layer(forward, backward, x, y, names=["x", "y"], mistakes=mistakes, quiet=True, seed=k,
                        reference=lambda x, y: x * y)
        except CheckFailed as exc:
            _one_gradient(exc, _name(backward, "backward"), lambda: _returned(forward, backward, x, y))
    _gate_kinds(forward, backward, hidden, lambda x, y: x * y, [lambda x, y: y, lambda x, y: x], 2)


@EXERCISES.check("exp_gate")
def exp_gate(forward, backward, *, hidden=False):
    rng = _rng(hidden, 320)
    mistakes = [
        like("exp_passthrough", "exp gate: you passed the upstream gradient through; multiply it "
                                "by the local gradient exp(x).", lambda ev: ev.dout, hint=2),
        like("exp_of_upstream", "exp gate: you used the upstream instead of exp(x): "
                                "dx = dout * exp(x), with x the gate's input.",
             lambda ev: ev.dout * np.exp(ev.dout), hint=2),
        like("exp_of_upstream", "exp gate: you used the upstream instead of exp(x): "
                                "dx = dout * exp(x), with x the gate's input.",
             lambda ev: np.exp(ev.dout), hint=2),
        like("exp_times_x", "exp gate: the local gradient is exp(x), not x * exp(x).",
             lambda ev: ev.dout * ev.inputs[0] * np.exp(ev.inputs[0]), hint=2),
        like("exp_used_input", "exp gate: your backward multiplies dout by x, the gate's input, as if it "
                               "were exp(x). The local gradient is exp(x): cache the output "
                               "out = exp(x), or compute np.exp(x) from the cached x.",
             lambda ev: ev.dout * ev.inputs[0], hint=3),
        like("exp_of_output", "exp gate: the cache already holds out = exp(x); multiply dout by it "
                              "directly, not by exp(out).",
             lambda ev: ev.dout * np.exp(np.exp(ev.inputs[0])), hint=3),
        like("exp_undone", "exp gate: you divided dout by exp(x), as if going backward undid the forward "
                           "pass; it multiplies by the local gradient: dx = dout * exp(x).",
             lambda ev: ev.dout / np.exp(ev.inputs[0]), hint=2),
        like("cache_indexed", "exp gate: you used cache[0], the first row (or entry) of the cached array, for all "
                              "of it: the cache IS the array out = exp(x), not a tuple: dx = dout * cache.",
             lambda ev: ev.dout * np.exp(ev.inputs[0])[0], hint=3),
    ]
    for k, shape in enumerate(_shapes(hidden)):
        x = _uniform(rng, shape, -2.0, 2.0)
        _check_forward(forward, (x,), np.exp(x), _name(forward, "exp_forward"))
        check_layer(forward, backward, x, names=["x"], mistakes=mistakes, quiet=True, seed=k, reference=np.exp)
    _gate_kinds(forward, backward, hidden, np.exp, [np.exp], 1)
    _exp_far(forward, backward, hidden)


# Inputs far from 0, where exp is still finite (up to 709): a clipped or rescaled exp shows there.
EXP_FAR = {False: np.array([[-700.0, -60.0, 0.5], [60.0, 300.0, 700.0]]),
           True: np.array([[-650.0, 80.0], [-80.0, 650.0], [2.0, 400.0]])}


def _clipped_at(x, got, want, inverse):
    """The bound c when ``got`` is the function of x clipped to [-c, c] (wrong entries only), else None."""
    with np.errstate(all="ignore"):
        wrong = ~np.isclose(got, want, rtol=1e-9, atol=0.0)
        if not wrong.any():
            return None
        c = np.abs(inverse(got[wrong]))
    if not np.all(np.isfinite(c)) or np.ptp(c) > 1e-3 * max(c.max(), 1.0) or np.any(c >= np.abs(x[wrong])):
        return None
    return float(np.round(np.median(c), 6))


def _exp_far(forward, backward, hidden):
    x = EXP_FAR[hidden]
    fwd, bwd = _name(forward, "exp_forward"), _name(backward, "exp_backward")
    result = call(forward, x.copy(), what=fwd)
    out = np.asarray(result[0], dtype=np.float64)
    want = np.exp(x)
    if out.shape == want.shape and not np.allclose(out, want, rtol=1e-12, atol=0.0):
        clip = _clipped_at(x, out, want, np.log)
        bad = np.argmax(np.abs(out - want) / want)
        if clip is not None:
            raise CheckFailed(tr("{fwd}: at x = {x_flat_bad:g} yours is {out_flat_bad:.4g} = "
                                 "exp({np_sign_x_flat_bad_clip:.4g}), not exp({x_flat_bad:g}) = {want_flat_bad:.4g}: your "
                                 "exp stops changing at |x| = {clip:.4g} (np.clip?). np.exp is finite for x up to 709 and "
                                 "needs no guard; a clipped input changes the value.",
                                 fwd=fwd, x_flat_bad=x.flat[bad], out_flat_bad=out.flat[bad], np_sign_x_flat_bad_clip=np.sign(x.flat[bad]) * clip, want_flat_bad=want.flat[bad], clip=clip), key="input_clipped")
        raise CheckFailed(tr("{fwd}: for inputs far from 0 (x = {x_tolist}) out is wrong: at x = {x_flat_bad:g} yours "
                             "is {out_flat_bad:.6g}, exp(x) = {want_flat_bad:.6g}.",
                             fwd=fwd, x_tolist=x.tolist(), x_flat_bad=x.flat[bad], out_flat_bad=out.flat[bad], want_flat_bad=want.flat[bad]), key="forward_wrong")
    dout = np.random.default_rng(381 if hidden else 380).uniform(0.5, 1.5, x.shape)
    dx = np.asarray(call(backward, dout.copy(), result[1], what=bwd), dtype=np.float64)
    if dx.shape == want.shape and not np.allclose(dx, dout * want, rtol=1e-12, atol=0.0):
        clip = _clipped_at(x, dx / dout, want, np.log)
        bad = np.argmax(np.abs(dx - dout * want) / (dout * want))
        raise CheckFailed(tr("{bwd}: for inputs far from 0 (x = {x_tolist}) dx is wrong: at x = {x_flat_bad:g} yours "
                             "is {dx_flat_bad:.6g}, dout * exp(x) = {dout_want_flat_bad:.6g}",
                             bwd=bwd, x_tolist=x.tolist(), x_flat_bad=x.flat[bad], dx_flat_bad=dx.flat[bad], dout_want_flat_bad=(dout * want).flat[bad]) + (tr(" (your local gradient stops changing at |x| = {clip:.4g}: np.clip?).",
                                clip=clip) if clip else "."),
                          key="input_clipped" if clip else "wrong_values")


@EXERCISES.check("reciprocal_gate")
def reciprocal_gate(forward, backward, *, hidden=False):
    rng = _rng(hidden, 330)
    no_minus = N_("1/x gate: missing minus sign: the local gradient is -1/x^2 (times dout).")
    mistakes = [
        like("reciprocal_no_minus", no_minus, lambda ev: ev.dout / ev.inputs[0] ** 2, hint=2),
        like("reciprocal_no_minus", no_minus, lambda ev: 1.0 / ev.inputs[0] ** 2, hint=2),
        like("reciprocal_wrong_power", "1/x gate: the local gradient is -1/x^2, not -1/x.",
             lambda ev: -ev.dout / ev.inputs[0], hint=2),
        like("reciprocal_wrong_power", "1/x gate: the local gradient is -1/x^2, not -1/x.",
             lambda ev: ev.dout / ev.inputs[0], hint=2),
        like("reciprocal_used_output", "1/x gate: your backward treats the cached value as x, but it is "
                                       "the output out = 1/x (-dout / out**2 is -dout * x**2). Cache x, "
                                       "or use the output: -1/x^2 = -out**2.",
             lambda ev: -ev.dout * ev.inputs[0] ** 2, hint=3),
        like("reciprocal_precedence", "1/x gate: `-dout / x*x` divides by x and then multiplies by x "
                                      "again (Python reads it left to right), which leaves -dout: write "
                                      "-dout / x**2, or -dout / (x * x).", lambda ev: -ev.dout, hint=3),
        like("cache_indexed", "1/x gate: you used cache[0], the first row (or entry) of the cached x, for all of "
                              "it: the cache IS the array x, not a tuple: x = cache.",
             lambda ev: -ev.dout / ev.inputs[0][0] ** 2, hint=3),
    ]
    for k, shape in enumerate(_shapes(hidden)):
        x = _away_from_zero(rng, shape)
        _check_forward(forward, (x,), 1.0 / x, _name(forward, "reciprocal_forward"))
        check_layer(forward, backward, x, names=["x"], mistakes=mistakes, quiet=True, seed=k,
                    reference=lambda x: 1.0 / x)
    _gate_kinds(forward, backward, hidden, lambda x: 1.0 / x, [lambda x: -1.0 / x ** 2], 1)


@EXERCISES.check("add_const_gate")
def add_const_gate(forward, backward, *, hidden=False):
    rng = _rng(hidden, 340)
    mistakes = [
        like("add_const_scaled", "add-a-constant gate: the local gradient is 1, not the constant c.",
             lambda ev: ev.dout * ev.inputs[1], hint=2),
        like("add_const_added", "add-a-constant gate: dx = dout * 1; do not add c to the gradient.",
             lambda ev: ev.dout + ev.inputs[1], hint=2),
        like("add_const_added", "add-a-constant gate: you subtracted c from dout, as if going backward undid the "
                                "forward pass; the local gradient is 1: dx = dout * 1.",
             lambda ev: ev.dout - ev.inputs[1], hint=2),
    ]
    what = _name(backward, "add_const_backward")
    for k, (shape, c) in enumerate(zip(_shapes(hidden), (-2.5, 4.0) if hidden else (3.0, -1.5))):
        x, c = rng.standard_normal(shape), np.array(c)
        _check_forward(forward, (x, c), x + c, _name(forward, "add_const_forward"),
                       mistakes=[("add_const_forward_mul", tr("add-a-constant gate computes x + c, not c * x."),
                                  c * x)])
        try:
            check_layer(forward, backward, x, c, wrt=[0], names=["x", "c"], mistakes=mistakes, quiet=True,
                        seed=k, reference=lambda x, c: x + c)
        except CheckFailed as exc:
            _constant_gradient(what, exc, "c", lambda: _returned(forward, backward, x, c))
    _gate_kinds(forward, backward, hidden, lambda x, c: x + c, [lambda x, c: np.ones_like(x)], 1,
                consts=(3,) if hidden else (2,))


@EXERCISES.check("mul_const_gate")
def mul_const_gate(forward, backward, *, hidden=False):
    rng = _rng(hidden, 350)
    mistakes = [
        like("mul_const_not_scaled", "multiply-by-a-constant gate: the local gradient is the "
                                     "constant a: dx = a * dout.", lambda ev: ev.dout, hint=2),
        like("mul_const_used_x", "multiply-by-a-constant gate: you multiplied by x; the local "
                                 "gradient is the constant a.", lambda ev: ev.dout * ev.inputs[0], hint=3),
        like("mul_const_divided", "multiply-by-a-constant gate: you divided dout by a, as if going backward "
                                  "undid the forward pass; it multiplies by the local gradient, the constant a: "
                                  "dx = a * dout.", lambda ev: ev.dout / ev.inputs[1], hint=2),
    ]
    what = _name(backward, "mul_const_backward")
    for k, (shape, a) in enumerate(zip(_shapes(hidden), (-1.0, 0.5) if hidden else (2.5, -3.0))):
        x, a = rng.standard_normal(shape), np.array(a)
        _check_forward(forward, (x, a), a * x, _name(forward, "mul_const_forward"),
                       mistakes=[("mul_const_forward_add", tr("multiply-by-a-constant gate computes a * x, not x + a."),
                                  x + a)])
        try:
            check_layer(forward, backward, x, a, wrt=[0], names=["x", "a"], mistakes=mistakes, quiet=True,
                        seed=k, reference=lambda x, a: a * x)
        except CheckFailed as exc:
            _constant_gradient(what, exc, "a", lambda: _returned(forward, backward, x, a))
    _gate_kinds(forward, backward, hidden, lambda x, a: a * x, [lambda x, a: np.full_like(x, float(a))], 1,
                consts=(-1.5,) if hidden else (2.5,), const_name="a")


MAX_INTEGERS = {False: ([[3, -1, 4], [0, 2, -5]], [[1, 2, -2], [3, -4, 6]]),
                True: ([[2, -3], [5, 0], [-1, 4]], [[-6, 1], [2, 3], [0, -2]])}


def _max_integers(forward, backward, hidden):
    """Integer x and y (no ties): the gradients must still be real numbers, dout routed."""
    x, y = (np.array(v, dtype=np.int64) for v in MAX_INTEGERS[hidden])
    fwd, bwd = _name(forward, "max_forward"), _name(backward, "max_backward")
    context = tr(", for the integer arrays x = {x}, y = {y}", x=x.tolist(), y=y.tolist())
    result = call(forward, x.copy(), y.copy(), what=fwd)
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(tr("{fwd} must return (out, cache), a tuple of 2.", fwd=fwd), key="bad_return")
    if not _same(result[0], np.maximum(x, y)):
        raise CheckFailed(tr("{fwd}{context}: out is not np.maximum(x, y).", fwd=fwd, context=context), key="forward_wrong")
    dout = np.random.default_rng(362 if hidden else 361).standard_normal(x.shape)
    grads = call(backward, dout.copy(), result[1], what=bwd)
    if not isinstance(grads, (tuple, list)) or len(grads) != 2:
        raise CheckFailed(tr("{bwd} must return (dx, dy), one gradient per input.", bwd=bwd), key="wrong_count")
    for name, got, won in (("dx", grads[0], x > y), ("dy", grads[1], y > x)):
        check_answer(bwd, got, dout * won, name=name, of=name[1:], context=context)


@EXERCISES.check("max_gate")
def max_gate(forward, backward, *, hidden=False):
    rng = _rng(hidden, 360)
    what = _name(forward, "max_forward")

    def larger(ev):
        x_, y_ = ev.inputs
        return (x_ > y_) if ev.of == "x" else (y_ > x_)

    mistakes = [
        like("max_both", "max gate: gradient sent to both inputs; only the larger one gets dout "
                         "(max routes).", lambda ev: ev.dout, hint=2),
        like("max_to_smaller", "max gate: gradient sent to the smaller input; it belongs to the "
                               "larger one.", lambda ev: ev.dout * ~larger(ev), hint=2),
        like("max_value", "max gate: dx = dout where x is the larger input, else 0; "
                          "not the max value itself.", lambda ev: ev.dout * np.maximum(*ev.inputs), hint=2),
        like("max_mask_only", "max gate: the mask says where each input won; multiply it by dout "
                              "(downstream = upstream x local): dx = dout * (x > y).",
             lambda ev: larger(ev).astype(float), hint=3),
    ]
    for k, shape in enumerate(_shapes(hidden)):
        x = rng.standard_normal(shape)
        # y differs from x by at least 0.2 everywhere: no ties, no kinks within the finite-difference step
        y = x + _away_from_zero(rng, shape, 0.2, 1.0)
        try:
            _check_forward(forward, (x, y), np.maximum(x, y), what,
                           mistakes=[("max_forward_min", tr("max gate returned the smaller input."),
                                      np.minimum(x, y))])
        except CheckFailed as exc:
            if exc.key == "exception" and "truth value of an array" in str(exc):
                raise CheckFailed(tr("{what}: Python's max(x, y) compares whole arrays and fails; np.maximum(x, y) takes the "
                                     "max entry by entry.",
                                     what=what), key="max_python_max",
                                  hint=3) from None
            if exc.key == "exception" and ("integer scalar arrays" in str(exc) or "axis" in str(exc)):
                raise CheckFailed(tr("{what}: np.max(x, y) reads y as its AXIS argument, not as a second array: np.max takes "
                                     "the largest entry of ONE array; np.maximum(x, y) compares two arrays entry by entry.\n  "
                                     "({str_exc_splitlines_0})",
                                     what=what, str_exc_splitlines_0=str(exc).splitlines()[0]), key="np_max_two_arrays",
                                  hint=3) from None
            raise
        try:
            check_layer(forward, backward, x, y, names=["x", "y"], mistakes=mistakes, quiet=True, seed=k,
                        reference=np.maximum)
        except CheckFailed as exc:
            if exc.key == "wrong_count":
                _one_gradient(exc, _name(backward, "max_backward"), lambda: _returned(forward, backward, x, y))
            _selected_entries(exc, forward, backward, x, y)
    _max_integers(forward, backward, hidden)
    _gate_kinds(forward, backward, hidden, np.maximum, [lambda x, y: (x > y) * 1.0, lambda x, y: (y > x) * 1.0],
                2, kinds=("single numbers",))


def _selected_entries(exc, forward, backward, x, y):
    """A wrong shape from dout[mask]: the entries where an input won, as a short 1-D array."""
    if exc.key not in ("wrong_shape", "flattened", "lost_axis"):
        raise exc
    dout = np.linspace(0.5, 1.5, x.size).reshape(x.shape)
    try:
        out, cache = call(forward, x.copy(), y.copy(), what="max_forward")
        dx, dy = call(backward, dout.copy(), cache, what="max_backward")
        picked = [np.asarray(g) for g in (dx, dy)]
    except (CheckFailed, TypeError, ValueError):   # the shape message stands
        raise exc from None
    masks = (x > y, y > x)
    if all(p.ndim == 1 and p.size == m.sum() and np.allclose(p, dout[m]) for p, m in zip(picked, masks)):
        raise CheckFailed(tr("max_backward: dx = dout[mask] keeps only the entries where the mask is True, a 1-D "
                             "array of {picked_0_size} numbers, so dx lost the shape of x {x_shape}: keep every entry "
                             "and zero the others, dx = dout * mask (np.where(mask, dout, 0.0) also works).",
                             picked_0_size=picked[0].size, x_shape=x.shape),
                          key="boolean_index", hint=3) from None
    raise exc


# --- 4. a branch ---------------------------------------------------------------------------

@EXERCISES.check("branch")
def branch(forward, backward, *, hidden=False):
    rng = _rng(hidden, 400)
    says = N_("forgetting that gradients add at a branch: x feeds both the multiply gate and the "
              "exp gate, so dx = (gradient through mul) + (gradient through exp).")
    mistakes = [
        like("branch_not_summed", says, lambda ev: ev.dout * np.exp(ev.inputs[0]), hint=2),
        like("branch_not_summed", says, lambda ev: ev.dout * ev.inputs[0] * np.exp(ev.inputs[0]), hint=2),
        like("exp_not_chained", "exp_backward must receive the gradient that reached e, de (what "
                                "mul_backward returned for its input e), not dout: the path through "
                                "exp is dout -> mul -> exp -> x.",
             lambda ev: 2 * ev.dout * np.exp(ev.inputs[0]), hint=3),
        like("mul_unpacked_swapped", "you unpacked mul_backward's two gradients in the wrong order: "
                                     "mul_forward(x, e) makes mul_backward return (dx, de), in the "
                                     "order of mul_forward's arguments.",
             lambda ev: ev.dout * ev.inputs[0] + ev.dout * np.exp(2 * ev.inputs[0]), hint=3),
        like("exp_cache_is_x", "exp_backward got x as its cache, so it multiplied by x where exp(x) belongs: "
                               "give each backward call the cache ITS forward call returned (exp_cache, which "
                               "holds e = exp(x)).",
             lambda ev: ev.dout * np.exp(ev.inputs[0]) + ev.dout * ev.inputs[0] ** 2, hint=3),
    ]
    for k, shape in enumerate(_shapes(hidden)):
        x = _uniform(rng, shape, -1.5, 1.5)
        _check_forward(forward, (x,), x * np.exp(x), _name(forward, "branch_forward"))
        try:
            check_layer(forward, backward, x, names=["x"], mistakes=mistakes, quiet=True, seed=k,
                        reference=lambda x: x * np.exp(x))
        except CheckFailed as exc:
            _cache_order(exc, forward, backward, x, lambda x: (1.0 + x) * np.exp(x))


def _cache_order(exc, forward, backward, x, local):
    """A backward that raises or is wrong, but is right with its cache's parts in another order:
    forward packs them in one order, backward unpacks them in another."""
    import itertools
    if exc.key not in ("exception", "wrong_values", "partly_wrong", "scaled_other", "wrong_shape"):
        raise exc
    fwd, bwd = _name(forward, "forward"), _name(backward, "backward")
    try:
        _, cache = call(forward, x.copy(), what=fwd)
    except (CheckFailed, TypeError, ValueError):
        raise exc from None
    if not isinstance(cache, tuple) or not 2 <= len(cache) <= 3:
        raise exc
    dout = np.linspace(0.5, 1.5, x.size).reshape(x.shape)
    for order in list(itertools.permutations(range(len(cache))))[1:]:
        try:
            dx = call(backward, dout.copy(), tuple(cache[i] for i in order), what=bwd)
        except CheckFailed:   # not this order
            continue
        if _same(dx, dout * local(x)):
            raise CheckFailed(tr("{bwd} unpacks its cache in another order than {fwd} packed it (with the parts "
                                 "reordered, your backward is right): unpack in the order you packed, e.g. `return out, "
                                 "(exp_cache, mul_cache)` and then `exp_cache, mul_cache = cache`.\n  "
                                 "({str_exc_splitlines_0})",
                                 bwd=bwd, fwd=fwd, str_exc_splitlines_0=str(exc).splitlines()[0]), key="cache_order", hint=3) from None
    raise exc


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
        got = (tr("a tuple of {n}", n=len(result)) if isinstance(result, (tuple, list))
               else "None" if result is None else type(result).__name__)
        raise CheckFailed(tr("{what} must return a tuple of {len_names} values, {expected}; it returned {got}.",
                             what=what, len_names=len(names), expected=expected, got=got), key="bad_return")
    arrays = []
    for value, shape, name, hint in zip(result, shapes, names, hints):
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise CheckFailed(tr("{what}: {name} is not a number or an array of numbers (got {type_value_name}).",
                                 what=what, name=name, type_value_name=type(value).__name__), key="bad_return") from None
        if arr.shape != shape:
            raise CheckFailed(tr("{what}: {name} has shape {arr_shape}, expected {shape} ({hint}).",
                                 what=what, name=name, arr_shape=arr.shape, shape=shape, hint=hint),
                              key="wrong_shape")
        arrays.append(arr)
    return arrays


def _diagnose_example(what, mine, truth, variants, names, table="", context="", forwards=(), order_hint=None):
    """Raise a CheckFailed naming the mistake; ``table`` (the seed's numbers next to yours)
    ends the message, where it helps most.  ``forwards``: (key, sentence, wrong forward value,
    hint) for the usual wrong formulas of the forward value."""
    import itertools
    if all(relative_error(m, t) <= VALUE_RTOL * 1e3 for m, t in zip(mine, truth)):
        return
    tail = f"\n{table}" if table else ""
    if relative_error(mine[0], truth[0]) > VALUE_RTOL * 1e3:
        numbers = tr("yours {mine:.4g}, expected {truth:.4g}", mine=float(mine[0]), truth=float(truth[0]))
        for key, sentence, wrong, hint in forwards:
            if _same(mine[0], wrong):
                raise CheckFailed(tr("{what}{context}: the forward value {names_0} is wrong ({numbers}): {sentence}{tail}",
                                     what=what, context=context, names_0=names[0], numbers=numbers, sentence=sentence, tail=tail), key=key, hint=hint)
        raise CheckFailed(tr("{what}{context}: the forward value {names_0} is wrong ({numbers}).{tail}",
                             what=what, context=context, names_0=names[0], numbers=numbers, tail=tail),
                          key="forward_wrong")
    for key, sentence, wrong, *hint in variants:
        if all(_same(m, w) for m, w in zip(mine[1:], wrong)):
            raise CheckFailed(f"{what}{context}: {sentence}{tail}", key=key, hint=(hint or [None])[0])
    # the right gradients, returned in another order
    grads = list(range(1, len(names)))
    for order in list(itertools.permutations(grads))[1:]:
        if all(np.shape(mine[i]) == np.shape(truth[j]) and _same(mine[i], truth[j]) for i, j in zip(grads, order)):
            yours = ", ".join(names[j] for j in order)
            raise CheckFailed(tr("{what}{context}: your gradients are right but returned in the order ({yours}): return "
                                 "({join_names}), the gradients in the order of the arguments.{tail}",
                                 what=what, context=context, yours=yours, join_names=', '.join(names), tail=tail),
                              key="return_order", hint=order_hint)
    bad = [n for n, m, t in zip(names[1:], mine[1:], truth[1:]) if relative_error(m, t) > VALUE_RTOL * 1e3]
    raise CheckFailed(tr("{what}{context}: wrong gradients: {join_bad}.{tail}", what=what, context=context,
                         join_bad=', '.join(bad), tail=tail) if len(bad) > 1 else
                      tr("{what}{context}: wrong gradient: {join_bad}.{tail}", what=what, context=context,
                         join_bad=', '.join(bad), tail=tail),
                      key="wrong_values")


def _fmt(values):
    return ", ".join(f"{v + 0.0:.2f}" for v in np.ravel(values))     # + 0.0: no "-0.00" for an exact -0


def _v(key, sentence, wrong, hint=None):
    """A worked example's named variant: (key, sentence, wrong values, the hint that addresses it)."""
    return key, sentence, wrong, hint


def _simple_variants(q, z):
    """Wrong (df/dx, df/dy, df/dz) for f = (x + y) z, with q = x + y."""
    if _passed("mul_gate"):
        swapped = ("mul_unpacked_swapped",
                   tr("you unpacked mul_backward's (dx, dy) in the wrong order: for f = q * z, "
                      "mul_forward(q, z) makes mul_backward return (df/dq, df/dz), in the order of "
                      "mul_forward's arguments (your multiply gate passed its own check)."))
    else:
        swapped = ("mul_not_swapped",
                   tr("multiply gate: you did not swap the inputs (df/dz must be q = x + y, df/dq must be z)."))
    if _passed("add_gate"):
        dropped = ("add_output_dropped",
                   tr("df/dy is 0, but add_backward gives both inputs df/dq (your add gate passed its own "
                      "check): keep both of its gradients, dx, dy = add_backward(dq, add_cache)."))
    else:
        dropped = ("add_dropped", tr("add gate: both x and y get the upstream gradient df/dq (add distributes)."))
    return [
        _v(*swapped, [q, q, z], hint=2),
        _v(*dropped, [z, 0.0 * z, q], hint=2),
        _v("add_not_chained", tr("add_backward was given 1 as its upstream gradient; give it dq = df/dq, "
                                 "what mul_backward returned for q (downstream = upstream x local)."), [1.0, 1.0, q],
           hint=2),
        _v("zero_start", tr("start the backward pass with df/df = 1 (the upstream gradient of the output)."),
         [0.0, 0.0, 0.0], hint=1),
        _v("started_from_output", tr("every gradient is f = {f} times the right one: the backward pass "
                                     "starts from df/df = 1, not from the value f: mul_backward(1.0, mul_cache).",
                                     f=_fmt(q * z)),
           [q * z * z, q * z * z, q * z * q], hint=1),
    ]


def _simple_forwards(x, y, z):
    """The usual wrong formulas of f = (x + y) z: (key, sentence, value, hint)."""
    return [("forward_formula", tr("yours is {text}; f = (x + y) z: q = add_forward(x, y), then "
                                   "f = mul_forward(q, z).", text=translated(text)), value, 3)
            for text, value in ((N_("x + y z (the multiply done first)"), x + y * z), ("x y + z", x * y + z),
                                ("(x + z) y", (x + z) * y), ("(y + z) x", (y + z) * x), ("x + y + z", x + y + z),
                                ("x y z", x * y * z))]


SEED_SIMPLE = (-2.0, 5.0, -4.0)
# The seed's point, then one with other numbers (integers, as a learner may type them), where
# the seed's own numbers would be wrong; hidden: two more.
SIMPLE_POINTS = {False: [SEED_SIMPLE, (3, -5, 4)], True: [(3.0, -1.5, 2.0), (-1, 4, -2)]}


@EXERCISES.check("simple_example", uses=("add_gate", "mul_gate"))
def simple_example(fn, *, hidden=False):
    what = getattr(fn, "__name__", "simple_example")
    names = ["f", "df/dx", "df/dy", "df/dz"]
    shown = ""
    for x, y, z in SIMPLE_POINTS[hidden]:
        mine = _numbers(call(fn, x, y, z, what=what), what, names, [()] * 4, [tr("a single number")] * 4)
        q = x + y
        truth = [q * z, z, z, q]                                  # f = (x + y) z
        seed_point = (x, y, z) == SEED_SIMPLE
        table = "" if not seed_point else tr(
            "  seed (CS231n lecture 4, as in the Korean notes): f = -12, df/dx = -4, df/dy = -4, df/dz = 3\n"
            "  yours:                                           f = {f}, df/dx = {dx}, df/dy = {dy}, df/dz = {dz}",
            f=_fmt(mine[0]), dx=_fmt(mine[1]), dy=_fmt(mine[2]), dz=_fmt(mine[3]))
        context = "" if seed_point else tr(", at x = {x}, y = {y}, z = {z}", x=x, y=y, z=z)
        if not seed_point and all(_same(m, v) for m, v in zip(mine, (-12.0, -4.0, -4.0, 3.0))):
            raise CheckFailed(tr("{what}{context}: you returned the seed's numbers (-12, -4, -4, 3) at another point: "
                                 "compute them from x, y and z with your gates.",
                                 what=what, context=context), key="hard_coded", hint=1)
        _diagnose_example(what, mine, truth, _simple_variants(q, z), names, table, context,
                          forwards=_simple_forwards(x, y, z), order_hint=3)
        shown = shown or table
    if shown:
        print(shown)


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
    start = "sigmoid_backward(1.0, c_sig)" if shortcut else "reciprocal_backward(1.0, c_inv)"
    common = [
        _v("started_from_output", tr("every gradient is f = {f:.4g} times the right one: the backward pass starts "
                                     "from df/df = 1, not from the value f: {start}.", f=s, start=start),
           through(local * s),
           hint=2 if shortcut else 1),
        _v("caches_swapped", tr("the two multiply gates' gradients came from each other's caches (your dw0 is x1 "
                             "df/dz, your dx0 is w1 df/dz): give each backward call the cache of ITS forward call, "
                             "mul_backward(dp0, c_m0) for p0 = w0 x0 and mul_backward(dp1, c_m1) for p1 = w1 x1."),
           [local * np.array([x[1], x[0], 1.0]), local * np.array([w[1], w[0]])], hint=3),
    ]
    if shortcut:
        rows = [_v("missing_sigmoid_derivative", tr("you forgot the sigmoid derivative: dz/dw must be multiplied "
                                               "by df/dz = sigma(z)(1 - sigma(z)), which sigmoid_backward(1.0, "
                                               "its cache) returns."), [dz_dw, dz_dx], hint=1)]
    else:
        rows = [_v("missing_sigmoid_derivative", tr("your gradients are those of z = w0 x0 + w1 x1 + w2 alone: "
                                               "the local gradients of the four gates after z never reached "
                                               "them. Give each backward call the gradient the call before it "
                                               "returned (not 1.0): dd = reciprocal_backward(1.0, ...), then "
                                               "de = add_const_backward(dd, ...), and so on."), [dz_dw, dz_dx], hint=1)]
    if _passed("mul_gate"):
        rows.append(_v("mul_unpacked_swapped",
                     tr("you unpacked mul_backward's two gradients in the wrong order: mul_forward(w0, x0) "
                     "makes mul_backward return (df/dw0, df/dx0), in the order of mul_forward's "
                     "arguments (your multiply gate passed its own check)."), swapped, hint=2))
    else:
        rows.append(("mul_not_swapped", tr("multiply gate: you did not swap the inputs (df/dw0 = x0 * df/dz, "
                                        "df/dx0 = w0 * df/dz)."), swapped))
    if shortcut:
        rows.append(_v("sigmoid_backward_got_z",
                     tr("sigmoid_backward needs the cached output s = sigma(z), not z: pass it the cache "
                     "sigmoid_forward returned (you passed z, and z (1 - z) is not the sigmoid's "
                     "derivative)."), through(z * (1.0 - z)), hint=2))
        return rows + common
    if _passed("reciprocal_gate", "mul_const_gate"):
        rows.append(_v("sign_flipped", tr("every gradient has the wrong sign, and your 1/x and ×(-1) gates "
                                     "passed their checks: is a backward call missing? Without "
                                     "mul_const_backward (the ×(-1) gate) the sign never flips back."),
                     through(-local), hint=1))
    else:
        rows.append(("sign_flipped", tr("every gradient has the wrong sign: check the minus of the 1/x gate "
                                     "(-1/x^2) and the * (-1) gate."), through(-local)))
    if _passed("exp_gate"):
        rows.append(_v("exp_skipped", tr("you skipped exp_backward: your df/dz is sigma(z)^2 instead of "
                                    "sigma(z)(1 - sigma(z)). Pass the gradient through every gate: "
                                    "dn = exp_backward(de, exp_cache)."), through(s * s), hint=1))
    else:
        rows.append(("exp_passthrough", tr("exp gate: you passed the upstream gradient through; multiply it by "
                                        "exp(x) (your df/dz is sigma(z)^2 instead of sigma(z)(1 - sigma(z)))."),
                     through(s * s)))
    if _passed("reciprocal_gate"):
        rows.append(_v("reciprocal_skipped", tr("you skipped reciprocal_backward: the backward pass starts at the "
                                           "last gate, dd = reciprocal_backward(1.0, its cache), and goes "
                                           "through every gate in reverse order."), through(-np.exp(-z)), hint=1))
    else:
        rows.append(("reciprocal_passthrough", tr("1/x gate: you passed the upstream gradient through; its local "
                                               "gradient is -1/x^2."), through(-np.exp(-z))))
    return rows + common


def _neuron_forwards(w, x, shortcut):
    """The usual wrong formulas of f = sigma(w0 x0 + w1 x1 + w2): (key, sentence, value, hint): the
    hint that lists the forward calls (Exercise 16's first; Exercise 13's second, which shows the
    multiplies' and the bias's arguments; the gates themselves are listed in Exercise 13's text)."""
    z = w[0] * x[0] + w[1] * x[1] + w[2]
    s = float(_sigmoid(z))
    rows = [("bias_wrong", tr("yours is sigma(w0 x0 + w1 x1 + w1): the bias is w[2], not w[1]"),
             _sigmoid(w[0] * x[0] + w[1] * x[1] + w[1])),
            ("bias_wrong", tr("yours is sigma(w0 x0 + w1 x1 + w0): the bias is w[2], not w[0]"),
             _sigmoid(w[0] * x[0] + w[1] * x[1] + w[0])),
            ("bias_missing", tr("yours is sigma(w0 x0 + w1 x1): the bias w2 never reached the sigmoid; apply it to "
                             "z = w0 x0 + w1 x1 + w2, the output of the second add"), _sigmoid(z - w[2])),
            ("pairs_swapped", tr("yours is sigma(w0 x1 + w1 x0 + w2): each weight multiplies its own input, w0 x0 "
                              "and w1 x1"), _sigmoid(w[0] * x[1] + w[1] * x[0] + w[2])),
            ("sigmoid_sign", tr("yours is sigma(-z) = 1 / (1 + exp(z)): the x(-1) gate is missing (or there twice)"),
             1.0 - s),
            ("gate_missing", tr("yours is z itself: the four gates after z (x(-1), exp, +1, 1/x) are missing"), z),
            ("gate_missing", tr("yours is exp(-z): the +1 and 1/x gates are missing"), np.exp(-z)),
            ("gate_missing", tr("yours is 1 + exp(-z): the 1/x gate is missing"), 1.0 + np.exp(-z)),
            ("gate_missing", tr("yours is 1 / exp(-z): the +1 gate is missing"), np.exp(z))]
    def hint(key):
        return 1 if shortcut else 2 if key in ("bias_wrong", "bias_missing", "pairs_swapped") else None
    return [(key, sentence + ".", value, hint(key)) for key, sentence, value in rows]


# The seed's worked example first (its numbers are printed next to yours), then a point where
# w1 != w2 and x0 != -1, which the seed's numbers cannot tell apart from a few slips
# (w[1] used as the bias, say).
NEURON_POINTS = {
    False: [(np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0])),
            (np.array([0.7, -1.2, 0.4]), np.array([1.5, 0.8]))],
    True: [(np.array([0.5, 1.5, -0.25]), np.array([1.2, -0.7]))],
}

NEURON_TABLE = N_("  CS231n lecture 4 slides:  f = 0.73, dw = (-0.20, -0.39, 0.20), dx = (0.39, -0.59)\n"
                  "  seed (the Korean notes):  df/dz = 0.2 (1/x gate -0.53, exp gate -0.2, ×(-1) gate 0.2), "
                  "df/dw0 = -0.2, df/dx0 = 0.4 (2 × 0.2, rounded)\n"
                  "  yours:                    f = {f}, dw = ({dw}), dx = ({dx})")


def _check_neuron(fn, hidden, what, shortcut):
    names = ["f", "dw", "dx"]
    hints = [tr("a single number"), tr("one gradient per weight: w0, w1, w2"), tr("one gradient per input: x0, x1")]
    for k, (w, x) in enumerate(NEURON_POINTS[hidden]):
        mine = _numbers(call(fn, w.copy(), x.copy(), what=what), what, names, [(), (3,), (2,)], hints)
        s, local, dz_dw, dz_dx = _neuron_truth(w, x)
        seed_point = not hidden and k == 0
        table = tr(NEURON_TABLE, f=_fmt(mine[0]), dw=_fmt(mine[1]), dx=_fmt(mine[2])) if seed_point else ""
        context = "" if seed_point else tr(", at w = {w}, x = {x}", w=w.tolist(), x=x.tolist())
        _diagnose_example(what, mine, [s, local * dz_dw, local * dz_dx], _neuron_variants(w, x, shortcut),
                          names, table, context, forwards=_neuron_forwards(w, x, shortcut))
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


# Then integers (an output started from np.zeros_like(x) would be truncated) and a single
# number (np.float64, as neuron_shortcut passes z): code that indexes x with a mask fails there.
SIGMOID_MORE = {False: [np.array([-1000, -3, 0, 2, 745, 40]), np.float64(-3.5)],
                True: [np.array([[-800, 5], [0, -2], [1000, 1]]), np.float64(4.25)]}

OVERFLOW = N_("{what}: np.exp overflowed for x around 1000 (a RuntimeWarning; nbgrader gives 0 points to a "
              "cell that prints one). exp(-x) overflows for large negative x, exp(x) for large positive x, "
              "and np.where evaluates both of its branches everywhere: compute exp only of -|x| "
              "(np.exp(-np.abs(x)) is at most 1), and build both forms from it.")


def _sigmoid_case(fn, x, what):
    given = x.copy() if isinstance(x, np.ndarray) else x
    scalar = not isinstance(x, np.ndarray)
    where = (tr(" for the single number x = {x:g} (np.float64)", x=float(x)) if scalar
             else tr(" for x of shape {shape} (integers)", shape=x.shape) if np.issubdtype(x.dtype, np.integer)
             else tr(" for x of shape {shape}", shape=x.shape))
    try:
        got = call(fn, given, what=what)
    except CheckFailed as exc:
        if exc.key == "warning" and "overflow" in str(exc):
            raise CheckFailed(tr(OVERFLOW, what=what), key="sigmoid_overflow", hint=2) from None
        if exc.key == "exception" and _math_on_array(exc):
            _math_module(exc, what, hint=3)
        if scalar and exc.key == "exception":
            raise CheckFailed(tr("{what} failed{where}: {str_exc_splitlines_0}. Exercise 16 calls sigmoid on single "
                                 "numbers: use operations that work on a number as on an array (np.where, np.exp, "
                                 "np.abs), or start with x = np.asarray(x, dtype=float).",
                                 what=what, where=where, str_exc_splitlines_0=str(exc).splitlines()[0]),
                              key="scalar_input", hint=3) from None
        raise
    if not scalar and not np.array_equal(given, x):
        raise CheckFailed(tr("{what} changed its input x in place; build a new array instead (out = ..., not x[...] = "
                             "...).",
                             what=what), key="mutated_input")
    try:
        arr = np.asarray(got)
        values = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(tr("{what} must return an array of numbers.", what=what), key="bad_return") from None
    want = _sigmoid(x)
    if values.shape != want.shape:
        raise CheckFailed(tr("{what}: output has shape {values_shape}, expected {want_shape}{where} (sigmoid works "
                             "entry by entry).",
                             what=what, values_shape=values.shape, want_shape=want.shape, where=where), key="wrong_shape")
    if np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        raise CheckFailed(tr("{what}{where}: the output has integer dtype {arr_dtype}, so every value was cut to 0 or "
                             "1. Did you fill np.zeros_like(x) (or np.empty_like(x)) of an integer x? Start from a "
                             "float array: np.zeros(np.shape(x)), or x = np.asarray(x, dtype=float).",
                             what=what, where=where, arr_dtype=arr.dtype),
                          key="integer_dtype", hint=3)
    if not np.all(np.isfinite(values)):
        raise CheckFailed(tr("{what}: the output contains nan or inf for large |x|: rewrite it so that exp only sees "
                             "numbers <= 0, e.g. np.exp(-np.abs(x)).",
                             what=what), key="non_finite", hint=2)
    # atol: formulas such as 0.5 * (1 + tanh(x / 2)) are correct but only to ~1e-16 absolute
    if np.allclose(values, want, rtol=1e-9, atol=1e-15):
        return
    if np.allclose(values, _sigmoid(-np.asarray(x, dtype=np.float64)), rtol=1e-9, atol=1e-15):
        raise CheckFailed(tr("{what}: you computed 1 / (1 + exp(x)) = sigma(-x); the exponent is -x.",
                             what=what),
                          key="sigmoid_sign")
    flat_x, flat_got, flat_want = (np.ravel(np.asarray(v, dtype=np.float64)) for v in (x, values, want))
    bad = np.argmax(np.abs(flat_got - flat_want) / np.maximum(np.abs(flat_want), 1e-300))
    clip = _clipped_at(flat_x, flat_got, flat_want, lambda y: np.log(y) - np.log1p(-y))
    if clip is not None:
        raise CheckFailed(tr("{what}: wrong beyond |x| = {clip:.4g}: at x = {flat_x_bad:g} yours is "
                             "{flat_got_bad:.6g}, which is sigma({np_sign_flat_x_bad_clip:.4g}), not "
                             "sigma({flat_x_bad:g}) = {flat_want_bad:.6g}: your sigmoid stops changing there "
                             "(np.clip?). Clipping changes the value; the two forms of hint 2 are exact and finite "
                             "for every x.",
                             what=what, clip=clip, flat_x_bad=flat_x[bad], flat_got_bad=flat_got[bad], np_sign_flat_x_bad_clip=np.sign(flat_x[bad]) * clip, flat_want_bad=flat_want[bad]), key="input_clipped",
                          hint=2)
    raise CheckFailed(tr("{what}: wrong value at x = {flat_x_bad:g}: yours {flat_got_bad:.6g}, expected "
                         "{flat_want_bad:.6g}.",
                         what=what, flat_x_bad=flat_x[bad], flat_got_bad=flat_got[bad], flat_want_bad=flat_want[bad]), key="wrong_values")


@EXERCISES.check("sigmoid")
def sigmoid(fn, *, hidden=False):
    what = getattr(fn, "__name__", "sigmoid")
    for x in [_sigmoid_points(hidden)] + SIGMOID_MORE[hidden]:
        _sigmoid_case(fn, x, what)


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
             lambda ev: ev.dout, hint=2),
        like("sigma_of_cache", "sigmoid_backward used sigma(cache): the cache already holds "
                               "s = sigma(x); use it directly: dx = dout * s * (1 - s).",
             lambda ev: ev.dout * s_of(s_of(ev.inputs[0])) * (1 - s_of(s_of(ev.inputs[0]))), hint=1),
        like("sigma_of_dout", "sigmoid_backward used sigma(dout); the local gradient comes from the "
                              "cached output s: dx = dout * s * (1 - s).",
             lambda ev: ev.dout * s_of(ev.dout) * (1 - s_of(ev.dout)), hint=1),
        like("sigma_of_dout", "sigmoid_backward used sigma(dout); the local gradient comes from the "
                              "cached output s: dx = dout * s * (1 - s).",
             lambda ev: s_of(ev.dout) * (1 - s_of(ev.dout)), hint=1),
        like("missing_one_minus", "the sigmoid derivative is s * (1 - s); a factor is missing.",
             lambda ev: ev.dout * s_of(ev.inputs[0]), hint=2),
        like("missing_one_minus", "the sigmoid derivative is s * (1 - s); a factor is missing.",
             lambda ev: ev.dout * (1 - s_of(ev.inputs[0])), hint=2),
        # precedence: dout multiplies one term only, or 1 - s loses its parentheses
        like("precedence", "`dout * s - s**2` multiplies only the first term by dout: write "
                           "dout * s * (1 - s), or dout * (s - s**2).",
             lambda ev: ev.dout * s_of(ev.inputs[0]) - s_of(ev.inputs[0]) ** 2, hint=3),
        like("precedence", "`dout * s * 1 - s` is (dout * s) - s: the 1 - s needs parentheses: "
                           "dout * s * (1 - s).",
             lambda ev: ev.dout * s_of(ev.inputs[0]) - s_of(ev.inputs[0]), hint=3),
        like("one_plus_s", "the sigmoid derivative is s * (1 - s), with a minus: yours has s * (1 + s).",
             lambda ev: ev.dout * s_of(ev.inputs[0]) * (1 + s_of(ev.inputs[0])), hint=2),
        like("cache_indexed", "sigmoid_backward used cache[0], the first row of s, for all of it: the cache IS "
                              "the array s = sigma(x), not a tuple: s = cache.",
             lambda ev: ev.dout * s_of(ev.inputs[0])[0] * (1 - s_of(ev.inputs[0])[0]), hint=3),
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
        raise CheckFailed(tr("{what}: for |x| up to 1000 the gradient must be finite and ~0; yours is {got_ravel_6}.",
                             what=what, got_ravel_6=got.ravel()[:6]), key="unstable_backward", hint=1)
