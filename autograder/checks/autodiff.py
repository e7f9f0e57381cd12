"""Checks for 06_autodiff: a scalar autodiff engine (``Value``) and its array version (``Tensor``)
(long: one notebook's checks and the catalog of its mistakes, read together, one exercise after
another; split by exercise they would scatter what a notebook's author edits at once).

The learner's classes are used through their given surface only: the constructor
``Value(data, parents, op)`` and the fields ``data``, ``grad``, ``parents`` and ``_backward``.
Each exercise part is checked on its own:

* the operator checks run the learner's ``_backward`` closures in an order computed here (a
  reference backward pass), so they do not need the learner's ``backward()``;
* the ``backward()`` and ``zero_grad()`` checks build their graphs with operations written here,
  so they do not need the learner's operators;
* a stub met on the way is reported under its own name ("Value.__mul__ (Exercise 1) is not
  implemented yet"), never under the name of the check that ran into it.

The truth is always central differences (``autograder.numeric``) of the same function written in
plain numpy, never the learner's engine.  Wrong answers are named from simulations written here:
a backward pass run in breadth-first or forward order, a rule that overwrites with ``=``, a chain
walked recursively, and so on.  The worked examples are also compared with the seed notes' numbers
and printed side by side, on a failure too.

Inputs are not kind (issue 18): two batch sizes with no two dimensions equal (plus a square case
where a misplaced transpose must still be named), integer constants and an integer ``x``, the
stable forms at |x| up to 1000, every branch (both signs for relu and the sigmoid's two forms).
An operation must leave its inputs' ``data`` as it found them, and a rule must add the same
gradient when the backward pass runs again (one that edits an array it keeps would not).
Rules are also checked for what a blind second catalog found (issue 18): a rule attached to an input
instead of to ``out``, a rule that reads a ``.grad`` where it needs a value (it adds something else
when other gradients are stored beforehand), a local derivative written as a quotient (inputs of 0),
tanh written from exp (|x| up to 1000), derivatives taken at the output or borrowed from the other
function, a stack used as a queue, nan and inf gradients that ``*= 0`` cannot clear, and parameters
cut out of the graph by a computation on ``.data``.
``HINTS`` says which of an exercise's hints addresses each named mistake; the message ends with
"see hint N of Exercise M".  The mistakes these checks name are replayed, as whole answer cells,
by ``tests/mistakes/06_autodiff.py``.
"""
import contextlib
import functools
import gc
import re
import sys

import numpy as np

from . import Exercises
from .. import hosts, like, numeric
from ..catalog import Evidence, Mistake
from ..check import diagnose, explain
from ..compare import FullOracle, relative_error
from ..guard import MATH_ON_ARRAY, CheckFailed, call
from ..i18n import N_, tr
from ..tolerances import GRAD_RTOL, VALUE_RTOL
from .reference import sigmoid as _sigmoid

EXERCISES = Exercises("06_autodiff", [
    ("value_mul", "Value.__mul__: the multiply rule", 1),
    ("value_pow", "Value.__pow__ with a number exponent", 1),
    ("value_arithmetic", "-, / and plain numbers on either side, from +, * and **", 2),
    ("value_functions", "exp, log, tanh, sigmoid, relu", 2),
    ("topo_order", "Topological order with an explicit stack", 2),
    ("value_backward", "backward(): every rule once, in the right order", 3),
    ("value_zero_grad", "zero_grad() over the whole graph", 1),
    ("worked_examples", "The course's worked examples through the engine", 2),
    ("tensor_matmul", "Tensor @: the VJPs of a matrix product", 2),
    ("tensor_add", "Broadcast add and unbroadcast", 2),
    ("tensor_activations", "Tensor relu, sigmoid, tanh", 2),
    ("softmax_cross_entropy", "Softmax cross-entropy with integer labels", 2),
    ("two_layer_net", "A two-layer network from Tensor operations", 2),
], functions={
    # methods are attached to their class with add_to_class; a stub is named Class.method
    "value_mul": ("Value.__mul__",),
    "value_pow": ("Value.__pow__",),
    "value_arithmetic": tuple(f"Value.{m}" for m in ("__neg__", "__sub__", "__truediv__", "__radd__",
                                                       "__rmul__", "__rsub__", "__rtruediv__")),
    "value_functions": tuple(f"Value.{m}" for m in ("exp", "log", "tanh", "sigmoid", "relu")),
    "value_backward": ("Value.backward",),
    "value_zero_grad": ("Value.zero_grad",),
    "worked_examples": ("dezero_chain", "simple_example", "sigmoid_neuron", "wx_norm"),
    "tensor_matmul": ("Tensor.__matmul__",),
    "tensor_add": ("unbroadcast", "Tensor.__add__"),
    "tensor_activations": ("Tensor.relu", "Tensor.sigmoid", "Tensor.tanh"),
    "softmax_cross_entropy": ("Tensor.softmax_cross_entropy",),
    "two_layer_net": ("two_layer_loss",),
})
progress = EXERCISES.progress

# Which of an exercise's hints (the "Hint N" blocks in its markdown) addresses each named mistake:
# a failure with one of these keys ends with "see hint N of Exercise M (...) above."
HINTS = {
    "value_mul": dict(mul_passthrough=1, mul_not_swapped=2, mul_swapped_wrong_way=2, overwrote_grad=2,
                      rule_used_node=2, ignores_upstream=3, backward_not_attached=3, parents_missing=3,
                      nothing_added=3, forward_wrong=3, not_a_node=3, derivative_by_division=2, rule_on_input=3,
                      rule_reads_grad=2),
    "value_pow": dict(pow_used_output=1, pow_n_x_n=2, pow_missing_n=2, pow_precedence=2,
                      pow_forward_times=3, overwrote_grad=3, ignores_upstream=3, rule_used_node=3,
                      parent_not_a_node=3, derivative_by_division=2, rule_on_input=3, rule_reads_grad=1),
    "value_arithmetic": dict(nothing_added=1, forward_wrong=1, reflected_swapped=2, recursion=2,
                             constant_not_wrapped=2, div_rule=3),
    "value_functions": dict(exp_local_x=1, tanh_used_input=1, sigmoid_used_input=1, log_used_output=1,
                            exp_passthrough=2,
                            log_local_log=2, log_local_x=2, tanh_missing_square=2, sigmoid_missing_factor=2,
                            relu_passthrough=2, relu_used_value=2, relu_mask_from_upstream=2,
                            ignores_upstream=2, overwrote_grad=2, sigmoid_overflow=3, sigmoid_branch=3,
                            tanh_overflow=3, tanh_square_outside=2, tanh_at_output=1, tanh_sigmoid_formula=2,
                            sigmoid_at_output=1, sigmoid_tanh_formula=2, relu_sign=2, rule_reads_grad=1),
    "topo_order": dict(recursion_depth=1, duplicates=2, missing_nodes=2, root_first=2, returned_none=2,
                       bfs_order=3, preorder=3, visited_on_push=3, not_topological=3, queue_not_stack=2),
    "value_backward": dict(forward_order=1, bfs_order=1, preorder=1, visited_twice=1, recursion_depth=1,
                           not_seeded=2, backward_resets_leaves=2, intermediate_not_reset=2),
    "value_zero_grad": dict(leaves_kept=1, root_only=1, root_kept=1, not_all_zeroed=1, nothing_zeroed=2,
                            grad_none=2, scaled_not_assigned=2),
    "worked_examples": dict(no_graph=1, rule_used_node=1, forward_wrong=2, chain_order=2, chain_missing_step=2,
                            missing_parentheses=2, neuron_exp_sign=2, neuron_no_bias=2, neuron_no_sigmoid=2,
                            wx_not_squared=3, wx_norm_not_squared=3, wx_columns=3, neuron_precedence=2,
                            wx_square_inside=3, wx_square_of_sum=3),
    "tensor_matmul": dict(w_not_transposed=2, x_not_transposed=2, column_convention=2, transposed=2,
                          shape_transposed=2, overwrote_grad=3, ignores_upstream=3, rule_on_input=3, scaled_by_axis=3,
                          rule_reads_grad=1),
    "tensor_add": dict(mean_not_sum=1, unbroadcast_nothing_summed=2, unbroadcast_ones_not_summed=2,
                       unbroadcast_lost_axis=2,
                       unbroadcast_leading_axes=2, unbroadcast_wrong_axes=2, not_summed_back=3,
                       batch_not_summed=3, overwrote_grad=3, rule_on_input=3),
    "tensor_activations": dict(math_on_array=1, python_on_array=1, changed_input=1, tanh_used_input=2,
                               relu_passthrough=2, relu_used_value=2, relu_mask_from_upstream=2,
                               sigmoid_missing_factor=2, sigmoid_used_input=2, tanh_missing_square=2,
                               sigmoid_overflow=3, sigmoid_branch=3, tanh_overflow=3, tanh_square_outside=2,
                               tanh_at_output=2, tanh_sigmoid_formula=2, sigmoid_at_output=2,
                               sigmoid_tanh_formula=2, relu_sign=2, rule_reads_grad=2),
    "softmax_cross_entropy": dict(scaled_N=1, ce_no_softmax=1, ce_no_onehot=1, ce_sum_not_mean=1, ce_divided_by_C=1,
                                  ignores_upstream=1, ce_onehot_indexing=2, softmax_overflow=3,
                                  ce_log_underflow=3, changed_input=3, rule_changed_cache=3, rule_on_input=3),
    "two_layer_net": dict(net_no_relu=1, net_no_bias=1, net_sigmoid=1, net_relu_on_scores=1,
                          x_not_wrapped=2, param_not_in_graph=1),
}


def _hinted(check):
    """Under ``@EXERCISES.check``: a failure whose key the exercise's HINTS know points to that hint."""
    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        try:
            return check(*args, **kwargs)
        except CheckFailed as exc:
            if exc.hint is None:
                exc.hint = HINTS.get(check.__name__, {}).get(exc.key)
            raise
    return wrapper

DEEP = 10_000          # nodes in the chain that a recursive walk cannot handle
K_POINTS = 4           # random points per scalar operation: a wrong rule shows as a pattern
KINK_MARGIN = 0.1      # ReLU inputs stay this far from 0


# --- which exercise a learner's function belongs to (for "not implemented yet") ------------------

_PART_OF = {
    "Value.__mul__": "value_mul",
    "Value.__pow__": "value_pow",
    **{f"Value.{m}": "value_arithmetic" for m in ("__neg__", "__sub__", "__truediv__", "__radd__",
                                                   "__rmul__", "__rsub__", "__rtruediv__")},
    **{f"Value.{m}": "value_functions" for m in ("exp", "log", "tanh", "sigmoid", "relu")},
    "topo_order": "topo_order",
    "Value.backward": "value_backward",
    "Value.zero_grad": "value_zero_grad",
    **{name: "worked_examples" for name in ("dezero_chain", "simple_example", "sigmoid_neuron", "wx_norm")},
    "Tensor.__matmul__": "tensor_matmul",
    "Tensor.__add__": "tensor_add",
    "unbroadcast": "tensor_add",
    **{f"Tensor.{m}": "tensor_activations" for m in ("relu", "sigmoid", "tanh")},
    "Tensor.softmax_cross_entropy": "softmax_cross_entropy",
    "two_layer_loss": "two_layer_net",
}


def _label(name):
    """'Value.__mul__ (Exercise 1)' for a function of an exercise, else the name itself."""
    name = {"Tensor.backward": "Value.backward", "Tensor.zero_grad": "Value.zero_grad"}.get(name, name)
    part = _PART_OF.get(name)
    return f"{name} (Exercise {EXERCISES.keys.index(part) + 1})" if part else name


# --- calling the learner's code -------------------------------------------------------------------

class _Hit:
    """What happened inside a learner's call that we name ourselves (returned, not raised, so that
    ``guard.call`` does not turn it into a generic exception message)."""

    def __init__(self, kind, detail=""):
        self.kind, self.detail = kind, detail


def _innermost(exc):
    """'Value.__mul__' or 'topo_order': the function that raised ``exc``."""
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    name = frame.f_code.co_name
    owner = frame.f_locals.get("self")
    if owner is not None and not isinstance(owner, type):
        name = f"{type(owner).__name__}.{name}"
    return name


_NUMBER_AS_NODE = re.compile(r"'(float|int|numpy\.float64|numpy\.int64)' object has no attribute "
                             r"'(data|grad|parents|_backward|shape)'")
# a node where a rule needs a number: `float += Value`, `math.exp(Value)`, `Tensor * float`, ...
_NODE_AS_NUMBER = re.compile(r"'(Value|Tensor)'|not '?(Value|Tensor)\b")
_MATH_ON_ARRAY = ("only length-1 arrays", "only size-1 arrays", "only 0-dimensional arrays")


