"""Blind holdout catalog for 04_vector_backprop (issue 18): mistakes written by a second teaching
assistant from the learner's notebook alone, before reading the authors' catalog or the checks.
``key`` is what a precise check SHOULD say (invented here; the real keys differ)."""
from mistakes import Mistake

MISTAKES = [
    # --- Exercise 1: layer_questions -------------------------------------------------------------
    Mistake("layer_questions", "dh_terms_counts_inputs", "dh[s, i] said to have D terms (the sum over its own axis)", """
        def layer_questions(N, D, M):
            return {"db_axis": 0, "dW_terms": N, "dh_terms": D, "delta_per_dz": N}
    """),
    Mistake("layer_questions", "delta_factor_inverted", "k given as 1/N (dz = delta / N read the wrong way round)", """
        def layer_questions(N, D, M):
            return {"db_axis": 0, "dW_terms": N, "dh_terms": M, "delta_per_dz": 1 / N}
    """),
    Mistake("layer_questions", "answers_are_strings", "the size answers returned as the letters 'N', 'M'", """
        def layer_questions(N, D, M):
            return {"db_axis": 0, "dW_terms": "N", "dh_terms": "M", "delta_per_dz": "N"}
    """),

    # --- Exercise 2: affine ---------------------------------------------------------------------
    Mistake("affine", "db_keepdims", "db summed with keepdims=True: shape (1, M)", """
        def affine_forward(x, W, b):
            out = x.reshape(x.shape[0], -1) @ W + b
            return out, (x, W)

        def affine_backward(dout, cache):
            x, W = cache
            x2 = x.reshape(x.shape[0], -1)
            dx = (dout @ W.T).reshape(x.shape)
            dW = x2.T @ dout
            db = dout.sum(axis=0, keepdims=True)
            return dx, dW, db
    """),
    Mistake("affine", "dx_integer_dtype", "dx preallocated with np.zeros_like(x): integer inputs truncate it", """
        def affine_forward(x, W, b):
            out = x.reshape(x.shape[0], -1) @ W + b
            return out, (x, W)

        def affine_backward(dout, cache):
            x, W = cache
            x2 = x.reshape(x.shape[0], -1)
            dx = np.zeros_like(x)
            dx[...] = (dout @ W.T).reshape(x.shape)
            dW = x2.T @ dout
            db = dout.sum(axis=0)
            return dx, dW, db
    """),
    Mistake("affine", "transpose_before_reshape", "dW from x.T.reshape(-1, N): the features of a 3-D x come out in the wrong order", """
        def affine_forward(x, W, b):
            out = x.reshape(x.shape[0], -1) @ W + b
            return out, (x, W)

        def affine_backward(dout, cache):
            x, W = cache
            N = x.shape[0]
            dx = (dout @ W.T).reshape(x.shape)
            dW = x.T.reshape(-1, N) @ dout
            db = dout.sum(axis=0)
            return dx, dW, db
    """),

    # --- Exercise 3: sigmoid --------------------------------------------------------------------
    Mistake("sigmoid", "cache_modified_in_place", "backward turns the cached output into the derivative in place", """
        def sigmoid_forward(z):
            out = sigmoid(z)
            return out, out

        def sigmoid_backward(dout, cache):
            cache *= 1 - cache
            return dout * cache
    """),
    Mistake("sigmoid", "input_cached_used_as_output", "forward caches z, backward uses it as if it were sigma(z)", """
        def sigmoid_forward(z):
            return sigmoid(z), z

        def sigmoid_backward(dout, cache):
            return dout * cache * (1 - cache)
    """),
    Mistake("sigmoid", "dout_not_distributed", "dout * out - out**2 (dout multiplies only the first term)", """
        def sigmoid_forward(z):
            out = sigmoid(z)
            return out, out

        def sigmoid_backward(dout, cache):
            out = cache
            return dout * out - out ** 2
    """),

    # --- Exercise 4: tanh -----------------------------------------------------------------------
    Mistake("tanh", "square_outside", "(1 - tanh(z))**2 instead of 1 - tanh(z)**2", """
        def tanh_forward(z):
            return np.tanh(z), z

        def tanh_backward(dout, cache):
            return dout * (1 - np.tanh(cache)) ** 2
    """),
    Mistake("tanh", "cosh_overflows", "tanh' written as 1 / cosh(z)**2: cosh overflows at |z| = 800", """
        def tanh_forward(z):
            return np.tanh(z), z

        def tanh_backward(dout, cache):
            return dout / np.cosh(cache) ** 2
    """),
    Mistake("tanh", "precedence_dout", "dout * 1 - out**2 (precedence: dout does not multiply out**2)", """
        def tanh_forward(z):
            out = np.tanh(z)
            return out, out

        def tanh_backward(dout, cache):
            return dout * 1 - cache ** 2
    """),

    # --- Exercise 5: relu -----------------------------------------------------------------------
    Mistake("relu", "forward_modifies_input", "forward zeroes the negative entries of the caller's z in place", """
        def relu_forward(z):
            z[z < 0] = 0
            return z, z

        def relu_backward(dout, cache):
            return dout * (cache > 0)
    """),
    Mistake("relu", "dz_integer_dtype", "dz = np.zeros_like(z) then filled: integer z truncates the gradient", """
        def relu_forward(z):
            return np.maximum(z, 0), z

        def relu_backward(dout, cache):
            z = cache
            dz = np.zeros_like(z)
            dz[z > 0] = dout[z > 0]
            return dz
    """),
    Mistake("relu", "sign_not_step", "derivative written as np.sign(z): -1 where the unit is off", """
        def relu_forward(z):
            return np.maximum(z, 0), z

        def relu_backward(dout, cache):
            return dout * np.sign(cache)
    """),

    # --- Exercise 6: mse_loss -------------------------------------------------------------------
    Mistake("mse_loss", "precedence_divide", "dy = y - t / n (only t divided)", """
        def mse_loss(y, t):
            n = y.shape[0]
            return 0.5 * np.sum((y - t) ** 2) / n, y - t / n
    """),
    Mistake("mse_loss", "modifies_input", "y -= t in place to save memory: the caller's y is overwritten", """
        def mse_loss(y, t):
            n = y.shape[0]
            y -= t
            return 0.5 * np.sum(y ** 2) / n, y / n
    """),
    Mistake("mse_loss", "loss_mean_over_outputs", "loss summed over the batch and averaged over the outputs (axes swapped); dy right", """
        def mse_loss(y, t):
            n = y.shape[0]
            loss = 0.5 * np.mean(np.sum((y - t) ** 2, axis=0))
            return loss, (y - t) / n
    """),

    # --- Exercise 7: softmax_cross_entropy ------------------------------------------------------
    Mistake("softmax_cross_entropy", "epsilon_in_log", "log(p + 1e-12): finite, but the loss of a far-off label is capped near 27.6", """
        def softmax_cross_entropy(scores, labels):
            n = scores.shape[0]
            shifted = scores - scores.max(axis=1, keepdims=True)
            p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
            loss = -np.mean(np.log(p[np.arange(n), labels] + 1e-12))
            dscores = p.copy()
            dscores[np.arange(n), labels] -= 1
            return loss, dscores / n
    """),
    Mistake("softmax_cross_entropy", "max_without_keepdims", "row max taken without keepdims: broadcasts along the wrong axis", """
        def softmax_cross_entropy(scores, labels):
            n = scores.shape[0]
            shifted = scores - scores.max(axis=1)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss = -log_p[np.arange(n), labels].mean()
            dscores = np.exp(log_p)
            dscores[np.arange(n), labels] -= 1
            return loss, dscores / n
    """),
    Mistake("softmax_cross_entropy", "loss_sum_not_mean", "the loss summed over the batch, the gradient divided by N", """
        def softmax_cross_entropy(scores, labels):
            n = scores.shape[0]
            shifted = scores - scores.max(axis=1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss = -log_p[np.arange(n), labels].sum()
            dscores = np.exp(log_p)
            dscores[np.arange(n), labels] -= 1
            return loss, dscores / n
    """),

    # --- Exercise 8: collapse_linear ------------------------------------------------------------
    Mistake("collapse_linear", "bias_2d", "bias probed with a (1, D) zero input: shape (1, M)", """
        def collapse_linear(W1, b1, W2, b2):
            zero = np.zeros((1, W1.shape[0]))
            b = (zero @ W1 + b1) @ W2 + b2
            return W1 @ W2, b
    """),
    Mistake("collapse_linear", "modifies_b2", "b2 += b1 @ W2 in place: the caller's b2 changes", """
        def collapse_linear(W1, b1, W2, b2):
            b2 += b1 @ W2
            return W1 @ W2, b2
    """),
    Mistake("collapse_linear", "b2_dropped", "b = b1 @ W2: the second layer's own bias forgotten", """
        def collapse_linear(W1, b1, W2, b2):
            return W1 @ W2, b1 @ W2
    """),

    # --- Exercise 9: two_layer_net --------------------------------------------------------------
    Mistake("two_layer_net", "activation_backward_skipped", "dh1 goes straight into the first affine backward (no activation backward)", """
        def two_layer_net(x, t, params, hidden="relu", loss="softmax"):
            act_forward, act_backward = {"relu": (relu_forward, relu_backward),
                                         "sigmoid": (sigmoid_forward, sigmoid_backward),
                                         "tanh": (tanh_forward, tanh_backward)}[hidden]
            loss_fn = {"softmax": softmax_cross_entropy, "mse": mse_loss}[loss]
            W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
            z1, c1 = affine_forward(x, W1, b1)
            h1, ca = act_forward(z1)
            scores, c2 = affine_forward(h1, W2, b2)
            value, dscores = loss_fn(scores, t)
            dh1, dW2, db2 = affine_backward(dscores, c2)
            _, dW1, db1 = affine_backward(dh1, c1)
            return value, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    """),
    Mistake("two_layer_net", "loss_option_ignored", "softmax_cross_entropy called directly: loss='mse' ignored", """
        def two_layer_net(x, t, params, hidden="relu", loss="softmax"):
            act_forward, act_backward = {"relu": (relu_forward, relu_backward),
                                         "sigmoid": (sigmoid_forward, sigmoid_backward),
                                         "tanh": (tanh_forward, tanh_backward)}[hidden]
            loss_fn = {"softmax": softmax_cross_entropy, "mse": mse_loss}[loss]
            W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
            z1, c1 = affine_forward(x, W1, b1)
            h1, ca = act_forward(z1)
            scores, c2 = affine_forward(h1, W2, b2)
            value, dscores = softmax_cross_entropy(scores, t)
            dh1, dW2, db2 = affine_backward(dscores, c2)
            dz1 = act_backward(dh1, ca)
            _, dW1, db1 = affine_backward(dz1, c1)
            return value, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    """),
    Mistake("two_layer_net", "activation_on_scores", "the activation applied to the scores too", """
        def two_layer_net(x, t, params, hidden="relu", loss="softmax"):
            act_forward, act_backward = {"relu": (relu_forward, relu_backward),
                                         "sigmoid": (sigmoid_forward, sigmoid_backward),
                                         "tanh": (tanh_forward, tanh_backward)}[hidden]
            loss_fn = {"softmax": softmax_cross_entropy, "mse": mse_loss}[loss]
            W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
            z1, c1 = affine_forward(x, W1, b1)
            h1, ca = act_forward(z1)
            z2, c2 = affine_forward(h1, W2, b2)
            scores, ca2 = act_forward(z2)
            value, dscores = loss_fn(scores, t)
            dz2 = act_backward(dscores, ca2)
            dh1, dW2, db2 = affine_backward(dz2, c2)
            dz1 = act_backward(dh1, ca)
            _, dW1, db1 = affine_backward(dz1, c1)
            return value, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    """),

    # --- Exercise 10: flatten / unflatten -------------------------------------------------------
    Mistake("flatten", "weights_then_biases", "all the weights first, then all the biases", """
        def flatten(layers):
            return np.concatenate([W.ravel() for W, b in layers] + [b for W, b in layers])

        def unflatten(theta, like):
            out, k = [], 0
            for W, b in like:
                out.append([theta[k:k + W.size].reshape(W.shape), None])
                k += W.size
            for pair, (W, b) in zip(out, like):
                pair[1] = theta[k:k + b.size].copy()
                k += b.size
            return [(W.copy(), b) for W, b in out]
    """),
    Mistake("flatten", "offset_not_advanced_after_bias", "unflatten forgets k += b.size: the next layer starts at the bias", """
        def flatten(layers):
            return np.concatenate([np.concatenate([W.ravel(), b]) for W, b in layers])

        def unflatten(theta, like):
            layers, k = [], 0
            for W, b in like:
                W_new = theta[k:k + W.size].reshape(W.shape)
                k += W.size
                b_new = theta[k:k + b.size]
                layers.append((W_new.copy(), b_new.copy()))
            return layers
    """),
    Mistake("flatten", "writes_into_like", "unflatten writes theta's numbers into the arrays of `like` and returns them", """
        def flatten(layers):
            return np.concatenate([np.concatenate([W.ravel(), b]) for W, b in layers])

        def unflatten(theta, like):
            k = 0
            for W, b in like:
                W[...] = theta[k:k + W.size].reshape(W.shape)
                k += W.size
                b[...] = theta[k:k + b.size]
                k += b.size
            return like
    """),

    # --- Exercise 11: layer_theta_grad ----------------------------------------------------------
    Mistake("layer_theta_grad", "bias_mean_not_sum", "the bias block is dz.mean(axis=0)", """
        def layer_theta_grad(h, dz):
            return np.concatenate([(h.T @ dz).ravel(), dz.mean(axis=0)])
    """),
    Mistake("layer_theta_grad", "einsum_output_transposed", "einsum with output 'ji': the weight block read column by column", """
        def layer_theta_grad(h, dz):
            return np.concatenate([np.einsum("si,sj->ji", h, dz).ravel(), dz.sum(axis=0)])
    """),
    Mistake("layer_theta_grad", "loop_skips_last_sample", "outer products summed with range(N - 1): the last sample left out", """
        def layer_theta_grad(h, dz):
            N = h.shape[0]
            dW = np.zeros((h.shape[1], dz.shape[1]))
            db = np.zeros(dz.shape[1])
            for s in range(N - 1):
                dW += np.outer(h[s], dz[s])
                db += dz[s]
            return np.concatenate([dW.ravel(), db])
    """),

    # --- Exercise 12: hinge_loss ----------------------------------------------------------------
    Mistake("hinge_loss", "correct_score_not_column", "scores[rows, labels] subtracted without [:, None]: broadcast along the classes", """
        def hinge_loss(W, x, labels, reg):
            n = x.shape[0]
            rows = np.arange(n)
            scores = x @ W
            margins = scores - scores[rows, labels] + 1.0
            margins[rows, labels] = 0.0
            loss = np.maximum(margins, 0.0).sum() / n + reg * np.sum(W * W)
            mask = (margins > 0).astype(float)
            mask[rows, labels] = -mask.sum(axis=1)
            return loss, x.T @ mask / n + 2 * reg * W
    """),
    Mistake("hinge_loss", "mask_counts_correct_class", "mask = margins >= 0: the zeroed correct-class entry counts as a positive margin", """
        def hinge_loss(W, x, labels, reg):
            n = x.shape[0]
            rows = np.arange(n)
            scores = x @ W
            margins = scores - scores[rows, labels][:, None] + 1.0
            margins[rows, labels] = 0.0
            loss = np.maximum(margins, 0.0).sum() / n + reg * np.sum(W * W)
            mask = (margins >= 0).astype(float)
            mask[rows, labels] = -mask.sum(axis=1)
            return loss, x.T @ mask / n + 2 * reg * W
    """),
    Mistake("hinge_loss", "half_reg_convention", "0.5 * reg * sum(W**2) with gradient reg * W (another course's convention)", """
        def hinge_loss(W, x, labels, reg):
            n = x.shape[0]
            rows = np.arange(n)
            scores = x @ W
            margins = scores - scores[rows, labels][:, None] + 1.0
            margins[rows, labels] = 0.0
            loss = np.maximum(margins, 0.0).sum() / n + 0.5 * reg * np.sum(W * W)
            mask = (margins > 0).astype(float)
            mask[rows, labels] = -mask.sum(axis=1)
            return loss, x.T @ mask / n + reg * W
    """),

    # --- Exercise 13: cache_bytes ---------------------------------------------------------------
    Mistake("cache_bytes", "seen_not_passed_down", "nested calls start their own `seen`: an array in two sub-caches counts twice", """
        def cache_bytes(cache, seen=None):
            if seen is None:
                seen = set()
            if isinstance(cache, np.ndarray):
                if id(cache) in seen:
                    return 0
                seen.add(id(cache))
                return cache.nbytes
            if isinstance(cache, dict):
                return sum(cache_bytes(v) for v in cache.values())
            if isinstance(cache, (list, tuple)):
                return sum(cache_bytes(item) for item in cache)
            return 0
    """),
    Mistake("cache_bytes", "assumes_float64", "bytes as a.size * 8: every array taken to be float64", """
        def cache_bytes(cache, seen=None):
            if seen is None:
                seen = set()
            if isinstance(cache, np.ndarray):
                if id(cache) in seen:
                    return 0
                seen.add(id(cache))
                return cache.size * 8
            if isinstance(cache, dict):
                return sum(cache_bytes(v, seen) for v in cache.values())
            if isinstance(cache, (list, tuple)):
                return sum(cache_bytes(item, seen) for item in cache)
            return 0
    """),
    Mistake("cache_bytes", "tuples_ignored", "only lists and dicts are walked: the (x, W) tuples count 0", """
        def cache_bytes(cache, seen=None):
            if seen is None:
                seen = set()
            if isinstance(cache, np.ndarray):
                if id(cache) in seen:
                    return 0
                seen.add(id(cache))
                return cache.nbytes
            if isinstance(cache, dict):
                return sum(cache_bytes(v, seen) for v in cache.values())
            if isinstance(cache, list):
                return sum(cache_bytes(item, seen) for item in cache)
            return 0
    """),
]
