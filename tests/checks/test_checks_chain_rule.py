"""Do the checks of 01_chain_rule pass the solution and name every planted mistake?

Each planted mistake is the solution with one error a learner is likely to make; the test
asserts the key of the diagnosis, so a check that fails for the wrong reason fails here.
Expected numbers come from the seed notes (CS231n, DeZero) or closed forms, never from the
code under test.
"""
import types

import numpy as np
import pytest

from autograder.checks import chain_rule as check
from conftest import (ROOT, assert_solution_passes, assert_stubs_not_implemented, fails_with,
                      load_solution, stub)

NB = "01_chain_rule"


@pytest.fixture(scope="module")
def sol():
    return load_solution(NB)


@pytest.fixture
def gates(monkeypatch):
    """Set what this session's checks of the helper gates said (EXERCISES.status) for one test:
    the worked examples blame a gate that failed, and the use of a gate that passed."""
    def set_status(**status):
        for key in check.EXERCISES.keys:
            monkeypatch.setitem(check.EXERCISES.status, key, status.get(key, "not checked yet"))
    set_status()
    return set_status


def with_globals(fn, **overrides):
    """A copy of the notebook function ``fn`` that sees ``overrides`` instead of the notebook's names."""
    return types.FunctionType(fn.__code__, dict(fn.__globals__, **overrides), fn.__name__,
                              fn.__defaults__, fn.__closure__)


def sigmoid_ref(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


# --- the solution passes everything ------------------------------------------------------

def solution_args(sol):
    return {
        "sin_square_derivative": (sol.sin_square_derivative,),
        "chain_forward": (sol.chain_forward,),
        "chain_backward": (sol.chain_backward,),
        "add_gate": (sol.add_forward, sol.add_backward),
        "mul_gate": (sol.mul_forward, sol.mul_backward),
        "exp_gate": (sol.exp_forward, sol.exp_backward),
        "reciprocal_gate": (sol.reciprocal_forward, sol.reciprocal_backward),
        "add_const_gate": (sol.add_const_forward, sol.add_const_backward),
        "mul_const_gate": (sol.mul_const_forward, sol.mul_const_backward),
        "max_gate": (sol.max_forward, sol.max_backward),
        "branch": (sol.branch_forward, sol.branch_backward),
        "simple_example": (sol.simple_example,),
        "neuron_gates": (sol.neuron_gates,),
        "sigmoid": (sol.sigmoid,),
        "sigmoid_backward": (sol.sigmoid_backward,),
        "neuron_shortcut": (sol.neuron_shortcut,),
    }


def test_points_total_18(sol):
    assert sum(p["points"] for p in check.EXERCISES.parts) == 18


@pytest.mark.parametrize("hidden", [False, True])
def test_solution_passes_every_check(sol, hidden, capsys):
    assert_solution_passes(check, solution_args(sol), hidden, capsys)


def test_stubs_are_reported_as_not_implemented(sol):
    assert_stubs_not_implemented(check, solution_args(sol))


def test_worked_examples_match_the_seed_numbers(sol):
    """The seed's printed numbers (CS231n lecture 4, DeZero step 6) from the solution."""
    f, dx, dy, dz = sol.simple_example(-2.0, 5.0, -4.0)
    assert (f, dx, dy, dz) == (-12.0, -4.0, -4.0, 3.0)
    for fn in (sol.neuron_gates, sol.neuron_shortcut):
        f, dw, dx = fn(np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0]))
        assert round(float(f), 2) == 0.73
        assert np.allclose(dw, [-0.20, -0.39, 0.20], atol=0.006)
        assert np.allclose(dx, [0.39, -0.59], atol=0.006)
    y, cache = sol.chain_forward(np.array(0.5))
    assert np.isclose(float(sol.chain_backward(np.array(1.0), cache)), 3.297442541400256, rtol=1e-14)


def test_checks_print_the_seed_numbers_next_to_yours(sol, capsys):
    check.simple_example(sol.simple_example)
    check.neuron_gates(sol.neuron_gates)
    out = capsys.readouterr().out
    assert "f = -12, df/dx = -4, df/dy = -4, df/dz = 3\n" in out
    assert "yours:" in out and "f = -12.00, df/dx = -4.00, df/dy = -4.00, df/dz = 3.00" in out
    assert "CS231n lecture 4 slides:  f = 0.73, dw = (-0.20, -0.39, 0.20), dx = (0.39, -0.59)" in out
    assert "f = 0.73, dw = (-0.20, -0.39, 0.20), dx = (0.39, -0.59)\n" in out.split("yours:")[-1]


def test_a_failing_worked_example_shows_the_seed_numbers_too(sol, gates):
    """The side-by-side table is printed on a pass and ends the message of a failure."""
    gates(mul_gate="failed")
    message = fails_with("mul_not_swapped", check.simple_example,
                         with_globals(sol.simple_example, mul_backward=unswapped_mul_backward))
    assert "f = -12, df/dx = -4, df/dy = -4, df/dz = 3" in message
    assert "df/dx = 3.00, df/dy = 3.00, df/dz = -4.00" in message
    message = fails_with("sigmoid_sign", check.neuron_gates,
                         lambda w, x: (1 - sol.neuron_gates(w, x)[0],) + sol.neuron_gates(w, x)[1:])
    assert "CS231n lecture 4 slides:" in message and "yours:" in message and "f = 0.27" in message


def _seed_004():
    for base in (ROOT.parent, ROOT.parent.parent):
        found = sorted((base / "shared" / "seeds").glob("004_*.txt"))
        if found:
            return found[0].read_text(encoding="utf-8")
    pytest.skip("the seed notes are not beside this checkout (../shared/seeds)")


def test_numbers_labelled_seed_are_in_the_seed_note():
    """What a check calls the seed's numbers is in the seed note; the slides' are labelled so."""
    import re
    seed = _seed_004()
    seed_lines = [line for line in check.NEURON_TABLE.splitlines() if line.strip().startswith("seed")]
    seed_lines.append("f = -12, df/dx = -4, df/dy = -4, df/dz = 3")
    for line in seed_lines:
        for number in re.findall(r"-?\d+\.?\d*", line.split(":", 1)[-1]):
            if number not in ("0", "1", "2"):        # x(-1) gate, 1/x gate, "2 x 0.2"
                assert number in seed, f"{number} is labelled as the seed's but the seed note lacks it"
    assert "0.73" not in seed.replace("1.37", "") and "CS231n lecture 4 slides:  f = 0.73" in check.NEURON_TABLE


# --- 1. scalar chain rule -----------------------------------------------------------------

