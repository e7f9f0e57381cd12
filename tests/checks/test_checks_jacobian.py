"""Do the checks of 02_jacobian pass the solution and name every planted mistake?

Each planted mistake is a plausible wrong answer written out here; the test asserts the key of
the diagnosis, so a check that fails for the wrong reason fails here.  Expected numbers come
from closed forms or from the CS231n seed's printed values, never from the code under test.
"""
import functools

import numpy as np
import pytest

from autograder.checks import jacobian as check
from conftest import (assert_solution_passes, assert_stubs_not_implemented, fails_with,
                      load_solution, stub)

NB = "02_jacobian"


@pytest.fixture(scope="module")
def sol():
    return load_solution(NB)


def sig(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def dsig(z):
    return sig(z) * (1 - sig(z))


def stable_softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def solution_args(sol):
    return {
        "numerical_jacobian": (sol.numerical_jacobian,),
        "sigmoid_jacobian": (sol.sigmoid_jacobian,),
        "linear_jacobian": (sol.linear_jacobian,),
        "row_linear_jacobian": (sol.row_linear_jacobian,),
        "softmax": (sol.softmax,),
        "softmax_jacobian": (sol.softmax_jacobian,),
        "chain_jacobian": (sol.chain_jacobian,),
        "network_jacobian": (sol.network_jacobian,),
        "sigmoid_vjp": (sol.sigmoid_vjp,),
        "linear_vjp": (sol.linear_vjp,),
        "row_linear_vjp": (sol.row_linear_vjp,),
        "softmax_vjp": (sol.softmax_vjp,),
        "residual_vjp": (sol.residual_vjp,),
        "network_vjp": (sol.network_vjp,),
        "wx_norm": (sol.wx_norm_forward, sol.wx_norm_backward),
    }


def test_points_total_19(sol):
    assert sum(p["points"] for p in check.EXERCISES.parts) == 19


@pytest.mark.parametrize("hidden", [False, True])
def test_solution_passes_every_check(sol, hidden, capsys):
    assert_solution_passes(check, solution_args(sol), hidden, capsys)


def test_stubs_are_reported_as_not_implemented(sol):
    assert_stubs_not_implemented(check, solution_args(sol))


def test_solution_reproduces_the_seed_numbers(sol):
    """CS231n lecture 4: W = [[0.1, 0.5], [-0.3, 0.8]], x = [0.2, 0.4]."""
    W, x = np.array([[0.1, 0.5], [-0.3, 0.8]]), np.array([0.2, 0.4])
    f, cache = sol.wx_norm_forward(W, x)
    dW, dx = sol.wx_norm_backward(1.0, cache)
    assert np.isclose(f, 0.116)
    np.testing.assert_allclose(dW, [[0.088, 0.176], [0.104, 0.208]], atol=5e-4)
    np.testing.assert_allclose(dx, [-0.112, 0.636], atol=5e-4)


# --- 1. numerical Jacobian --------------------------------------------------------------------

def _columns(f, x, h, diff):
    x = np.asarray(x, dtype=np.float64)
    return [diff(f, x, np.eye(x.size)[j] * h, h) for j in range(x.size)]


def nj_rows(f, x, h=1e-5):
    return np.stack(_columns(f, x, h, lambda f, x, e, h: (f(x + e) - f(x - e)) / (2 * h)), axis=0)


def nj_forward(f, x, h=1e-5):
    return np.stack(_columns(f, x, h, lambda f, x, e, h: (f(x + e) - f(x)) / h), axis=1)


def nj_backward(f, x, h=1e-5):
    return np.stack(_columns(f, x, h, lambda f, x, e, h: (f(x) - f(x - e)) / h), axis=1)


def nj_ignores_h(f, x, h=1e-5):
    return np.stack(_columns(f, x, 1e-6, lambda f, x, e, h: (f(x + e) - f(x - e)) / (2 * h)), axis=1)


def nj_over_h(f, x, h=1e-5):
    return np.stack(_columns(f, x, h, lambda f, x, e, h: (f(x + e) - f(x - e)) / h), axis=1)


def nj_in_place(f, x, h=1e-5):
    cols = []
    for j in range(x.size):
        x[j] += h
        up = f(x.copy())
        x[j] -= 2 * h                     # never restored
        cols.append((up - f(x.copy())) / (2 * h))
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("planted, key", [
    (nj_rows, "jacobian_transposed"),
    (nj_forward, "forward_difference"),
    (nj_backward, "forward_difference"),
    (nj_ignores_h, "ignores_h"),
    (nj_over_h, "divided_by_h"),
    (nj_in_place, "mutated_input"),
])
def test_numerical_jacobian_mistakes(planted, key):
    fails_with(key, check.numerical_jacobian, planted)


def test_transposed_numerical_jacobian_message_says_rows_and_columns():
    message = fails_with("jacobian_transposed", check.numerical_jacobian, nj_rows)
    assert "column j" in message and "(4, 3)" in message


# --- 2. Jacobians of layers ---------------------------------------------------------------------

@pytest.mark.parametrize("planted, key", [
    (lambda z: dsig(z), "diagonal_as_vector"),
    (lambda z: np.diag(sig(z)), "missing_sigmoid_derivative"),
    (lambda z: np.tile(dsig(z), (z.size, 1)), "off_diagonal_nonzero"),
    (lambda z: np.outer(dsig(z), dsig(z)), "off_diagonal_nonzero"),
    (lambda z: np.diag((1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z)))), "unstable_sigmoid"),
])
def test_sigmoid_jacobian_mistakes(planted, key):
    fails_with(key, check.sigmoid_jacobian, planted)


@pytest.mark.parametrize("planted, key", [
    (lambda W, x: W.T, "jacobian_transposed"),
    (lambda W, x: np.tile(x, (W.shape[0], 1)), "used_x"),
])
def test_linear_jacobian_mistakes(planted, key):
    fails_with(key, check.linear_jacobian, planted)


def test_row_linear_jacobian_transposed_is_named():
    message = fails_with("jacobian_transposed", check.row_linear_jacobian, lambda x, W: W)
    assert "W.T" in message


