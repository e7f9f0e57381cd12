"""Blind holdout catalog for 06_autodiff (issue 18): mistakes written by a second teaching assistant
from the learner's notebook alone, before reading the authors' catalog or the checks.
``key`` is what a precise check SHOULD say (invented here; the real keys differ)."""
from mistakes import Mistake

_ARITH = {   # the solution's operators, for cells that get one of them wrong
    "__neg__": "return self * -1",
    "__sub__": "return self + (-other)",
    "__truediv__": "return self * other ** -1",
    "__radd__": "return self + other",
    "__rmul__": "return self * other",
    "__rsub__": "return as_value(other) - self",
    "__rtruediv__": "return as_value(other) / self",
}


def _arith(**wrong):
    body = {**_ARITH, **wrong}
    return "\n\n".join(f"@add_to_class(Value)\ndef {name}(self{'' if name == '__neg__' else ', other'}):\n    {line}"
                       for name, line in body.items())


_FUNCS = {
    "exp": '''
        @add_to_class(Value)
        def exp(self):
            out = Value(math.exp(self.data), (self,), "exp")
            def _backward():
                self.grad += out.data * out.grad
            out._backward = _backward
            return out
    ''',
    "log": '''
        @add_to_class(Value)
        def log(self):
            out = Value(math.log(self.data), (self,), "log")
            def _backward():
                self.grad += out.grad / self.data
            out._backward = _backward
            return out
    ''',
    "tanh": '''
        @add_to_class(Value)
        def tanh(self):
            out = Value(math.tanh(self.data), (self,), "tanh")
            def _backward():
                self.grad += (1.0 - out.data ** 2) * out.grad
            out._backward = _backward
            return out
    ''',
    "sigmoid": '''
        @add_to_class(Value)
        def sigmoid(self):
            x = self.data
            s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
            out = Value(s, (self,), "sigmoid")
            def _backward():
                self.grad += s * (1.0 - s) * out.grad
            out._backward = _backward
            return out
    ''',
    "relu": '''
        @add_to_class(Value)
        def relu(self):
            out = Value(max(self.data, 0.0), (self,), "relu")
            def _backward():
                self.grad += (self.data > 0) * out.grad
            out._backward = _backward
            return out
    ''',
}


def _funcs(**wrong):
    import textwrap
    return "\n\n".join(textwrap.dedent(wrong.get(name, code)).strip() for name, code in _FUNCS.items())


_WORKED = {
    "dezero_chain": "def dezero_chain(x):\n    return (x ** 2).exp() ** 2",
    "simple_example": "def simple_example(x, y, z):\n    return (x + y) * z",
    "sigmoid_neuron": "def sigmoid_neuron(w, x):\n    z = w[0] * x[0] + w[1] * x[1] + w[2]\n    return 1 / (1 + (-z).exp())",
    "wx_norm": "def wx_norm(W, x):\n    return sum(sum(w_ij * x_j for w_ij, x_j in zip(row, x)) ** 2 for row in W)",
}


def _worked(**wrong):
    return "\n\n\n".join(wrong.get(name, code) for name, code in _WORKED.items())


_ACT = {
    "relu": '''
        @add_to_class(Tensor)
        def relu(self):
            out = Tensor(np.maximum(self.data, 0.0), (self,), "relu")
            def _backward():
                self.grad += (self.data > 0) * out.grad
            out._backward = _backward
            return out
    ''',
    "sigmoid": '''
        @add_to_class(Tensor)
        def sigmoid(self):
            e = np.exp(-np.abs(self.data))
            s = np.where(self.data >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
            out = Tensor(s, (self,), "sigmoid")
            def _backward():
                self.grad += s * (1.0 - s) * out.grad
            out._backward = _backward
            return out
    ''',
    "tanh": '''
        @add_to_class(Tensor)
        def tanh(self):
            t = np.tanh(self.data)
            out = Tensor(t, (self,), "tanh")
            def _backward():
                self.grad += (1.0 - t ** 2) * out.grad
            out._backward = _backward
            return out
    ''',
}


def _act(**wrong):
    import textwrap
    return "\n\n".join(textwrap.dedent(wrong.get(name, code)).strip() for name, code in _ACT.items())


