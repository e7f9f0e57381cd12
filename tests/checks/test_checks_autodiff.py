"""Do the checks of 06_autodiff pass the solution and name every planted mistake?

A planted engine is an edited copy of the solution's own cells: the code cells that define the
engine are executed in a fresh namespace with one small source edit (``old -> new``), so each
mistake is exactly one change a learner could make.  The tests assert the key of the diagnosis
(and, where it matters, words of the message), so a check that fails for the wrong reason fails
here.  Expected numbers come from the seed notes or closed forms, never from the code under test.
"""

import numpy as np
import pytest

import nbedit
from autograder import CheckFailed
from autograder.checks import autodiff as check
from conftest import (assert_solution_passes, assert_stubs_not_implemented, fails_with, learner_path,
                      load_solution, solution_path)

NB = "06_autodiff"

# The code cells that make the engine, in notebook order (no plots, no training).
ENGINE_CELLS = ["setup", "value-class", "value_mul", "value_pow", "value_arithmetic", "value_functions",
                "topo_order", "value_backward", "value_zero_grad", "worked_examples", "tensor-class",
                "tensor_matmul", "tensor_add", "tensor_activations", "softmax_cross_entropy", "two_layer_net"]


def _sources(path):
    nb = nbedit.read(path)
    return {c["id"]: "".join(c["source"]) for c in nb["cells"]}


SOLUTION = _sources(solution_path(NB))


def engine(*edits, stubbed=()):
    """A fresh engine from the solution's cells. edits: (cell id, old, new), each ``old`` must occur
    in that cell; stubbed: cell ids taken from the learner notebook instead (stubs)."""
    learner = _sources(learner_path(NB)) if stubbed else {}
    sources = {cid: (learner[cid] if cid in stubbed else SOLUTION[cid]) for cid in ENGINE_CELLS}
    for cid, old, new in edits:
        assert old in sources[cid], f"planted edit does not apply to cell {cid!r}: {old!r}"
        sources[cid] = sources[cid].replace(old, new)
    ns = {"__name__": "__main__"}
    for cid in ENGINE_CELLS:
        exec(compile(sources[cid], f"<{NB} {cid}>", "exec"), ns)
    return ns


def args(ns):
    return {
        "value_mul": (ns["Value"],),
        "value_pow": (ns["Value"],),
        "value_arithmetic": (ns["Value"],),
        "value_functions": (ns["Value"],),
        "topo_order": (ns["topo_order"], ns["Value"]),
        "value_backward": (ns["Value"],),
        "value_zero_grad": (ns["Value"],),
        "worked_examples": (ns["dezero_chain"], ns["simple_example"], ns["sigmoid_neuron"], ns["wx_norm"],
                            ns["Value"]),
        "tensor_matmul": (ns["Tensor"],),
        "tensor_add": (ns["Tensor"], ns["unbroadcast"]),
        "tensor_activations": (ns["Tensor"],),
        "softmax_cross_entropy": (ns["Tensor"],),
        "two_layer_net": (ns["two_layer_loss"], ns["Tensor"]),
    }


def planted(part, *edits, hidden=False):
    """Run ``part``'s check on an engine with ``edits``; return (key, message) of its failure."""
    ns = engine(*edits)
    with pytest.raises(CheckFailed) as info:
        getattr(check, part)(*args(ns)[part], hidden=hidden, quiet=True)
    return info.value.key, str(info.value)


@pytest.fixture(scope="module")
def sol():
    return load_solution(NB)


# --- the solution passes everything --------------------------------------------------------------

def test_points_total_24():
    assert sum(p["points"] for p in check.EXERCISES.parts) == 24
    assert len(check.EXERCISES.parts) == 13


@pytest.mark.parametrize("hidden", [False, True])
def test_solution_passes_every_check(sol, hidden, capsys):
    assert_solution_passes(check, args(sol.namespace), hidden, capsys)


@pytest.mark.parametrize("hidden", [False, True])
def test_a_fresh_copy_of_the_engine_passes_too(hidden, capsys):
    assert_solution_passes(check, args(engine()), hidden, capsys)


def test_stubs_are_reported_as_not_implemented(sol):
    assert_stubs_not_implemented(check, args(sol.namespace))


PART_CELL = {"value_mul": "value_mul", "value_pow": "value_pow", "value_arithmetic": "value_arithmetic",
             "value_functions": "value_functions", "topo_order": "topo_order",
             "value_backward": "value_backward", "value_zero_grad": "value_zero_grad",
             "worked_examples": "worked_examples", "tensor_matmul": "tensor_matmul",
             "tensor_add": "tensor_add", "tensor_activations": "tensor_activations",
             "softmax_cross_entropy": "softmax_cross_entropy", "two_layer_net": "two_layer_net"}


@pytest.mark.parametrize("part", list(PART_CELL))
def test_a_stub_fails_its_own_part_and_only_the_parts_built_on_it(part):
    """The learner's stub for one part: that part says 'not implemented yet' with the exercise's
    number; a part that does not use it still passes; a part that uses it names the stub."""
    ns = engine(stubbed=(PART_CELL[part],))
    number = check.EXERCISES.keys.index(part) + 1
    for other, fns in args(ns).items():
        run = getattr(check, other)
        try:
            run(*fns, quiet=True)
        except CheckFailed as exc:
            assert exc.key == "not_implemented", (other, exc.key, str(exc))
            assert f"(Exercise {number})" in str(exc), (other, str(exc))
            assert other == part or other in DEPENDS_ON[part], f"{other} should not need {part}"
        else:
            assert other != part, f"{part}'s own check passed a stub"
            assert other not in DEPENDS_ON[part], f"{other} passed although it uses {part}"


