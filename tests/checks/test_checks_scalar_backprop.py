"""Do the checks of 03_scalar_backprop pass the solution and name every planted mistake?

Each planted mistake is a plausible wrong answer written out here (loops, as a learner writes
them); the test asserts the key of the diagnosis, so a check that fails for the wrong reason fails
here.  Expected numbers come from closed forms or from CS231n's printed values, never from the code
under test.
"""
import re

import numpy as np
import pytest

import nbedit
from autograder import CheckFailed
from autograder.checks import scalar_backprop as check
from conftest import assert_solution_passes, assert_stubs_not_implemented, load_solution, solution_path

NB = "03_scalar_backprop"


def _exercise_hints():
    """{part key: {hint numbers}} from the `<b>Hint N</b>` blocks of each exercise's markdown cell."""
    found = {}
    for cell in nbedit.read(solution_path(NB))["cells"]:
        text = "".join(cell["source"])
        heading = re.search(r"^### Exercise (\d+) \(", text, re.M)
        if cell["cell_type"] == "markdown" and heading:
            key = check.EXERCISES.keys[int(heading.group(1)) - 1]
            found[key] = {int(n) for n in re.findall(r"<b>Hint (\d+)</b>", text)}
    return found


HINTS = _exercise_hints()


def fails_with(key, check_fn, *fns, **kwargs):
    """The check fails with ``key``; the hint its message points to exists in the exercise's markdown."""
    with pytest.raises(CheckFailed) as info:
        check_fn(*fns, quiet=True, **kwargs)
    err = info.value
    assert err.key == key or key in err.keys.values(), f"expected mistake {key!r}, got {err.key!r}: {err}"
    part = check_fn.exercise
    if err.hint is not None:
        assert err.hint in HINTS[part], f"{part}: the message points to hint {err.hint}, which the notebook lacks"
        assert str(err).rstrip().endswith("above.") and f"see hint {err.hint} of Exercise" in str(err)
    return str(err)


@pytest.fixture(scope="module")
def sol():
    return load_solution(NB)


def sig(u):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(u, dtype=np.float64)))


def dsig(u):
    return sig(u) * (1 - sig(u))


def soft(u):
    e = np.exp(u - np.max(u))
    return e / e.sum()


def solution_args(sol):
    return {
        "sigmoid_neuron": (sol.sigmoid_neuron,),
        "forward_loops": (sol.forward_loops,),
        "loss": (sol.loss,),
        "delta_identity_mse": (sol.delta_identity_mse,),
        "delta_sigmoid_mse": (sol.delta_sigmoid_mse,),
        "delta_softmax_ce": (sol.delta_softmax_ce,),
        "layer_backward": (sol.layer_backward,),
        "hidden_delta": (sol.hidden_delta,),
        "backward_loops": (sol.forward_loops, sol.backward_loops),
        "batch_gradients": (sol.forward_loops, sol.loss, sol.batch_gradients),
        "dz_from_deltas": (sol.dz_from_deltas,),
    }


def test_points_total_17(sol):
    assert sum(p["points"] for p in check.EXERCISES.parts) == 17
    assert len(check.EXERCISES.parts) == 11


@pytest.mark.parametrize("hidden", [False, True])
def test_solution_passes_every_check(sol, hidden, capsys):
    assert_solution_passes(check, solution_args(sol), hidden, capsys)


def test_stubs_are_reported_as_not_implemented(sol):
    assert_stubs_not_implemented(check, solution_args(sol))


# --- 1. one neuron ------------------------------------------------------------------------------------

def test_solution_reproduces_cs231n_numbers(sol):
    """CS231n lecture 4: w = (2, -3), b = -3, x = (-1, -2): f = 0.73, dw = (-0.20, -0.39), db = 0.20,
    dx = (0.39, -0.59); delta = sigma'(1) = 0.1966."""
    y, delta, dw, db, dx = sol.sigmoid_neuron(np.array([-1.0, -2.0]), np.array([2.0, -3.0]), -3.0, 1.0)
    assert round(float(y), 2) == 0.73 and round(float(delta), 4) == 0.1966
    np.testing.assert_allclose(dw, [-0.20, -0.39], atol=5e-3)
    np.testing.assert_allclose(dx, [0.39, -0.59], atol=5e-3)
    assert round(float(db), 2) == 0.20


def _neuron(delta_of, swap=False, bias_x=False):
    def sigmoid_neuron(x, w, b, dE_dy=1.0):
        u = b
        for p in range(len(x)):
            u = u + x[p] * w[p]
        y = sig(u)
        d = delta_of(y, dE_dy)
        dw, dx = (w * d, x * d) if swap else (x * d, w * d)
        return y, d, dw, (x[-1] * d if bias_x else d), dx
    return sigmoid_neuron


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("planted, key", [
    (_neuron(lambda y, g: g), "missing_activation_derivative"),
    (_neuron(lambda y, g: g * dsig(y)), "derivative_at_output"),
    (_neuron(lambda y, g: g * y * (1 - y), swap=True), "dw_dx_swapped"),
    (_neuron(lambda y, g: y * (1 - y)), "ignores_upstream"),
    (_neuron(lambda y, g: g * y * (1 - y), bias_x=True), "bias_gradient_includes_input"),
    (lambda x, w, b, dE_dy=1.0: (0.5, 0.1, x, 0.1), "bad_return"),
    (lambda x, w, b, dE_dy=1.0: _neuron(lambda y, g: g * y * (1 - y))(x[:2], w[:2], b, dE_dy), "fixed_input_count"),
])
def test_sigmoid_neuron_mistakes(planted, key, hidden):
    fails_with(key, check.sigmoid_neuron, planted, hidden=hidden)


def test_neuron_check_prints_the_seed_numbers_side_by_side(sol, capsys):
    check.sigmoid_neuron(sol.sigmoid_neuron)
    out = capsys.readouterr().out
    assert "seed note 004" in out and "CS231n slides" in out and "(0.39, -0.59)" in out
    assert "(0.3932, -0.5898)" in out                       # the learner's numbers, unrounded


def test_neuron_failure_shows_the_table_too():
    message = fails_with("missing_activation_derivative", check.sigmoid_neuron, _neuron(lambda y, g: g))
    assert "the sigmoid's derivative" in message and "CS231n slides" in message and "yours" in message


# --- 2. forward ------------------------------------------------------------------------------------

