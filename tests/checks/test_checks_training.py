"""Do the checks of 05_training pass the solution and name every planted mistake?

Each planted mistake is the solution with one error a learner is likely to make (most of them
the named mistakes of training code: the wrong sign, lr twice, gradients not zeroed, the sum
instead of the mean, the bias forgotten, seed 001's transpose and typo, zero initialisation...);
the test asserts the key of the diagnosis, so a check that fails for the wrong reason fails here.
"""
import types

import numpy as np
import pytest

from autograder.checks import training as check
from conftest import (assert_solution_passes, assert_stubs_not_implemented, fails_with,
                      load_solution)

NB = "05_training"


@pytest.fixture(scope="module")
def sol():
    return load_solution(NB)


def with_globals(fn, **overrides):
    """A copy of the notebook function ``fn`` that sees ``overrides`` instead of the notebook's names."""
    return types.FunctionType(fn.__code__, dict(fn.__globals__, **overrides), fn.__name__,
                              fn.__defaults__, fn.__closure__)


def solution_args(sol):
    return {
        "gradient_descent": (sol.gradient_descent,),
        "sgd_step": (sol.sgd_step,),
        "init_params": (sol.init_params,),
        "loss_and_grads": (sol.loss_and_grads,),
        "numerical_grads": (sol.numerical_grads,),
        "per_example_step": (sol.per_example_step,),
        "minibatch_step": (sol.minibatch_step,),
        "accuracy": (sol.accuracy,),
        "has_converged": (sol.has_converged,),
        "train": (sol.train,),
        "fit_digits": (sol.fit_digits,),
    }


def test_points_total_23():
    assert sum(p["points"] for p in check.EXERCISES.parts) == 23
    assert len(check.EXERCISES.parts) == 11


@pytest.mark.parametrize("hidden", [False, True])
def test_solution_passes_every_check(sol, hidden, capsys):
    assert_solution_passes(check, solution_args(sol), hidden, capsys)


def test_stubs_are_reported_as_not_implemented(sol):
    assert_stubs_not_implemented(check, solution_args(sol))


# --- 1. gradient descent ------------------------------------------------------------------------

def gd(update, start=0, count=lambda steps: steps, keep=slice(None)):
    def gradient_descent(grad, w0, lr, steps):
        path = [float(w0)]
        for _ in range(count(steps)):
            path.append(update(path[-1], grad, lr, path[0]))
        return np.array(path[keep])
    return gradient_descent


@pytest.mark.parametrize("planted, key", [
    (gd(lambda w, g, lr, w0: w + lr * g(w)), "wrong_sign"),
    (gd(lambda w, g, lr, w0: w - lr * lr * g(w)), "lr_twice"),
    (gd(lambda w, g, lr, w0: w - g(w)), "lr_ignored"),
    (gd(lambda w, g, lr, w0: w - lr * g(w0)), "stale_gradient"),
    (gd(lambda w, g, lr, w0: w - lr * g(w), keep=slice(1, None)), "missing_start"),
    (gd(lambda w, g, lr, w0: w - lr * g(w), count=lambda s: s - 1), "one_step_short"),
    (lambda grad, w0, lr, steps: gd(lambda w, g, lr, w0: w - lr * g(w))(grad, w0, lr, steps)[-1], "only_final"),
    (lambda grad, w0, lr, steps: list(gd(lambda w, g, lr, w0: w - lr * g(w))(grad, w0, lr, steps)), "returned_list"),
])
def test_gradient_descent_mistakes(planted, key):
    fails_with(key, check.gradient_descent, planted)


def gd_full(grad, w0, lr, steps):
    """np.full takes w0's type: from an integer start, every step is rounded."""
    path = np.full(steps + 1, w0)
    for i in range(steps):
        path[i + 1] = path[i] - lr * grad(path[i])
    return path


def gd_append_first(grad, w0, lr, steps):
    w, path = w0, [w0]
    for _ in range(steps):
        path.append(w)
        w = w - lr * grad(w)
    return np.array(path, dtype=float)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("planted, key", [(gd_full, "integer_path"), (gd_append_first, "appended_before_update")])
def test_gradient_descent_integer_start_and_append_order(planted, key, hidden):
    fails_with(key, check.gradient_descent, planted, hidden=hidden)


def test_wrong_sign_message_quotes_the_seed_rule():
    message = fails_with("wrong_sign", check.gradient_descent, gd(lambda w, g, lr, w0: w + lr * g(w)))
    assert "w <- w - lr * dE/dw" in message and "dE/dw > 0" in message


# --- 2. sgd_step ----------------------------------------------------------------------------------

def step_with(rule):
    def sgd_step(params, grads, lr):
        for name in params:
            rule(params, grads, lr, name)
    return sgd_step


def sgd_copy(params, grads, lr):
    return {name: params[name] - lr * grads[name] for name in params}


def sgd_rebinds(params, grads, lr):
    params = {name: params[name] - lr * grads[name] for name in params}      # a new local dict


def sgd_scales_grads(params, grads, lr):
    for name in params:
        grads[name] *= lr
        params[name] -= grads[name]


def sgd_seed_typo(params, grads, lr):
    for name in params:
        gradient = grads[name] if name.startswith("W") else grads["W" + name[1:]].T
        params[name] -= lr * gradient


def _sub(params, grads, lr, name, g):
    params[name] -= lr * g


