"""Blind holdout catalog for 00_finite_differences (issue 18): written from the learner's notebook only,
before reading the course's catalog or the checks' catalogs.  ``key`` is the name a precise check SHOULD
give; docs/holdout.md records what the real check said."""
from mistakes import Mistake

MISTAKES = [
    # --- Exercise 1: central_difference -------------------------------------------------------------
    Mistake("central_difference", "step_scaled_by_x",
            "applies the course's step h*max(1,|x|) from the text (the given h is not used as is)",
            '''
def central_difference(f, x, h=1e-5):
    """Central-difference estimate of f'(x)."""
    h = h * max(1.0, abs(x))          # "the checks use h = 1e-5 max(1, |x|)"
    return (f(x + h) - f(x - h)) / (2 * h)
''', kind="subtle"),
    Mistake("central_difference", "points_offset_not_centred",
            "secant through x and x+2h, divided by 2h (a forward difference with step 2h)",
            '''
def central_difference(f, x, h=1e-5):
    """Central-difference estimate of f'(x)."""
    return (f(x + 2 * h) - f(x)) / (2 * h)
''', kind="subtle"),
    Mistake("central_difference", "wrong_default_step",
            "default step written as 1e-3 instead of 1e-5",
            '''
def central_difference(f, x, h=1e-3):
    """Central-difference estimate of f'(x)."""
    return (f(x + h) - f(x - h)) / (2 * h)
''', kind="subtle"),

    # --- Exercise 2: convergence_order ---------------------------------------------------------------
    Mistake("convergence_order", "ignores_estimate_argument",
            "calls the global central_difference instead of the estimate passed in",
            '''
def convergence_order(estimate, f, df, x, h):
    error_big = abs(central_difference(f, x, h) - df(x))
    error_small = abs(central_difference(f, x, h / 10) - df(x))
    return float(np.log10(error_big / error_small))
'''),
    Mistake("convergence_order", "signed_errors",
            "errors without abs(): log of a ratio of signed errors",
            '''
def convergence_order(estimate, f, df, x, h):
    error_big = estimate(f, x, h) - df(x)
    error_small = estimate(f, x, h / 10) - df(x)
    return float(np.log10(error_big / error_small))
''', kind="subtle"),
    Mistake("convergence_order", "steps_h_and_10h",
            "measures between 10h and h instead of h and h/10",
            '''
def convergence_order(estimate, f, df, x, h):
    error_big = abs(estimate(f, x, 10 * h) - df(x))
    error_small = abs(estimate(f, x, h) - df(x))
    return float(np.log10(error_big / error_small))
''', kind="subtle"),

    # --- Exercise 3: numerical_gradient --------------------------------------------------------------
    Mistake("numerical_gradient", "integer_gradient_array",
            "grad = np.zeros_like(x) made before the float conversion: integer gradient for integer x",
            '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    x = np.array(x, dtype=float)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
'''),
    Mistake("numerical_gradient", "moves_on_a_copy",
            "nudges entries of x.flatten() (a copy) but evaluates f(x): f never sees the moves",
            '''
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    flat = x.flatten()
    grad = np.zeros(x.size)
    for i in range(x.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = f(x)
        flat[i] = old - h
        f_minus = f(x)
        flat[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad.reshape(x.shape)
'''),
    Mistake("numerical_gradient", "input_modified_in_place",
            "np.asarray (no copy for float input) and restores with += / -=: caller's x drifts by rounding",
            '''
def numerical_gradient(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)       # no copy when x is already float
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        x[idx] += h
        f_plus = f(x)
        x[idx] -= 2 * h
        f_minus = f(x)
        x[idx] += h                       # "put it back"
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
''', kind="subtle"),

    # --- Exercise 4: relative_error ------------------------------------------------------------------
    Mistake("relative_error", "norms_instead_of_max",
            "L2 norms (the CS231n formula) instead of max-abs",
            '''
def relative_error(a, b, floor=1e-3):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), floor))
'''),
    Mistake("relative_error", "denominator_one_array",
            "scale from b (the 'reference') only, not from both arrays",
            '''
def relative_error(a, b, floor=1e-3):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    scale = max(np.max(np.abs(b)), floor)
    return float(np.max(np.abs(a - b)) / scale)
'''),
    Mistake("relative_error", "floor_only_when_zero",
            "floor used only as a fallback when both arrays are 0 (`or floor`)",
            '''
def relative_error(a, b, floor=1e-3):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    scale = max(np.max(np.abs(a)), np.max(np.abs(b))) or floor     # avoid 0/0
    return float(np.max(np.abs(a - b)) / scale)
''', kind="subtle"),

    # --- Exercise 5: cauchy_loss_grad ----------------------------------------------------------------
    Mistake("cauchy_loss_grad", "integer_in_place_division",
            "g = 2*x then g /= (1 + x**2): in-place true division fails on an integer x",
            '''
def cauchy_loss_grad(x):
    g = 2 * x
    g /= 1 + x ** 2
    return g
'''),
    Mistake("cauchy_loss_grad", "dot_product_for_square",
            "x @ x (sum of all squares) in the denominator instead of x_i**2",
            '''
def cauchy_loss_grad(x):
    return 2 * x / (1 + x @ x)
''', kind="subtle"),
    Mistake("cauchy_loss_grad", "unstable_rewrite_at_zero",
            "rewritten as 2 / (x + 1/x): divides by zero at x = 0",
            '''
def cauchy_loss_grad(x):
    return 2 / (x + 1 / x)
''', kind="subtle"),
]
