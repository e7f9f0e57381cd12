"""The Exercises machinery: progress, uses= notes, and friendly NotImplementedError in demo cells."""
import re
import sys

import pytest

import autograder.checks
from autograder import CheckFailed
from autograder.checks import Exercises, not_implemented_message, show_briefly


@pytest.fixture(autouse=True)
def _registry_restored():
    """The Exercises made here (notebooks named "..._test") register themselves; forget them."""
    yield
    for notebook in [n for n in autograder.checks._REGISTRY if n.endswith("_test")]:
        del autograder.checks._REGISTRY[notebook]


def _exercises(notebook="99_test", functions=None):
    return Exercises(notebook, [("add_gate", "Add gate", 1), ("mul_gate", "Multiply gate", 1),
                                ("wx_norm", "Norm of W x", 2), ("sigmoid", "Stable sigmoid", 1),
                                ("sigmoid_backward", "Sigmoid backward", 1),
                                ("neuron", "A neuron from the gates", 2)], functions=functions)


def _failing(key):
    def check(*args, hidden=False):
        raise CheckFailed(f"{key} is wrong.", key="wrong_values")
    return check


@pytest.mark.parametrize("broken, text", [
    (["add_gate"], "this exercise builds on add_gate, whose check has not passed yet: fix it first"),
    (["add_gate", "mul_gate"], "this exercise builds on add_gate, mul_gate, whose checks have not passed yet: "
                               "fix them first"),
])
def test_uses_note_agrees_in_number(broken, text):
    ex = _exercises()
    for key in broken:
        with pytest.raises(CheckFailed):
            ex.check(key)(_failing(key))(quiet=True)
    with pytest.raises(CheckFailed) as info:
        ex.check("neuron", uses=("add_gate", "mul_gate"))(_failing("neuron"))(quiet=True)
    assert str(info.value).startswith(text), "the dependency leads: the progress table shows the first line"
    assert "neuron is wrong." in str(info.value)


def test_progress_shows_the_first_line_of_a_failure(capsys):
    """check.progress() shows under a failed part the line course-check progress shows."""
    ex = _exercises()
    with pytest.raises(CheckFailed):
        ex.check("add_gate")(_failing("add_gate"))(quiet=True)
    with pytest.raises(CheckFailed):
        ex.check("neuron", uses=("add_gate",))(_failing("neuron"))(quiet=True)
    ex.progress()
    out = capsys.readouterr().out
    assert "        add_gate is wrong.\n" in out
    assert "        this exercise builds on add_gate, whose check has not passed yet" in out


def test_stderr_during_a_check_fails_it(capsys):
    """A right answer that writes to stderr while its check runs scores 0 in nbgrader: the check
    fails with the same sentence, and nothing reaches the cell's stderr."""
    ex = _exercises()

    def noisy(*args, hidden=False):
        print("debugging", file=sys.stderr)

    with pytest.raises(CheckFailed) as info:
        ex.check("add_gate")(noisy)()
    assert info.value.key == "stderr" and "'debugging'" in str(info.value)
    assert ex.status["add_gate"] == "failed"
    assert capsys.readouterr().err == ""


def test_a_cell_that_did_not_run_is_named_before_a_stale_function_is_checked():
    """The stub ran, then the learner's edit with a SyntaxError did not: the check says so instead
    of 'not implemented yet' (or of passing an old version)."""
    from autograder.checks import CellRecord, _NOT_RUN, record_test_cell_failure

    ex = _exercises()
    namespace = {}
    cell = "def add_forward(x, y):\n    raise NotImplementedError()\n"
    record = CellRecord(cell, namespace)
    exec(cell, namespace)
    record.done()
    broken = "def add_forward(x, y):\n    return (x + y\n"
    record = CellRecord(broken, namespace)
    try:
        compile(broken, "<cell>", "exec")
    except SyntaxError as exc:
        record.done(exc)
    try:
        with pytest.raises(CheckFailed) as info:
            ex.check("add_gate")(lambda *a, hidden=False: None)(namespace["add_forward"], quiet=True)
        assert info.value.key == "cell_did_not_run"
        assert str(info.value) == ("your Exercise 1 cell did not run (SyntaxError at line 2: '(' was never "
                                   "closed): fix it and run it again.")
        # a test cell that raised NameError for it: the same sentence, recorded for the part
        namespace["check"] = type("M", (), {"EXERCISES": ex})
        message, key = record_test_cell_failure("check.mul_gate(add_forward)\n", namespace,
                                                NameError("name 'add_forward' is not defined", name="add_forward"))
        assert key == "cell_did_not_run" and ex.status["mul_gate"] == "failed"
        # the cell runs again, fixed: the record is gone
        fixed = "def add_forward(x, y):\n    return x + y\n"
        record = CellRecord(fixed, namespace)
        exec(fixed, namespace)
        record.done()
        assert "add_forward" not in _NOT_RUN
    finally:
        _NOT_RUN.pop("add_forward", None)


