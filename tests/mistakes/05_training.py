"""Realistic mistakes in notebook 05 (training), each a whole answer cell as a learner would write it.

Derived from the exercises as a learner meets them: the sign and the start of a path, dicts walked by
position or by two hard-coded layers, seed 001's layout and typo, the buffers of seed 001's loop
(overwritten, never zeroed, rebound, updated inside the loop), a 1/N taken twice, slices and axes one
off, a shuffle that unpairs the labels or ignores the generator, printing and stopping rules.
"""
from . import Mistake

MISTAKES = [
    # --- Exercise 1: gradient_descent -------------------------------------------------------------
    Mistake("gradient_descent", "wrong_sign", "the step goes along the gradient", """
        def gradient_descent(grad, w0, lr, steps):
            path = [float(w0)]
            w = float(w0)
            for _ in range(steps):
                w = w + lr * grad(w)
                path.append(w)
            return np.array(path)
        """),
    Mistake("gradient_descent", "integer_path", "np.full from an integer start rounds every step", """
        def gradient_descent(grad, w0, lr, steps):
            path = np.full(steps + 1, w0)
            for i in range(steps):
                path[i + 1] = path[i] - lr * grad(path[i])
            return path
        """, kind="subtle"),
    Mistake("gradient_descent", "stale_gradient", "the slope taken once, at w0", """
        def gradient_descent(grad, w0, lr, steps):
            g = grad(w0)
            path = [float(w0)]
            for _ in range(steps):
                path.append(path[-1] - lr * g)
            return np.array(path)
        """, kind="subtle"),
    Mistake("gradient_descent", "appended_before_update", "w appended before it is updated", """
        def gradient_descent(grad, w0, lr, steps):
            w = float(w0)
            path = [w]
            for _ in range(steps):
                path.append(w)
                w -= lr * grad(w)
            return np.array(path)
        """, kind="subtle"),
    Mistake("gradient_descent", "only_final", "only the last w returned", """
        def gradient_descent(grad, w0, lr, steps):
            w = float(w0)
            for _ in range(steps):
                w -= lr * grad(w)
            return w
        """),

    Mistake("gradient_descent", "returned_list", "the path returned as a Python list", """
        def gradient_descent(grad, w0, lr, steps):
            path = [float(w0)]
            for _ in range(steps):
                path.append(path[-1] - lr * grad(path[-1]))
            return path
        """),

    # --- Exercise 2: sgd_step -----------------------------------------------------------------------
    Mistake("sgd_step", "not_in_place", "a new dict bound to the local name", """
        def sgd_step(params, grads, lr):
            params = {name: params[name] - lr * grads[name] for name in params}
        """),
    Mistake("sgd_step", "paired_by_order", "params and grads zipped by position", """
        def sgd_step(params, grads, lr):
            for p, g in zip(params.values(), grads.values()):
                p -= lr * g
        """, kind="subtle"),
    Mistake("sgd_step", "bias_not_updated", "only the weights stepped", """
        def sgd_step(params, grads, lr):
            for name in params:
                if name.startswith("W"):
                    params[name] -= lr * grads[name]
        """),
    Mistake("sgd_step", "fixed_layers", "two layers named by hand", """
        def sgd_step(params, grads, lr):
            for name in ["W1", "b1", "W2", "b2"]:
                params[name] -= lr * grads[name]
        """),
    Mistake("sgd_step", "mutated_input", "lr folded into the caller's gradients", """
        def sgd_step(params, grads, lr):
            for name in params:
                grads[name] *= lr
                params[name] -= grads[name]
        """, kind="subtle"),
    Mistake("sgd_step", "cmu_transpose", "seed 001's transpose kept", """
        def sgd_step(params, grads, lr):
            for name in params:
                params[name] -= lr * grads[name].T
        """),

    # --- Exercise 3: init_params --------------------------------------------------------------------
    Mistake("init_params", "cmu_layout", "W drawn as seed 001's (fan_out, fan_in)", """
        def init_params(sizes, rng):
            params = {}
            for k in range(1, len(sizes)):
                params[f"W{k}"] = rng.standard_normal((sizes[k], sizes[k - 1])) * np.sqrt(2 / sizes[k - 1])
                params[f"b{k}"] = np.zeros(sizes[k])
            return params
        """),
    Mistake("init_params", "forgot_sqrt", "the variance used as the standard deviation", """
        def init_params(sizes, rng):
            params = {}
            for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
                params[f"W{k}"] = rng.standard_normal((fan_in, fan_out)) * 2 / fan_in
                params[f"b{k}"] = np.zeros(fan_out)
            return params
        """),
    Mistake("init_params", "sqrt_precedence", "np.sqrt(2) / fan_in", """
        def init_params(sizes, rng):
            params = {}
            for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
                params[f"W{k}"] = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2) / fan_in
                params[f"b{k}"] = np.zeros(fan_out)
            return params
        """, kind="subtle"),
    Mistake("init_params", "ignores_rng", "np.random instead of the rng given", """
        def init_params(sizes, rng):
            params = {}
            for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
                params[f"W{k}"] = np.random.randn(fan_in, fan_out) * np.sqrt(2 / fan_in)
                params[f"b{k}"] = np.zeros(fan_out)
            return params
        """),
    Mistake("init_params", "bias_2d", "biases as (1, fan_out) rows", """
        def init_params(sizes, rng):
            params = {}
            for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
                params[f"W{k}"] = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2 / fan_in)
                params[f"b{k}"] = np.zeros((1, fan_out))
            return params
        """, kind="subtle"),
    Mistake("init_params", "standard_normal_args", "the shape given as two numbers", """
        def init_params(sizes, rng):
            params = {}
            for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
                params[f"W{k}"] = rng.standard_normal(fan_in, fan_out) * np.sqrt(2 / fan_in)
                params[f"b{k}"] = np.zeros(fan_out)
            return params
        """),
    Mistake("init_params", "zero_init", "all weights zero", """
        def init_params(sizes, rng):
            params = {}
            for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
                params[f"W{k}"] = np.zeros((fan_in, fan_out))
                params[f"b{k}"] = np.zeros(fan_out)
            return params
        """),

    # --- Exercise 4: loss_and_grads -------------------------------------------------------------------
    Mistake("loss_and_grads", "fixed_depth", "two layers written out", """
        def loss_and_grads(params, X, labels):
            z1, c1 = affine_forward(X, params["W1"], params["b1"])
            h1, r1 = relu_forward(z1)
            scores, c2 = affine_forward(h1, params["W2"], params["b2"])
            loss, dscores = softmax_cross_entropy(scores, labels)
            dh1, dW2, db2 = affine_backward(dscores, c2)
            dz1 = relu_backward(dh1, r1)
            _, dW1, db1 = affine_backward(dz1, c1)
            return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
        """),
    Mistake("loss_and_grads", "relu_on_scores", "ReLU after every layer, the last too", """
        def loss_and_grads(params, X, labels):
            K = len(params) // 2
            caches, h = [], X
            for k in range(1, K + 1):
                h, cache = affine_forward(h, params[f"W{k}"], params[f"b{k}"])
                caches.append(cache)
                h, cache = relu_forward(h)
                caches.append(cache)
            loss, dh = softmax_cross_entropy(h, labels)
            grads = {}
            for k in range(K, 0, -1):
                dh = relu_backward(dh, caches.pop())
                dh, grads[f"W{k}"], grads[f"b{k}"] = affine_backward(dh, caches.pop())
            return loss, grads
        """),
    Mistake("loss_and_grads", "missing_relu_backward", "the ReLU caches popped but never used", """
        def loss_and_grads(params, X, labels):
            K = len(params) // 2
            caches, h = [], X
            for k in range(1, K + 1):
                h, cache = affine_forward(h, params[f"W{k}"], params[f"b{k}"])
                caches.append(cache)
                if k < K:
                    h, cache = relu_forward(h)
                    caches.append(cache)
            loss, dh = softmax_cross_entropy(h, labels)
            grads = {}
            for k in range(K, 0, -1):
                if k < K:
                    caches.pop()
                dh, grads[f"W{k}"], grads[f"b{k}"] = affine_backward(dh, caches.pop())
            return loss, grads
        """, kind="subtle"),
    Mistake("loss_and_grads", "dh_not_passed", "every layer's backward fed dscores", """
        def loss_and_grads(params, X, labels):
            K = len(params) // 2
            caches, h = [], X
            for k in range(1, K + 1):
                h, cache = affine_forward(h, params[f"W{k}"], params[f"b{k}"])
                caches.append(cache)
                if k < K:
                    h, cache = relu_forward(h)
                    caches.append(cache)
            loss, dscores = softmax_cross_entropy(h, labels)
            grads = {}
            for k in range(K, 0, -1):
                dz = dscores if k == K else relu_backward(dscores, caches.pop())
                _, grads[f"W{k}"], grads[f"b{k}"] = affine_backward(dz, caches.pop())
            return loss, grads
        """, kind="subtle"),
    Mistake("loss_and_grads", "paired_by_order", "the layers taken from params.values() in pairs", """
        def loss_and_grads(params, X, labels):
            values = list(params.values())
            layers = [(values[i], values[i + 1]) for i in range(0, len(values), 2)]
            caches, h = [], X
            for k, (W, b) in enumerate(layers, start=1):
                h, cache = affine_forward(h, W, b)
                caches.append(cache)
                if k < len(layers):
                    h, cache = relu_forward(h)
                    caches.append(cache)
            loss, dh = softmax_cross_entropy(h, labels)
            grads = {}
            for k in range(len(layers), 0, -1):
                if k < len(layers):
                    dh = relu_backward(dh, caches.pop())
                dh, grads[f"W{k}"], grads[f"b{k}"] = affine_backward(dh, caches.pop())
            return loss, grads
        """, kind="subtle"),
    Mistake("loss_and_grads", "divided_by_N_again", "the gradients divided by N once more", """
        def loss_and_grads(params, X, labels):
            K = len(params) // 2
            caches, h = [], X
            for k in range(1, K + 1):
                h, cache = affine_forward(h, params[f"W{k}"], params[f"b{k}"])
                caches.append(cache)
                if k < K:
                    h, cache = relu_forward(h)
                    caches.append(cache)
            loss, dh = softmax_cross_entropy(h, labels)
            grads = {}
            for k in range(K, 0, -1):
                if k < K:
                    dh = relu_backward(dh, caches.pop())
                dh, dW, db = affine_backward(dh, caches.pop())
                grads[f"W{k}"], grads[f"b{k}"] = dW / len(X), db / len(X)
            return loss, grads
        """),

    # --- Exercise 5: numerical_grads ----------------------------------------------------------------
    Mistake("numerical_grads", "not_restored", "the old value never put back", """
        def numerical_grads(f, params, eps=1e-5):
            grads = {}
            for name, p in params.items():
                g = np.zeros_like(p)
                for i in np.ndindex(p.shape):
                    old = p[i]
                    p[i] = old + eps
                    up = f(params)
                    p[i] = old - eps
                    down = f(params)
                    g[i] = (up - down) / (2 * eps)
                grads[name] = g
            return grads
        """),
    Mistake("numerical_grads", "forward_difference", "f(p + eps) - f(p), over eps", """
        def numerical_grads(f, params, eps=1e-5):
            grads = {}
            base = f(params)
            for name, p in params.items():
                g = np.zeros_like(p)
                for i in np.ndindex(p.shape):
                    old = p[i]
                    p[i] = old + eps
                    g[i] = (f(params) - base) / eps
                    p[i] = old
                grads[name] = g
            return grads
        """),
    Mistake("numerical_grads", "times_eps", "/ 2 * eps without brackets", """
        def numerical_grads(f, params, eps=1e-5):
            grads = {}
            for name, p in params.items():
                g = np.zeros_like(p)
                for i in np.ndindex(p.shape):
                    old = p[i]
                    p[i] = old + eps
                    up = f(params)
                    p[i] = old - eps
                    down = f(params)
                    p[i] = old
                    g[i] = (up - down) / 2 * eps
                grads[name] = g
            return grads
        """, kind="subtle"),
    Mistake("numerical_grads", "nudged_a_copy", "the nudges made on a copy f never sees", """
        def numerical_grads(f, params, eps=1e-5):
            grads = {}
            for name, p in params.items():
                q = p.copy()
                g = np.zeros_like(p)
                for i in np.ndindex(p.shape):
                    q[i] = p[i] + eps
                    up = f(params)
                    q[i] = p[i] - eps
                    down = f(params)
                    q[i] = p[i]
                    g[i] = (up - down) / (2 * eps)
                grads[name] = g
            return grads
        """, kind="subtle"),
    Mistake("numerical_grads", "nudged_rows", "range(len(p)) visits rows, not entries", """
        def numerical_grads(f, params, eps=1e-5):
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
        """),

    # --- Exercise 6: per_example_step ---------------------------------------------------------------
    Mistake("per_example_step", "overwrote_accumulator", "each example's gradient replaces the last", """
        def per_example_step(params, grads, X, labels, lr):
            T = len(X)
            for name in grads:
                grads[name][...] = 0.0
            Loss = 0.0
            for t in range(T):
                div, g = loss_and_grads(params, X[t:t + 1], labels[t:t + 1])
                Loss += div
                for name in grads:
                    grads[name] = g[name]
            sgd_step(params, grads, lr / T)
            return Loss / T
        """),
    Mistake("per_example_step", "update_per_example", "the update inside the example loop", """
        def per_example_step(params, grads, X, labels, lr):
            T = len(X)
            for name in grads:
                grads[name][...] = 0.0
            Loss = 0.0
            for t in range(T):
                div, g = loss_and_grads(params, X[t:t + 1], labels[t:t + 1])
                Loss += div
                for name in grads:
                    grads[name] += g[name]
                sgd_step(params, g, lr / T)
            return Loss / T
        """),
    Mistake("per_example_step", "update_in_loop", "the accumulated buffers applied after every example", """
        def per_example_step(params, grads, X, labels, lr):
            T = len(X)
            for name in grads:
                grads[name][...] = 0.0
            Loss = 0.0
            for t in range(T):
                div, g = loss_and_grads(params, X[t:t + 1], labels[t:t + 1])
                Loss += div
                for name in grads:
                    grads[name] += g[name]
                    params[name] -= (lr / T) * grads[name]
            return Loss / T
        """, kind="subtle"),
    Mistake("per_example_step", "sum_not_mean", "seed 001's 1/T forgotten", """
        def per_example_step(params, grads, X, labels, lr):
            for name in grads:
                grads[name][...] = 0.0
            Loss = 0.0
            for t in range(len(X)):
                div, g = loss_and_grads(params, X[t:t + 1], labels[t:t + 1])
                Loss += div
                for name in grads:
                    grads[name] += g[name]
            sgd_step(params, grads, lr)
            return Loss / len(X)
        """),
    Mistake("per_example_step", "grads_not_zeroed", "the buffers never zeroed", """
        def per_example_step(params, grads, X, labels, lr):
            T = len(X)
            Loss = 0.0
            for t in range(T):
                div, g = loss_and_grads(params, X[t:t + 1], labels[t:t + 1])
                Loss += div
                for name in grads:
                    grads[name] += g[name]
            sgd_step(params, grads, lr / T)
            return Loss / T
        """),
    Mistake("per_example_step", "buffers_rebound", "fresh local buffers: the caller's never written", """
        def per_example_step(params, grads, X, labels, lr):
            T = len(X)
            grads = {name: np.zeros_like(p) for name, p in params.items()}
            Loss = 0.0
            for t in range(T):
                div, g = loss_and_grads(params, X[t:t + 1], labels[t:t + 1])
                Loss += div
                for name in grads:
                    grads[name] += g[name]
            sgd_step(params, grads, lr / T)
            return Loss / T
        """, kind="subtle"),
    Mistake("per_example_step", "example_not_batch", "X[t] given as one row of shape (D,)", """
        def per_example_step(params, grads, X, labels, lr):
            T = len(X)
            for name in grads:
                grads[name][...] = 0.0
            Loss = 0.0
            for t in range(T):
                div, g = loss_and_grads(params, X[t], labels[t:t + 1])
                Loss += div
                for name in grads:
                    grads[name] += g[name]
            sgd_step(params, grads, lr / T)
            return Loss / T
        """),
    Mistake("per_example_step", "returned_sum_loss", "Loss returned without / T", """
        def per_example_step(params, grads, X, labels, lr):
            T = len(X)
            for name in grads:
                grads[name][...] = 0.0
            Loss = 0.0
            for t in range(T):
                div, g = loss_and_grads(params, X[t:t + 1], labels[t:t + 1])
                Loss += div
                for name in grads:
                    grads[name] += g[name]
            sgd_step(params, grads, lr / T)
            return Loss
        """),

    # --- Exercise 7: minibatch_step -----------------------------------------------------------------
    Mistake("minibatch_step", "divided_by_N_again", "seed 001's eta / T kept", """
        def minibatch_step(params, X, labels, lr):
            loss, grads = loss_and_grads(params, X, labels)
            sgd_step(params, grads, lr / len(X))
            return loss
        """),
    Mistake("minibatch_step", "loss_after_update", "the loss computed again after the step", """
        def minibatch_step(params, X, labels, lr):
            _, grads = loss_and_grads(params, X, labels)
            sgd_step(params, grads, lr)
            return loss_and_grads(params, X, labels)[0]
        """, kind="subtle"),
    Mistake("minibatch_step", "sum_not_mean", "lr scaled by N, as for a summed loss", """
        def minibatch_step(params, X, labels, lr):
            loss, grads = loss_and_grads(params, X, labels)
            sgd_step(params, grads, lr * len(X))
            return loss
        """, kind="subtle"),

    # --- Exercise 8: accuracy -----------------------------------------------------------------------
    Mistake("accuracy", "argmax_axis0", "argmax down the columns", """
        def accuracy(scores, labels):
            return float(np.mean(np.argmax(scores, axis=0) == labels))
        """),
    Mistake("accuracy", "max_not_argmax", "the largest score compared with the label", """
        def accuracy(scores, labels):
            return float(np.mean(np.max(scores, axis=1) == labels))
        """),
    Mistake("accuracy", "count_not_fraction", "the number right, not the fraction", """
        def accuracy(scores, labels):
            return float(np.sum(np.argmax(scores, axis=1) == labels))
        """, kind="subtle"),
    Mistake("accuracy", "percent", "a percentage", """
        def accuracy(scores, labels):
            return 100 * float(np.mean(np.argmax(scores, axis=1) == labels))
        """, kind="subtle"),

    # --- Exercise 9: has_converged ------------------------------------------------------------------
    Mistake("has_converged", "compares_ends", "the loss before the window against the last loss", """
        def has_converged(history, window, tol):
            if len(history) <= window:
                return False
            return history[-window - 1] - history[-1] <= tol
        """),
    Mistake("has_converged", "short_history", "no guard for a short history", """
        def has_converged(history, window, tol):
            return min(history[:-window]) - min(history[-window:]) <= tol
        """),
    Mistake("has_converged", "abs_gain", "the size of the change, up or down", """
        def has_converged(history, window, tol):
            if len(history) <= window:
                return False
            return abs(min(history[:-window]) - min(history[-window:])) <= tol
        """, kind="subtle"),
    Mistake("has_converged", "compares_last_before", "the window against the one epoch before it", """
        def has_converged(history, window, tol):
            if len(history) <= window:
                return False
            return history[-window - 1] - min(history[-window:]) <= tol
        """, kind="subtle"),
    Mistake("has_converged", "mean_not_min", "mean losses compared", """
        def has_converged(history, window, tol):
            if len(history) <= window:
                return False
            return bool(np.mean(history[:-window]) - np.mean(history[-window:]) <= tol)
        """, kind="subtle"),

    # --- Exercise 10: train -------------------------------------------------------------------------
    Mistake("train", "no_shuffle", "the batches taken in the data's order", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            history = []
            for epoch in range(1, epochs + 1):
                losses = [minibatch_step(params, X[s:s + batch_size], labels[s:s + batch_size], lr)
                          for s in range(0, len(X), batch_size)]
                history.append(float(np.mean(losses)))
                if print_every and epoch % print_every == 0:
                    print(f"epoch {epoch}   loss {history[-1]:.4f}")
                if tol is not None and has_converged(history, window, tol):
                    print(f"epoch {epoch}: converged")
                    break
            return history
        """),
    Mistake("train", "labels_not_shuffled", "X shuffled, labels sliced in order", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            N = len(X)
            history = []
            for epoch in range(1, epochs + 1):
                order = rng.permutation(N)
                losses = []
                for start in range(0, N, batch_size):
                    idx = order[start:start + batch_size]
                    losses.append(minibatch_step(params, X[idx], labels[start:start + batch_size], lr))
                history.append(float(np.mean(losses)))
                if print_every and epoch % print_every == 0:
                    print(f"epoch {epoch}   loss {history[-1]:.4f}")
                if tol is not None and has_converged(history, window, tol):
                    print(f"epoch {epoch}: converged")
                    break
            return history
        """, kind="subtle"),
    Mistake("train", "drops_last_batch", "N // batch_size batches: the rest dropped", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            N = len(X)
            history = []
            for epoch in range(1, epochs + 1):
                order = rng.permutation(N)
                losses = []
                for b in range(N // batch_size):
                    idx = order[b * batch_size:(b + 1) * batch_size]
                    losses.append(minibatch_step(params, X[idx], labels[idx], lr))
                history.append(float(np.mean(losses)))
                if print_every and epoch % print_every == 0:
                    print(f"epoch {epoch}   loss {history[-1]:.4f}")
                if tol is not None and has_converged(history, window, tol):
                    print(f"epoch {epoch}: converged")
                    break
            return history
        """),
    Mistake("train", "loop_bound", "range(0, N - batch_size, batch_size)", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            N = len(X)
            history = []
            for epoch in range(1, epochs + 1):
                order = rng.permutation(N)
                losses = []
                for start in range(0, N - batch_size, batch_size):
                    idx = order[start:start + batch_size]
                    losses.append(minibatch_step(params, X[idx], labels[idx], lr))
                history.append(float(np.mean(losses)))
                if print_every and epoch % print_every == 0:
                    print(f"epoch {epoch}   loss {history[-1]:.4f}")
                if tol is not None and has_converged(history, window, tol):
                    print(f"epoch {epoch}: converged")
                    break
            return history
        """, kind="subtle"),
    Mistake("train", "ignores_rng", "np.random.permutation instead of the rng", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            N = len(X)
            history = []
            for epoch in range(1, epochs + 1):
                order = np.random.permutation(N)
                losses = [minibatch_step(params, X[order[s:s + batch_size]], labels[order[s:s + batch_size]], lr)
                          for s in range(0, N, batch_size)]
                history.append(float(np.mean(losses)))
                if print_every and epoch % print_every == 0:
                    print(f"epoch {epoch}   loss {history[-1]:.4f}")
                if tol is not None and has_converged(history, window, tol):
                    print(f"epoch {epoch}: converged")
                    break
            return history
        """),
    Mistake("train", "seeds_own_rng", "a generator seeded inside train", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            rng = np.random.default_rng(0)
            N = len(X)
            history = []
            for epoch in range(1, epochs + 1):
                order = rng.permutation(N)
                losses = [minibatch_step(params, X[order[s:s + batch_size]], labels[order[s:s + batch_size]], lr)
                          for s in range(0, N, batch_size)]
                history.append(float(np.mean(losses)))
                if print_every and epoch % print_every == 0:
                    print(f"epoch {epoch}   loss {history[-1]:.4f}")
                if tol is not None and has_converged(history, window, tol):
                    print(f"epoch {epoch}: converged")
                    break
            return history
        """, kind="subtle"),
    Mistake("train", "mutated_input", "X and labels shuffled in place, one after the other", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            history = []
            for epoch in range(1, epochs + 1):
                rng.shuffle(X)
                rng.shuffle(labels)
                losses = [minibatch_step(params, X[s:s + batch_size], labels[s:s + batch_size], lr)
                          for s in range(0, len(X), batch_size)]
                history.append(float(np.mean(losses)))
                if print_every and epoch % print_every == 0:
                    print(f"epoch {epoch}   loss {history[-1]:.4f}")
                if tol is not None and has_converged(history, window, tol):
                    print(f"epoch {epoch}: converged")
                    break
            return history
        """, kind="subtle"),
    Mistake("train", "prints_every_epoch", "a line per epoch", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            N = len(X)
            history = []
            for epoch in range(1, epochs + 1):
                order = rng.permutation(N)
                losses = [minibatch_step(params, X[order[s:s + batch_size]], labels[order[s:s + batch_size]], lr)
                          for s in range(0, N, batch_size)]
                history.append(float(np.mean(losses)))
                print(f"epoch {epoch}   loss {history[-1]:.4f}")
                if tol is not None and has_converged(history, window, tol):
                    break
            return history
        """),
    Mistake("train", "print_every_zero", "epoch % print_every with print_every = 0", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            N = len(X)
            history = []
            for epoch in range(1, epochs + 1):
                order = rng.permutation(N)
                losses = [minibatch_step(params, X[order[s:s + batch_size]], labels[order[s:s + batch_size]], lr)
                          for s in range(0, N, batch_size)]
                history.append(float(np.mean(losses)))
                if epoch % print_every == 0:
                    print(f"epoch {epoch}   loss {history[-1]:.4f}")
                if tol is not None and has_converged(history, window, tol):
                    break
            return history
        """, kind="subtle"),
    Mistake("train", "prints_wrong_epochs", "epochs counted from 0 when printing", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            N = len(X)
            history = []
            for epoch in range(epochs):
                order = rng.permutation(N)
                losses = [minibatch_step(params, X[order[s:s + batch_size]], labels[order[s:s + batch_size]], lr)
                          for s in range(0, N, batch_size)]
                history.append(float(np.mean(losses)))
                if print_every and epoch % print_every == 0:
                    print(f"epoch {epoch}   loss {history[-1]:.4f}")
                if tol is not None and has_converged(history, window, tol):
                    break
            return history
        """, kind="subtle"),
    Mistake("train", "history_per_step", "one history entry per step", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            N = len(X)
            history = []
            for epoch in range(1, epochs + 1):
                order = rng.permutation(N)
                for s in range(0, N, batch_size):
                    idx = order[s:s + batch_size]
                    history.append(minibatch_step(params, X[idx], labels[idx], lr))
                if print_every and epoch % print_every == 0:
                    print(f"epoch {epoch}   loss {history[-1]:.4f}")
                if tol is not None and has_converged(history, window, tol):
                    break
            return history
        """),
    Mistake("train", "no_early_stop", "tol never used", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            N = len(X)
            history = []
            for epoch in range(1, epochs + 1):
                order = rng.permutation(N)
                losses = [minibatch_step(params, X[order[s:s + batch_size]], labels[order[s:s + batch_size]], lr)
                          for s in range(0, N, batch_size)]
                history.append(float(np.mean(losses)))
                if print_every and epoch % print_every == 0:
                    print(f"epoch {epoch}   loss {history[-1]:.4f}")
            return history
        """),

    # --- Exercise 11: fit_digits --------------------------------------------------------------------
    Mistake("fit_digits", "ignores_rng", "a generator of its own", """
        def fit_digits(X_train, labels_train, rng):
            rng = np.random.default_rng(0)
            params = init_params([64, 128, 10], rng)
            train(params, X_train, labels_train, lr=0.1, epochs=40, batch_size=32, rng=rng, print_every=10)
            return params
        """),
    Mistake("fit_digits", "low_accuracy", "too few epochs at a tiny learning rate", """
        def fit_digits(X_train, labels_train, rng):
            params = init_params([64, 32, 10], rng)
            train(params, X_train, labels_train, lr=0.001, epochs=3, batch_size=64, rng=rng, print_every=1)
            return params
        """),
]