@pytest.mark.parametrize("key, wrong", [
    ("missing_inner_derivative", lambda x: np.cos(x ** 2)),
    ("outer_at_x", lambda x: np.cos(x) * 2 * x),
    ("outer_not_differentiated", lambda x: np.sin(x ** 2) * 2 * x),
    ("sign_flipped", lambda x: -np.cos(x ** 2) * 2 * x),
    ("inner_derivative_wrong", lambda x: np.cos(x ** 2) * x),
    ("outer_at_inner_derivative", lambda x: np.cos(2 * x) * 2 * x),
    ("square_outside", lambda x: np.cos(x) ** 2 * 2 * x),
    ("outer_derivative_wrong", lambda x: -np.sin(x ** 2) * 2 * x),
    ("outer_at_x", lambda x: np.cos(x)),
])
def test_sin_square_derivative_mistakes(key, wrong):
    fails_with(key, check.sin_square_derivative, wrong)


# --- 2. chains -------------------------------------------------------------------------------

def forward_storing_outputs(x, chain=None):
    chain = chain or check.CHAIN_ABC
    stored = []
    for f, _ in chain:
        x = f(x)
        stored.append(x)
    return x, (stored, chain)


def forward_reversed(x, chain=None):
    chain = chain or check.CHAIN_ABC
    inputs = []
    for f, _ in reversed(chain):        # applies C first
        inputs.append(x)
        x = f(x)
    return x, (inputs, chain)


def forward_missing_last(x, chain=None):
    chain = chain or check.CHAIN_ABC
    inputs = []
    for f, _ in chain[:-1]:
        inputs.append(x)
        x = f(x)
    return x, (inputs + [x], chain)


def _solution_chain(x, chain=None):
    chain = chain or check.CHAIN_ABC
    inputs = []
    for f, _ in chain:
        inputs.append(x)
        x = f(x)
    return x, (inputs, chain)


def forward_without_chain(x, chain=None):
    chain = chain or check.CHAIN_ABC
    inputs = []
    for f, _ in chain:
        inputs.append(x)
        x = f(x)
    return x, inputs            # the cache is the list alone: cache[0] is x


def forward_same_x(x, chain=None):
    chain = chain or check.CHAIN_ABC
    y = x
    for f, _ in chain:
        y = f(y)
    return y, ([x] * len(chain), chain)


def forward_skipping_a(x, chain=None):
    """Stores x, then the output of each function but the first: [x, B(A(x)), C(B(A(x)))]."""
    chain = chain or check.CHAIN_ABC
    inputs, y = [x], x
    for f, _ in chain:
        y = f(y)
        inputs.append(y)
    return y, (inputs[:1] + inputs[2:], chain)


def forward_ignoring_chain(x, chain=None):
    inputs = []
    for f, _ in check.CHAIN_ABC:        # the global chain, whatever was passed
        inputs.append(x)
        x = f(x)
    return x, (inputs, chain)


@pytest.mark.parametrize("key, wrong, hidden", [
    ("stored_outputs", forward_storing_outputs, False),
    ("chain_order", forward_reversed, False),   # found by the second visible chain
    ("chain_order", forward_reversed, True),
    ("loop_bounds", forward_missing_last, False),
    ("forward_wrong", lambda x, chain=None: (2 * _solution_chain(x, chain)[0], _solution_chain(x, chain)[1]), False),
    ("cache_format", forward_without_chain, False),
    ("stored_x_only", forward_same_x, False),
    ("inputs_wrong", forward_skipping_a, False),
    ("bad_return", lambda x, chain=None: np.exp(2 * x ** 2), False),
    ("ignored_chain_argument", forward_ignoring_chain, False),
    ("ignored_chain_argument", forward_ignoring_chain, True),
])
def test_chain_forward_mistakes(key, wrong, hidden):
    fails_with(key, check.chain_forward, wrong, hidden=hidden)


def backward_unreversed_inputs(dout, cache):
    inputs, chain = cache
    grad = dout
    for (_, df), v in zip(reversed(chain), inputs):
        grad = grad * df(v)
    return grad


def backward_at_outputs(dout, cache):
    inputs, chain = cache
    outputs = inputs[1:] + [chain[-1][0](inputs[-1])]
    grad = dout
    for (_, df), v in zip(reversed(chain), reversed(outputs)):
        grad = grad * df(v)
    return grad


def backward_skips_first(dout, cache):
    inputs, chain = cache
    grad = dout
    for (_, df), v in zip(reversed(chain[1:]), reversed(inputs[1:])):
        grad = grad * df(v)
    return grad


def backward_sums(dout, cache):
    inputs, chain = cache
    return dout * sum(df(v) for (_, df), v in zip(chain, inputs))


def backward_global_chain(dout, cache):
    inputs, _ = cache
    grad = dout
    for (_, df), v in zip(reversed(check.CHAIN_ABC), reversed(inputs)):
        grad = grad * df(v)
    return grad


def backward_starts_from_one(dout, cache):
    inputs, chain = cache
    grad = np.ones_like(dout)
    for (_, df), v in zip(reversed(chain), reversed(inputs)):
        grad = grad * df(v)
    return grad


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("key, wrong", [
    ("wrong_point", backward_unreversed_inputs),
    ("used_outputs", backward_at_outputs),
    ("missing_local", backward_skips_first),
    ("summed_locals", backward_sums),
    ("ignores_upstream", backward_starts_from_one),
    ("used_global_chain", backward_global_chain),
])
def test_chain_backward_mistakes(key, wrong, hidden):
    fails_with(key, check.chain_backward, wrong, hidden=hidden)


# --- 3. gates ---------------------------------------------------------------------------------

def test_add_gate_mistakes(sol):
    f, b = sol.add_forward, sol.add_backward
    fails_with("add_split", check.add_gate, f, lambda d, c: (d / 2, d / 2))
    fails_with("add_dropped", check.add_gate, f, lambda d, c: (d, 0 * d))
    fails_with("ignores_upstream", check.add_gate, f, lambda d, c: (np.ones_like(d), np.ones_like(d)))
    fails_with("add_forward_mul", check.add_gate, lambda x, y: (x * y, None), b)

    def like_mul_forward(x, y):
        return x + y, (x, y)
    fails_with("add_like_mul", check.add_gate, like_mul_forward, lambda d, c: (d * c[1], d * c[0]))


def test_mul_gate_mistakes(sol):
    f, b = sol.mul_forward, sol.mul_backward
    fails_with("mul_not_swapped", check.mul_gate, f, lambda d, c: (d * c[0], d * c[1]))
    fails_with("mul_passthrough", check.mul_gate, f, lambda d, c: (d, d))
    fails_with("mul_forward_add", check.mul_gate, lambda x, y: (x + y, (x, y)), b)


