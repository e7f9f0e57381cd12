"""Realistic mistakes in notebook 00 (finite differences), each a whole answer cell."""
from . import Mistake

MISTAKES = [
    # --- Exercise 1: central_difference
    Mistake("central_difference", "forward_difference", "the forward difference of the definition", """
        def central_difference(f, x, h=1e-5):
            return (f(x + h) - f(x)) / h
        """),
    Mistake("central_difference", "divided_by_h", "the two points are 2h apart, divided by h", """
        def central_difference(f, x, h=1e-5):
            return (f(x + h) - f(x - h)) / h
        """),
    Mistake("central_difference", "precedence", "`/ 2*h` divides by 2 and multiplies by h", """
        def central_difference(f, x, h=1e-5):
            return (f(x + h) - f(x - h)) / 2*h
        """, kind="subtle"),
    Mistake("central_difference", "ignores_h", "the step written into the formula", """
        def central_difference(f, x, h=1e-5):
            return (f(x + 1e-5) - f(x - 1e-5)) / (2 * 1e-5)
        """, kind="subtle"),
    Mistake("central_difference", "ignores_f", "np.sin copied from the demo instead of f", """
        def central_difference(f, x, h=1e-5):
            return (np.sin(x + h) - np.sin(x - h)) / (2 * h)
        """, kind="subtle"),
    Mistake("central_difference", "wrong_default_h", "a default step of 1e-3", """
        def central_difference(f, x, h=1e-3):
            return (f(x + h) - f(x - h)) / (2 * h)
        """, kind="subtle"),
    Mistake("central_difference", "sign_flipped", "f(x - h) first", """
        def central_difference(f, x, h=1e-5):
            return (f(x - h) - f(x + h)) / (2 * h)
        """),

    # --- Exercise 2: convergence_order
    Mistake("convergence_order", "ratio_inverted", "the smaller error on top", """
        def convergence_order(estimate, f, df, x, h):
            error_big = abs(estimate(f, x, h) - df(x))
            error_small = abs(estimate(f, x, h / 10) - df(x))
            return float(np.log10(error_small / error_big))
        """),
    Mistake("convergence_order", "natural_log", "np.log for log base 10", """
        def convergence_order(estimate, f, df, x, h):
            error_big = abs(estimate(f, x, h) - df(x))
            error_small = abs(estimate(f, x, h / 10) - df(x))
            return float(np.log(error_big / error_small))
        """),
    Mistake("convergence_order", "not_errors", "the estimates compared, not their errors", """
        def convergence_order(estimate, f, df, x, h):
            return float(np.log10(estimate(f, x, h) / estimate(f, x, h / 10)))
        """, kind="subtle"),
    Mistake("convergence_order", "ignores_estimate", "central_difference called instead of estimate", """
        def convergence_order(estimate, f, df, x, h):
            error_big = abs(central_difference(f, x, h) - df(x))
            error_small = abs(central_difference(f, x, h / 10) - df(x))
            return float(np.log10(error_big / error_small))
        """, kind="subtle"),
    Mistake("convergence_order", "wrong_step", "the second step ten times larger", """
        def convergence_order(estimate, f, df, x, h):
            error = abs(estimate(f, x, h) - df(x))
            error_big = abs(estimate(f, x, 10 * h) - df(x))
            return float(np.log10(error_big / error))
        """, kind="subtle"),

    # --- Exercise 3: numerical_gradient
    Mistake("numerical_gradient", "entry_not_restored", "the entry left at old - h", """
        def numerical_gradient(f, x, h=1e-5):
            x = np.array(x, dtype=float)
            grad = np.zeros_like(x)
            for idx in np.ndindex(x.shape):
                x[idx] += h
                f_plus = f(x)
                x[idx] -= 2 * h
                f_minus = f(x)
                grad[idx] = (f_plus - f_minus) / (2 * h)
            return grad
        """),
    Mistake("numerical_gradient", "integer_input", "a copy that keeps the integer dtype", """
        def numerical_gradient(f, x, h=1e-5):
            x = x.copy()
            grad = np.zeros(x.shape)
            for idx in np.ndindex(x.shape):
                old = x[idx]
                x[idx] = old + h
                f_plus = f(x)
                x[idx] = old - h
                f_minus = f(x)
                x[idx] = old
                grad[idx] = (f_plus - f_minus) / (2 * h)
            return grad
        """, kind="subtle"),
    Mistake("numerical_gradient", "x_not_restored", "no copy: the caller's x is moved and left moved", """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            for idx in np.ndindex(x.shape):
                x[idx] = x[idx] + h
                f_plus = f(x)
                x[idx] = x[idx] - 2 * h
                f_minus = f(x)
                grad[idx] = (f_plus - f_minus) / (2 * h)
            return grad
        """),
    Mistake("numerical_gradient", "aliased_copy", "xp = x is not a copy", """
        def numerical_gradient(f, x, h=1e-5):
            x = np.array(x, dtype=float)
            grad = np.zeros_like(x)
            for idx in np.ndindex(x.shape):
                xp = x
                xp[idx] += h
                f_plus = f(xp)
                xm = x
                xm[idx] -= h
                f_minus = f(xm)
                grad[idx] = (f_plus - f_minus) / (2 * h)
            return grad
        """, kind="subtle"),
    Mistake("numerical_gradient", "whole_rows", "a loop over range(len(x))", """
        def numerical_gradient(f, x, h=1e-5):
            x = np.array(x, dtype=float)
            grad = np.zeros_like(x)
            for i in range(len(x)):
                xp, xm = x.copy(), x.copy()
                xp[i] += h
                xm[i] -= h
                grad[i] = (f(xp) - f(xm)) / (2 * h)
            return grad
        """),
    Mistake("numerical_gradient", "fixed_ndim", "two nested loops: 2-D arrays only", """
        def numerical_gradient(f, x, h=1e-5):
            x = np.array(x, dtype=float)
            grad = np.zeros_like(x)
            for i in range(x.shape[0]):
                for j in range(x.shape[1]):
                    xp, xm = x.copy(), x.copy()
                    xp[i, j] += h
                    xm[i, j] -= h
                    grad[i, j] = (f(xp) - f(xm)) / (2 * h)
            return grad
        """),
    Mistake("numerical_gradient", "perturbed_all_entries", "all of x moved at once", """
        def numerical_gradient(f, x, h=1e-5):
            x = np.array(x, dtype=float)
            return np.ones_like(x) * (f(x + h) - f(x - h)) / (2 * h)
        """),
    Mistake("numerical_gradient", "flattened", "the partial derivatives collected in a list", """
        def numerical_gradient(f, x, h=1e-5):
            x = np.array(x, dtype=float)
            grad = []
            for idx in np.ndindex(x.shape):
                xp, xm = x.copy(), x.copy()
                xp[idx] += h
                xm[idx] -= h
                grad.append((f(xp) - f(xm)) / (2 * h))
            return np.array(grad)
        """, kind="subtle"),

    # --- Exercise 4: relative_error
    Mistake("relative_error", "entrywise", "a ratio per entry, then the largest", """
        def relative_error(a, b, floor=1e-3):
            a = np.asarray(a, dtype=float)
            b = np.asarray(b, dtype=float)
            return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)))
        """),
    Mistake("relative_error", "entrywise", "CS231n's rel_error helper", """
        def relative_error(a, b, floor=1e-3):
            return float(np.max(np.abs(a - b) / np.maximum(floor, np.abs(a) + np.abs(b))))
        """, kind="subtle"),
    Mistake("relative_error", "no_abs", "max(a - b) without the absolute value", """
        def relative_error(a, b, floor=1e-3):
            a = np.asarray(a, dtype=float)
            b = np.asarray(b, dtype=float)
            return float(np.max(a - b) / max(np.max(np.abs(a)), np.max(np.abs(b)), floor))
        """),
    Mistake("relative_error", "denominator_no_abs", "the magnitudes' max without np.abs", """
        def relative_error(a, b, floor=1e-3):
            a = np.asarray(a, dtype=float)
            b = np.asarray(b, dtype=float)
            return float(np.max(np.abs(a - b)) / max(np.max(a), np.max(b), floor))
        """, kind="subtle"),
    Mistake("relative_error", "python_max", "Python's max() on arrays", """
        def relative_error(a, b, floor=1e-3):
            return float(max(abs(a - b)) / max(max(abs(a)), max(abs(b)), floor))
        """),
    Mistake("relative_error", "ignores_floor", "1e-3 written into the formula", """
        def relative_error(a, b, floor=1e-3):
            a = np.asarray(a, dtype=float)
            b = np.asarray(b, dtype=float)
            return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-3))
        """, kind="subtle"),
    Mistake("relative_error", "floor_added", "the floor added to the denominator", """
        def relative_error(a, b, floor=1e-3):
            a = np.asarray(a, dtype=float)
            b = np.asarray(b, dtype=float)
            return float(np.max(np.abs(a - b)) / (max(np.max(np.abs(a)), np.max(np.abs(b))) + floor))
        """, kind="subtle"),
    Mistake("relative_error", "norms", "norms instead of the largest entry", """
        def relative_error(a, b, floor=1e-3):
            return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), floor))
        """),

    # --- Exercise 5: cauchy_loss_grad
    Mistake("cauchy_loss_grad", "missing_inner_derivative", "1 / (1 + x^2): the inner 2x forgotten", """
        def cauchy_loss_grad(x):
            return 1 / (1 + x ** 2)
        """),
    Mistake("cauchy_loss_grad", "precedence", "2*x/1+x**2", """
        def cauchy_loss_grad(x):
            return 2*x/1+x**2
        """),
    Mistake("cauchy_loss_grad", "squared_denominator", "the quotient rule's square kept", """
        def cauchy_loss_grad(x):
            return 2 * x / (1 + x ** 2) ** 2
        """, kind="subtle"),
    Mistake("cauchy_loss_grad", "missing_outer_derivative", "only the inner derivative", """
        def cauchy_loss_grad(x):
            return 2 * x
        """),
    Mistake("cauchy_loss_grad", "integer_dtype", "a loop into np.zeros_like of an integer x", """
        def cauchy_loss_grad(x):
            grad = np.zeros_like(x)
            for idx in np.ndindex(x.shape):
                grad[idx] = 2 * x[idx] / (1 + x[idx] ** 2)
            return grad
        """, kind="subtle"),
    Mistake("cauchy_loss_grad", "scalar_instead", "the gradient summed into one number", """
        def cauchy_loss_grad(x):
            return np.sum(2 * x / (1 + x ** 2))
        """, kind="subtle"),
]