def _run(what, fn, *args, deep=None, rules=False):
    """``fn(*args)`` through ``guard.call``; a stub is reported under its own name, and these get
    sentences of their own: a RecursionError on a deep graph, a number used as a node, a node used
    as a number inside a rule (``rules``: ``fn`` runs backward rules), math.exp on an array or on a
    number that overflows, Python's ``if``/``max`` on an array, a gradient that does not fit."""
    def traced(*a):
        try:
            return fn(*a)
        except NotImplementedError as exc:
            return _Hit("stub", _innermost(exc))
        except RecursionError:
            return _Hit("recursion")
        except OverflowError as exc:
            return _Hit("overflow", str(exc))
        except ZeroDivisionError as exc:
            if rules:
                return _Hit("zero_division", str(exc))
            raise
        except AttributeError as exc:
            if _NUMBER_AS_NODE.search(str(exc)):
                return _Hit("number", str(exc))
            raise
        except TypeError as exc:
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            if any(m in text for m in _MATH_ON_ARRAY):
                return _Hit("math_on_array", text)
            if rules and _NODE_AS_NUMBER.search(text):
                return _Hit("node_in_rule", text)
            raise
        except ValueError as exc:
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            if "non-broadcastable output operand" in text:
                return _Hit("summed_back", text)
            if "truth value of an array" in text:
                return _Hit("python_on_array", text)
            raise
    result = call(traced, *args, what=what)
    if not isinstance(result, _Hit):
        return result
    if result.kind == "stub":
        raise CheckFailed(tr("{label_result_detail} is not implemented yet: replace `raise NotImplementedError()` "
                             "with your code, run that cell, then run this check again.",
                             label_result_detail=_label(result.detail)), key="not_implemented")
    if result.kind == "recursion":
        if deep:
            raise CheckFailed(
                tr("{what} hit Python's recursion limit on a graph {deep:,} nodes deep: a recursive walk "
                   "needs one stack frame per node, and Python allows about {sys_getrecursionlimit:,}. Walk "
                   "the graph with an explicit stack (a list you append to and pop from).",
                   what=what, deep=deep, sys_getrecursionlimit=sys.getrecursionlimit()),
                key="recursion_depth")
        raise CheckFailed(tr("{what} raised RecursionError: an operator calls itself without end. In a reflected "
                             "operator `other` is the plain number, so `other + self` or `other - self` asks Python "
                             "for the same __radd__ / __rsub__ again: write self + other (+ and * commute) or "
                             "as_value(other) - self.",
                             what=what), key="recursion")
    if result.kind == "summed_back":
        raise CheckFailed(tr("{what}: a gradient was added into a .grad of a smaller shape (numpy: {result_detail}). "
                             "Broadcasting copied that operand, so sum out.grad back to its shape first: "
                             "unbroadcast(out.grad, self.shape) for self, unbroadcast(out.grad, other.shape) for "
                             "other.",
                             what=what, result_detail=result.detail), key="not_summed_back")
    if result.kind == "zero_division":
        raise CheckFailed(tr("{what}: a rule divided by zero ({result_detail}) where an input is 0: a local "
                             "derivative written as a quotient, out.data / self.data, is 0 / 0 there, yet the "
                             "derivative exists. Write it from the inputs themselves: for a * b it is the other "
                             "factor (other.data for self, self.data for other); for x ** n, n * x ** (n - 1).",
                             what=what, result_detail=result.detail),
                          key="derivative_by_division")
    if result.kind == "overflow":
        raise CheckFailed(tr("{what} raised OverflowError ({result_detail}): math.exp overflows above about 709. "
                             "Rewrite the formula so that exp only ever sees numbers <= 0.",
                             what=what, result_detail=result.detail),
                          key="overflow")
    if result.kind == "math_on_array":
        raise CheckFailed(f"{what}: {MATH_ON_ARRAY} ({result.detail}).", key="math_on_array")
    if result.kind == "python_on_array":
        raise CheckFailed(tr("{what}: an `if`, `and`, `or` or Python's max() met a whole array ({result_detail}): "
                             "choose entry by entry with np.maximum, np.where or a boolean mask.",
                             what=what, result_detail=result.detail), key="python_on_array")
    if result.kind == "node_in_rule":
        raise CheckFailed(tr("{what}: a rule computed with a node where it needs a number ({result_detail}). Inside "
                             "_backward, use the values: self.data, other.data, out.data and out.grad (numbers for a "
                             "Value, arrays for a Tensor), so that every .grad stays a number or an array.",
                             what=what, result_detail=result.detail), key="rule_used_node")
    raise CheckFailed(tr("{what}: a plain number reached code that expects a node ({result_detail}): wrap numbers "
                         "first, other = as_value(other) (as_tensor(other) for a Tensor).",
                         what=what, result_detail=result.detail),
                      key="constant_not_wrapped")


def _make(cls, what, *args):
    return _run(what, cls, *args)


def _is_node(obj):
    return all(hasattr(obj, a) for a in ("data", "grad", "parents", "_backward"))


def _expect_node(out, cls, what):
    if not isinstance(out, cls):
        got = "None" if out is None else type(out).__name__
        raise CheckFailed(tr("{what} returned {got}, not a {cls_name}: build the result as a node, out = "
                             "{cls_name}(data, (self, other), op), so the graph remembers how it was made.",
                             what=what, got=got, cls_name=cls.__name__), key="not_a_node")


def _parents(node, what):
    try:
        parents = tuple(node.parents)
    except TypeError:
        raise CheckFailed(tr("{what}: a node's parents must be a tuple of nodes; got {type_node_parents_name}.",
                             what=what, type_node_parents_name=type(node.parents).__name__), key="parent_not_a_node") from None
    for p in parents:
        if not _is_node(p):
            raise CheckFailed(tr("{what}: out.parents holds a {type_p_name}, not a node: every parent must be a node "
                                 "(wrap numbers with as_value / as_tensor before using them).",
                                 what=what, type_p_name=type(p).__name__),
                              key="parent_not_a_node")
    return parents


def _graph(root, what):
    """Every node reachable from root, inputs first (depth-first postorder, explicit stack)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for p in _parents(node, what):
            if id(p) not in seen:
                stack.append((p, False))
    return order


def _zero(node):
    return np.zeros_like(node.data) if isinstance(node.data, np.ndarray) else 0.0


def _reference_backward(order, root, seed):
    """The backward pass of the course, written here: intermediate gradients restart from 0,
    the root gets ``seed``, then every node's rule runs once, output first."""
    for node in order:
        if node is not root and tuple(node.parents):
            node.grad = _zero(node)
    root.grad = seed
    for node in reversed(order):
        node._backward()


def _rule_is_default(node):
    qual = getattr(node._backward, "__qualname__", "")
    return qual.endswith("__init__.<locals>.<lambda>")


def _rules_left_alone(what, names, leaves):
    """An operation attaches its rule to the node it makes, never to an input: each leaf the check made
    still has the do-nothing rule of __init__ (a rule stored as self._backward works for one use of
    self, the leaf's rule running in out's place, and loses every use but the last)."""
    for name, leaf in zip(names, leaves):
        if not _rule_is_default(leaf):
            raise CheckFailed(
                tr("{what}: the operation replaced {name}._backward, the rule of its INPUT {name} (a leaf, "
                   "whose rule does nothing): self._backward = _backward attaches the rule to the wrong "
                   "node. Attach it to the node you return, out._backward = _backward. With the rule on "
                   "self, a node that takes part in two operations keeps only the last rule (f = x*y + x*z "
                   "at x, y, z = 2, 3, 5 gives x.grad = 5 and y.grad = 0 instead of 8 and 2), and the "
                   "output's own rule never runs.",
                   what=what, name=name), key="rule_on_input")


# --- judging a gradient -----------------------------------------------------------------------------

def _evidence(name, of, raw, truth, *, inputs=(), dout=None, batch=None, extra=None):
    truth = np.asarray(truth, dtype=np.float64)
    ev = Evidence(name=name, of=of, raw=raw, want=truth.shape, oracle=FullOracle(truth),
                  batch=batch, inputs=tuple(inputs), dout=dout)
    ev.extra.update(extra or {})
    return ev


def _judge_array(what, ev, rows):
    """Raise a CheckFailed naming the mistake (standard message: worst entry, relative error)."""
    row = diagnose(ev, rows)
    if row is None:
        return
    ev.extra["key"] = row.key
    first, *rest = explain(ev, row).split("\n")
    raise CheckFailed("\n".join([f"{what}: {first}"] + rest), key=row.key, keys={ev.name: row.key},
                      hint=row.hint)


def _judge_leaves(what, names, raw, truth, rows=(), label=N_("numeric")):
    """Judge the gradients of a few named leaves: rows about them all first (shown as a list), then
    each leaf alone, so a message names the leaf that is off."""
    truth = np.asarray(truth, dtype=np.float64)
    if not isinstance(raw, np.ndarray) or raw.shape != truth.shape:
        _judge_array(what, _evidence(tr("the gradients"), ", ".join(names), raw, truth), [])
        return
    ev = _evidence(tr("the gradients"), ", ".join(names), raw, truth)
    ev.yours = raw.astype(np.float64)
    if ev.oracle.matches(ev.yours):
        return

    def listing(values):
        return ", ".join(f"{n}.grad = {v:.6g}" for n, v in zip(names, values))
    for row in rows:
        if row.test(ev):
            yours, label = tr("yours"), tr(label)
            width = max(len(label), len(yours))
            raise CheckFailed(f"{what}: {row.sentence(ev)}\n  {yours:<{width}}  {listing(ev.yours)}\n"
                              f"  {label:<{width}}  {listing(truth)}", key=row.key, hint=row.hint)
    for i, name in enumerate(names):
        _judge_array(what, _evidence(f"{name}.grad", name, raw[i], truth[i]), [])


def _judge_points(what, ev, rows, points, names):
    """Like _judge_array for a gradient sampled at K points: the worst point is shown by its inputs."""
    row = diagnose(ev, rows)
    if row is None:
        return
    ev.extra["key"] = row.key
    lines = [f"{what}: {row.sentence(ev)}"]
    if ev.yours is not None and ev.yours.shape == ev.oracle.shape:
        k = int(np.argmax(np.abs(ev.yours - ev.oracle.expected)))
        at = ", ".join(f"{n} = {v:.4g}" for n, v in zip(names, points[k]))
        upstream = f" (out.grad = {float(ev.dout[k]):.4g})" if ev.dout is not None else ""
        lines.append(tr("  at {at}{upstream}: yours {yours:.6g}, numeric {numeric:.6g}", at=at, upstream=upstream,
                        yours=ev.yours[k], numeric=ev.oracle.expected[k]))
        lines.append(tr("  relative error {error:.1e} (tolerance {rtol:.0e})", error=ev.oracle.error(ev.yours),
                        rtol=GRAD_RTOL))
    raise CheckFailed("\n".join(lines), key=row.key, keys={ev.name: row.key}, hint=row.hint)


def _generic_rows(name_of):
    """Rows every local rule is checked for, after its own rows."""
    return [
        _like("overwrote_grad",
             "{name}: the gradient already stored in {of}.grad was overwritten; accumulate with += "
             "({of}.grad += local * out.grad): a value used in several places collects one "
             "contribution from each use.",
             lambda ev: ev.extra["truth"] - ev.extra["preset"]),
        _like("ignores_upstream",
             "{name} does not use out.grad: multiply the local derivative by out.grad "
             "(chain rule: downstream = local x upstream).",
             lambda ev: ev.extra["local_only"]),
        Mistake("nothing_added",
                "{name} did not change: nothing was added to {of}.grad. Either the rule is not attached "
                "(out._backward = _backward) or does not write {of}.grad += ..., or the result was made "
                "from raw numbers (a new node with no parents), so no gradient can flow back to {of}.",
                lambda ev: not np.any(ev.yours)),
    ]


_NODE_GRAD = N_("{what}: {name}.grad holds a {cls} node, not a number: a rule computed with a node where it "
              "needs its value. Inside _backward, use self.data, other.data, out.data and out.grad, so that "
              "every .grad stays a number (an array for a Tensor).")


def _grad_minus(leaf_grads, presets, name, what):
    """Your contributions: each leaf's grad minus what was stored there before."""
    out = []
    for g, p in zip(leaf_grads, presets):
        if g is None:
            raise CheckFailed(tr("{what}: {name}.grad is None after the backward pass: gradients start at 0 and grow with "
                                 "+=.",
                                 what=what, name=name), key="grad_none")
        if _is_node(g):
            raise CheckFailed(tr(_NODE_GRAD, what=what, name=name, cls=type(g).__name__), key="rule_used_node")
        try:
            out.append(float(g) - float(p))
        except (TypeError, ValueError):
            return list(leaf_grads)
    return np.array(out)


# --- scalar operations: one rule at K random points ----------------------------------------------------

def _like(key, says, wrong_answer, grads=None, hint=None):
    """``like`` whose wrong answer may not even be computable for these inputs (then it never
    matches: a row never ends a check)."""
    def safe(ev):
        try:
            with np.errstate(all="ignore"):
                return wrong_answer(ev)
        except Exception:
            return np.nan
    return like(key, says, safe, grads=grads, hint=hint)


def _signed(rng, shape, low=0.5, high=2.0):
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _check_scalar_value(what, label, got, expected, variants=()):
    try:
        got = float(got)
    except (TypeError, ValueError):
        raise CheckFailed(tr("{what}: {label} must be a number; got {type_got_name}.",
                             what=what, label=label, type_got_name=type(got).__name__),
                          key="forward_wrong") from None
    if abs(got - expected) <= VALUE_RTOL * 1e3 * max(1.0, abs(expected)):
        return
    for key, sentence, wrong in variants:
        if abs(got - wrong) <= 1e-9 * max(1.0, abs(wrong)):
            raise CheckFailed(tr("{what}: {sentence} ({label} is {got:.6g}, expected {expected:.6g}).",
                                 what=what, sentence=sentence, label=label, got=got, expected=expected), key=key)
    raise CheckFailed(tr("{what}: {label} is {got:.6g}, expected {expected:.6g}: the forward value is wrong.",
                         what=what, label=label, got=got, expected=expected),
                      key="forward_wrong")



def _check_parents(out, names, leaves, what):
    """One operation's output must list its inputs as parents, or the backward pass cannot reach them."""
    ids = {id(p) for p in _parents(out, what)}
    missing = [nm for nm, leaf in zip(names, leaves) if id(leaf) not in ids]
    if missing:
        raise CheckFailed(tr("{what}: out.parents must hold the inputs ({join_names}) so the backward pass can reach "
                             "them; {join_missing} is missing.",
                             what=what, join_names=', '.join(names), join_missing=', '.join(missing)),
                          key="parents_missing")


