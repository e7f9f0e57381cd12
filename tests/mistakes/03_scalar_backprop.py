"""Realistic mistakes in notebook 03 (backprop one neuron at a time), each a whole answer cell.

Derived from the exercises as a learner meets them: the delta at the wrong place, index and loop-bound
slips, an accumulator overwritten, a cached value mixed up, arrays started from an integer input, an
input edited in place through an alias, formulas that overflow for saturated neurons, a branch of
``output`` taken wrongly.
"""
from . import Mistake

MISTAKES = [
    # --- Exercise 1: sigmoid_neuron ------------------------------------------------------------------
    Mistake("sigmoid_neuron", "missing_activation_derivative", "delta = dE/dy, the sigmoid's derivative left out", """
        def sigmoid_neuron(x, w, b, dE_dy=1.0):
            u = b
            for p in range(len(x)):
                u = u + x[p] * w[p]
            y = sigmoid(u)
            delta = dE_dy
            dw, dx = np.zeros(len(w)), np.zeros(len(x))
            for p in range(len(x)):
                dw[p] = x[p] * delta
                dx[p] = w[p] * delta
            return y, delta, dw, delta, dx
        """),
    Mistake("sigmoid_neuron", "derivative_at_output", "sigma' taken at the output: sigmoid_derivative(y)", """
        def sigmoid_neuron(x, w, b, dE_dy=1.0):
            u = b
            for p in range(len(x)):
                u = u + x[p] * w[p]
            y = sigmoid(u)
            delta = dE_dy * sigmoid_derivative(y)
            dw, dx = np.zeros(len(w)), np.zeros(len(x))
            for p in range(len(x)):
                dw[p] = x[p] * delta
                dx[p] = w[p] * delta
            return y, delta, dw, delta, dx
        """, kind="subtle"),
    Mistake("sigmoid_neuron", "dw_dx_swapped", "dw and dx swapped (the weight on the weight's edge)", """
        def sigmoid_neuron(x, w, b, dE_dy=1.0):
            u = b
            for p in range(len(x)):
                u = u + x[p] * w[p]
            y = sigmoid(u)
            delta = dE_dy * y * (1 - y)
            dw, dx = np.zeros(len(w)), np.zeros(len(x))
            for p in range(len(x)):
                dw[p] = w[p] * delta
                dx[p] = x[p] * delta
            return y, delta, dw, delta, dx
        """),
    Mistake("sigmoid_neuron", "integer_dtype", "dw started from np.zeros_like(x) of CS231n's integer inputs", """
        def sigmoid_neuron(x, w, b, dE_dy=1.0):
            u = b
            for p in range(len(x)):
                u = u + x[p] * w[p]
            y = sigmoid(u)
            delta = dE_dy * y * (1 - y)
            dw, dx = np.zeros_like(x), np.zeros_like(w)
            for p in range(len(x)):
                dw[p] = x[p] * delta
                dx[p] = w[p] * delta
            return y, delta, dw, delta, dx
        """, kind="subtle"),
    Mistake("sigmoid_neuron", "unstable_sigmoid", "a sigmoid of one's own, 1 / (1 + exp(-u))", """
        def sigmoid_neuron(x, w, b, dE_dy=1.0):
            u = b
            for p in range(len(x)):
                u = u + x[p] * w[p]
            y = 1.0 / (1.0 + np.exp(-u))
            delta = dE_dy * y * (1 - y)
            dw, dx = np.zeros(len(w)), np.zeros(len(x))
            for p in range(len(x)):
                dw[p] = x[p] * delta
                dx[p] = w[p] * delta
            return y, delta, dw, delta, dx
        """, kind="subtle"),

    # --- Exercise 2: forward_loops --------------------------------------------------------------------
    Mistake("forward_loops", "sum_overwritten", "u_j = ... inside the loop: only the last input survives", """
        def forward_loops(x, W1, b1, W2, b2, output="identity"):
            l, m = W1.shape
            n = W2.shape[1]
            u_hidden, y_hidden = np.zeros(m), np.zeros(m)
            u_out, y_out = np.zeros(n), np.zeros(n)
            for j in range(m):
                for p in range(l):
                    u_hidden[j] = x[p] * W1[p, j] + b1[j]
                y_hidden[j] = sigmoid(u_hidden[j])
            for k in range(n):
                u_out[k] = b2[k]
                for q in range(m):
                    u_out[k] += y_hidden[q] * W2[q, k]
            if output == "softmax":
                y_out = softmax(u_out)
            else:
                for k in range(n):
                    y_out[k] = sigmoid(u_out[k]) if output == "sigmoid" else u_out[k]
            cache = dict(x=x, W1=W1, W2=W2, u_hidden=u_hidden, y_hidden=y_hidden, u_out=u_out, y_out=y_out,
                         output=output)
            return y_out, cache
        """),
    Mistake("forward_loops", "transposed_weight_index", "W1[j, p] for the weight from input p to neuron j", """
        def forward_loops(x, W1, b1, W2, b2, output="identity"):
            l, m = W1.shape
            n = W2.shape[1]
            u_hidden, y_hidden = np.zeros(m), np.zeros(m)
            u_out, y_out = np.zeros(n), np.zeros(n)
            for j in range(m):
                u_hidden[j] = b1[j]
                for p in range(l):
                    u_hidden[j] += x[p] * W1[j, p]
                y_hidden[j] = sigmoid(u_hidden[j])
            for k in range(n):
                u_out[k] = b2[k]
                for q in range(m):
                    u_out[k] += y_hidden[q] * W2[q, k]
            if output == "softmax":
                y_out = softmax(u_out)
            else:
                for k in range(n):
                    y_out[k] = sigmoid(u_out[k]) if output == "sigmoid" else u_out[k]
            cache = dict(x=x, W1=W1, W2=W2, u_hidden=u_hidden, y_hidden=y_hidden, u_out=u_out, y_out=y_out,
                         output=output)
            return y_out, cache
        """, kind="subtle"),
    Mistake("forward_loops", "used_u_not_y", "the output layer fed the hidden pre-activations", """
        def forward_loops(x, W1, b1, W2, b2, output="identity"):
            l, m = W1.shape
            n = W2.shape[1]
            u_hidden, y_hidden = np.zeros(m), np.zeros(m)
            u_out, y_out = np.zeros(n), np.zeros(n)
            for j in range(m):
                u_hidden[j] = b1[j]
                for p in range(l):
                    u_hidden[j] += x[p] * W1[p, j]
                y_hidden[j] = sigmoid(u_hidden[j])
            for k in range(n):
                u_out[k] = b2[k]
                for q in range(m):
                    u_out[k] += u_hidden[q] * W2[q, k]
            if output == "softmax":
                y_out = softmax(u_out)
            else:
                for k in range(n):
                    y_out[k] = sigmoid(u_out[k]) if output == "sigmoid" else u_out[k]
            cache = dict(x=x, W1=W1, W2=W2, u_hidden=u_hidden, y_hidden=y_hidden, u_out=u_out, y_out=y_out,
                         output=output)
            return y_out, cache
        """),
    Mistake("forward_loops", "softmax_before_all_u", "softmax applied inside the loop over k", """
        def forward_loops(x, W1, b1, W2, b2, output="identity"):
            l, m = W1.shape
            n = W2.shape[1]
            u_hidden, y_hidden = np.zeros(m), np.zeros(m)
            u_out, y_out = np.zeros(n), np.zeros(n)
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
            cache = dict(x=x, W1=W1, W2=W2, u_hidden=u_hidden, y_hidden=y_hidden, u_out=u_out, y_out=y_out,
                         output=output)
            return y_out, cache
        """, kind="subtle"),
    Mistake("forward_loops", "identity_output_activated", "every output but softmax goes through the sigmoid", """
        def forward_loops(x, W1, b1, W2, b2, output="identity"):
            l, m = W1.shape
            n = W2.shape[1]
            u_hidden, y_hidden = np.zeros(m), np.zeros(m)
            u_out, y_out = np.zeros(n), np.zeros(n)
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
                y_out = softmax(u_out)
            else:
                for k in range(n):
                    y_out[k] = sigmoid(u_out[k])
            cache = dict(x=x, W1=W1, W2=W2, u_hidden=u_hidden, y_hidden=y_hidden, u_out=u_out, y_out=y_out,
                         output=output)
            return y_out, cache
        """),
    Mistake("forward_loops", "unstable_activation", "sigmoid and softmax written by hand with np.exp", """
        def forward_loops(x, W1, b1, W2, b2, output="identity"):
            l, m = W1.shape
            n = W2.shape[1]
            u_hidden, y_hidden = np.zeros(m), np.zeros(m)
            u_out, y_out = np.zeros(n), np.zeros(n)
            for j in range(m):
                u_hidden[j] = b1[j]
                for p in range(l):
                    u_hidden[j] += x[p] * W1[p, j]
                y_hidden[j] = 1 / (1 + np.exp(-u_hidden[j]))
            for k in range(n):
                u_out[k] = b2[k]
                for q in range(m):
                    u_out[k] += y_hidden[q] * W2[q, k]
            if output == "softmax":
                y_out = np.exp(u_out) / np.sum(np.exp(u_out))
            else:
                for k in range(n):
                    y_out[k] = 1 / (1 + np.exp(-u_out[k])) if output == "sigmoid" else u_out[k]
            cache = dict(x=x, W1=W1, W2=W2, u_hidden=u_hidden, y_hidden=y_hidden, u_out=u_out, y_out=y_out,
                         output=output)
            return y_out, cache
        """, kind="subtle"),
    Mistake("forward_loops", "index_out_of_range", "the inputs of a hidden neuron summed over range(m)", """
        def forward_loops(x, W1, b1, W2, b2, output="identity"):
            l, m = W1.shape
            n = W2.shape[1]
            u_hidden, y_hidden = np.zeros(m), np.zeros(m)
            u_out, y_out = np.zeros(n), np.zeros(n)
            for j in range(m):
                u_hidden[j] = b1[j]
                for p in range(m):
                    u_hidden[j] += x[p] * W1[p, j]
                y_hidden[j] = sigmoid(u_hidden[j])
            for k in range(n):
                u_out[k] = b2[k]
                for q in range(m):
                    u_out[k] += y_hidden[q] * W2[q, k]
            if output == "softmax":
                y_out = softmax(u_out)
            else:
                for k in range(n):
                    y_out[k] = sigmoid(u_out[k]) if output == "sigmoid" else u_out[k]
            cache = dict(x=x, W1=W1, W2=W2, u_hidden=u_hidden, y_hidden=y_hidden, u_out=u_out, y_out=y_out,
                         output=output)
            return y_out, cache
        """, kind="subtle"),

    # --- Exercise 3: loss ----------------------------------------------------------------------------
    Mistake("loss", "missing_half", "the squared error without its 1/2", """
        def loss(y, t, output):
            E = 0.0
            for k in range(len(y)):
                if output == "softmax":
                    E -= t[k] * np.log(y[k])
                else:
                    E += (y[k] - t[k]) ** 2
            return E
        """),
    Mistake("loss", "cross_entropy_for_sigmoid", "the cross-entropy for every output but the identity", """
        def loss(y, t, output):
            E = 0.0
            for k in range(len(y)):
                if output == "identity":
                    E += 0.5 * (y[k] - t[k]) ** 2
                else:
                    E -= t[k] * np.log(y[k])
            return E
        """, kind="subtle"),
    Mistake("loss", "cross_entropy_sign", "the cross-entropy without its minus", """
        def loss(y, t, output):
            E = 0.0
            for k in range(len(y)):
                if output == "softmax":
                    E += t[k] * np.log(y[k])
                else:
                    E += 0.5 * (y[k] - t[k]) ** 2
            return E
        """),
    Mistake("loss", "mean_not_sum", "np.mean for the sum over the outputs", """
        def loss(y, t, output):
            if output == "softmax":
                return -np.sum(t * np.log(y))
            return 0.5 * np.mean((y - t) ** 2)
        """, kind="subtle"),
    Mistake("loss", "mutated_input", "y -= t: the caller's outputs changed", """
        def loss(y, t, output):
            if output == "softmax":
                return -np.sum(t * np.log(y))
            y -= t
            return 0.5 * np.sum(y ** 2)
        """, kind="subtle"),

    # --- Exercise 4: delta_identity_mse ---------------------------------------------------------------
    Mistake("delta_identity_mse", "sign_of_error_flipped", "t - y for y - t", """
        def delta_identity_mse(u, y, t):
            delta = np.zeros(len(y))
            for k in range(len(y)):
                delta[k] = t[k] - y[k]
            return delta
        """),
    Mistake("delta_identity_mse", "missing_half_cancel", "2 (y - t): the 2 of the square kept", """
        def delta_identity_mse(u, y, t):
            delta = np.zeros(len(y))
            for k in range(len(y)):
                delta[k] = 2 * (y[k] - t[k])
            return delta
        """),
    Mistake("delta_identity_mse", "mutated_input", "delta = y, then delta[k] -= t[k]: y edited through its alias", """
        def delta_identity_mse(u, y, t):
            delta = y
            for k in range(len(y)):
                delta[k] -= t[k]
            return delta
        """, kind="subtle"),
    Mistake("delta_identity_mse", "integer_dtype", "delta = np.zeros_like(t) of whole-number targets", """
        def delta_identity_mse(u, y, t):
            delta = np.zeros_like(t)
            for k in range(len(y)):
                delta[k] = y[k] - t[k]
            return delta
        """, kind="subtle"),

    # --- Exercise 5: delta_sigmoid_mse ----------------------------------------------------------------
    Mistake("delta_sigmoid_mse", "sigmoid_pair_without_derivative", "y - t, the identity pair's delta", """
        def delta_sigmoid_mse(u, y, t):
            delta = np.zeros(len(y))
            for k in range(len(y)):
                delta[k] = y[k] - t[k]
            return delta
        """),
    Mistake("delta_sigmoid_mse", "derivative_at_output", "sigmoid_derivative(y[k]) for sigma'(u_k)", """
        def delta_sigmoid_mse(u, y, t):
            delta = np.zeros(len(y))
            for k in range(len(y)):
                delta[k] = (y[k] - t[k]) * sigmoid_derivative(y[k])
            return delta
        """, kind="subtle"),
    Mistake("delta_sigmoid_mse", "u_as_y", "u (1 - u) for y (1 - y)", """
        def delta_sigmoid_mse(u, y, t):
            delta = np.zeros(len(y))
            for k in range(len(y)):
                delta[k] = (y[k] - t[k]) * u[k] * (1 - u[k])
            return delta
        """, kind="subtle"),
    Mistake("delta_sigmoid_mse", "unstable_sigmoid", "sigma'(u) written with np.exp(-u)", """
        def delta_sigmoid_mse(u, y, t):
            delta = np.zeros(len(y))
            for k in range(len(y)):
                delta[k] = (y[k] - t[k]) * np.exp(-u[k]) / (1 + np.exp(-u[k])) ** 2
            return delta
        """, kind="subtle"),
    Mistake("delta_sigmoid_mse", "mutated_input", "delta = y, overwritten entry by entry", """
        def delta_sigmoid_mse(u, y, t):
            delta = y
            for k in range(len(y)):
                delta[k] = (y[k] - t[k]) * y[k] * (1 - y[k])
            return delta
        """, kind="subtle"),

    # --- Exercise 6: delta_softmax_ce -----------------------------------------------------------------
    Mistake("delta_softmax_ce", "softmax_as_elementwise", "the softmax treated neuron by neuron, like a sigmoid", """
        def delta_softmax_ce(u, y, t):
            delta = np.zeros(len(y))
            for k in range(len(y)):
                delta[k] = -t[k] / y[k] * y[k] * (1 - y[k])
            return delta
        """),
    Mistake("delta_softmax_ce", "unstable_double_loop", "the derivation's double loop handed in as it is", """
        def delta_softmax_ce(u, y, t):
            n = len(y)
            delta = np.zeros(n)
            for k in range(n):
                for r in range(n):
                    dE_dyr = -t[r] / y[r]
                    dyr_duk = y[r] * ((1.0 if r == k else 0.0) - y[k])
                    delta[k] += dE_dyr * dyr_duk
            return delta
        """, kind="subtle"),
    Mistake("delta_softmax_ce", "jacobian_index_slip", "y_r (1[r = k] - y_r) in the double loop", """
        def delta_softmax_ce(u, y, t):
            n = len(y)
            delta = np.zeros(n)
            for k in range(n):
                for r in range(n):
                    if t[r] != 0:
                        delta[k] += -t[r] / y[r] * y[r] * ((1.0 if r == k else 0.0) - y[r])
            return delta
        """, kind="subtle"),
    Mistake("delta_softmax_ce", "missing_softmax_jacobian", "dE/dy_k = -t_k / y_k alone", """
        def delta_softmax_ce(u, y, t):
            delta = np.zeros(len(y))
            for k in range(len(y)):
                delta[k] = -t[k] / y[k]
            return delta
        """),
    Mistake("delta_softmax_ce", "integer_dtype", "np.zeros_like(t) of an integer one-hot target", """
        def delta_softmax_ce(u, y, t):
            delta = np.zeros_like(t)
            for k in range(len(y)):
                delta[k] = y[k] - t[k]
            return delta
        """, kind="subtle"),

    # --- Exercise 7: layer_backward -------------------------------------------------------------------
    Mistake("layer_backward", "missing_sum_over_next_layer", "dy_in[j] = ... over r: the sum overwritten", """
        def layer_backward(delta, y_in, W):
            m, n = W.shape
            dy_in, dW, db = np.zeros(m), np.zeros((m, n)), np.zeros(n)
            for k in range(n):
                db[k] = delta[k]
                for j in range(m):
                    dW[j, k] = y_in[j] * delta[k]
            for j in range(m):
                for r in range(n):
                    dy_in[j] = delta[r] * W[j, r]
            return dy_in, dW, db
        """),
    Mistake("layer_backward", "transposed_weight_index", "W[r, j] for w_jr", """
        def layer_backward(delta, y_in, W):
            m, n = W.shape
            dy_in, dW, db = np.zeros(m), np.zeros((m, n)), np.zeros(n)
            for k in range(n):
                db[k] = delta[k]
                for j in range(m):
                    dW[j, k] = y_in[j] * delta[k]
            for j in range(m):
                for r in range(n):
                    dy_in[j] += delta[r] * W[r, j]
            return dy_in, dW, db
        """),
    Mistake("layer_backward", "wrong_loop_bound", "the loop over j of dy_in run over range(n)", """
        def layer_backward(delta, y_in, W):
            m, n = W.shape
            dy_in, dW, db = np.zeros(m), np.zeros((m, n)), np.zeros(n)
            for k in range(n):
                db[k] = delta[k]
                for j in range(m):
                    dW[j, k] = y_in[j] * delta[k]
            for j in range(n):
                for r in range(n):
                    dy_in[j] += delta[r] * W[j, r]
            return dy_in, dW, db
        """, kind="subtle"),
    Mistake("layer_backward", "bias_gradient_includes_input", "db[k] = y_j delta_k inside the loop over j", """
        def layer_backward(delta, y_in, W):
            m, n = W.shape
            dy_in, dW, db = np.zeros(m), np.zeros((m, n)), np.zeros(n)
            for k in range(n):
                for j in range(m):
                    dW[j, k] = y_in[j] * delta[k]
                    db[k] = y_in[j] * delta[k]
            for j in range(m):
                for r in range(n):
                    dy_in[j] += delta[r] * W[j, r]
            return dy_in, dW, db
        """),
    Mistake("layer_backward", "integer_dtype", "dy_in = np.zeros_like(y_in) of whole-number inputs", """
        def layer_backward(delta, y_in, W):
            m, n = W.shape
            dy_in, dW, db = np.zeros_like(y_in), np.zeros((m, n)), np.zeros(n)
            for k in range(n):
                db[k] = delta[k]
                for j in range(m):
                    dW[j, k] = y_in[j] * delta[k]
            for j in range(m):
                for r in range(n):
                    dy_in[j] += delta[r] * W[j, r]
            return dy_in, dW, db
        """, kind="subtle"),
    Mistake("layer_backward", "gradient_order", "returned in the seed's order (dW, db, dy)", """
        def layer_backward(delta, y_in, W):
            m, n = W.shape
            dy_in, dW, db = np.zeros(m), np.zeros((m, n)), np.zeros(n)
            for k in range(n):
                db[k] = delta[k]
                for j in range(m):
                    dW[j, k] = y_in[j] * delta[k]
            for j in range(m):
                for r in range(n):
                    dy_in[j] += delta[r] * W[j, r]
            return dW, db, dy_in
        """),

    # --- Exercise 8: hidden_delta ---------------------------------------------------------------------
    Mistake("hidden_delta", "derivative_at_output", "sigmoid_derivative(y[j])", """
        def hidden_delta(dy, u, y):
            delta = np.zeros(len(u))
            for j in range(len(u)):
                delta[j] = dy[j] * sigmoid_derivative(y[j])
            return delta
        """),
    Mistake("hidden_delta", "missing_activation_derivative", "delta_j = dy_j", """
        def hidden_delta(dy, u, y):
            delta = np.zeros(len(u))
            for j in range(len(u)):
                delta[j] = dy[j]
            return delta
        """),
    Mistake("hidden_delta", "u_as_y", "u (1 - u): the arguments' roles mixed up", """
        def hidden_delta(dy, u, y):
            delta = np.zeros(len(u))
            for j in range(len(u)):
                delta[j] = dy[j] * u[j] * (1 - u[j])
            return delta
        """, kind="subtle"),
    Mistake("hidden_delta", "unstable_sigmoid_derivative", "sigma'(u) built from np.exp(-u)", """
        def hidden_delta(dy, u, y):
            delta = np.zeros(len(u))
            for j in range(len(u)):
                e = np.exp(-u[j])
                delta[j] = dy[j] * e / (1 + e) ** 2
            return delta
        """, kind="subtle"),
    Mistake("hidden_delta", "mutated_input", "dy *= y (1 - y) in place, returned", """
        def hidden_delta(dy, u, y):
            for j in range(len(u)):
                dy[j] *= y[j] * (1 - y[j])
            return dy
        """, kind="subtle"),

    # --- Exercise 9: backward_loops -------------------------------------------------------------------
    Mistake("backward_loops", "used_u_not_y", "the output layer's input taken as u_hidden", """
        def backward_loops(delta_out, cache):
            dy_hidden, dW2, db2 = layer_backward(delta_out, cache["u_hidden"], cache["W2"])
            delta_hidden = hidden_delta(dy_hidden, cache["u_hidden"], cache["y_hidden"])
            dx, dW1, db1 = layer_backward(delta_hidden, cache["x"], cache["W1"])
            return dx, dW1, db1, dW2, db2
        """),
    Mistake("backward_loops", "output_derivative_twice", "the sigmoid output's derivative applied again", """
        def backward_loops(delta_out, cache):
            if cache["output"] == "sigmoid":
                y = cache["y_out"]
                delta_out = delta_out * y * (1 - y)
            dy_hidden, dW2, db2 = layer_backward(delta_out, cache["y_hidden"], cache["W2"])
            delta_hidden = hidden_delta(dy_hidden, cache["u_hidden"], cache["y_hidden"])
            dx, dW1, db1 = layer_backward(delta_hidden, cache["x"], cache["W1"])
            return dx, dW1, db1, dW2, db2
        """, kind="subtle"),
    Mistake("backward_loops", "missing_activation_derivative", "hidden_delta skipped", """
        def backward_loops(delta_out, cache):
            dy_hidden, dW2, db2 = layer_backward(delta_out, cache["y_hidden"], cache["W2"])
            dx, dW1, db1 = layer_backward(dy_hidden, cache["x"], cache["W1"])
            return dx, dW1, db1, dW2, db2
        """),
    Mistake("backward_loops", "u_as_y", "hidden_delta given (dy, y, u), the cached arrays swapped", """
        def backward_loops(delta_out, cache):
            dy_hidden, dW2, db2 = layer_backward(delta_out, cache["y_hidden"], cache["W2"])
            delta_hidden = hidden_delta(dy_hidden, cache["y_hidden"], cache["u_hidden"])
            dx, dW1, db1 = layer_backward(delta_hidden, cache["x"], cache["W1"])
            return dx, dW1, db1, dW2, db2
        """, kind="subtle"),
    Mistake("backward_loops", "wrong_layer_input", "x as the output layer's input", """
        def backward_loops(delta_out, cache):
            dy_hidden, dW2, db2 = layer_backward(delta_out, cache["x"], cache["W2"])
            delta_hidden = hidden_delta(dy_hidden, cache["u_hidden"], cache["y_hidden"])
            dx, dW1, db1 = layer_backward(delta_hidden, cache["x"], cache["W1"])
            return dx, dW1, db1, dW2, db2
        """, kind="subtle"),

    # --- Exercise 10: batch_gradients -----------------------------------------------------------------
    Mistake("batch_gradients", "not_accumulated", "dW1 = gW1 in the loop: each sample overwrites the last", """
        def batch_gradients(X, targets, W1, b1, W2, b2, output):
            N = X.shape[0]
            L = 0.0
            for s in range(N):
                y, cache = forward_loops(X[s], W1, b1, W2, b2, output)
                L += loss(y, targets[s], output)
                delta_out = OUTPUT_DELTA[output](cache["u_out"], y, targets[s])
                _, dW1, db1, dW2, db2 = backward_loops(delta_out, cache)
            return L / N, dW1 / N, db1 / N, dW2 / N, db2 / N
        """),
    Mistake("batch_gradients", "delta_ignores_pair", "delta = y - t for every output", """
        def batch_gradients(X, targets, W1, b1, W2, b2, output):
            N = X.shape[0]
            L = 0.0
            dW1, db1, dW2, db2 = np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)
            for s in range(N):
                y, cache = forward_loops(X[s], W1, b1, W2, b2, output)
                L += loss(y, targets[s], output)
                _, gW1, gb1, gW2, gb2 = backward_loops(y - targets[s], cache)
                dW1 += gW1
                db1 += gb1
                dW2 += gW2
                db2 += gb2
            return L / N, dW1 / N, db1 / N, dW2 / N, db2 / N
        """),
    Mistake("batch_gradients", "L_summed", "L returned as the sum, not the mean", """
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
            return L, dW1 / N, db1 / N, dW2 / N, db2 / N
        """),
    Mistake("batch_gradients", "scaled_N", "the gradients summed, not averaged", """
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
        """, kind="subtle"),
    Mistake("batch_gradients", "sample_loop_bound", "N taken from X.shape[1], the number of inputs", """
        def batch_gradients(X, targets, W1, b1, W2, b2, output):
            N = X.shape[1]
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
            return L / N, dW1 / N, db1 / N, dW2 / N, db2 / N
        """, kind="subtle"),

    # --- Exercise 11: dz_from_deltas ------------------------------------------------------------------
    Mistake("dz_from_deltas", "missing_1_over_N", "the per-sample deltas returned as they are", """
        def dz_from_deltas(deltas):
            return deltas.copy()
        """),
    Mistake("dz_from_deltas", "times_N", "delta = N dz read the wrong way round", """
        def dz_from_deltas(deltas):
            N = deltas.shape[0]
            return N * deltas
        """, kind="subtle"),
    Mistake("dz_from_deltas", "averaged_over_samples", "the mean over the samples, np.mean(deltas, axis=0)", """
        def dz_from_deltas(deltas):
            return np.mean(deltas, axis=0)
        """, kind="subtle"),
    Mistake("dz_from_deltas", "divided_by_outputs", "divided by n = deltas.shape[1]", """
        def dz_from_deltas(deltas):
            return deltas / deltas.shape[1]
        """, kind="subtle"),
]