# Which checks reach each part's functions (a stub there stops them too).
DEPENDS_ON = {
    "value_mul": {"value_arithmetic", "worked_examples"},
    "value_pow": {"value_arithmetic", "worked_examples"},
    "value_arithmetic": {"worked_examples"},
    "value_functions": {"worked_examples"},
    "topo_order": {"value_backward", "value_zero_grad", "worked_examples", "two_layer_net"},
    "value_backward": {"worked_examples", "two_layer_net"},
    "value_zero_grad": set(),
    "worked_examples": set(),
    "tensor_matmul": {"two_layer_net"},
    "tensor_add": {"two_layer_net"},
    "tensor_activations": {"two_layer_net"},
    "softmax_cross_entropy": {"two_layer_net"},
    "two_layer_net": set(),
}


def test_uses_declarations_cover_the_dependencies():
    """Every check that reaches another part's code declares it (so its failures say so)."""
    for part, users in DEPENDS_ON.items():
        for user in users:
            assert f'"{part}"' in _uses_of(user), f"{user} reaches {part} but does not declare uses={part!r}"


def _uses_of(key):
    import inspect
    src = inspect.getsource(check)
    marker = f'@EXERCISES.check("{key}"'
    start = src.index(marker)
    return src[start:src.index("\ndef ", start)]   # the decorator line(s), with uses=(...)


def test_the_checks_print_the_seed_numbers_next_to_yours(sol, capsys):
    a = args(sol.namespace)
    check.worked_examples(*a["worked_examples"])
    check.tensor_matmul(*a["tensor_matmul"])
    out = capsys.readouterr().out
    assert "expected  x.grad = 3.297442541400256\n    yours     x.grad = 3.297442541400256" in out
    assert "expected  f = -12; x.grad, y.grad, z.grad = -4, -4, 3\n    yours     f = -12.00; x.grad, y.grad, z.grad = -4.00, -4.00, 3.00" in out
    assert ("expected  f = 0.73; w.grad = (-0.20, -0.39, 0.20); x.grad = (0.39, -0.59)\n"
            "    yours     f = 0.73; w.grad = (-0.20, -0.39, 0.20); x.grad = (0.39, -0.59)") in out
    assert ("expected  f = 0.116; W.grad = [[0.088, 0.176], [0.104, 0.208]]; x.grad = (-0.112, 0.636)\n"
            "    yours     f = 0.116; W.grad = [[0.088, 0.176], [0.104, 0.208]]; x.grad = (-0.112, 0.636)") in out
    assert "seed 004" in out and "CS231n slides" in out and "quoted in notebook 01" in out
    assert "yours     W.grad = [[0.088, 0.176], [0.104, 0.208]], x.grad = (-0.112, 0.636)" in out


def test_the_seed_numbers_are_printed_on_a_failure_too(capsys):
    ns = engine(("worked_examples", "return 1 / (1 + (-z).exp())", "return 1 / (1 + z.exp())"))
    with pytest.raises(CheckFailed) as info:
        check.worked_examples(*args(ns)["worked_examples"])
    assert info.value.key == "neuron_exp_sign"
    out = capsys.readouterr().out
    assert "expected  f = 0.73; w.grad = (-0.20, -0.39, 0.20)" in out
    assert "yours     f = 0.27;" in out
    assert "expected  x.grad = 3.297442541400256\n    yours     x.grad = 3.297442541400256" in out


def test_hidden_checks_print_nothing_but_the_ok_line(sol, capsys):
    a = args(sol.namespace)
    check.worked_examples(*a["worked_examples"], hidden=True)
    check.tensor_matmul(*a["tensor_matmul"], hidden=True)
    out = capsys.readouterr().out
    assert out.count("\n") == 2 and out.count("[ok]") == 2


def test_the_deep_checks_pass_and_leave_the_garbage_collector_on(sol):
    """topo_order and backward build and walk a 10,000-node chain in the visible half (the hidden
    half, which would repeat the same chain, does not), with the garbage collector paused while
    they do (their time is reported by benchmarks/cell_times.py)."""
    import gc
    a = args(sol.namespace)
    assert gc.isenabled()
    Value = sol.namespace["Value"]
    made = [0]

    class Counted(Value):
        def __init__(self, *args, **kwargs):
            made[0] += 1
            super().__init__(*args, **kwargs)
    for part in ("topo_order", "value_backward"):
        counted = tuple(Counted if x is Value else x for x in a[part])
        for hidden, deep in ((False, True), (True, False)):
            made[0] = 0
            getattr(check, part)(*counted, hidden=hidden, quiet=True)
            assert (made[0] > 10_000) == deep, (part, hidden, made[0])
            assert gc.isenabled(), part


# --- 1-4. the operators ------------------------------------------------------------------------