def test_transposed_is_found_for_a_square_W_too():
    """A learner who transposes only when the shapes force it still fails on square W."""
    def transposes_when_square(W, x):
        return W.T if W.shape[0] == W.shape[1] else W
    fails_with("jacobian_transposed", check.linear_jacobian, transposes_when_square)


# --- 3. softmax -----------------------------------------------------------------------------------

def softmax_naive(z):
    return np.exp(z) / np.sum(np.exp(z))


def softmax_in_place(z):
    z -= np.max(z)
    return np.exp(z) / np.sum(np.exp(z))


@pytest.mark.parametrize("planted, key", [
    (softmax_naive, "softmax_overflow"),
    (lambda z: np.exp(z - np.max(z)), "not_normalized"),
    (softmax_in_place, "mutated_input"),
])
def test_softmax_mistakes(planted, key):
    fails_with(key, check.softmax, planted)


def _sj(fn, soft=stable_softmax):
    def planted(z):
        s = soft(z)
        return fn(s)
    return planted


@pytest.mark.parametrize("planted, key", [
    (_sj(lambda s: np.diag(s * (1 - s))), "softmax_as_elementwise"),
    (_sj(lambda s: s * (1 - s)), "softmax_as_elementwise"),
    (_sj(np.diag), "missing_outer"),
    (_sj(lambda s: -np.outer(s, s)), "missing_diag"),
    (_sj(lambda s: np.diag(s) + np.outer(s, s)), "outer_sign"),
    (_sj(lambda s: np.outer(s, s) - np.diag(s)), "sign_flipped"),
    (_sj(lambda s: np.diag(s) - np.outer(s, s), soft=softmax_naive), "softmax_overflow"),
])
def test_softmax_jacobian_mistakes(planted, key):
    fails_with(key, check.softmax_jacobian, planted)


def test_softmax_as_elementwise_message_names_the_off_diagonal():
    message = fails_with("softmax_as_elementwise", check.softmax_jacobian, _sj(lambda s: np.diag(s * (1 - s))))
    assert "softmax treated as elementwise" in message and "-s_i s_j" in message


# --- 4. composition --------------------------------------------------------------------------------

def chain_in_place(jacobians):
    jacobians.reverse()
    return functools.reduce(np.matmul, jacobians)


@pytest.mark.parametrize("planted, key", [
    (lambda js: functools.reduce(np.matmul, js), "composition_order"),
    (lambda js: functools.reduce(np.multiply, js), "elementwise_product"),
    (lambda js: sum(js), "summed"),
    (chain_in_place, "mutated_input"),
    (lambda js: functools.reduce(np.matmul, js[::-1][:-1]) if len(js) > 1 else js[0], "missing_factor"),
])
def test_chain_jacobian_mistakes(planted, key):
    fails_with(key, check.chain_jacobian, planted)


def test_wrong_order_with_unequal_shapes_is_named_not_a_crash():
    """Square Jacobians hide nothing here: a learner who orders by hand only for 3 factors."""
    def order_right_for_three_only(js):
        if len(js) == 3 and js[0].shape[0] == js[0].shape[1]:
            return js[2] @ js[1] @ js[0]
        return functools.reduce(np.matmul, js)
    message = fails_with("composition_order", check.chain_jacobian, order_right_for_three_only)
    assert "LEFT" in message


def _network(x, W1, b1, W2, b2):
    z1 = W1 @ x + b1
    h1 = sig(z1)
    z2 = W2 @ h1 + b2
    return z1, h1, z2, sig(z2)


@pytest.mark.parametrize("planted, key", [
    (lambda x, W1, b1, W2, b2: W2 @ W1, "missing_activation_jacobian"),
    (lambda x, W1, b1, W2, b2: W2 @ np.diag(dsig(_network(x, W1, b1, W2, b2)[0])) @ W1,
     "missing_activation_jacobian"),
    (lambda x, W1, b1, W2, b2: (np.diag(dsig(_network(x, W1, b1, W2, b2)[3])) @ W2
                                @ np.diag(dsig(_network(x, W1, b1, W2, b2)[1])) @ W1), "activation_at_output"),
    (lambda x, W1, b1, W2, b2: (np.diag(dsig(_network(x, W1, b1, W2, b2)[2])) @ W2
                                @ np.diag(dsig(_network(x, W1, b1, W2, b2)[0])) @ W1).T, "jacobian_transposed"),
    (lambda x, W1, b1, W2, b2: W1 @ np.diag(dsig(_network(x, W1, b1, W2, b2)[0])) @ W2, "composition_order"),
])
def test_network_jacobian_mistakes(planted, key):
    fails_with(key, check.network_jacobian, planted)


# --- 5. VJPs ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("planted, key", [
    (lambda z, v: v, "missing_sigmoid_derivative"),
    (lambda z, v: v * sig(z), "missing_sigmoid_derivative"),
    (lambda z, v: dsig(z), "ignores_upstream"),
    (lambda z, v: np.diag(dsig(z)).T @ v, "builds_full_jacobian"),
    (lambda z, v: -v * dsig(z), "sign_flipped"),
])
def test_sigmoid_vjp_mistakes(planted, key):
    fails_with(key, check.sigmoid_vjp, planted)


def test_full_jacobian_message_gives_the_memory():
    message = fails_with("builds_full_jacobian", check.sigmoid_vjp, lambda z, v: np.diag(dsig(z)).T @ v)
    assert "MB" in message and "2000" in message


def test_linear_vjp_jv_is_named():
    message = fails_with("jv_not_vjp", check.linear_vjp, lambda W, x, v: W @ v)
    assert "J^T v" in message


@pytest.mark.parametrize("planted, key", [
    (lambda x, W, v: (v @ W, np.outer(x, v)), "jv_not_vjp"),
    (lambda x, W, v: (W @ v, np.outer(v, x)), "shape_transposed"),
    (lambda x, W, v: (W @ v, np.outer(x, np.ones_like(v))), "ignores_upstream"),
])
def test_row_linear_vjp_mistakes(planted, key):
    fails_with(key, check.row_linear_vjp, planted)


def test_row_linear_vjp_square_dW_transposed_is_named():
    def transposed_when_square(x, W, v):
        return W @ v, (np.outer(v, x) if W.shape[0] == W.shape[1] else np.outer(x, v))
    fails_with("dW_transposed", check.row_linear_vjp, transposed_when_square)


