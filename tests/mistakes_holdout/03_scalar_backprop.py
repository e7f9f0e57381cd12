"""Blind holdout catalog for 03_scalar_backprop (issue 18); see 00_finite_differences.py."""
from mistakes import Mistake

_FORWARD_HEAD = '''
def forward_loops(x, W1, b1, W2, b2, output="identity"):
    l, m = W1.shape
    n = W2.shape[1]
    u_hidden, y_hidden = np.zeros(m), np.zeros(m)
    u_out, y_out = np.zeros(n), np.zeros(n)
'''
_FORWARD_TAIL = '''
    cache = dict(x=x, W1=W1, W2=W2, u_hidden=u_hidden, y_hidden=y_hidden, u_out=u_out, y_out=y_out,
                 output=output)
    return y_out, cache
'''

MISTAKES = [
    # --- Exercise 1: sigmoid_neuron ------------------------------------------------------------------
    Mistake("sigmoid_neuron", "bias_added_per_input",
            "u starts at 0 and b is added inside the loop over p (P times)",
            '''
def sigmoid_neuron(x, w, b, dE_dy=1.0):
    u = 0.0
    for p in range(len(x)):
        u += x[p] * w[p] + b
    y = sigmoid(u)
    delta = dE_dy * y * (1.0 - y)
    dw, dx = np.zeros(len(w)), np.zeros(len(x))
    for p in range(len(x)):
        dw[p] = x[p] * delta
        dx[p] = w[p] * delta
    return y, delta, dw, delta, dx
'''),
    Mistake("sigmoid_neuron", "dw_dx_same_array",
            "dw = dx = np.zeros(P): one array under two names, dx overwrites dw",
            '''
def sigmoid_neuron(x, w, b, dE_dy=1.0):
    u = b
    for p in range(len(x)):
        u = u + x[p] * w[p]
    y = sigmoid(u)
    delta = dE_dy * y * (1.0 - y)
    dw = dx = np.zeros(len(x))
    for p in range(len(x)):
        dw[p] = x[p] * delta
        dx[p] = w[p] * delta
    db = delta
    return y, delta, dw, db, dx
''', kind="subtle"),
    Mistake("sigmoid_neuron", "upstream_missing_in_dx",
            "dE_dy multiplied into dw and db but not into delta and dx",
            '''
def sigmoid_neuron(x, w, b, dE_dy=1.0):
    u = b
    for p in range(len(x)):
        u = u + x[p] * w[p]
    y = sigmoid(u)
    delta = y * (1.0 - y)
    dw, dx = np.zeros(len(w)), np.zeros(len(x))
    for p in range(len(x)):
        dw[p] = x[p] * delta * dE_dy
        dx[p] = w[p] * delta
    db = delta * dE_dy
    return y, delta, dw, db, dx
''', kind="subtle"),

    # --- Exercise 2: forward_loops -------------------------------------------------------------------
    Mistake("forward_loops", "softmax_before_all_u",
            "softmax(u_out)[k] inside the loop over k, before u_out is filled",
            _FORWARD_HEAD + '''
    for j in range(m):
        u_hidden[j] = b1[j]
        for p in range(l):
            u_hidden[j] += x[p] * W1[p, j]
        y_hidden[j] = sigmoid(u_hidden[j])
    for k in range(n):
        u_out[k] = b2[k]
        for q in range(m):
            u_out[k] += y_hidden[q] * W2[q, k]
        if output == "softmax":
            y_out[k] = softmax(u_out)[k]
        elif output == "sigmoid":
            y_out[k] = sigmoid(u_out[k])
        else:
            y_out[k] = u_out[k]
''' + _FORWARD_TAIL, kind="subtle"),
    Mistake("forward_loops", "or_string_always_true",
            "if output == 'sigmoid' or 'identity': always true, so the softmax output is overwritten by u_out",
            _FORWARD_HEAD + '''
    for j in range(m):
        u_hidden[j] = b1[j]
        for p in range(l):
            u_hidden[j] += x[p] * W1[p, j]
        y_hidden[j] = sigmoid(u_hidden[j])
    for k in range(n):
        u_out[k] = b2[k]
        for q in range(m):
            u_out[k] += y_hidden[q] * W2[q, k]
    if output == "softmax":
        y_out[:] = softmax(u_out)
    if output == "sigmoid" or "identity":          # the elementwise outputs
        for k in range(n):
            y_out[k] = sigmoid(u_out[k]) if output == "sigmoid" else u_out[k]
''' + _FORWARD_TAIL, kind="subtle"),
    Mistake("forward_loops", "hidden_uses_output_activation",
            "the hidden layer gets the output activation too (softmax / identity hidden layers)",
            _FORWARD_HEAD + '''
    def activate(u):
        if output == "softmax":
            return softmax(u)
        if output == "sigmoid":
            return sigmoid(u)
        return u.copy()
    for j in range(m):
        u_hidden[j] = b1[j]
        for p in range(l):
            u_hidden[j] += x[p] * W1[p, j]
    y_hidden[:] = activate(u_hidden)
    for k in range(n):
        u_out[k] = b2[k]
        for q in range(m):
            u_out[k] += y_hidden[q] * W2[q, k]
    y_out[:] = activate(u_out)
''' + _FORWARD_TAIL),

    # --- Exercise 3: loss ----------------------------------------------------------------------------
    Mistake("loss", "square_of_sum",
            "0.5 * (sum of differences)**2 instead of the sum of squares",
            '''
def loss(y, t, output):
    if output == "softmax":
        E = 0.0
        for k in range(len(y)):
            E -= t[k] * np.log(y[k])
        return E
    diff = 0.0
    for k in range(len(y)):
        diff += y[k] - t[k]
    return 0.5 * diff ** 2
'''),
    Mistake("loss", "sigmoid_gets_cross_entropy",
            "if output != 'identity': cross-entropy, so the sigmoid output gets it too",
            '''
def loss(y, t, output):
    E = 0.0
    for k in range(len(y)):
        if output != "identity":
            E -= t[k] * np.log(y[k])
        else:
            E += 0.5 * (y[k] - t[k]) ** 2
    return E
'''),
    Mistake("loss", "log_base_10",
            "np.log10 in the cross-entropy (habit from notebook 00)",
            '''
def loss(y, t, output):
    E = 0.0
    for k in range(len(y)):
        if output == "softmax":
            E -= t[k] * np.log10(y[k])
        else:
            E += 0.5 * (y[k] - t[k]) ** 2
    return E
'''),

    # --- Exercise 4: delta_identity_mse --------------------------------------------------------------
    Mistake("delta_identity_mse", "extra_activation_derivative",
            "(y - t) * y (1 - y): the sigmoid's factor copied into the identity pair",
            '''
def delta_identity_mse(u, y, t):
    delta = np.zeros(len(y))
    for k in range(len(y)):
        delta[k] = (y[k] - t[k]) * y[k] * (1.0 - y[k])
    return delta
'''),
    Mistake("delta_identity_mse", "divided_by_n",
            "(y - t) / n: the derivative of a mean over outputs",
            '''
def delta_identity_mse(u, y, t):
    n = len(y)
    delta = np.zeros(n)
    for k in range(n):
        delta[k] = (y[k] - t[k]) / n
    return delta
'''),
    Mistake("delta_identity_mse", "factor_two",
            "2 (y - t): the 1/2 of E forgotten in the derivative",
            '''
def delta_identity_mse(u, y, t):
    delta = np.zeros(len(y))
    for k in range(len(y)):
        delta[k] = 2 * (y[k] - t[k])
    return delta
'''),

    # --- Exercise 5: delta_sigmoid_mse ---------------------------------------------------------------
    Mistake("delta_sigmoid_mse", "target_in_derivative",
            "(y - t) * y * (1 - t): t where the second y belongs",
            '''
def delta_sigmoid_mse(u, y, t):
    delta = np.zeros(len(y))
    for k in range(len(y)):
        delta[k] = (y[k] - t[k]) * y[k] * (1.0 - t[k])
    return delta
'''),
    Mistake("delta_sigmoid_mse", "precedence",
            "(y - t) * y - y**2: the sigmoid factor not parenthesised",
            '''
def delta_sigmoid_mse(u, y, t):
    delta = np.zeros(len(y))
    for k in range(len(y)):
        delta[k] = (y[k] - t[k]) * y[k] - y[k] ** 2
    return delta
'''),
    Mistake("delta_sigmoid_mse", "missing_y_factor",
            "(y - t)(1 - y): the y of y(1 - y) dropped",
            '''
def delta_sigmoid_mse(u, y, t):
    delta = np.zeros(len(y))
    for k in range(len(y)):
        delta[k] = (y[k] - t[k]) * (1.0 - y[k])
    return delta
'''),

    # --- Exercise 6: delta_softmax_ce ----------------------------------------------------------------
    Mistake("delta_softmax_ce", "extra_activation_derivative",
            "(y - t) * y (1 - y): the sigmoid pair's factor added to the collapsed form",
            '''
def delta_softmax_ce(u, y, t):
    delta = np.zeros(len(y))
    for k in range(len(y)):
        delta[k] = (y[k] - t[k]) * y[k] * (1.0 - y[k])
    return delta
'''),
    Mistake("delta_softmax_ce", "target_ignored",
            "y_k - 1 for every k (as if every class were the true one)",
            '''
def delta_softmax_ce(u, y, t):
    delta = np.zeros(len(y))
    for k in range(len(y)):
        delta[k] = y[k] - 1.0
    return delta
'''),
    Mistake("delta_softmax_ce", "y_modified_in_place",
            "delta = y; delta[c] -= 1: right numbers, written into the caller's y",
            '''
def delta_softmax_ce(u, y, t):
    c = int(np.argmax(t))
    delta = y
    delta[c] -= 1.0
    return delta
''', kind="subtle"),

    # --- Exercise 7: layer_backward ------------------------------------------------------------------
    Mistake("layer_backward", "db_aliases_delta",
            "db = delta: returns the caller's delta array itself as the bias gradient",
            '''
def layer_backward(delta, y_in, W):
    m, n = W.shape
    dy_in, dW = np.zeros(m), np.zeros((m, n))
    db = delta
    for k in range(n):
        for j in range(m):
            dW[j, k] = y_in[j] * delta[k]
    for j in range(m):
        for r in range(n):
            dy_in[j] += delta[r] * W[j, r]
    return dy_in, dW, db
''', kind="subtle"),
    Mistake("layer_backward", "shape_unpacked_swapped",
            "n, m = W.shape: the two sizes swapped, loops and arrays sized wrongly",
            '''
def layer_backward(delta, y_in, W):
    n, m = W.shape
    dy_in, dW, db = np.zeros(m), np.zeros((m, n)), np.zeros(n)
    for k in range(n):
        db[k] = delta[k]
        for j in range(m):
            dW[j, k] = y_in[j] * delta[k]
    for j in range(m):
        for r in range(n):
            dy_in[j] += delta[r] * W[j, r]
    return dy_in, dW, db
'''),
    Mistake("layer_backward", "stale_loop_index",
            "dy_in[j] = delta[k] * W[j, k] with k left over from the previous loop (last output only)",
            '''
def layer_backward(delta, y_in, W):
    m, n = W.shape
    dy_in, dW, db = np.zeros(m), np.zeros((m, n)), np.zeros(n)
    for k in range(n):
        db[k] = delta[k]
        for j in range(m):
            dW[j, k] = y_in[j] * delta[k]
    for j in range(m):
        dy_in[j] += delta[k] * W[j, k]
    return dy_in, dW, db
'''),

    # --- Exercise 8: hidden_delta --------------------------------------------------------------------
    Mistake("hidden_delta", "dy_summed_again",
            "sum(dy) * y_j (1 - y_j): sums the already-summed gradients over all neurons",
            '''
def hidden_delta(dy, u, y):
    delta = np.zeros(len(u))
    total = np.sum(dy)
    for j in range(len(u)):
        delta[j] = total * y[j] * (1.0 - y[j])
    return delta
'''),
    Mistake("hidden_delta", "added_not_multiplied",
            "dy_j + y_j (1 - y_j): the chain rule's product written as a sum",
            '''
def hidden_delta(dy, u, y):
    delta = np.zeros(len(u))
    for j in range(len(u)):
        delta[j] = dy[j] + y[j] * (1.0 - y[j])
    return delta
'''),
    Mistake("hidden_delta", "tanh_derivative",
            "dy_j (1 - y_j^2): the tanh derivative for a sigmoid layer",
            '''
def hidden_delta(dy, u, y):
    delta = np.zeros(len(u))
    for j in range(len(u)):
        delta[j] = dy[j] * (1.0 - y[j] ** 2)
    return delta
'''),

    # --- Exercise 9: backward_loops ------------------------------------------------------------------
    Mistake("backward_loops", "cache_modified",
            "stores the hidden deltas in the cache dict ('for later')",
            '''
def backward_loops(delta_out, cache):
    dy_hidden, dW2, db2 = layer_backward(delta_out, cache["y_hidden"], cache["W2"])
    cache["delta_hidden"] = hidden_delta(dy_hidden, cache["u_hidden"], cache["y_hidden"])
    dx, dW1, db1 = layer_backward(cache["delta_hidden"], cache["x"], cache["W1"])
    return dx, dW1, db1, dW2, db2
''', kind="subtle"),
    Mistake("backward_loops", "return_order",
            "returns (dW1, db1, dW2, db2, dx): the input gradient last",
            '''
def backward_loops(delta_out, cache):
    dy_hidden, dW2, db2 = layer_backward(delta_out, cache["y_hidden"], cache["W2"])
    delta_hidden = hidden_delta(dy_hidden, cache["u_hidden"], cache["y_hidden"])
    dx, dW1, db1 = layer_backward(delta_hidden, cache["x"], cache["W1"])
    return dW1, db1, dW2, db2, dx
'''),
    Mistake("backward_loops", "hidden_inputs_wrong",
            "copy-paste: the hidden layer's inputs given as cache['y_hidden'] instead of cache['x']",
            '''
def backward_loops(delta_out, cache):
    dy_hidden, dW2, db2 = layer_backward(delta_out, cache["y_hidden"], cache["W2"])
    delta_hidden = hidden_delta(dy_hidden, cache["u_hidden"], cache["y_hidden"])
    dx, dW1, db1 = layer_backward(delta_hidden, cache["y_hidden"], cache["W1"])
    return dx, dW1, db1, dW2, db2
'''),

    # --- Exercise 10: batch_gradients ----------------------------------------------------------------
    Mistake("batch_gradients", "gradients_not_averaged",
            "L divided by N but the gradients left as sums",
            '''
def batch_gradients(X, targets, W1, b1, W2, b2, output):
    N = X.shape[0]
    L = 0.0
    dW1, db1, dW2, db2 = np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)
    for s in range(N):
        y, cache = forward_loops(X[s], W1, b1, W2, b2, output)
        L += loss(y, targets[s], output)
        delta_out = OUTPUT_DELTA[output](cache["u_out"], y, targets[s])
        _, gW1, gb1, gW2, gb2 = backward_loops(delta_out, cache)
        dW1 += gW1
        db1 += gb1
        dW2 += gW2
        db2 += gb2
    return L / N, dW1, db1, dW2, db2
'''),
    Mistake("batch_gradients", "N_from_wrong_axis",
            "N = X.shape[1] (the number of inputs l, not of samples)",
            '''
def batch_gradients(X, targets, W1, b1, W2, b2, output):
    N = X.shape[1]
    L = 0.0
    dW1, db1, dW2, db2 = np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)
    for s in range(len(X)):
        y, cache = forward_loops(X[s], W1, b1, W2, b2, output)
        L += loss(y, targets[s], output)
        delta_out = OUTPUT_DELTA[output](cache["u_out"], y, targets[s])
        _, gW1, gb1, gW2, gb2 = backward_loops(delta_out, cache)
        dW1 += gW1
        db1 += gb1
        dW2 += gW2
        db2 += gb2
    return L / N, dW1 / N, db1 / N, dW2 / N, db2 / N
'''),
    Mistake("batch_gradients", "iterator_exhausted",
            "N = len(list(samples)) consumes the zip; the loop then sees no sample",
            '''
def batch_gradients(X, targets, W1, b1, W2, b2, output):
    samples = zip(X, targets)
    N = len(list(samples))
    L = 0.0
    dW1, db1, dW2, db2 = np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)
    for x_s, t_s in samples:
        y, cache = forward_loops(x_s, W1, b1, W2, b2, output)
        L += loss(y, t_s, output)
        delta_out = OUTPUT_DELTA[output](cache["u_out"], y, t_s)
        _, gW1, gb1, gW2, gb2 = backward_loops(delta_out, cache)
        dW1 += gW1
        db1 += gb1
        dW2 += gW2
        db2 += gb2
    return L / N, dW1 / N, db1 / N, dW2 / N, db2 / N
''', kind="subtle"),

    # --- Exercise 11: dz_from_deltas -----------------------------------------------------------------
    Mistake("dz_from_deltas", "deltas_modified_in_place",
            "deltas /= N; return deltas: divides the caller's array in place",
            '''
def dz_from_deltas(deltas):
    N = deltas.shape[0]
    deltas /= N
    return deltas
''', kind="subtle"),
    Mistake("dz_from_deltas", "divided_by_size",
            "deltas / deltas.size: divided by N*n",
            '''
def dz_from_deltas(deltas):
    return deltas / deltas.size
'''),
    Mistake("dz_from_deltas", "multiplied_by_N",
            "deltas * N: 'delta_k = N dz' read backwards",
            '''
def dz_from_deltas(deltas):
    N = deltas.shape[0]
    return deltas * N
'''),
]