MUL = "value_mul"
OPERATOR_MISTAKES = [
    ("value_mul", [(MUL, "self.grad += other.data * out.grad", "self.grad = other.data * out.grad"),
                   (MUL, "other.grad += self.data * out.grad", "other.grad = self.data * out.grad")],
     "overwrote_grad", "+="),
    ("value_mul", [(MUL, "self.grad += other.data * out.grad", "self.grad += self.data * out.grad"),
                   (MUL, "other.grad += self.data * out.grad", "other.grad += other.data * out.grad")],
     "mul_not_swapped", "swaps"),
    ("value_mul", [(MUL, "self.grad += other.data * out.grad", "self.grad += out.grad"),
                   (MUL, "other.grad += self.data * out.grad", "other.grad += out.grad")],
     "mul_passthrough", "add rule"),
    ("value_mul", [(MUL, "self.grad += other.data * out.grad", "self.grad += other.data"),
                   (MUL, "other.grad += self.data * out.grad", "other.grad += self.data")],
     "ignores_upstream", "out.grad"),
    ("value_mul", [(MUL, "    out._backward = _backward\n", "")], "backward_not_attached", "out._backward = _backward"),
    ("value_mul", [(MUL, "(self, other), \"*\")", "(self,), \"*\")")], "parents_missing", "b is missing"),
    ("value_mul", [(MUL, "    other = as_value(other)\n", "")], "constant_not_wrapped", "as_value"),
    ("value_mul", [(MUL, "Value(self.data * other.data,", "Value(self.data + other.data,")], "forward_wrong", "out.data"),
    ("value_mul", [(MUL, "    return out\n", "    return out.data\n")], "not_a_node", "float"),
    ("value_pow", [("value_pow", "n * self.data ** (n - 1)", "n * self.data ** n")], "pow_n_x_n", "drops by one"),
    ("value_pow", [("value_pow", "n * self.data ** (n - 1)", "self.data ** (n - 1)")], "pow_missing_n", "factor n"),
    ("value_pow", [("value_pow", "self.grad += n", "self.grad = n")], "overwrote_grad", "+="),
    ("value_pow", [("value_pow", "Value(self.data ** n,", "Value(self.data * n,")], "pow_forward_times", "power"),
    ("value_pow", [("value_pow", " * out.grad\n", "\n")], "ignores_upstream", "out.grad"),
    ("value_arithmetic", [("value_arithmetic", "return as_value(other) - self", "return self - other")],
     "reflected_swapped", "RIGHT"),
    ("value_arithmetic", [("value_arithmetic", "return as_value(other) / self", "return self / other")],
     "reflected_swapped", "RIGHT"),
    ("value_arithmetic", [("value_arithmetic", "return self + other\n", "return other + self\n")],
     "recursion", "self + other"),
    ("value_arithmetic", [("value_arithmetic", "return self * -1", "return Value(-self.data)")],
     "nothing_added", "no parents"),
    ("value_arithmetic", [("value_arithmetic", "return self + (-other)", "return self + other")],
     "forward_wrong", "out.data"),
    ("value_functions", [("value_functions", "self.grad += out.data * out.grad",
                          "self.grad += self.data * out.grad")], "exp_local_x", "exp(x)"),
    ("value_functions", [("value_functions", "self.grad += out.grad / self.data",
                          "self.grad += math.log(self.data) * out.grad")], "log_local_log", "1/x"),
    ("value_functions", [("value_functions", "(1.0 - out.data ** 2) * out.grad",
                          "(1.0 - self.data ** 2) * out.grad")], "tanh_used_input", "OUTPUT"),
    ("value_functions", [("value_functions", "s * (1.0 - s) * out.grad", "s * out.grad")],
     "sigmoid_missing_factor", "s * (1 - s)"),
    ("value_functions", [("value_functions", "(self.data > 0) * out.grad", "out.grad")],
     "relu_passthrough", "x > 0"),
    ("value_functions", [("value_functions", "(self.data > 0) * out.grad", "(out.grad > 0) * out.grad")],
     "relu_mask_from_upstream", "input"),
]


@pytest.mark.parametrize("part, edits, key, words", OPERATOR_MISTAKES,
                         ids=[f"{m[0]}-{m[2]}" for m in OPERATOR_MISTAKES])
def test_operator_mistakes_are_named(part, edits, key, words):
    got, message = planted(part, *edits)
    assert got == key, message
    assert words in message, message


def test_div_written_with_its_own_wrong_rule_is_named():
    rule = '''@add_to_class(Value)
def __truediv__(self, other):         # self / other
    other = as_value(other)
    out = Value(self.data / other.data, (self, other), "/")

    def _backward():
        self.grad += out.grad / other.data
        other.grad += -out.grad / other.data ** 2
    out._backward = _backward
    return out
'''
    key, message = planted("value_arithmetic", ("value_arithmetic", '''@add_to_class(Value)
def __radd__''', rule + '''

@add_to_class(Value)
def __radd__'''))
    assert key == "div_rule" and "factor x is missing" in message, message


def test_x_times_x_with_equals_names_the_two_contributions():
    """The classic: = instead of +=, where x * x must give 2x (not x)."""
    _, message = planted("value_mul", (MUL, "self.grad += other.data * out.grad", "self.grad = other.data * out.grad"),
                         (MUL, "other.grad += self.data * out.grad", "other.grad = self.data * out.grad"))
    assert "x * x must give x.grad += 2 x out.grad" in message and "+=" in message


def test_message_shows_the_point_and_the_upstream_gradient():
    _, message = planted("value_functions", ("value_functions", "self.grad += out.data * out.grad",
                                             "self.grad += self.data * out.grad"))
    assert "at x = " in message and "(out.grad = " in message and "numeric" in message


# --- 5. topological order ------------------------------------------------------------------------

RECURSIVE_TOPO = '''def topo_order(root):
    order, visited = [], set()
    def visit(node):
        if node not in visited:
            visited.add(node)
            for parent in node.parents:
                visit(parent)
            order.append(node)
    visit(root)
    return order
'''
BFS_TOPO = '''def topo_order(root):
    from collections import deque
    order, seen, queue = [], {root}, deque([root])
    while queue:
        node = queue.popleft()
        order.append(node)
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return order[::-1]
'''
PREORDER_TOPO = '''def topo_order(root):
    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(node.parents)
    return order[::-1]
'''


def _replace_cell(cid, new_source):
    return (cid, SOLUTION[cid], new_source)