def _svjp(fn, soft=stable_softmax):
    def planted(z, v):
        return fn(soft(z), v)
    return planted


@pytest.mark.parametrize("planted, key", [
    (_svjp(lambda s, v: v * s * (1 - s)), "softmax_as_elementwise"),
    (_svjp(lambda s, v: v * s), "missing_outer"),
    (_svjp(lambda s, v: s * (v - np.sum(v))), "unweighted_sum"),
    (_svjp(lambda s, v: (np.diag(s) - np.outer(s, s)).T @ v), "builds_full_jacobian"),
    (_svjp(lambda s, v: s * (v - np.dot(v, s)), soft=softmax_naive), "softmax_overflow"),
])
def test_softmax_vjp_mistakes(planted, key):
    fails_with(key, check.softmax_vjp, planted)


@pytest.mark.parametrize("planted, key", [
    (lambda x, W, b, v: W.T @ (dsig(W @ x + b) * v), "branch_not_summed"),
    (lambda x, W, b, v: v, "branch_not_summed"),
    (lambda x, W, b, v: v + W @ (dsig(W @ x + b) * v), "jv_not_vjp"),
    (lambda x, W, b, v: v + W.T @ v, "missing_sigmoid_derivative"),
])
def test_residual_vjp_mistakes(planted, key):
    fails_with(key, check.residual_vjp, planted)


def test_branch_message_says_gradients_add():
    message = fails_with("branch_not_summed", check.residual_vjp, lambda x, W, b, v: v)
    assert "gradients add at a branch" in message


def _net_vjp(x, W1, b1, W2, b2, v, d1=True, d2=True, at_output=False, transpose=True):
    z1, h1, z2, h2 = _network(x, W1, b1, W2, b2)
    g2 = dsig(h2) if at_output else dsig(z2)
    g1 = dsig(h1) if at_output else dsig(z1)
    T = (lambda M: M.T) if transpose else (lambda M: M)
    u = v * g2 if d2 else v
    u = T(W2) @ u
    u = u * g1 if d1 else u
    return T(W1) @ u


@pytest.mark.parametrize("options, key", [
    (dict(d1=False, d2=False), "missing_activation_derivative"),
    (dict(d1=False), "missing_activation_derivative"),
    (dict(d2=False), "missing_activation_derivative"),
    (dict(at_output=True), "activation_at_output"),
    (dict(transpose=False), "jv_not_vjp"),
])
def test_network_vjp_mistakes(options, key):
    fails_with(key, check.network_vjp, functools.partial(_net_vjp, **options))


def test_network_vjp_reference_is_independent(sol):
    """The planted helper with no options is a correct VJP (so the mistakes above are real)."""
    check.network_vjp(_net_vjp, quiet=True)


# --- 6. seed 004 ----------------------------------------------------------------------------------

def wx_forward(W, x):
    q = W @ x
    return np.sum(q ** 2), (W, x, q)


def wx_backward_factory(dW_of, dx_of):
    def wx_norm_backward(df, cache):
        W, x, q = cache
        return dW_of(W, x, q, df), dx_of(W, x, q, df)
    return wx_norm_backward


GOOD_DW = lambda W, x, q, df: 2 * df * np.outer(q, x)  # noqa: E731
GOOD_DX = lambda W, x, q, df: 2 * df * W.T @ q         # noqa: E731


def test_wx_norm_planted_reference_passes():
    check.wx_norm(wx_forward, wx_backward_factory(GOOD_DW, GOOD_DX), quiet=True)


@pytest.mark.parametrize("forward, backward, key", [
    (wx_forward, wx_backward_factory(lambda W, x, q, df: 2 * df * np.outer(x, q), GOOD_DX), "dW_transposed"),
    (wx_forward, wx_backward_factory(GOOD_DW, lambda W, x, q, df: 2 * df * W @ q), "jv_not_vjp"),
    (wx_forward, wx_backward_factory(lambda W, x, q, df: df * np.outer(q, x), GOOD_DX), "scaled_half"),
    (wx_forward, wx_backward_factory(lambda W, x, q, df: 2 * np.outer(q, x), GOOD_DX), "ignores_upstream"),
    (lambda W, x: (np.linalg.norm(W @ x), None), wx_backward_factory(GOOD_DW, GOOD_DX), "norm_not_squared"),
    (lambda W, x: (np.sum(W @ x), None), wx_backward_factory(GOOD_DW, GOOD_DX), "forgot_square"),
    (lambda W, x: np.sum((W @ x) ** 2), wx_backward_factory(GOOD_DW, GOOD_DX), "bad_return"),
])
def test_wx_norm_mistakes(forward, backward, key):
    fails_with(key, check.wx_norm, forward, backward)


def test_wx_norm_prints_the_seed_numbers_next_to_yours(sol, capsys):
    check.wx_norm(sol.wx_norm_forward, sol.wx_norm_backward)
    out = capsys.readouterr().out
    assert "dx = [-0.112, 0.636]" in out and "yours:" in out


# --- a failure that comes from a helper says so ------------------------------------------------

def test_failure_points_to_a_helper_that_failed_its_own_check():
    check.sigmoid_vjp(lambda z, v: v * dsig(z), quiet=True)           # passes
    fails_with("jv_not_vjp", check.linear_vjp, lambda W, x, v: W @ v)  # fails: linear_vjp is broken
    uses_broken_helper = lambda x, W, b, v: v + W @ (dsig(W @ x + b) * v)  # noqa: E731
    message = fails_with("jv_not_vjp", check.residual_vjp, uses_broken_helper)
    assert "builds on linear_vjp, whose check has not passed yet" in message
    check.linear_vjp(lambda W, x, v: W.T @ v, quiet=True)              # the helper is fixed
    message = fails_with("jv_not_vjp", check.residual_vjp, uses_broken_helper)
    assert "builds on" not in message


def test_uses_must_name_exercises_of_the_notebook():
    with pytest.raises(ValueError):
        check.EXERCISES.check("residual_vjp", uses=("no_such_part",))


# --- findings of a learner's walk-through: each test fails on the behaviour before the fix --------

