"""Realistic mistakes in notebook 01 (the chain rule and gates), each a whole answer cell."""
from . import Mistake

MISTAKES = [
    # --- Exercise 1: sin_square_derivative
    Mistake("sin_square_derivative", "missing_inner_derivative", "cos(x^2): the inner 2x forgotten", """
        def sin_square_derivative(x):
            return np.cos(x ** 2)
        """),
    Mistake("sin_square_derivative", "outer_at_x", "the outer derivative at x", """
        def sin_square_derivative(x):
            return np.cos(x) * 2 * x
        """),
    Mistake("sin_square_derivative", "inner_not_differentiated", "the inner function kept, not differentiated", """
        def sin_square_derivative(x):
            return np.cos(x ** 2) * x ** 2
        """, kind="subtle"),
    Mistake("sin_square_derivative", "math_on_array", "math.cos on an array", """
        import math

        def sin_square_derivative(x):
            return math.cos(x ** 2) * 2 * x
        """),

    # --- Exercise 2: chain_forward
    Mistake("chain_forward", "stored_outputs", "each value appended after its function ran", """
        def chain_forward(x, chain=CHAIN):
            inputs = []
            for function, _ in chain:
                x = function(x)
                inputs.append(x)
            return x, (inputs, chain)
        """),
    Mistake("chain_forward", "fixed_length", "three functions unpacked by name", """
        def chain_forward(x, chain=CHAIN):
            (A, _), (B, _), (C, _) = chain
            a = A(x)
            b = B(a)
            y = C(b)
            return y, ([x, a, b], chain)
        """),
    Mistake("chain_forward", "ignored_chain_argument", "the global CHAIN in the loop", """
        def chain_forward(x, chain=CHAIN):
            inputs = []
            for function, _ in CHAIN:
                inputs.append(x)
                x = function(x)
            return x, (inputs, chain)
        """, kind="subtle"),
    Mistake("chain_forward", "stored_x_only", "the original x stored for every function", """
        def chain_forward(x, chain=CHAIN):
            inputs = []
            y = x
            for function, _ in chain:
                inputs.append(x)
                y = function(y)
            return y, (inputs, chain)
        """, kind="subtle"),

    # --- Exercise 3: chain_backward
    Mistake("chain_backward", "wrong_point", "the chain reversed, the inputs not", """
        def chain_backward(dout, cache):
            inputs, chain = cache
            grad = dout
            for (_, derivative), value in zip(reversed(chain), inputs):
                grad = grad * derivative(value)
            return grad
        """),
    Mistake("chain_backward", "ignores_upstream", "started from 1, as DeZero's dy/dy", """
        def chain_backward(dout, cache):
            inputs, chain = cache
            grad = 1.0
            for (_, derivative), value in zip(reversed(chain), reversed(inputs)):
                grad = grad * derivative(value)
            return grad
        """),
    Mistake("chain_backward", "mutated_input", "grad *= ... writes into dout", """
        def chain_backward(dout, cache):
            inputs, chain = cache
            grad = dout
            for (_, derivative), value in zip(reversed(chain), reversed(inputs)):
                grad *= derivative(value)
            return grad
        """, kind="subtle"),
    Mistake("chain_backward", "fixed_length", "three derivatives unpacked by name", """
        def chain_backward(dout, cache):
            inputs, chain = cache
            x, a, b = inputs
            (_, dA), (_, dB), (_, dC) = chain
            return dout * dC(b) * dB(a) * dA(x)
        """, kind="subtle"),

    # --- Exercise 4: add gate
    Mistake("add_gate", "add_split", "the upstream gradient split in two", """
        def add_forward(x, y):
            return x + y, None

        def add_backward(dout, cache):
            return dout / 2, dout / 2
        """),
    Mistake("add_gate", "add_like_mul", "the other input as the local gradient", """
        def add_forward(x, y):
            return x + y, (x, y)

        def add_backward(dout, cache):
            x, y = cache
            return dout * y, dout * x
        """, kind="subtle"),

    # --- Exercise 5: multiply gate
    Mistake("mul_gate", "mul_not_swapped", "each input's own value as its local gradient", """
        def mul_forward(x, y):
            return x * y, (x, y)

        def mul_backward(dout, cache):
            x, y = cache
            return dout * x, dout * y
        """),
    Mistake("mul_gate", "mul_passthrough", "dout passed through like an add gate", """
        def mul_forward(x, y):
            return x * y, (x, y)

        def mul_backward(dout, cache):
            return dout, dout
        """),
    Mistake("mul_gate", "mul_product", "the product as both local gradients", """
        def mul_forward(x, y):
            out = x * y
            return out, out

        def mul_backward(dout, cache):
            return dout * cache, dout * cache
        """, kind="subtle"),

    # --- Exercise 6: exp gate
    Mistake("exp_gate", "exp_of_output", "exp taken again of the cached output", """
        def exp_forward(x):
            out = np.exp(x)
            return out, out

        def exp_backward(dout, cache):
            return dout * np.exp(cache)
        """),
    Mistake("exp_gate", "exp_used_input", "x cached and used as if it were exp(x)", """
        def exp_forward(x):
            return np.exp(x), x

        def exp_backward(dout, cache):
            return dout * cache
        """, kind="subtle"),
    Mistake("exp_gate", "exp_passthrough", "the local gradient forgotten", """
        def exp_forward(x):
            out = np.exp(x)
            return out, out

        def exp_backward(dout, cache):
            return dout
        """),

    # --- Exercise 7: 1/x gate
    Mistake("reciprocal_gate", "reciprocal_no_minus", "the minus of -1/x^2 forgotten", """
        def reciprocal_forward(x):
            return 1.0 / x, x

        def reciprocal_backward(dout, cache):
            x = cache
            return dout / x ** 2
        """),
    Mistake("reciprocal_gate", "reciprocal_used_output", "the cached 1/x used as x", """
        def reciprocal_forward(x):
            out = 1.0 / x
            return out, out

        def reciprocal_backward(dout, cache):
            return -dout / cache ** 2
        """, kind="subtle"),
    Mistake("reciprocal_gate", "reciprocal_precedence", "-dout / x*x", """
        def reciprocal_forward(x):
            return 1.0 / x, x

        def reciprocal_backward(dout, cache):
            x = cache
            return -dout / x*x
        """, kind="subtle"),

    # --- Exercise 8: add-a-constant gate
    Mistake("add_const_gate", "constant_gradient", "a gradient returned for the constant too", """
        def add_const_forward(x, c):
            return x + c, None

        def add_const_backward(dout, cache):
            return dout, 0.0
        """),
    Mistake("add_const_gate", "add_const_scaled", "the constant as the local gradient", """
        def add_const_forward(x, c):
            return x + c, c

        def add_const_backward(dout, cache):
            return dout * cache
        """),

    # --- Exercise 9: multiply-by-a-constant gate
    Mistake("mul_const_gate", "mul_const_not_scaled", "dout passed through", """
        def mul_const_forward(x, a):
            return a * x, a

        def mul_const_backward(dout, cache):
            return dout
        """),
    Mistake("mul_const_gate", "mul_const_used_x", "x cached instead of the constant", """
        def mul_const_forward(x, a):
            return a * x, x

        def mul_const_backward(dout, cache):
            return cache * dout
        """, kind="subtle"),
    Mistake("mul_const_gate", "constant_gradient", "a gradient for a as well", """
        def mul_const_forward(x, a):
            return a * x, (x, a)

        def mul_const_backward(dout, cache):
            x, a = cache
            return a * dout, x * dout
        """, kind="subtle"),

    # --- Exercise 10: max gate
    Mistake("max_gate", "max_both", "dout sent to both inputs", """
        def max_forward(x, y):
            return np.maximum(x, y), x > y

        def max_backward(dout, cache):
            return dout, dout
        """),
    Mistake("max_gate", "max_to_smaller", "the mask the wrong way round", """
        def max_forward(x, y):
            return np.maximum(x, y), x < y

        def max_backward(dout, cache):
            x_won = cache
            return dout * x_won, dout * (1 - x_won)
        """),
    Mistake("max_gate", "max_python_max", "Python's max on arrays", """
        def max_forward(x, y):
            return max(x, y), x > y

        def max_backward(dout, cache):
            return dout * cache, dout * (1 - cache)
        """),
    Mistake("max_gate", "integer_dtype", "np.zeros_like of integer inputs", """
        def max_forward(x, y):
            return np.maximum(x, y), (x, y)

        def max_backward(dout, cache):
            x, y = cache
            dx = np.zeros_like(x)
            dy = np.zeros_like(y)
            dx[x > y] = dout[x > y]
            dy[y > x] = dout[y > x]
            return dx, dy
        """, kind="subtle"),

    # --- Exercise 11: branch
    Mistake("branch", "branch_not_summed", "only the direct path", """
        def branch_forward(x):
            e, exp_cache = exp_forward(x)
            out, mul_cache = mul_forward(x, e)
            return out, (exp_cache, mul_cache)

        def branch_backward(dout, cache):
            exp_cache, mul_cache = cache
            dx, de = mul_backward(dout, mul_cache)
            return dx
        """),
    Mistake("branch", "branch_not_summed", "the second path overwrites the first", """
        def branch_forward(x):
            e, exp_cache = exp_forward(x)
            out, mul_cache = mul_forward(x, e)
            return out, (exp_cache, mul_cache)

        def branch_backward(dout, cache):
            exp_cache, mul_cache = cache
            dx, de = mul_backward(dout, mul_cache)
            dx = exp_backward(de, exp_cache)
            return dx
        """),
    Mistake("branch", "exp_not_chained", "exp_backward given dout instead of de", """
        def branch_forward(x):
            e, exp_cache = exp_forward(x)
            out, mul_cache = mul_forward(x, e)
            return out, (exp_cache, mul_cache)

        def branch_backward(dout, cache):
            exp_cache, mul_cache = cache
            dx, de = mul_backward(dout, mul_cache)
            return dx + exp_backward(dout, exp_cache)
        """, kind="subtle"),

    # --- Exercise 12: simple_example
    Mistake("simple_example", "add_not_chained", "add_backward given 1.0", """
        def simple_example(x, y, z):
            q, add_cache = add_forward(x, y)
            f, mul_cache = mul_forward(q, z)
            dq, dz = mul_backward(1.0, mul_cache)
            dx, dy = add_backward(1.0, add_cache)
            return f, dx, dy, dz
        """),
    Mistake("simple_example", "mul_unpacked_swapped", "mul_backward's results unpacked as (dz, dq)", """
        def simple_example(x, y, z):
            q, add_cache = add_forward(x, y)
            f, mul_cache = mul_forward(q, z)
            dz, dq = mul_backward(1.0, mul_cache)
            dx, dy = add_backward(dq, add_cache)
            return f, dx, dy, dz
        """, kind="subtle"),
    Mistake("simple_example", "hard_coded", "the seed's numbers typed in", """
        def simple_example(x, y, z):
            return -12.0, -4.0, -4.0, 3.0
        """),

    # --- Exercise 13: neuron_gates
    Mistake("neuron_gates", "exp_skipped", "exp_backward left out", """
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
            dz = mul_const_backward(de, c_neg)
            ds, dw2 = add_backward(dz, c_a1)
            dp0, dp1 = add_backward(ds, c_a0)
            dw0, dx0 = mul_backward(dp0, c_m0)
            dw1, dx1 = mul_backward(dp1, c_m1)
            return f, np.array([dw0, dw1, dw2]), np.array([dx0, dx1])
        """),
    Mistake("neuron_gates", "missing_sigmoid_derivative", "every backward call given 1.0", """
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
            de = add_const_backward(1.0, c_inc)
            dn = exp_backward(1.0, c_exp)
            dz = mul_const_backward(1.0, c_neg)
            ds, dw2 = add_backward(1.0, c_a1)
            dp0, dp1 = add_backward(1.0, c_a0)
            dw0, dx0 = mul_backward(1.0, c_m0)
            dw1, dx1 = mul_backward(1.0, c_m1)
            return f, np.array([dw0, dw1, dw2]), np.array([dx0, dx1])
        """),
    Mistake("neuron_gates", "sign_flipped", "the ×(-1) gate's backward skipped", """
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
            ds, dw2 = add_backward(dn, c_a1)
            dp0, dp1 = add_backward(ds, c_a0)
            dw0, dx0 = mul_backward(dp0, c_m0)
            dw1, dx1 = mul_backward(dp1, c_m1)
            return f, np.array([dw0, dw1, dw2]), np.array([dx0, dx1])
        """, kind="subtle"),
    Mistake("neuron_gates", "mul_unpacked_swapped", "mul_backward unpacked as (dx, dw)", """
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
            dx0, dw0 = mul_backward(dp0, c_m0)
            dx1, dw1 = mul_backward(dp1, c_m1)
            return f, np.array([dw0, dw1, dw2]), np.array([dx0, dx1])
        """, kind="subtle"),

    # --- Exercise 14: sigmoid
    Mistake("sigmoid", "sigmoid_overflow", "the textbook formula", """
        def sigmoid(x):
            return 1 / (1 + np.exp(-x))
        """),
    Mistake("sigmoid", "sigmoid_overflow", "np.where over two unsafe forms", """
        def sigmoid(x):
            return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
        """),
    Mistake("sigmoid", "integer_dtype", "masks filling np.zeros_like(x)", """
        def sigmoid(x):
            out = np.zeros_like(x)
            pos = x >= 0
            out[pos] = 1 / (1 + np.exp(-x[pos]))
            e = np.exp(x[~pos])
            out[~pos] = e / (1 + e)
            return out
        """, kind="subtle"),
    Mistake("sigmoid", "sigmoid_sign", "the exponent's sign lost in the stable form", """
        def sigmoid(x):
            e = np.exp(-np.abs(x))
            return np.where(x >= 0, e / (1 + e), 1 / (1 + e))
        """, kind="subtle"),

    # --- Exercise 15: sigmoid_backward
    Mistake("sigmoid_backward", "sigma_of_cache", "sigmoid applied to the cached output", """
        def sigmoid_backward(dout, cache):
            s = sigmoid(cache)
            return dout * s * (1 - s)
        """),
    Mistake("sigmoid_backward", "missing_one_minus", "s alone as the derivative", """
        def sigmoid_backward(dout, cache):
            return dout * cache
        """),
    Mistake("sigmoid_backward", "mutated_input", "dout *= ... returned", """
        def sigmoid_backward(dout, cache):
            s = cache
            dout *= s * (1 - s)
            return dout
        """, kind="subtle"),

    # --- Exercise 16: neuron_shortcut
    Mistake("neuron_shortcut", "sigmoid_backward_got_z", "z passed to sigmoid_backward", """
        def neuron_shortcut(w, x):
            p0, c_m0 = mul_forward(w[0], x[0])
            p1, c_m1 = mul_forward(w[1], x[1])
            s, c_a0 = add_forward(p0, p1)
            z, c_a1 = add_forward(s, w[2])
            f, c_sig = sigmoid_forward(z)

            dz = sigmoid_backward(1.0, z)
            ds, dw2 = add_backward(dz, c_a1)
            dp0, dp1 = add_backward(ds, c_a0)
            dw0, dx0 = mul_backward(dp0, c_m0)
            dw1, dx1 = mul_backward(dp1, c_m1)
            return f, np.array([dw0, dw1, dw2]), np.array([dx0, dx1])
        """),
    Mistake("neuron_shortcut", "missing_sigmoid_derivative", "the sigmoid's backward call skipped", """
        def neuron_shortcut(w, x):
            p0, c_m0 = mul_forward(w[0], x[0])
            p1, c_m1 = mul_forward(w[1], x[1])
            s, c_a0 = add_forward(p0, p1)
            z, c_a1 = add_forward(s, w[2])
            f, c_sig = sigmoid_forward(z)

            ds, dw2 = add_backward(1.0, c_a1)
            dp0, dp1 = add_backward(ds, c_a0)
            dw0, dx0 = mul_backward(dp0, c_m0)
            dw1, dx1 = mul_backward(dp1, c_m1)
            return f, np.array([dw0, dw1, dw2]), np.array([dx0, dx1])
        """),
]
