"""Realistic mistakes in notebook 04 (vectorized backprop), each a whole answer cell as a learner would
write it, with the key its part's check must name.  At least the most common and a subtler one per part;
derived by working each exercise as a learner would (index and axis slips, transposes, a missing or an
extra 1/N, the wrong cached value, in-place edits, unstable formulas, a mutable default...)."""
import textwrap

from . import Mistake


def join(*parts):
    """One answer cell from several pieces, each dedented on its own."""
    return "\n\n\n".join(textwrap.dedent(part).strip("\n") for part in parts)


def indented(body):
    """A function body (written at any indentation) indented by four spaces."""
    return textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")

TWO_LAYER_HEAD = '''
def two_layer_net(x, t, params, hidden="relu", loss="softmax"):
    act_forward, act_backward = {"relu": (relu_forward, relu_backward),
                                 "sigmoid": (sigmoid_forward, sigmoid_backward),
                                 "tanh": (tanh_forward, tanh_backward)}[hidden]
    loss_fn = {"softmax": softmax_cross_entropy, "mse": mse_loss}[loss]
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
'''


def net(body):
    """A whole two_layer_net cell: the given first lines, then the learner's body."""
    return TWO_LAYER_HEAD.strip("\n") + "\n" + indented(body)


AFFINE_FORWARD = '''
def affine_forward(x, W, b):
    out = x.reshape(x.shape[0], -1) @ W + b
    return out, (x, W)
'''


def affine(backward, forward=AFFINE_FORWARD):
    return join(forward, backward)


SIGMOID_FORWARD = '''
def sigmoid_forward(z):
    out = sigmoid(z)
    return out, out
'''

RELU_FORWARD = '''
def relu_forward(z):
    return np.maximum(z, 0), z
'''

def softmax(body):
    return "def softmax_cross_entropy(scores, labels):\n    n = scores.shape[0]\n" + indented(body)

GOOD_UNFLATTEN = '''
def unflatten(theta, like):
    layers, k = [], 0
    for W, b in like:
        W_new = theta[k:k + W.size].reshape(W.shape)
        k += W.size
        b_new = theta[k:k + b.size].reshape(b.shape)
        k += b.size
        layers.append((W_new, b_new))
    return layers
'''

GOOD_FLATTEN = '''
def flatten(layers):
    return np.concatenate([np.concatenate([W.ravel(), b]) for W, b in layers])
'''


def hinge(*bodies):
    return '''def hinge_loss(W, x, labels, reg):
    n = x.shape[0]
    rows = np.arange(n)
    scores = x @ W
''' + "\n".join(indented(body) for body in bodies)


HINGE_MARGINS = '''
margins = scores - scores[rows, labels][:, None] + 1.0
margins[rows, labels] = 0.0
'''


def cache_bytes(body):
    return "def cache_bytes(cache, seen=None):\n" + indented(body)