def test_exp_gate_mistakes(sol):
    f = sol.exp_forward
    # caches x and uses it as if it were exp(x)
    fails_with("exp_used_input", check.exp_gate, lambda x: (np.exp(x), x), lambda d, c: d * c)
    # caches the output and takes exp of it again
    fails_with("exp_of_output", check.exp_gate, f, lambda d, out: d * np.exp(out))
    fails_with("exp_passthrough", check.exp_gate, f, lambda d, c: d)
    fails_with("exp_of_upstream", check.exp_gate, f, lambda d, c: d * np.exp(d))
    fails_with("exp_of_upstream", check.exp_gate, f, lambda d, c: np.exp(d))
    fails_with("exp_times_x", check.exp_gate, lambda x: (np.exp(x), x), lambda d, x: d * x * np.exp(x))
    fails_with("forward_wrong", check.exp_gate, lambda x: (np.exp(-x), np.exp(-x)), sol.exp_backward)


def test_reciprocal_gate_mistakes(sol):
    f = sol.reciprocal_forward
    fails_with("reciprocal_no_minus", check.reciprocal_gate, f, lambda d, x: d / x ** 2)
    fails_with("reciprocal_no_minus", check.reciprocal_gate, f, lambda d, x: 1 / x ** 2)
    fails_with("reciprocal_wrong_power", check.reciprocal_gate, f, lambda d, x: -d / x)
    fails_with("ignores_upstream", check.reciprocal_gate, f, lambda d, x: -1 / x ** 2)
    # caches the output 1/x and uses it as if it were x
    fails_with("reciprocal_used_output", check.reciprocal_gate, lambda x: (1 / x, 1 / x),
               lambda d, out: -d / out ** 2)


def test_constant_gate_mistakes(sol):
    fails_with("add_const_scaled", check.add_const_gate, lambda x, c: (x + c, c), lambda d, c: d * c)
    fails_with("add_const_added", check.add_const_gate, lambda x, c: (x + c, c), lambda d, c: d + c)
    fails_with("add_const_forward_mul", check.add_const_gate, lambda x, c: (x * c, c), sol.add_const_backward)
    fails_with("mul_const_forward_add", check.mul_const_gate, lambda x, a: (x + a, a), sol.mul_const_backward)
    fails_with("mul_const_not_scaled", check.mul_const_gate, sol.mul_const_forward, lambda d, a: d)
    fails_with("mul_const_used_x", check.mul_const_gate, lambda x, a: (a * x, x), lambda d, x: d * x)
    # the hidden check multiplies by -1, the constant of the sigmoid example
    fails_with("mul_const_not_scaled", check.mul_const_gate, sol.mul_const_forward, lambda d, a: d,
               hidden=True)


def test_max_gate_mistakes(sol):
    f = sol.max_forward
    fails_with("max_both", check.max_gate, f, lambda d, won: (d, d))
    fails_with("max_to_smaller", check.max_gate, f, lambda d, won: (d * ~won, d * won))
    fails_with("max_value", check.max_gate, lambda x, y: (np.maximum(x, y), np.maximum(x, y)),
               lambda d, m: (d * m, d * m))
    fails_with("max_forward_min", check.max_gate, lambda x, y: (np.minimum(x, y), x > y), sol.max_backward)
    fails_with("forward_scalar", check.max_gate,
               lambda x, y: (np.max([x, y]), x > y), sol.max_backward)

    def python_max_forward(x, y):
        return max(x, y), x > y
    fails_with("max_python_max", check.max_gate, python_max_forward, sol.max_backward)


def test_gates_that_emit_warnings_or_mutate_fail(sol):
    def noisy_backward(d, x):
        return -d / (x * 0.0) ** 2 * 0 - d / x ** 2     # divides by zero: a RuntimeWarning
    fails_with("warning", check.reciprocal_gate, sol.reciprocal_forward, noisy_backward)

    def mutating_forward(x, c):
        x += c
        return x, None
    fails_with("mutated_input", check.add_const_gate, mutating_forward, sol.add_const_backward)


# --- 4. branch ---------------------------------------------------------------------------------

def test_branch_mistakes(sol):
    def only_direct(dout, cache):
        exp_cache, mul_cache = cache
        dx, _ = sol.mul_backward(dout, mul_cache)
        return dx

    def overwritten(dout, cache):
        exp_cache, mul_cache = cache
        dx, de = sol.mul_backward(dout, mul_cache)
        dx = sol.exp_backward(de, exp_cache)        # overwrites instead of adding
        return dx
    fails_with("branch_not_summed", check.branch, sol.branch_forward, only_direct)
    fails_with("branch_not_summed", check.branch, sol.branch_forward, overwritten)
    fails_with("forward_wrong", check.branch, lambda x: (np.exp(x), None), sol.branch_backward)


# --- 5. worked examples -----------------------------------------------------------------------

def unswapped_mul_backward(dout, cache):
    x, y = cache
    return dout * x, dout * y


def dropped_add_backward(dout, cache):
    return dout, 0 * dout


def test_simple_example_mistakes(sol, gates):
    fn = sol.simple_example
    fails_with("mul_not_swapped", check.simple_example, with_globals(fn, mul_backward=unswapped_mul_backward))
    fails_with("add_dropped", check.simple_example, with_globals(fn, add_backward=dropped_add_backward))
    fails_with("zero_start", check.simple_example,
               lambda x, y, z: ((x + y) * z, 0.0, 0.0, 0.0))
    fails_with("forward_formula", check.simple_example,
               lambda x, y, z: (x + y * z, z, z, x + y))
    fails_with("forward_wrong", check.simple_example,
               lambda x, y, z: (0.5 * (x + y) * z, z, z, x + y))
    fails_with("bad_return", check.simple_example, lambda x, y, z: (x + y) * z)


def simple_unpacked_swapped(x, y, z):
    """Correct gates, but mul_backward's (df/dq, df/dz) unpacked as (dz, dq)."""
    q, add_cache = add_forward(x, y)
    f, mul_cache = mul_forward(q, z)
    dz, dq = mul_backward(1.0, mul_cache)
    dx, dy = add_backward(dq, add_cache)
    return f, dx, dy, dz


def simple_add_given_one(x, y, z):
    q, add_cache = add_forward(x, y)
    f, mul_cache = mul_forward(q, z)
    dq, dz = mul_backward(1.0, mul_cache)
    dx, dy = add_backward(1.0, add_cache)
    return f, dx, dy, dz


