"""Blind holdout catalog for 01_chain_rule (issue 18); see 00_finite_differences.py."""
from mistakes import Mistake

MISTAKES = [
    # --- Exercise 1: sin_square_derivative -----------------------------------------------------------
    Mistake("sin_square_derivative", "cos_squared_not_cos_of_square",
            "cos(x)**2 * 2x: squares the cosine instead of its argument",
            '''
def sin_square_derivative(x):
    return np.cos(x) ** 2 * 2 * x
'''),
    Mistake("sin_square_derivative", "outer_at_inner_derivative",
            "outer derivative evaluated at the inner derivative 2x: cos(2x) * 2x",
            '''
def sin_square_derivative(x):
    return np.cos(2 * x) * 2 * x
''', kind="subtle"),

    # --- Exercise 2: chain_forward -------------------------------------------------------------------
    Mistake("chain_forward", "shared_mutable_default",
            "inputs=[] as a default argument: the list grows across calls",
            '''
def chain_forward(x, chain=CHAIN, inputs=[]):
    for function, _ in chain:
        inputs.append(x)
        x = function(x)
    return x, (inputs, chain)
''', kind="subtle"),
    Mistake("chain_forward", "global_chain_used",
            "loops over the global CHAIN instead of the chain argument",
            '''
def chain_forward(x, chain=CHAIN):
    inputs = []
    for function, _ in CHAIN:
        inputs.append(x)
        x = function(x)
    return x, (inputs, chain)
'''),
    Mistake("chain_forward", "cache_holds_global_chain",
            "forward right, but the cache stores the global CHAIN instead of the chain used",
            '''
def chain_forward(x, chain=CHAIN):
    inputs = []
    for function, _ in chain:
        inputs.append(x)
        x = function(x)
    return x, (inputs, CHAIN)
''', kind="subtle"),

    # --- Exercise 3: chain_backward ------------------------------------------------------------------
    Mistake("chain_backward", "first_function_skipped",
            "range(len(chain) - 1, 0, -1): the first function's derivative is never multiplied in",
            '''
def chain_backward(dout, cache):
    inputs, chain = cache
    grad = dout
    for k in range(len(chain) - 1, 0, -1):
        grad = grad * chain[k][1](inputs[k])
    return grad
'''),
    Mistake("chain_backward", "cache_consumed_by_pop",
            "pops from the cache's lists (and the caller's chain): works once, empties the chain",
            '''
def chain_backward(dout, cache):
    inputs, chain = cache
    grad = dout
    while inputs:
        value = inputs.pop()
        _, derivative = chain.pop()
        grad = grad * derivative(value)
    return grad
''', kind="subtle"),
    Mistake("chain_backward", "upstream_not_chained",
            "grad = dout * derivative(value) each time: only the first function's factor survives",
            '''
def chain_backward(dout, cache):
    inputs, chain = cache
    grad = dout
    for (_, derivative), value in zip(reversed(chain), reversed(inputs)):
        grad = dout * derivative(value)
    return grad
'''),

    # --- Exercise 4: add_gate ------------------------------------------------------------------------
    Mistake("add_gate", "gradients_alias_dout",
            "backward returns dout itself twice (the same array object for dx, dy and dout)",
            '''
def add_forward(x, y):
    return x + y, None

def add_backward(dout, cache):
    return dout, dout
''', kind="subtle"),
    Mistake("add_gate", "forward_modifies_input",
            "x += y in forward: writes the sum into the caller's x",
            '''
def add_forward(x, y):
    x += y
    return x, None

def add_backward(dout, cache):
    return dout * 1.0, dout * 1.0
'''),
    Mistake("add_gate", "one_gradient_for_two_inputs",
            "backward returns a single gradient (as the one-input gates do)",
            '''
def add_forward(x, y):
    return x + y, None

def add_backward(dout, cache):
    return dout * 1.0
'''),

    # --- Exercise 5: mul_gate ------------------------------------------------------------------------
    Mistake("mul_gate", "dout_modified_in_place",
            "dx = dout; dx *= y: writes into dout, then dy uses the modified dout",
            '''
def mul_forward(x, y):
    return x * y, (x, y)

def mul_backward(dout, cache):
    x, y = cache
    dx = dout
    dx *= y
    dy = dout * x
    return dx, dy
'''),
    Mistake("mul_gate", "fails_on_numbers",
            "caches x.copy(), y.copy(): AttributeError on plain Python numbers",
            '''
def mul_forward(x, y):
    return x * y, (x.copy(), y.copy())     # keep the cache safe

def mul_backward(dout, cache):
    x, y = cache
    return dout * y, dout * x
''', kind="subtle"),
    Mistake("mul_gate", "integer_gradient_array",
            "dx, dy filled into np.zeros_like(x): integer gradients for integer inputs",
            '''
def mul_forward(x, y):
    return x * y, (x, y)

def mul_backward(dout, cache):
    x, y = cache
    dx, dy = np.zeros_like(x), np.zeros_like(y)
    dx[...] = dout * y
    dy[...] = dout * x
    return dx, dy
''', kind="subtle"),

    # --- Exercise 6: exp_gate ------------------------------------------------------------------------
    Mistake("exp_gate", "math_exp_on_arrays",
            "math.exp instead of np.exp: fails on arrays",
            '''
import math

def exp_forward(x):
    out = math.exp(x)
    return out, out

def exp_backward(dout, cache):
    return dout * cache
'''),
    Mistake("exp_gate", "cache_modified_in_place",
            "backward multiplies into the cache (the forward's output array) and returns it",
            '''
def exp_forward(x):
    out = np.exp(x)
    return out, out

def exp_backward(dout, cache):
    cache *= dout            # reuse the memory
    return cache
''', kind="subtle"),
    Mistake("exp_gate", "input_clipped",
            "clips x to [-50, 50] 'against overflow': wrong values beyond",
            '''
def exp_forward(x):
    out = np.exp(np.clip(x, -50, 50))
    return out, out

def exp_backward(dout, cache):
    return dout * cache
''', kind="subtle"),

    # --- Exercise 7: reciprocal_gate -----------------------------------------------------------------
    Mistake("reciprocal_gate", "integer_reciprocal",
            "np.reciprocal(x): integer reciprocal (1/2 -> 0) on integer arrays",
            '''
def reciprocal_forward(x):
    return np.reciprocal(x), x

def reciprocal_backward(dout, cache):
    x = cache
    return -dout / x ** 2
''', kind="subtle"),
    Mistake("reciprocal_gate", "negative_power_of_integers",
            "-dout * x ** -2: numpy refuses negative integer powers of integer arrays",
            '''
def reciprocal_forward(x):
    return 1.0 / x, x

def reciprocal_backward(dout, cache):
    x = cache
    return -dout * x ** -2
''', kind="subtle"),
    Mistake("reciprocal_gate", "log_derivative",
            "local gradient 1/x (the derivative of log) instead of -1/x**2",
            '''
def reciprocal_forward(x):
    return 1.0 / x, x

def reciprocal_backward(dout, cache):
    x = cache
    return dout / x
'''),

    # --- Exercise 8: add_const_gate ------------------------------------------------------------------
    Mistake("add_const_gate", "dx_aliases_dout",
            "backward returns dout itself (no new array)",
            '''
def add_const_forward(x, c):
    return x + c, None

def add_const_backward(dout, cache):
    return dout
''', kind="subtle"),
    Mistake("add_const_gate", "forward_modifies_input",
            "x += c in forward: the caller's x changes",
            '''
def add_const_forward(x, c):
    x += c
    return x, None

def add_const_backward(dout, cache):
    return dout * 1.0
'''),
    Mistake("add_const_gate", "ignores_upstream",
            "returns the local gradient np.ones_like(dout), not dout times it",
            '''
def add_const_forward(x, c):
    return x + c, None

def add_const_backward(dout, cache):
    return np.ones_like(dout)
'''),

    # --- Exercise 9: mul_const_gate ------------------------------------------------------------------
    Mistake("mul_const_gate", "cache_unpacked_in_wrong_order",
            "caches (x, a) and unpacks a, x = cache: multiplies dout by x",
            '''
def mul_const_forward(x, a):
    return a * x, (x, a)

def mul_const_backward(dout, cache):
    a, x = cache
    return a * dout
'''),
    Mistake("mul_const_gate", "forward_modifies_input",
            "x *= a in forward: overwrites the caller's x (and fails for int x with float a)",
            '''
def mul_const_forward(x, a):
    x *= a
    return x, a

def mul_const_backward(dout, cache):
    return cache * dout
'''),
    Mistake("mul_const_gate", "divided_by_constant",
            "backward divides by a ('going back undoes the multiply'): right only for a = +-1",
            '''
def mul_const_forward(x, a):
    return a * x, a

def mul_const_backward(dout, cache):
    return dout / cache
''', kind="subtle"),

    # --- Exercise 10: max_gate -----------------------------------------------------------------------
    Mistake("max_gate", "mask_inverted_by_argmax",
            "argmax over stacked [x, y] as the mask: 0 where x wins, so the gradient goes to the loser",
            '''
def max_forward(x, y):
    winner = np.argmax(np.stack([x, y]), axis=0)      # 0 where x is larger
    return np.maximum(x, y), winner

def max_backward(dout, cache):
    winner = cache
    return dout * winner, dout * (1 - winner)
'''),
    Mistake("max_gate", "boolean_index_shape",
            "dout[mask] selects entries: dx and dy come back as short 1-D arrays",
            '''
def max_forward(x, y):
    return np.maximum(x, y), x > y

def max_backward(dout, cache):
    mask = cache
    return dout[mask], dout[~mask]
'''),
    Mistake("max_gate", "np_max_vs_maximum",
            "np.max(x, y): y taken as the axis argument",
            '''
def max_forward(x, y):
    return np.max(x, y), x > y

def max_backward(dout, cache):
    x_won = cache
    return dout * x_won, dout * (1 - x_won)
'''),

    # --- Exercise 11: branch -------------------------------------------------------------------------
    Mistake("branch", "argument_order_mismatch",
            "mul_forward(e, x) but unpacks dx_direct, de = mul_backward(...): the two paths swapped",
            '''
def branch_forward(x):
    e, exp_cache = exp_forward(x)
    out, mul_cache = mul_forward(e, x)
    return out, (exp_cache, mul_cache)

def branch_backward(dout, cache):
    exp_cache, mul_cache = cache
    dx_direct, de = mul_backward(dout, mul_cache)
    dx_through_exp = exp_backward(de, exp_cache)
    return dx_direct + dx_through_exp
'''),
    Mistake("branch", "cache_order_swapped",
            "forward packs (mul_cache, exp_cache), backward unpacks (exp_cache, mul_cache)",
            '''
def branch_forward(x):
    e, exp_cache = exp_forward(x)
    out, mul_cache = mul_forward(x, e)
    return out, (mul_cache, exp_cache)

def branch_backward(dout, cache):
    exp_cache, mul_cache = cache
    dx_direct, de = mul_backward(dout, mul_cache)
    dx_through_exp = exp_backward(de, exp_cache)
    return dx_direct + dx_through_exp
''', kind="subtle"),
    Mistake("branch", "wrong_cache_for_exp",
            "exp_backward given x as its cache (the forward's input, not its stored output)",
            '''
def branch_forward(x):
    e, exp_cache = exp_forward(x)
    out, mul_cache = mul_forward(x, e)
    return out, (x, mul_cache)

def branch_backward(dout, cache):
    x, mul_cache = cache
    dx_direct, de = mul_backward(dout, mul_cache)
    dx_through_exp = exp_backward(de, x)
    return dx_direct + dx_through_exp
'''),

    # --- Exercise 12: simple_example -----------------------------------------------------------------
    Mistake("simple_example", "return_order",
            "returns (f, dx, dz, dy): the gradients in the order they were computed, not x, y, z",
            '''
def simple_example(x, y, z):
    q, add_cache = add_forward(x, y)
    f, mul_cache = mul_forward(q, z)
    dq, dz = mul_backward(1.0, mul_cache)
    dx, dy = add_backward(dq, add_cache)
    return f, dx, dz, dy
'''),
    Mistake("simple_example", "argument_order_mismatch",
            "mul_forward(z, q) but unpacks dq, dz = mul_backward(...)",
            '''
def simple_example(x, y, z):
    q, add_cache = add_forward(x, y)
    f, mul_cache = mul_forward(z, q)
    dq, dz = mul_backward(1.0, mul_cache)
    dx, dy = add_backward(dq, add_cache)
    return f, dx, dy, dz
'''),
    Mistake("simple_example", "starts_from_output_value",
            "backward starts from f instead of df/df = 1",
            '''
def simple_example(x, y, z):
    q, add_cache = add_forward(x, y)
    f, mul_cache = mul_forward(q, z)
    dq, dz = mul_backward(f, mul_cache)
    dx, dy = add_backward(dq, add_cache)
    return f, dx, dy, dz
'''),

    # --- Exercise 13: neuron_gates -------------------------------------------------------------------
    Mistake("neuron_gates", "caches_of_the_two_multiplies_swapped",
            "copy-paste: mul_backward(dp0, c_m1) and mul_backward(dp1, c_m0)",
            '''
def neuron_gates(w, x):
    p0, c_m0 = mul_forward(w[0], x[0])
    p1, c_m1 = mul_forward(w[1], x[1])
    s, c_a0 = add_forward(p0, p1)
    z, c_a1 = add_forward(s, w[2])
    n, c_neg = mul_const_forward(z, -1.0)
    e, c_exp = exp_forward(n)
    d, c_inc = add_const_forward(e, 1.0)
    f, c_inv = reciprocal_forward(d)

    dd = reciprocal_backward(1.0, c_inv)
    de = add_const_backward(dd, c_inc)
    dn = exp_backward(de, c_exp)
    dz = mul_const_backward(dn, c_neg)
    ds, dw2 = add_backward(dz, c_a1)
    dp0, dp1 = add_backward(ds, c_a0)
    dw0, dx0 = mul_backward(dp0, c_m1)
    dw1, dx1 = mul_backward(dp1, c_m0)
    return f, np.array([dw0, dw1, dw2]), np.array([dx0, dx1])
'''),
    Mistake("neuron_gates", "w_and_x_swapped",
            "mul_forward(x[i], w[i]) but unpacks dw_i, dx_i: weight and input gradients swapped",
            '''
def neuron_gates(w, x):
    p0, c_m0 = mul_forward(x[0], w[0])
    p1, c_m1 = mul_forward(x[1], w[1])
    s, c_a0 = add_forward(p0, p1)
    z, c_a1 = add_forward(s, w[2])
    n, c_neg = mul_const_forward(z, -1.0)
    e, c_exp = exp_forward(n)
    d, c_inc = add_const_forward(e, 1.0)
    f, c_inv = reciprocal_forward(d)

    dd = reciprocal_backward(1.0, c_inv)
    de = add_const_backward(dd, c_inc)
    dn = exp_backward(de, c_exp)
    dz = mul_const_backward(dn, c_neg)
    ds, dw2 = add_backward(dz, c_a1)
    dp0, dp1 = add_backward(ds, c_a0)
    dw0, dx0 = mul_backward(dp0, c_m0)
    dw1, dx1 = mul_backward(dp1, c_m1)
    return f, np.array([dw0, dw1, dw2]), np.array([dx0, dx1])
'''),
    Mistake("neuron_gates", "bias_is_w1",
            "adds w[1] as the bias (equal to w[2] at the lecture's point, so its numbers match)",
            '''
def neuron_gates(w, x):
    p0, c_m0 = mul_forward(w[0], x[0])
    p1, c_m1 = mul_forward(w[1], x[1])
    s, c_a0 = add_forward(p0, p1)
    z, c_a1 = add_forward(s, w[1])
    n, c_neg = mul_const_forward(z, -1.0)
    e, c_exp = exp_forward(n)
    d, c_inc = add_const_forward(e, 1.0)
    f, c_inv = reciprocal_forward(d)

    dd = reciprocal_backward(1.0, c_inv)
    de = add_const_backward(dd, c_inc)
    dn = exp_backward(de, c_exp)
    dz = mul_const_backward(dn, c_neg)
    ds, dw2 = add_backward(dz, c_a1)
    dp0, dp1 = add_backward(ds, c_a0)
    dw0, dx0 = mul_backward(dp0, c_m0)
    dw1, dx1 = mul_backward(dp1, c_m1)
    return f, np.array([dw0, dw1, dw2]), np.array([dx0, dx1])
''', kind="subtle"),

    # --- Exercise 14: sigmoid ------------------------------------------------------------------------
    Mistake("sigmoid", "input_clipped",
            "clips x to [-30, 30] before 1/(1+exp(-x)): finite, but wrong in the tails",
            '''
def sigmoid(x):
    x = np.clip(x, -30, 30)
    return 1.0 / (1.0 + np.exp(-x))
''', kind="subtle"),
    Mistake("sigmoid", "input_modified_in_place",
            "np.asarray(x, float) then writes the result into x by masks: overwrites a float caller's x",
            '''
def sigmoid(x):
    x = np.asarray(x, dtype=float)
    pos = x >= 0
    x[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    x[~pos] = np.exp(x[~pos]) / (1.0 + np.exp(x[~pos]))
    return x
''', kind="subtle"),
    Mistake("sigmoid", "one_sided_stable_form",
            "only the form e^x / (1 + e^x): overflows (nan) for large positive x",
            '''
def sigmoid(x):
    e = np.exp(x)
    return e / (1.0 + e)
'''),

    # --- Exercise 15: sigmoid_backward ---------------------------------------------------------------
    Mistake("sigmoid_backward", "cache_modified_in_place",
            "s *= 1 - s on the cache: overwrites the forward's output",
            '''
def sigmoid_backward(dout, cache):
    s = cache
    s *= 1.0 - s
    return dout * s
''', kind="subtle"),
    Mistake("sigmoid_backward", "precedence",
            "dout * s - s**2: dout multiplies only the first term",
            '''
def sigmoid_backward(dout, cache):
    s = cache
    return dout * s - s ** 2
'''),
    Mistake("sigmoid_backward", "cache_indexed_as_tuple",
            "s = cache[0], as if the cache were a tuple: broadcasts the first entry",
            '''
def sigmoid_backward(dout, cache):
    s = cache[0]
    return dout * s * (1.0 - s)
''', kind="subtle"),

    # --- Exercise 16: neuron_shortcut ----------------------------------------------------------------
    Mistake("neuron_shortcut", "starts_from_output_value",
            "sigmoid_backward(f, c_sig): starts from f instead of 1",
            '''
def neuron_shortcut(w, x):
    p0, c_m0 = mul_forward(w[0], x[0])
    p1, c_m1 = mul_forward(w[1], x[1])
    s, c_a0 = add_forward(p0, p1)
    z, c_a1 = add_forward(s, w[2])
    f, c_sig = sigmoid_forward(z)

    dz = sigmoid_backward(f, c_sig)
    ds, dw2 = add_backward(dz, c_a1)
    dp0, dp1 = add_backward(ds, c_a0)
    dw0, dx0 = mul_backward(dp0, c_m0)
    dw1, dx1 = mul_backward(dp1, c_m1)
    return f, np.array([dw0, dw1, dw2]), np.array([dx0, dx1])
'''),
    Mistake("neuron_shortcut", "bias_skipped_in_sigmoid",
            "sigmoid_forward(s): the sigmoid applied before the bias is added",
            '''
def neuron_shortcut(w, x):
    p0, c_m0 = mul_forward(w[0], x[0])
    p1, c_m1 = mul_forward(w[1], x[1])
    s, c_a0 = add_forward(p0, p1)
    z, c_a1 = add_forward(s, w[2])
    f, c_sig = sigmoid_forward(s)

    dz = sigmoid_backward(1.0, c_sig)
    ds, dw2 = add_backward(dz, c_a1)
    dp0, dp1 = add_backward(ds, c_a0)
    dw0, dx0 = mul_backward(dp0, c_m0)
    dw1, dx1 = mul_backward(dp1, c_m1)
    return f, np.array([dw0, dw1, dw2]), np.array([dx0, dx1])
'''),
]