def test_a_cell_that_raised_after_a_def_keeps_that_def():
    """An exception after a def: the def ran (in nbgrader too), only the names after it are stale."""
    from autograder.checks import CellRecord, _NOT_RUN

    namespace = {}
    cell = "def first():\n    return 1\n\n1 / 0\n\ndef second():\n    return 2\n"
    record = CellRecord(cell, namespace)
    try:
        exec(compile(cell, "<cell>", "exec"), namespace)
    except ZeroDivisionError as exc:
        record.done(exc)
    try:
        assert "first" not in _NOT_RUN
        assert _NOT_RUN["second"] == "ZeroDivisionError at line 4: division by zero"
    finally:
        _NOT_RUN.pop("second", None)


@pytest.mark.parametrize("function, number, title", [
    ("sigmoid", 4, "Stable sigmoid"),              # the part's own key
    ("sigmoid_backward", 5, "Sigmoid backward"),   # a key of its own, not sigmoid's backward
    ("add_forward", 1, "Add gate"),                # foo_gate owns foo_forward / foo_backward
    ("mul_backward", 2, "Multiply gate"),
    ("wx_norm_forward", 3, "Norm of W x"),         # foo owns foo_forward / foo_backward
    ("neuron_forward", 6, "A neuron from the gates"),
])
def test_a_function_belongs_to_its_exercise(function, number, title):
    ex = _exercises()
    assert ex.exercise_of(function) == (number, title)
    assert not_implemented_message(function) == (
        f"{function} is not implemented yet: finish Exercise {number} ({title}) first, "
        f"then run this cell again.")


def test_functions_can_be_declared():
    ex = _exercises("98_test", functions={"neuron": ("neuron_gates", "neuron_shortcut")})
    assert ex.exercise_of("neuron_shortcut") == (6, "A neuron from the gates")
    assert ex.exercise_of("helper") is None
    with pytest.raises(ValueError):
        _exercises("97_test", functions={"no_such_part": ("f",)})


def test_unknown_function_still_gets_a_sentence():
    assert not_implemented_message("my_helper_xyz") == (
        "my_helper_xyz is not implemented yet: finish its exercise above first, then run this cell again.")


def test_real_notebook_modules_are_registered():
    from autograder.checks import chain_rule  # noqa: F401
    assert not_implemented_message("neuron_gates") == (
        "neuron_gates is not implemented yet: finish Exercise 13 (Sigmoid neuron, gate by gate) first, "
        "then run this cell again.")


# --- the IPython handler, with a stand-in shell -------------------------------------------------

class _Compiler:
    def __init__(self):
        self._filename_map = {}


class _Shell:
    def __init__(self):
        self.compile = _Compiler()
        self.shown = []

    def showtraceback(self, exc_tuple=None, filename=None, tb_offset=None, exception_only=False,
                      running_compiled_code=False):
        self.shown.append((exc_tuple, exception_only))


def _cell(shell, source, number):
    name = f"/tmp/ipykernel_0/{number}.py"
    shell.compile._filename_map[name] = number
    namespace = {}
    exec(compile(source, name, "exec"), namespace)
    return namespace


def _raised(fn, *args):
    try:
        fn(*args)
    except BaseException:  # noqa: B036 (the test hands any exception to the handler)
        return sys.exc_info()
    raise AssertionError("expected an exception")