@pytest.mark.parametrize("edit, key, words", [
    (_replace_cell("topo_order", RECURSIVE_TOPO), "recursion_depth", "explicit stack"),
    (_replace_cell("topo_order", BFS_TOPO), "bfs_order", "breadth-first"),
    (_replace_cell("topo_order", PREORDER_TOPO), "preorder", "PREorder"),
    (("topo_order", "    return order\n", "    return order[::-1]\n"), "root_first", "root first"),
    (("topo_order", "        elif node not in visited:", "        elif True:"), "duplicates", "visited"),
    (("topo_order", "            for parent in node.parents:", "            for parent in node.parents[:1]:"),
     "missing_nodes", "every parent"),
    (("topo_order", "    return order\n", "    order\n"), "returned_none", "return"),
    (("topo_order", "    return order\n", "    return [n.data for n in order]\n"), "foreign_items", "float"),
], ids=["recursive", "bfs", "preorder", "root_first", "no_visited_set", "first_parent_only", "no_return",
        "values_not_nodes"])
def test_topo_order_mistakes(edit, key, words):
    got, message = planted("topo_order", edit)
    assert got == key, message
    assert words in message, message


def test_recursive_topo_message_gives_the_depth():
    _, message = planted("topo_order", _replace_cell("topo_order", RECURSIVE_TOPO))
    assert "10,000 nodes deep" in message


def test_an_order_that_is_wrong_in_another_way_is_still_caught():
    """Inputs first, but the diamond's node a after one of its consumers: not BFS, not preorder."""
    swapped = '''def topo_order(root):
    order = _solution_topo(root)
    for i, node in enumerate(order):
        if node.op == "exp":
            j = next(k for k, n in enumerate(order) if n.op == "*" and any(p is n for p in node.parents))
            order[i], order[j] = order[j], order[i]
            break
    return order
'''
    ns = engine()
    ns["_solution_topo"] = ns["topo_order"]
    exec(swapped, ns)
    with pytest.raises(CheckFailed) as info:
        check.topo_order(ns["topo_order"], ns["Value"], quiet=True)
    assert info.value.key == "not_topological", str(info.value)
    assert "comes before its parent" in str(info.value)


# --- 6. backward -----------------------------------------------------------------------------------

BW = "value_backward"
RECURSIVE_BACKWARD = '''@add_to_class(Value)
def backward(self):
    order, visited = [], set()
    def build(node):
        if node not in visited:
            visited.add(node)
            for parent in node.parents:
                build(parent)
            order.append(node)
    build(self)
    for node in order:
        if node.parents:
            node.grad = 0.0
    self.grad = 1.0
    for node in reversed(order):
        node._backward()
'''
BFS_BACKWARD = '''@add_to_class(Value)
def backward(self):
    from collections import deque
    order = topo_order(self)
    for node in order:
        if node.parents:
            node.grad = 0.0
    self.grad = 1.0
    seen, queue = {self}, deque([self])
    while queue:
        node = queue.popleft()
        node._backward()
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
'''
PATHS_BACKWARD = '''@add_to_class(Value)
def backward(self):
    for node in topo_order(self):
        if node.parents:
            node.grad = 0.0
    self.grad = 1.0
    def visit(node):                   # a node's rule runs once per path from the output
        node._backward()
        for parent in node.parents:
            visit(parent)
    visit(self)
'''


@pytest.mark.parametrize("edit, key, words", [
    ((BW, "    self.grad = 1.0 ", "    self.grad = 0.0 "), "not_seeded", "dy/dy = 1"),
    ((BW, "for node in reversed(order):", "for node in order:"), "forward_order", "reversed"),
    ((BW, "        if node.parents:                 # an intermediate result: recomputed from scratch\n",
      "        if True:\n"), "backward_resets_leaves", "accumulate"),
    ((BW, "            node.grad = 0.0\n", "            pass\n"), "intermediate_not_reset", "reset the grad"),
    (_replace_cell(BW, RECURSIVE_BACKWARD), "recursion_depth", "10,000"),
    (_replace_cell(BW, BFS_BACKWARD), "bfs_order", "breadth-first"),
    (_replace_cell(BW, PATHS_BACKWARD), "visited_twice", "exactly once"),
], ids=["not_seeded", "forward_order", "resets_leaves", "micrograd_twice", "recursive", "bfs", "every_path"])
def test_backward_mistakes(edit, key, words):
    got, message = planted(BW, edit)
    assert got == key, message
    assert words in message, message


def test_backward_failure_names_the_case():
    _, message = planted(BW, (BW, "for node in reversed(order):", "for node in order:"))
    assert "DeZero's chain" in message


def test_wrong_topo_order_shows_up_in_backward_with_a_note(sol):
    """A BFS topo_order passes nothing; backward's failure then points to Exercise 5."""
    ns = engine(_replace_cell("topo_order", BFS_TOPO))
    with pytest.raises(CheckFailed):
        check.topo_order(ns["topo_order"], ns["Value"], quiet=True)
    with pytest.raises(CheckFailed) as info:
        check.value_backward(ns["Value"], quiet=True)
    assert info.value.key == "bfs_order"
    assert "builds on topo_order" in str(info.value)
    check.topo_order(sol.topo_order, sol.Value, quiet=True)      # leave the session's status clean


# --- 7. zero_grad -----------------------------------------------------------------------------------

ZG = "value_zero_grad"