def forward_variant(kind=None):
    """forward_loops as a learner writes it, with one planted mistake."""
    def forward_loops(x, W1, b1, W2, b2, output="identity"):
        l, m = W1.shape
        n = W2.shape[1]
        u_hidden, y_hidden, u_out, y_out = np.zeros(m), np.zeros(m), np.zeros(n), np.zeros(n)
        for j in range(m - 1 if kind == "skip_last_j" else m):
            u_hidden[j] = 0.0 if kind in ("no_bias", "bias_in_loop") else b1[j]
            for p in range(l):
                if kind == "overwrite":
                    u_hidden[j] = x[p] * W1[p, j] + b1[j]
                elif kind == "bias_in_loop":
                    u_hidden[j] += x[p] * W1[p, j] + b1[j]
                else:
                    u_hidden[j] += x[p] * (W1[j, p] if kind == "transposed" else W1[p, j])
            y_hidden[j] = u_hidden[j] if kind == "no_hidden_activation" else sig(u_hidden[j])
        for k in range(1 if kind == "skip_first_k" else 0, n):
            u_out[k] = b2[k]
            for q in range(m):
                u_out[k] += (u_hidden[q] if kind == "u_not_y" else y_hidden[q]) * W2[q, k]
        if output == "softmax":
            y_out[:] = sig(u_out) if kind == "softmax_elementwise" else soft(u_out)
        elif output == "sigmoid" or kind == "identity_activated":
            y_out[:] = u_out if kind == "sigmoid_missing" else sig(u_out)
        else:
            y_out[:] = u_out
        cache = dict(x=x, W1=W1, W2=W2, u_hidden=u_hidden, y_hidden=y_hidden, u_out=u_out, y_out=y_out,
                     output=output)
        return y_out, cache
    return forward_loops


def forward_wrong_bound(x, W1, b1, W2, b2, output="identity"):
    """Sums the input layer over range(m): right when l == m, an IndexError otherwise."""
    y, cache = forward_variant()(x, W1, b1, W2, b2, output)
    m = W1.shape[1]
    for j in range(m):
        cache["u_hidden"][j] = b1[j] + sum(x[p] * W1[p, j] for p in range(m))
    return y, cache


def test_planted_forward_without_mistake_passes():
    check.forward_loops(forward_variant(), quiet=True)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("kind, key", [
    ("skip_last_j", "neuron_skipped"),
    ("skip_first_k", "neuron_skipped"),
    ("no_bias", "missing_bias"),
    ("overwrite", "sum_overwritten"),
    ("bias_in_loop", "bias_added_per_input"),
    ("transposed", "transposed_weight_index"),
    ("no_hidden_activation", "missing_hidden_activation"),
    ("u_not_y", "used_u_not_y"),
    ("softmax_elementwise", "softmax_as_elementwise"),
])
def test_forward_mistakes(kind, key, hidden):
    fails_with(key, check.forward_loops, forward_variant(kind), hidden=hidden)


@pytest.mark.parametrize("kind, key", [
    ("identity_activated", "identity_output_activated"),
    ("sigmoid_missing", "missing_output_activation"),
])
def test_forward_output_activation_mistakes(kind, key):
    fails_with(key, check.forward_loops, forward_variant(kind))


def test_forward_messages_name_the_neuron_and_the_index():
    message = fails_with("neuron_skipped", check.forward_loops, forward_variant("skip_last_j"))
    assert "u_hidden[3] is all zero" in message and "range(m - 1)" in message
    message = fails_with("neuron_skipped", check.forward_loops, forward_variant("skip_first_k"))
    assert "output neuron k = 0" in message and "range(1, n)" in message
    message = fails_with("transposed_weight_index", check.forward_loops, forward_variant("transposed"))
    assert "W[p, j]" in message


def test_wrong_loop_bound_is_named_on_the_non_square_case():
    message = fails_with("index_out_of_range", check.forward_loops, forward_wrong_bound)
    assert "square" in message and "IndexError" in message and "i in range(l)" in message


def test_forward_that_replaces_the_cache_is_told_to_keep_it():
    fails_with("cache_format", check.forward_loops, lambda x, W1, b1, W2, b2, output="identity": (np.zeros(3), {}))


def test_forward_that_writes_into_its_inputs_is_caught():
    def forward_in_place(x, W1, b1, W2, b2, output="identity"):
        x *= 1.0
        b1 += 0.0
        W1[0, 0] += 1.0
        return forward_variant()(x, W1, b1, W2, b2, output)
    fails_with("mutated_input", check.forward_loops, forward_in_place)


# --- 3. loss ---------------------------------------------------------------------------------------

def _loss(mse, ce):
    return lambda y, t, output: ce(y, t) if output == "softmax" else mse(y, t)


GOOD_MSE = lambda y, t: 0.5 * np.sum((y - t) ** 2)  # noqa: E731
GOOD_CE = lambda y, t: -np.sum(t * np.log(y))       # noqa: E731


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("planted, key", [
    (_loss(lambda y, t: np.sum((y - t) ** 2), GOOD_CE), "missing_half"),
    (_loss(lambda y, t: 0.5 * np.mean((y - t) ** 2), GOOD_CE), "mean_not_sum"),
    (_loss(lambda y, t: 0.5 * np.sum(y - t), GOOD_CE), "not_squared"),
    (_loss(lambda y, t: 0.5 * (y - t) ** 2, GOOD_CE), "not_summed"),
    (_loss(GOOD_MSE, lambda y, t: np.sum(t * np.log(y))), "cross_entropy_sign"),
    (_loss(GOOD_MSE, lambda y, t: -np.sum(t * np.log(y) + (1 - t) * np.log(1 - y))), "binary_cross_entropy"),
    (lambda y, t, output: GOOD_MSE(y, t), "squared_error_for_softmax"),
])
def test_loss_mistakes(planted, key, hidden):
    fails_with(key, check.loss, planted, hidden=hidden)


# --- 4-6. output deltas ------------------------------------------------------------------------------

