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

    # --- the blind catalog (issue 18): tests/mistakes_holdout/02_jacobian.py, written from the learner's
    # notebook only; each row with the key the check gives since it names the mistake's class ------
    # numerical_jacobian
    Mistake("numerical_jacobian", "mutated_input", "nudges x in place (np.asarray, no copy) and restores with +=/-=: caller's x drifts, and an f that returns its input sees both nudges as the same array (blind: input_modified_in_place)", """
        def numerical_jacobian(f, x, h=1e-5):
            x = np.asarray(x, dtype=np.float64)
            columns = []
            for j in range(x.size):
                x[j] += h
                f_plus = np.array(f(x))
                x[j] -= 2 * h
                f_minus = np.array(f(x))
                x[j] += h
                columns.append((f_plus - f_minus) / (2 * h))
            return np.stack(columns, axis=1)
        """, kind="blind"),
    Mistake("numerical_jacobian", "integer_input", "step template np.zeros_like(x) made before the float conversion: integer x gets a zero step (blind: integer_step)", """
        def numerical_jacobian(f, x, h=1e-5):
            template = np.zeros_like(x)
            x = np.asarray(x, dtype=np.float64)
            columns = []
            for j in range(x.size):
                step = template.copy()
                step[j] = h
                columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * h))
            return np.stack(columns, axis=1)
        """, kind="blind"),
    # sigmoid_jacobian
    Mistake("sigmoid_jacobian", "softmax_formula", "diag(s) - outer(s, s): the softmax formula applied to the sigmoid (blind: softmax_jacobian_for_sigmoid)", """
        def sigmoid_jacobian(z):
            s = sigmoid(z)
            return np.diag(s) - np.outer(s, s)
        """, kind="blind"),
    Mistake("sigmoid_jacobian", "unstable_sigmoid", "own 1/(1+exp(-z)) instead of the given stable sigmoid: overflow warning at -1000 (blind: unstable_sigmoid)", """
        def sigmoid_jacobian(z):
            s = 1 / (1 + np.exp(-z))
            return np.diag(s * (1 - s))
        """, kind="blind"),
    Mistake("sigmoid_jacobian", "derivative_at_output", "sigma'(sigma(z)): the derivative evaluated at the output (blind: derivative_at_output)", """
        def sigmoid_jacobian(z):
            s = sigmoid(z)
            return np.diag(sigmoid(s) * (1 - sigmoid(s)))
        """, kind="blind"),
    # linear_jacobian
    Mistake("linear_jacobian", "used_x", "W * x (broadcast): 'the derivative of W x' keeps x (blind: multiplied_by_x)", """
        def linear_jacobian(W, x):
            return W * x
        """, kind="blind"),
    # row_linear_jacobian
    Mistake("row_linear_jacobian", "used_x", "W.T * x (broadcast): keeps x in the Jacobian (blind: multiplied_by_x)", """
        def row_linear_jacobian(x, W):
            return W.T * x
        """, kind="blind"),
    Mistake("row_linear_jacobian", "jacobian_transposed", "loop fills J[i, j] = W[i, j]: right only for a symmetric W (blind: loop_indices_swapped)", """
        def row_linear_jacobian(x, W):
            n, m = W.shape
            J = np.zeros((m, n))
            for i in range(m):
                for j in range(n):
                    J[i, j] = W[i, j]
            return J
        """, kind="blind"),
    # softmax
    Mistake("softmax", "softmax_underflow", "shifts by max|z|: when every score is around -1000 all exponentials underflow (0/0) (blind: shift_by_max_abs)", """
        def softmax(z):
            e = np.exp(z - np.max(np.abs(z)))
            return e / np.sum(e)
        """, kind="blind"),
    Mistake("softmax", "softmax_overflow", "log-sum-exp written without the shift: exp(z - log(sum(exp(z)))) overflows (blind: unstable_logsumexp)", """
        def softmax(z):
            return np.exp(z - np.log(np.sum(np.exp(z))))
        """, kind="blind"),
    # softmax_jacobian
    Mistake("softmax_jacobian", "diagonal_twice", "diag(s(1-s)) - outer(s, s): the diagonal's s_i^2 subtracted twice (blind: diagonal_double_counted)", """
        def softmax_jacobian(z):
            s = softmax(z)
            return np.diag(s * (1 - s)) - np.outer(s, s)
        """, kind="blind"),
    Mistake("softmax_jacobian", "diag_not_matrix", "s_i (1 - s_j) for every entry: outer(s, 1 - s) (blind: kronecker_delta_dropped)", """
        def softmax_jacobian(z):
            s = softmax(z)
            return np.outer(s, 1 - s)
        """, kind="blind"),
    Mistake("softmax_jacobian", "softmax_overflow", "own exp(z)/sum(exp(z)) instead of the stable softmax: nan around 1000 (blind: unstable_softmax)", """
        def softmax_jacobian(z):
            s = np.exp(z) / np.sum(np.exp(z))
            return np.diag(s) - np.outer(s, s)
        """, kind="blind"),
    # chain_jacobian
    Mistake("chain_jacobian", "composition_order", "np.linalg.multi_dot(jacobians): J_1 J_2 ... J_K, and fails for a list of one (blind: product_in_application_order)", """
        def chain_jacobian(jacobians):
            return np.linalg.multi_dot(jacobians)
        """, kind="blind"),
    Mistake("chain_jacobian", "shapes_do_not_fit", "starts from np.eye(n_1) (rows of J_1) instead of n_0: right only when J_1 is square (blind: identity_wrong_size)", """
        def chain_jacobian(jacobians):
            J = np.eye(jacobians[0].shape[0])
            for J_next in jacobians:
                J = J_next @ J
            return J
        """, kind="blind"),
    Mistake("chain_jacobian", "missing_factor", "loop bound range(1, len - 1): the last Jacobian is never multiplied in (blind: last_jacobian_skipped)", """
        def chain_jacobian(jacobians):
            J = jacobians[0]
            for k in range(1, len(jacobians) - 1):
                J = jacobians[k] @ J
            return J
        """, kind="blind"),
    # network_jacobian
    Mistake("network_jacobian", "used_W_T", "uses row_linear_jacobian (W.T) for the column-form layers (blind: row_convention_jacobian)", """
        def network_jacobian(x, W1, b1, W2, b2):
            z1 = W1 @ x + b1
            h1 = sigmoid(z1)
            z2 = W2 @ h1 + b2
            return chain_jacobian([row_linear_jacobian(x, W1), sigmoid_jacobian(z1),
                                   row_linear_jacobian(h1, W2), sigmoid_jacobian(z2)])
        """, kind="blind"),
    Mistake("network_jacobian", "forward_skips_activation", "z2 = W2 @ z1 + b2: the second layer fed the pre-activation, so sigma' at the wrong z2 (blind: forward_skips_activation)", """
        def network_jacobian(x, W1, b1, W2, b2):
            z1 = W1 @ x + b1
            h1 = sigmoid(z1)
            z2 = W2 @ z1 + b2
            return chain_jacobian([linear_jacobian(W1, x), sigmoid_jacobian(z1),
                                   linear_jacobian(W2, h1), sigmoid_jacobian(z2)])
        """, kind="blind"),
    Mistake("network_jacobian", "wrong_bias", "copy-paste: z2 = W2 @ h1 + b1 (blind: wrong_bias)", """
        def network_jacobian(x, W1, b1, W2, b2):
            z1 = W1 @ x + b1
            h1 = sigmoid(z1)
            z2 = W2 @ h1 + b1
            return chain_jacobian([linear_jacobian(W1, x), sigmoid_jacobian(z1),
                                   linear_jacobian(W2, h1), sigmoid_jacobian(z2)])
        """, kind="blind"),
    # sigmoid_vjp
    Mistake("sigmoid_vjp", "mutated_input", "v *= s(1-s); return v: overwrites the caller's upstream gradient (blind: v_modified_in_place)", """
        def sigmoid_vjp(z, v):
            s = sigmoid(z)
            v *= s * (1 - s)
            return v
        """, kind="blind"),
    Mistake("sigmoid_vjp", "arguments_swapped", "sigmoid of v, multiplied by z: the two arguments used in each other's place (blind: arguments_swapped)", """
        def sigmoid_vjp(z, v):
            s = sigmoid(v)
            return z * s * (1 - s)
        """, kind="blind"),
    # linear_vjp
    Mistake("linear_vjp", "summed_wrong_axis", "sum of W * v[:, None] over axis 1 instead of 0 (blind: summed_wrong_axis)", """
        def linear_vjp(W, x, v):
            return np.sum(W * v[:, None], axis=1)
        """, kind="blind"),
    Mistake("linear_vjp", "returned_weight_gradient", "np.outer(v, x): the gradient for W instead of x (blind: returned_weight_gradient)", """
        def linear_vjp(W, x, v):
            return np.outer(v, x)
        """, kind="blind"),
    Mistake("linear_vjp", "inverse_not_transpose", "pinv(W) @ v: 'going backward' inverts the map (blind: inverse_instead_of_transpose)", """
        def linear_vjp(W, x, v):
            return np.linalg.pinv(W) @ v
        """, kind="blind"),
    # row_linear_vjp
    Mistake("row_linear_vjp", "wrong_order", "returns (dW, dx), the seed's order, not (dx, dW) (blind: return_order)", """
        def row_linear_vjp(x, W, v):
            dx = W @ v
            dW = np.outer(x, v)
            return dW, dx
        """, kind="blind"),
    Mistake("row_linear_vjp", "jv_not_vjp", "dx = v @ W (the column form's habit): transposed W, fails unless square (blind: dx_from_wrong_side)", """
        def row_linear_vjp(x, W, v):
            dx = v @ W
            dW = np.outer(x, v)
            return dx, dW
        """, kind="blind"),
    Mistake("row_linear_vjp", "dW_uses_dx", "dW = outer(x, dx): the input gradient in place of v (blind: dW_uses_dx)", """
        def row_linear_vjp(x, W, v):
            dx = W @ v
            dW = np.outer(x, dx)
            return dx, dW
        """, kind="blind"),
    # softmax_vjp
    Mistake("softmax_vjp", "missing_s_factor", "s*v - (v.s): the s factor dropped from the second term (blind: second_term_missing_s)", """
        def softmax_vjp(z, v):
            s = softmax(z)
            return s * v - np.dot(v, s)
        """, kind="blind"),
    Mistake("softmax_vjp", "cross_entropy_shortcut", "s - v: the softmax+cross-entropy delta used as the softmax VJP (blind: cross_entropy_shortcut)", """
        def softmax_vjp(z, v):
            s = softmax(z)
            return s - v
        """, kind="blind"),
    Mistake("softmax_vjp", "builds_full_jacobian", "s*v - outer(s, s) @ v: right numbers, but builds the n x n matrix (blind: outer_product_built)", """
        def softmax_vjp(z, v):
            s = softmax(z)
            return s * v - np.outer(s, s) @ v
        """, kind="blind"),
    # residual_vjp
    Mistake("residual_vjp", "vjp_order", "sigmoid_vjp(z, linear_vjp(...)): the linear VJP applied first (blind: vjp_order_reversed)", """
        def residual_vjp(x, W, b, v):
            z = W @ x + b
            return v + sigmoid_vjp(z, linear_vjp(W, x, v))
        """, kind="blind"),
    Mistake("residual_vjp", "branch_added_inside", "adds the skip path before the linear VJP: W^T (sigma' v + v) (blind: skip_added_inside)", """
        def residual_vjp(x, W, b, v):
            z = W @ x + b
            return linear_vjp(W, x, sigmoid_vjp(z, v) + v)
        """, kind="blind"),
    Mistake("residual_vjp", "mutated_input", "v += layer path; return v: overwrites the caller's v (blind: v_modified_in_place)", """
        def residual_vjp(x, W, b, v):
            z = W @ x + b
            v += linear_vjp(W, x, sigmoid_vjp(z, v))
            return v
        """, kind="blind"),
    # network_vjp
    Mistake("network_vjp", "forward_skips_activation", "z2 = W2 @ z1 + b2: the forward pass skips the hidden sigmoid (blind: forward_skips_activation)", """
        def network_vjp(x, W1, b1, W2, b2, v):
            z1 = W1 @ x + b1
            h1 = sigmoid(z1)
            z2 = W2 @ z1 + b2
            g = sigmoid_vjp(z2, v)
            g = linear_vjp(W2, h1, g)
            g = sigmoid_vjp(z1, g)
            return linear_vjp(W1, x, g)
        """, kind="blind"),
    Mistake("network_vjp", "missing_activation_derivative", "the second VJP gets v instead of the first VJP's result (sigma'(z2) computed, then dropped) (blind: upstream_not_chained)", """
        def network_vjp(x, W1, b1, W2, b2, v):
            z1 = W1 @ x + b1
            h1 = sigmoid(z1)
            z2 = W2 @ h1 + b2
            g_z2 = sigmoid_vjp(z2, v)
            g_h1 = linear_vjp(W2, h1, v)          # v again, not g_z2
            g_z1 = sigmoid_vjp(z1, g_h1)
            return linear_vjp(W1, x, g_z1)
        """, kind="blind"),
    Mistake("network_vjp", "builds_full_jacobian", "half-vectorised: np.diag(sigma'(z2)) @ ... builds an n2 x n2 matrix (blind: diag_matrix_built)", """
        def network_vjp(x, W1, b1, W2, b2, v):
            z1 = W1 @ x + b1
            h1 = sigmoid(z1)
            z2 = W2 @ h1 + b2
            s2, s1 = sigmoid(z2), sigmoid(z1)
            g = np.diag(s2 * (1 - s2)) @ v
            g = W2.T @ g
            g = np.diag(s1 * (1 - s1)) @ g
            return W1.T @ g
        """, kind="blind"),
    # wx_norm
    Mistake("wx_norm", "elementwise_not_outer", "dW = dq * x: elementwise (broadcasts for a square W) instead of the outer product (blind: elementwise_not_outer)", """
        def wx_norm_forward(W, x):
            q = W @ x
            f = np.sum(q ** 2)
            return f, (W, x, q)


        def wx_norm_backward(df, cache):
            W, x, q = cache
            dq = 2 * q * df
            dW = dq * x
            dx = W.T @ dq
            return dW, dx
        """, kind="blind"),
    Mistake("wx_norm", "ignores_upstream", "df multiplied into dW only; dx = 2 W^T q (blind: df_on_one_gradient)", """
        def wx_norm_forward(W, x):
            q = W @ x
            f = np.sum(q ** 2)
            return f, (W, x, q)


        def wx_norm_backward(df, cache):
            W, x, q = cache
            dq = 2 * q
            dW = np.outer(dq, x) * df
            dx = W.T @ dq
            return dW, dx
        """, kind="blind"),
    Mistake("wx_norm", "mutated_cache", "dq = q; dq *= 2 * df: scales the cached q, a second backward call differs (blind: cache_modified_in_place)", """
        def wx_norm_forward(W, x):
            q = W @ x
            f = np.sum(q ** 2)
            return f, (W, x, q)


        def wx_norm_backward(df, cache):
            W, x, q = cache
            dq = q
            dq *= 2 * df
            dW = np.outer(dq, x)
            dx = W.T @ dq
            return dW, dx
        """, kind="blind"),
]