@pytest.mark.parametrize("hidden", [False, True])
def test_simple_example_blames_the_use_of_a_gate_that_passed(sol, gates, hidden):
    """The same wrong numbers come from a broken multiply gate or from unpacking a correct one
    in the wrong order: the session's status of mul_gate decides which one is named."""
    fn = with_globals(simple_unpacked_swapped, add_forward=sol.add_forward, mul_forward=sol.mul_forward,
                      mul_backward=sol.mul_backward, add_backward=sol.add_backward)
    gates(mul_gate="failed")
    assert "multiply gate" in fails_with("mul_not_swapped", check.simple_example, fn, hidden=hidden)
    gates(mul_gate="passed", add_gate="passed")
    message = fails_with("mul_unpacked_swapped", check.simple_example, fn, hidden=hidden)
    assert "you unpacked mul_backward's (dx, dy) in the wrong order" in message
    assert "(df/dq, df/dz)" in message
    fails_with("add_output_dropped", check.simple_example,
               with_globals(sol.simple_example, add_backward=dropped_add_backward), hidden=hidden)
    fn = with_globals(simple_add_given_one, add_forward=sol.add_forward, mul_forward=sol.mul_forward,
                      mul_backward=sol.mul_backward, add_backward=sol.add_backward)
    fails_with("add_not_chained", check.simple_example, fn, hidden=hidden)


def test_worked_example_messages_name_the_value(sol):
    """A wrong shape or count names the value (dw, df/dx), not 'the second value'."""
    fn = sol.neuron_gates
    message = fails_with("wrong_shape", check.neuron_gates, lambda w, x: (fn(w, x)[0], fn(w, x)[1][:2], fn(w, x)[2]))
    assert "dw has shape (2,), expected (3,)" in message and "second" not in message
    message = fails_with("wrong_shape", check.neuron_gates, lambda w, x: fn(w, x)[:2] + (fn(w, x)[2][None],))
    assert "dx has shape (1, 2), expected (2,)" in message
    message = fails_with("wrong_shape", check.simple_example,
                         lambda x, y, z: ((x + y) * z, np.array([z]), z, x + y))
    assert "df/dx has shape (1,), expected ()" in message
    message = fails_with("bad_return", check.simple_example, lambda x, y, z: ((x + y) * z, z, x + y))
    assert "(f, df/dx, df/dy, df/dz)" in message and "a tuple of 3" in message


@pytest.mark.parametrize("hidden", [False, True])
def test_neuron_gates_mistakes(sol, gates, hidden):
    fn = sol.neuron_gates
    fails_with("mul_not_swapped", check.neuron_gates,
               with_globals(fn, mul_backward=unswapped_mul_backward), hidden=hidden)
    fails_with("sign_flipped", check.neuron_gates,
               with_globals(fn, reciprocal_backward=lambda d, x: d / x ** 2), hidden=hidden)
    fails_with("exp_passthrough", check.neuron_gates,
               with_globals(fn, exp_backward=lambda d, c: d), hidden=hidden)
    fails_with("reciprocal_passthrough", check.neuron_gates,
               with_globals(fn, reciprocal_backward=lambda d, c: d), hidden=hidden)

    def no_sigmoid_derivative(w, x):
        f, dw, dx = fn(w, x)
        return f, np.array([x[0], x[1], 1.0]), np.array([w[0], w[1]])
    fails_with("missing_sigmoid_derivative", check.neuron_gates, no_sigmoid_derivative, hidden=hidden)
    fails_with("wrong_shape", check.neuron_gates, lambda w, x: (fn(w, x)[0], fn(w, x)[1][:2], fn(w, x)[2]),
               hidden=hidden)
    fails_with("sigmoid_sign", check.neuron_gates, lambda w, x: (1 - fn(w, x)[0],) + fn(w, x)[1:],
               hidden=hidden)
    fails_with("forward_wrong", check.neuron_gates, lambda w, x: (0.5 * fn(w, x)[0],) + fn(w, x)[1:],
               hidden=hidden)


def swapped_results_mul_backward(dout, cache):
    """A correct multiply gate whose caller unpacks it the other way round."""
    x, y = cache
    return dout * x, dout * y


@pytest.mark.parametrize("hidden", [False, True])
def test_neuron_gates_blames_the_use_of_gates_that_passed(sol, gates, hidden):
    """With every gate passed, a skipped backward call or a swapped unpacking is named as such."""
    gates(**{key: "passed" for key in check.EXERCISES.keys})
    fn = sol.neuron_gates
    message = fails_with("mul_unpacked_swapped", check.neuron_gates,
                         with_globals(fn, mul_backward=swapped_results_mul_backward), hidden=hidden)
    assert "unpacked mul_backward's two gradients in the wrong order" in message
    fails_with("exp_skipped", check.neuron_gates, with_globals(fn, exp_backward=lambda d, c: d), hidden=hidden)
    fails_with("reciprocal_skipped", check.neuron_gates,
               with_globals(fn, reciprocal_backward=lambda d, c: d), hidden=hidden)
    message = fails_with("sign_flipped", check.neuron_gates,
                         with_globals(fn, mul_const_backward=lambda d, c: d), hidden=hidden)
    assert "mul_const_backward" in message


def test_neuron_visible_check_sees_past_the_seed_numbers(sol):
    """The seed's w1 = w2 = -3 hides a bias taken from w[1]; the visible check's second point does not."""
    def bias_from_w1(w, x):
        return sol.neuron_gates(np.array([w[0], w[1], w[1]]), x)
    message = fails_with("bias_wrong", check.neuron_gates, bias_from_w1)
    assert "at w = [0.7, -1.2, 0.4]" in message and "the bias is w[2], not w[1]" in message


def shortcut_given_z(w, x):
    """neuron_shortcut passing z, not the cached s, to sigmoid_backward."""
    p0, c_m0 = mul_forward(w[0], x[0])
    p1, c_m1 = mul_forward(w[1], x[1])
    s, c_a0 = add_forward(p0, p1)
    z, c_a1 = add_forward(s, w[2])
    f, c_sig = sigmoid_forward(z)
    dz = sigmoid_backward(1.0, z)
    ds, dw2 = add_backward(dz, c_a1)
    dp0, dp1 = add_backward(ds, c_a0)
    dw0, dx0 = mul_backward(dp0, c_m0)
    dw1, dx1 = mul_backward(dp1, c_m1)
    return f, np.array([dw0, dw1, dw2]), np.array([dx0, dx1])