def test_handler_names_the_unfinished_function():
    _exercises("96_test")
    shell = _Shell()
    stubs = _cell(shell, "def add_forward(x, y):\n    raise NotImplementedError()\n", 1)
    demo = _cell(shell, "def demo():\n    return add_forward(1.0, 2.0)\n", 2)
    demo["add_forward"] = stubs["add_forward"]
    show_briefly(shell, *_raised(demo["demo"]))
    (etype, value, tb), only = shell.shown[0]
    assert only and etype is NotImplementedError and tb is None
    assert str(value) == ("add_forward is not implemented yet: finish Exercise 1 (Add gate) first, "
                          "then run this cell again.")


def test_handler_names_a_stub_method_by_its_class():
    """A method attached to a class in a cell (notebook 06's Value.__mul__) is named Class.method,
    and found in the exercise that declares it."""
    _exercises("95_test", functions={"neuron": ("Value.__mul__",)})
    shell = _Shell()
    cls = _cell(shell, "class Value:\n    def __mul__(self, other):\n        raise NotImplementedError()\n", 4)
    demo = _cell(shell, "def demo(V):\n    return V() * 2\n", 5)
    show_briefly(shell, *_raised(demo["demo"], cls["Value"]))
    (etype, value, tb), only = shell.shown[0]
    assert only and etype is NotImplementedError
    assert str(value) == ("Value.__mul__ is not implemented yet: finish Exercise 6 (A neuron from the gates) "
                          "first, then run this cell again.")


def test_handler_shows_only_the_message_through_ipykernel():
    """With ipykernel's _showtraceback, the display is the exception line alone: no "An exception
    has occurred, use %tb ..." above it."""
    from IPython.core.ultratb import AutoFormattedTB

    class KernelShell(_Shell):
        InteractiveTB = AutoFormattedTB(mode="Context")

        def _showtraceback(self, etype, evalue, stb):
            self.sent = (etype, evalue, stb)

    shell = KernelShell()
    show_briefly(shell, CheckFailed, CheckFailed("f: the sign is flipped"), None)
    etype, value, stb = shell.sent
    assert etype is CheckFailed and not shell.shown
    plain = re.sub(r"\x1b\[[0-9;]*m", "", "".join(stb)).strip()
    assert plain == "CheckFailed: f: the sign is flipped"


def test_handler_leaves_other_not_implemented_errors_alone():
    shell = _Shell()
    demo = _cell(shell, "def demo(f):\n    return f()\n", 3)

    def library_function():   # defined here, not in a cell
        raise NotImplementedError("this backend cannot do that")
    exc = _raised(demo["demo"], library_function)
    show_briefly(shell, *exc)
    (etype, value, tb), only = shell.shown[0]
    assert not only and value is exc[1] and tb is exc[2]


def test_handler_shows_a_check_failure_as_its_message():
    shell = _Shell()
    exc = _raised(_failing("x"))
    show_briefly(shell, *exc)
    (etype, value, tb), only = shell.shown[0]
    assert only and value is exc[1]


def test_a_named_mistake_points_to_its_hint():
    """Does a catalog row's hint number reach the learner as 'see hint N of Exercise M'?"""
    import numpy as np
    from autograder import check_layer, like

    ex = _exercises()

    def forward(x, w):
        return x * w, (x, w)

    def backward(dout, cache):        # dw forgets to sum over the batch... as its mean
        x, w = cache
        return dout * w, (dout * x).mean(axis=0)

    rows = [like("dw_mean", "dw is the mean over the batch, not the sum.",
                 lambda ev: (ev.dout * ev.inputs[0]).mean(axis=0), grads="dw", hint=2)]

    def check(*fns, hidden=False):
        check_layer(*fns, np.arange(1.0, 7.0).reshape(3, 2), np.array([0.5, -1.5]), mistakes=rows, quiet=True)

    with pytest.raises(CheckFailed) as info:
        ex.check("wx_norm")(check)(forward, backward, quiet=True)
    assert info.value.key == "dw_mean" and info.value.hint == 2
    assert str(info.value).endswith("see hint 2 of Exercise 3 (Norm of W x) above.")

    def no_hint(*fns, hidden=False):       # a row without a hint adds nothing
        raise CheckFailed("wrong.", key="wrong_values")
    with pytest.raises(CheckFailed) as info:
        ex.check("sigmoid")(no_hint)(quiet=True)
    assert "see hint" not in str(info.value) and info.value.hint is None