@pytest.mark.parametrize("edit, key", [
    ((ZG, "    for node in topo_order(self):\n        node.grad = 0.0", "    self.grad = 0.0"), "root_only"),
    ((ZG, "        node.grad = 0.0", "        if node.parents:\n            node.grad = 0.0"), "leaves_kept"),
    ((ZG, "        node.grad = 0.0", "        if not node.parents:\n            node.grad = 0.0"), "not_all_zeroed"),
    ((ZG, "        node.grad = 0.0", "        node.grad = None"), "grad_none"),
    ((ZG, "        node.grad = 0.0", "        node.grad = node.data = 0.0"), "changed_data"),
], ids=["root_only", "leaves_kept", "intermediate_kept", "none", "data"])
def test_zero_grad_mistakes(edit, key):
    got, message = planted(ZG, edit)
    assert got == key, message


# --- 8. worked examples -------------------------------------------------------------------------------

WE = "worked_examples"


@pytest.mark.parametrize("edit, key", [
    ((WE, "return (x ** 2).exp() ** 2", "return (x ** 2).exp()"), "chain_missing_step"),
    ((WE, "return (x ** 2).exp() ** 2", "return x.exp() ** 2 ** 2"), "chain_order"),
    ((WE, "return (x + y) * z", "return x + y * z"), "missing_parentheses"),
    ((WE, "return 1 / (1 + (-z).exp())", "return 1 / (1 + z.exp())"), "neuron_exp_sign"),
    ((WE, "z = w[0] * x[0] + w[1] * x[1] + w[2]", "z = w[0] * x[0] + w[1] * x[1]"), "neuron_no_bias"),
    ((WE, "return 1 / (1 + (-z).exp())", "return z"), "neuron_no_sigmoid"),
    ((WE, "** 2 for row in W)", "for row in W)"), "wx_not_squared"),
    ((WE, "return sum(sum(w_ij * x_j for w_ij, x_j in zip(row, x)) ** 2 for row in W)",
      "return sum(sum(W[j][i] * x[j] for j in range(len(x))) ** 2 for i in range(len(W)))"), "wx_columns"),
    ((WE, "return (x + y) * z", "return Value((x.data + y.data) * z.data)"), "no_graph"),
])
def test_worked_example_mistakes(edit, key):
    got, message = planted(WE, edit)
    assert got == key, message


def test_an_engine_bug_fails_the_examples_against_central_differences():
    """The truth is central differences, not the engine: a wrong exp rule fails the DeZero chain
    although forward values are right."""
    key, message = planted(WE, ("value_functions", "self.grad += out.data * out.grad",
                                "self.grad += self.data * out.grad"))
    assert key in ("wrong_values", "partly_wrong", "scaled_other"), message
    assert "numeric" in message


# --- 9-13. tensors ----------------------------------------------------------------------------------

MM, ADD, ACT, CE, NET = "tensor_matmul", "tensor_add", "tensor_activations", "softmax_cross_entropy", "two_layer_net"


@pytest.mark.parametrize("part, edit, key", [
    (MM, (MM, "out.grad @ other.data.T", "out.grad @ other.data"), "w_not_transposed"),
    (MM, (MM, "self.data.T @ out.grad", "(out.grad.T @ self.data)"), "transposed"),
    (MM, (MM, "self.data.T @ out.grad", "self.data @ out.grad"), "x_not_transposed"),
    (MM, (MM, "self.grad += out.grad @", "self.grad = out.grad @"), "overwrote_grad"),
    (MM, (MM, "self.grad += out.grad @ other.data.T", "self.grad += np.ones_like(out.grad) @ other.data.T"),
     "ignores_upstream"),
    (ADD, (ADD, "        grad = grad.sum(axis=0)\n", "        grad = grad.mean(axis=0)\n"), "mean_not_sum"),
    (ADD, (ADD, "grad = grad.sum(axis=axis, keepdims=True)", "grad = grad.sum(axis=axis)"),
     "unbroadcast_lost_axis"),
    (ADD, (ADD, "            grad = grad.sum(axis=axis, keepdims=True)", "            pass"),
     "unbroadcast_ones_not_summed"),
    (ADD, (ADD, "grad = grad.sum(axis=axis, keepdims=True)", "grad = grad.sum(axis=0, keepdims=True)"),
     "unbroadcast_wrong_axes"),
    (ADD, (ADD, "    return grad\n    ### END", "    return np.asarray(grad)[...] if False else grad.copy()\n    ### END"), None),
    (ADD, (ADD, "other.grad += unbroadcast(out.grad, other.shape)", "other.grad += out.grad"), "not_summed_back"),
    (ADD, (ADD, "other.grad += unbroadcast(out.grad, other.shape)", "other.grad = other.grad + out.grad"),
     "batch_not_summed"),
    (ACT, (ACT, "self.grad += (1.0 - t ** 2) * out.grad", "self.grad += (1.0 - self.data ** 2) * out.grad"),
     "tanh_used_input"),
    (ACT, (ACT, "self.grad += (self.data > 0) * out.grad", "self.grad += out.grad"), "relu_passthrough"),
    (ACT, (ACT, '''    e = np.exp(-np.abs(self.data))                   # never overflows
    s = np.where(self.data >= 0, 1.0 / (1.0 + e), e / (1.0 + e))''', "    s = 1.0 / (1.0 + np.exp(-self.data))"),
     "sigmoid_overflow"),
    (CE, (CE, "self.grad += dscores / n * out.grad", "self.grad += dscores * out.grad"), "scaled_N"),
    (CE, (CE, "self.grad += dscores / n * out.grad", "self.grad += dscores / n"), "ignores_upstream"),
    (CE, (CE, "        dscores[np.arange(n), labels] -= 1.0     # minus the one-hot labels\n", ""), "ce_no_onehot"),
    (CE, (CE, "shifted = self.data - self.data.max(axis=1, keepdims=True)", "shifted = self.data"),
     "softmax_overflow"),
    (CE, (CE, "dscores[np.arange(n), labels] -= 1.0", "dscores[:, labels] -= 1.0"), "ce_onehot_indexing"),
    (CE, (CE, "-log_p[np.arange(n), labels].mean()", "-log_p[np.arange(n), labels].sum()"), "ce_sum_not_mean"),
    (NET, (NET, "(as_tensor(x) @ W1 + b1).relu()", "as_tensor(x) @ W1 + b1"), "net_no_relu"),
    (NET, (NET, "(as_tensor(x) @ W1 + b1).relu()", "(as_tensor(x) @ W1).relu()"), "net_no_bias"),
    (NET, (NET, "(as_tensor(x) @ W1 + b1).relu()", "(as_tensor(x) @ W1 + b1).sigmoid()"), "net_sigmoid"),
    (NET, (NET, "(as_tensor(x) @ W1 + b1).relu()", "(x @ W1 + b1).relu()"), "x_not_wrapped"),
    (NET, (NET, "scores = hidden @ W2 + b2", "scores = (hidden @ W2 + b2).relu()"), "net_relu_on_scores"),
], ids=["mm_dx_no_T", "mm_dW_transposed", "mm_dW_no_T", "mm_equals", "mm_no_upstream", "ub_mean",
        "ub_no_keepdims", "ub_no_ones", "ub_wrong_axis", "ub_copy_is_fine", "add_no_unbroadcast",
        "add_grad_grows", "tanh_input", "relu_passthrough", "sigmoid_overflow", "ce_no_N", "ce_no_upstream",
        "ce_no_onehot", "ce_overflow", "ce_onehot_columns", "ce_sum", "net_no_relu", "net_no_bias", "net_sigmoid",
        "net_x_not_wrapped", "net_relu_on_scores"])