def looped(formula):
    """A learner's delta function: the formula applied neuron by neuron."""
    def delta(u, y, t):
        out = np.zeros(len(y))
        for k in range(len(y)):
            out[k] = formula(u, y, t, k)
        return out
    return delta


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("planted, key", [
    (looped(lambda u, y, t, k: t[k] - y[k]), "sign_of_error_flipped"),
    (looped(lambda u, y, t, k: 2 * (y[k] - t[k])), "missing_half_cancel"),
    (looped(lambda u, y, t, k: (y[k] - t[k]) * y[k] * (1 - y[k])), "identity_has_derivative_1"),
    (looped(lambda u, y, t, k: (y[k] - t[k]) * dsig(u[k])), "identity_has_derivative_1"),
    (looped(lambda u, y, t, k: 0.5 * (y[k] - t[k]) ** 2), "error_not_delta"),
])
def test_delta_identity_mistakes(planted, key, hidden):
    fails_with(key, check.delta_identity_mse, planted, hidden=hidden)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("planted, key", [
    (looped(lambda u, y, t, k: y[k] - t[k]), "sigmoid_pair_without_derivative"),
    (looped(lambda u, y, t, k: (y[k] - t[k]) * dsig(y[k])), "derivative_at_output"),
    (looped(lambda u, y, t, k: (t[k] - y[k]) * y[k] * (1 - y[k])), "sign_of_error_flipped"),
    (looped(lambda u, y, t, k: (y[k] - t[k]) * y[k]), "missing_one_minus"),
])
def test_delta_sigmoid_mistakes(planted, key, hidden):
    fails_with(key, check.delta_sigmoid_mse, planted, hidden=hidden)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("planted, key", [
    (looped(lambda u, y, t, k: -t[k] / y[k] * y[k] * (1 - y[k])), "softmax_as_elementwise"),
    (looped(lambda u, y, t, k: (y[k] - t[k]) * y[k] * (1 - y[k])), "softmax_as_elementwise"),
    (looped(lambda u, y, t, k: -t[k] / y[k]), "missing_softmax_jacobian"),
    (looped(lambda u, y, t, k: t[k] - y[k]), "sign_of_error_flipped"),
])
def test_delta_softmax_mistakes(planted, key, hidden):
    fails_with(key, check.delta_softmax_ce, planted, hidden=hidden)


def test_delta_messages_name_the_pair():
    message = fails_with("sigmoid_pair_without_derivative", check.delta_sigmoid_mse,
                         looped(lambda u, y, t, k: y[k] - t[k]))
    assert "y_k (1 - y_k) is missing" in message
    message = fails_with("softmax_as_elementwise", check.delta_softmax_ce,
                         looped(lambda u, y, t, k: -t[k] * (1 - y[k])))
    assert "softmax treated as elementwise" in message and "y_k - t_k" in message
    message = fails_with("derivative_at_output", check.delta_sigmoid_mse,
                         looped(lambda u, y, t, k: (y[k] - t[k]) * dsig(y[k])))
    assert "sigma'(y_k)" in message and "at u_k" in message


# --- 7. layer_backward -----------------------------------------------------------------------------

def layer_variant(kind=None):
    def layer_backward(delta, y_in, W):
        m, n = W.shape
        dy_in, dW, db = np.zeros(m), np.zeros((m, n)), np.zeros(n)
        for k in range(n - 1 if kind == "range_n_minus_1" else n):
            db[k] = delta[k]
            for j in range(m):
                dW[j, k] = (1.0 if kind == "dW_no_input" else y_in[j]) * delta[k]
                if kind == "db_times_y":
                    db[k] = y_in[j] * delta[k]
        for j in range(m):
            for r in range(n):
                if kind == "overwrite":
                    dy_in[j] = delta[r] * W[j, r]
                elif kind == "r_is_0":
                    dy_in[j] = delta[0] * W[j, 0]
                elif kind == "r_is_j":
                    dy_in[j] = delta[j] * W[j, j]
                elif kind == "transposed":
                    dy_in[j] += delta[r] * W[r, j]
                elif kind == "no_weight":
                    dy_in[j] += delta[r]
                else:
                    dy_in[j] += delta[r] * W[j, r]
        if kind == "seed_order":
            return dW, db, dy_in
        if kind == "dW_transposed":
            return dy_in, dW.T.copy(), db
        return dy_in, dW, db
    return layer_backward


def test_planted_layer_without_mistake_passes():
    check.layer_backward(layer_variant(), quiet=True)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("kind, key", [
    ("range_n_minus_1", "neuron_skipped"),
    ("db_times_y", "bias_gradient_includes_input"),
    ("overwrite", "missing_sum_over_next_layer"),
    ("r_is_0", "missing_sum_over_next_layer"),
    ("r_is_j", "missing_sum_over_next_layer"),
    ("transposed", "transposed_weight_index"),
    ("no_weight", "missing_weight"),
    ("dW_no_input", "dW_missing_input"),
    ("seed_order", "gradient_order"),
    ("dW_transposed", "dW_indices_swapped"),
])
def test_layer_backward_mistakes(kind, key, hidden):
    fails_with(key, check.layer_backward, layer_variant(kind), hidden=hidden)


def test_layer_messages():
    message = fails_with("missing_sum_over_next_layer", check.layer_backward, layer_variant("overwrite"))
    assert "sums over ALL n neurons" in message and "+=" in message
    message = fails_with("transposed_weight_index", check.layer_backward, layer_variant("transposed"))
    assert "W[r, j]" in message
    message = fails_with("neuron_skipped", check.layer_backward, layer_variant("range_n_minus_1"))
    assert "dW[:, 3] is all zero" in message and "range(n - 1)" in message and "db[3]" in message
    message = fails_with("bias_gradient_includes_input", check.layer_backward, layer_variant("db_times_y"))
    assert "db_k = delta_k" in message


def test_transposed_index_is_named_even_if_the_square_case_were_skipped():
    """With W non-square the transposed index raises IndexError; the check never reports that
    IndexError raw: the square case runs first and names the mistake from its values."""
    message = fails_with("transposed_weight_index", check.layer_backward, layer_variant("transposed"))
    assert "IndexError" not in message


def test_wrong_size_in_layer_backward_is_named():
    def loops_over_n_for_inputs(delta, y_in, W):
        m, n = W.shape
        dy_in, dW, db = layer_variant()(delta, y_in, W)
        for j in range(n):                         # j should run over range(m)
            dy_in[j] = sum(delta[r] * W[j, r] for r in range(m))
        return dy_in, dW, db
    fails_with("index_out_of_range", check.layer_backward, loops_over_n_for_inputs)


# --- 8. hidden_delta -----------------------------------------------------------------------------------

@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("planted, key", [
    (lambda dy, u, y: dy, "missing_activation_derivative"),
    (lambda dy, u, y: dy * dsig(y), "derivative_at_output"),
    (lambda dy, u, y: dy * y, "missing_one_minus"),
    (lambda dy, u, y: dy * (1 - y), "missing_one_minus"),
    (lambda dy, u, y: y * (1 - y), "ignores_upstream"),
    (lambda dy, u, y: -dy * y * (1 - y), "sign_flipped"),
])
def test_hidden_delta_mistakes(planted, key, hidden):
    fails_with(key, check.hidden_delta, planted, hidden=hidden)


