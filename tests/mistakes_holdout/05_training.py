"""Blind holdout catalog for 05_training (issue 18): mistakes written by a second teaching assistant
from the learner's notebook alone, before reading the authors' catalog or the checks.
``key`` is what a precise check SHOULD say (invented here; the real keys differ)."""
from mistakes import Mistake

MISTAKES = [
    # --- Exercise 1: gradient_descent -----------------------------------------------------------
    Mistake("gradient_descent", "one_step_short", "range(1, steps): one update too few, steps positions", """
        def gradient_descent(grad, w0, lr, steps):
            path = [float(w0)]
            for _ in range(1, steps):
                path.append(path[-1] - lr * grad(path[-1]))
            return np.array(path)
    """),
    Mistake("gradient_descent", "returns_list", "the path returned as a Python list", """
        def gradient_descent(grad, w0, lr, steps):
            path = [float(w0)]
            for _ in range(steps):
                path.append(path[-1] - lr * grad(path[-1]))
            return path
    """),
    Mistake("gradient_descent", "path_aliases_one_array", "w is a 0-d array updated with -=; the path appends the same object each time", """
        def gradient_descent(grad, w0, lr, steps):
            w = np.array(w0, dtype=float)
            path = [w.copy()]
            for _ in range(steps):
                w -= lr * grad(w)
                path.append(w)
            return np.array(path)
    """),

    # --- Exercise 2: sgd_step -------------------------------------------------------------------
    Mistake("sgd_step", "rebinds_loop_variable", "for name, p in params.items(): p = p - lr * grads[name] (a local name rebound)", """
        def sgd_step(params, grads, lr):
            for name, p in params.items():
                p = p - lr * grads[name]
    """),
    Mistake("sgd_step", "last_layer_skipped", "layers counted with range(1, len(params) // 2): the last layer never moves", """
        def sgd_step(params, grads, lr):
            for k in range(1, len(params) // 2):
                params[f"W{k}"] -= lr * grads[f"W{k}"]
                params[f"b{k}"] -= lr * grads[f"b{k}"]
    """),
    Mistake("sgd_step", "weights_only_by_ndim", "only 2-D arrays updated (p.ndim == 2), biases skipped", """
        def sgd_step(params, grads, lr):
            for name in params:
                if params[name].ndim == 2:
                    params[name] -= lr * grads[name]
    """),

    # --- Exercise 3: init_params ----------------------------------------------------------------
    Mistake("init_params", "variance_as_std", "rng.normal(0, 2 / fan_in): the variance passed as the standard deviation", """
        def init_params(sizes, rng):
            params = {}
            for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
                params[f"W{k}"] = rng.normal(0.0, 2.0 / fan_in, size=(fan_in, fan_out))
                params[f"b{k}"] = np.zeros(fan_out)
            return params
    """),
    Mistake("init_params", "fan_out_scale", "scale sqrt(2 / fan_out)", """
        def init_params(sizes, rng):
            params = {}
            for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
                params[f"W{k}"] = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_out)
                params[f"b{k}"] = np.zeros(fan_out)
            return params
    """),
    Mistake("init_params", "last_layer_missing", "range(1, len(sizes) - 1): the output layer is never made", """
        def init_params(sizes, rng):
            params = {}
            for k in range(1, len(sizes) - 1):
                fan_in, fan_out = sizes[k - 1], sizes[k]
                params[f"W{k}"] = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
                params[f"b{k}"] = np.zeros(fan_out)
            return params
    """),

    # --- Exercise 4: loss_and_grads -------------------------------------------------------------
    Mistake("loss_and_grads", "two_layers_hardcoded", "written for K = 2 only (passes the visible two-layer example)", """
        def loss_and_grads(params, X, labels):
            z1, c1 = affine_forward(X, params["W1"], params["b1"])
            h1, cr = relu_forward(z1)
            scores, c2 = affine_forward(h1, params["W2"], params["b2"])
            loss, dscores = softmax_cross_entropy(scores, labels)
            dh1, dW2, db2 = affine_backward(dscores, c2)
            _, dW1, db1 = affine_backward(relu_backward(dh1, cr), c1)
            return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    """),
    Mistake("loss_and_grads", "first_layer_missing", "backward loop range(K, 1, -1): the first layer gets no gradient", """
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
            for k in range(K, 1, -1):
                if k < K:
                    dh = relu_backward(dh, caches.pop())
                dh, grads[f"W{k}"], grads[f"b{k}"] = affine_backward(dh, caches.pop())
            return loss, grads
    """),
    Mistake("loss_and_grads", "one_cache_per_layer", "caches.append after the if (indentation slip): a hidden layer keeps only its relu cache", """
        def loss_and_grads(params, X, labels):
            K = len(params) // 2
            caches, h = [], X
            for k in range(1, K + 1):
                h, cache = affine_forward(h, params[f"W{k}"], params[f"b{k}"])
                if k < K:
                    h, cache = relu_forward(h)
                caches.append(cache)
            loss, dh = softmax_cross_entropy(h, labels)
            grads = {}
            for k in range(K, 0, -1):
                if k < K:
                    dh = relu_backward(dh, caches.pop())
                dh, grads[f"W{k}"], grads[f"b{k}"] = affine_backward(dh, caches.pop())
            return loss, grads
    """),

    # --- Exercise 5: numerical_grads ------------------------------------------------------------
    Mistake("numerical_grads", "not_restored", "the entry is left at old - eps after each difference", """
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
    Mistake("numerical_grads", "forward_difference", "one-sided (f(p + eps) - f(p)) / eps", """
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
    Mistake("numerical_grads", "keys_lost", "the result keyed by position 0, 1, 2, ... instead of by name", """
        def numerical_grads(f, params, eps=1e-5):
            grads = {}
            for n, p in enumerate(params.values()):
                g = np.zeros_like(p)
                for i in np.ndindex(p.shape):
                    old = p[i]
                    p[i] = old + eps
                    up = f(params)
                    p[i] = old - eps
                    down = f(params)
                    p[i] = old
                    g[i] = (up - down) / (2 * eps)
                grads[n] = g
            return grads
    """),

    # --- Exercise 6: per_example_step -----------------------------------------------------------
    Mistake("per_example_step", "zeroed_per_example", "the buffers zeroed inside the example loop: they end with the last example only", """
        def per_example_step(params, grads, X, labels, lr):
            T = len(X)
            Loss = 0.0
            for t in range(T):
                for name in grads:
                    grads[name][...] = 0.0
                div, g = loss_and_grads(params, X[t:t + 1], labels[t:t + 1])
                Loss += div
                for name in grads:
                    grads[name] += g[name]
            sgd_step(params, grads, lr / T)
            return Loss / T
    """),
    Mistake("per_example_step", "loss_not_accumulated", "Loss = div (not +=): returns the last example's loss / T", """
        def per_example_step(params, grads, X, labels, lr):
            T = len(X)
            for name in grads:
                grads[name][...] = 0.0
            Loss = 0.0
            for t in range(T):
                div, g = loss_and_grads(params, X[t:t + 1], labels[t:t + 1])
                Loss = div
                for name in grads:
                    grads[name] += g[name]
            sgd_step(params, grads, lr / T)
            return Loss / T
    """),
    Mistake("per_example_step", "returns_sum_loss", "returns Loss, the sum over the T examples", """
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

    # --- Exercise 7: minibatch_step -------------------------------------------------------------
    Mistake("minibatch_step", "loss_after_step", "returns loss_only(params, ...) computed after the update", """
        def minibatch_step(params, X, labels, lr):
            _, grads = loss_and_grads(params, X, labels)
            sgd_step(params, grads, lr)
            return loss_only(params, X, labels)
    """),
    Mistake("minibatch_step", "steps_per_row", "a loop over the rows with one full-lr step each (T steps, not one)", """
        def minibatch_step(params, X, labels, lr):
            losses = []
            for t in range(len(X)):
                loss, grads = loss_and_grads(params, X[t:t + 1], labels[t:t + 1])
                sgd_step(params, grads, lr)
                losses.append(loss)
            return float(np.mean(losses))
    """),
    Mistake("minibatch_step", "returns_tuple", "returns (loss, grads)", """
        def minibatch_step(params, X, labels, lr):
            loss, grads = loss_and_grads(params, X, labels)
            sgd_step(params, grads, lr)
            return loss, grads
    """),

    # --- Exercise 8: accuracy -------------------------------------------------------------------
    Mistake("accuracy", "divides_by_size", "correct count divided by scores.size (N * C)", """
        def accuracy(scores, labels):
            return float(np.sum(np.argmax(scores, axis=1) == labels) / scores.size)
    """),
    Mistake("accuracy", "floor_division", "count // len(labels): 0 unless every row is right", """
        def accuracy(scores, labels):
            return np.sum(np.argmax(scores, axis=1) == labels) // len(labels)
    """),
    Mistake("accuracy", "ties_count_as_correct", "right when the label's score equals the row max: ties count as correct", """
        def accuracy(scores, labels):
            rows = np.arange(len(labels))
            return float(np.mean(scores[rows, labels] == scores.max(axis=1)))
    """),

    # --- Exercise 9: has_converged --------------------------------------------------------------
    Mistake("has_converged", "guard_off_by_one", "guard len(history) < window: min of an empty slice at len == window", """
        def has_converged(history, window, tol):
            if len(history) < window:
                return False
            return min(history[:-window]) - min(history[-window:]) <= tol
    """),
    Mistake("has_converged", "strict_inequality", "improvement < tol instead of <= tol", """
        def has_converged(history, window, tol):
            if len(history) <= window:
                return False
            return min(history[:-window]) - min(history[-window:]) < tol
    """),
    Mistake("has_converged", "means_not_bests", "the mean of the window against the mean before it", """
        def has_converged(history, window, tol):
            if len(history) <= window:
                return False
            return float(np.mean(history[:-window]) - np.mean(history[-window:])) <= tol
    """),

    # --- Exercise 10: train ---------------------------------------------------------------------
    Mistake("train", "shuffled_once", "one permutation drawn before the epoch loop, reused every epoch", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            N = len(X)
            history = []
            order = rng.permutation(N)
            for epoch in range(1, epochs + 1):
                losses = [minibatch_step(params, X[order[s:s + batch_size]], labels[order[s:s + batch_size]], lr)
                          for s in range(0, N, batch_size)]
                history.append(float(np.mean(losses)))
                if print_every and epoch % print_every == 0:
                    print(f"epoch {epoch:5d}   loss {history[-1]:.4f}")
                if tol is not None and has_converged(history, window, tol):
                    if print_every:
                        print(f"converged after epoch {epoch}")
                    break
            return history
    """),
    Mistake("train", "print_epoch_zero_based", "epochs counted from 0: a line after epochs 1, 11, 21, ...", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            N = len(X)
            history = []
            for epoch in range(epochs):
                order = rng.permutation(N)
                losses = [minibatch_step(params, X[order[s:s + batch_size]], labels[order[s:s + batch_size]], lr)
                          for s in range(0, N, batch_size)]
                history.append(float(np.mean(losses)))
                if print_every and epoch % print_every == 0:
                    print(f"epoch {epoch:5d}   loss {history[-1]:.4f}")
                if tol is not None and has_converged(history, window, tol):
                    if print_every:
                        print(f"converged after epoch {epoch}")
                    break
            return history
    """),
    Mistake("train", "modulo_by_zero", "epoch % print_every tested before print_every: print_every=0 raises ZeroDivisionError", """
        def train(params, X, labels, lr, epochs, batch_size, rng, print_every=10, window=5, tol=None):
            N = len(X)
            history = []
            for epoch in range(1, epochs + 1):
                order = rng.permutation(N)
                losses = [minibatch_step(params, X[order[s:s + batch_size]], labels[order[s:s + batch_size]], lr)
                          for s in range(0, N, batch_size)]
                history.append(float(np.mean(losses)))
                if epoch % print_every == 0 and print_every > 0:
                    print(f"epoch {epoch:5d}   loss {history[-1]:.4f}")
                if tol is not None and has_converged(history, window, tol):
                    if print_every:
                        print(f"converged after epoch {epoch}")
                    break
            return history
    """),

    # --- Exercise 11: fit_digits ----------------------------------------------------------------
    Mistake("fit_digits", "undertrained", "3 epochs of batches of 256 at lr 0.01: far too few steps", """
        def fit_digits(X_train, labels_train, rng):
            params = init_params([64, 128, 10], rng)
            train(params, X_train, labels_train, lr=0.01, epochs=3, batch_size=256, rng=rng, print_every=1)
            return params
    """),
    Mistake("fit_digits", "lr_too_large", "lr = 5: training blows up", """
        def fit_digits(X_train, labels_train, rng):
            params = init_params([64, 128, 10], rng)
            train(params, X_train, labels_train, lr=5.0, epochs=40, batch_size=32, rng=rng, print_every=10)
            return params
    """),
    Mistake("fit_digits", "restandardized", "X_train standardised again inside, with its own statistics (no +0.1)", """
        def fit_digits(X_train, labels_train, rng):
            X = (X_train - X_train.mean(axis=0)) / X_train.std(axis=0)
            params = init_params([64, 128, 10], rng)
            train(params, X, labels_train, lr=0.1, epochs=40, batch_size=32, rng=rng, print_every=10)
            return params
    """),
]