def _scalar_case(Value, what, build, f, points, rng, *, names, rows=(), single_op=True,
                 forward_variants=None):
    """Build ``build(*leaves)`` with the learner's operators at each point, run the learner's
    ``_backward`` rules (reference order, random upstream gradient, non-zero stored gradients),
    and judge each leaf's contribution against central differences of the numpy twin ``f``."""
    points = np.asarray(points, dtype=np.float64)
    k_count, n = points.shape
    upstream = _signed(rng, k_count)
    presets = rng.uniform(-1.0, 1.0, size=(k_count, n))
    grads = [[None] * k_count for _ in range(n)]
    for k, point in enumerate(points):
        leaves = [_make(Value, what, float(v)) for v in point]
        for leaf, p in zip(leaves, presets[k]):
            leaf.grad = float(p)
        out = _run(what, build, *leaves)
        _expect_node(out, Value, what)
        _rules_left_alone(what, names, leaves)
        variants = forward_variants(*point) if forward_variants else ()
        _check_scalar_value(what, "out.data", out.data, float(f(*point)), variants)
        if single_op:
            _check_parents(out, names, leaves, what)
        order = _graph(out, what)
        _run(what, _reference_backward, order, out, float(upstream[k]), rules=True)
        if single_op and _rule_is_default(out) and all(leaf.grad == p for leaf, p in zip(leaves, presets[k])):
            raise CheckFailed(tr("{what}: out._backward is still the do-nothing rule from __init__: define the rule, then "
                                 "attach it with out._backward = _backward.",
                                 what=what),
                              key="backward_not_attached")
        _unchanged_scalars(what, names, leaves, point)
        for i, leaf in enumerate(leaves):
            grads[i][k] = leaf.grad
    local = np.array([numeric.gradient(lambda v: float(f(*v)), p) for p in points])   # (K, n)
    truth = upstream[:, None] * local
    inputs = tuple(points[:, i] for i in range(n))
    for i, name in enumerate(names):
        raw = _grad_minus(grads[i], presets[:, i], name, what)
        ev = _evidence(f"{name}.grad", name, raw, truth[:, i], inputs=inputs, dout=upstream,
                       extra={"truth": truth[:, i], "preset": presets[:, i], "local_only": local[:, i]})
        own = list(rows(i)) if callable(rows) else list(rows)
        try:
            _judge_points(what, ev, own + _generic_rows(name), points, names)
        except CheckFailed as exc:
            if exc.key not in SYMPTOMS or not isinstance(raw, np.ndarray):
                raise

            def again(k, moved):
                leaves = [_make(Value, what, float(v)) for v in points[k]]
                for leaf, p in zip(leaves, moved):
                    leaf.grad = float(p)
                out = _run(what, build, *leaves)
                _run(what, _reference_backward, _graph(out, what), out, float(upstream[k]), rules=True)
                return float(leaves[i].grad) - float(moved[i])
            _reads_grad(what, name, raw, lambda moved: np.array([again(k, moved[k]) for k in range(k_count)]),
                        presets, exc)
            raise


# keys that only say the gradient is off: a failure with one of them is looked at once more
SYMPTOMS = ("wrong_values", "partly_wrong", "scaled_other")


def _reads_grad(what, name, first, contribution, presets, exc):
    """Run the rules again with other gradients stored in the leaves beforehand: when what the rules
    ADD to ``name``.grad changes with them, a rule reads a .grad where it needs a value.
    ``contribution(presets)`` -> the contributions to ``name``.grad, comparable with ``first``."""
    moved = [-2.0 * np.asarray(p, dtype=np.float64) + 0.75 for p in presets]
    try:
        second = np.asarray(contribution(moved), dtype=np.float64)
    except CheckFailed:
        return
    if second.shape == first.shape and relative_error(second, np.asarray(first, dtype=np.float64)) > 1e-9:
        raise CheckFailed(
            tr("{what}: what the rule adds to {name}.grad depends on the gradients that were stored in "
               "the inputs before it ran (the check ran it again with other numbers in the .grad "
               "fields, and it added something else): the rule reads a .grad (self.grad or other.grad) "
               "where it needs a value. A local derivative is computed from the inputs' .data (and "
               "out.data); the only gradient a rule reads is out.grad.",
               what=what, name=name), key="rule_reads_grad") from None


def _changed_input(what, name, when):
    return CheckFailed(tr("{what}: {name}.data changed {when}: an operation must leave its inputs' data as it "
                          "found them (the caller, a training loop or another use of {name}, still needs it). "
                          "Compute into a new array (shifted = self.data - m, not self.data -= m; "
                          "np.maximum(self.data, 0.0), not with out=self.data).",
                          what=what, name=name, when=when), key="changed_input")


def _unchanged_scalars(what, names, leaves, point):
    for name, leaf, value in zip(names, leaves, point):
        try:
            same = float(leaf.data) == float(value)
        except (TypeError, ValueError):
            same = False
        if not same:
            raise _changed_input(what, name, tr("during the forward or the backward pass"))


def _points(rng, n, k=K_POINTS, low=0.5, high=2.0, positive=False):
    pts = rng.uniform(low, high, size=(k, n))
    return pts if positive else pts * rng.choice([-1.0, 1.0], size=(k, n))


# --- 1. multiply -----------------------------------------------------------------------------------

@EXERCISES.check("value_mul")
@_hinted
def value_mul(Value, *, hidden=False):
    rng = np.random.default_rng(601 if hidden else 600)

    def mul_rows(i):
        other = 1 - i
        return [
            _like("mul_not_swapped", "{name}: multiply swaps: a.grad += b * out.grad and "
                 "b.grad += a * out.grad; yours used the input itself.",
                 lambda ev: ev.dout * ev.inputs[i]),
            _like("mul_passthrough", "{name}: you passed out.grad through unchanged, like the add rule; "
                 "multiply it by the other input.", lambda ev: ev.dout),
            _like("mul_swapped_wrong_way", "{name}: the other input's value belongs in the rule "
                 "(a.grad += b.data * out.grad).", lambda ev: ev.dout * ev.inputs[other] * ev.inputs[i]),
        ]

    _scalar_case(Value, tr("Value.__mul__, out = x * x (one node used twice)"), lambda x: x * x,
                 lambda x: x * x, _points(rng, 1), rng, names=["x"], rows=[
                     _like("overwrote_grad", "{name}: x * x must give x.grad += 2 x out.grad, one "
                           "contribution per operand. With = instead of += the second assignment "
                           "overwrote the first (and the gradient stored before): accumulate with +=.",
                           lambda ev: ev.dout * ev.inputs[0] - ev.extra["preset"]),
                     _like("overwrote_grad", "{name}: x * x must give x.grad += 2 x out.grad; with = the "
                           "gradient stored in x.grad before this rule ran was lost: accumulate with +=.",
                           lambda ev: ev.extra["truth"] - ev.extra["preset"]),
                     _like("mul_passthrough", "{name}: you passed out.grad through unchanged, like the add "
                           "rule; multiply it by the other input.", lambda ev: 2 * ev.dout),
                 ])
    points = _points(rng, 2)
    points[1, 0] = points[2, 1] = 0.0      # the rule must hold where an input is 0 (no out.data / self.data)
    _scalar_case(Value, tr("Value.__mul__, out = a * b (with a = 0 at one point, b = 0 at another)"),
                 lambda a, b: a * b, lambda a, b: a * b, points, rng, names=["a", "b"], rows=mul_rows)
    c = -1.5 if hidden else 3          # an int: as_value makes a float node of it
    _scalar_case(Value, tr("Value.__mul__, out = a * {c} (a plain number on the right)", c=c), lambda a: a * c,
                 lambda a: a * c, _points(rng, 1), rng, names=["a"], rows=[
                     _like("mul_not_swapped", "{name}: a.grad += (the other factor) * out.grad; yours "
                           "used a itself.", lambda ev: ev.dout * ev.inputs[0])], single_op=False)


# --- 2. power ---------------------------------------------------------------------------------------

@EXERCISES.check("value_pow")
@_hinted
def value_pow(Value, *, hidden=False):
    rng = np.random.default_rng(611 if hidden else 610)
    cases = [(3, False), (-1, False), (0.5, True), (-2.5, True)]
    if hidden:
        cases = [(4, False), (-2, False), (1.5, True), (-0.5, True)]
    for n, positive in cases:
        def rows(i, n=n):
            return [
                _like("pow_precedence", "{name}: yours is n * x**n - 1, which Python reads as (n * x**n) - 1: "
                      "** binds tighter than * and -. Write the exponent in parentheses: n * x ** (n - 1).",
                      lambda ev: ev.dout * (n * ev.inputs[0] ** n - 1)),
                _like("pow_precedence", "{name}: yours is n * x**n - out.grad: Python reads n * x ** n - 1 * "
                      "out.grad as (n * x**n) - (1 * out.grad), since ** and * bind tighter than -. Write "
                      "n * x ** (n - 1) * out.grad.", lambda ev: n * ev.inputs[0] ** n - ev.dout),
                _like("pow_n_x_n", "{name}: d(x**n)/dx = n * x**(n - 1): the exponent drops by one; "
                     "yours is n * x**n.", lambda ev: ev.dout * n * ev.inputs[0] ** n),
                _like("pow_missing_n", "{name}: d(x**n)/dx = n * x**(n - 1): the factor n is missing.",
                     lambda ev: ev.dout * ev.inputs[0] ** (n - 1)),
                _like("pow_used_output", "{name}: d(x**n)/dx = n * x**(n - 1), with x the input; "
                     "yours used the output x**n.", lambda ev: ev.dout * n * (ev.inputs[0] ** n) ** (n - 1)),
            ]
        what = f"Value.__pow__, out = x ** {n:g}" + (" (x > 0)" if positive else "")
        points = _points(rng, 1, positive=positive)
        if isinstance(n, int) and n >= 2:   # x = 0 too: n * x ** (n - 1) holds there, a quotient does not
            points[1, 0] = 0.0
            what += tr(" (x = 0 at one point)")
        _scalar_case(Value, what, lambda x, n=n: x ** n, lambda x, n=n: x ** n,
                     points, rng, names=["x"], rows=rows,
                     forward_variants=lambda x, n=n: [("pow_forward_times", tr("x ** n is x raised to the "
                                                                               "power n, not x * n"), x * n)])


# --- 3. the rest of the arithmetic, with numbers on either side ------------------------------------------

@EXERCISES.check("value_arithmetic", uses=("value_mul", "value_pow"))
@_hinted
def value_arithmetic(Value, *, hidden=False):
    rng = np.random.default_rng(621 if hidden else 620)
    c = 1.5 if hidden else 2.5
    swap = N_("in __r{op}__(self, other), self is the Value on the RIGHT of the operator: return {fix}")
    def div_rows(i):
        if i == 0:
            return [_like("div_rule", "{name}: d(x / y)/dx = 1 / y.", lambda ev: ev.dout * ev.inputs[1])]
        return [_like("div_rule", "{name}: d(x / y)/dy = -x / y**2 (x * y**-1, then the power rule); "
                      "the factor x is missing.", lambda ev: -ev.dout / ev.inputs[1] ** 2),
                _like("div_rule", "{name}: d(x / y)/dy = -x / y**2; yours is -1 / y.",
                      lambda ev: -ev.dout / ev.inputs[1])]
    # (what, build, numpy twin, number of leaves, positive inputs, rows, forward variants)
    cases = [
        ("-x (__neg__)", lambda x: -x, lambda x: -x, 1, False, (), None),
        ("x - y (__sub__)", lambda x, y: x - y, lambda x, y: x - y, 2, False, (), None),
        ("x / y (__truediv__)", lambda x, y: x / y, lambda x, y: x / y, 2, False, div_rows, None),
        (tr("x - {c} (__sub__ with a number)", c=c), lambda x: x - c, lambda x: x - c, 1, False, (), None),
        (tr("x / 4 (__truediv__ with an int)"), lambda x: x / 4, lambda x: x / 4, 1, False, (), None),
        (f"{c} + x (__radd__)", lambda x: c + x, lambda x: c + x, 1, False, (), None),
        (tr("3 * x (__rmul__ with an int)"), lambda x: 3 * x, lambda x: 3 * x, 1, False, (), None),
        (f"{c} - x (__rsub__)", lambda x: c - x, lambda x: c - x, 1, False, (),
         lambda x: [("reflected_swapped", tr(swap, op="sub", fix="as_value(other) - self"), x - c)]),
        (f"{c} / x (__rtruediv__)", lambda x: c / x, lambda x: c / x, 1, False, (),
         lambda x: [("reflected_swapped", tr(swap, op="truediv", fix="as_value(other) / self"), x / c)]),
        (tr("sum([x, y, x]) (Python's sum starts from 0, so 0 + x needs __radd__)"), lambda x, y: sum([x, y, x]),
         lambda x, y: 2 * x + y, 2, False, (), None),
    ]
    if hidden:
        cases = cases[1:3] + cases[5:] + [("(x - y) / (x + y), x, y > 0", lambda x, y: (x - y) / (x + y),
                                           lambda x, y: (x - y) / (x + y), 2, True, (), None)]
    for what, build, f, n, positive, rows, variants in cases:
        _scalar_case(Value, what, build, f, _points(rng, n, positive=positive), rng,
                     names=["x", "y"][:n], rows=rows, single_op=False, forward_variants=variants)


# --- 4. functions ------------------------------------------------------------------------------------