def test_derivative_at_output_message():
    message = fails_with("derivative_at_output", check.hidden_delta, lambda dy, u, y: dy * dsig(y))
    assert "sigma'(y_j)" in message and "at u_j" in message


# --- 9. backward_loops -------------------------------------------------------------------------------

GOOD_LAYER = layer_variant()


def backward_variant(kind=None):
    def backward_loops(delta_out, cache):
        y_in = {"u_in": cache["u_hidden"]}.get(kind, cache["y_hidden"])
        dy_hidden, dW2, db2 = GOOD_LAYER(delta_out, y_in, cache["W2"])
        u, y = cache["u_hidden"], cache["y_hidden"]
        local = {"no_derivative": np.ones_like(u), "at_output": dsig(y), "u_as_y": u * (1 - u)}.get(kind, y * (1 - y))
        dx, dW1, db1 = GOOD_LAYER(dy_hidden * local, cache["x"], cache["W1"])
        if kind == "layer_order":
            return dW1, db1, dW2, db2, dx
        return dx, dW1, db1, dW2, db2
    return backward_loops


def test_planted_backward_without_mistake_passes():
    check.backward_loops(forward_variant(), backward_variant(), quiet=True)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("kind, key", [
    ("u_in", "used_u_not_y"),
    ("no_derivative", "missing_activation_derivative"),
    ("at_output", "derivative_at_output"),
    ("u_as_y", "u_as_y"),
    ("layer_order", "gradient_order"),
])
def test_backward_mistakes(kind, key, hidden):
    fails_with(key, check.backward_loops, forward_variant(), backward_variant(kind), hidden=hidden)


def test_backward_with_a_wrong_forward_points_to_exercise_2():
    message = fails_with("forward_wrong", check.backward_loops, forward_variant("no_bias"), backward_variant())
    assert "Exercise 2" in message


def test_backward_failure_points_to_a_helper_that_failed():
    check.forward_loops(forward_variant(), quiet=True)                  # the other helpers pass
    check.layer_backward(layer_variant(), quiet=True)
    fails_with("derivative_at_output", check.hidden_delta, lambda dy, u, y: dy * dsig(y))
    message = fails_with("derivative_at_output", check.backward_loops, forward_variant(),
                         backward_variant("at_output"))
    assert "builds on hidden_delta, whose check has not passed yet" in message
    check.hidden_delta(lambda dy, u, y: dy * y * (1 - y), quiet=True)   # fixed: no note any more
    message = fails_with("derivative_at_output", check.backward_loops, forward_variant(),
                         backward_variant("at_output"))
    assert "builds on" not in message


# --- 10. batch_gradients -------------------------------------------------------------------------------

def _sample(x, t, W1, b1, W2, b2, output, same_delta=False):
    y, cache = forward_variant()(x, W1, b1, W2, b2, output)
    E = GOOD_MSE(y, t) if output != "softmax" else GOOD_CE(y, t)
    if output == "sigmoid" and not same_delta:
        d = (y - t) * y * (1 - y)
    else:
        d = y - t
    return E, backward_variant()(d, cache)[1:]


def batch_variant(kind=None):
    def batch_gradients(X, T, W1, b1, W2, b2, output):
        N = X.shape[0]
        L, grads = 0.0, [np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)]
        for s in range(N):
            E, gs = _sample(X[s], T[s], W1, b1, W2, b2, output, same_delta=kind == "y_minus_t")
            L = E if kind == "overwrite" else L + E
            for a, g in zip(grads, gs):
                if kind == "overwrite":
                    a[...] = g
                else:
                    a += g
        if kind == "sum":
            return (L,) + tuple(grads)
        if kind == "sum_grads_only":
            return (L / N,) + tuple(grads)
        return (L / N,) + tuple(a / N for a in grads)
    return batch_gradients


def test_planted_batch_without_mistake_passes(sol):
    check.batch_gradients(sol.forward_loops, sol.loss, batch_variant(), quiet=True)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("kind, key", [
    ("overwrite", "not_accumulated"),
    ("sum", "L_summed"),
    ("sum_grads_only", "scaled_N"),
    ("y_minus_t", "delta_ignores_pair"),
])
def test_batch_mistakes(sol, kind, key, hidden):
    fails_with(key, check.batch_gradients, sol.forward_loops, sol.loss, batch_variant(kind), hidden=hidden)


def test_batch_gradient_overwritten_is_named_even_with_the_right_L(sol):
    def grads_overwritten(X, T, W1, b1, W2, b2, output):
        L = batch_variant()(X, T, W1, b1, W2, b2, output)[0]
        return (L,) + batch_variant("overwrite")(X, T, W1, b1, W2, b2, output)[1:]
    message = fails_with("not_accumulated", check.batch_gradients, sol.forward_loops, sol.loss, grads_overwritten)
    assert "dW += ..." in message


def test_batch_check_judges_batch_gradients_by_its_own_values(sol):
    """The gradients are compared with finite differences of the course's own forward pass and
    error, which the learner's L has matched first (no call of the learner's forward per finite
    difference: thousands of round trips in trusted grading).  So a right batch_gradients passes
    beside a broken forward passed in (forward_loops' own check fails that one), and gradients of
    another network (no hidden bias) under the right L fail."""
    check.batch_gradients(forward_variant("no_bias"), sol.loss, batch_variant(), quiet=True)

    def other_network(X, T, W1, b1, W2, b2, output):
        L = batch_variant()(X, T, W1, b1, W2, b2, output)[0]
        return (L,) + batch_variant()(X, T, W1, np.zeros_like(b1), W2, b2, output)[1:]
    with pytest.raises(AssertionError):
        check.batch_gradients(sol.forward_loops, sol.loss, other_network, quiet=True)


# --- the loops against matrix products (the conventions notebook 04 shares) -----------------------------