def _nb_text(cell_id):
    import nbedit
    from conftest import solution_path
    nb = nbedit.read(solution_path(NB))
    cell = next(c for c in nb["cells"] if c["id"] == cell_id)
    return "".join(cell["source"])


# 1. a failed product is called a wrong order only when the wrong order is what the code computes

def chain_from_identity(size_of):
    def chain_jacobian(jacobians):
        J = np.eye(size_of(jacobians))
        for J_next in jacobians:
            J = J_next @ J                  # the right order
        return J
    return chain_jacobian


def test_identity_of_the_wrong_size_is_not_called_a_wrong_order():
    message = fails_with("shapes_do_not_fit", check.chain_jacobian, chain_from_identity(lambda js: 4))
    assert "wrong order" not in message
    assert "[(5, 3), (2, 5)]" in message and "n_0 = jacobians[0].shape[1]" in message


def test_size_from_the_wrong_array_says_the_order_is_not_the_cause():
    """eye(J_K.shape[0]) is right whenever n_K = n_0: the probe (sizes 3, 5, 3) passes."""
    message = fails_with("shapes_do_not_fit", check.chain_jacobian,
                         chain_from_identity(lambda js: js[-1].shape[0]))
    assert "order of the product is not the cause" in message and "(3, 5)" in message


def test_wrong_order_found_where_the_reversed_product_fits():
    """Old and new agree here: the same code, run where J_1 @ J_2 exists, computes it."""
    message = fails_with("composition_order", check.chain_jacobian, lambda js: functools.reduce(np.matmul, js)
                         if js[0].shape[0] != js[0].shape[1] else js[2] @ js[1] @ js[0])
    assert "where every product fits" in message


def test_network_jacobian_sigma_prime_at_x_is_not_called_a_wrong_order():
    def at_x(x, W1, b1, W2, b2):
        z1, h1, z2, h2 = _network(x, W1, b1, W2, b2)
        return np.diag(dsig(z2)) @ W2 @ np.diag(dsig(x)) @ W1      # (4, 4) @ (5, 4) fails
    message = fails_with("activation_at_wrong_point", check.network_jacobian, at_x)
    assert "composition" not in message and "z1 = W1 x + b1" in message


def test_network_jacobian_list_in_reverse_is_a_wrong_order():
    def reversed_list(x, W1, b1, W2, b2):
        z1, h1, z2, h2 = _network(x, W1, b1, W2, b2)
        return functools.reduce(lambda J, J_next: J_next @ J,
                                [np.diag(dsig(z2)), W2, np.diag(dsig(z1)), W1])
    fails_with("composition_order", check.network_jacobian, reversed_list)


def test_network_jacobian_W_transposed_is_named():
    def transposed(x, W1, b1, W2, b2):
        z1, h1, z2, h2 = _network(x, W1, b1, W2, b2)
        return np.diag(dsig(z2)) @ W2.T @ np.diag(dsig(z1)) @ W1.T
    fails_with("used_W_T", check.network_jacobian, transposed)


def test_network_vjp_in_the_forward_order_is_not_called_J_v():
    message = fails_with("vjp_order", check.network_vjp, functools.partial(_net_vjp_forward_order))
    assert "reverse order of the forward pass" in message


def _net_vjp_forward_order(x, W1, b1, W2, b2, v):
    z1, h1, z2, h2 = _network(x, W1, b1, W2, b2)
    return dsig(z2) * (W2.T @ (dsig(z1) * (W1.T @ v)))       # W1 first: fails on (4, 5, 3)


def test_linear_vjp_shape_error_after_the_square_case_passed_is_not_J_v():
    def eye_of_the_wrong_size(W, x, v):
        return W.T @ (np.eye(W.shape[1]) @ v) if W.shape[0] != W.shape[1] else W.T @ v
    message = fails_with("shapes_do_not_fit", check.linear_vjp, eye_of_the_wrong_size)
    assert "J v" not in message and "order of the product is not the cause" in message


# 2. f left unsummed

def test_wx_norm_unsummed_f_is_named():
    message = fails_with("f_not_summed", check.wx_norm, lambda W, x: ((W @ x) ** 2, (W, x, W @ x)),
                         wx_backward_factory(GOOD_DW, GOOD_DX))
    assert "is a number" in message and "np.sum(q**2)" in message


@pytest.mark.parametrize("forward, key", [
    (lambda W, x: (np.sum(W @ x) ** 2, (W, x, W @ x)), "square_of_sum"),
    (lambda W, x: (np.sum((x @ W) ** 2), (W, x, W @ x)), "row_product"),
])
def test_wx_norm_other_forward_mistakes(forward, key):
    fails_with(key, check.wx_norm, forward, wx_backward_factory(GOOD_DW, GOOD_DX))


@pytest.mark.parametrize("dq, key", [
    (lambda q, df: df * q, "scaled_half"),
    (lambda q, df: df * np.ones_like(q), "forgot_square_rule"),
    (lambda q, df: 2 * df * np.ones_like(q), "forgot_square_rule"),
])
def test_wx_norm_backward_with_the_wrong_dq(dq, key):
    backward = wx_backward_factory(lambda W, x, q, df: np.outer(dq(q, df), x),
                                   lambda W, x, q, df: W.T @ dq(q, df))
    message = fails_with(key, check.wx_norm, wx_forward, backward)
    assert "2 q" in message


# 3. softmax's Jacobian written with s where diag(s) belongs, and other likely forms

@pytest.mark.parametrize("planted, key", [
    (_sj(lambda s: s - np.outer(s, s)), "diag_not_matrix"),
    (_sj(lambda s: np.outer(1 - s, s)), "diag_not_matrix"),
    (_sj(lambda s: np.outer(s, 1 - s)), "diag_not_matrix"),
    (_sj(lambda s: s[:, None] - np.outer(s, s)), "diag_not_matrix"),
    (_sj(lambda s: np.diag(s) - s * s), "squares_not_outer"),
    (_sj(lambda s: (np.eye(s.size) - s) * s), "squares_not_outer"),
    (_sj(lambda s: np.diag(s) - (s ** 2)[:, None]), "squares_not_outer"),
    (_sj(lambda s: np.diag(s) - s.T @ s), "dot_not_outer"),
    (_sj(lambda s: np.diag(s * (1 - s)) - np.outer(s, s)), "diagonal_twice"),
    (lambda z: np.diag(z) - np.outer(z, z), "used_z"),
])
def test_softmax_jacobian_likely_forms(planted, key):
    fails_with(key, check.softmax_jacobian, planted)


