"""Blind holdout catalog for 02_jacobian (issue 18); see 00_finite_differences.py."""
from mistakes import Mistake

MISTAKES = [
    # --- Exercise 1: numerical_jacobian --------------------------------------------------------------
    Mistake("numerical_jacobian", "input_modified_in_place",
            "nudges x in place (np.asarray, no copy) and restores with +=/-=: caller's x drifts, and an f "
            "that returns its input sees both nudges as the same array",
            '''
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
''', kind="subtle"),
    Mistake("numerical_jacobian", "output_not_array",
            "subtracts f's outputs directly: fails when f returns a list",
            '''
def numerical_jacobian(f, x, h=1e-5):
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = h
        columns.append((f(x + step) - f(x - step)) / (2 * h))
    return np.stack(columns, axis=1)
''', kind="subtle"),
    Mistake("numerical_jacobian", "integer_step",
            "step template np.zeros_like(x) made before the float conversion: integer x gets a zero step",
            '''
def numerical_jacobian(f, x, h=1e-5):
    template = np.zeros_like(x)
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for j in range(x.size):
        step = template.copy()
        step[j] = h
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * h))
    return np.stack(columns, axis=1)
'''),

    # --- Exercise 2: sigmoid_jacobian ----------------------------------------------------------------
    Mistake("sigmoid_jacobian", "softmax_jacobian_for_sigmoid",
            "diag(s) - outer(s, s): the softmax formula applied to the sigmoid",
            '''
def sigmoid_jacobian(z):
    s = sigmoid(z)
    return np.diag(s) - np.outer(s, s)
'''),
    Mistake("sigmoid_jacobian", "unstable_sigmoid",
            "own 1/(1+exp(-z)) instead of the given stable sigmoid: overflow warning at -1000",
            '''
def sigmoid_jacobian(z):
    s = 1 / (1 + np.exp(-z))
    return np.diag(s * (1 - s))
'''),
    Mistake("sigmoid_jacobian", "derivative_at_output",
            "sigma'(sigma(z)): the derivative evaluated at the output",
            '''
def sigmoid_jacobian(z):
    s = sigmoid(z)
    return np.diag(sigmoid(s) * (1 - sigmoid(s)))
'''),

    # --- Exercise 3: linear_jacobian -----------------------------------------------------------------
    Mistake("linear_jacobian", "returns_caller_array",
            "returns W itself (no copy): the Jacobian aliases the caller's weights",
            '''
def linear_jacobian(W, x):
    return W
''', kind="subtle"),
    Mistake("linear_jacobian", "multiplied_by_x",
            "W * x (broadcast): 'the derivative of W x' keeps x",
            '''
def linear_jacobian(W, x):
    return W * x
'''),

    # --- Exercise 4: row_linear_jacobian -------------------------------------------------------------
    Mistake("row_linear_jacobian", "returns_view",
            "returns W.T, a view of the caller's W (no copy)",
            '''
def row_linear_jacobian(x, W):
    return W.T
''', kind="subtle"),
    Mistake("row_linear_jacobian", "multiplied_by_x",
            "W.T * x (broadcast): keeps x in the Jacobian",
            '''
def row_linear_jacobian(x, W):
    return W.T * x
'''),
    Mistake("row_linear_jacobian", "loop_indices_swapped",
            "loop fills J[i, j] = W[i, j]: right only for a symmetric W",
            '''
def row_linear_jacobian(x, W):
    n, m = W.shape
    J = np.zeros((m, n))
    for i in range(m):
        for j in range(n):
            J[i, j] = W[i, j]
    return J
''', kind="subtle"),

    # --- Exercise 5: softmax -------------------------------------------------------------------------
    Mistake("softmax", "shift_by_max_abs",
            "shifts by max|z|: when every score is around -1000 all exponentials underflow (0/0)",
            '''
def softmax(z):
    e = np.exp(z - np.max(np.abs(z)))
    return e / np.sum(e)
''', kind="subtle"),
    Mistake("softmax", "unstable_logsumexp",
            "log-sum-exp written without the shift: exp(z - log(sum(exp(z)))) overflows",
            '''
def softmax(z):
    return np.exp(z - np.log(np.sum(np.exp(z))))
'''),

    # --- Exercise 6: softmax_jacobian ----------------------------------------------------------------
    Mistake("softmax_jacobian", "diagonal_double_counted",
            "diag(s(1-s)) - outer(s, s): the diagonal's s_i^2 subtracted twice",
            '''
def softmax_jacobian(z):
    s = softmax(z)
    return np.diag(s * (1 - s)) - np.outer(s, s)
'''),
    Mistake("softmax_jacobian", "kronecker_delta_dropped",
            "s_i (1 - s_j) for every entry: outer(s, 1 - s)",
            '''
def softmax_jacobian(z):
    s = softmax(z)
    return np.outer(s, 1 - s)
'''),
    Mistake("softmax_jacobian", "unstable_softmax",
            "own exp(z)/sum(exp(z)) instead of the stable softmax: nan around 1000",
            '''
def softmax_jacobian(z):
    s = np.exp(z) / np.sum(np.exp(z))
    return np.diag(s) - np.outer(s, s)
'''),

    # --- Exercise 7: chain_jacobian ------------------------------------------------------------------
    Mistake("chain_jacobian", "product_in_application_order",
            "np.linalg.multi_dot(jacobians): J_1 J_2 ... J_K, and fails for a list of one",
            '''
def chain_jacobian(jacobians):
    return np.linalg.multi_dot(jacobians)
'''),
    Mistake("chain_jacobian", "identity_wrong_size",
            "starts from np.eye(n_1) (rows of J_1) instead of n_0: right only when J_1 is square",
            '''
def chain_jacobian(jacobians):
    J = np.eye(jacobians[0].shape[0])
    for J_next in jacobians:
        J = J_next @ J
    return J
''', kind="subtle"),
    Mistake("chain_jacobian", "last_jacobian_skipped",
            "loop bound range(1, len - 1): the last Jacobian is never multiplied in",
            '''
def chain_jacobian(jacobians):
    J = jacobians[0]
    for k in range(1, len(jacobians) - 1):
        J = jacobians[k] @ J
    return J
'''),

    # --- Exercise 8: network_jacobian ----------------------------------------------------------------
    Mistake("network_jacobian", "row_convention_jacobian",
            "uses row_linear_jacobian (W.T) for the column-form layers",
            '''
def network_jacobian(x, W1, b1, W2, b2):
    z1 = W1 @ x + b1
    h1 = sigmoid(z1)
    z2 = W2 @ h1 + b2
    return chain_jacobian([row_linear_jacobian(x, W1), sigmoid_jacobian(z1),
                           row_linear_jacobian(h1, W2), sigmoid_jacobian(z2)])
'''),
    Mistake("network_jacobian", "forward_skips_activation",
            "z2 = W2 @ z1 + b2: the second layer fed the pre-activation, so sigma' at the wrong z2",
            '''
def network_jacobian(x, W1, b1, W2, b2):
    z1 = W1 @ x + b1
    h1 = sigmoid(z1)
    z2 = W2 @ z1 + b2
    return chain_jacobian([linear_jacobian(W1, x), sigmoid_jacobian(z1),
                           linear_jacobian(W2, h1), sigmoid_jacobian(z2)])
''', kind="subtle"),
    Mistake("network_jacobian", "wrong_bias",
            "copy-paste: z2 = W2 @ h1 + b1",
            '''
def network_jacobian(x, W1, b1, W2, b2):
    z1 = W1 @ x + b1
    h1 = sigmoid(z1)
    z2 = W2 @ h1 + b1
    return chain_jacobian([linear_jacobian(W1, x), sigmoid_jacobian(z1),
                           linear_jacobian(W2, h1), sigmoid_jacobian(z2)])
''', kind="subtle"),

    # --- Exercise 9: sigmoid_vjp ---------------------------------------------------------------------
    Mistake("sigmoid_vjp", "v_modified_in_place",
            "v *= s(1-s); return v: overwrites the caller's upstream gradient",
            '''
def sigmoid_vjp(z, v):
    s = sigmoid(z)
    v *= s * (1 - s)
    return v
''', kind="subtle"),
    Mistake("sigmoid_vjp", "arguments_swapped",
            "sigmoid of v, multiplied by z: the two arguments used in each other's place",
            '''
def sigmoid_vjp(z, v):
    s = sigmoid(v)
    return z * s * (1 - s)
'''),

    # --- Exercise 10: linear_vjp ---------------------------------------------------------------------
    Mistake("linear_vjp", "summed_wrong_axis",
            "sum of W * v[:, None] over axis 1 instead of 0",
            '''
def linear_vjp(W, x, v):
    return np.sum(W * v[:, None], axis=1)
'''),
    Mistake("linear_vjp", "returned_weight_gradient",
            "np.outer(v, x): the gradient for W instead of x",
            '''
def linear_vjp(W, x, v):
    return np.outer(v, x)
'''),
    Mistake("linear_vjp", "inverse_instead_of_transpose",
            "pinv(W) @ v: 'going backward' inverts the map",
            '''
def linear_vjp(W, x, v):
    return np.linalg.pinv(W) @ v
'''),

    # --- Exercise 11: row_linear_vjp -----------------------------------------------------------------
    Mistake("row_linear_vjp", "return_order",
            "returns (dW, dx), the seed's order, not (dx, dW)",
            '''
def row_linear_vjp(x, W, v):
    dx = W @ v
    dW = np.outer(x, v)
    return dW, dx
'''),
    Mistake("row_linear_vjp", "dx_from_wrong_side",
            "dx = v @ W (the column form's habit): transposed W, fails unless square",
            '''
def row_linear_vjp(x, W, v):
    dx = v @ W
    dW = np.outer(x, v)
    return dx, dW
'''),
    Mistake("row_linear_vjp", "dW_uses_dx",
            "dW = outer(x, dx): the input gradient in place of v",
            '''
def row_linear_vjp(x, W, v):
    dx = W @ v
    dW = np.outer(x, dx)
    return dx, dW
'''),

    # --- Exercise 12: softmax_vjp --------------------------------------------------------------------
    Mistake("softmax_vjp", "second_term_missing_s",
            "s*v - (v.s): the s factor dropped from the second term",
            '''
def softmax_vjp(z, v):
    s = softmax(z)
    return s * v - np.dot(v, s)
'''),
    Mistake("softmax_vjp", "cross_entropy_shortcut",
            "s - v: the softmax+cross-entropy delta used as the softmax VJP",
            '''
def softmax_vjp(z, v):
    s = softmax(z)
    return s - v
'''),
    Mistake("softmax_vjp", "outer_product_built",
            "s*v - outer(s, s) @ v: right numbers, but builds the n x n matrix",
            '''
def softmax_vjp(z, v):
    s = softmax(z)
    return s * v - np.outer(s, s) @ v
'''),

    # --- Exercise 13: residual_vjp -------------------------------------------------------------------
    Mistake("residual_vjp", "vjp_order_reversed",
            "sigmoid_vjp(z, linear_vjp(...)): the linear VJP applied first",
            '''
def residual_vjp(x, W, b, v):
    z = W @ x + b
    return v + sigmoid_vjp(z, linear_vjp(W, x, v))
'''),
    Mistake("residual_vjp", "skip_added_inside",
            "adds the skip path before the linear VJP: W^T (sigma' v + v)",
            '''
def residual_vjp(x, W, b, v):
    z = W @ x + b
    return linear_vjp(W, x, sigmoid_vjp(z, v) + v)
'''),
    Mistake("residual_vjp", "v_modified_in_place",
            "v += layer path; return v: overwrites the caller's v",
            '''
def residual_vjp(x, W, b, v):
    z = W @ x + b
    v += linear_vjp(W, x, sigmoid_vjp(z, v))
    return v
''', kind="subtle"),

    # --- Exercise 14: network_vjp --------------------------------------------------------------------
    Mistake("network_vjp", "forward_skips_activation",
            "z2 = W2 @ z1 + b2: the forward pass skips the hidden sigmoid",
            '''
def network_vjp(x, W1, b1, W2, b2, v):
    z1 = W1 @ x + b1
    h1 = sigmoid(z1)
    z2 = W2 @ z1 + b2
    g = sigmoid_vjp(z2, v)
    g = linear_vjp(W2, h1, g)
    g = sigmoid_vjp(z1, g)
    return linear_vjp(W1, x, g)
''', kind="subtle"),
    Mistake("network_vjp", "upstream_not_chained",
            "the second VJP gets v instead of the first VJP's result (sigma'(z2) computed, then dropped)",
            '''
def network_vjp(x, W1, b1, W2, b2, v):
    z1 = W1 @ x + b1
    h1 = sigmoid(z1)
    z2 = W2 @ h1 + b2
    g_z2 = sigmoid_vjp(z2, v)
    g_h1 = linear_vjp(W2, h1, v)          # v again, not g_z2
    g_z1 = sigmoid_vjp(z1, g_h1)
    return linear_vjp(W1, x, g_z1)
'''),
    Mistake("network_vjp", "diag_matrix_built",
            "half-vectorised: np.diag(sigma'(z2)) @ ... builds an n2 x n2 matrix",
            '''
def network_vjp(x, W1, b1, W2, b2, v):
    z1 = W1 @ x + b1
    h1 = sigmoid(z1)
    z2 = W2 @ h1 + b2
    s2, s1 = sigmoid(z2), sigmoid(z1)
    g = np.diag(s2 * (1 - s2)) @ v
    g = W2.T @ g
    g = np.diag(s1 * (1 - s1)) @ g
    return W1.T @ g
'''),

    # --- Exercise 15: wx_norm ------------------------------------------------------------------------
    Mistake("wx_norm", "elementwise_not_outer",
            "dW = dq * x: elementwise (broadcasts for a square W) instead of the outer product",
            '''
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
'''),
    Mistake("wx_norm", "df_on_one_gradient",
            "df multiplied into dW only; dx = 2 W^T q",
            '''
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
'''),
    Mistake("wx_norm", "cache_modified_in_place",
            "dq = q; dq *= 2 * df: scales the cached q, a second backward call differs",
            '''
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
''', kind="subtle"),
]