def test_a_dependency_wrong_only_on_hidden_inputs_is_named_first():
    """sigmoid passes its visible check but is wrong on the hidden inputs (a branch the visible ones
    do not reach); the part built on it fails: its check runs sigmoid's again on the hidden inputs,
    and the message (and the table) lead with sigmoid, as course-check's would (it ran them)."""
    ex = _exercises("90_test")

    def sigmoid_check(fn, hidden=False):
        if fn(-800.0 if hidden else 0.5) != fn(-800.0 if hidden else 0.5):   # nan on the hidden input
            raise CheckFailed("sigmoid(-800) is nan: use the stable form.", key="unstable")

    def neuron_check(fn, hidden=False):
        raise CheckFailed("neuron's output is nan.", key="non_finite")

    import math

    def sigmoid(x):
        return 1 / (1 + math.exp(-x)) if x > -700 else float("nan")

    ex.check("sigmoid")(sigmoid_check)(sigmoid, quiet=True)
    assert ex.status["sigmoid"] == "passed"
    with pytest.raises(CheckFailed) as info:
        ex.check("neuron", uses=("sigmoid",))(neuron_check)(sigmoid, quiet=True)
    assert str(info.value).startswith("this exercise builds on sigmoid, whose check has not passed yet")
    assert ex.status["sigmoid"] == "failed" and ex.messages["sigmoid"] == "sigmoid(-800) is nan: use the stable form."


def test_a_dependency_that_passed_everything_but_fails_here_is_pointed_to():
    """relu_backward passes its own checks, but is wrong for the inputs the network gives it (a
    branch they reach): the network's failure points to relu_backward, found by checking the
    relu pair on the inputs the network passed to relu_forward."""
    import numpy as np
    ex = _exercises("92_test")
    space = {"np": np}
    exec("def mul_forward(x):\n    return np.maximum(x, 0.0), x\n"
         "def mul_backward(dout, x):\n    return dout * (x > 0) * np.where(np.abs(x) > 5, 2.0, 1.0)\n"
         "def neuron(x):\n    out, cache = mul_forward(x)\n    return out, mul_backward(np.ones_like(out), cache)\n",
         space)

    def neuron_check(fn, hidden=False):
        out, dx = fn(np.array([[6.0, -1.0], [0.5, 7.0]]))
        if not np.allclose(dx, [[1.0, 0.0], [1.0, 1.0]]):
            raise CheckFailed("neuron: dx has the right shape but wrong values.", key="wrong_values")

    with pytest.raises(CheckFailed) as info:
        ex.check("neuron", uses=("mul_gate",))(neuron_check)(space["neuron"], quiet=True)
    first = str(info.value).splitlines()[0]
    assert first.startswith("this failure points to mul_backward, whose check passed"), str(info.value)
    assert space["mul_forward"].__name__ == "mul_forward" and "recording" not in repr(space["mul_forward"])


def test_a_dependency_that_overflows_here_is_pointed_to():
    import math
    ex = _exercises("91_test")
    space = {"math": math}
    exec("def sigmoid(x):\n    return 1 / (1 + math.exp(-x)) if x > -30 else float('nan')\n"
         "def neuron(x):\n    return sigmoid(x)\n", space)

    def neuron_check(fn, hidden=False):
        if not fn(-50.0) >= 0:
            raise CheckFailed("neuron(-50) is not a probability.", key="wrong_values")

    with pytest.raises(CheckFailed) as info:
        ex.check("neuron", uses=("sigmoid",))(neuron_check)(space["neuron"], quiet=True)
    assert str(info.value).startswith("this failure points to sigmoid, whose check passed: on the inputs this "
                                      "exercise gave it (inputs up to 50 in size), it returned nan or inf")


def test_a_warning_outside_the_guard_fails_every_time():
    """A warning from learner code the check calls directly is shown (and fails the check) on every
    run, not only the first: a kernel shows a warning once per place, the grade's fresh kernel
    shows it."""
    import warnings
    ex = _exercises("89_test")

    def warns(*args, hidden=False):
        warnings.warn("slow path")

    for _ in range(2):
        with pytest.raises(CheckFailed) as info:
            ex.check("add_gate")(warns)()
        assert info.value.key == "warning" and "slow path" in str(info.value)