def test_loop_network_matches_matrix_products(sol):
    """forward_loops / backward_loops / batch_gradients equal the batch-row formulas of notebook 04:
    z1 = X @ W1 + b1, h1 = sigmoid(z1), z2 = h1 @ W2 + b2; L = mean over rows of 1/2 sum (y - t)^2;
    dz2 = (y - T) / N; dW2 = h1.T @ dz2, db2 = dz2.sum(0), dh1 = dz2 @ W2.T; dz1 = dh1 h1 (1 - h1)."""
    rng = np.random.default_rng(5)
    N, l, m, n = 6, 4, 5, 3
    X, T = rng.standard_normal((N, l)), rng.standard_normal((N, n))
    W1, b1, W2, b2 = rng.standard_normal((l, m)), rng.standard_normal(m), rng.standard_normal((m, n)), rng.standard_normal(n)
    z1 = X @ W1 + b1
    h1 = sig(z1)
    y = h1 @ W2 + b2
    L = np.mean(0.5 * np.sum((y - T) ** 2, axis=1))
    dz2 = (y - T) / N
    dh1 = dz2 @ W2.T
    dz1 = dh1 * h1 * (1 - h1)
    expected = [L, X.T @ dz1, dz1.sum(axis=0), h1.T @ dz2, dz2.sum(axis=0)]
    got = sol.batch_gradients(X, T, W1, b1, W2, b2, "identity")
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)
    # one sample, N = 1: the deltas are the batch gradients, dx = dz1 @ W1.T
    yy, cache = sol.forward_loops(X[0], W1, b1, W2, b2, "identity")
    dx = sol.backward_loops(yy - T[0], cache)[0]
    np.testing.assert_allclose(dx, N * dz1[0] @ W1.T, rtol=1e-10)


# --- hints: every exercise has three, and the checks cite no other ---------------------------------

def test_every_exercise_has_hints_1_to_3_and_the_checks_cite_no_other():
    """Each exercise's markdown holds hints 1, 2, 3 (a nudge, the index or shape argument, the formula);
    every `hint=N` the checks module writes is one of them."""
    assert set(HINTS) == set(check.EXERCISES.keys)
    for key, numbers in HINTS.items():
        assert numbers == {1, 2, 3}, (key, numbers)
    source = open(check.__file__, encoding="utf-8").read()
    assert {int(n) for n in re.findall(r"\bhint=(\d+)", source)} <= {1, 2, 3}
    assert {int(n) for mapping in re.findall(r"_HINTS = \{([^}]*)\}", source)
            for n in re.findall(r":\s*(\d+)", mapping)} <= {1, 2, 3}


def test_a_named_mistake_points_to_its_hint():
    message = fails_with("derivative_at_output", check.hidden_delta, lambda dy, u, y: dy * dsig(y))
    assert message.rstrip().endswith("see hint 2 of Exercise 8 (Hidden delta from the gradient sent back) above.")


# --- inputs that are not kind: integer inputs, inputs left unchanged, saturated neurons -----------------

def _neuron_from(zeros, sig_fn=sig):
    def sigmoid_neuron(x, w, b, dE_dy=1.0):
        u = b
        for p in range(len(x)):
            u = u + x[p] * w[p]
        y = sig_fn(u)
        delta = dE_dy * y * (1 - y)
        dw, dx = zeros(x), zeros(w)
        for p in range(len(x)):
            dw[p] = x[p] * delta
            dx[p] = w[p] * delta
        return y, delta, dw, delta, dx
    return sigmoid_neuron


def test_neuron_with_integer_inputs_and_a_saturated_neuron():
    """CS231n's integer inputs: a float array of zeros passes, np.zeros_like(x) truncates the gradients;
    a sigmoid written with exp(-u) overflows at u = -800."""
    check.sigmoid_neuron(_neuron_from(lambda a: np.zeros(len(a))), quiet=True)
    fails_with("integer_dtype", check.sigmoid_neuron, _neuron_from(np.zeros_like))
    naive = _neuron_from(lambda a: np.zeros(len(a)), sig_fn=lambda u: 1.0 / (1.0 + np.exp(-u)))
    message = fails_with("unstable_sigmoid", check.sigmoid_neuron, naive)
    assert "u = -800" in message
    # the hidden half's saturated neuron sits at u = +850, where the other hand-written form overflows
    other = _neuron_from(lambda a: np.zeros(len(a)), sig_fn=lambda u: np.exp(u) / (1.0 + np.exp(u)))
    message = fails_with("unstable_sigmoid", check.sigmoid_neuron, other, hidden=True)
    assert "u = 850" in message


def test_neuron_gradients_without_delta_are_named():
    def dx_without_delta(x, w, b, dE_dy=1.0):
        y, d, dw, db, dx = _neuron_from(lambda a: np.zeros(len(a)))(x, w, b, dE_dy)
        return y, d, dw, db, np.asarray(w, dtype=float)
    fails_with("missing_delta", check.sigmoid_neuron, dx_without_delta)


def test_forward_softmax_inside_the_loop_and_unstable_activations_are_named():
    def softmax_in_loop(x, W1, b1, W2, b2, output="identity"):
        y, cache = forward_variant()(x, W1, b1, W2, b2, output)
        if output == "softmax":
            u = cache["u_out"]
            for k in range(len(u)):
                partial = np.where(np.arange(len(u)) <= k, u, 0.0)
                cache["y_out"][k] = soft(partial)[k]
        return cache["y_out"], cache

    def by_hand(x, W1, b1, W2, b2, output="identity"):
        l, m = W1.shape
        n = W2.shape[1]
        u1 = np.array([b1[j] + sum(x[p] * W1[p, j] for p in range(l)) for j in range(m)])
        y1 = 1 / (1 + np.exp(-u1))
        u2 = np.array([b2[k] + sum(y1[q] * W2[q, k] for q in range(m)) for k in range(n)])
        y2 = {"identity": u2, "sigmoid": 1 / (1 + np.exp(-u2)), "softmax": np.exp(u2) / np.sum(np.exp(u2))}[output]
        return y2, dict(x=x, W1=W1, W2=W2, u_hidden=u1, y_hidden=y1, u_out=u2, y_out=y2, output=output)
    fails_with("softmax_before_all_u", check.forward_loops, softmax_in_loop)
    for hidden in (False, True):
        message = fails_with("unstable_activation", check.forward_loops, by_hand, hidden=hidden)
        assert "saturated network" in message


def test_saturated_networks_reach_both_signs_in_both_layers():
    """The saturated case overflows a hand-written exp whichever sign it has, in either layer."""
    from autograder.checks.scalar_backprop import _net
    for hidden in (False, True):
        case = check.saturated_case(hidden)
        u1, _, u2, _ = _net(*case[:5], "identity")
        assert u1.min() < -750 < 750 < u1.max() and u2.min() < -750 < 750 < u2.max(), (u1, u2)
        sizes = (case[1].shape[0], case[1].shape[1], case[3].shape[1])
        assert len(set(sizes)) == 3, sizes


