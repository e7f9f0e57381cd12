"""Realistic mistakes in notebook 02 (Jacobians and VJPs), each a whole answer cell."""
from . import Mistake

MISTAKES = [
    # --- Exercise 1: numerical_jacobian
    Mistake("numerical_jacobian", "jacobian_transposed", "the columns stacked as rows", """
        def numerical_jacobian(f, x, h=1e-5):
            x = np.asarray(x, dtype=np.float64)
            columns = []
            for j in range(x.size):
                step = np.zeros_like(x)
                step[j] = h
                columns.append((f(x + step) - f(x - step)) / (2 * h))
            return np.array(columns)
        """),
    Mistake("numerical_jacobian", "shapes_do_not_fit", "J sized n x n", """
        def numerical_jacobian(f, x, h=1e-5):
            x = np.asarray(x, dtype=np.float64)
            J = np.zeros((x.size, x.size))
            for j in range(x.size):
                step = np.zeros_like(x)
                step[j] = h
                J[:, j] = (f(x + step) - f(x - step)) / (2 * h)
            return J
        """),
    Mistake("numerical_jacobian", "mutated_input", "x moved in place and left at x - h", """
        def numerical_jacobian(f, x, h=1e-5):
            columns = []
            for j in range(x.size):
                x[j] += h
                f_plus = f(x)
                x[j] -= 2 * h
                f_minus = f(x)
                columns.append((f_plus - f_minus) / (2 * h))
            return np.stack(columns, axis=1)
        """, kind="subtle"),
    Mistake("numerical_jacobian", "integer_input", "copies that keep an integer dtype", """
        def numerical_jacobian(f, x, h=1e-5):
            columns = []
            for j in range(x.size):
                xp, xm = x.copy(), x.copy()
                xp[j] += h
                xm[j] -= h
                columns.append((f(xp) - f(xm)) / (2 * h))
            return np.stack(columns, axis=1)
        """, kind="subtle"),
    Mistake("numerical_jacobian", "nudged_all_inputs", "all inputs nudged at once", """
        def numerical_jacobian(f, x, h=1e-5):
            x = np.asarray(x, dtype=np.float64)
            column = (f(x + h) - f(x - h)) / (2 * h)
            return np.tile(column[:, None], (1, x.size))
        """),

    # --- Exercise 2: sigmoid_jacobian
    Mistake("sigmoid_jacobian", "diagonal_as_vector", "the derivatives as a vector", """
        def sigmoid_jacobian(z):
            s = sigmoid(z)
            return s * (1 - s)
        """),
    Mistake("sigmoid_jacobian", "used_z_as_s", "z(1 - z), as if z were the sigmoid's output", """
        def sigmoid_jacobian(z):
            return np.diag(z * (1 - z))
        """),
    Mistake("sigmoid_jacobian", "off_diagonal_nonzero", "np.outer for np.diag", """
        def sigmoid_jacobian(z):
            d = sigmoid(z) * (1 - sigmoid(z))
            return np.outer(d, d)
        """, kind="subtle"),

    # --- Exercise 3: linear_jacobian
    Mistake("linear_jacobian", "jacobian_transposed", "W.T, as for a batch row", """
        def linear_jacobian(W, x):
            return W.T.copy()
        """),
    Mistake("linear_jacobian", "returned_value", "the value W x", """
        def linear_jacobian(W, x):
            return W @ x
        """),

    # --- Exercise 4: row_linear_jacobian
    Mistake("row_linear_jacobian", "jacobian_transposed", "W itself", """
        def row_linear_jacobian(x, W):
            return W.copy()
        """),
    Mistake("row_linear_jacobian", "returned_value", "the value x @ W", """
        def row_linear_jacobian(x, W):
            return x @ W
        """),

    # --- Exercise 5: softmax
    Mistake("softmax", "softmax_overflow", "no shift", """
        def softmax(z):
            e = np.exp(z)
            return e / np.sum(e)
        """),
    Mistake("softmax", "softmax_overflow", "shifted by the mean", """
        def softmax(z):
            e = np.exp(z - np.mean(z))
            return e / np.sum(e)
        """, kind="subtle"),
    Mistake("softmax", "mutated_input", "z -= max(z) in place", """
        def softmax(z):
            z -= np.max(z)
            e = np.exp(z)
            return e / np.sum(e)
        """, kind="subtle"),
    Mistake("softmax", "not_normalized", "the shifted exponentials, not divided by their sum", """
        def softmax(z):
            return np.exp(z - np.max(z))
        """),

    # --- Exercise 6: softmax_jacobian
    Mistake("softmax_jacobian", "softmax_as_elementwise", "the diagonal s(1 - s) only", """
        def softmax_jacobian(z):
            s = softmax(z)
            return np.diag(s * (1 - s))
        """),
    Mistake("softmax_jacobian", "diag_not_matrix", "s - s s^T, s broadcast across the rows", """
        def softmax_jacobian(z):
            s = softmax(z)
            return s - np.outer(s, s)
        """, kind="subtle"),
    Mistake("softmax_jacobian", "dot_not_outer", "s @ s.T for the outer product", """
        def softmax_jacobian(z):
            s = softmax(z)
            return np.diag(s) - s @ s.T
        """, kind="subtle"),
    Mistake("softmax_jacobian", "outer_sign", "the outer product added", """
        def softmax_jacobian(z):
            s = softmax(z)
            return np.diag(s) + np.outer(s, s)
        """),

    # --- Exercise 7: chain_jacobian
    Mistake("chain_jacobian", "composition_order", "multiplied in the forward order", """
        def chain_jacobian(jacobians):
            J = jacobians[0]
            for J_next in jacobians[1:]:
                J = J @ J_next
            return J
        """),
    Mistake("chain_jacobian", "mutated_input", "the caller's list reversed in place", """
        def chain_jacobian(jacobians):
            jacobians.reverse()
            J = jacobians[0]
            for J_next in jacobians[1:]:
                J = J @ J_next
            return J
        """, kind="subtle"),
    Mistake("chain_jacobian", "one_jacobian", "np.linalg.multi_dot, which needs two", """
        def chain_jacobian(jacobians):
            return np.linalg.multi_dot(jacobians[::-1])
        """, kind="subtle"),
    Mistake("chain_jacobian", "elementwise_product", "* for @", """
        def chain_jacobian(jacobians):
            J = jacobians[0]
            for J_next in jacobians[1:]:
                J = J_next * J
            return J
        """),

    # --- Exercise 8: network_jacobian
    Mistake("network_jacobian", "activation_at_output", "sigma' taken at the layers' outputs", """
        def network_jacobian(x, W1, b1, W2, b2):
            h1 = sigmoid(W1 @ x + b1)
            h2 = sigmoid(W2 @ h1 + b2)
            return chain_jacobian([linear_jacobian(W1, x), sigmoid_jacobian(h1),
                                   linear_jacobian(W2, h1), sigmoid_jacobian(h2)])
        """),
    Mistake("network_jacobian", "bias_left_out", "the biases left out of the forward pass", """
        def network_jacobian(x, W1, b1, W2, b2):
            z1 = W1 @ x
            h1 = sigmoid(z1)
            z2 = W2 @ h1
            return chain_jacobian([linear_jacobian(W1, x), sigmoid_jacobian(z1),
                                   linear_jacobian(W2, h1), sigmoid_jacobian(z2)])
        """, kind="subtle"),
    Mistake("network_jacobian", "composition_order", "the list in the reverse order", """
        def network_jacobian(x, W1, b1, W2, b2):
            z1 = W1 @ x + b1
            h1 = sigmoid(z1)
            z2 = W2 @ h1 + b2
            return chain_jacobian([sigmoid_jacobian(z2), linear_jacobian(W2, h1),
                                   sigmoid_jacobian(z1), linear_jacobian(W1, x)])
        """),
    Mistake("network_jacobian", "missing_activation_jacobian", "the linear layers only", """
        def network_jacobian(x, W1, b1, W2, b2):
            return chain_jacobian([linear_jacobian(W1, x), linear_jacobian(W2, sigmoid(W1 @ x + b1))])
        """),

    # --- Exercise 9: sigmoid_vjp
    Mistake("sigmoid_vjp", "builds_full_jacobian", "J^T v with the Jacobian of Exercise 2", """
        def sigmoid_vjp(z, v):
            return sigmoid_jacobian(z).T @ v
        """),
    Mistake("sigmoid_vjp", "used_z_as_s", "01's s(1 - s) with z for s", """
        def sigmoid_vjp(z, v):
            return v * z * (1 - z)
        """),
    Mistake("sigmoid_vjp", "missing_sigmoid_derivative", "v times sigma(z)", """
        def sigmoid_vjp(z, v):
            return v * sigmoid(z)
        """),

    # --- Exercise 10: linear_vjp
    Mistake("linear_vjp", "jv_not_vjp", "J v instead of J^T v", """
        def linear_vjp(W, x, v):
            return W @ v
        """),
    Mistake("linear_vjp", "jv_not_vjp", "np.dot(W, v)", """
        def linear_vjp(W, x, v):
            return np.dot(W, v)
        """, kind="subtle"),

    # --- Exercise 11: row_linear_vjp
    Mistake("row_linear_vjp", "shape_transposed", "np.outer(v, x)", """
        def row_linear_vjp(x, W, v):
            return W @ v, np.outer(v, x)
        """),
    Mistake("row_linear_vjp", "jv_not_vjp", "dx = v @ W, the J v of a batch row", """
        def row_linear_vjp(x, W, v):
            return v @ W, np.outer(x, v)
        """, kind="subtle"),

    # --- Exercise 12: softmax_vjp
    Mistake("softmax_vjp", "softmax_as_elementwise", "the sigmoid's VJP pattern", """
        def softmax_vjp(z, v):
            s = softmax(z)
            return v * s * (1 - s)
        """),
    Mistake("softmax_vjp", "unweighted_sum", "sum(v) for the s-weighted sum", """
        def softmax_vjp(z, v):
            s = softmax(z)
            return s * (v - np.sum(v))
        """, kind="subtle"),
    Mistake("softmax_vjp", "builds_full_jacobian", "the Jacobian of Exercise 6", """
        def softmax_vjp(z, v):
            return softmax_jacobian(z).T @ v
        """),

    # --- Exercise 13: residual_vjp
    Mistake("residual_vjp", "branch_not_summed", "the layer path only", """
        def residual_vjp(x, W, b, v):
            z = W @ x + b
            return linear_vjp(W, x, sigmoid_vjp(z, v))
        """),
    Mistake("residual_vjp", "skip_passes_x", "the skip path passes x back", """
        def residual_vjp(x, W, b, v):
            z = W @ x + b
            return x + linear_vjp(W, x, sigmoid_vjp(z, v))
        """, kind="subtle"),
    Mistake("residual_vjp", "bias_left_out", "sigma' taken at W x", """
        def residual_vjp(x, W, b, v):
            return v + linear_vjp(W, x, sigmoid_vjp(W @ x, v))
        """, kind="subtle"),

    # --- Exercise 14: network_vjp
    Mistake("network_vjp", "vjp_order", "the VJPs in the forward order", """
        def network_vjp(x, W1, b1, W2, b2, v):
            z1 = W1 @ x + b1
            h1 = sigmoid(z1)
            z2 = W2 @ h1 + b2
            g = linear_vjp(W1, x, v)
            g = sigmoid_vjp(z1, g)
            g = linear_vjp(W2, h1, g)
            return sigmoid_vjp(z2, g)
        """),
    Mistake("network_vjp", "builds_full_jacobian", "network_jacobian(...).T @ v", """
        def network_vjp(x, W1, b1, W2, b2, v):
            return network_jacobian(x, W1, b1, W2, b2).T @ v
        """),
    Mistake("network_vjp", "activation_at_output", "sigma' at h1, h2", """
        def network_vjp(x, W1, b1, W2, b2, v):
            h1 = sigmoid(W1 @ x + b1)
            h2 = sigmoid(W2 @ h1 + b2)
            g = sigmoid_vjp(h2, v)
            g = linear_vjp(W2, h1, g)
            g = sigmoid_vjp(h1, g)
            return linear_vjp(W1, x, g)
        """, kind="subtle"),

    # --- Exercise 15: wx_norm
    Mistake("wx_norm", "scaled_half", "the 2 of d(q^2)/dq forgotten", """
        def wx_norm_forward(W, x):
            q = W @ x
            return np.sum(q ** 2), (W, x, q)


        def wx_norm_backward(df, cache):
            W, x, q = cache
            dq = q * df
            return np.outer(dq, x), W.T @ dq
        """),
    Mistake("wx_norm", "dW_transposed", "np.outer(x, dq)", """
        def wx_norm_forward(W, x):
            q = W @ x
            return np.sum(q ** 2), (W, x, q)


        def wx_norm_backward(df, cache):
            W, x, q = cache
            dq = 2 * q * df
            return np.outer(x, dq), W.T @ dq
        """),
    Mistake("wx_norm", "f_not_summed", "q**2 returned as f", """
        def wx_norm_forward(W, x):
            q = W @ x
            return q ** 2, (W, x, q)


        def wx_norm_backward(df, cache):
            W, x, q = cache
            dq = 2 * q * df
            return np.outer(dq, x), W.T @ dq
        """),
    Mistake("wx_norm", "jv_not_vjp", "dx = W @ dq", """
        def wx_norm_forward(W, x):
            q = W @ x
            return np.sum(q ** 2), (W, x, q)


        def wx_norm_backward(df, cache):
            W, x, q = cache
            dq = 2 * q * df
            return np.outer(dq, x), W @ dq
        """, kind="subtle"),
]