def test_tensor_mistakes(part, edit, key):
    if key is None:                       # a harmless rewrite still passes
        ns = engine(edit)
        getattr(check, part)(*args(ns)[part], quiet=True)
        return
    got, message = planted(part, edit)
    assert got == key, message


def test_bias_not_summed_message_says_so():
    _, message = planted(ADD, (ADD, "other.grad += unbroadcast(out.grad, other.shape)", "other.grad += out.grad"))
    assert "unbroadcast(out.grad, other.shape)" in message


def test_sigmoid_overflow_message_gives_the_hint():
    _, message = planted(ACT, (ACT, '''    e = np.exp(-np.abs(self.data))                   # never overflows
    s = np.where(self.data >= 0, 1.0 / (1.0 + e), e / (1.0 + e))''', "    s = 1.0 / (1.0 + np.exp(-self.data))"))
    assert "overflow" in message and "np.exp(-np.abs(x))" in message


def test_hidden_checks_catch_the_same_mistakes():
    for part, edit, key in [
        (MM, (MM, "out.grad @ other.data.T", "out.grad @ other.data"), "w_not_transposed"),
        (BW, (BW, "for node in reversed(order):", "for node in order:"), "forward_order"),
        ("value_mul", ("value_mul", "self.grad += other.data * out.grad", "self.grad += self.data * out.grad"),
         "mul_not_swapped"),
        (ADD, (ADD, "other.grad += unbroadcast(out.grad, other.shape)", "other.grad += out.grad"), "not_summed_back"),
    ]:
        got, message = planted(part, edit, hidden=True)
        assert got == key, message


# --- the mistake-replay catalog, in-process, visible and hidden halves ------------------------------

import importlib  # noqa: E402
import re  # noqa: E402

from mistakes import solution_notebook, with_mistake  # noqa: E402

CATALOG = importlib.import_module("mistakes.06_autodiff").MISTAKES


def _exercise_markdown():
    """{part key: the markdown of its '### Exercise N' cell}."""
    cells = nbedit.read(solution_path(NB))["cells"]
    found = {}
    for c in cells:
        text = "".join(c["source"])
        m = re.search(r"^### Exercise (\d+) ", text, re.M) if c["cell_type"] == "markdown" else None
        if m:
            found[check.EXERCISES.keys[int(m.group(1)) - 1]] = text[m.start():]
    return found


EXERCISE_MD = _exercise_markdown()


def _hints_in(markdown):
    return [int(n) for n in re.findall(r"<details><summary><b>Hint (\d+)</b>", markdown)]


def _engine_with(mistake):
    _, nb = solution_notebook(NB)
    cut = with_mistake(nb, mistake)
    sources = {c["id"]: "".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cut["cells"]}
    ns = {"__name__": "__main__"}
    for cid in ENGINE_CELLS:
        exec(compile(sources.get(cid, SOLUTION[cid]), f"<{NB} {cid}>", "exec"), ns)
    return ns


@pytest.mark.parametrize("mistake", CATALOG, ids=[f"{m.part}:{m.key}:{i}" for i, m in enumerate(CATALOG)])
def test_catalog_mistake_is_named_by_its_visible_check_and_points_to_a_hint_that_exists(mistake):
    """Each catalogued mistake fails its part's visible check (the hidden half is a second sample,
    never the only place a rule is checked) with the catalogued key, and its message points to a
    hint of that exercise that exists in the notebook."""
    ns = _engine_with(mistake)
    with pytest.raises(CheckFailed) as info:
        getattr(check, mistake.part)(*args(ns)[mistake.part], quiet=True)
    assert info.value.key == mistake.key, str(info.value)
    hint = info.value.hint
    assert hint is not None, f"{mistake.key}: a named mistake points to the hint that addresses it"
    number = check.EXERCISES.keys.index(mistake.part) + 1
    assert str(info.value).endswith(f"see hint {hint} of Exercise {number} "
                                    f"({check.EXERCISES.parts[number - 1]['title']}) above.")
    assert hint in _hints_in(EXERCISE_MD[mistake.part]), (mistake.part, hint)
    if mistake.key in VISIBLE_ONLY:
        return
    with pytest.raises(CheckFailed) as hidden:
        getattr(check, mistake.part)(*args(ns)[mistake.part], hidden=True, quiet=True)
    assert hidden.value.key == mistake.key, str(hidden.value)