@pytest.mark.parametrize("hidden", [False, True])
def test_neuron_shortcut_mistakes(sol, gates, hidden):
    fn = sol.neuron_shortcut
    fails_with("missing_sigmoid_derivative", check.neuron_shortcut,
               with_globals(fn, sigmoid_backward=lambda d, s: d), hidden=hidden)
    fails_with("mul_not_swapped", check.neuron_shortcut,
               with_globals(fn, mul_backward=unswapped_mul_backward), hidden=hidden)
    given_z = with_globals(shortcut_given_z, **{name: getattr(sol, name) for name in (
        "mul_forward", "add_forward", "sigmoid_forward", "sigmoid_backward", "add_backward", "mul_backward")})
    message = fails_with("sigmoid_backward_got_z", check.neuron_shortcut, given_z, hidden=hidden)
    assert "sigmoid_backward needs the cached output s = sigma(z), not z" in message


# --- 6. sigmoid ---------------------------------------------------------------------------------

def naive_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def where_sigmoid(x):
    # both branches are evaluated everywhere: exp(x) overflows at x = 1000
    return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


def silenced_sigmoid(x):
    with np.errstate(all="ignore"):
        return np.exp(x) / (1 + np.exp(x))      # inf / inf = nan at x = 1000


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("key, wrong", [
    ("sigmoid_overflow", naive_sigmoid),
    ("sigmoid_overflow", where_sigmoid),
    ("non_finite", silenced_sigmoid),
    ("sigmoid_sign", lambda x: sigmoid_ref(-x)),
    ("wrong_shape", lambda x: sigmoid_ref(x).ravel()),
    ("wrong_values", lambda x: sigmoid_ref(x) * (1 + 1e-6)),
])
def test_sigmoid_mistakes(key, wrong, hidden):
    fails_with(key, check.sigmoid, wrong, hidden=hidden)


def test_sigmoid_backward_stability_part_uses_a_random_dout(sol):
    """dout of ones would hide a backward pass that drops it; every dout the check passes is random."""
    seen = []

    def recording_backward(dout, s):
        seen.append(np.array(dout, dtype=float))
        return sol.sigmoid_backward(dout, s)
    check.sigmoid_backward(recording_backward, quiet=True)
    big_shape = [d for d in seen if d.shape == (2, 3)]
    assert big_shape and all(np.ptp(d) > 0.1 for d in seen)