def test_s_minus_outer_says_which_entries_are_right():
    message = fails_with("diag_not_matrix", check.softmax_jacobian, _sj(lambda s: s - np.outer(s, s)))
    assert "right on the diagonal" in message and "only by accident" in message
    assert "wrong everywhere off it" in message and "np.diag(s)" in message


@pytest.mark.parametrize("planted", [
    _sj(lambda s: np.diag(s) @ (np.eye(s.size) - s)),
    _sj(lambda s: np.eye(s.size) * s - np.outer(s, s)),
    _sj(lambda s: np.diag(s) - s[:, None] * s),
])
def test_softmax_jacobian_correct_forms_pass(planted):
    check.softmax_jacobian(planted, quiet=True)


# 4. a bias left out of the forward pass

def _net_jacobian_without(bias1, bias2):
    def network_jacobian(x, W1, b1, W2, b2):
        z1, h1, z2, h2 = _network(x, W1, b1 if bias1 else 0 * b1, W2, b2 if bias2 else 0 * b2)
        return np.diag(dsig(z2)) @ W2 @ np.diag(dsig(z1)) @ W1
    return network_jacobian


@pytest.mark.parametrize("bias1, bias2, named", [(False, True, "b1"), (True, False, "b2"),
                                                 (False, False, "b1 and b2")])
def test_bias_left_out_is_named(bias1, bias2, named):
    message = fails_with("bias_left_out", check.network_jacobian, _net_jacobian_without(bias1, bias2))
    assert f"you left {named} out of the forward pass" in message and "sigma'" in message

    def vjp(x, W1, b1, W2, b2, v):
        return _net_vjp(x, W1, b1 if bias1 else 0 * b1, W2, b2 if bias2 else 0 * b2, v)
    fails_with("bias_left_out", check.network_vjp, vjp)


@pytest.mark.parametrize("planted, key", [
    (lambda x, W, b, v: v + W.T @ (dsig(W @ x) * v), "bias_left_out"),
    (lambda x, W, b, v: v + W.T @ (dsig(x) * v), "activation_at_wrong_point"),
])
def test_residual_vjp_sigma_prime_at_the_wrong_point(planted, key):
    fails_with(key, check.residual_vjp, planted)


def test_exercise_8_says_the_bias_shifts_where_sigma_prime_is_taken():
    text = _nb_text("s3b")
    assert "does not change a Jacobian" not in text
    assert "shifts" in text and "where $\\sigma'$ is evaluated" in text


# 5. network_vjp may not build a matrix larger than W1 or W2

@pytest.mark.parametrize("planted", [
    lambda x, W1, b1, W2, b2, v: (np.diag(dsig(_network(x, W1, b1, W2, b2)[2])) @ W2
                                  @ np.diag(dsig(_network(x, W1, b1, W2, b2)[0])) @ W1).T @ v,
    # the VJP order, but sigma'(z2) as a diagonal matrix: 2000 x 2000 here (the hidden layer's
    # 20 x 20 diag(sigma'(z1)) is smaller than W1 and is allowed)
    lambda x, W1, b1, W2, b2, v: W1.T @ (dsig(_network(x, W1, b1, W2, b2)[0])
                                         * (W2.T @ (np.diag(dsig(_network(x, W1, b1, W2, b2)[2])).T @ v))),
])
def test_network_vjp_that_builds_a_jacobian_fails(planted):
    message = fails_with("builds_full_jacobian", check.network_vjp, planted)
    assert "no matrix larger than W1 or W2" in message and "2000" in message


def test_network_vjp_through_network_jacobian_fails(sol):
    """The text's own example of what not to do: network_jacobian(...).T @ v."""
    def via_jacobian(x, W1, b1, W2, b2, v):
        return sol.network_jacobian(x, W1, b1, W2, b2).T @ v
    fails_with("builds_full_jacobian", check.network_vjp, via_jacobian)


# 6-9. the text

def test_softmax_text_says_columns_sum_to_zero_because_probabilities_sum_to_one():
    text = _nb_text("s2e")
    assert "makes each row of $J$ sum to zero (the" not in text
    assert "each **column** sums to zero" in text and "softmax}(\\mathbf{z} + c\\mathbf{1})" in text
    demo = _nb_text("softmax-rows")
    assert "row sums" in demo and "column sums" in demo
    assert "columns sum to 0" in _nb_text("summary")