# rules only the visible half checks, on purpose: the 10,000-node chain has no data to vary
VISIBLE_ONLY = {"recursion_depth"}


def test_the_catalog_has_a_common_and_a_subtle_mistake_for_every_part():
    for part in check.EXERCISES.keys:
        kinds = {m.kind for m in CATALOG if m.part == part and m.kind != "blind"}
        assert kinds == {"common", "subtle"}, (part, kinds)


def test_every_hint_a_check_can_cite_exists_in_its_exercise():
    """HINTS maps a mistake key to the hint of its exercise that addresses it: every exercise has
    hints numbered 1, 2, ... and every number cited is one of them."""
    assert set(check.HINTS) == set(check.EXERCISES.keys)
    for part, hints in check.HINTS.items():
        numbers = _hints_in(EXERCISE_MD[part])
        assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 2, (part, numbers)
        assert set(hints.values()) <= set(numbers), (part, hints)


# keys of the engine's own catalog (autograder/catalog.py) that these checks meet
ENGINE_KEYS = {"transposed", "shape_transposed", "scaled_N", "batch_not_summed", "scaled_by_axis"}


def test_every_key_a_hint_is_given_for_is_a_key_the_checks_raise():
    import inspect
    source = inspect.getsource(check)
    for part, hints in check.HINTS.items():
        for key in hints:
            assert f'"{key}"' in source or key in ENGINE_KEYS, (part, key)


def _outside_hints(markdown):
    return re.sub(r"<details>.*?</details>", "", markdown, flags=re.S)


@pytest.mark.parametrize("part", list(PART_CELL))
def test_the_text_above_an_exercise_asks_and_the_hints_answer(part):
    """The markdown outside the collapsed hints never holds a line of the solution's code: the
    formula is in the hints, which the learner opens on purpose."""
    text = _outside_hints(EXERCISE_MD[part])
    body = SOLUTION[PART_CELL[part]].split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
    lines = [line.split("#")[0].strip() for line in body.splitlines()]
    for line in lines:
        if len(line) > 14 and not line.startswith(("def ", "return out", "out._backward")):
            assert line not in text, (part, line)


# --- inputs that are not kind ------------------------------------------------------------------------

def test_value_sigmoid_is_checked_where_math_exp_overflows():
    ns = engine(("value_functions", "    s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))",
                 "    s = math.exp(x) / (1.0 + math.exp(x))"))
    with pytest.raises(CheckFailed) as info:
        check.value_functions(ns["Value"], quiet=True)
    assert info.value.key == "sigmoid_overflow" and "x = -1000 and 1000" in str(info.value)


@pytest.mark.parametrize("part, expected", [
    ("tensor_matmul", [(3, 3), (4, 5), (2, 3)]),
    ("softmax_cross_entropy", [(5, 3), (2, 4)]),
    ("tensor_activations", [(4, 3), (2, 5)]),
])
def test_the_visible_checks_use_two_batch_sizes_with_no_two_dimensions_equal(part, expected, sol):
    """The shapes of the first input of each case, recorded from the Tensor constructor: N differs
    between cases and, apart from the square case that names a misplaced transpose, no two
    dimensions of a case are equal."""
    Tensor, seen = sol.namespace["Tensor"], []
    init = Tensor.__init__

    def recording(self, data, parents=(), op=""):
        init(self, data, parents, op)
        if not parents:
            seen.append(self.data.shape)
    Tensor.__init__ = recording
    try:
        getattr(check, part)(Tensor, quiet=True)
    finally:
        Tensor.__init__ = init
    firsts = [shape for shape in seen if len(shape) == 2]
    for shape in expected:
        assert shape in firsts, (part, shape, firsts)
    batches = {shape[0] for shape in firsts if len(set(shape)) == 2}
    assert len(batches) >= 2, (part, firsts)


def test_two_layer_loss_is_checked_with_x_a_tensor_and_a_plain_int_array(sol):
    calls = []

    def spy(x, labels, *params):
        calls.append((type(x).__name__, getattr(x, "dtype", None), np.shape(getattr(x, "data", x))))
        return sol.two_layer_loss(x, labels, *params)
    check.two_layer_net(spy, sol.Tensor, quiet=True)
    assert [c[0] for c in calls] == ["Tensor", "ndarray"]
    assert np.issubdtype(calls[1][1], np.integer)
    assert calls[0][2][0] != calls[1][2][0], "N differs between the two cases"


def test_a_rule_that_edits_what_it_keeps_fails_on_the_second_backward_pass():
    rule = '''        dscores = np.exp(log_p)                  # the softmax probabilities p
        dscores[np.arange(n), labels] -= 1.0     # minus the one-hot labels
        self.grad += dscores / n * out.grad      # / N: the loss is a batch mean'''
    key, message = planted(CE, (CE, "    out = Tensor(-log_p[np.arange(n), labels].mean(), (self,), \"softmax-CE\")",
                                "    out = Tensor(-log_p[np.arange(n), labels].mean(), (self,), \"softmax-CE\")\n"
                                "    kept = np.exp(log_p)"),
                           (CE, rule, "        kept[np.arange(n), labels] -= 1.0\n        self.grad += kept / n * out.grad"))
    assert key == "rule_changed_cache" and "second backward pass" in message, message