def test_a_stub_reached_through_another_function_is_named():
    """The function checked is written, but calls one that is still a stub: the message names the
    stub and its exercise, not the function checked."""
    from autograder.guard import call
    _exercises("88_test")
    space = {}
    exec("def add_forward(x, y):\n    raise NotImplementedError()\n"
         "def neuron(x):\n    return add_forward(x, 1.0)\n", space)
    with pytest.raises(CheckFailed) as info:
        call(space["neuron"], 2.0, what="neuron")
    assert info.value.key == "not_implemented"
    assert str(info.value) == ("neuron calls add_forward, which is not implemented yet: finish Exercise 1 "
                               "(Add gate) first, then run this check again.")
    with pytest.raises(CheckFailed) as info:
        call(space["add_forward"], 2.0, 1.0, what="add_forward")
    assert str(info.value).startswith("add_forward is not implemented yet: replace")


# --- the cascade note blames a dependency only on evidence -------------------------------------
# A dependency is named first when, on the inputs this part gave it, it returned nan or inf from
# finite inputs, raised, or (a forward/backward pair) disagreed with finite differences.  Values
# that are not numbers are no such evidence, and what the caller does later with a result is not
# the dependency's doing.

def _gates(source):
    import numpy as np
    space = {"np": np}
    exec(source, space)
    return space


def _wrong(message, key="wrong_values"):
    """A check that runs the function (on finite numbers), then finds its result wrong."""
    import numpy as np

    def check(fn, hidden=False):
        fn(np.array([0.5, -1.5, 2.0]))
        raise CheckFailed(message, key=key)
    return check


def test_a_none_cache_is_not_read_as_nan():
    """add_forward returns (out, None), as the notebook's hint says: its None cache is no nan
    (notebook 01's worked examples were told to fix add_forward first)."""
    space = _gates("def add_forward(x, y):\n    return x + y, None\n"
                   "def add_backward(dout, cache):\n    return dout * 1.0, dout * 1.0\n"
                   "def neuron(x):\n    out, cache = add_forward(x, 2.0 * x)\n"
                   "    dx, dc = add_backward(1.0, cache)\n    return out, -dx\n")
    ex = _exercises("87_test")
    with pytest.raises(CheckFailed) as info:
        ex.check("neuron", uses=("add_gate",))(_wrong("neuron: dx has the wrong sign."))(space["neuron"], quiet=True)
    assert str(info.value) == "neuron: dx has the wrong sign.", str(info.value)


def test_an_update_in_place_that_returns_none_is_not_read_as_nan():
    """sgd_step updates params in place and returns None by design (notebook 05)."""
    space = _gates("def sgd_step(params, grads, lr):\n    for k in params:\n        params[k] -= lr * grads[k]\n"
                   "def neuron(x):\n    p = {'W': np.ones(3)}\n    sgd_step(p, {'W': x}, 0.1)\n    return p\n")
    ex = _exercises("86_test", functions={"mul_gate": ("sgd_step",)})
    with pytest.raises(CheckFailed) as info:
        ex.check("neuron", uses=("mul_gate",))(_wrong("neuron: one step per sample."))(space["neuron"], quiet=True)
    assert str(info.value) == "neuron: one step per sample.", str(info.value)


def test_a_result_the_caller_fills_with_nan_later_is_not_blamed_on_its_maker():
    """init_params returned finite arrays; the learner's training then diverged and wrote nan into
    them: the result is judged when it was returned, not after the run (notebook 05's fit_digits
    was told to fix init_params first)."""
    space = _gates("def init_params(n):\n    return {'W': np.ones(n), 'b': np.zeros(1)}\n"
                   "def neuron(x):\n    p = init_params(3)\n    p['W'] *= np.inf\n    p['W'] -= np.inf\n"
                   "    return p\n")
    ex = _exercises("85_test", functions={"mul_gate": ("init_params",)})
    with pytest.raises(CheckFailed) as info:
        ex.check("neuron", uses=("mul_gate",))(_wrong("neuron: training diverged.", "warning"))(
            space["neuron"], quiet=True)
    assert str(info.value) == "neuron: training diverged.", str(info.value)