def test_a_hand_written_hidden_sigmoid_alone_is_named():
    def hidden_by_hand(x, W1, b1, W2, b2, output="identity"):
        y, cache = forward_variant()(x, W1, b1, W2, b2, output)
        cache["y_hidden"][:] = 1 / (1 + np.exp(-cache["u_hidden"]))
        return y, cache
    for hidden in (False, True):
        fails_with("unstable_activation", check.forward_loops, hidden_by_hand, hidden=hidden)


def test_forward_cases_differ_in_every_size_and_cover_every_output():
    for hidden in (False, True):
        cases = check.forward_cases(hidden)
        assert sorted(c[6] for c in cases) == ["identity", "sigmoid", "softmax"]
        shapes = [(c[1].shape[0], c[1].shape[1], c[3].shape[1]) for c in cases]
        assert len(set(shapes[0])) == 1                                  # the square case first
        for shape in shapes[1:]:
            assert len(set(shape)) == 3, shape                          # l, m, n all differ
        assert len({s[0] for s in shapes[1:]}) == 2                      # l differs between them


def test_loss_mistakes_on_the_sigmoid_branch_and_in_place():
    def ce_unless_identity(y, t, output):
        return GOOD_MSE(y, t) if output == "identity" else GOOD_CE(y, t)

    def y_minus_t_in_place(y, t, output):
        if output == "softmax":
            return GOOD_CE(y, t)
        y -= t
        return 0.5 * np.sum(y ** 2)
    message = fails_with("cross_entropy_for_sigmoid", check.loss, ce_unless_identity)
    assert "output='sigmoid'" in message
    fails_with("mutated_input", check.loss, y_minus_t_in_place)
    fails_with("squared_before_sum", check.loss, _loss(lambda y, t: 0.5 * np.sum(y - t) ** 2, GOOD_CE))


def _aliased(formula):
    """A delta function that writes into y through `delta = y` (right numbers, y changed)."""
    def delta(u, y, t):
        out = y
        for k in range(len(y)):
            out[k] = formula(u, y, t, k)
        return out
    return delta


def _zeros_like_t(formula):
    def delta(u, y, t):
        out = np.zeros_like(t)
        for k in range(len(y)):
            out[k] = formula(u, y, t, k)
        return out
    return delta


@pytest.mark.parametrize("check_fn, formula", [
    (check.delta_identity_mse, lambda u, y, t, k: y[k] - t[k]),
    (check.delta_sigmoid_mse, lambda u, y, t, k: (y[k] - t[k]) * y[k] * (1 - y[k])),
    (check.delta_softmax_ce, lambda u, y, t, k: y[k] - t[k]),
])
def test_delta_functions_keep_their_inputs_and_start_from_floats(check_fn, formula):
    check_fn(looped(formula), quiet=True)
    message = fails_with("mutated_input", check_fn, _aliased(formula))
    assert "argument y in place" in message and "delta = y" in message
    fails_with("integer_dtype", check_fn, _zeros_like_t(formula))


def test_delta_sigmoid_u_as_y_and_overflow():
    fails_with("u_as_y", check.delta_sigmoid_mse, looped(lambda u, y, t, k: (y[k] - t[k]) * u[k] * (1 - u[k])))
    by_exp = looped(lambda u, y, t, k: (y[k] - t[k]) * np.exp(-u[k]) / (1 + np.exp(-u[k])) ** 2)
    for hidden in (False, True):
        fails_with("unstable_sigmoid", check.delta_sigmoid_mse, by_exp, hidden=hidden)


def _double_loop(subtract_r=False, skip_zero=False):
    def delta_softmax_ce(u, y, t):
        n = len(y)
        delta = np.zeros(n)
        for k in range(n):
            for r in range(n):
                if skip_zero and t[r] == 0:
                    continue
                minus = y[r] if subtract_r else y[k]
                delta[k] += -t[r] / y[r] * y[r] * ((1.0 if r == k else 0.0) - minus)
        return delta
    return delta_softmax_ce


def test_softmax_double_loop_passes_ordinary_inputs_but_not_an_underflowed_class():
    """Written literally, the derivation divides by y_r: right on the two ordinary cases, nan and a
    warning where the true class's probability underflows to 0 (named, visible and hidden)."""
    for hidden in (False, True):
        message = fails_with("unstable_double_loop", check.delta_softmax_ce, _double_loop(), hidden=hidden)
        assert "y_k - t_k" in message
    fails_with("jacobian_index_slip", check.delta_softmax_ce, _double_loop(subtract_r=True, skip_zero=True))


def test_layer_loop_bound_and_integer_inputs():
    def j_over_n(delta, y_in, W):
        m, n = W.shape
        dy_in, dW, db = layer_variant()(delta, y_in, W)
        dy_in = np.zeros(m)
        for j in range(min(n, m)):
            for r in range(n):
                dy_in[j] += delta[r] * W[j, r]
        return dy_in, dW, db

    def zeros_like_input(delta, y_in, W):
        dy_in, dW, db = layer_variant()(delta, y_in, W)
        out = np.zeros_like(y_in)
        out[:] = dy_in
        return out, dW, db
    message = fails_with("wrong_loop_bound", check.layer_backward, j_over_n)
    assert "dy_in[3:] is all zero" in message and "range(n) = range(3)" in message and "range(m) = range(5)" in message
    message = fails_with("integer_dtype", check.layer_backward, zeros_like_input)
    assert "dy_in has integer dtype" in message


def test_layer_dW_with_swapped_indices_is_named():
    def swapped(delta, y_in, W):
        dy_in, dW, db = layer_variant()(delta, y_in, W)
        m, n = W.shape
        for j in range(min(m, n)):
            for k in range(min(m, n)):
                dW[j, k] = y_in[k] * delta[j]
        return dy_in, dW, db
    fails_with("dW_indices_swapped", check.layer_backward, swapped)


@pytest.mark.parametrize("hidden", [False, True])
def test_hidden_delta_mistakes_new(hidden):
    fails_with("u_as_y", check.hidden_delta, lambda dy, u, y: dy * u * (1 - u), hidden=hidden)
    fails_with("unstable_sigmoid_derivative", check.hidden_delta,
               lambda dy, u, y: dy * np.exp(-u) / (1 + np.exp(-u)) ** 2, hidden=hidden)

    def in_place(dy, u, y):
        dy *= y * (1 - y)
        return dy
    fails_with("mutated_input", check.hidden_delta, in_place, hidden=hidden)