def test_an_operation_that_shifts_its_input_in_place_is_named():
    key, message = planted(CE, (CE, "    shifted = self.data - self.data.max(axis=1, keepdims=True)",
                                "    self.data -= self.data.max(axis=1, keepdims=True)\n    shifted = self.data"))
    assert key == "changed_input" and "scores.data changed in the forward pass" in message, message


# --- issue 18, round 2: classes of mistakes the blind catalog showed (its rows: tests/mistakes/06_autodiff.py) --

FN = "value_functions"
ROUND_2 = [
    (FN, (FN, "self.grad += (1.0 - out.data ** 2) * out.grad", "self.grad += (1.0 - math.tanh(out.data) ** 2) * out.grad"),
     "tanh_at_output"),
    (FN, (FN, "self.grad += (1.0 - out.data ** 2) * out.grad", "self.grad += out.data * (1.0 - out.data) * out.grad"),
     "tanh_sigmoid_formula"),
    (FN, (FN, "self.grad += (1.0 - out.data ** 2) * out.grad", "self.grad += (1.0 - out.data) ** 2 * out.grad"),
     "tanh_square_outside"),
    (FN, (FN, "self.grad += s * (1.0 - s) * out.grad",
          "self.grad += 1 / (1 + math.exp(-s)) * (1 - 1 / (1 + math.exp(-s))) * out.grad"), "sigmoid_at_output"),
    (FN, (FN, "self.grad += s * (1.0 - s) * out.grad", "self.grad += (1.0 - s ** 2) * out.grad"), "sigmoid_tanh_formula"),
    (FN, (FN, "self.grad += (self.data > 0) * out.grad", "self.grad += (1.0 if self.data > 0 else -1.0) * out.grad"),
     "relu_sign"),
    (FN, (FN, "out = Value(math.tanh(self.data), (self,), \"tanh\")",
          "out = Value((math.exp(self.data) - math.exp(-self.data)) / (math.exp(self.data) + math.exp(-self.data)), "
          "(self,), \"tanh\")"), "tanh_overflow"),
    ("value_pow", ("value_pow", "self.grad += n * self.data ** (n - 1) * out.grad",
                   "self.grad += n * out.data / self.data * out.grad"), "derivative_by_division"),
    (ACT, (ACT, "self.grad += (self.data > 0) * out.grad", "self.grad += np.sign(self.data) * out.grad"), "relu_sign"),
    (ACT, (ACT, "self.grad += (1.0 - t ** 2) * out.grad", "self.grad += (1.0 - np.tanh(t) ** 2) * out.grad"),
     "tanh_at_output"),
    (ACT, (ACT, "        self.grad += s * (1.0 - s) * out.grad",
           "        self.grad += 1 / (1 + np.exp(-s)) * (1 - 1 / (1 + np.exp(-s))) * out.grad"), "sigmoid_at_output"),
    (ACT, (ACT, "t = np.tanh(self.data)",
           "t = (np.exp(self.data) - np.exp(-self.data)) / (np.exp(self.data) + np.exp(-self.data))"), "tanh_overflow"),
    (MM, (MM, "out._backward = _backward", "self._backward = _backward"), "rule_on_input"),
    (MM, (MM, "self.grad += out.grad @ other.data.T", "self.grad += out.grad @ other.grad.T"), "rule_reads_grad"),
    (ADD, (ADD, "    out._backward = _backward\n    return out", "    self._backward = _backward\n    return out"),
     "rule_on_input"),
    (WE, (WE, "return sum(sum(w_ij * x_j for w_ij, x_j in zip(row, x)) ** 2 for row in W)",
          "return sum(sum(w_ij * x_j for w_ij, x_j in zip(row, x)) for row in W) ** 2"), "wx_square_of_sum"),
    (CE, (CE, "out = Tensor(-log_p[np.arange(n), labels].mean(), (self,), \"softmax-CE\")",
          "out = Tensor(-log_p.mean(), (self,), \"softmax-CE\")"), "ce_no_onehot"),
    (CE, (CE, "out = Tensor(-log_p[np.arange(n), labels].mean(), (self,), \"softmax-CE\")",
          "out = Tensor(-log_p[:, labels].mean(), (self,), \"softmax-CE\")"), "ce_onehot_indexing"),
]


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("part, edit, key", ROUND_2, ids=[f"{p}:{k}" for p, _, k in ROUND_2])
def test_round_2_mistakes_are_named_in_both_halves(part, edit, key, hidden):
    got, message = planted(part, edit, hidden=hidden)
    assert got == key, message
    assert f"see hint {check.HINTS[part][key]} of Exercise" in message


def test_a_rule_on_an_input_breaks_a_node_used_twice_as_the_message_says():
    """The numbers the rule_on_input message quotes: f = x*y + x*z at 2, 3, 5."""
    ns = engine((MUL, "out._backward = _backward", "self._backward = _backward"))
    x, y, z = ns["Value"](2.0), ns["Value"](3.0), ns["Value"](5.0)
    f = x * y + x * z
    f.backward()
    assert (x.grad, y.grad) == (5.0, 0.0)
    _, message = planted(MUL, (MUL, "out._backward = _backward", "self._backward = _backward"))
    assert "x.grad = 5 and y.grad = 0 instead of 8 and 2" in message


def test_the_queue_walk_lists_the_root_first_but_is_not_called_root_first():
    """stack.pop(0): the order reversed can be topological, yet 'return the opposite order' would only
    lead to a second failure; the message names the queue."""
    got, message = planted("topo_order", ("topo_order", "stack.pop()", "stack.pop(0)"))
    assert got == "queue_not_stack" and "stack.pop()" in message