def _function_cases(rng, hidden):
    """(name, numpy function, points, rows for x)."""
    def signed():
        return _points(rng, 1, low=KINK_MARGIN, high=2.5)

    def positive():
        return _points(rng, 1, low=0.3, high=3.0, positive=True)

    s = _sigmoid
    return [
        ("exp", np.exp, signed(), [
            _like("exp_local_x", "{name}: d exp(x)/dx = exp(x); yours used x.", lambda ev: ev.dout * ev.inputs[0]),
            _like("exp_passthrough", "{name}: multiply out.grad by the local derivative exp(x).",
                 lambda ev: ev.dout)]),
        ("log", np.log, positive(), [
            _like("log_local_log", "{name}: d log(x)/dx = 1/x; yours used log(x).",
                 lambda ev: ev.dout * np.log(ev.inputs[0])),
            _like("log_local_x", "{name}: d log(x)/dx = 1/x, not x.", lambda ev: ev.dout * ev.inputs[0]),
            _like("log_used_output", "{name}: d log(x)/dx = 1/x with x the INPUT (self.data); yours divided "
                  "by the output log(x).", lambda ev: ev.dout / np.log(ev.inputs[0]))]),
        ("tanh", np.tanh, signed(), [
            _like("tanh_used_input", "{name}: d tanh(x)/dx = 1 - t**2 with t = tanh(x) the OUTPUT; "
                 "yours is 1 - x**2.", lambda ev: ev.dout * (1 - ev.inputs[0] ** 2)),
            _like("tanh_missing_square", "{name}: d tanh(x)/dx = 1 - t**2; a square is missing (1 - t).",
                 lambda ev: ev.dout * (1 - np.tanh(ev.inputs[0]))),
            _like("tanh_square_outside", "{name}: d tanh(x)/dx = 1 - t**2, the square of t alone; yours squares "
                  "the difference, (1 - t)**2 (the brackets belong around t**2 only, or none: 1 - t ** 2).",
                  lambda ev: ev.dout * (1 - np.tanh(ev.inputs[0])) ** 2),
            _like("tanh_at_output", "{name}: d tanh(x)/dx = 1 - t**2 with t = tanh(x) the output itself; yours "
                  "applies tanh to the output once more, 1 - tanh(t)**2 (the derivative taken at t instead of x).",
                  lambda ev: ev.dout * (1 - np.tanh(np.tanh(ev.inputs[0])) ** 2)),
            _like("tanh_sigmoid_formula", "{name}: t * (1 - t) is the sigmoid's derivative written with its "
                  "output; tanh's is 1 - t**2.", lambda ev: ev.dout * np.tanh(ev.inputs[0])
                  * (1 - np.tanh(ev.inputs[0])))]),
        ("sigmoid", s, signed(), [
            _like("sigmoid_missing_factor", "{name}: d sigmoid(x)/dx = s * (1 - s) with s = sigmoid(x); "
                 "a factor is missing.", lambda ev: ev.dout * s(ev.inputs[0])),
            _like("sigmoid_missing_factor", "{name}: d sigmoid(x)/dx = s * (1 - s); a factor is missing.",
                 lambda ev: ev.dout * (1 - s(ev.inputs[0]))),
            _like("sigmoid_used_input", "{name}: d sigmoid(x)/dx = s * (1 - s) with s the OUTPUT; yours "
                 "is x * (1 - x).", lambda ev: ev.dout * ev.inputs[0] * (1 - ev.inputs[0])),
            _like("sigmoid_at_output", "{name}: d sigmoid(x)/dx = s * (1 - s) with s = sigmoid(x) the output "
                  "itself; yours applies the sigmoid to the output once more, sigmoid(s) * (1 - sigmoid(s)) "
                  "(the derivative taken at s instead of x).",
                  lambda ev: ev.dout * s(s(ev.inputs[0])) * (1 - s(s(ev.inputs[0])))),
            _like("sigmoid_tanh_formula", "{name}: 1 - s**2 is tanh's derivative written with its output; the "
                  "sigmoid's is s * (1 - s).", lambda ev: ev.dout * (1 - s(ev.inputs[0]) ** 2))]),
        ("relu", lambda x: np.maximum(x, 0.0), signed(), [
            _like("relu_passthrough", "{name}: relu passes out.grad only where x > 0; elsewhere the "
                 "local derivative is 0.", lambda ev: ev.dout),
            _like("relu_used_value", "{name}: the local derivative of relu is 1 where x > 0 and 0 "
                 "elsewhere, not relu(x) itself.", lambda ev: ev.dout * np.maximum(ev.inputs[0], 0)),
            _like("relu_mask_from_upstream", "{name}: the mask must come from the input (x > 0), not "
                 "from out.grad.", lambda ev: ev.dout * (ev.dout > 0)),
            _like("relu_sign", "{name}: relu's local derivative is the step, 1 where x > 0 and 0 elsewhere; "
                  "np.sign(x) is -1 where x < 0, so it sends the gradient back with its sign flipped where the "
                  "unit is off. Use (x > 0).", lambda ev: ev.dout * np.sign(ev.inputs[0]))]),
    ]


@EXERCISES.check("value_functions")
@_hinted
def value_functions(Value, *, hidden=False):
    rng = np.random.default_rng(631 if hidden else 630)
    both_signs = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    for name, f, pts, rows in _function_cases(rng, hidden):
        variants = None
        if name in ("relu", "sigmoid"):     # both signs: relu's mask, the sigmoid's two stable forms
            pts = np.abs(pts) * both_signs
        if name == "sigmoid":
            variants = _sigmoid_branch
        _scalar_case(Value, f"Value.{name}, out = x.{name}()", lambda x, m=name: getattr(x, m)(),
                     lambda x, f=f: float(f(x)), pts, rng, names=["x"], rows=rows, forward_variants=variants)
    # the text asks for the stable sigmoid: it must hold where 1 / (1 + exp(-x)) overflows
    extreme = np.array([[-1000.0], [1000.0]]) if not hidden else np.array([[710.5], [-745.5]])
    at = tr("{a:g} and {b:g}", a=extreme[0, 0], b=extreme[1, 0])
    try:
        _scalar_case(Value, tr("Value.sigmoid at x = {at}", at=at), lambda x: x.sigmoid(), lambda x: float(_sigmoid(x)),
                     extreme, rng, names=["x"], forward_variants=_sigmoid_branch)
    except CheckFailed as exc:
        if exc.key != "overflow":
            raise
        raise CheckFailed(tr("Value.sigmoid at x = {at}: math.exp overflowed (OverflowError). The stable sigmoid uses "
                             "two forms, 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) for x < 0, so that "
                             "exp only ever sees numbers <= 0 (in the rule too: use s * (1 - s) with the output s).",
                             at=at), key="sigmoid_overflow") from None
    # tanh too: written from its exp definition it overflows where tanh is +-1 to every digit
    extreme = np.array([[1000.0], [-1000.0]]) if not hidden else np.array([[-725.5], [812.0]])
    at = tr("{a:g} and {b:g}", a=extreme[0, 0], b=extreme[1, 0])
    try:
        _scalar_case(Value, tr("Value.tanh at x = {at}", at=at), lambda x: x.tanh(), lambda x: float(np.tanh(x)),
                     extreme, rng, names=["x"])
    except CheckFailed as exc:
        if exc.key != "overflow":
            raise
        raise CheckFailed(tr(TANH_OVERFLOW, what=tr("Value.tanh at x = {at}", at=at),
                             said=tr("math.exp overflowed (OverflowError)"), use="math.tanh"),
                          key="tanh_overflow") from None


TANH_OVERFLOW = N_("{what}: {said}. tanh written from its definition, (e^x - e^-x) / (e^x + e^-x), overflows "
                 "for |x| above about 709 (355 with e^(2x)), where tanh(x) is +-1 to every digit. Use {use}, "
                 "which never overflows; the rule 1 - t**2, with the output t, needs no exp either.")


def _sigmoid_branch(x):
    """The stable sigmoid's x < 0 form written as 1 / (1 + exp(x)) gives sigmoid(-x)."""
    if x >= 0:
        return []
    return [("sigmoid_branch", tr("for x < 0 the stable form is exp(x) / (1 + exp(x)); yours gives "
                                  "1 / (1 + exp(x)) = sigmoid(-x)"), float(_sigmoid(-x)))]


# --- 5. topological order ----------------------------------------------------------------------------------

def _long_and_short(ops, x, w):
    """a = x * w reaches y along a short path (exp) and a long one (scale, tanh, + 1.5):
    breadth-first and preorder walks both visit a before its last consumer."""
    a = ops.mul(x, w)
    u = ops.exp(a)
    p1 = ops.scale(a, 0.5)
    p2 = ops.tanh(p1)
    p3 = ops.add(p2, ops.const(x, 1.5))
    return ops.mul(u, p3)


def _long_and_short_np(x, w):
    a = x * w
    return np.exp(a) * (np.tanh(0.5 * a) + 1.5)


class _Ops:
    """Operations written here (with the course's rules), creating nodes of the leaves' class."""

    @staticmethod
    def _node(like, data, parents, op, rule):
        out = type(like)(data, parents, op)
        out._backward = lambda: rule(out)
        return out

    @staticmethod
    def const(like, c):
        return type(like)(c)

    def mul(self, a, b):
        def rule(out):
            a.grad += b.data * out.grad
            b.grad += a.data * out.grad
        return self._node(a, a.data * b.data, (a, b), "*", rule)

    def add(self, a, b):
        def rule(out):
            a.grad += out.grad
            b.grad += out.grad
        return self._node(a, a.data + b.data, (a, b), "+", rule)

    def exp(self, a):
        def rule(out):
            a.grad += out.data * out.grad
        return self._node(a, float(np.exp(a.data)), (a,), "exp", rule)

    def tanh(self, a):
        def rule(out):
            a.grad += (1.0 - out.data ** 2) * out.grad
        return self._node(a, float(np.tanh(a.data)), (a,), "tanh", rule)

    def square(self, a):
        def rule(out):
            a.grad += 2.0 * a.data * out.grad
        return self._node(a, a.data ** 2, (a,), "**2", rule)

    def scale(self, a, k):
        def rule(out):
            a.grad += k * out.grad
        return self._node(a, a.data * k, (a,), f"*{k:g}", rule)


OPS = _Ops()


class _Node:
    """A node of the checks' own, for simulating wrong backward passes."""

    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.op = op
        self._backward = lambda: None


def _chain(cls, length, start=0.7, k=1.0001):
    """x -> x * k -> ... (length nodes after x), each node with the checks' own multiply-by-k rule
    (``a.grad += k * out.grad``, as ``OPS.scale`` has it; the node's value is x * k**i).

    Built as one batch: in one process the steps run at once; in trusted grading the 10,000
    constructor calls go to the learner's process in one message, and each rule is an
    ``Accumulate`` that the learner's process runs itself when ``backward()`` calls it."""
    steps = hosts.batch(cls)
    x = steps.call(cls, start)
    node, data = x, start
    for _ in range(length):
        data = data * k
        out = steps.call(cls, data, (node,), f"*{k:g}")
        steps.setattr(out, "_backward", steps.accumulate(node, "grad", out, "grad", k))
        node = out
    return steps.values(x, node)


def _bare_chain(cls, length):
    """A chain of nodes made with the constructor alone (no rules): enough for an order.
    One batch, as in ``_chain``."""
    steps = hosts.batch(cls)
    node = steps.call(cls, 0.0)
    for i in range(length):
        node = steps.call(cls, float(i), (node,), "step")
    return steps.values(node)[0]


@contextlib.contextmanager
def _deep_graph():
    """Around a graph of 10,000 nodes: no cyclic garbage collection while it is built and walked
    (each pass would traverse the growing graph, several times slower overall), and the graph taken
    apart afterwards, so that reference counting frees it at once instead of a later collection.
    Yields a list: append the graph's root to it."""
    roots = []
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield roots
    finally:
        for root in roots:
            if hosts.elsewhere(root):
                continue        # the graph lives in the learner's process, freed there when the test ends
            with contextlib.suppress(Exception):
                stack, seen = [root], set()
                while stack:
                    node = stack.pop()
                    if id(node) in seen:
                        continue
                    seen.add(id(node))
                    stack.extend(tuple(node.parents))
                    node._backward = None
                    node.parents = ()
        roots.clear()
        if was_enabled:
            gc.enable()


def _random_dag(cls, rng, size=40):
    """A random graph: each new node uses one to three earlier ones; the last node uses every
    node nobody uses yet, so all are reachable."""
    nodes = [cls(float(v)) for v in rng.standard_normal(4)]
    used = set()
    for i in range(size):
        picks = rng.choice(len(nodes), size=int(rng.integers(1, 4)), replace=True)
        parents = tuple(nodes[j] for j in picks)
        used.update(int(j) for j in picks)
        nodes.append(cls(0.0, parents, f"n{i}"))
    tail = tuple(n for j, n in enumerate(nodes) if j not in used)
    return cls(0.0, tail, "root")


def _bfs(root, reverse_parents=False):
    from collections import deque
    order, seen, queue = [], {id(root)}, deque([root])
    while queue:
        node = queue.popleft()
        order.append(node)
        parents = tuple(node.parents)
        for p in (reversed(parents) if reverse_parents else parents):
            if id(p) not in seen:
                seen.add(id(p))
                queue.append(p)
    return order


def _preorder(root, reverse_parents=False):
    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        parents = tuple(node.parents)
        stack.extend(reversed(parents) if reverse_parents else parents)
    return order