def test_sigmoid_is_stable_in_the_solution(sol):
    x = np.array([-1000.0, -745.0, -1.0, 0.0, 1.0, 745.0, 1000.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        s = sol.sigmoid(x)
    assert np.allclose(s, sigmoid_ref(x), rtol=1e-12, atol=1e-15) and np.all((s >= 0) & (s <= 1))


def backward_via_logit(dout, s):
    x = np.log(s / (1 - s))                       # recovers x: divides by zero where s == 1
    return dout * np.exp(-x) / (1 + np.exp(-x)) ** 2


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("key, wrong", [
    ("missing_sigmoid_derivative", lambda d, s: d),
    ("sigma_of_cache", lambda d, s: d * sigmoid_ref(s) * (1 - sigmoid_ref(s))),
    ("sigma_of_dout", lambda d, s: d * sigmoid_ref(d) * (1 - sigmoid_ref(d))),
    ("sigma_of_dout", lambda d, s: sigmoid_ref(d) * (1 - sigmoid_ref(d))),
    ("missing_one_minus", lambda d, s: d * s),
    ("missing_one_minus", lambda d, s: d * (1 - s)),
    ("ignores_upstream", lambda d, s: s * (1 - s)),
    ("warning", backward_via_logit),
])
def test_sigmoid_backward_mistakes(key, wrong, hidden):
    fails_with(key, check.sigmoid_backward, wrong, hidden=hidden)


def test_messages_name_the_mistake(sol):
    """The learner reads these sentences: spot-check the wording the issue asks for."""
    msg = fails_with("branch_not_summed", check.branch, sol.branch_forward,
                     lambda d, c: sol.mul_backward(d, c[1])[0])
    assert "gradients add at a branch" in msg
    msg = fails_with("mul_not_swapped", check.mul_gate, sol.mul_forward, unswapped_mul_backward)
    assert "did not swap the inputs" in msg
    msg = fails_with("max_both", check.max_gate, sol.max_forward, lambda d, won: (d, d))
    assert "both inputs" in msg
    msg = fails_with("reciprocal_no_minus", check.reciprocal_gate, sol.reciprocal_forward,
                     lambda d, x: d / x ** 2)
    assert "missing minus sign" in msg
    msg = fails_with("exp_of_upstream", check.exp_gate, sol.exp_forward, lambda d, c: d * np.exp(d))
    assert "used the upstream instead of exp(x)" in msg
    msg = fails_with("sigma_of_cache", check.sigmoid_backward,
                     lambda d, s: d * sigmoid_ref(s) * (1 - sigmoid_ref(s)))
    assert "sigma(cache)" in msg
    msg = fails_with("missing_sigmoid_derivative", check.sigmoid_backward, lambda d, s: d)
    assert "forgot the sigmoid derivative" in msg


def test_test_cells_match_the_declared_points():
    """Each graded cell is `check.<key>(...)` with the points the Exercises table declares."""
    import json
    from conftest import solution_path
    cells = json.load(open(solution_path(NB), encoding="utf-8"))["cells"]
    graded = {c["metadata"]["nbgrader"]["grade_id"]: (c["metadata"]["nbgrader"]["points"], "".join(c["source"]))
              for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")}
    assert sorted(graded) == sorted(f"test_{key}" for key in check.EXERCISES.keys)
    for key in check.EXERCISES.keys:
        points, source = graded[f"test_{key}"]
        assert points == check.EXERCISES.points(key)
        assert source.startswith(f"check.{key}(") and f"check.{key}(" in source.split("BEGIN HIDDEN TESTS")[1]


# --- the notebook's text -----------------------------------------------------------------

def _cells():
    import nbedit
    from conftest import solution_path
    return {c["id"]: "".join(c["source"]) for c in nbedit.read(solution_path(NB))["cells"]}


def test_notation_map_follows_docs_notation():
    """DeZero's dy/db is not written db (the bias gradient); a(.) is any activation; the seed's
    + w2 x2 is a slip for the bias w2."""
    notation = _cells()["notation"]
    row = next(line for line in notation.splitlines() if "frac{dy}{db}" in line)
    assert "`b.grad`" in row and "`grad`" in row and "Not `db`" in row
    assert any(line.startswith("| $a(\\cdot)$") and "any activation" in line for line in notation.splitlines())
    assert "transcription slip" in notation and "w_2 x_2" in notation


def test_a_second_dezero_demo_uses_a_chain_whose_functions_differ(sol):
    """DeZero's chain reads the same backwards (A = C) and starts from dout = 1: the second demo
    does neither, and prints its closed form; the two bugs it reveals change its number."""
    cells = _cells()
    demo = cells["chain-demo2"]
    assert "np.sin" in demo and "chain_backward(np.array(3.0)" in demo and "closed form" in demo
    assert "the **check** is the judge" in cells["chain-demo2-md"]
    chain = [(np.sin, np.cos), (np.exp, np.exp), (sol.square, sol.square_derivative)]
    x = np.array(0.5)
    y, cache = sol.chain_forward(x, chain)
    closed = 6 * np.cos(0.5) * np.exp(2 * np.sin(0.5))
    assert np.isclose(float(sol.chain_backward(np.array(3.0), cache)), closed, rtol=1e-12)
    assert not np.isclose(float(backward_unreversed_inputs(np.array(3.0), cache)), closed)
    assert not np.isclose(float(backward_starts_from_one(np.array(3.0), cache)), closed)


def test_glossary_uses_the_terms_learners_search_for():
    glossary = _cells()["glossary"]
    for term in ("오차역전파법", "국소적 미분", "덧셈 노드", "곱셈 노드", "매개변수", "업스트림 그래디언트",
                 "가중합", "활성화 전 값", "자코비안"):
        assert term in glossary, term
    assert "상류" not in glossary, "상류 기울기 is a coinage"


# --- inputs that are not kind, the mistakes they reveal, the hints they point to ------------

def test_named_mistakes_point_to_hints_the_notebook_has():
    """'see hint N of Exercise M' must find a hint N in Exercise M's markdown; every exercise
    has hints, numbered 1, 2, ..."""
    import nbedit
    from cited_hints import offered, problems
    from conftest import solution_path
    nb = nbedit.read(solution_path(NB))
    assert problems(check, nb) == []
    assert all(len(h) >= 2 for h in offered(nb, check.EXERCISES.keys).values())


def test_exercise_text_no_longer_hands_out_the_backward_code():
    """The gates' table keeps the seed's four calculus derivatives, not the backward code; the
    chain's backward recipe lives in the hints."""
    cells = _cells()
    assert "| Backward |" not in cells["gates-intro"] and "`dx = -dout / x**2`" not in cells["gates-intro"]
    before_hints = cells["ex-chain-backward"].split("<details>")[0]
    assert "zip(reversed" not in before_hints and "grad = dout" not in before_hints
    assert "Then `dx = dout * C'(b)" not in cells["chain-why"]


def test_the_layer_count_is_K_not_N():
    """N is the batch size in this course (docs/NOTATION.md); a network has K layers."""
    text = _cells()["chain-why"]
    assert "$K$ layers" in text and "h_K" in text and "h_N" not in text and "^{N}" not in text


def forward_three_only(x, chain=None):
    (A, _), (B, _), (C, _) = chain or check.CHAIN_ABC
    a = A(x)
    b = B(a)
    return C(b), ([x, a, b], chain or check.CHAIN_ABC)


def forward_first_three(x, chain=None):
    chain = chain or check.CHAIN_ABC
    a = chain[0][0](x)
    b = chain[1][0](a)
    return chain[2][0](b), ([x, a, b], chain)


def backward_three_only(dout, cache):
    (x, a, b), chain = cache
    (_, dA), (_, dB), (_, dC) = chain
    return dout * dC(b) * dB(a) * dA(x)


def backward_in_place(dout, cache):
    inputs, chain = cache
    grad = dout
    for (_, df), v in zip(reversed(chain), reversed(inputs)):
        grad *= df(v)                       # writes into the caller's dout
    return grad


@pytest.mark.parametrize("hidden", [False, True])
def test_code_for_three_functions_is_named(hidden):
    fails_with("fixed_length", check.chain_forward, forward_three_only, hidden=hidden)
    fails_with("fixed_length", check.chain_forward, forward_first_three, hidden=hidden)
    fails_with("fixed_length", check.chain_backward, backward_three_only, hidden=hidden)


def test_a_backward_that_writes_into_dout_is_named():
    fails_with("mutated_input", check.chain_backward, backward_in_place)


def test_chain_cases_follow_the_input_rules():
    for hidden in (False, True):
        cases = check._chain_cases(hidden)
        shapes = [x.shape for x, _, _ in cases]
        assert len(set(shapes)) == len(shapes) and all(len(set(s)) == len(s) for s in shapes)
        assert len({len(chain) for _, chain, _ in cases}) >= 2
        assert any(not explicit for *_, explicit in cases) and any(explicit for *_, explicit in cases)


def test_each_gate_check_uses_two_shapes(sol):
    """Every gate's forward is called on two shapes that differ (and no two equal axes)."""
    for part, (fwd, bwd) in [("add_gate", (sol.add_forward, sol.add_backward)),
                             ("mul_gate", (sol.mul_forward, sol.mul_backward)),
                             ("exp_gate", (sol.exp_forward, sol.exp_backward)),
                             ("reciprocal_gate", (sol.reciprocal_forward, sol.reciprocal_backward)),
                             ("add_const_gate", (sol.add_const_forward, sol.add_const_backward)),
                             ("mul_const_gate", (sol.mul_const_forward, sol.mul_const_backward)),
                             ("max_gate", (sol.max_forward, sol.max_backward)),
                             ("branch", (sol.branch_forward, sol.branch_backward))]:
        for hidden in (False, True):
            shapes = set()

            def recording(*args, fwd=fwd, shapes=shapes):
                shapes.add(np.shape(args[0]))
                return fwd(*args)
            getattr(check, part)(recording, bwd, hidden=hidden, quiet=True)
            assert len(shapes) >= 2 and all(len(set(s)) == len(s) for s in shapes), (part, hidden, shapes)


@pytest.mark.parametrize("hidden", [False, True])
def test_more_gate_mistakes(sol, hidden):
    fails_with("mul_product", check.mul_gate, sol.mul_forward,
               lambda d, c: (d * c[0] * c[1], d * c[0] * c[1]), hidden=hidden)
    fails_with("reciprocal_precedence", check.reciprocal_gate, sol.reciprocal_forward,
               lambda d, x: -d / x*x, hidden=hidden)
    fails_with("constant_gradient", check.add_const_gate, sol.add_const_forward,
               lambda d, c: (d * 1.0, 0.0), hidden=hidden)
    fails_with("constant_gradient", check.mul_const_gate, sol.mul_const_forward,
               lambda d, a: (a * d, 0.0), hidden=hidden)
    fails_with("max_mask_only", check.max_gate, sol.max_forward,
               lambda d, won: (won * 1.0, (1 - won) * 1.0), hidden=hidden)

    def max_forward_inputs(x, y):
        return np.maximum(x, y), (x, y)

    def max_backward_zeros_like(dout, cache):
        x, y = cache
        dx, dy = np.zeros_like(x), np.zeros_like(y)     # integers when x and y are
        dx[x > y] = dout[x > y]
        dy[y > x] = dout[y > x]
        return dx, dy
    fails_with("integer_dtype", check.max_gate, max_forward_inputs, max_backward_zeros_like, hidden=hidden)


@pytest.mark.parametrize("hidden", [False, True])
def test_more_branch_mistakes(sol, hidden):
    def exp_given_dout(dout, cache):
        exp_cache, mul_cache = cache
        dx_direct, de = sol.mul_backward(dout, mul_cache)
        return dx_direct + sol.exp_backward(dout, exp_cache)

    def unpacked_swapped(dout, cache):
        exp_cache, mul_cache = cache
        de, dx_direct = sol.mul_backward(dout, mul_cache)
        return dx_direct + sol.exp_backward(de, exp_cache)
    fails_with("exp_not_chained", check.branch, sol.branch_forward, exp_given_dout, hidden=hidden)
    fails_with("mul_unpacked_swapped", check.branch, sol.branch_forward, unpacked_swapped, hidden=hidden)


def test_seed_numbers_at_another_point_are_named():
    message = fails_with("hard_coded", check.simple_example, lambda x, y, z: (-12.0, -4.0, -4.0, 3.0))
    assert "at x = 3, y = -5, z = 4" in message


def test_sin_square_checks_two_shapes_each_side():
    fails_with("inner_not_differentiated", check.sin_square_derivative, lambda x: np.cos(x ** 2) * x ** 2)
    seen = []

    def recording(x):
        seen.append(np.shape(x))
        return np.cos(x ** 2) * 2 * x
    check.sin_square_derivative(recording, quiet=True)
    check.sin_square_derivative(recording, hidden=True, quiet=True)
    assert len(set(seen)) == 4 and all(len(set(s)) == len(s) for s in seen)


def masked_sigmoid(x):
    out = np.zeros_like(x)                  # integers when x is
    pos = x >= 0
    out[pos] = 1 / (1 + np.exp(-x[pos]))
    out[~pos] = np.exp(x[pos == False]) / (1 + np.exp(x[~pos]))    # noqa: E712
    return out


def row_by_row_sigmoid(x):
    """Right on arrays (a row, or a number, at a time); a single number cannot be iterated."""
    def one(v):
        e = np.exp(-np.abs(v))
        return np.where(v >= 0, 1 / (1 + e), e / (1 + e))
    return np.array([one(v) for v in x])


def in_place_sigmoid(x):
    e = np.exp(-np.abs(x))
    x[...] = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return x


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("key, wrong", [
    ("integer_dtype", masked_sigmoid),
    ("scalar_input", row_by_row_sigmoid),
    ("mutated_input", in_place_sigmoid),
])
def test_sigmoid_on_integers_single_numbers_and_in_place(key, wrong, hidden):
    fails_with(key, check.sigmoid, wrong, hidden=hidden)


def test_math_module_on_an_array_is_named():
    import math
    fails_with("math_on_array", check.sin_square_derivative, lambda x: math.cos(x ** 2) * 2 * x)
    fails_with("math_on_array", check.sigmoid, lambda x: 1 / (1 + math.exp(-x)))


# --- classes of mistakes a blind catalog found (issue 18): named by what was computed -----------

def forward_shared_list(x, chain=None, inputs=[]):      # noqa: B006 (the mistake under test)
    chain = chain or check.CHAIN_ABC
    for f, _ in chain:
        inputs.append(x)
        x = f(x)
    return x, (inputs, chain)


def forward_caches_another_chain(x, chain=None):
    y, (inputs, _) = _solution_chain(x, chain)
    return y, (inputs, check.CHAIN_ABC)


def forward_starts_late(x, chain=None):
    chain = chain or check.CHAIN_ABC
    inputs = [x]
    for f, _ in chain[1:]:
        x = f(x)
        inputs.append(x)
    return x, (inputs, chain)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("key, wrong, says", [
    ("shared_list", forward_shared_list, "inputs = [] as its first line"),
    ("cache_wrong_chain", forward_caches_another_chain, "cache[1] must be the chain this call applied"),
    ("loop_bounds", forward_starts_late, "the loop starts late"),
])
def test_chain_forward_mistakes_named_by_what_they_did(key, wrong, says, hidden):
    forward_shared_list.__defaults__[1].clear()
    message = fails_with(key, check.chain_forward, wrong, hidden=hidden)
    assert says in message, message


def backward_restarts(dout, cache):
    inputs, chain = cache
    grad = dout
    for (_, df), v in zip(reversed(chain), reversed(inputs)):
        grad = dout * df(v)                  # starts again from dout
    return grad


@pytest.mark.parametrize("hidden", [False, True])
def test_a_backward_that_keeps_one_factor_is_named(hidden):
    message = fails_with("grad_restarted", check.chain_backward, backward_restarts, hidden=hidden)
    assert "grad = grad * derivative(value)" in message


def mul_forward_copies(x, y):
    return x * y, (x.copy(), y.copy())       # a Python number has no .copy()


def mul_backward_zeros_like(dout, cache):
    x, y = cache
    dx, dy = np.zeros_like(x), np.zeros_like(y)   # integer arrays for integer inputs
    dx[...] = dout * y
    dy[...] = dout * x
    return dx, dy


@pytest.mark.parametrize("hidden", [False, True])
def test_gates_are_checked_on_numbers_and_on_integers(sol, hidden):
    """The worked examples call the gates with numbers (and integers): a gate that cannot take them,
    or truncates its gradient into an integer array, fails its own check, named."""
    message = fails_with("fails_on_numbers", check.mul_gate, mul_forward_copies, sol.mul_backward, hidden=hidden)
    assert "'float' object has no attribute 'copy'" in message and "single numbers" in message
    fails_with("integer_dtype", check.mul_gate, sol.mul_forward, mul_backward_zeros_like, hidden=hidden)
    message = fails_with("integer_input", check.reciprocal_gate, lambda x: (np.reciprocal(x), x),
                         sol.reciprocal_backward, hidden=hidden)
    assert "np.reciprocal" in message
    fails_with("integer_negative_power", check.reciprocal_gate, sol.reciprocal_forward,
               lambda d, x: -d * x ** -2, hidden=hidden)


def test_the_gates_integer_cases_have_no_zero_and_no_tie():
    for hidden in (False, True):
        x, y = (np.array(v) for v in check.GATE_INTEGERS[hidden])
        assert x.dtype.kind == "i" and np.all(x != 0) and np.all(x != y) and x.shape == y.shape


@pytest.mark.parametrize("hidden", [False, True])
def test_gate_mistakes_named_by_what_they_did(sol, hidden):
    message = fails_with("input_clipped", check.exp_gate, lambda x: (np.exp(np.clip(x, -50, 50)),) * 2,
                         sol.exp_backward, hidden=hidden)
    assert "stops changing at |x| = 50" in message and "exp(-50)" in message
    fails_with("exp_undone", check.exp_gate, sol.exp_forward, lambda d, c: d / c, hidden=hidden)
    fails_with("cache_indexed", check.exp_gate, sol.exp_forward, lambda d, c: d * c[0], hidden=hidden)
    fails_with("cache_indexed", check.reciprocal_gate, sol.reciprocal_forward, lambda d, c: -d / c[0] ** 2,
               hidden=hidden)
    fails_with("mul_const_divided", check.mul_const_gate, sol.mul_const_forward, lambda d, a: d / a, hidden=hidden)
    fails_with("add_const_added", check.add_const_gate, lambda x, c: (x + c, c), lambda d, c: d - c, hidden=hidden)
    message = fails_with("boolean_index", check.max_gate, sol.max_forward, lambda d, m: (d[m], d[~m]),
                         hidden=hidden)
    assert "dout * mask" in message
    message = fails_with("np_max_two_arrays", check.max_gate, lambda x, y: (np.max(x, y), x > y),
                         sol.max_backward, hidden=hidden)
    assert "np.maximum(x, y)" in message
    import math
    fails_with("math_on_array", check.exp_gate, lambda x: (math.exp(x),) * 2, sol.exp_backward, hidden=hidden)


def branch_forward_packed_other_way(x):
    e, exp_cache = check_exp_forward(x)
    out, mul_cache = x * e, (x, e)
    return out, (mul_cache, exp_cache)


def check_exp_forward(x):
    out = np.exp(x)
    return out, out


@pytest.mark.parametrize("hidden", [False, True])
def test_branch_mistakes_named_by_what_they_did(sol, hidden):
    message = fails_with("cache_order", check.branch, branch_forward_packed_other_way,
                         with_globals(sol.branch_backward, mul_backward=sol.mul_backward, exp_backward=sol.exp_backward),
                         hidden=hidden)
    assert "unpack in the order you packed" in message

    def forward_keeps_x(x):
        out, (exp_cache, mul_cache) = sol.branch_forward(x)
        return out, (x, mul_cache)
    fails_with("exp_cache_is_x", check.branch, forward_keeps_x, sol.branch_backward, hidden=hidden)


def test_worked_examples_named_by_what_they_did(sol, gates):
    gates(**{key: "passed" for key in check.EXERCISES.keys})
    fn = sol.simple_example
    message = fails_with("return_order", check.simple_example,
                         lambda x, y, z: (lambda f, dx, dy, dz: (f, dx, dz, dy))(*fn(x, y, z)))
    assert "(df/dx, df/dz, df/dy)" in message
    fails_with("started_from_output", check.simple_example,
               lambda x, y, z: (lambda f, dx, dy, dz: (f, f * dx, f * dy, f * dz))(*fn(x, y, z)))
    neuron = sol.neuron_gates
    fails_with("started_from_output", check.neuron_gates,
               lambda w, x: (lambda f, dw, dx: (f, f * dw, f * dx))(*neuron(w, x)))
    fails_with("caches_swapped", check.neuron_gates,
               lambda w, x: (lambda f, dw, dx: (f, dw * np.array([x[1] / x[0], x[0] / x[1], 1.0]),
                                                dx * np.array([w[1] / w[0], w[0] / w[1]])))(*neuron(w, x)))
    message = fails_with("bias_missing", check.neuron_shortcut,
                         lambda w, x: (sigmoid_ref(w[0] * x[0] + w[1] * x[1]),) + sol.neuron_shortcut(w, x)[1:])
    assert "sigma(w0 x0 + w1 x1)" in message
    fails_with("pairs_swapped", check.neuron_gates,
               lambda w, x: (sigmoid_ref(w[0] * x[1] + w[1] * x[0] + w[2]),) + neuron(w, x)[1:])


@pytest.mark.parametrize("hidden", [False, True])
def test_sigmoid_mistakes_named_by_what_they_did(hidden):
    message = fails_with("input_clipped", check.sigmoid, lambda x: 1 / (1 + np.exp(-np.clip(x, -30, 30))),
                         hidden=hidden)
    assert "wrong beyond |x| = 30" in message
    fails_with("precedence", check.sigmoid_backward, lambda d, s: d * s - s ** 2, hidden=hidden)
    fails_with("precedence", check.sigmoid_backward, lambda d, s: d * s * 1 - s, hidden=hidden)
    fails_with("cache_indexed", check.sigmoid_backward, lambda d, s: d * s[0] * (1 - s[0]), hidden=hidden)


@pytest.mark.parametrize("hidden", [False, True])
def test_a_two_input_gate_that_returns_one_gradient_is_named(sol, hidden):
    for part, forward in (("add_gate", sol.add_forward), ("mul_gate", sol.mul_forward), ("max_gate", sol.max_forward)):
        message = fails_with("one_gradient", getattr(check, part), forward, lambda d, c: d * 1.0, hidden=hidden)
        assert "(dx, dy)" in message


def backward_that_empties_the_chain(dout, cache):
    inputs, chain = cache
    grad = dout
    while chain:                      # consumes the list it was given
        _, df = chain.pop()
        grad = grad * df(inputs[len(chain)])
    return grad


def forward_that_empties_the_chain(x, chain):
    cache_chain = list(chain)
    y, inputs = x, []
    while chain:
        function, _ = chain.pop(0)
        inputs.append(y)
        y = function(y)
    return y, (inputs, cache_chain)


def test_a_learner_who_changes_the_chain_harms_no_later_check(sol):
    """The checks hand out copies of their chains: code that empties the list it was given (right
    values, as a kernel session may hold) leaves every later check of that session as it was."""
    for hidden in (False, True):
        try:
            check.chain_backward(backward_that_empties_the_chain, hidden=hidden)
        except check.CheckFailed:
            pass
        try:
            check.chain_forward(forward_that_empties_the_chain, hidden=hidden)
        except check.CheckFailed:
            pass
        check.chain_backward(sol.chain_backward, hidden=hidden)
        check.chain_forward(sol.chain_forward, hidden=hidden)
    assert [len(c) for c in (check.CHAIN_ABC, check.CHAIN_MIXED, check.CHAIN_FOUR, check.CHAIN_HIDDEN,
                             check.CHAIN_TWO)] == [3, 3, 4, 4, 2]