MISTAKES = [
    # --- Exercise 1: value_mul ------------------------------------------------------------------
    Mistake("value_mul", "grad_instead_of_data", "the local derivative taken from the other node's grad, not its data", """
        @add_to_class(Value)
        def __mul__(self, other):
            other = as_value(other)
            out = Value(self.data * other.data, (self, other), "*")

            def _backward():
                self.grad += other.grad * out.grad
                other.grad += self.grad * out.grad
            out._backward = _backward
            return out
    """),
    Mistake("value_mul", "derivative_by_division", "local derivatives as out.data / self.data: division by zero at 0", """
        @add_to_class(Value)
        def __mul__(self, other):
            other = as_value(other)
            out = Value(self.data * other.data, (self, other), "*")

            def _backward():
                self.grad += out.data / self.data * out.grad
                other.grad += out.data / other.data * out.grad
            out._backward = _backward
            return out
    """),
    Mistake("value_mul", "rule_attached_to_input", "the rule stored on self (self._backward = ...) instead of on out", """
        @add_to_class(Value)
        def __mul__(self, other):
            other = as_value(other)
            out = Value(self.data * other.data, (self, other), "*")

            def _backward():
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad
            self._backward = _backward
            return out
    """),

    # --- Exercise 2: value_pow ------------------------------------------------------------------
    Mistake("value_pow", "assign_not_accumulate", "self.grad = ... (not +=) in the power rule", """
        @add_to_class(Value)
        def __pow__(self, n):
            assert isinstance(n, (int, float)), "the exponent must be a plain number"
            out = Value(self.data ** n, (self,), f"**{n:g}")

            def _backward():
                self.grad = n * self.data ** (n - 1) * out.grad
            out._backward = _backward
            return out
    """),
    Mistake("value_pow", "exponent_as_parent", "the plain number n listed as a parent: (self, n)", """
        @add_to_class(Value)
        def __pow__(self, n):
            assert isinstance(n, (int, float)), "the exponent must be a plain number"
            out = Value(self.data ** n, (self, n), f"**{n:g}")

            def _backward():
                self.grad += n * self.data ** (n - 1) * out.grad
            out._backward = _backward
            return out
    """),
    Mistake("value_pow", "missing_upstream", "the power rule without * out.grad", """
        @add_to_class(Value)
        def __pow__(self, n):
            assert isinstance(n, (int, float)), "the exponent must be a plain number"
            out = Value(self.data ** n, (self,), f"**{n:g}")

            def _backward():
                self.grad += n * self.data ** (n - 1)
            out._backward = _backward
            return out
    """),

    # --- Exercise 3: value_arithmetic -----------------------------------------------------------
    Mistake("value_arithmetic", "div_via_rtruediv_recursion", "x / y as self * (1 / other): 1 / Value calls back into / without end", _arith(
        __truediv__="return self * (1 / other)")),
    Mistake("value_arithmetic", "radd_recursion", "__radd__ returns other + self: Python calls __radd__ again", _arith(
        __radd__="return other + self")),
    Mistake("value_arithmetic", "div_node_without_rule", "x / y as a new Value(self.data / other.data) with parents but no rule", _arith(
        __truediv__="other = as_value(other); return Value(self.data / other.data, (self, other), '/')")),

    # --- Exercise 4: value_functions ------------------------------------------------------------
    Mistake("value_functions", "sigmoid_rule_unstable", "stable sigmoid forward, but the rule recomputes e^-x / (1 + e^-x)^2", _funcs(sigmoid='''
        @add_to_class(Value)
        def sigmoid(self):
            x = self.data
            s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
            out = Value(s, (self,), "sigmoid")
            def _backward():
                self.grad += math.exp(-x) / (1.0 + math.exp(-x)) ** 2 * out.grad
            out._backward = _backward
            return out
    ''')),
    Mistake("value_functions", "tanh_via_exp", "tanh from its exp definition: overflows for large |x|", _funcs(tanh='''
        @add_to_class(Value)
        def tanh(self):
            x = self.data
            t = (math.exp(x) - math.exp(-x)) / (math.exp(x) + math.exp(-x))
            out = Value(t, (self,), "tanh")
            def _backward():
                self.grad += (1.0 - t ** 2) * out.grad
            out._backward = _backward
            return out
    ''')),
    Mistake("value_functions", "exp_missing_upstream", "exp's rule adds out.data without * out.grad", _funcs(exp='''
        @add_to_class(Value)
        def exp(self):
            out = Value(math.exp(self.data), (self,), "exp")
            def _backward():
                self.grad += out.data
            out._backward = _backward
            return out
    ''')),

    # --- Exercise 5: topo_order -----------------------------------------------------------------
    Mistake("topo_order", "root_first", "the order returned reversed (root first), 'ready for backward'", """
        def topo_order(root):
            order, visited = [], set()
            stack = [(root, False)]
            while stack:
                node, parents_done = stack.pop()
                if parents_done:
                    order.append(node)
                elif node not in visited:
                    visited.add(node)
                    stack.append((node, True))
                    for parent in node.parents:
                        if parent not in visited:
                            stack.append((parent, False))
            return order[::-1]
    """),
    Mistake("topo_order", "no_visited_check_on_pop", "a popped node is expanded again even if already visited: nodes appear twice", """
        def topo_order(root):
            order, visited = [], set()
            stack = [(root, False)]
            while stack:
                node, parents_done = stack.pop()
                if parents_done:
                    order.append(node)
                else:
                    visited.add(node)
                    stack.append((node, True))
                    for parent in node.parents:
                        if parent not in visited:
                            stack.append((parent, False))
            return order
    """),
    Mistake("topo_order", "queue_not_stack", "stack.pop(0): the list used as a queue", """
        def topo_order(root):
            order, visited = [], set()
            stack = [(root, False)]
            while stack:
                node, parents_done = stack.pop(0)
                if parents_done:
                    order.append(node)
                elif node not in visited:
                    visited.add(node)
                    stack.append((node, True))
                    for parent in node.parents:
                        if parent not in visited:
                            stack.append((parent, False))
            return order
    """),

    # --- Exercise 6: value_backward -------------------------------------------------------------
    Mistake("value_backward", "leaves_reset_too", "every node's grad reset to 0, leaves included", """
        @add_to_class(Value)
        def backward(self):
            order = topo_order(self)
            for node in order:
                node.grad = 0.0
            self.grad = 1.0
            for node in reversed(order):
                node._backward()
    """),
    Mistake("value_backward", "no_reset", "no reset: intermediate grads keep growing on a second backward()", """
        @add_to_class(Value)
        def backward(self):
            order = topo_order(self)
            self.grad = 1.0
            for node in reversed(order):
                node._backward()
    """),
    Mistake("value_backward", "recursive_walk", "micrograd's recursive build_topo instead of topo_order", """
        @add_to_class(Value)
        def backward(self):
            order, visited = [], set()

            def build(node):
                if node not in visited:
                    visited.add(node)
                    for p in node.parents:
                        build(p)
                    order.append(node)
            build(self)
            for node in order:
                if node.parents:
                    node.grad = 0.0
            self.grad = 1.0
            for node in reversed(order):
                node._backward()
    """),

    # --- Exercise 7: value_zero_grad ------------------------------------------------------------
    Mistake("value_zero_grad", "leaves_only", "only the leaves cleared (backward resets the others anyway)", """
        @add_to_class(Value)
        def zero_grad(self):
            for node in topo_order(self):
                if not node.parents:
                    node.grad = 0.0
    """),
    Mistake("value_zero_grad", "one_level_only", "self and its direct parents only", """
        @add_to_class(Value)
        def zero_grad(self):
            self.grad = 0.0
            for p in self.parents:
                p.grad = 0.0
    """),
    Mistake("value_zero_grad", "multiply_by_zero", "node.grad *= 0: a nan or inf gradient stays nan", """
        @add_to_class(Value)
        def zero_grad(self):
            for node in topo_order(self):
                node.grad *= 0.0
    """),

    # --- Exercise 8: worked_examples ------------------------------------------------------------
    Mistake("worked_examples", "neuron_precedence", "1 / 1 + (-z).exp() (precedence: 1 + e^-z)", _worked(
        sigmoid_neuron="def sigmoid_neuron(w, x):\n    z = w[0] * x[0] + w[1] * x[1] + w[2]\n    return 1 / 1 + (-z).exp()")),
    Mistake("worked_examples", "wx_columns_not_rows", "q_i from the columns of W (zip(*W)): W^T x", _worked(
        wx_norm="def wx_norm(W, x):\n    return sum(sum(w * xj for w, xj in zip(col, x)) ** 2 for col in zip(*W))")),
    Mistake("worked_examples", "wx_square_inside_sum", "squares each term W_ij x_j before summing", _worked(
        wx_norm="def wx_norm(W, x):\n    return sum(sum((w_ij * x_j) ** 2 for w_ij, x_j in zip(row, x)) for row in W)")),

    # --- Exercise 9: tensor_matmul --------------------------------------------------------------
    Mistake("tensor_matmul", "assign_not_accumulate", "self.grad = ... / other.grad = ... (not +=)", """
        @add_to_class(Tensor)
        def __matmul__(self, other):
            other = as_tensor(other)
            out = Tensor(self.data @ other.data, (self, other), "@")

            def _backward():
                self.grad = out.grad @ other.data.T
                other.grad = self.data.T @ out.grad
            out._backward = _backward
            return out
    """),
    Mistake("tensor_matmul", "extra_1_over_N", "the weight gradient divided by the batch size", """
        @add_to_class(Tensor)
        def __matmul__(self, other):
            other = as_tensor(other)
            out = Tensor(self.data @ other.data, (self, other), "@")

            def _backward():
                self.grad += out.grad @ other.data.T
                other.grad += self.data.T @ out.grad / self.shape[0]
            out._backward = _backward
            return out
    """),
    Mistake("tensor_matmul", "self_grad_transposed", "self.grad from other.data @ out.grad.T (the transpose of the right one)", """
        @add_to_class(Tensor)
        def __matmul__(self, other):
            other = as_tensor(other)
            out = Tensor(self.data @ other.data, (self, other), "@")

            def _backward():
                self.grad += (other.data @ out.grad.T).reshape(self.shape)
                other.grad += self.data.T @ out.grad
            out._backward = _backward
            return out
    """),

    # --- Exercise 10: tensor_add ----------------------------------------------------------------
    Mistake("tensor_add", "leading_axes_only", "unbroadcast sums only the leading axes; length-1 axes are left stretched", """
        def unbroadcast(grad, shape):
            grad = np.asarray(grad, dtype=np.float64)
            while grad.ndim > len(shape):
                grad = grad.sum(axis=0)
            return grad


        @add_to_class(Tensor)
        def __add__(self, other):
            other = as_tensor(other)
            out = Tensor(self.data + other.data, (self, other), "+")

            def _backward():
                self.grad += unbroadcast(out.grad, self.shape)
                other.grad += unbroadcast(out.grad, other.shape)
            out._backward = _backward
            return out
    """),
    Mistake("tensor_add", "only_other_unbroadcast", "only `other` is unbroadcast: b + x (the bias on the left) breaks", """
        def unbroadcast(grad, shape):
            grad = np.asarray(grad, dtype=np.float64)
            while grad.ndim > len(shape):
                grad = grad.sum(axis=0)
            for axis, size in enumerate(shape):
                if size == 1:
                    grad = grad.sum(axis=axis, keepdims=True)
            return grad


        @add_to_class(Tensor)
        def __add__(self, other):
            other = as_tensor(other)
            out = Tensor(self.data + other.data, (self, other), "+")

            def _backward():
                self.grad += out.grad
                other.grad += unbroadcast(out.grad, other.shape)
            out._backward = _backward
            return out
    """),
    Mistake("tensor_add", "steps_swapped", "length-1 axes summed before the leading axes are removed (shapes aligned at the left)", """
        def unbroadcast(grad, shape):
            grad = np.asarray(grad, dtype=np.float64)
            for axis, size in enumerate(shape):
                if size == 1:
                    grad = grad.sum(axis=axis, keepdims=True)
            while grad.ndim > len(shape):
                grad = grad.sum(axis=0)
            return grad


        @add_to_class(Tensor)
        def __add__(self, other):
            other = as_tensor(other)
            out = Tensor(self.data + other.data, (self, other), "+")

            def _backward():
                self.grad += unbroadcast(out.grad, self.shape)
                other.grad += unbroadcast(out.grad, other.shape)
            out._backward = _backward
            return out
    """),

    # --- Exercise 11: tensor_activations --------------------------------------------------------
    Mistake("tensor_activations", "sigmoid_rule_unstable", "stable sigmoid forward, but the rule recomputes with np.exp(-x)", _act(sigmoid='''
        @add_to_class(Tensor)
        def sigmoid(self):
            e = np.exp(-np.abs(self.data))
            s = np.where(self.data >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
            out = Tensor(s, (self,), "sigmoid")
            def _backward():
                ex = np.exp(-self.data)
                self.grad += ex / (1.0 + ex) ** 2 * out.grad
            out._backward = _backward
            return out
    '''), replaces="tensor_activations"),
    Mistake("tensor_activations", "tanh_square_outside", "tanh's rule (1 - t)**2", _act(tanh='''
        @add_to_class(Tensor)
        def tanh(self):
            t = np.tanh(self.data)
            out = Tensor(t, (self,), "tanh")
            def _backward():
                self.grad += (1.0 - t) ** 2 * out.grad
            out._backward = _backward
            return out
    '''), replaces="tensor_activations"),
    Mistake("tensor_activations", "relu_clamps_gradient", "relu's rule np.maximum(out.grad, 0): the gradient clamped, not masked", _act(relu='''
        @add_to_class(Tensor)
        def relu(self):
            out = Tensor(np.maximum(self.data, 0.0), (self,), "relu")
            def _backward():
                self.grad += np.maximum(out.grad, 0.0)
            out._backward = _backward
            return out
    '''), replaces="tensor_activations"),

    # --- Exercise 12: softmax_cross_entropy -----------------------------------------------------
    Mistake("softmax_cross_entropy", "rule_edits_kept_array", "p computed once outside the rule; the rule subtracts the one-hot from it in place", """
        @add_to_class(Tensor)
        def softmax_cross_entropy(self, labels):
            n = self.shape[0]
            shifted = self.data - self.data.max(axis=1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            p = np.exp(log_p)
            out = Tensor(-log_p[np.arange(n), labels].mean(), (self,), "softmax-CE")

            def _backward():
                p[np.arange(n), labels] -= 1.0
                self.grad += p / n * out.grad
            out._backward = _backward
            return out
    """),
    Mistake("softmax_cross_entropy", "missing_upstream", "the rule adds (p - onehot) / N without * out.grad", """
        @add_to_class(Tensor)
        def softmax_cross_entropy(self, labels):
            n = self.shape[0]
            shifted = self.data - self.data.max(axis=1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            out = Tensor(-log_p[np.arange(n), labels].mean(), (self,), "softmax-CE")

            def _backward():
                dscores = np.exp(log_p)
                dscores[np.arange(n), labels] -= 1.0
                self.grad += dscores / n
            out._backward = _backward
            return out
    """),
    Mistake("softmax_cross_entropy", "mean_over_all_entries", "loss = np.mean(-log_p * onehot): divided by N * C", """
        @add_to_class(Tensor)
        def softmax_cross_entropy(self, labels):
            n = self.shape[0]
            shifted = self.data - self.data.max(axis=1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            onehot = np.zeros_like(log_p)
            onehot[np.arange(n), labels] = 1.0
            out = Tensor(np.mean(-log_p * onehot), (self,), "softmax-CE")

            def _backward():
                self.grad += (np.exp(log_p) - onehot) / n * out.grad
            out._backward = _backward
            return out
    """),

    # --- Exercise 13: two_layer_net -------------------------------------------------------------
    Mistake("two_layer_net", "relu_on_scores", "relu applied to the scores too", """
        def two_layer_loss(x, labels, W1, b1, W2, b2):
            hidden = (as_tensor(x) @ W1 + b1).relu()
            scores = (hidden @ W2 + b2).relu()
            return scores.softmax_cross_entropy(labels)
    """),
    Mistake("two_layer_net", "first_layer_on_data", "the first layer computed in numpy on W1.data, b1.data and wrapped: no gradient reaches W1, b1", """
        def two_layer_loss(x, labels, W1, b1, W2, b2):
            x = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=float)
            hidden = Tensor(np.maximum(x @ W1.data + b1.data, 0.0))
            scores = hidden @ W2 + b2
            return scores.softmax_cross_entropy(labels)
    """),
    Mistake("two_layer_net", "sigmoid_hidden", "sigmoid for the hidden layer instead of relu", """
        def two_layer_loss(x, labels, W1, b1, W2, b2):
            hidden = (as_tensor(x) @ W1 + b1).sigmoid()
            scores = hidden @ W2 + b2
            return scores.softmax_cross_entropy(labels)
    """),
]