@pytest.mark.parametrize("planted, key", [
    (step_with(lambda p, g, lr, k: p[k].__iadd__(lr * g[k])), "wrong_sign"),
    (step_with(lambda p, g, lr, k: p[k].__isub__(lr ** 2 * g[k])), "lr_twice"),
    (step_with(lambda p, g, lr, k: p[k].__isub__(g[k])), "lr_ignored"),
    (step_with(lambda p, g, lr, k: p[k].__isub__(lr * g[k]) if k.startswith("W") else None), "bias_not_updated"),
    (step_with(lambda p, g, lr, k: p[k].__isub__(lr * g[k].T)), "cmu_transpose"),
    (sgd_copy, "not_in_place"),
    (sgd_rebinds, "not_in_place"),
    (sgd_scales_grads, "mutated_input"),
    (sgd_seed_typo, "bias_used_weight_gradient"),
])
def test_sgd_step_mistakes(planted, key):
    fails_with(key, check.sgd_step, planted)


def sgd_zips_values(params, grads, lr):
    for p, g in zip(params.values(), grads.values()):
        p -= lr * g


def sgd_two_layers(params, grads, lr):
    for name in ["W1", "b1", "W2", "b2"]:
        params[name] -= lr * grads[name]


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("planted, key", [(sgd_zips_values, "paired_by_order"),
                                          (sgd_two_layers, "fixed_layers")])
def test_sgd_step_order_and_depth(planted, key, hidden):
    """grads arrives in another key order than params, and one network has three layers."""
    message = fails_with(key, check.sgd_step, planted, hidden=hidden)
    assert "see hint 2 of Exercise 2" in message


def test_not_in_place_says_copies_were_returned():
    assert "returned updated copies" in fails_with("not_in_place", check.sgd_step, sgd_copy)


def test_transpose_message_explains_the_layout():
    message = fails_with("cmu_transpose", check.sgd_step, step_with(lambda p, g, lr, k: p[k].__isub__(lr * g[k].T)))
    assert "(fan_in, fan_out)" in message and "no .T" in message


# --- 3. init_params -------------------------------------------------------------------------------

def init_with(weights, bias=lambda rng, fan_out: np.zeros(fan_out), first=1):
    def init_params(sizes, rng):
        params = {}
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=first):
            params[f"W{k}"] = weights(rng, fan_in, fan_out)
            params[f"b{k}"] = bias(rng, fan_out)
        return params
    return init_params


def he(rng, a, b):
    return rng.standard_normal((a, b)) * np.sqrt(2.0 / a)


def init_two_layers_only(sizes, rng):
    return {"W1": he(rng, sizes[0], sizes[1]), "b1": np.zeros(sizes[1]),
            "W2": he(rng, sizes[1], sizes[-1]), "b2": np.zeros(sizes[-1])}


@pytest.mark.parametrize("planted, key", [
    (init_with(lambda rng, a, b: np.zeros((a, b))), "zero_init"),
    (init_with(lambda rng, a, b: np.full((a, b), 0.1)), "equal_init"),
    (init_with(lambda rng, a, b: rng.standard_normal((a, b)) * 3 * np.sqrt(2.0 / a)), "initial_loss_too_large"),
    (init_with(lambda rng, a, b: rng.standard_normal((a, b))), "initial_loss_too_large"),
    (init_with(lambda rng, a, b: rng.standard_normal((a, b)) * np.sqrt(1.0 / a)), "xavier_scale"),
    (init_with(lambda rng, a, b: rng.standard_normal((a, b)) * np.sqrt(2.0 / (a + b))), "xavier_scale"),
    (init_with(lambda rng, a, b: rng.standard_normal((a, b)) * np.sqrt(2.0 / b)), "fan_out"),
    (init_with(lambda rng, a, b: rng.standard_normal((a, b)) * (2.0 / a)), "forgot_sqrt"),
    (init_with(lambda rng, a, b: rng.standard_normal((a, b)) * 0.01), "small_constant_scale"),
    (init_with(lambda rng, a, b: rng.standard_normal((a, b)) * 1.5 * np.sqrt(2.0 / a)), "wrong_scale"),
    (init_with(lambda rng, a, b: rng.random((a, b)) * np.sqrt(6.0 / a)), "not_centered"),
    (init_with(lambda rng, a, b: np.random.standard_normal((a, b)) * np.sqrt(2.0 / a)), "ignores_rng"),
    (init_with(lambda rng, a, b: he(rng, b, a)), "cmu_layout"),
    (init_with(he, bias=lambda rng, b: rng.standard_normal(b) * 0.1), "bias_not_zero"),
    (init_with(he, first=0), "wrong_keys"),
    (init_two_layers_only, "wrong_keys"),
])
def test_init_params_mistakes(planted, key):
    fails_with(key, check.init_params, planted)


def init_2d_bias(sizes, rng):
    return {key: value for k in range(1, len(sizes))
            for key, value in ((f"W{k}", he(rng, sizes[k - 1], sizes[k])), (f"b{k}", np.zeros((1, sizes[k]))))}


def init_two_args(sizes, rng):
    return {key: value for k in range(1, len(sizes))
            for key, value in ((f"W{k}", rng.standard_normal(sizes[k - 1], sizes[k])), (f"b{k}", np.zeros(sizes[k])))}


def init_pops(sizes, rng):
    out = sizes.pop()
    sizes = sizes + [out]
    return init_with(he)(sizes, rng)


@pytest.mark.parametrize("planted, key", [
    (init_with(lambda rng, a, b: rng.standard_normal((a, b)) * np.sqrt(2) / a), "sqrt_precedence"),
    (init_2d_bias, "bias_2d"),
    (init_two_args, "standard_normal_args"),
    (init_pops, "mutated_input"),
    (init_with(lambda rng, a, b: np.random.default_rng(0).standard_normal((a, b)) * np.sqrt(2.0 / a)), "ignores_rng"),
])
def test_init_params_more_mistakes(planted, key):
    fails_with(key, check.init_params, planted)