def _visited_on_push(root, reverse_parents=False):
    """The explicit-stack postorder with a node marked visited when PUSHED (as in a breadth-first
    walk): a node whose parent was pushed by an earlier node skips it and can finish before it."""
    order, seen, stack = [], {id(root)}, [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        stack.append((node, True))
        parents = tuple(node.parents)
        for p in (reversed(parents) if reverse_parents else parents):
            if id(p) not in seen:
                seen.add(id(p))
                stack.append((p, False))
    return order


def _queue_walk(root, reverse_parents=False):
    """The explicit-stack postorder of the exercise's hint with pop(0) for pop(): a queue."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop(0)
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            parents = tuple(node.parents)
            for p in (reversed(parents) if reverse_parents else parents):
                if id(p) not in seen:
                    stack.append((p, False))
    return order


def _is_topological(seq):
    pos = {id(n): i for i, n in enumerate(seq)}
    for i, node in enumerate(seq):
        for p in node.parents:
            if pos.get(id(p), -1) >= i:
                return False, (i, node, pos.get(id(p)), p)
    return True, None


def _op_name(node):
    return repr(getattr(node, "op", "")) if getattr(node, "op", "") else tr("a leaf")


def _validate_order(result, root, what, label):
    nodes = _graph(root, what)
    ids = {id(n) for n in nodes}
    if result is None:
        raise CheckFailed(tr("{what} returned None: return the list of nodes. Did you forget `return`?",
                             what=what),
                          key="returned_none")
    try:
        seq = list(result)
    except TypeError:
        raise CheckFailed(tr("{what} must return a list of nodes; got {type_result_name}.",
                             what=what, type_result_name=type(result).__name__),
                          key="not_a_list") from None
    foreign = [item for item in seq if id(item) not in ids]
    if foreign:
        raise CheckFailed(tr("{what} returned {len_foreign} item(s) that are not nodes of the graph (for example a "
                             "{type_foreign_0_name}): return the nodes themselves.",
                             what=what, len_foreign=len(foreign), type_foreign_0_name=type(foreign[0]).__name__),
                          key="foreign_items")
    counts = {}
    for item in seq:
        counts[id(item)] = counts.get(id(item), 0) + 1
    twice = [n for n in nodes if counts.get(id(n), 0) > 1]
    if twice:
        raise CheckFailed(tr("{what}: {len_twice} node(s) of the {label} graph appear more than once (one with op "
                             "{op_name_twice_0}, {counts_id_twice_0} times): a node reached along two paths is listed "
                             "once; keep a set of the nodes already visited.",
                             what=what, len_twice=len(twice), label=label, op_name_twice_0=_op_name(twice[0]), counts_id_twice_0=counts[id(twice[0])]),
                          key="duplicates")
    missing = [n for n in nodes if id(n) not in counts]
    if missing:
        raise CheckFailed(tr("{what} left out {len_missing} of the {len_nodes} nodes of the {label} graph (for "
                             "example {op_name_missing_0}): follow every parent of every node.",
                             what=what, len_missing=len(missing), len_nodes=len(nodes), label=label, op_name_missing_0=_op_name(missing[0])),
                          key="missing_nodes")
    ok, bad = _is_topological(seq)
    if ok:
        return
    got = [id(n) for n in seq]
    for rev in (False, True):
        if got == [id(n) for n in _queue_walk(root, rev)]:
            raise CheckFailed(tr("{what} takes the OLDEST entry off its stack (stack.pop(0) uses the list as a queue): "
                                 "(node, True) comes up again before the parents pushed after it, so a node is appended "
                                 "before its parents and the root comes first. Take the NEWEST entry, stack.pop(): then "
                                 "the parents pushed after (node, True) are finished before it comes up again.",
                                 what=what), key="queue_not_stack")
    if _is_topological(seq[::-1])[0]:
        raise CheckFailed(tr("{what} lists the root first and the inputs last: return the opposite order (every node "
                             "after all of its parents, the root last); backward() walks it reversed.",
                             what=what), key="root_first")
    for key, walk, sentence in [
        ("bfs_order", _bfs,
         tr("a breadth-first (level by level) order: a node reached along a short path and along a longer "
         "one lands before some of the nodes that use it, so backward would read its gradient before "
         "every consumer has added to it. Append a node only after all of its parents (depth-first "
         "postorder).")),
        ("preorder", _preorder,
         tr("a depth-first PREorder (each node listed when first reached): a node can still land before a "
         "node that uses it. Append a node when all of its parents are done (postorder), not when you "
         "first reach it.")),
        ("visited_on_push", _visited_on_push,
         tr("an order in which a node comes before its parent (in the {label} graph): you mark a node visited "
            "when you PUSH it, so when a node's parent has already been pushed by another node, the node "
            "skips it and is finished first. Mark a node visited when you pop it to expand it (and skip it "
            "then if it was already expanded), not when you push it.", label=label)),
    ]:
        for rev in (False, True):
            walked = [id(n) for n in walk(root, rev)]
            if got in (walked, walked[::-1]):
                raise CheckFailed(tr("{what} returned {sentence}", what=what, sentence=sentence), key=key)
    i, node, j, parent = bad
    raise CheckFailed(tr("{what}: in the {label} graph, node {i} (op {op_name_node}) comes before its parent, "
                         "node {j} (op {op_name_parent}): every node must come after all of its parents.",
                         what=what, label=label, i=i, op_name_node=_op_name(node), j=j, op_name_parent=_op_name(parent)), key="not_topological")


@EXERCISES.check("topo_order")
@_hinted
def topo_order(fn, Value, *, hidden=False):
    what = getattr(fn, "__name__", "topo_order")
    rng = np.random.default_rng(641 if hidden else 640)
    leaf = _make(Value, what, 1.0)
    result = _run(what, fn, leaf)
    _validate_order(result, leaf, what, tr("one-leaf"))

    def diamond():
        x, w = Value(0.8), Value(-1.3)
        a = OPS.mul(x, w)
        reused = OPS.mul(a, a)                    # one node used twice by the same node
        return OPS.add(_long_and_short(OPS, x, w), reused)

    def shared():
        # a node and its own parent used by one node, in both orders of the parents: a walk that marks
        # nodes visited when it pushes them finishes one of them too early, whichever way it goes
        x, w = Value(0.6), Value(-0.9)
        a = OPS.mul(x, w)
        return OPS.add(OPS.mul(a, w), OPS.mul(x, a))

    graphs = [("a = x * w; y = a * w + x * a", shared), (tr("long-and-short-path"), diamond)]
    if hidden:
        graphs.append((tr("random"), lambda: _random_dag(Value, rng)))
    for label, build in graphs:
        root = _run(what, build)
        _validate_order(_run(what, fn, root), root, what, label)
    if hidden:
        return          # the deep chain has no data to vary: the visible half has walked it already
    with _deep_graph() as graphs:
        end = _run(what, _bare_chain, Value, DEEP)
        graphs.append(end)
        _validate_order(_run(what, fn, end, deep=DEEP), end, what, tr("{count:,}-node chain", count=DEEP))


# --- 6. backward -------------------------------------------------------------------------------------

BACKWARD_CASES = [
    # (label, builder(ops, *leaves), numpy twin, leaf names, points(rng))
    (N_("DeZero's chain y = (exp(x**2))**2"), lambda o, x: o.square(o.exp(o.square(x))),
     lambda x: np.exp(x * x) ** 2, ["x"], lambda rng: _points(rng, 1, 3, low=0.2, high=1.0)),
    (N_("a node used twice, y = x * x"), lambda o, x: o.mul(x, x), lambda x: x * x, ["x"],
     lambda rng: _points(rng, 1, 3)),
    (N_("a value feeding two branches, y = x * exp(x)"), lambda o, x: o.mul(x, o.exp(x)),
     lambda x: x * np.exp(x), ["x"], lambda rng: _points(rng, 1, 3)),
    (N_("a diamond with a long and a short path"), _long_and_short, _long_and_short_np, ["x", "w"],
     lambda rng: _points(rng, 2, 3, low=0.3, high=1.2)),
    (N_("constants as leaves, y = 3 * x + 2"), lambda o, x: o.add(o.mul(o.const(x, 3.0), x), o.const(x, 2.0)),
     lambda x: 3.0 * x + 2.0, ["x"], lambda rng: _points(rng, 1, 3)),
]


def _simulate(build, point, kind):
    """Leaf gradients after a (wrong) backward pass of kind ``kind`` on the checks' own nodes."""
    leaves = [_Node(v) for v in point]
    root = build(OPS, *leaves)
    order = _graph(root, "simulation")
    for n in order:
        n.grad = 0.0
    root.grad = 0.0 if kind == "not_seeded" else 1.0
    if kind in ("not_seeded", "correct"):
        seq = list(reversed(order))
    elif kind == "forward_order":
        seq = order
    elif kind.startswith("bfs"):
        seq = _bfs(root, kind.endswith("rev"))
    elif kind.startswith("preorder"):
        seq = _preorder(root, kind.endswith("rev"))
    elif kind.startswith("every_path"):
        def visit(node):
            node._backward()
            parents = tuple(node.parents)
            for p in (reversed(parents) if kind.endswith("rev") else parents):
                visit(p)
        visit(root)
        seq = []
    elif kind == "micrograd_twice":     # a correct pass, then a second one without resetting
        for n in reversed(order):
            n._backward()
        root.grad = 1.0
        seq = list(reversed(order))
    else:
        raise ValueError(kind)
    for n in seq:
        n._backward()
    return np.array([leaf.grad for leaf in leaves])


BACKWARD_MISTAKES = [
    ("not_seeded", "not_seeded",
     N_("{name} is 0: the backward pass must start from dy/dy = 1: set self.grad = 1.0 before running "
     "the rules, and after resetting the intermediate gradients (the output has parents, so a reset "
     "after the seed sets it back to 0).")),
    ("forward_order", "forward_order",
     N_("{name}: the rules ran in topological order (inputs first); backward runs them reversed, output "
     "first: for node in reversed(topo_order(self)).")),
    ("bfs_order", "bfs", N_("{name}: the rules ran in breadth-first order, so a node used along a short "
     "and a long path pushed its gradient down before every consumer had added to it. Use "
     "reversed(topo_order(self)).")),
    ("bfs_order", "bfs_rev", N_("{name}: the rules ran in breadth-first order, so a node used along a short "
     "and a long path pushed its gradient down before every consumer had added to it. Use "
     "reversed(topo_order(self)).")),
    ("preorder", "preorder", N_("{name}: the rules ran in depth-first preorder, so a node pushed its "
     "gradient down before every consumer had added to it. Use reversed(topo_order(self)).")),
    ("preorder", "preorder_rev", N_("{name}: the rules ran in depth-first preorder, so a node pushed its "
     "gradient down before every consumer had added to it. Use reversed(topo_order(self)).")),
    ("visited_twice", "every_path", N_("{name}: a node's rule ran once per path from the output "
     "(recursing into every parent), so a value used twice pushed its gradient down more than once. "
     "Run each node's _backward exactly once, in reversed(topo_order(self)).")),
    ("visited_twice", "every_path_rev", N_("{name}: a node's rule ran once per path from the output "
     "(recursing into every parent), so a value used twice pushed its gradient down more than once. "
     "Run each node's _backward exactly once, in reversed(topo_order(self)).")),
]


def _backward_rows(sims, i, seeded):
    """The simulated mistakes for leaf i; "not seeded" only when the output's grad is not 1 (a pass in
    forward order leaves a chain's gradients at 0 too, with the seed in place)."""
    return [_like(key, sentence, lambda ev, kind=kind: sims[kind][:, i]) for key, kind, sentence in BACKWARD_MISTAKES
            if not (seeded and kind == "not_seeded")]


def _is_one(value):
    try:
        return float(value) == 1.0
    except (TypeError, ValueError):
        return False


def _learner_backward(Value, build, point, what, deep=None):
    leaves = _run(what, lambda: [Value(float(v)) for v in point])
    root = _run(what, build, OPS, *leaves)
    _run(what, root.backward, deep=deep)
    return leaves, root


@EXERCISES.check("value_backward", uses=("topo_order",))
@_hinted
def value_backward(Value, *, hidden=False):
    what = "Value.backward"
    rng = np.random.default_rng(651 if hidden else 650)
    for label, build, f, names, points_of in BACKWARD_CASES:
        label = tr(label)
        points = points_of(rng)
        got, roots = [], []
        for point in points:
            leaves, root = _learner_backward(Value, build, point, what)
            got.append([leaf.grad for leaf in leaves])
            roots.append(root.grad)
        truth = np.array([numeric.gradient(lambda v: float(f(*v)), p) for p in points])
        sims = {kind: np.array([_simulate(build, p, kind) for p in points])
                for _, kind, _ in BACKWARD_MISTAKES}
        inputs = tuple(points[:, i] for i in range(len(names)))
        seeded = all(_is_one(r) for r in roots)
        for i, name in enumerate(names):
            raw = _grad_minus([g[i] for g in got], np.zeros(len(points)), name, what)
            ev = _evidence(f"{name}.grad", name, raw, truth[:, i], inputs=inputs)
            _judge_points(f"{what} ({label})", ev, _backward_rows(sims, i, seeded), points, names)
        if not seeded:
            raise CheckFailed(tr("{what} ({label}): after backward() the output's grad is {float_roots_0:g}; it must be "
                                 "dy/dy = 1 (set it after resetting the intermediate gradients: the output has parents "
                                 "too).",
                                 what=what, label=label, float_roots_0=float(roots[0])), key="not_seeded")

    # twice: the leaves accumulate, the intermediate results do not
    label, build, f, names, points_of = BACKWARD_CASES[3]
    label = tr(label)
    point = points_of(rng)[0]
    leaves, root = _learner_backward(Value, build, point, what)
    _run(what, root.backward)
    truth = numeric.gradient(lambda v: float(f(*v)), point)
    raw = _grad_minus([leaf.grad for leaf in leaves], np.zeros(2), "x", what)
    micro = _simulate(build, point, "micrograd_twice")
    _judge_leaves(tr("{what} called twice on {label}", what=what, label=label), names, raw, 2 * truth, label=N_("2 x numeric"), rows=[
        _like("backward_resets_leaves", "after two backward() calls the leaves hold the gradient once, "
             "not twice: backward must not reset the leaves (only zero_grad does); gradients "
             "accumulate across backward calls, as in PyTorch.", lambda ev: truth),
        _like("intermediate_not_reset", "after two backward() calls the leaves hold more than twice the "
             "gradient: the intermediate nodes kept their gradient from the first call and pushed it "
             "down again. At the start of backward, reset the grad of every node that has parents to 0 "
             "(only leaves accumulate).", lambda ev: micro),
    ])

    # deep: no recursion, and the product of 10,000 local derivatives (in the visible half only:
    # x.grad = 1.0001**10,000 wherever the chain starts, so the hidden half would repeat it)
    if hidden:
        return
    with _deep_graph() as graphs:
        x_leaf, end = _run(what, _chain, Value, DEEP, 0.7)
        graphs.append(end)
        _run(what, end.backward, deep=DEEP)
        got = x_leaf.grad
    expected = numeric.derivative(lambda v: v * 1.0001 ** DEEP, 0.7)
    _check_scalar_value(tr("{what} on a chain of {count:,} nodes (each * 1.0001)", what=what, count=DEEP), "x.grad",
                        got, expected)


# --- 7. zero_grad ----------------------------------------------------------------------------------------

@EXERCISES.check("value_zero_grad", uses=("topo_order",))
@_hinted
def value_zero_grad(Value, *, hidden=False):
    what = "Value.zero_grad"
    rng = np.random.default_rng(661 if hidden else 660)
    label, build, f, names, points_of = BACKWARD_CASES[3 if not hidden else 0]
    label = tr(label)
    point = points_of(rng)[0]
    leaves = _run(what, lambda: [Value(float(v)) for v in point])
    root = _run(what, build, OPS, *leaves)
    order = _graph(root, what)
    data_before = [float(n.data) for n in order]
    _run(what, _reference_backward, order, root, 1.0)
    for n in order:                                   # every node holds something
        n.grad = float(n.grad) + 0.25
    # and two hold what a diverging step leaves: a leaf inf, an intermediate result nan
    blown = [order[0], next(n for n in order if tuple(n.parents) and n is not root)]
    blown[0].grad, blown[1].grad = float("inf"), float("nan")
    _run(what, root.zero_grad)
    if any(n.grad is None for n in order):
        raise CheckFailed(tr("{what} set grad to None: set it to 0.0 (backward adds to it with +=).",
                             what=what),
                          key="grad_none")
    if [float(n.data) for n in order] != data_before:
        raise CheckFailed(tr("{what} changed data: reset the gradients only.", what=what), key="changed_data")
    kept = [n for n in order if float(n.grad) != 0.0]
    if len(kept) == len(blown) and all(any(n is b for b in kept) and np.isnan(float(n.grad)) for n in blown):
        raise CheckFailed(tr("{what} on {label}: the nodes whose grad was inf or nan (as a diverging step leaves "
                             "them) still hold nan, every other node was cleared: node.grad *= 0 (or node.grad -= "
                             "node.grad) cannot clear them, since inf * 0 and nan * 0 are nan. Assign: node.grad = "
                             "0.0.",
                             what=what, label=label), key="scaled_not_assigned")
    if kept:
        is_leaf = [not tuple(n.parents) for n in kept]
        if all(is_leaf):
            key, why = "leaves_kept", tr("the leaves (the inputs and parameters, whose gradients accumulate) "
                                         "still hold a gradient")
        elif len(kept) == 1 and kept[0] is root:
            key, why = "root_kept", tr("the output node itself still holds a gradient")
        elif len(kept) == len(order):
            key, why = "nothing_zeroed", tr("no node was reset (did the loop compare, node.grad == 0.0, "
                                          "instead of assigning, node.grad = 0.0?)")
        elif len(kept) == len(order) - 1 and all(n is not root for n in kept):
            key, why = "root_only", tr("only the node you called it on was reset")
        else:
            key, why = "not_all_zeroed", tr("{kept} of the {count} nodes still hold a gradient", kept=len(kept),
                                            count=len(order))
        raise CheckFailed(tr("{what} on {label}: {why}; set grad = 0.0 on every node that topo_order(self) returns.",
                             what=what, label=label, why=why), key=key)
    _run(what, _reference_backward, order, root, 1.0)
    truth = numeric.gradient(lambda v: float(f(*v)), point)
    raw = _grad_minus([leaf.grad for leaf in leaves], np.zeros(len(leaves)), "x", what)
    _judge_leaves(tr("{what}, then backward()", what=what), names, raw, truth)


# --- 8. worked examples ------------------------------------------------------------------------------------

def _fmt(values, digits=2):
    return ", ".join(f"{v:.{digits}f}" for v in np.ravel(values))


# W and x of CS231n's ||W x||^2 (the slides' numbers), and the hidden half's, with a W that is not square
WX = {False: (np.array([[0.1, 0.5], [-0.3, 0.8]]), np.array([0.2, 0.4])),
      True: (np.array([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.6]]), np.array([0.7, -0.9]))}