def test_backward_loops_is_checked_on_every_output():
    """A backward pass that multiplies delta_out by the sigmoid's derivative once more is right for
    output='identity' and 'softmax' only: the sigmoid case names it."""
    def twice(delta_out, cache):
        if cache["output"] == "sigmoid":
            delta_out = delta_out * cache["y_out"] * (1 - cache["y_out"])
        return backward_variant()(delta_out, cache)
    for hidden in (False, True):
        message = fails_with("output_derivative_twice", check.backward_loops, forward_variant(), twice, hidden=hidden)
        assert "output='sigmoid'" in message


def test_backward_loops_that_edits_its_cache_is_caught():
    def edits(delta_out, cache):
        grads = backward_variant()(delta_out, cache)
        cache["y_hidden"] *= 1.0 + 1e-3
        return grads
    fails_with("mutated_cache", check.backward_loops, forward_variant(), edits)


def test_batch_cases_differ_in_N_and_in_every_size():
    for hidden in (False, True):
        cases = check.BATCH_CASES[hidden]
        assert sorted(c[0] for c in cases) == ["identity", "sigmoid", "softmax"]
        assert len({c[1] for c in cases}) == 3 and 4 not in {c[1] for c in cases[:1]}
        for _, *sizes in cases:
            assert len(set(sizes)) == 4, sizes


def test_batch_sample_loop_over_the_wrong_axis_is_named(sol):
    def wrong_N(X, T, W1, b1, W2, b2, output):
        N = X.shape[1]
        L, grads = 0.0, [np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)]
        for s in range(N):
            E, gs = _sample(X[s], T[s], W1, b1, W2, b2, output)
            L += E
            for a, g in zip(grads, gs):
                a += g
        return (L / N,) + tuple(a / N for a in grads)
    message = fails_with("sample_loop_bound", check.batch_gradients, sol.forward_loops, sol.loss, wrong_N)
    assert "X.shape[0] = 3" in message
    # the hidden half's first case has l < N: the mean over the first l samples is named too
    fails_with("sample_loop_bound", check.batch_gradients, sol.forward_loops, sol.loss, wrong_N, hidden=True)


def test_batch_that_edits_its_inputs_is_caught(sol):
    def edits(X, T, W1, b1, W2, b2, output):
        result = batch_variant()(X, T, W1, b1, W2, b2, output)
        W1 -= 0.1 * result[1]                      # a gradient step taken inside
        return result
    fails_with("mutated_input", check.batch_gradients, sol.forward_loops, sol.loss, edits)


# --- 11. dz_from_deltas --------------------------------------------------------------------------------

@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("planted, key", [
    (lambda d: d.copy(), "missing_1_over_N"),
    (lambda d: d * d.shape[0], "times_N"),
    (lambda d: d / d.shape[1], "divided_by_outputs"),
    (lambda d: d.mean(axis=0), "averaged_over_samples"),
    (lambda d: d.sum(axis=0), "summed_over_samples"),
    (lambda d: d.mean(axis=1), "wrong_shape"),
])
def test_dz_from_deltas_mistakes(planted, key, hidden):
    fails_with(key, check.dz_from_deltas, planted, hidden=hidden)


def test_dz_from_deltas_in_place_is_caught():
    def in_place(d):
        d /= d.shape[0]
        return d
    fails_with("mutated_input", check.dz_from_deltas, in_place)


def test_dz_is_the_finite_difference_gradient_of_the_batch_mean():
    """The check's expected dz = deltas / N, verified here against central differences of
    L = (1/N) sum_s E_s (sigmoid output, squared error) in every sample's u."""
    rng = np.random.default_rng(0)
    N, n = 4, 3
    U, T = rng.standard_normal((N, n)), rng.uniform(0.1, 0.9, (N, n))

    def L(V):
        return np.mean(0.5 * np.sum((sig(V) - T) ** 2, axis=1))
    h, numeric = 1e-6, np.zeros((N, n))
    for s in range(N):
        for k in range(n):
            e = np.zeros((N, n))
            e[s, k] = h
            numeric[s, k] = (L(U + e) - L(U - e)) / (2 * h)
    deltas = (sig(U) - T) * sig(U) * (1 - sig(U))
    np.testing.assert_allclose(deltas / N, numeric, rtol=1e-7, atol=1e-10)


# --- issue 18, round 2: classes of mistakes a blind catalog found, and their siblings ---------------

def _neuron_with(u_of=None, y_of=None, grads=None):
    """The solution's neuron with one slip: ``u_of(x, w, b)`` the pre-activation, ``y_of(u)`` the
    activation, ``grads(x, w, b, delta)`` -> (dw, db, dx)."""
    def sigmoid_neuron(x, w, b, dE_dy=1.0):
        xf, wf = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
        u = u_of(xf, wf, b) if u_of else float(np.dot(xf, wf) + b)
        y = y_of(u) if y_of else sig(u)
        delta = dE_dy * y * (1 - y)
        dw, db, dx = grads(xf, wf, b, delta) if grads else (xf * delta, delta, wf * delta)
        return y, delta, dw, db, dx
    return sigmoid_neuron


def _dw_dx_one_array(x, w, b, dE_dy=1.0):
    u = b
    for p in range(len(x)):
        u = u + x[p] * w[p]
    y = sig(u)
    delta = dE_dy * y * (1 - y)
    dw = dx = np.zeros(len(x))
    for p in range(len(x)):
        dw[p] = x[p] * delta
        dx[p] = w[p] * delta
    return y, delta, dw, delta, dx


def _loss_log_of_t(y, t, output):
    if output == "softmax":
        return -float(np.sum(np.asarray(y, dtype=float) * np.log(t)))
    return 0.5 * float(np.sum((np.asarray(y, dtype=float) - t) ** 2))


def _layer_dy_in_is_db(delta, y_in, W):
    m, n = W.shape
    dW = np.zeros((m, n))
    dy_in = db = np.zeros(n)                          # one array: right only in shape when m == n
    for k in range(n):
        db[k] = delta[k]
        for j in range(m):
            dW[j, k] = y_in[j] * delta[k]
    for j in range(m):
        for r in range(n):
            dy_in[j] += delta[r] * W[j, r]
    return dy_in, dW, db