MISTAKES = [
    # --- 1. layer_questions ---------------------------------------------------------------------
    Mistake("layer_questions", "db_axis", "db thought to sum over the outputs (axis 1)", """
        def layer_questions(N, D, M):
            return {"db_axis": 1, "dW_terms": N, "dh_terms": M, "delta_per_dz": N}
        """),
    Mistake("layer_questions", "dW_terms", "dW[i, j] thought to sum over the inputs (D terms)", """
        def layer_questions(N, D, M):
            return {"db_axis": 0, "dW_terms": D, "dh_terms": M, "delta_per_dz": N}
        """),
    Mistake("layer_questions", "dh_terms", "dh[s, i] thought to sum over the samples", """
        def layer_questions(N, D, M):
            return {"db_axis": 0, "dW_terms": N, "dh_terms": N, "delta_per_dz": N}
        """, kind="subtle"),
    Mistake("layer_questions", "delta_factor", "the seed's delta taken as dz / N (the factor inverted)", """
        def layer_questions(N, D, M):
            return {"db_axis": 0, "dW_terms": N, "dh_terms": M, "delta_per_dz": 1 / N}
        """, kind="subtle"),
    Mistake("layer_questions", "delta_factor", "the seed's delta taken as dz itself", """
        def layer_questions(N, D, M):
            return {"db_axis": 0, "dW_terms": N, "dh_terms": M, "delta_per_dz": 1}
        """),

    # --- 2. affine --------------------------------------------------------------------------------
    Mistake("affine", "mean_in_layer", "db as the mean over the batch, not the sum", affine("""
        def affine_backward(dout, cache):
            x, W = cache
            x2 = x.reshape(x.shape[0], -1)
            dx = (dout @ W.T).reshape(x.shape)
            dW = x2.T @ dout
            db = dout.mean(axis=0)
            return dx, dW, db
        """)),
    Mistake("affine", "mean_in_layer", "dW divided by N (the loss's mean taken again)", affine("""
        def affine_backward(dout, cache):
            x, W = cache
            n = x.shape[0]
            x2 = x.reshape(n, -1)
            return (dout @ W.T).reshape(x.shape), x2.T @ dout / n, dout.sum(axis=0)
        """), kind="subtle"),
    Mistake("affine", "dW_transposed", "dW = dout.T @ x2, the transpose", affine("""
        def affine_backward(dout, cache):
            x, W = cache
            x2 = x.reshape(x.shape[0], -1)
            return (dout @ W.T).reshape(x.shape), dout.T @ x2, dout.sum(axis=0)
        """)),
    Mistake("affine", "backward_shapes", "dx = dout @ W, W not transposed", affine("""
        def affine_backward(dout, cache):
            x, W = cache
            x2 = x.reshape(x.shape[0], -1)
            return (dout @ W).reshape(x.shape), x2.T @ dout, dout.sum(axis=0)
        """)),
    Mistake("affine", "dx_not_reshaped", "dx left as flattened rows", affine("""
        def affine_backward(dout, cache):
            x, W = cache
            x2 = x.reshape(x.shape[0], -1)
            return dout @ W.T, x2.T @ dout, dout.sum(axis=0)
        """)),
    Mistake("affine", "dx_not_reshaped", "the flattened x2 cached, so dx takes x2's shape", affine("""
        def affine_backward(dout, cache):
            x2, W = cache
            return (dout @ W.T).reshape(x2.shape), x2.T @ dout, dout.sum(axis=0)
        """, forward='''
        def affine_forward(x, W, b):
            x2 = x.reshape(x.shape[0], -1)
            return x2 @ W + b, (x2, W)
        '''), kind="subtle"),
    Mistake("affine", "dW_not_flattened", "x.T @ dout without flattening x (3-D inputs)", affine("""
        def affine_backward(dout, cache):
            x, W = cache
            return (dout @ W.T).reshape(x.shape), x.T @ dout, dout.sum(axis=0)
        """), kind="subtle"),
    Mistake("affine", "db_summed_all", "db = np.sum(dout), every entry added", affine("""
        def affine_backward(dout, cache):
            x, W = cache
            x2 = x.reshape(x.shape[0], -1)
            return (dout @ W.T).reshape(x.shape), x2.T @ dout, np.sum(dout)
        """)),
    Mistake("affine", "forgot_bias", "the bias left out of the forward pass", affine("""
        def affine_backward(dout, cache):
            x, W = cache
            x2 = x.reshape(x.shape[0], -1)
            return (dout @ W.T).reshape(x.shape), x2.T @ dout, dout.sum(axis=0)
        """, forward='''
        def affine_forward(x, W, b):
            return x.reshape(x.shape[0], -1) @ W, (x, W)
        ''')),

    # --- 3. sigmoid -------------------------------------------------------------------------------
    Mistake("sigmoid", "derivative_at_output", "sigma applied again to the cached output", join(SIGMOID_FORWARD, """

        def sigmoid_backward(dout, cache):
            out = cache
            return dout * sigmoid(out) * (1 - sigmoid(out))
        """)),
    Mistake("sigmoid", "overflow", "the textbook 1 / (1 + exp(-z)) in the forward pass", """
        def sigmoid_forward(z):
            out = 1 / (1 + np.exp(-z))
            return out, out


        def sigmoid_backward(dout, cache):
            return dout * cache * (1 - cache)
        """),
    Mistake("sigmoid", "backward_overflow", "z cached and the sigmoid recomputed with a plain exp", """
        def sigmoid_forward(z):
            return sigmoid(z), z


        def sigmoid_backward(dout, cache):
            s = 1 / (1 + np.exp(-cache))
            return dout * s * (1 - s)
        """, kind="subtle"),
    Mistake("sigmoid", "derivative_without_dout", "sigma'(z) returned without dout", join(SIGMOID_FORWARD, """

        def sigmoid_backward(dout, cache):
            return cache * (1 - cache)
        """)),

    # --- 4. tanh ----------------------------------------------------------------------------------
    Mistake("tanh", "derivative_at_output", "tanh applied again to the cached output", """
        def tanh_forward(z):
            out = np.tanh(z)
            return out, out


        def tanh_backward(dout, cache):
            return dout * (1 - np.tanh(cache) ** 2)
        """),
    Mistake("tanh", "forgot_square", "tanh' written as 1 - out", """
        def tanh_forward(z):
            out = np.tanh(z)
            return out, out


        def tanh_backward(dout, cache):
            return dout * (1 - cache)
        """),
    Mistake("tanh", "overflow", "tanh written out with exp", """
        def tanh_forward(z):
            out = (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
            return out, out


        def tanh_backward(dout, cache):
            return dout * (1 - cache ** 2)
        """, kind="subtle"),

    # --- 5. relu ----------------------------------------------------------------------------------
    Mistake("relu", "mutated_input", "dout zeroed in place and returned", join(RELU_FORWARD, """

        def relu_backward(dout, cache):
            dout[cache <= 0] = 0
            return dout
        """)),
    Mistake("relu", "mask_from_dout", "the mask taken from dout", join(RELU_FORWARD, """

        def relu_backward(dout, cache):
            return dout * (dout > 0)
        """)),
    Mistake("relu", "relu_max_axis", "np.max(z, 0) for np.maximum(z, 0)", """
        def relu_forward(z):
            return np.max(z, 0), z


        def relu_backward(dout, cache):
            return dout * (cache > 0)
        """),
    Mistake("relu", "mutated_input", "the forward pass zeroes z in place", """
        def relu_forward(z):
            z[z < 0] = 0
            return z, z


        def relu_backward(dout, cache):
            return dout * (cache > 0)
        """, kind="subtle"),
    Mistake("relu", "mask_times_z", "dout multiplied by relu(z) instead of the mask", """
        def relu_forward(z):
            out = np.maximum(z, 0)
            return out, out


        def relu_backward(dout, cache):
            return dout * cache
        """, kind="subtle"),

    # --- 6. mse_loss ------------------------------------------------------------------------------
    Mistake("mse_loss", "mean_over_outputs", "np.mean over every entry, and its gradient", """
        def mse_loss(y, t):
            return np.mean((y - t) ** 2), 2 * (y - t) / y.size
        """),
    Mistake("mse_loss", "n_from_wrong_axis", "N taken from y.shape[1]", """
        def mse_loss(y, t):
            n = y.shape[1]
            return 0.5 * np.sum((y - t) ** 2) / n, (y - t) / n
        """, kind="subtle"),
    Mistake("mse_loss", "missing_half", "the 1/2 of the loss dropped", """
        def mse_loss(y, t):
            n = y.shape[0]
            return np.sum((y - t) ** 2) / n, (y - t) / n
        """),
    Mistake("mse_loss", "hard_coded_batch", "a batch size of 4 typed in", """
        def mse_loss(y, t):
            return 0.5 * np.sum((y - t) ** 2) / 4, (y - t) / 4
        """, kind="subtle"),
    Mistake("mse_loss", "mean_never", "dy without its 1/N", """
        def mse_loss(y, t):
            n = y.shape[0]
            return 0.5 * np.sum((y - t) ** 2) / n, y - t
        """),
    Mistake("mse_loss", "integer_dtype", "dy filled into np.zeros_like(t), integer targets", """
        def mse_loss(y, t):
            n = y.shape[0]
            dy = np.zeros_like(t)
            dy[:] = (y - t) / n
            return 0.5 * np.sum((y - t) ** 2) / n, dy
        """, kind="subtle"),

    # --- 7. softmax_cross_entropy -----------------------------------------------------------------
    Mistake("softmax_cross_entropy", "softmax_overflow", "softmax without the shift", softmax("""
            p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
            loss = -np.log(p[np.arange(n), labels]).mean()
            p[np.arange(n), labels] -= 1
            return loss, p / n
        """)),
    Mistake("softmax_cross_entropy", "global_max", "shifted by the batch's max, not each row's", softmax("""
            shifted = scores - scores.max()
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss = -log_p[np.arange(n), labels].mean()
            dscores = np.exp(log_p)
            dscores[np.arange(n), labels] -= 1
            return loss, dscores / n
        """), kind="subtle"),
    Mistake("softmax_cross_entropy", "log_of_zero", "log of a stable softmax's p", softmax("""
            e = np.exp(scores - scores.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
            loss = -np.log(p[np.arange(n), labels]).mean()
            dscores = p.copy()
            dscores[np.arange(n), labels] -= 1
            return loss, dscores / n
        """)),
    Mistake("softmax_cross_entropy", "log_clipped", "log(p + 1e-12) to avoid log 0", softmax("""
            e = np.exp(scores - scores.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
            loss = -np.log(p[np.arange(n), labels] + 1e-12).mean()
            dscores = p.copy()
            dscores[np.arange(n), labels] -= 1
            return loss, dscores / n
        """), kind="subtle"),
    Mistake("softmax_cross_entropy", "mutated_input", "each row shifted in place (scores -= ...)", softmax("""
            scores -= scores.max(axis=1, keepdims=True)
            log_p = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
            loss = -log_p[np.arange(n), labels].mean()
            dscores = np.exp(log_p)
            dscores[np.arange(n), labels] -= 1
            return loss, dscores / n
        """), kind="subtle"),
    Mistake("softmax_cross_entropy", "labels_as_columns", "log_p[:, labels], whole columns", softmax("""
            shifted = scores - scores.max(axis=1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss = -log_p[:, labels].mean()
            dscores = np.exp(log_p)
            dscores[np.arange(n), labels] -= 1
            return loss, dscores / n
        """)),
    Mistake("softmax_cross_entropy", "mean_never", "dscores without the 1/N", softmax("""
            shifted = scores - scores.max(axis=1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            dscores = np.exp(log_p)
            dscores[np.arange(n), labels] -= 1
            return -log_p[np.arange(n), labels].mean(), dscores
        """)),
    Mistake("softmax_cross_entropy", "onehot_not_subtracted", "dscores = p / N", softmax("""
            shifted = scores - scores.max(axis=1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            return -log_p[np.arange(n), labels].mean(), np.exp(log_p) / n
        """)),

    # --- 8. collapse_linear -----------------------------------------------------------------------
    Mistake("collapse_linear", "composition_order", "W2 @ W1, the column order", """
        def collapse_linear(W1, b1, W2, b2):
            return W2 @ W1, b1 @ W2 + b2
        """),
    Mistake("collapse_linear", "bias_not_carried", "b = b1 + b2", """
        def collapse_linear(W1, b1, W2, b2):
            return W1 @ W2, b1 + b2
        """),
    Mistake("collapse_linear", "bias_not_carried", "b = b2, b1 dropped", """
        def collapse_linear(W1, b1, W2, b2):
            return W1 @ W2, b2
        """, kind="subtle"),
    Mistake("collapse_linear", "elementwise_product", "W1 * W2", """
        def collapse_linear(W1, b1, W2, b2):
            return W1 * W2, b1 @ W2 + b2
        """),
    Mistake("collapse_linear", "second_bias_missing", "b = b1 @ W2, b2 dropped", """
        def collapse_linear(W1, b1, W2, b2):
            return W1 @ W2, b1 @ W2
        """, kind="subtle"),

    # --- 9. two_layer_net -------------------------------------------------------------------------
    Mistake("two_layer_net", "missing_activation_derivative", "the activation's backward skipped", net("""
        z1, cache1 = affine_forward(x, W1, b1)
        h1, cache_act = act_forward(z1)
        scores, cache2 = affine_forward(h1, W2, b2)
        value, dscores = loss_fn(scores, t)
        dh1, dW2, db2 = affine_backward(dscores, cache2)
        _, dW1, db1 = affine_backward(dh1, cache1)
        return value, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
        """)),
    Mistake("two_layer_net", "mean_twice", "every gradient divided by N again", net("""
        n = x.shape[0]
        z1, cache1 = affine_forward(x, W1, b1)
        h1, cache_act = act_forward(z1)
        scores, cache2 = affine_forward(h1, W2, b2)
        value, dscores = loss_fn(scores, t)
        dh1, dW2, db2 = affine_backward(dscores, cache2)
        dz1 = act_backward(dh1, cache_act)
        _, dW1, db1 = affine_backward(dz1, cache1)
        return value, {"W1": dW1 / n, "b1": db1 / n, "W2": dW2 / n, "b2": db2 / n}
        """)),
    Mistake("two_layer_net", "grads_mislabelled", "grads paired with params by position (zip)", net("""
        z1, cache1 = affine_forward(x, W1, b1)
        h1, cache_act = act_forward(z1)
        scores, cache2 = affine_forward(h1, W2, b2)
        value, dscores = loss_fn(scores, t)
        dh1, dW2, db2 = affine_backward(dscores, cache2)
        dz1 = act_backward(dh1, cache_act)
        _, dW1, db1 = affine_backward(dz1, cache1)
        return value, dict(zip(params, [dW1, db1, dW2, db2]))
        """), kind="subtle"),
    Mistake("two_layer_net", "ignored_loss_argument", "softmax_cross_entropy called whatever `loss` says", net("""
        z1, cache1 = affine_forward(x, W1, b1)
        h1, cache_act = act_forward(z1)
        scores, cache2 = affine_forward(h1, W2, b2)
        value, dscores = softmax_cross_entropy(scores, t)
        dh1, dW2, db2 = affine_backward(dscores, cache2)
        dz1 = act_backward(dh1, cache_act)
        _, dW1, db1 = affine_backward(dz1, cache1)
        return value, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
        """), kind="subtle"),
    Mistake("two_layer_net", "ignored_hidden_argument", "ReLU used whatever `hidden` says", net("""
        z1, cache1 = affine_forward(x, W1, b1)
        h1, cache_act = relu_forward(z1)
        scores, cache2 = affine_forward(h1, W2, b2)
        value, dscores = loss_fn(scores, t)
        dh1, dW2, db2 = affine_backward(dscores, cache2)
        dz1 = relu_backward(dh1, cache_act)
        _, dW1, db1 = affine_backward(dz1, cache1)
        return value, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
        """), kind="subtle"),
    Mistake("two_layer_net", "backward_wiring", "the activation's backward fed dscores", net("""
        z1, cache1 = affine_forward(x, W1, b1)
        h1, cache_act = act_forward(z1)
        scores, cache2 = affine_forward(h1, W2, b2)
        value, dscores = loss_fn(scores, t)
        dz = act_backward(dscores, cache_act)
        dh1, dW2, db2 = affine_backward(dz, cache2)
        _, dW1, db1 = affine_backward(dh1, cache1)
        return value, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
        """)),

    # --- 10. flatten ------------------------------------------------------------------------------
    Mistake("flatten", "column_major", "W.T.ravel(), the seed's vec read as our W's columns", join("""
        def flatten(layers):
            return np.concatenate([np.concatenate([W.T.ravel(), b]) for W, b in layers])
        """, GOOD_UNFLATTEN.replace("theta[k:k + W.size].reshape(W.shape)",
                                    "theta[k:k + W.size].reshape(W.T.shape).T"))),
    Mistake("flatten", "weights_then_biases", "all weights first, then all biases", join("""
        def flatten(layers):
            return np.concatenate([W.ravel() for W, b in layers] + [b for W, b in layers])
        """, GOOD_UNFLATTEN)),
    Mistake("flatten", "offset_skips_bias", "unflatten's offset never moves past b", join(GOOD_FLATTEN, """

        def unflatten(theta, like):
            layers, k = [], 0
            for W, b in like:
                W_new = theta[k:k + W.size].reshape(W.shape)
                k += W.size
                b_new = theta[k:k + b.size]
                layers.append((W_new, b_new))
            return layers
        """)),
    Mistake("flatten", "bias_at_weights", "b sliced before the offset moved past W", join(GOOD_FLATTEN, """

        def unflatten(theta, like):
            layers, k = [], 0
            for W, b in like:
                W_new = theta[k:k + W.size].reshape(W.shape)
                b_new = theta[k:k + b.size]
                k += W.size + b.size
                layers.append((W_new, b_new))
            return layers
        """), kind="subtle"),
    Mistake("flatten", "bias_missing", "the biases left out of theta", join("""
        def flatten(layers):
            return np.concatenate([W.ravel() for W, b in layers])
        """, GOOD_UNFLATTEN)),

    # --- 11. layer_theta_grad ---------------------------------------------------------------------
    Mistake("layer_theta_grad", "outer_transposed", "dz.T @ h raveled", """
        def layer_theta_grad(h, dz):
            return np.concatenate([(dz.T @ h).ravel(), dz.sum(axis=0)])
        """),
    Mistake("layer_theta_grad", "outer_of_sums", "the outer product of the sums over the samples", """
        def layer_theta_grad(h, dz):
            return np.concatenate([np.outer(h.sum(axis=0), dz.sum(axis=0)).ravel(), dz.sum(axis=0)])
        """, kind="subtle"),
    Mistake("layer_theta_grad", "mean_in_layer", "db as the mean over the samples", """
        def layer_theta_grad(h, dz):
            return np.concatenate([(h.T @ dz).ravel(), dz.mean(axis=0)])
        """),
    Mistake("layer_theta_grad", "bias_missing", "only vec(dW)", """
        def layer_theta_grad(h, dz):
            return (h.T @ dz).ravel()
        """),
    Mistake("layer_theta_grad", "batch_not_summed", "dz.ravel() as the bias part", """
        def layer_theta_grad(h, dz):
            return np.concatenate([(h.T @ dz).ravel(), dz.ravel()])
        """, kind="subtle"),

    # --- 12. hinge_loss ---------------------------------------------------------------------------
    Mistake("hinge_loss", "reg_grad_missing", "the regulariser's branch left out of dW", hinge(HINGE_MARGINS, """
        loss = np.maximum(margins, 0).sum() / n + reg * np.sum(W * W)
        mask = (margins > 0).astype(float)
        mask[rows, labels] = -mask.sum(axis=1)
        return loss, x.T @ mask / n
        """)),
    Mistake("hinge_loss", "reg_grad_no_2", "reg * W for the regulariser's gradient", hinge(HINGE_MARGINS, """
        loss = np.maximum(margins, 0).sum() / n + reg * np.sum(W * W)
        mask = (margins > 0).astype(float)
        mask[rows, labels] = -mask.sum(axis=1)
        return loss, x.T @ mask / n + reg * W
        """)),
    Mistake("hinge_loss", "correct_class_not_subtracted", "only +x[s] per positive margin", hinge(HINGE_MARGINS, """
        loss = np.maximum(margins, 0).sum() / n + reg * np.sum(W * W)
        mask = (margins > 0).astype(float)
        return loss, x.T @ mask / n + 2 * reg * W
        """)),
    Mistake("hinge_loss", "own_margin_counted", "the correct class's margin left in", hinge("""
        margins = scores - scores[rows, labels][:, None] + 1.0
        loss = np.maximum(margins, 0).sum() / n + reg * np.sum(W * W)
        mask = (margins > 0).astype(float)
        mask[rows, labels] = 0
        mask[rows, labels] = -mask.sum(axis=1)
        return loss, x.T @ mask / n + 2 * reg * W
        """), kind="subtle"),
    Mistake("hinge_loss", "subtracted_once", "-x[s] in the label's column once per sample", hinge(HINGE_MARGINS, """
        loss = np.maximum(margins, 0).sum() / n + reg * np.sum(W * W)
        mask = (margins > 0).astype(float)
        mask[rows, labels] = -1.0 * (mask.sum(axis=1) > 0)
        return loss, x.T @ mask / n + 2 * reg * W
        """), kind="subtle"),
    Mistake("hinge_loss", "reg_half", "CS231n's 0.5 * reg * sum(W**2), with reg * W", hinge(HINGE_MARGINS, """
        loss = np.maximum(margins, 0).sum() / n + 0.5 * reg * np.sum(W * W)
        mask = (margins > 0).astype(float)
        mask[rows, labels] = -mask.sum(axis=1)
        return loss, x.T @ mask / n + reg * W
        """), kind="subtle"),
    Mistake("hinge_loss", "mean_never", "a loop version whose dW is not divided by N", """
        def hinge_loss(W, x, labels, reg):
            n, c = x.shape[0], W.shape[1]
            loss, dW = 0.0, np.zeros_like(W)
            for i in range(n):
                s = x[i] @ W
                for j in range(c):
                    margin = s[j] - s[labels[i]] + 1
                    if j != labels[i] and margin > 0:
                        loss += margin
                        dW[:, j] += x[i]
                        dW[:, labels[i]] -= x[i]
            return loss / n + reg * np.sum(W * W), dW + 2 * reg * W
        """),

    # --- 13. cache_bytes --------------------------------------------------------------------------
    Mistake("cache_bytes", "counted_twice", "an array held twice counted twice", cache_bytes("""
        if isinstance(cache, np.ndarray):
            return cache.nbytes
        if isinstance(cache, dict):
            cache = list(cache.values())
        if isinstance(cache, (list, tuple)):
            return sum(cache_bytes(item) for item in cache)
        return 0
        """)),
    Mistake("cache_bytes", "shared_default", "seen=set() as the default", """
        def cache_bytes(cache, seen=set()):
            if isinstance(cache, np.ndarray):
                if id(cache) in seen:
                    return 0
                seen.add(id(cache))
                return cache.nbytes
            if isinstance(cache, dict):
                cache = list(cache.values())
            if isinstance(cache, (list, tuple)):
                return sum(cache_bytes(item, seen) for item in cache)
            return 0
        """, kind="subtle"),
    Mistake("cache_bytes", "dict_keys", "a dict walked by its keys", cache_bytes("""
        seen = set() if seen is None else seen
        if isinstance(cache, np.ndarray):
            if id(cache) in seen:
                return 0
            seen.add(id(cache))
            return cache.nbytes
        if isinstance(cache, (list, tuple, dict)):
            return sum(cache_bytes(item, seen) for item in cache)
        return 0
        """), kind="subtle"),
    Mistake("cache_bytes", "tuples_skipped", "only lists and dicts looked into", cache_bytes("""
        seen = set() if seen is None else seen
        if isinstance(cache, np.ndarray):
            if id(cache) in seen:
                return 0
            seen.add(id(cache))
            return cache.nbytes
        if isinstance(cache, dict):
            cache = list(cache.values())
        if isinstance(cache, list):
            return sum(cache_bytes(item, seen) for item in cache)
        return 0
        """)),
    Mistake("cache_bytes", "counted_entries", "a.size counted, not bytes", cache_bytes("""
        seen = set() if seen is None else seen
        if isinstance(cache, np.ndarray):
            if id(cache) in seen:
                return 0
            seen.add(id(cache))
            return cache.size
        if isinstance(cache, dict):
            cache = list(cache.values())
        if isinstance(cache, (list, tuple)):
            return sum(cache_bytes(item, seen) for item in cache)
        return 0
        """)),
    Mistake("cache_bytes", "getsizeof", "sys.getsizeof for an array's bytes", join("import sys", cache_bytes("""
        seen = set() if seen is None else seen
        if isinstance(cache, np.ndarray):
            if id(cache) in seen:
                return 0
            seen.add(id(cache))
            return sys.getsizeof(cache)
        if isinstance(cache, dict):
            cache = list(cache.values())
        if isinstance(cache, (list, tuple)):
            return sum(cache_bytes(item, seen) for item in cache)
        return 0
        """)), kind="subtle"),
]