def _example_specs(hidden):
    """(title, source, call(fn, leaves), numpy twin of the flat leaf values, point, names, expected text,
    forward variants)."""
    if hidden:
        x0, xyz = [-0.7], [3.0, -1.5, 2.0]
        neuron = [0.5, 1.5, -0.25, 1.2, -0.7]
    else:
        x0, xyz = [0.5], [-2.0, 5.0, -4.0]
        neuron = [2.0, -3.0, -3.0, -1.0, -2.0]
    W, xv = WX[hidden]
    m, n = W.shape

    def neuron_np(w0, w1, w2, a0, a1):
        return float(_sigmoid(w0 * a0 + w1 * a1 + w2))

    def wx_np(*v):
        Wm, x = np.reshape(v[:m * n], (m, n)), np.array(v[m * n:])
        return float(np.sum((Wm @ x) ** 2))

    def wx_call(fn, leaves):
        return fn([leaves[i * n:(i + 1) * n] for i in range(m)], leaves[m * n:])

    return [
        ("DeZero, y = (exp(x^2))^2", tr("the number DeZero prints for this chain, quoted in notebook 01"),
         lambda fn, lv: fn(*lv), lambda x: float(np.exp(x * x) ** 2), x0, ["x"],
         "x.grad = 3.297442541400256", lambda x: [
             ("chain_missing_step", tr("y = C(B(A(x))) = (exp(x**2))**2: square, exp, then square again; the "
                                       "last square is missing"), float(np.exp(x * x))),
             ("chain_order", tr("y = C(B(A(x))) applies A first: square x, then exp, then square, "
                                "(x ** 2).exp() ** 2; yours is exp(x)**4 (the exp came first)"), float(np.exp(x) ** 4))]),
        ("CS231n, f = (x + y) z at x = -2, y = 5, z = -4", tr("seed 004 (CS231n lecture 4 notes)"),
         lambda fn, lv: fn(*lv), lambda x, y, z: (x + y) * z, xyz, ["x", "y", "z"],
         "f = -12; x.grad, y.grad, z.grad = -4, -4, 3", lambda x, y, z: [
             ("missing_parentheses", tr("f = (x + y) * z needs the parentheses; yours is x + y * z"), x + y * z)]),
        ("CS231n sigmoid neuron, w = (2, -3, -3), x = (-1, -2)",
         tr("the CS231n lecture 4 slides (seed 004 shows -0.53, -0.2, 0.2 on the way)"),
         lambda fn, lv: fn(lv[:3], lv[3:]), neuron_np, neuron, ["w0", "w1", "w2", "x0", "x1"],
         "f = 0.73; w.grad = (-0.20, -0.39, 0.20); x.grad = (0.39, -0.59)",
         lambda w0, w1, w2, a0, a1: [
             ("neuron_no_bias", tr("the neuron is sigmoid(w0 x0 + w1 x1 + w2): the bias w2 is missing"),
              neuron_np(w0, w1, 0.0, a0, a1)),
             ("neuron_exp_sign", tr("sigmoid(z) = 1 / (1 + exp(-z)): the exponent is -z"),
              float(_sigmoid(-(w0 * a0 + w1 * a1 + w2)))),
             ("neuron_no_sigmoid", tr("f is the sigmoid of z = w0 x0 + w1 x1 + w2, not z itself"),
              w0 * a0 + w1 * a1 + w2),
             ("neuron_precedence", tr("1 / 1 + (-z).exp() is (1 / 1) + exp(-z), since / binds tighter than +: "
                                      "the denominator needs its parentheses, 1 / (1 + (-z).exp())"),
              1.0 + float(np.exp(-(w0 * a0 + w1 * a1 + w2))))]),
        ("CS231n, f = ||W x||^2, W = [[0.1, 0.5], [-0.3, 0.8]], x = (0.2, 0.4)",
         tr("seed 004 gives df/dq = (0.44, 0.52); f, W.grad and x.grad are from the CS231n slides"),
         wx_call, wx_np, list(W.ravel()) + list(xv), [f"W{i}{j}" for i in range(m) for j in range(n)]
         + [f"x{j}" for j in range(n)],
         "f = 0.116; W.grad = [[0.088, 0.176], [0.104, 0.208]]; x.grad = (-0.112, 0.636)",
         lambda *v: [
             ("wx_not_squared", tr("f = ||W x||^2 = sum of the SQUARES of q_i = sum_j W[i][j] x[j]"),
              float(np.sum(np.reshape(v[:m * n], (m, n)) @ np.array(v[m * n:])))),
             ("wx_norm_not_squared", tr("f is the squared norm sum(q_i**2), not the norm"),
              float(np.sqrt(wx_np(*v)))),
             ("wx_columns", tr("q_i = sum_j W[i][j] x[j] uses ROW i of W; yours used column i"),
              _wx_by_columns(np.reshape(v[:m * n], (m, n)), np.array(v[m * n:]))),
             ("wx_square_inside", tr("f squares each row's whole sum, q_i = sum_j W[i][j] x[j], then adds the "
                                     "squares; yours squares each product W[i][j] x[j] before summing "
                                     "(sum_j (W[i][j] x[j])**2)"),
              float(np.sum((np.reshape(v[:m * n], (m, n)) * np.array(v[m * n:])) ** 2))),
             ("wx_square_of_sum", tr("f is the sum of the squares, sum_i q_i**2; yours squares the sum of all "
                                     "the q_i, (sum_i q_i)**2"), float(np.sum(np.reshape(v[:m * n], (m, n)) @ np.array(v[m * n:])) ** 2))]),
    ]


def _wx_by_columns(W, x):
    """||.||^2 of q_j = sum_i W[i][j] x[i] over the columns (zip(*W), or W[j][i]): zip stops at the
    shorter of a column and x, so for a W that is not square it sums over the first min(m, n) rows."""
    k = min(W.shape)
    return float(np.sum((W[:k].T @ x[:k]) ** 2))


NO_GRAPH = Mistake(
    "no_graph", "{name} are all 0: no gradient reached the inputs. Build the result from the Value "
    "inputs with the engine's operations (+, *, exp, ...), not from their .data, so that the graph "
    "records how it was made.", lambda ev: not np.any(ev.yours))


def _yours_text(title, f_value, grads):
    if f_value is None:
        return tr("(could not be computed)")
    if grads is None:
        return tr("f = {f_value:.6g} (no gradients)", f_value=f_value)
    g = np.asarray(grads, dtype=np.float64)
    if title.startswith("DeZero"):
        return f"x.grad = {float(g[0])!r}"
    if "(x + y) z" in title:
        return f"f = {f_value:.2f}; x.grad, y.grad, z.grad = {_fmt(g)}"
    if "neuron" in title:
        return f"f = {f_value:.2f}; w.grad = ({_fmt(g[:3])}); x.grad = ({_fmt(g[3:])})"
    return (f"f = {f_value:.3f}; W.grad = [[{_fmt(g[0:2], 3)}], [{_fmt(g[2:4], 3)}]]; "
            f"x.grad = ({_fmt(g[4:], 3)})")


@EXERCISES.check("worked_examples", uses=("value_mul", "value_pow", "value_arithmetic", "value_functions",
                                          "topo_order", "value_backward"))
@_hinted
def worked_examples(dezero_chain, simple_example, sigmoid_neuron, wx_norm, Value, *, hidden=False):
    fns = [dezero_chain, simple_example, sigmoid_neuron, wx_norm]
    failures, lines = [], []
    for fn, (title, source, invoke, f, point, names, expected, variants) in zip(fns, _example_specs(hidden)):
        what = getattr(fn, "__name__", "example")
        f_value, grads = None, None
        try:
            leaves = _run(what, lambda: [Value(float(v)) for v in point])
            out = _run(what, invoke, fn, leaves)
            _expect_node(out, Value, what)
            f_value = float(out.data)
            _run(what, out.backward, rules=True)
            raw = _grad_minus([leaf.grad for leaf in leaves], np.zeros(len(leaves)), "x", what)
            grads = raw if isinstance(raw, np.ndarray) else None
            _check_scalar_value(what, "f", out.data, f(*point), variants(*point))
            truth = numeric.gradient(lambda v: float(f(*v)), np.array(point, dtype=np.float64))
            _judge_leaves(what, names, raw, truth, rows=[NO_GRAPH])
        except CheckFailed as exc:
            if fn is wx_norm and exc.key == "exception" and "IndexError" in str(exc):
                m, n = np.shape(WX[hidden][0])
                exc = CheckFailed(
                    tr("{what} raised IndexError with W of {m} rows and {n} columns: q_i = sum_j W[i][j] x[j] "
                       "takes row i, W[i] (i over the {m} rows, len(W)), and runs j over its {n} entries "
                       "(len(x)); an index run over the wrong one of the two lengths, as in W[j][i], goes out "
                       "of range.",
                       what=what, m=m, n=n), key="wx_columns")
            failures.append(exc)
        lines.append((title, source, expected, _yours_text(title, f_value, grads)))
    if not hidden:
        print(tr("The course's worked examples through your engine:"))
        for title, source, expected, yours in lines:
            print(f"  {title}  [{source}]")
            print(tr("    expected  {expected}", expected=expected))
            print(tr("    yours     {yours}", yours=yours))
    if failures:
        raise failures[0]


# --- Tensor operations --------------------------------------------------------------------------------------