def _picker():
    return _gates("def pick(scores, labels):\n    return scores[np.arange(len(labels)), labels]\n"
                  "def neuron(scores, targets):\n    return pick(scores, targets)\n")


def test_a_dependency_that_raises_on_the_arguments_it_was_given_is_not_told_to_be_fixed():
    """pick passed its check; here it raised because the caller passed float labels. The note says
    where it failed and that the arguments come first, not "fix pick"."""
    import numpy as np
    space = _picker()
    ex = _exercises("84_test", functions={"mul_gate": ("pick",)})

    def check(fn, hidden=False):
        from autograder.guard import call
        call(fn, np.ones((2, 3)), np.array([0.5, 1.0]), what="neuron")

    with pytest.raises(CheckFailed) as info:
        ex.check("neuron", uses=("mul_gate",))(check)(space["neuron"], quiet=True)
    first = str(info.value).splitlines()[0]
    assert info.value.key == "exception"
    assert first.startswith("this failure starts in pick, whose check passed: it raised IndexError"), first
    assert "check them first" in first and "fix it first" not in first


def test_a_named_mistake_of_the_part_leads_and_a_dependency_note_follows():
    """The part's own check named its mistake (the loss option ignored): that is the first line;
    the dependency that raised on the arguments it was given is a note after it."""
    import numpy as np
    space = _picker()
    ex = _exercises("83_test", functions={"mul_gate": ("pick",)})

    def check(fn, hidden=False):
        try:
            fn(np.ones((2, 3)), np.array([0.5, 1.0]))
        except IndexError:
            raise CheckFailed("neuron: loss='mse' was ignored: you called pick.", key="ignored_loss_argument")

    with pytest.raises(CheckFailed) as info:
        ex.check("neuron", uses=("mul_gate",))(check)(space["neuron"], quiet=True)
    lines = str(info.value).splitlines()
    assert lines[0] == "neuron: loss='mse' was ignored: you called pick.", str(info.value)
    assert lines[1].startswith("  (this failure starts in pick, whose check passed"), str(info.value)


# --- raw numpy exceptions whose cause is clear become a sentence naming it ---------------------

@pytest.mark.parametrize("body, key, says", [
    ("g = 2 * x\n    g /= 1 + x ** 2\n    return g", "integer_in_place", "an in-place `/=`"),
    ("g = np.zeros_like(x)\n    g += x * 0.5\n    return g", "integer_in_place", "an in-place `+=`"),
    ("return -1.0 * x ** -2", "integer_negative_power", "x ** -2"),
])
def test_an_integer_array_that_cannot_hold_the_result_is_named(body, key, says):
    """numpy's UFuncTypeError / ValueError for integer arrays: the sentence names the cause, first."""
    import numpy as np
    from autograder.guard import call
    space = {"np": np}
    exec(f"def grad(x):\n    {body}\n", space)
    with pytest.raises(CheckFailed) as info:
        call(space["grad"], np.array([1, 2, 3]), what="grad")
    assert info.value.key == key and str(info.value).startswith("grad: ") and says in str(info.value)
    assert call(space["grad"], np.array([1.0, 2.0, 3.0]), what="grad") is not None, "floats are fine"


def test_a_gate_built_with_a_constant_is_checked_for_its_one_gradient():
    """mul_const_backward returns dx alone (the constant a gets no gradient): the pair check asks
    for the gradients the backward gives, not one per forward argument (notebook 01's neuron)."""
    space = _gates("def mul_const_forward(x, a):\n    return a * x, a\n"
                   "def mul_const_backward(dout, cache):\n    return cache * dout\n"
                   "def neuron(x):\n    out, c = mul_const_forward(x, -1.0)\n"
                   "    return out, mul_const_backward(1.0, c)\n")
    ex = _exercises("82_test", functions={"mul_gate": ("mul_const_forward", "mul_const_backward")})
    with pytest.raises(CheckFailed) as info:
        ex.check("neuron", uses=("mul_gate",))(_wrong("neuron: dx is wrong."))(space["neuron"], quiet=True)
    assert str(info.value) == "neuron: dx is wrong.", str(info.value)