def test_he_uniform_is_accepted(capsys):
    """Uniform weights with He's standard deviation are a correct initialisation too."""
    uniform = init_with(lambda rng, a, b: rng.uniform(-1, 1, (a, b)) * np.sqrt(6.0 / a))
    check.init_params(uniform, quiet=True)


def test_zero_init_message_names_the_identical_columns():
    message = fails_with("zero_init", check.init_params, init_with(lambda rng, a, b: np.zeros((a, b))))
    assert "columns are identical" in message and "symmetry" in message


def test_large_init_message_gives_the_initial_loss():
    message = fails_with("initial_loss_too_large", check.init_params,
                         init_with(lambda rng, a, b: rng.standard_normal((a, b))))
    assert "ln(10) = 2.30" in message


# --- 4. loss_and_grads ----------------------------------------------------------------------------

def net_grads(relu=True, relu_last=False, depth=None, mask=True):
    """loss_and_grads written from the formulas, with one thing changed."""
    def loss_and_grads(params, X, labels):
        L = depth or len(params) // 2
        hs, zs = [X], []
        for k in range(1, L + 1):
            z = hs[-1] @ params[f"W{k}"] + params[f"b{k}"]
            zs.append(z)
            active = (relu and k < L) or (k == L and relu_last)
            hs.append(np.maximum(z, 0) if active else z)
        s = hs[-1] - hs[-1].max(axis=1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        N = len(X)
        loss = -logp[np.arange(N), labels].mean()
        top = np.exp(logp)
        top[np.arange(N), labels] -= 1
        top /= N
        dh, grads = top, {}
        for k in range(L, 0, -1):
            active = (relu and k < L) or (k == L and relu_last)
            dz = dh * (zs[k - 1] > 0) if active and mask else dh
            grads[f"W{k}"], grads[f"b{k}"] = hs[k - 1].T @ dz, dz.sum(axis=0)
            dh = dz @ params[f"W{k}"].T
        return loss, grads
    return loss_and_grads


def test_the_formula_version_passes():
    check.loss_and_grads(net_grads(), quiet=True)


@pytest.mark.parametrize("planted, key", [
    (net_grads(relu_last=True), "relu_on_scores"),
    (net_grads(relu=False), "no_relu"),
    (net_grads(depth=2), "fixed_depth"),
    (net_grads(mask=False), "missing_relu_backward"),
    (lambda p, X, y: (net_grads()(p, X, y)[0], {k: v for k, v in net_grads()(p, X, y)[1].items()
                                                  if k.startswith("W")}), "wrong_keys"),
    (lambda p, X, y: (net_grads()(p, X, y)[0], list(net_grads()(p, X, y)[1].values())), "not_a_dict"),
    (lambda p, X, y: net_grads()(p, X, y)[::-1], "swapped_return"),
    (lambda p, X, y: net_grads()(p, X, y)[0], "bad_return"),
])
def test_loss_and_grads_mistakes(planted, key):
    fails_with(key, check.loss_and_grads, planted)


def grads_by_position(sol):
    """Walks params.values() two at a time: right only when the dict lists W1, b1, W2, b2, ..."""
    def loss_and_grads(params, X, labels):
        values = list(params.values())
        named = {f"{n}{k + 1}": values[2 * k + j] for k in range(len(values) // 2) for j, n in enumerate("Wb")}
        return sol.loss_and_grads(named, X, labels)
    return loss_and_grads


def grads_dscores_everywhere(sol):
    def loss_and_grads(params, X, labels):
        K = len(params) // 2
        caches, h = [], X
        for k in range(1, K + 1):
            h, cache = sol.affine_forward(h, params[f"W{k}"], params[f"b{k}"])
            caches.append(cache)
            if k < K:
                h, cache = sol.relu_forward(h)
                caches.append(cache)
        loss, dscores = sol.softmax_cross_entropy(h, labels)
        grads, dh = {}, dscores
        for k in range(K, 0, -1):
            if k < K:
                dh = sol.relu_backward(dscores, caches.pop())
            _, grads[f"W{k}"], grads[f"b{k}"] = sol.affine_backward(dh, caches.pop())
        return loss, grads
    return loss_and_grads


@pytest.mark.parametrize("hidden", [False, True])
def test_loss_and_grads_named_from_other_orders_and_widths(sol, hidden):
    fails_with("paired_by_order", check.loss_and_grads, grads_by_position(sol), hidden=hidden)
    fails_with("dh_not_passed", check.loss_and_grads, grads_dscores_everywhere(sol), hidden=hidden)
    divided = lambda p, X, y: (lambda r: (r[0], {k: v / len(X) for k, v in r[1].items()}))(  # noqa: E731
        sol.loss_and_grads(p, X, y))
    fails_with("divided_by_N_again", check.loss_and_grads, divided, hidden=hidden)


# --- 5. numerical_grads -----------------------------------------------------------------------------

def fd(diff, restore=True, step=None, whole=False):
    def numerical_grads(f, params, h=1e-5):
        h = step or h
        grads = {}
        for name, p in params.items():
            g = np.zeros_like(p)
            if whole:
                old = p.copy()
                p += h
                up = f(params)
                p -= 2 * h
                down = f(params)
                p[...] = old
                g[...] = (up - down) / (2 * h)
                grads[name] = g
                continue
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + h
                up = f(params)
                p[i] = old - h
                down = f(params)
                p[i] = old
                mid = f(params)
                g[i] = diff(up, down, mid, h)
                if not restore:
                    p[i] = old + h
            grads[name] = g
        return grads
    return numerical_grads


CENTRAL = lambda up, down, mid, h: (up - down) / (2 * h)  # noqa: E731


def fd_on_copies(f, params, h=1e-5):
    """Nudges a copy of each array: f(params) never sees the change."""
    grads = {}
    for name, p in params.items():
        q = p.copy()
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            q[i] = p[i] + h
            up = f(params)
            q[i] = p[i] - h
            down = f(params)
            q[i] = p[i]
            g[i] = (up - down) / (2 * h)
        grads[name] = g
    return grads


@pytest.mark.parametrize("planted, key", [
    (fd(lambda up, down, mid, h: (up - mid) / h), "forward_difference"),
    (fd(lambda up, down, mid, h: (mid - down) / h), "forward_difference"),
    (fd(lambda up, down, mid, h: (up - down) / h), "divided_by_eps"),
    (fd(CENTRAL, step=1e-6), "ignores_eps"),
    (fd(CENTRAL, restore=False), "not_restored"),
    (fd(CENTRAL, whole=True), "nudged_whole_array"),
    (fd_on_copies, "nudged_a_copy"),
    (fd(lambda up, down, mid, h: (up - down) / 2 * h), "times_eps"),
])
def test_numerical_grads_mistakes(planted, key):
    fails_with(key, check.numerical_grads, planted)


def fd_rows(f, params, eps=1e-5):
    grads = {}
    for name, p in params.items():
        g = np.zeros_like(p)
        for i in range(len(p)):
            old = p[i].copy()
            p[i] = old + eps
            up = f(params)
            p[i] = old - eps
            down = f(params)
            p[i] = old
            g[i] = (up - down) / (2 * eps)
        grads[name] = g
    return grads


@pytest.mark.parametrize("hidden", [False, True])
def test_numerical_grads_over_rows_is_named(hidden):
    fails_with("nudged_rows", check.numerical_grads, fd_rows, hidden=hidden)


def test_numerical_grads_may_restore_by_arithmetic():
    """p[i] += h; p[i] -= 2h; p[i] += h leaves round-off of 1e-17, not a changed network."""
    def numerical_grads(f, params, h=1e-5):
        grads = {}
        for name, p in params.items():
            g = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                p[i] += h
                up = f(params)
                p[i] -= 2 * h
                down = f(params)
                p[i] += h
                g[i] = (up - down) / (2 * h)
            grads[name] = g
        return grads
    check.numerical_grads(numerical_grads, quiet=True)
    check.numerical_grads(numerical_grads, hidden=True, quiet=True)


# --- 6. per_example_step ------------------------------------------------------------------------------

def per_example(sol, zero=True, scale=lambda lr, T: lr / T, each=lambda g, T: g, transpose=False,
                bias_typo=False, sign=-1.0, returns=lambda loss, T: loss / T, row=lambda X, t: X[t:t + 1]):
    def per_example_step(params, grads, X, labels, lr):
        T = len(X)
        if zero:
            for name in grads:
                grads[name][...] = 0.0
        Loss = 0.0
        for t in range(T):
            div, g = sol.loss_and_grads(params, row(X, t), labels[t:t + 1])
            Loss += div
            for name in grads:
                grads[name] += each(g[name], T)
        for name in params:
            if bias_typo and name.startswith("b"):
                params[name] -= scale(lr, T) * grads["W" + name[1:]].T
                continue
            g = grads[name].T if transpose and name.startswith("W") else grads[name]
            params[name] += sign * scale(lr, T) * g
        return returns(Loss, T)
    return per_example_step


@pytest.mark.parametrize("kwargs, key", [
    (dict(scale=lambda lr, T: lr), "sum_not_mean"),
    (dict(zero=False), "grads_not_zeroed"),
    (dict(each=lambda g, T: g / T), "divided_twice"),
    (dict(sign=+1.0), "wrong_sign"),
    (dict(scale=lambda lr, T: lr * lr / T), "lr_twice"),
    (dict(transpose=True), "cmu_transpose"),
    (dict(bias_typo=True), "bias_used_weight_gradient"),
    (dict(returns=lambda loss, T: loss), "returned_sum_loss"),
    (dict(row=lambda X, t: X[t]), "example_not_batch"),
])
def test_per_example_step_mistakes(sol, kwargs, key):
    fails_with(key, check.per_example_step, per_example(sol, **kwargs))


def per_example_variant(sol, how):
    """Seed 001's loop with one of the bugs it invites, written as a learner would."""
    def per_example_step(params, grads, X, labels, lr):
        T = len(X)
        if how == "rebound":
            grads = {name: np.zeros_like(p) for name, p in params.items()}
        else:
            for name in grads:
                grads[name][...] = 0.0
        Loss = 0.0
        for t in range(T):
            div, g = sol.loss_and_grads(params, X[t:t + 1], labels[t:t + 1])
            Loss += div
            if how == "zip":       # the buffers paired with the gradients by position
                for buffer, gradient in zip(grads.values(), g.values()):
                    buffer += gradient
            else:
                for name in grads:
                    if how == "overwrite":
                        grads[name] = g[name]
                    else:
                        grads[name] += g[name]
            if how == "each":
                for name in params:
                    params[name] -= (lr / T) * g[name]
            if how == "inside":
                for name in params:
                    params[name] -= (lr / T) * grads[name]
        if how == "mean":
            for name in grads:
                grads[name] /= T
            for name in params:
                params[name] -= lr * grads[name]
        elif how not in ("each", "inside"):
            for name in params:
                params[name] -= (lr / T) * grads[name]
        return Loss / T
    return per_example_step


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("how, key", [
    ("overwrite", "overwrote_accumulator"),
    ("each", "update_per_example"),
    ("inside", "update_in_loop"),
    ("rebound", "buffers_rebound"),
    ("mean", "buffers_hold_mean"),
    ("zip", "paired_by_order"),
])
def test_per_example_step_seed_001_bugs_are_named(sol, how, key, hidden):
    """The two most likely seed-001 bugs (overwritten per-example gradients, the update inside the
    loop) and the buffers: the caller's, zeroed in place, left holding grad Loss (the sum)."""
    fails_with(key, check.per_example_step, per_example_variant(sol, how), hidden=hidden)


def test_per_example_step_as_written_passes(sol):
    check.per_example_step(per_example_variant(sol, "plain"), quiet=True)
    check.per_example_step(per_example_variant(sol, "plain"), hidden=True, quiet=True)


def test_per_example_step_without_the_bias_update_is_named(sol):
    def only_weights(params, grads, lr):
        for name in params:
            if name.startswith("W"):
                params[name] -= lr * grads[name]
    planted = with_globals(sol.per_example_step, sgd_step=only_weights)
    fails_with("bias_not_updated", check.per_example_step, planted)


def test_sum_not_mean_message_says_T_times():
    from conftest import load_solution as _load
    message = fails_with("sum_not_mean", check.per_example_step,
                         per_example(_load(NB), scale=lambda lr, T: lr))
    assert "T=5 times too large" in message


# --- 7. minibatch_step --------------------------------------------------------------------------------

def minibatch(sol, lr_of=lambda lr, N: lr, sign=-1.0, after=False, only_weights=False, transpose=False):
    def minibatch_step(params, X, labels, lr):
        loss, grads = sol.loss_and_grads(params, X, labels)
        for name in params:
            if only_weights and name.startswith("b"):
                continue
            g = grads[name].T if transpose and name.startswith("W") else grads[name]
            params[name] += sign * lr_of(lr, len(X)) * g
        return sol.loss_and_grads(params, X, labels)[0] if after else loss
    return minibatch_step


@pytest.mark.parametrize("kwargs, key", [
    (dict(lr_of=lambda lr, N: lr / N), "divided_by_N_again"),
    (dict(lr_of=lambda lr, N: lr * N), "sum_not_mean"),
    (dict(sign=+1.0), "wrong_sign"),
    (dict(lr_of=lambda lr, N: lr * lr), "lr_twice"),
    (dict(after=True), "loss_after_update"),
    (dict(only_weights=True), "bias_not_updated"),
    (dict(transpose=True), "cmu_transpose"),
])
def test_minibatch_step_mistakes(sol, kwargs, key):
    fails_with(key, check.minibatch_step, minibatch(sol, **kwargs))


def test_wrong_sign_is_named_with_the_rising_loss(sol):
    message = fails_with("wrong_sign", check.minibatch_step, minibatch(sol, sign=+1.0))
    assert "the loss went up" in message and "w += lr * dw" in message


def test_transpose_on_a_non_square_W_is_named_from_the_shape_error(sol):
    """The hidden check's second layer is (6, 4): W - lr * dW.T cannot even be computed."""
    message = fails_with("cmu_transpose", check.minibatch_step, minibatch(sol, transpose=True), hidden=True)
    assert "broadcast" in message


# --- 8. accuracy --------------------------------------------------------------------------------------

@pytest.mark.parametrize("planted, key", [
    (lambda s, y: float(np.mean(np.argmax(s, axis=0) == y)), "argmax_axis0"),
    (lambda s, y: 100 * float(np.mean(np.argmax(s, axis=1) == y)), "percent"),
    (lambda s, y: float(np.sum(np.argmax(s, axis=1) == y)), "count_not_fraction"),
    (lambda s, y: float(np.mean(np.argmax(s, axis=1) != y)), "error_rate"),
    (lambda s, y: np.argmax(s, axis=1) == y, "not_a_number"),
    (lambda s, y: float(np.mean(np.argmax(s) == y)), "argmax_no_axis"),
    (lambda s, y: float(np.mean(np.max(s, axis=1) == y)), "max_not_argmax"),
])
@pytest.mark.parametrize("hidden", [False, True])
def test_accuracy_mistakes(planted, key, hidden):
    fails_with(key, check.accuracy, planted, hidden=hidden)


def test_every_accuracy_mistake_gives_its_own_number():
    for hidden in (False, True):
        for scores, labels, answers in check._accuracy_cases(hidden):
            values = [v for v in answers.values() if v is not None]
            assert len(set(values)) == len(values) and 0 < answers["right"] < 1


# --- 9. has_converged ---------------------------------------------------------------------------------

def ends(history, window, tol):
    return len(history) > window and history[-window - 1] - history[-1] <= tol


def no_guard(history, window, tol):
    return bool(np.min(history[:-window]) - np.min(history[-window:]) <= tol)


def min_of_all(history, window, tol):
    return len(history) > window and np.min(history) - np.min(history[-window:]) <= tol


@pytest.mark.parametrize("planted, key", [
    (lambda h, w, t: False, "never_stops"),
    (lambda h, w, t: True, "stops_at_once"),
    (lambda h, w, t: len(h) > w and np.min(h[:-w]) - np.min(h[-w:]) > t, "inverted_comparison"),
    (ends, "compares_ends"),
    (no_guard, "short_history"),
    (min_of_all, "stops_at_once"),
    (lambda h, w, t: len(h) > w and h[-w - 1] - min(h[-w:]) <= t, "compares_last_before"),
    (lambda h, w, t: len(h) > w and abs(min(h[:-w]) - min(h[-w:])) <= t, "abs_gain"),
    (lambda h, w, t: len(h) > w and np.mean(h[:-w]) - np.mean(h[-w:]) <= t, "mean_not_min"),
    (lambda h, w, t: len(h) > w + 1 and min(h[:-w - 1]) - min(h[-w - 1:]) <= t, "window_off_by_one"),
    (lambda h, w, t: None, "returned_none"),
])
@pytest.mark.parametrize("hidden", [False, True])
def test_has_converged_mistakes(planted, key, hidden):
    fails_with(key, check.has_converged, planted, hidden=hidden)


def test_every_convergence_variant_gives_its_own_answers():
    """Each named wrong rule differs from the right one, and from every other, on the cases: the
    answers alone say which it is."""
    for hidden in (False, True):
        window, tol, cases = check._convergence_cases(hidden)
        right = tuple(want for _, want, _, _ in cases)
        seen = {right}
        for key, _, rule in check.CONVERGENCE_VARIANTS:
            answers = tuple(rule(h, window, tol) for h, _, _, _ in cases)
            assert answers not in seen, key
            seen.add(answers)


def test_the_convergence_cases_are_not_borderline():
    """No case sits within 1e-9 of tol: a correct test never flips on round-off."""
    for hidden in (False, True):
        window, tol, cases = check._convergence_cases(hidden)
        for history, _, _, _ in cases:
            if len(history) > window:
                gain = min(history[:-window]) - min(history[-window:])
                assert abs(gain - tol) > 1e-6


# --- 10. train ------------------------------------------------------------------------------------

def train_like(sol, shuffle="each", batches="all", record="mean", pair=True, printer="every",
               stop="after", copy=False, lr_scale=1.0, own_seed=False, in_place=False):
    def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
        if copy:
            params = {k: v.copy() for k, v in params.items()}
        N = len(X)
        history = []
        if own_seed:
            rng = np.random.default_rng(0)
        order = rng.permutation(N) if shuffle == "once" else None
        for epoch in range(1, epochs + 1):
            if shuffle == "each":
                order = rng.permutation(N)
            elif shuffle == "global":
                order = np.random.permutation(N)
            elif shuffle == "none":
                order = np.arange(N)
            if in_place:
                rng.shuffle(X)
                rng.shuffle(labels)
                order = np.arange(N)
            stop_at = {"drop": N - batch_size + 1, "bound": N - batch_size}.get(batches, N)
            losses, sizes = [], []
            for start in range(0, stop_at, batch_size):
                idx = order[start:start + batch_size]
                lab = labels[idx] if pair else labels[start:start + batch_size]
                inputs = X[start:start + batch_size] if pair == "inputs" else X[idx]
                if stop == "before" and tol is not None and sol.has_converged(history, window, tol):
                    return history
                losses.append(sol.minibatch_step(params, inputs, lab, lr * lr_scale))
                sizes.append(len(idx))
                if record == "step":
                    history.append(losses[-1])
            if record == "mean":
                history.append(float(np.mean(losses)))
            elif record == "last":
                history.append(losses[-1])
            elif record == "weighted":
                history.append(float(np.dot(losses, sizes) / np.sum(sizes)))
            elif record == "full":
                history.append(sol.loss_and_grads(params, X, labels)[0])
            if printer == "modulo" and epoch % print_every == 0:
                print(f"epoch {epoch} loss {history[-1]:.4f}")
            elif printer == "every" and print_every and epoch % print_every == 0:
                print(f"epoch {epoch} loss {history[-1]:.4f}")
            elif printer == "always":
                print(f"epoch {epoch} loss {history[-1]:.4f}")
            elif printer == "from_zero" and print_every and (epoch - 1) % print_every == 0:
                print(f"epoch {epoch - 1} loss {history[-1]:.4f}")
            if stop in ("after", "after_loud") and tol is not None and sol.has_converged(history, window, tol):
                if stop == "after_loud":
                    print(f"epoch {epoch}: converged")
                break
        return history
    return train


@pytest.mark.parametrize("kwargs, key", [
    (dict(shuffle="none"), "no_shuffle"),
    (dict(shuffle="once"), "shuffles_once"),
    (dict(pair=False), "labels_not_shuffled"),
    (dict(pair="inputs"), "inputs_not_shuffled"),
    (dict(batches="drop"), "drops_last_batch"),
    (dict(record="last"), "last_batch_loss"),
    (dict(record="full"), "full_loss_after_epoch"),
    (dict(record="step"), "history_per_step"),
    (dict(copy=True), "params_not_updated"),
    (dict(shuffle="global"), "ignores_rng"),
    (dict(printer="always"), "prints_every_epoch"),
    (dict(printer="never"), "silent"),
    (dict(printer="modulo"), "print_every_zero"),
    (dict(stop="never"), "no_early_stop"),
    (dict(lr_scale=1e-4), "cannot_overfit"),
    (dict(record="weighted"), "weighted_mean"),
    (dict(batches="bound"), "loop_bound"),
    (dict(own_seed=True), "seeds_own_rng"),
    (dict(in_place=True), "mutated_input"),
    (dict(printer="from_zero"), "prints_wrong_epochs"),
    (dict(printer="every", stop="after_loud"), "prints_with_zero"),
])
def test_train_mistakes(sol, kwargs, key):
    fails_with(key, check.train, train_like(sol, **kwargs))


def test_the_formula_version_of_train_passes(sol):
    check.train(train_like(sol), quiet=True)


def test_train_stop_epoch_is_not_borderline():
    """The run with a tolerance stops well before its last epoch, with a clear margin to tol."""
    for hidden in (False, True):
        rng = check._rng(hidden, 580)
        for N, sizes, batch, _, _ in check._train_cases(hidden):     # drawn as the check draws them
            X, labels, params = check._problem(rng, N, sizes)
        window, tol = (3, 0.02) if hidden else (4, 0.02)
        history, _, _ = check._ref_train(params, X, labels, 0.5, 60, batch, 7, window, tol)
        assert window + 1 < len(history) < 60
        for end in range(window + 1, len(history) + 1):
            h = history[:end]
            assert abs(min(h[:-window]) - min(h[-window:]) - tol) > 1e-6


# --- 11. fit_digits -----------------------------------------------------------------------------------

def test_fit_digits_that_underfits_is_named(sol):
    def fit_digits(X, labels, rng):
        params = sol.init_params([64, 16, 10], rng)
        sol.train(params, X, labels, 0.002, 1, 64, rng, print_every=0)
        return params
    message = fails_with("low_accuracy", check.fit_digits, fit_digits)
    assert "95%" in message


@pytest.mark.parametrize("planted, key", [
    (lambda X, y, rng: [0.5, 0.4], "not_a_dict"),
    (lambda X, y, rng: {"W1": np.zeros((64, 5)), "b1": np.zeros(5), "W2": np.zeros((3, 10)), "b2": np.zeros(10)},
     "wrong_shape"),
    (lambda X, y, rng: {"W1": np.full((64, 10), np.nan) * rng.random(), "b1": np.zeros(10)}, "diverged"),
])
def test_fit_digits_mistakes(planted, key):
    fails_with(key, check.fit_digits, planted)


def test_fit_digits_with_its_own_generator_is_named(sol):
    """A recipe that would pass on accuracy, but seeds its own generator instead of using the one given."""
    def fit_digits(X, labels, rng):
        return sol.fit_digits(X, labels, np.random.default_rng(0))
    fails_with("ignores_rng", check.fit_digits, fit_digits)


def test_fit_digits_must_not_change_the_data(sol):
    def fit_digits(X, labels, rng):
        X -= X.mean(axis=0)
        return sol.fit_digits(X, labels, rng)
    fails_with("mutated_input", check.fit_digits, fit_digits)


# --- correct code written another way passes -------------------------------------------------------

def sgd_rebinding_entries(params, grads, lr):
    for name in list(params):
        params[name] = params[name] - lr * grads[name]


def init_with_normal(sizes, rng):
    return {key: value for k in range(1, len(sizes))
            for key, value in ((f"W{k}", rng.normal(0.0, np.sqrt(2.0 / sizes[k - 1]), (sizes[k - 1], sizes[k]))),
                               (f"b{k}", np.zeros(sizes[k])))}


def fd_on_dict_copies(f, params, h=1e-5):
    grads = {}
    for name, p in params.items():
        g = np.zeros(p.size)
        for j in range(p.size):
            up = {k: v.copy() for k, v in params.items()}
            down = {k: v.copy() for k, v in params.items()}
            up[name].flat[j] += h
            down[name].flat[j] -= h
            g[j] = (f(up) - f(down)) / (2 * h)
        grads[name] = g.reshape(p.shape)
    return grads


def per_example_local_buffers(sol):
    def per_example_step(params, grads, X, labels, lr):
        grads = {name: np.zeros_like(p) for name, p in params.items()}
        losses = []
        for x, y in zip(X, labels):
            loss, g = sol.loss_and_grads(params, x[None, :], np.array([y]))
            losses.append(loss)
            for name in grads:
                grads[name] = grads[name] + g[name]
        for name in params:
            params[name] = params[name] - lr * grads[name] / len(X)
        return float(np.mean(losses))
    return per_example_step


def converged_with_python_min(history, window, tol):
    history = list(history)
    return len(history) > window and min(history[:-window]) - min(history[-window:]) <= tol


def train_counting_from_zero(sol):
    def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
        history = []
        for epoch in range(epochs):
            order = rng.permutation(len(X))
            losses = []
            for start in range(0, len(X), batch_size):
                batch = order[start:start + batch_size]
                losses.append(sol.minibatch_step(params, X[batch], labels[batch], lr))
            history.append(np.mean(losses))
            if print_every > 0 and (epoch + 1) % print_every == 0:
                print(f"Epoch {epoch + 1:03d}/{epochs}: {history[-1]:.3f}")
            if tol is not None and sol.has_converged(history, window, tol):
                break
        return history
    return train


def test_inputs_changed_in_place_are_named(sol):
    def per_example_shuffles(params, grads, X, labels, lr):
        order = np.argsort(labels, kind="stable")
        X[...], labels[...] = X[order], labels[order]
        return sol.per_example_step(params, grads, X, labels, lr)

    def minibatch_centres(params, X, labels, lr):
        X -= X.mean(axis=0)
        return sol.minibatch_step(params, X, labels, lr)

    def accuracy_shifts(scores, labels):
        scores -= scores.max(axis=1, keepdims=True)
        return float(np.mean(np.argmax(scores, axis=1) == labels))
    fails_with("mutated_input", check.per_example_step, per_example_shuffles)
    fails_with("mutated_input", check.minibatch_step, minibatch_centres)
    fails_with("mutated_input", check.accuracy, accuracy_shifts)


def test_correct_code_written_another_way_passes(sol):
    cases = [
        (check.sgd_step, sgd_rebinding_entries),
        (check.init_params, init_with_normal),
        (check.numerical_grads, fd_on_dict_copies),
        (check.minibatch_step, lambda p, X, y, lr: (lambda lg: (sol.sgd_step(p, lg[1], lr), lg[0])[1])(
            sol.loss_and_grads(p, X, y))),
        (check.accuracy, lambda s, y: (s.argmax(1) == y).mean()),
        (check.has_converged, converged_with_python_min),
        (check.train, train_counting_from_zero(sol)),
    ]
    for fn, answer in cases:
        fn(answer, quiet=True)
        fn(answer, hidden=True, quiet=True)


# --- issue 18, round 2: the blind catalog's classes, named (tests/mistakes/05_training.py has its rows) -----

def gd_aliased(grad, w0, lr, steps):
    """A 0-d array updated in place and appended each step: every entry is the last position."""
    w = np.array(w0, dtype=float)
    path = [w.copy()]
    for _ in range(steps):
        w -= lr * grad(w)
        path.append(w)
    return np.array(path)


def sgd_skips(first):
    """Layers counted from 2 (first=True: the first layer never moves) or up to K - 1 (the last)."""
    def sgd_step(params, grads, lr):
        K = len(params) // 2
        for k in (range(2, K + 1) if first else range(1, K)):
            for n in "Wb":
                params[f"{n}{k}"] -= lr * grads[f"{n}{k}"]
    return sgd_step


def net_loss_with(activation):
    """loss_and_grads whose hidden layers use ``activation`` (one of the given layers) instead of ReLU;
    its gradients are those of the ReLU network (the loss shows the mistake first)."""
    def loss_and_grads(params, X, labels):
        K = len(params) // 2
        h = X
        for k in range(1, K + 1):
            z = h @ params[f"W{k}"] + params[f"b{k}"]
            h = activation(z) if k < K else z
        s = h - h.max(axis=1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        return -logp[np.arange(len(X)), labels].mean(), net_grads()(params, X, labels)[1]
    return loss_and_grads


def caches_in_the_wrong_order(sol):
    """The ReLU's cache appended before the affine layer's: relu_backward then gets (x, W)."""
    def loss_and_grads(params, X, labels):
        K = len(params) // 2
        caches, h = [], X
        for k in range(1, K + 1):
            h, affine = sol.affine_forward(h, params[f"W{k}"], params[f"b{k}"])
            if k < K:
                h, relu = sol.relu_forward(h)
                caches += [relu, affine]
            else:
                caches.append(affine)
        loss, dh = sol.softmax_cross_entropy(h, labels)
        grads = {}
        for k in range(K, 0, -1):
            if k < K:
                dh = sol.relu_backward(dh, caches.pop())
            dh, grads[f"W{k}"], grads[f"b{k}"] = sol.affine_backward(dh, caches.pop())
        return loss, grads
    return loss_and_grads


def per_example_full_lr(sol):
    """An update after every example, at the full lr."""
    def per_example_step(params, grads, X, labels, lr):
        Loss = 0.0
        for t in range(len(X)):
            div, g = sol.loss_and_grads(params, X[t:t + 1], labels[t:t + 1])
            Loss += div
            for name in params:
                params[name] -= lr * g[name]
        return Loss / len(X)
    return per_example_step


def minibatch_per_row(sol, scale):
    def minibatch_step(params, X, labels, lr):
        losses = []
        for t in range(len(X)):
            loss, grads = sol.loss_and_grads(params, X[t:t + 1], labels[t:t + 1])
            sol.sgd_step(params, grads, scale(lr, len(X)))
            losses.append(loss)
        return float(np.mean(losses))
    return minibatch_step


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("part, planted, key", [
    ("gradient_descent", lambda sol: gd_aliased, "path_aliased"),
    ("gradient_descent", lambda sol: gd(lambda w, g, lr, w0: w - lr * g(w), count=lambda s: s + 1), "one_step_long"),
    ("sgd_step", lambda sol: sgd_skips(first=False), "params_skipped"),
    ("sgd_step", lambda sol: sgd_skips(first=True), "params_skipped"),
    ("loss_and_grads", lambda sol: net_loss_with(sigmoid), "other_activation"),
    ("loss_and_grads", lambda sol: net_loss_with(np.tanh), "other_activation"),
    ("loss_and_grads", caches_in_the_wrong_order, "caches_mixed_up"),
    ("per_example_step", per_example_full_lr, "update_per_example"),
    ("per_example_step", lambda sol: per_example(sol, returns=lambda loss, T: (loss / T, None)), "returned_tuple"),
    ("minibatch_step", lambda sol: minibatch_per_row(sol, lambda lr, N: lr), "step_per_example"),
    ("minibatch_step", lambda sol: minibatch_per_row(sol, lambda lr, N: lr / N), "step_per_example"),
    ("accuracy", lambda sol: lambda s, y: float(np.sum(np.argmax(s, axis=1) == y) / s.shape[1]), "divided_by_size"),
    ("accuracy", lambda sol: lambda s, y: float(np.sum(np.argmax(s, axis=1) == y) / s.size), "divided_by_size"),
    ("accuracy", lambda sol: lambda s, y: int(np.sum(np.argmax(s, axis=1) == y)) // len(y), "integer_dtype"),
    ("accuracy", lambda sol: lambda s, y: float(np.mean(np.argmax(s, axis=1) == y[:, None])), "compared_as_matrix"),
])
def test_round_2_mistakes_are_named_in_both_halves(sol, part, planted, key, hidden):
    message = fails_with(key, getattr(check, part), planted(sol), hidden=hidden)
    assert message.rstrip().endswith("above.") and "see hint" in message   # it points to its hint


def test_first_and_last_layer_skipped_say_which(sol):
    assert "the last layer (W2, b2) never moved" in fails_with("params_skipped", check.sgd_step, sgd_skips(False))
    assert "the first layer (W1, b1) never moved" in fails_with("params_skipped", check.sgd_step, sgd_skips(True))


def test_a_tie_counts_as_wrong_but_a_tie_break_is_free():
    """Rows whose scores all tie are labelled with a middle class: argmax (the first of the ties) and a
    loop that keeps the last of them both get those rows wrong, and both pass."""
    def last_of_the_ties(scores, labels):
        picks = [max(range(scores.shape[1]), key=lambda c: (row[c], c)) for row in scores]
        return float(np.mean(np.array(picks) == labels))
    for hidden in (False, True):
        check.accuracy(last_of_the_ties, hidden=hidden, quiet=True)


def test_the_convergence_boundary_is_exact():
    """The boundary case's gain equals tol in floating point, so <= and < disagree on it."""
    for window, tol in ((5, 2.0 ** -10), (4, 2.0 ** -9)):
        history = [1.0, 0.75, 0.5 + tol] + [0.625 - k / 64 for k in range(window - 1)] + [0.5]
        assert min(history[:-window]) - min(history[-window:]) == tol