def test_the_demo_prints_row_and_column_sums(sol):
    J = sol.softmax_jacobian(np.array([1.0, 2.0, 0.5, -1.0]))
    np.testing.assert_allclose(J.sum(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(J.sum(axis=1), 0, atol=1e-12)


def test_libraries_are_described_as_vjp_rules_not_as_never_building_a_jacobian():
    text = _nb_text("s4g")
    assert "never a\n`jacobian`" not in text and "and never a" not in text
    assert "torch.autograd.functional.jacobian" in text and "jax.jacrev" in text
    assert "one VJP per output" in text


def test_summary_gives_both_weight_gradient_forms():
    text = _nb_text("summary")
    assert "$\\mathbf{x}\\mathbf{v}^\\top$ (batch row" in text and "$\\mathbf{v}\\mathbf{x}^\\top$" in text


def test_section_2_2_says_the_note_swaps_the_index_roles():
    text = _nb_text("s2b")
    assert "its $i$ is the **input**" in text and "$w^{i,j}$ is our $W_{ji}$" in text


# 10. the seed's numbers, labelled by where they come from, on a failure too

def test_seed_numbers_are_labelled_by_their_source(sol, capsys):
    check.wx_norm(sol.wx_norm_forward, sol.wx_norm_backward)
    out = capsys.readouterr().out
    note = next(line for line in out.splitlines() if line.startswith("seed note"))
    assert "0.44, 0.52" in note and "0.116" not in note and "0.636" not in note
    assert "lecture 4's slides" in out


def test_seed_numbers_are_in_the_failure_message():
    message = fails_with("scaled_half", check.wx_norm, wx_forward,
                         wx_backward_factory(lambda W, x, q, df: df * np.outer(q, x), GOOD_DX))
    assert "dx = [-0.112, 0.636]" in message and "yours:" in message and "[[0.044, 0.088]" in message


# 11. the plots show what the text says

def test_heatmap_softmax_input_has_no_tiny_probabilities(sol):
    """With one probability near 1 the full softmax Jacobian looks diagonal."""
    title, J = sol.shown[1]
    assert title.startswith("softmax")
    off_diagonal = J[~np.eye(len(J), dtype=bool)]
    assert np.abs(off_diagonal).min() > 0.05 * np.abs(np.diag(J)).max()


def test_cost_plot_reaches_where_the_vjp_time_grows(sol):
    """The VJP is timed far enough (n >= 1e5) for its time to leave the fixed overhead."""
    by_name = {fn.__name__: sol.widths[fn] for fn in sol.widths}
    assert by_name["via_vjp"].max() >= 1e5 and by_name["via_full_jacobian"].max() == 2048
    text = _nb_text("s4g")
    assert "overhead" in text and "slope" in text


# 12-13. notation map and glossary

def test_notation_map_orientation_outer_product_and_divergence():
    text = _nb_text("notation")
    assert "`W_k.T`" in text and "\\nabla_{W_k} Div = y_{k-1}" in text and "(fan_in, fan_out)" in text
    assert "다이버전스" in text and "the loss of one sample" in text


def test_glossary_uses_the_terms_learners_search_for():
    text = _nb_text("glossary")
    for term in ["자코비안", "완전연결 계층", "활성화 전 값", "가중합", "업스트림 그래디언트", "국소적 미분",
                 "매개변수", "오차역전파법", "중심 차분"]:
        assert term in text, term
    assert "상류 기울기" not in text and "다이버전스 (발산)" not in text


# 14. inputs that were too kind to see a class of bug

@pytest.mark.parametrize("shift", [np.mean, np.min, lambda z: z[0]])
def test_softmax_shifted_by_something_other_than_the_max_overflows(shift):
    def softmax(z):
        e = np.exp(z - shift(z))
        return e / e.sum()
    fails_with("softmax_overflow", check.softmax, softmax)


def nj_relative_step(f, x, h=1e-5):
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = h * max(1.0, abs(x[j]))
        columns.append((f(x + step) - f(x - step)) / (2 * step[j]))
    return np.stack(columns, axis=1)


def test_numerical_jacobian_that_scales_h_is_named():
    message = fails_with("ignores_h", check.numerical_jacobian, nj_relative_step)
    assert "max(1, |x_j|)" in message


# more likely answers, tried as a learner

def nj_all_at_once(f, x, h=1e-5):
    x = np.asarray(x, dtype=np.float64)
    column = (f(x + h) - f(x - h)) / (2 * h)
    return np.tile(column[:, None], (1, x.size))


@pytest.mark.parametrize("check_fn, planted, key", [
    (check.numerical_jacobian, nj_all_at_once, "nudged_all_inputs"),
    (check.sigmoid_jacobian, lambda z: sig(z), "returned_value"),
    (check.linear_jacobian, lambda W, x: W @ x, "returned_value"),
    (check.row_linear_jacobian, lambda x, W: x @ W, "returned_value"),
    (check.softmax_jacobian, _sj(lambda s: s), "returned_value"),
    (check.softmax_vjp, _svjp(lambda s, v: v - np.dot(v, s)), "missing_s_factor"),
    (check.residual_vjp, lambda x, W, b, v: x + W.T @ (dsig(W @ x + b) * v), "skip_passes_x"),
])
def test_more_likely_answers_are_named(check_fn, planted, key):
    fails_with(key, check_fn, planted)


@pytest.mark.parametrize("planted, key, says", [
    (lambda W, x: W[:, :2].copy(), "wrong_shape", "(3, 2) but (3, 5) was expected"),
    (lambda W, x: W.T + 1.0, "shape_transposed", "(5, 3), the transpose of the expected (3, 5)"),
])
def test_a_jacobian_of_the_wrong_shape_is_described_by_outputs_and_inputs(planted, key, says):
    """Not "(the shape of x)": a Jacobian's shape is (outputs, inputs)."""
    message = fails_with(key, check.linear_jacobian, planted)
    assert says in message and "one row per output (3 here) and one column per input (5)" in message
    assert "shape of x" not in message


# --- a VJP that edits its inputs or v in place ------------------------------------------------

def test_vjp_that_edits_its_input_is_named_in_vjp_words(sol):
    """The engine runs a backward twice on the same cache; for a VJP that is the same inputs,
    so an input scaled in place is named as an input, not as a cache."""
    def sigmoid_vjp_in_place(z, v):
        s = sol.sigmoid(z)
        z *= 0.5                                  # edits the caller's z
        return v * s * (1 - s)

    message = fails_with("mutated_input", check.sigmoid_vjp, sigmoid_vjp_in_place)
    assert "changed its input z in place" in message and "cache" not in message


def test_vjp_that_edits_v_in_place_is_named_in_vjp_words(sol):
    def sigmoid_vjp_v_in_place(z, v):
        s = sol.sigmoid(z)
        v *= s * (1 - s)
        return v

    message = fails_with("mutated_input", check.sigmoid_vjp, sigmoid_vjp_v_in_place)
    assert "changed v in place" in message and "dout" not in message


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


def test_the_exercise_text_asks_and_the_hints_answer():
    """The formula each exercise asks for is in its hints, not in the text above the stub."""
    for cid, answer in [("s2a", "J = \\operatorname{diag}\\big(\\sigma'"), ("s2b", "J = W^\\top"),
                        ("s2d", "\\operatorname{diag}(\\mathbf{s}) - \\mathbf{s}\\,\\mathbf{s}^\\top"),
                        ("s3b", "\\operatorname{diag}\\big(\\sigma'(\\mathbf{z}_2)\\big)\\,W_2"),
                        ("s4c", "\\mathbf{s} \\odot \\big(\\mathbf{v} - (\\mathbf{v}\\cdot\\mathbf{s})\\big)"),
                        ("s4d", "\\underbrace{\\mathbf{v}}_{\\text{skip}}"), ("s4", "\\sigma'(\\mathbf{z}) \\odot \\mathbf{v}")]:
        before_hints = _nb_text(cid).split("<details>")[0]
        assert answer not in before_hints, cid


def test_the_layer_count_is_K_not_N():
    """N is the batch size in this course (docs/NOTATION.md); a network has K layers."""
    assert "$K$ layers" in _nb_text("s3") and "h_N" not in _nb_text("s3") and "{N}" not in _nb_text("s3")
    assert "h_K" in _nb_text("intro") and "h_N" not in _nb_text("intro")
    assert "$K$ layers, $\\mathbf{h}_K$ the last" in _nb_text("notation")


def test_divergence_is_given_with_kl():
    assert "KL 발산" in _nb_text("glossary") and "KL 발산" in _nb_text("notation")


def nj_integer_copy(f, x, h=1e-5):
    x = np.array(x)                       # keeps an integer dtype
    columns = []
    for j in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        columns.append((f(xp) - f(xm)) / (2 * h))
    return np.stack(columns, axis=1)


def nj_square(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    J = np.zeros((x.size, x.size))        # assumes as many outputs as inputs
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = h
        J[:, j] = (f(x + step) - f(x - step)) / (2 * h)
    return J


def softmax_zeros_like(z):
    e = np.zeros_like(z)                  # integers when z is
    for i in range(z.size):
        e[i] = np.exp(z[i] - np.max(z))
    return e / e.sum()


def softmax_mixed_shift(z):
    return np.exp(z - np.max(z)) / np.sum(np.exp(z))


def chain_multi_dot(jacobians):
    return np.linalg.multi_dot(jacobians[::-1])


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check_fn, planted, key", [
    (check.numerical_jacobian, nj_integer_copy, "integer_input"),
    (check.numerical_jacobian, nj_square, "shapes_do_not_fit"),
    (check.sigmoid_jacobian, lambda z: np.diag(z * (1 - z)), "used_z_as_s"),
    (check.sigmoid_vjp, lambda z, v: v * z * (1 - z), "used_z_as_s"),
    (check.softmax, softmax_zeros_like, "integer_input"),
    (check.chain_jacobian, chain_multi_dot, "one_jacobian"),
])
def test_mistakes_the_new_inputs_reveal(check_fn, planted, key, hidden):
    fails_with(key, check_fn, planted, hidden=hidden)


def test_a_softmax_shifted_on_top_only_is_named():
    with np.errstate(all="ignore"):
        fails_with("mixed_shift", check.softmax, softmax_mixed_shift)


def test_each_check_sees_two_shapes_without_equal_axes(sol):
    """Every check of a layer or a VJP calls the learner's function on at least two shapes in
    which no two axes are equal (plus, where a transpose would hide, a square one)."""
    def shapes_seen(part, fn, arg):
        seen = []

        def recording(*args):
            seen.append(np.shape(args[arg]))
            return fn(*args)
        for hidden in (False, True):
            getattr(check, part)(recording, hidden=hidden, quiet=True)
        return seen
    for part, fn, arg in [("sigmoid_jacobian", sol.sigmoid_jacobian, 0), ("linear_jacobian", sol.linear_jacobian, 0),
                          ("row_linear_jacobian", sol.row_linear_jacobian, 1), ("softmax", sol.softmax, 0),
                          ("network_jacobian", sol.network_jacobian, 1), ("sigmoid_vjp", sol.sigmoid_vjp, 0),
                          ("linear_vjp", sol.linear_vjp, 0), ("row_linear_vjp", sol.row_linear_vjp, 1),
                          ("softmax_vjp", sol.softmax_vjp, 0), ("network_vjp", sol.network_vjp, 1)]:
        kinds = {s for s in shapes_seen(part, fn, arg) if len(set(s)) == len(s)}
        assert len(kinds) >= 4, (part, kinds)          # two per side


# --- issue 18, round 2: classes of mistakes a blind catalog found, and their siblings ---------------

def nj_times_h(f, x, h=1e-5):
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = h
        columns.append((f(x + step) - f(x - step)) / 2 * h)       # (a / 2) * h
    return np.stack(columns, axis=1)


def chain_first_twice(jacobians):
    J = jacobians[0]
    for J_next in jacobians:                                        # J_1 again
        J = J_next @ J
    return J


def chain_overwritten(jacobians):
    J = jacobians[0]
    for J_next in jacobians[1:]:
        J = J_next                                                  # = where @ belongs
    return J


def nj_last_column_skipped(f, x, h=1e-5):
    x = np.asarray(x, dtype=np.float64)
    J = np.zeros((np.asarray(f(x)).size, x.size))
    for j in range(x.size - 1):                                     # one short
        step = np.zeros_like(x)
        step[j] = h
        J[:, j] = (f(x + step) - f(x - step)) / (2 * h)
    return J


def row_jacobian_long_loop(x, W):
    n, m = W.shape
    J = np.zeros((m, n))
    for i in range(n):                                              # n rows where J has m
        for j in range(n):
            J[i, j] = W[j, i]
    return J


def _net_forward(x, W1, b1, W2, b2):
    z1 = W1 @ x + b1
    h1 = sig(z1)
    z2 = W2 @ h1 + b2
    return z1, h1, z2, sig(z2)


def network_jacobian_at_h1(x, W1, b1, W2, b2):
    z1, h1, z2, _ = _net_forward(x, W1, b1, W2, b2)
    return np.diag(dsig(z2)) @ W2 @ np.diag(dsig(h1)) @ W1


def network_vjp_at_h2(x, W1, b1, W2, b2, v):
    z1, h1, z2, h2 = _net_forward(x, W1, b1, W2, b2)
    return W1.T @ (dsig(z1) * (W2.T @ (dsig(h2) * v)))


@pytest.mark.parametrize("check_fn, planted, key", [
    (check.numerical_jacobian, nj_times_h, "precedence"),
    (check.sigmoid_jacobian, lambda z: np.diag(sig(z)) - sig(z) ** 2, "broadcast_vector"),
    (check.sigmoid_jacobian, lambda z: np.diag(sig(z)) - (sig(z) ** 2)[:, None], "broadcast_vector"),
    (check.sigmoid_jacobian, lambda z: np.diag(1 - sig(z) ** 2), "tanh_derivative"),
    (check.sigmoid_jacobian, lambda z: np.diag(1 - sig(z)), "missing_one_minus"),
    (check.sigmoid_jacobian, lambda z: np.diag(dsig(sig(z))), "derivative_at_output"),
    (check.linear_jacobian, lambda W, x: W * x, "used_x"),
    (check.row_linear_jacobian, lambda x, W: W.T * x, "used_x"),
    (check.softmax, lambda z: np.exp(z - np.max(z, axis=1)) / np.sum(np.exp(z - np.max(z, axis=1))),
     "axis_on_a_vector"),
    (check.softmax, lambda z: (z - np.max(z)) - np.log(np.sum(np.exp(z - np.max(z)))), "log_softmax"),
    (check.chain_jacobian, chain_first_twice, "extra_factor"),
    (check.network_jacobian, network_jacobian_at_h1, "activation_at_output"),
    (check.network_vjp, network_vjp_at_h2, "activation_at_output"),
    (check.sigmoid_vjp, lambda z, v: sig(z) * (v - np.dot(v, sig(z))), "softmax_formula"),
    (check.sigmoid_vjp, lambda z, v: v * (1 - sig(z) ** 2), "tanh_derivative"),
    (check.sigmoid_vjp, lambda z, v: v * dsig(sig(z)), "derivative_at_output"),
    (check.sigmoid_vjp, lambda z, v: z * dsig(v), "arguments_swapped"),
    (check.linear_vjp, lambda W, x, v: (W.T @ v) * x, "used_x"),
    (check.linear_vjp, lambda W, x, v: np.linalg.pinv(W) @ v, "inverse_not_transpose"),
    (check.linear_vjp, lambda W, x, v: W * v[:, None], "not_summed"),
    (check.linear_vjp, lambda W, x, v: np.outer(x, v), "returned_weight_gradient"),
    (check.linear_vjp, lambda W, x, v: v * W.sum(axis=1), "summed_wrong_axis"),
    (check.row_linear_vjp, lambda x, W, v: (v * W.sum(axis=0), np.outer(x, v)), "summed_wrong_axis"),
    (check.row_linear_vjp, lambda x, W, v: (v @ np.linalg.pinv(W), np.outer(x, v)), "inverse_not_transpose"),
    (check.row_linear_vjp, lambda x, W, v: (W @ v, np.outer(W @ v, v)), "dW_uses_dx"),
    (check.row_linear_vjp, lambda x, W, v: (W @ v, x * v), "elementwise_not_outer"),
    (check.softmax_vjp, _svjp(lambda s, v: v - s * np.dot(v, s)), "missing_s_factor"),
    (check.softmax_vjp, _svjp(lambda s, v: v - s), "cross_entropy_shortcut"),
    (check.softmax_vjp, lambda z, v: stable_softmax(v) * (z - np.dot(z, stable_softmax(v))), "arguments_swapped"),
    (check.residual_vjp, lambda x, W, b, v: v + dsig(W @ x + b) * (W.T @ v), "vjp_order"),
    (check.residual_vjp, lambda x, W, b, v: W.T @ (dsig(W @ x + b) * v + v), "branch_added_inside"),
    (check.chain_jacobian, chain_overwritten, "product_overwritten"),
    (check.numerical_jacobian, nj_last_column_skipped, "column_skipped"),
    (check.sigmoid_vjp, lambda z, v: v * sig(z) * 1 - sig(z), "precedence"),
    (check.softmax_vjp, _svjp(lambda s, v: s * v - s * v @ s), "precedence"),
    (check.sigmoid_jacobian, lambda z: np.outer(sig(z), 1 - sig(z)), "off_diagonal_nonzero"),
])
def test_classes_of_mistakes_a_blind_catalog_found(check_fn, planted, key):
    with np.errstate(all="ignore"):
        fails_with(key, check_fn, planted)


def test_an_index_error_whose_probe_passes_says_a_loop_runs_over_another_size():
    """A loop over the wrong size is right on a square W: the message says so, not 'the order'."""
    message = fails_with("shapes_do_not_fit", check.row_linear_jacobian, row_jacobian_long_loop)
    assert "an index in your code runs past the end of an array" in message
    assert "where every index fits, your code gives the right answer" in message
    assert "order of the product" not in message


def test_a_loop_with_swapped_indices_is_named_on_the_square_case():
    def swapped(x, W):
        n, m = W.shape
        J = np.zeros((m, n))
        for i in range(m):
            for j in range(n):
                J[i, j] = W[i, j]
        return J
    message = fails_with("jacobian_transposed", check.row_linear_jacobian, swapped)
    assert "where every index fits" in message and "IndexError" in message


def test_softmax_underflow_message_names_the_shift_by_max():
    def shift_by_max_abs(z):
        e = np.exp(z - np.max(np.abs(z)))
        return e / np.sum(e)
    message = fails_with("softmax_underflow", check.softmax, shift_by_max_abs)
    assert "underflowed" in message and "max(|z|)" in message


def test_every_check_of_softmax_sees_scores_all_far_below_zero(sol):
    seen = []

    def recording(fn):
        def wrapper(z, *rest):
            seen.append(float(np.max(z)))
            return fn(z, *rest)
        return wrapper
    for part, fn in (("softmax", sol.softmax), ("softmax_jacobian", sol.softmax_jacobian),
                     ("softmax_vjp", sol.softmax_vjp)):
        for hidden in (False, True):
            seen.clear()
            getattr(check, part)(recording(fn), hidden=hidden, quiet=True)
            assert min(seen) < -800, (part, hidden)


def test_hand_written_sigmoid_in_the_jacobian_is_named_as_unstable():
    message = fails_with("unstable_sigmoid", check.sigmoid_jacobian,
                         lambda z: np.diag(np.exp(z) / (1 + np.exp(z)) * (1 - np.exp(z) / (1 + np.exp(z)))))
    assert "sigmoid(z)" in message