def _backward_with(sol, hidden_input="x", upstream="dy", layer="hidden", weights="W1"):
    def backward_loops(delta_out, cache):
        dy_hidden, dW2, db2 = sol.layer_backward(delta_out, cache["y_hidden"], cache["W2"])
        dy = dy_hidden if upstream == "dy" else delta_out
        u, y = (cache["u_hidden"], cache["y_hidden"]) if layer == "hidden" else (cache["u_out"], cache["y_out"])
        delta_hidden = sol.hidden_delta(dy, u, y)
        dx, dW1, db1 = sol.layer_backward(delta_hidden, cache[hidden_input], cache[weights])
        return dx, dW1, db1, dW2, db2
    return backward_loops


def _forward_with(sol, slip):
    """The solution's forward pass with the output layer fed x (square case) or given b1."""
    def forward_loops(x, W1, b1, W2, b2, output="identity"):
        y, cache = sol.forward_loops(x, W1, b1, W2, b2, output)
        u_out = (x if slip == "x" else cache["y_hidden"]) @ W2 + (b1[:W2.shape[1]] if slip == "b1" else b2)
        cache["u_out"][:] = u_out
        cache["y_out"][:] = sig(u_out) if output == "sigmoid" else (
            np.exp(u_out - u_out.max()) / np.exp(u_out - u_out.max()).sum() if output == "softmax" else u_out)
        return cache["y_out"], cache
    return forward_loops


def _batch_over_nothing(sol):
    def batch_gradients(X, targets, W1, b1, W2, b2, output):
        N = X.shape[0]
        L = 0.0
        dW1, db1, dW2, db2 = np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)
        for s in range(N, N):                          # an empty range
            pass
        return L / N, dW1 / N, db1 / N, dW2 / N, db2 / N
    return batch_gradients


@pytest.mark.parametrize("planted, key", [
    (_neuron_with(u_of=lambda x, w, b: float(np.dot(x, w))), "missing_bias"),
    (_neuron_with(u_of=lambda x, w, b: float(np.dot(x, w) + len(x) * b)), "bias_added_per_input"),
    (_neuron_with(y_of=lambda u: u), "missing_activation"),
    (_neuron_with(u_of=lambda x, w, b: float(np.dot(x[:-1], w[:-1]) + b)), "input_skipped"),
    (_neuron_with(u_of=lambda x, w, b: float(x[-1] * w[-1] + b)), "sum_overwritten"),
    (_neuron_with(grads=lambda x, w, b, d: (np.full(len(x), d), d, w * d)), "missing_local_derivative"),
    (_neuron_with(grads=lambda x, w, b, d: (x * d, d, np.full(len(x), d))), "missing_local_derivative"),
    (_neuron_with(grads=lambda x, w, b, d: (x * d, b * d, w * d)), "bias_gradient_times_b"),
    (_dw_dx_one_array, "shared_array"),
])
def test_neuron_slips_are_named(planted, key):
    fails_with(key, check.sigmoid_neuron, planted)


def test_neuron_with_one_array_for_dw_and_dx_says_so():
    message = fails_with("shared_array", check.sigmoid_neuron, _dw_dx_one_array)
    assert "one array under two names" in message and "see hint 3 of Exercise 1" in message


def test_hint_3_of_exercise_1_warns_about_one_array_with_two_names():
    cell = next(c for c in nbedit.read(solution_path(NB))["cells"] if c.get("id") == "ex-neuron")
    assert "`dw = dx = np.zeros(len(x))` makes\n**one** array with two names" in "".join(cell["source"])


@pytest.mark.parametrize("check_fn, planted, key", [
    (check.loss, lambda y, t, output: (-float(np.sum(t * np.log2(y))) if output == "softmax"
                                       else 0.5 * float(np.sum((y - t) ** 2))), "log_base"),
    (check.loss, _loss_log_of_t, "log_of_target"),
    (check.delta_identity_mse, lambda u, y, t: np.array(y, dtype=float), "missing_target"),
    (check.delta_sigmoid_mse, lambda u, y, t: y * y * (1 - y), "missing_target"),
    (check.delta_sigmoid_mse, lambda u, y, t: (y - t) * (1 - y ** 2), "tanh_derivative"),
    (check.delta_sigmoid_mse, lambda u, y, t: (y - t) + y * (1 - y), "added_not_multiplied"),
    (check.delta_sigmoid_mse, lambda u, y, t: y - t * y * (1 - y), "precedence"),
    (check.delta_sigmoid_mse, lambda u, y, t: (y - t) * t * (1 - y), "target_in_derivative"),
    (check.delta_softmax_ce, lambda u, y, t: np.array(y, dtype=float), "target_ignored"),
    (check.hidden_delta, lambda dy, u, y: dy * y - y ** 2, "precedence"),
    (check.hidden_delta, lambda dy, u, y: dy * y * 1 - y, "precedence"),
    (check.layer_backward, _layer_dy_in_is_db, "shared_array"),
    (check.layer_backward, lambda delta, y_in, W: (W @ delta, np.outer(y_in, delta), y_in[:delta.size] * delta),
     "bias_gradient_includes_input"),
    (check.loss, lambda y, t, output: (-float(np.sum(t * np.log(y))) if output == "softmax"
                                       else float(np.sqrt(np.sum((y - t) ** 2)))), "norm_not_squared"),
])
def test_output_and_hidden_delta_slips_are_named(check_fn, planted, key):
    with np.errstate(all="ignore"):
        fails_with(key, check_fn, planted)


@pytest.mark.parametrize("options, key", [
    (dict(hidden_input="u_hidden"), "wrong_layer_input"),
    (dict(hidden_input="y_hidden"), "wrong_layer_input"),
    (dict(upstream="delta_out"), "wrong_upstream"),
    (dict(layer="output"), "wrong_layer_cache"),
    (dict(weights="W2"), "wrong_weights"),
])
def test_backward_slips_are_named(sol, options, key):
    fails_with(key, check.backward_loops, sol.forward_loops, _backward_with(sol, **options))


def test_a_batch_loop_that_never_runs_is_named(sol):
    message = fails_with("loop_never_ran", check.batch_gradients, sol.forward_loops, sol.loss,
                         _batch_over_nothing(sol))
    assert "the loop over the samples never ran" in message


@pytest.mark.parametrize("slip, key", [("x", "wrong_layer_input"), ("b1", "wrong_bias")])
def test_forward_with_another_layers_array_is_named(sol, slip, key):
    fails_with(key, check.forward_loops, _forward_with(sol, slip))