def _tensor_case(Tensor, what, build, f, arrays, rng, *, names, rows=(), batch=None, single_op=True,
                 forward_variants=(), fd_arrays=None):
    """Build ``build(*leaves)`` with the learner's Tensor operations, run the learner's rules (reference
    order, random upstream gradient, random gradients already stored in the leaves), and judge each
    leaf's contribution against central differences of the numpy twin ``f``.  Then: the leaves'
    data are what they were, and a second backward pass through the same graph adds the same
    gradient again (a rule that edits an array it keeps would not).

    ``fd_arrays``: where to take the central differences when ``f`` has the same gradient there and
    the step relative to huge inputs would be too coarse (softmax is unchanged by a shift of a row)."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    fd_arrays = arrays if fd_arrays is None else [np.array(a, dtype=np.float64) for a in fd_arrays]
    leaves = _run(what, lambda: [Tensor(a.copy()) for a in arrays])
    presets = [rng.standard_normal(a.shape) for a in arrays]
    for leaf, p in zip(leaves, presets):
        leaf.grad = p.copy()
    out = _run(what, build, *leaves)
    _expect_node(out, Tensor, what)
    _rules_left_alone(what, names, leaves)
    expected = np.asarray(f(*arrays), dtype=np.float64)
    got = np.asarray(out.data, dtype=np.float64)
    if got.shape != expected.shape:
        raise CheckFailed(tr("{what}: out.data has shape {got_shape}, expected {expected_shape}.",
                             what=what, got_shape=got.shape, expected_shape=expected.shape),
                          key="forward_shape")
    if relative_error(got, expected) > VALUE_RTOL * 1e3:
        for key, sentence, wrong in forward_variants:
            if np.shape(wrong) == got.shape and relative_error(got, wrong) <= 1e-9:
                raise CheckFailed(f"{what}: {sentence}.", key=key)
        if not np.all(np.isfinite(got)):
            raise CheckFailed(tr("{what}: out.data holds {v} where the right values are finite: a formula overflowed or "
                                 "took the log of 0.",
                                 what=what, v='nan' if np.any(np.isnan(got)) else 'inf'),
                              key="not_finite")
        raise CheckFailed(tr("{what}: out.data has the right shape but wrong values (relative error {v:.1e}): the "
                             "forward value is wrong.",
                             what=what, v=relative_error(got, expected)), key="forward_wrong")
    _unchanged_arrays(what, names, leaves, arrays, tr("in the forward pass"))
    if single_op:
        _check_parents(out, names, leaves, what)
    upstream = rng.standard_normal(expected.shape)
    order = _graph(out, what)
    _run(what, _reference_backward, order, out, upstream.copy(), rules=True)
    if single_op and _rule_is_default(out) and all(np.array_equal(leaf.grad, p) for leaf, p in zip(leaves, presets)):
        raise CheckFailed(tr("{what}: out._backward is still the do-nothing rule from __init__: define the rule, then "
                             "attach it with out._backward = _backward.",
                             what=what), key="backward_not_attached")
    firsts = []
    for i, (name, leaf, p) in enumerate(zip(names, leaves, presets)):
        g = leaf.grad
        if g is None:
            raise CheckFailed(tr("{what}: {name}.grad is None after the backward pass.", what=what, name=name), key="grad_none")
        if _is_node(g):
            raise CheckFailed(tr(_NODE_GRAD, what=what, name=name, cls=type(g).__name__), key="rule_used_node")
        g = np.asarray(g)
        raw = g - p if g.shape == p.shape and np.issubdtype(g.dtype, np.number) else leaf.grad

        def f_i(z, i=i):
            args = [a.copy() for a in fd_arrays]
            args[i] = z
            return np.asarray(f(*args), dtype=np.float64)

        truth = numeric.vjp(f_i, fd_arrays[i], upstream)
        local = numeric.vjp(f_i, fd_arrays[i], np.ones_like(upstream))
        ev = _evidence(f"{name}.grad", name, raw, truth, inputs=tuple(arrays), dout=upstream, batch=batch,
                       extra={"truth": truth, "preset": p, "local_only": local})
        own = list(rows(i)) if callable(rows) else list(rows)
        try:
            _judge_array(what, ev, own + _generic_rows(name))
        except CheckFailed as exc:
            if exc.key not in SYMPTOMS or not isinstance(raw, np.ndarray):
                raise

            def again(moved, i=i):
                again_leaves = _run(what, lambda: [Tensor(a.copy()) for a in arrays])
                for leaf, p in zip(again_leaves, moved):
                    leaf.grad = np.array(p)
                again_out = _run(what, build, *again_leaves)
                _run(what, _reference_backward, _graph(again_out, what), again_out, upstream.copy(), rules=True)
                return np.asarray(again_leaves[i].grad, dtype=np.float64) - moved[i]
            _reads_grad(what, name, raw, lambda moved: again(moved), presets, exc)
            raise
        firsts.append(np.array(g, dtype=np.float64))
    _unchanged_arrays(what, names, leaves, arrays, tr("in the backward pass"))
    # the same graph, backward again: every leaf gets the same contribution a second time
    _run(what, _reference_backward, order, out, upstream.copy(), rules=True)
    for name, leaf, first, p in zip(names, leaves, firsts, presets):
        again = np.asarray(leaf.grad, dtype=np.float64) - first
        if again.shape != first.shape or relative_error(again, first - p) > GRAD_RTOL:
            raise CheckFailed(
                tr("{what}: a second backward pass through the same graph added a different gradient to "
                   "{name}.grad (relative error {v:.1e} against the first): the rule changed an array it "
                   "keeps (edited in place with -=, += or [...] =), so it cannot run twice. Work on a new "
                   "array in the rule (for example p = np.exp(log_p), then p[...] -= 1).",
                   what=what, name=name, v=relative_error(again, first - p)), key="rule_changed_cache")


def _unchanged_arrays(what, names, leaves, arrays, when):
    for name, leaf, a in zip(names, leaves, arrays):
        data = np.asarray(leaf.data)
        if data.shape != a.shape or not np.array_equal(data, a):
            raise _changed_input(what, name, when)


@EXERCISES.check("tensor_matmul")
@_hinted
def tensor_matmul(Tensor, *, hidden=False):
    rng = np.random.default_rng(671 if hidden else 670)
    # a square case first (where a missing or misplaced transpose still fits, so it can be named),
    # then two cases with no two dimensions equal and different N
    shapes = ([((3, 3), (3, 3)), ((4, 5), (5, 3)), ((2, 3), (3, 6))] if not hidden
              else [((4, 4), (4, 4)), ((6, 3), (3, 5)), ((5, 7), (7, 2))])

    def rows(i):
        if i == 0:
            return [_like("w_not_transposed", "{name} = out.grad @ W.T, (N, M) @ (M, D): W enters transposed; "
                          "yours multiplied by W itself.", lambda ev: ev.dout @ ev.inputs[1]),
                    _like("column_convention", "{name} = out.grad @ W.T: yours is W.T @ out.grad, the column "
                          "form (CS231n's W x, where dx = W^T g). Here x is a batch of rows, out = x @ W, so "
                          "out.grad stays on the left, where x was.", lambda ev: ev.inputs[1].T @ ev.dout)]
        return [_like("x_not_transposed", "{name} = x.T @ out.grad, (D, N) @ (N, M): x enters transposed; "
                      "yours multiplied by x itself.", lambda ev: ev.inputs[0] @ ev.dout),
                _like("column_convention", "{name} = x.T @ out.grad: yours is out.grad @ x.T, the column form "
                      "(CS231n's dW = g x^T). Here out = x @ W, so x.T goes on the left, where x was.",
                      lambda ev: ev.dout @ ev.inputs[0].T)]

    for xs, ws in shapes:
        _tensor_case(Tensor, tr("Tensor.__matmul__, out = x @ W with x {xs}, W {ws}", xs=xs, ws=ws), lambda x, W: x @ W,
                     lambda x, W: x @ W, [rng.standard_normal(xs), rng.standard_normal(ws)], rng,
                     names=["x", "W"], rows=rows)
    if hidden:
        return
    W, x = np.array([[0.1, 0.5], [-0.3, 0.8]]), np.array([[0.2], [0.4]])
    Wt, xt = _run("Tensor", lambda: (Tensor(W.copy()), Tensor(x.copy())))
    q = _run("Tensor.__matmul__", lambda: Wt @ xt)
    _run("Tensor.__matmul__", _reference_backward, _graph(q, "Tensor.__matmul__"), q, 2 * (W @ x), rules=True)
    print(tr("CS231n's ||W x||^2 through your @, with the upstream gradient df/dq = 2q = (0.44, 0.52) "
             "from seed 004:"))
    print(tr("  expected  W.grad = [[0.088, 0.176], [0.104, 0.208]], x.grad = (-0.112, 0.636)  "
             "[CS231n slides]"))
    print(tr("  yours     W.grad = {v}, x.grad = ({v2})",
             v=np.round(np.asarray(Wt.grad, dtype=float), 3).tolist(), v2=_fmt(np.asarray(xt.grad, dtype=float), 3)))


def _unbroadcast_cases(hidden):
    cases = [((4, 3), (3,)), ((4, 3), (1, 3)), ((4, 3), (4, 1)), ((4, 3), ()), ((2, 4, 3), (4, 1)),
             ((4, 3), (4, 3)), ((2, 5), (5,))]
    return cases if not hidden else [((5, 2), (2,)), ((3, 5, 2), (5, 1)), ((5, 2), (1, 1)), ((5, 2), ()),
                                     ((3, 4), (3, 1))]


def _unbroadcast_shape(ub, raw, out_shape, shape):
    """A wrong shape from unbroadcast, named by what was (not) summed."""
    try:
        got = tuple(np.shape(raw))
    except Exception:
        return
    if raw is None or got == tuple(shape):
        return
    lead = len(out_shape) - len(shape)
    ones = [i for i, s in enumerate(shape) if s == 1 and out_shape[lead + i] != 1]
    need = ""
    if lead:
        need = (tr("sum over the {lead} leading axis broadcasting added", lead=lead) if lead == 1 else
                tr("sum over the {lead} leading axes broadcasting added", lead=lead))
    if ones:
        listed = ", ".join(map(str, ones))
        if need and len(ones) == 1:
            need += tr(", then over axis {ones} with keepdims=True (where shape has a 1)", ones=listed)
        elif need:
            need += tr(", then over axes {ones} with keepdims=True (where shape has a 1)", ones=listed)
        elif len(ones) == 1:
            need = tr("sum over axis {ones} with keepdims=True (where shape has a 1)", ones=listed)
        else:
            need = tr("sum over axes {ones} with keepdims=True (where shape has a 1)", ones=listed)
    if ones and got == tuple(out_shape[lead:]):
        key, what = "unbroadcast_ones_not_summed", tr("did not sum over the axes where shape has a 1 (numpy "
                                                   "stretched those to the result's length)")
    elif got == tuple(out_shape):
        key, what = "unbroadcast_nothing_summed", tr("returned grad with its shape unchanged")
    elif len(got) < len(shape):
        key, what = "unbroadcast_lost_axis", tr("summed away an axis of length 1 that must stay (keepdims=True)")
    elif len(got) > len(shape):
        key, what = "unbroadcast_leading_axes", tr("kept an axis that broadcasting added in front")
    else:
        key, what = "unbroadcast_wrong_axes", tr("summed over the wrong axes")
    raise CheckFailed(tr("{ub}(grad of shape {out_shape}, {shape}) returned shape {got}, but it must have the "
                         "operand's shape {tuple_shape}: it {what}. What it must do: {need}.",
                         ub=ub, out_shape=out_shape, shape=shape, got=got, tuple_shape=tuple(shape), what=what, need=need), key=key)


@EXERCISES.check("tensor_add")
@_hinted
def tensor_add(Tensor, unbroadcast, *, hidden=False):
    rng = np.random.default_rng(681 if hidden else 680)
    ub = getattr(unbroadcast, "__name__", "unbroadcast")
    for out_shape, shape in _unbroadcast_cases(hidden):
        g = rng.standard_normal(out_shape)
        raw = _run(f"{ub}(grad, {shape})", unbroadcast, g.copy(), shape)
        _unbroadcast_shape(ub, raw, out_shape, shape)
        base = rng.standard_normal(shape)
        truth = numeric.vjp(lambda z: np.broadcast_to(z, out_shape), base, g)
        axes = tuple(range(len(out_shape) - len(shape))) + tuple(
            len(out_shape) - len(shape) + i for i, s in enumerate(shape) if s == 1)
        mean = np.mean(g, axis=axes, keepdims=True).reshape(shape) if axes else g
        ev = _evidence(f"{ub}(grad, {shape})", tr("an operand of shape {shape}", shape=shape), raw, truth,
                       batch=out_shape[0] if len(shape) < len(out_shape) else None)
        _judge_array(tr("{ub} for grad of shape {out_shape}", ub=ub, out_shape=out_shape), ev, [
            _like("mean_not_sum", "broadcasting copies the operand to every position, so its gradient is "
                 "the SUM over the copies, not the mean.", lambda ev: mean)])
    cases = [("x (4, 3) + b (3,)", (4, 3), (3,)), ("x (4, 3) + b (1, 3)", (4, 3), (1, 3)),
             ("x (4, 1) + b (1, 3)", (4, 1), (1, 3)), ("x (4, 3) + y (4, 3)", (4, 3), (4, 3)),
             ("x (2, 5) + b (5,)", (2, 5), (5,))]
    if hidden:
        cases = [("x (5, 2) + b (2,)", (5, 2), (2,)), ("x (5, 1) + b (1, 2)", (5, 1), (1, 2)),
                 ("x (3, 4) + b (4,)", (3, 4), (4,))]
    for label, xs, bs in cases:
        _tensor_case(Tensor, f"Tensor.__add__, out = {label}", lambda x, b: x + b, lambda x, b: x + b,
                     [rng.standard_normal(xs), rng.standard_normal(bs)], rng, names=["x", "b"],
                     batch=max(xs[0], bs[0]))
    c = 2 if not hidden else -0.75        # an int: as_tensor makes a float array of it
    _tensor_case(Tensor, tr("Tensor.__add__, out = x + {c} (a plain number)", c=c), lambda x: x + c,
                 lambda x: x + c, [rng.standard_normal((4, 3))], rng, names=["x"], single_op=False)
    _tensor_case(Tensor, tr("Tensor.__add__, out = x + x (one node used twice)"), lambda x: x + x,
                 lambda x: x + x, [rng.standard_normal((4, 3))], rng, names=["x"], rows=[
                     _like("overwrote_grad", "{name}: x + x must add out.grad to x.grad twice, once per "
                          "operand; with = the second overwrote the first: accumulate with +=.",
                          lambda ev: ev.dout - ev.extra["preset"])])


@EXERCISES.check("tensor_activations")
@_hinted
def tensor_activations(Tensor, *, hidden=False):
    rng = np.random.default_rng(691 if hidden else 690)
    shapes = [(4, 3), (2, 5)] if not hidden else [(3, 5), (5, 2)]
    cases = {name: (f, rows) for name, f, _, rows in _function_cases(rng, hidden)}
    for shape in shapes:
        for name in ("relu", "sigmoid", "tanh"):
            f, rows = cases[name]
            x = _signed(rng, shape, KINK_MARGIN, 2.5)
            variants = _sigmoid_branch_array(x) if name == "sigmoid" else ()
            _tensor_case(Tensor, tr("Tensor.{name}, out = x.{name}() for x of shape {shape}", name=name, shape=shape),
                         lambda t, m=name: getattr(t, m)(), f, [x], rng, names=["x"], rows=rows,
                         forward_variants=variants)
    # the text asks for the stable sigmoid: it must hold where np.exp(-x) or np.exp(x) overflows
    big = (np.array([[-1000.0, -745.0, 3.0], [1000.0, 40.0, -40.0]]) if not hidden
           else np.array([[710.0, -0.5], [-900.0, 12.0], [-711.0, 800.0]]))
    try:
        _tensor_case(Tensor, tr("Tensor.sigmoid at |x| up to 1000"), lambda t: t.sigmoid(), _sigmoid, [big], rng,
                     names=["x"], forward_variants=_sigmoid_branch_array(big))
    except CheckFailed as exc:
        if not (exc.key in ("warning", "overflow", "not_finite") and ("overflow" in str(exc) or "inf" in str(exc)
                                                                      or "nan" in str(exc))):
            raise
        raise CheckFailed(
            tr("Tensor.sigmoid at |x| up to 1000: exp overflowed. 1 / (1 + np.exp(-x)) overflows for x "
               "below about -709 and np.exp(x) / (1 + np.exp(x)) above 709; np.where(x >= 0, one, "
               "other) computes BOTH forms on every entry before it chooses, so it overflows too. "
               "Compute e = np.exp(-np.abs(x)) once (never above 1), then s = np.where(x >= 0, 1 / (1 + "
               "e), e / (1 + e)).") + _said(exc),
            key="sigmoid_overflow") from None
    try:
        _tensor_case(Tensor, tr("Tensor.tanh at |x| up to 1000"), lambda t: t.tanh(), np.tanh, [big], rng, names=["x"])
    except CheckFailed as exc:
        if not (exc.key in ("warning", "overflow", "not_finite") and ("overflow" in str(exc) or "inf" in str(exc)
                                                                      or "nan" in str(exc))):
            raise
        raise CheckFailed(tr(TANH_OVERFLOW, what=tr("Tensor.tanh at |x| up to 1000"),
                             said=tr("exp overflowed") + _said(exc), use="np.tanh"), key="tanh_overflow") from None


def _said(exc):
    """' (RuntimeWarning: overflow encountered in exp)': what numpy or Python said, if it is there."""
    found = re.search(r"\((\w*(Warning|Error): [^)]*)\)", str(exc))
    return f" ({found.group(1)})" if found else ""


def _sigmoid_branch_array(x):
    """The x < 0 form written as 1 / (1 + exp(x)): sigmoid(-x) on the negative entries."""
    wrong = np.where(x >= 0, _sigmoid(x), _sigmoid(-x))
    return [("sigmoid_branch", tr("for x < 0 the stable form is exp(x) / (1 + exp(x)); yours gives "
                                  "1 / (1 + exp(x)) = sigmoid(-x) on the negative entries"), wrong)]


def _ce(scores, labels):
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.mean(logp[np.arange(len(labels)), labels])


def _softmax_rows(scores):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@EXERCISES.check("softmax_cross_entropy")
@_hinted
def softmax_cross_entropy(Tensor, *, hidden=False):
    rng = np.random.default_rng(701 if hidden else 700)
    what = "Tensor.softmax_cross_entropy"
    for k, (n, c) in enumerate([(5, 3), (2, 4)] if not hidden else [(6, 4), (3, 5)]):
        labels = rng.permutation(np.arange(n) % c)
        scores = rng.uniform(-2.0, 2.0, size=(n, c))
        rows = _ce_rows(n, c, labels)

        def loss(s, labels=labels):
            return s.softmax_cross_entropy(labels.copy())

        _tensor_case(Tensor, tr("{what}, scores of shape {shape}", what=what, shape=scores.shape), loss, lambda s, labels=labels: _ce(s, labels),
                     [scores], rng, names=["scores"], rows=rows, batch=n,
                     forward_variants=_ce_forward_variants(scores, labels))
        if k:
            continue
        # the text asks for a stable loss: scores near 1000 (exp overflows unless each row's max is
        # subtracted) and a label 800 below its row's max (p underflows to 0: log p is -inf unless
        # it is computed as shifted - log(sum(exp(shifted))))
        big = scores.copy()
        big[0] += 1000.0
        try:
            _tensor_case(Tensor, tr("{what}, scores with entries near 1000", what=what), loss,
                         lambda s: _ce(s, labels), [big], rng, names=["scores"], rows=rows, batch=n,
                         fd_arrays=[scores])
        except CheckFailed as exc:
            if exc.key in ("warning", "forward_wrong", "exception", "not_finite") and (
                    "overflow" in str(exc) or "nan" in str(exc) or "invalid" in str(exc)):
                raise CheckFailed(tr("{what}: with scores near 1000, exp overflowed: subtract each row's max before exp "
                                     "(softmax does not change, and exp never sees a number > 0).",
                                     what=what) + _said(exc), key="softmax_overflow") from None
            raise
        far = scores.copy()
        far[1, labels[1]] -= 800.0
        try:
            _tensor_case(Tensor, tr("{what}, a label's score 800 below its row's max", what=what), loss,
                         lambda s: _ce(s, labels), [far], rng, names=["scores"], rows=rows, batch=n)
        except CheckFailed as exc:
            if exc.key in ("warning", "forward_wrong", "exception", "not_finite") and (
                    "divide by zero" in str(exc) or "inf" in str(exc) or "log" in str(exc)):
                raise CheckFailed(tr("{what}: with a label's score 800 below its row's max, p[label] = exp(-800) / ... is 0 "
                                     "in float64 and log(p) is -inf. Take the log first: log p = shifted - "
                                     "log(sum(exp(shifted))) never computes p itself; the loss is about 800 / N there, large "
                                     "but finite.",
                                     what=what) + _said(exc),
                                  key="ce_log_underflow") from None
            raise


def _ce_forward_variants(scores, labels):
    """Losses that are the mean of the wrong entries, or divided by the wrong size."""
    n, c = scores.shape
    log_p = _log_softmax_rows(scores)
    return [
        ("ce_sum_not_mean", tr("the loss is the MEAN over the batch of -log p[label]; yours is the sum"),
         _ce(scores, labels) * n),
        ("ce_divided_by_C", tr("the loss is divided by N * C = {NC}: np.mean over the whole (N, C) array, "
                               "the one-hot's zeros included, divides by every entry. Take the N numbers "
                               "-log_p[np.arange(N), labels] first, then their mean (divided by N = {N})",
                               NC=n * c, N=n), _ce(scores, labels) / c),
        ("ce_no_onehot", tr("the loss averages -log p over every class of each row; it takes each row's own "
                            "label only: -log_p[np.arange(N), labels].mean()"), float(np.mean(-log_p))),
        ("ce_onehot_indexing", tr("log_p[:, labels] takes those columns in EVERY row (an (N, N) array); the "
                                  "loss needs one entry per row, log_p[np.arange(N), labels]"),
         float(np.mean(-log_p[:, labels]))),
    ]


def _log_softmax_rows(scores):
    shifted = scores - scores.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _ce_rows(n, c, labels):
    return [
        _like("ce_no_softmax", "{name} = (softmax(scores) - onehot) / N * out.grad: the softmax "
              "probabilities are missing.", lambda ev: ev.dout * (-np.eye(c)[labels]) / n),
        _like("ce_no_onehot", "{name} = (softmax(scores) - onehot) / N * out.grad: subtract 1 at each "
              "row's label.", lambda ev: ev.dout * _softmax_rows(ev.inputs[0]) / n),
        _like("ce_onehot_indexing", "{name}: subtract 1 only at each row's own label, "
              "p[np.arange(N), labels] -= 1; p[:, labels] -= 1 hits those columns in every row.",
              lambda ev: ev.dout * (_softmax_rows(ev.inputs[0]) - np.isin(np.arange(c), labels)) / n),
        _like("ce_divided_by_C", tr("{{name}} is divided by the number of classes C = {C}; the loss is a mean "
                                    "over the N = {{N}} rows of the batch, so divide by N = scores.shape[0].", C=c),
              lambda ev: ev.dout * (_softmax_rows(ev.inputs[0]) - np.eye(c)[labels]) / c
              if c != n else np.nan),
    ]


# --- 13. the two-layer network ---------------------------------------------------------------------------

def _net_np(x, labels, W1, b1, W2, b2):
    return _ce(np.maximum(x @ W1 + b1, 0.0) @ W2 + b2, labels)


def _net_case(rng, n, d, h, c, integer=False):
    while True:
        x = rng.integers(-3, 4, size=(n, d)).astype(np.int64) if integer else rng.standard_normal((n, d))
        W1, b1 = rng.standard_normal((d, h)) * 0.6, rng.standard_normal(h) * 0.3
        if np.min(np.abs(x @ W1 + b1)) > 0.05:
            break
    W2, b2 = rng.standard_normal((h, c)) * 0.6, rng.standard_normal(c) * 0.3
    labels = rng.permutation(np.arange(n) % c)
    return x, labels, W1, b1, W2, b2


@EXERCISES.check("two_layer_net", uses=("tensor_matmul", "tensor_add", "tensor_activations",
                                        "softmax_cross_entropy", "topo_order", "value_backward"))
@_hinted
def two_layer_net(fn, Tensor, *, hidden=False):
    what = getattr(fn, "__name__", "two_layer_loss")
    rng = np.random.default_rng(711 if hidden else 710)
    # x as a Tensor, then as a plain integer array (the docstring allows both); N differs between them
    sizes = [(6, 4, 5, 3), (3, 5, 7, 2)] if not hidden else [(7, 3, 6, 4), (4, 6, 3, 5)]
    for plain, (n, d, h, c) in zip((False, True), sizes):
        x, labels, W1, b1, W2, b2 = _net_case(rng, n, d, h, c, integer=plain)
        params = [W1, b1, W2, b2]
        leaves = _run(what, lambda: [Tensor(a.copy()) for a in params])
        if plain:
            try:
                loss = _run(what, fn, x.copy(), labels.copy(), *leaves)
            except CheckFailed as exc:
                if exc.key not in ("exception", "constant_not_wrapped", "python_on_array", "math_on_array"):
                    raise
                raise CheckFailed(
                    tr("{what} failed when x came as a plain numpy array (of ints), as the docstring allows "
                       "(with x a Tensor it ran): in x @ W1, numpy's own @ runs first and does not know your "
                       "Tensor. Wrap x first: as_tensor(x) @ W1 (as_tensor leaves a Tensor as it is).\n  "
                       "{str_exc_splitlines_0}",
                       what=what, str_exc_splitlines_0=str(exc).splitlines()[0]), key="x_not_wrapped") from None
        else:
            x_leaf = _run(what, lambda: Tensor(x.copy()))
            loss = _run(what, fn, x_leaf, labels.copy(), *leaves)
        _expect_node(loss, Tensor, what)
        label = (tr("{what} with x a plain int array of shape {shape}", what=what, shape=x.shape) if plain else
                 tr("{what} with x a Tensor of shape {shape}", what=what, shape=x.shape))
        expected = _net_np(x, labels, *params)
        hidden_z = x @ W1 + b1
        variants = [
            ("net_no_relu", tr("the hidden layer needs relu: scores = relu(x @ W1 + b1) @ W2 + b2"),
             _ce(hidden_z @ W2 + b2, labels)),
            ("net_no_bias", tr("a bias is missing: scores = relu(x @ W1 + b1) @ W2 + b2"),
             _ce(np.maximum(x @ W1, 0) @ W2 + b2, labels)),
            ("net_no_bias", tr("a bias is missing: scores = relu(x @ W1 + b1) @ W2 + b2"),
             _ce(np.maximum(hidden_z, 0) @ W2, labels)),
            ("net_sigmoid", tr("the hidden layer of this network is relu, not sigmoid"),
             _ce(_sigmoid(hidden_z) @ W2 + b2, labels)),
            ("net_relu_on_scores", tr("the scores are relu(x @ W1 + b1) @ W2 + b2, with no relu after the "
                                      "second layer: the softmax takes scores of any sign"), _ce(np.maximum(np.maximum(hidden_z, 0) @ W2 + b2, 0),
                                                                     labels)),
        ]
        _check_scalar_value(label, tr("the loss"), np.asarray(loss.data, dtype=np.float64), expected, variants)
        in_graph = {id(node) for node in _graph(loss, what)}
        cut = [name for name, leaf in zip(["W1", "b1", "W2", "b2"], leaves) if id(leaf) not in in_graph]
        if cut:
            them = ", ".join(cut)
            if len(cut) == 1:
                said = tr("{label}: the loss is right, but {them} is not in its graph: no chain of .parents "
                          "leads from the loss back to it, so backward() cannot reach it and its grad stays 0. "
                          "A value computed from .data (numpy on {first}.data, then wrapped in a new Tensor) is "
                          "a leaf with no parents: compute with the Tensors themselves, as_tensor(x) @ W1 + b1, "
                          "then .relu(), @ W2 + b2.", label=label, them=them, first=cut[0])
            else:
                said = tr("{label}: the loss is right, but {them} are not in its graph: no chain of .parents "
                          "leads from the loss back to them, so backward() cannot reach them and their grad "
                          "stays 0. A value computed from .data (numpy on {first}.data, then wrapped in a new "
                          "Tensor) is a leaf with no parents: compute with the Tensors themselves, "
                          "as_tensor(x) @ W1 + b1, then .relu(), @ W2 + b2.", label=label, them=them, first=cut[0])
            raise CheckFailed(said, key="param_not_in_graph")
        _run(what, loss.backward, rules=True)
        for i, name in enumerate(["W1", "b1", "W2", "b2"]):
            args = [x, labels] + params

            def f_i(z, i=i):
                a = list(args)
                a[2 + i] = z
                return _net_np(*a)

            truth = numeric.gradient(f_i, params[i])
            g = leaves[i].grad
            ev = _evidence(f"{name}.grad", name, g, truth, batch=n)
            _judge_array(f"{label}: after loss.backward()", ev, [])
