"""Realistic mistakes in notebook 06 (a small autodiff engine), each a whole answer cell.

Derived by working each exercise as a learner would: the slips of the rule itself (a transpose,
an exponent, a missing factor), of Python (precedence, reflected operators, `=` for `+=`, `==`
for `=`), of the walk (recursion, breadth-first, preorder, marking on push), of numpy (math on
arrays, in-place edits, np.where computing both branches) and of stability (math.exp at -1000,
log of an underflowed p).
"""
from . import Mistake

# --- Exercise 1: Value.__mul__ --------------------------------------------------------------------

_MUL = '''
@add_to_class(Value)
def __mul__(self, other):
    """out = self * other: each input gets out.grad times the OTHER input."""
    other = as_value(other)
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        {rule}
    {attach}
    return out
'''


def _mul(rule, attach="out._backward = _backward"):
    return _MUL.format(rule=rule, attach=attach)


MUL = [
    Mistake("value_mul", "overwrote_grad", "= instead of += in the multiply rule", _mul(
        "self.grad = other.data * out.grad\n        other.grad = self.data * out.grad")),
    Mistake("value_mul", "mul_not_swapped", "each input's own value as its local derivative", _mul(
        "self.grad += self.data * out.grad\n        other.grad += other.data * out.grad")),
    Mistake("value_mul", "backward_not_attached", "the rule defined but never attached to out", _mul(
        "self.grad += other.data * out.grad\n        other.grad += self.data * out.grad", attach="")),
    Mistake("value_mul", "rule_used_node", "the other node instead of its value in the rule", _mul(
        "self.grad += other * out.grad\n        other.grad += self * out.grad"), kind="subtle"),
    Mistake("value_mul", "mul_passthrough", "the add rule copied: out.grad passed through", _mul(
        "self.grad += out.grad\n        other.grad += out.grad"), kind="subtle"),
]

# --- Exercise 2: Value.__pow__ --------------------------------------------------------------------

_POW = '''
@add_to_class(Value)
def __pow__(self, n):
    """out = self ** n for a plain number n: d(x**n)/dx = n * x**(n - 1)."""
    assert isinstance(n, (int, float)), "the exponent must be a plain number"
    out = Value(self.data ** n, (self,), f"**{{n:g}}")

    def _backward():
        self.grad += {local}
    out._backward = _backward
    return out
'''

POW = [
    Mistake("value_pow", "pow_n_x_n", "the exponent not lowered: n * x**n",
            _POW.format(local="n * self.data ** n * out.grad")),
    Mistake("value_pow", "pow_precedence", "n * x ** n - 1 * out.grad: precedence",
            _POW.format(local="n * self.data ** n - 1 * out.grad"), kind="subtle"),
    Mistake("value_pow", "pow_precedence", "(n * x ** n - 1) * out.grad: the parentheses in the wrong place",
            _POW.format(local="(n * self.data ** n - 1) * out.grad"), kind="subtle"),
    Mistake("value_pow", "pow_used_output", "the derivative taken at the output x**n",
            _POW.format(local="n * out.data ** (n - 1) * out.grad"), kind="subtle"),
    Mistake("value_pow", "pow_missing_n", "the factor n forgotten",
            _POW.format(local="self.data ** (n - 1) * out.grad")),
]

# --- Exercise 3: the rest of the arithmetic -----------------------------------------------------------

_ARITH = dict(
    neg="return self * -1",
    sub="return self + (-other)",
    truediv="return self * other ** -1",
    radd="return self + other",
    rmul="return self * other",
    rsub="return as_value(other) - self",
    rtruediv="return as_value(other) / self",
)


def _arith(**changes):
    body = dict(_ARITH, **changes)
    cells = []
    for name in ("neg", "sub", "truediv", "radd", "rmul", "rsub", "rtruediv"):
        args = "self" if name == "neg" else "self, other"
        lines = "".join("    " + line + "\n" if line else "\n" for line in body[name].splitlines())
        cells.append(f"@add_to_class(Value)\ndef __{name}__({args}):\n{lines}")
    return "\n\n".join(cells)


ARITH = [
    Mistake("value_arithmetic", "reflected_swapped", "__rsub__ as self - other", _arith(rsub="return self - other")),
    Mistake("value_arithmetic", "reflected_swapped", "__rtruediv__ as self / other",
            _arith(rtruediv="return self / other")),
    Mistake("value_arithmetic", "recursion", "__radd__ as other + self", _arith(radd="return other + self")),
    Mistake("value_arithmetic", "recursion", "__rsub__ as other - self, other a plain number",
            _arith(rsub="return other - self"), kind="subtle"),
    Mistake("value_arithmetic", "nothing_added", "-x as a new Value(-self.data)",
            _arith(neg="return Value(-self.data)"), kind="subtle"),
    Mistake("value_arithmetic", "div_rule", "/ with its own rule, the x of -x / y**2 forgotten", _arith(
        truediv='''other = as_value(other)
out = Value(self.data / other.data, (self, other), "/")

def _backward():
    self.grad += out.grad / other.data
    other.grad += -out.grad / other.data ** 2
out._backward = _backward
return out'''), kind="subtle"),
]

# --- Exercise 4: exp, log, tanh, sigmoid, relu ----------------------------------------------------------

_FUNCTIONS = dict(
    exp=('math.exp(self.data)', 'out.data * out.grad'),
    log=('math.log(self.data)', 'out.grad / self.data'),
    tanh=('math.tanh(self.data)', '(1.0 - out.data ** 2) * out.grad'),
    relu=('max(self.data, 0.0)', '(self.data > 0) * out.grad'),
)
_STABLE = "1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))"


def _functions(sigmoid=_STABLE, sigmoid_rule="s * (1.0 - s) * out.grad", **changes):
    parts = dict(_FUNCTIONS, **changes)
    cells = [f'''@add_to_class(Value)
def {name}(self):
    out = Value({forward}, (self,), "{name}")

    def _backward():
        self.grad += {rule}
    out._backward = _backward
    return out
''' for name, (forward, rule) in parts.items() if name != "relu"]
    cells.append(f'''@add_to_class(Value)
def sigmoid(self):
    x = self.data
    s = {sigmoid}
    out = Value(s, (self,), "sigmoid")

    def _backward():
        self.grad += {sigmoid_rule}
    out._backward = _backward
    return out
''')
    forward, rule = parts["relu"]
    cells.append(f'''@add_to_class(Value)
def relu(self):
    out = Value({forward}, (self,), "relu")

    def _backward():
        self.grad += {rule}
    out._backward = _backward
    return out
''')
    return "\n\n".join(cells)


FUNCTIONS = [
    Mistake("value_functions", "sigmoid_overflow", "sigmoid as 1 / (1 + math.exp(-x)) for every x",
            _functions(sigmoid="1.0 / (1.0 + math.exp(-x))")),
    Mistake("value_functions", "tanh_used_input", "tanh's derivative 1 - x**2 with the input",
            _functions(tanh=("math.tanh(self.data)", "(1.0 - self.data ** 2) * out.grad"))),
    Mistake("value_functions", "sigmoid_branch", "the x < 0 form written 1 / (1 + exp(x))",
            _functions(sigmoid="1.0 / (1.0 + math.exp(-x)) if x >= 0 else 1.0 / (1.0 + math.exp(x))"),
            kind="subtle"),
    Mistake("value_functions", "relu_mask_from_upstream", "relu's mask taken from out.grad",
            _functions(relu=("max(self.data, 0.0)", "(out.grad > 0) * out.grad")), kind="subtle"),
    Mistake("value_functions", "exp_local_x", "exp's derivative written as x",
            _functions(exp=("math.exp(self.data)", "self.data * out.grad"))),
    Mistake("value_functions", "log_used_output", "log's 1/x taken at the output",
            _functions(log=("math.log(self.data)", "out.grad / out.data")), kind="subtle"),
]

# --- Exercise 5: topo_order ---------------------------------------------------------------------------

TOPO = [
    Mistake("topo_order", "recursion_depth", "micrograd's recursive build_topo", '''
def topo_order(root):
    order, visited = [], set()

    def build(node):
        if node not in visited:
            visited.add(node)
            for parent in node.parents:
                build(parent)
            order.append(node)
    build(root)
    return order
'''),
    Mistake("topo_order", "root_first", "the postorder returned reversed, root first", '''
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
'''),
    Mistake("topo_order", "bfs_order", "a breadth-first walk, reversed", '''
def topo_order(root):
    order, seen, queue = [], {root}, [root]
    while queue:
        node = queue.pop(0)
        order.append(node)
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return order[::-1]
'''),
    Mistake("topo_order", "preorder", "a stack walk that lists a node when it is first reached", '''
def topo_order(root):
    order, visited, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node in visited:
            continue
        visited.add(node)
        order.append(node)
        stack.extend(node.parents)
    return order[::-1]
''', kind="subtle"),
    Mistake("topo_order", "visited_on_push", "(node, done) pairs, but nodes marked when pushed", '''
def topo_order(root):
    order, visited = [], {root}
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        else:
            stack.append((node, True))
            for parent in node.parents:
                if parent not in visited:
                    visited.add(parent)
                    stack.append((parent, False))
    return order
''', kind="subtle"),
    Mistake("topo_order", "duplicates", "no visited set: a shared node listed once per path", '''
def topo_order(root):
    order = []
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        else:
            stack.append((node, True))
            for parent in node.parents:
                stack.append((parent, False))
    return order
''', kind="subtle"),
]

# --- Exercise 6: backward -----------------------------------------------------------------------------

_BACKWARD = '''
@add_to_class(Value)
def backward(self):
    """Fill in node.grad = d self / d node for every node of the graph that ends at self."""
{body}
'''


def _backward(body):
    return _BACKWARD.format(body=body)


BACKWARD = [
    Mistake("value_backward", "forward_order", "the rules run in topological order, inputs first", _backward('''
    order = topo_order(self)
    for node in order:
        if node.parents:
            node.grad = 0.0
    self.grad = 1.0
    for node in order:
        node._backward()''')),
    Mistake("value_backward", "not_seeded", "no seed: self.grad left at 0", _backward('''
    order = topo_order(self)
    for node in order:
        if node.parents:
            node.grad = 0.0
    for node in reversed(order):
        node._backward()''')),
    Mistake("value_backward", "not_seeded", "the seed set before the reset loop, which wipes it", _backward('''
    order = topo_order(self)
    self.grad = 1.0
    for node in order:
        if node.parents:
            node.grad = 0.0
    for node in reversed(order):
        node._backward()'''), kind="subtle"),
    Mistake("value_backward", "intermediate_not_reset", "micrograd's backward: nothing reset", _backward('''
    order = topo_order(self)
    self.grad = 1.0
    for node in reversed(order):
        node._backward()'''), kind="subtle"),
    Mistake("value_backward", "backward_resets_leaves", "every grad reset, the leaves' too", _backward('''
    order = topo_order(self)
    for node in order:
        node.grad = 0.0
    self.grad = 1.0
    for node in reversed(order):
        node._backward()''')),
    Mistake("value_backward", "bfs_order", "the rules run breadth-first from the output", _backward('''
    order = topo_order(self)
    for node in order:
        if node.parents:
            node.grad = 0.0
    self.grad = 1.0
    queue, seen = [self], {self}
    while queue:
        node = queue.pop(0)
        node._backward()
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)'''), kind="subtle"),
]

# --- Exercise 7: zero_grad ----------------------------------------------------------------------------

_ZERO = '''
@add_to_class(Value)
def zero_grad(self):
    """Set grad = 0.0 on every node of the graph that ends at self."""
{body}
'''

ZERO = [
    Mistake("value_zero_grad", "leaves_kept", "backward's reset loop copied: only nodes with parents", _ZERO.format(body='''
    for node in topo_order(self):
        if node.parents:
            node.grad = 0.0''')),
    Mistake("value_zero_grad", "root_only", "only the node it is called on", _ZERO.format(body='''
    self.grad = 0.0''')),
    Mistake("value_zero_grad", "nothing_zeroed", "== instead of =", _ZERO.format(body='''
    for node in topo_order(self):
        node.grad == 0.0'''), kind="subtle"),
    Mistake("value_zero_grad", "grad_none", "grads set to None", _ZERO.format(body='''
    for node in topo_order(self):
        node.grad = None'''), kind="subtle"),
]

# --- Exercise 8: the worked examples ------------------------------------------------------------------

_EXAMPLES = dict(
    dezero="(x ** 2).exp() ** 2",
    simple="(x + y) * z",
    neuron="z = w[0] * x[0] + w[1] * x[1] + w[2]\n    return 1 / (1 + (-z).exp())",
    wx="sum(sum(w_ij * x_j for w_ij, x_j in zip(row, x)) ** 2 for row in W)",
)


def _examples(**changes):
    e = dict(_EXAMPLES, **changes)
    neuron = e["neuron"] if "return" in e["neuron"] else "return " + e["neuron"]
    return f'''
def dezero_chain(x):
    return {e["dezero"]}


def simple_example(x, y, z):
    return {e["simple"]}


def sigmoid_neuron(w, x):
    {neuron}


def wx_norm(W, x):
    return {e["wx"]}
'''


EXAMPLES = [
    Mistake("worked_examples", "missing_parentheses", "x + y * z", _examples(simple="x + y * z")),
    Mistake("worked_examples", "neuron_exp_sign", "sigmoid with exp(z) for exp(-z)",
            _examples(neuron="z = w[0] * x[0] + w[1] * x[1] + w[2]\n    return 1 / (1 + z.exp())")),
    Mistake("worked_examples", "neuron_no_bias", "the bias w2 left out",
            _examples(neuron="z = w[0] * x[0] + w[1] * x[1]\n    return 1 / (1 + (-z).exp())"), kind="subtle"),
    Mistake("worked_examples", "chain_order", "x.exp() ** 2 ** 2: exp first, and ** right-associative",
            _examples(dezero="x.exp() ** 2 ** 2"), kind="subtle"),
    Mistake("worked_examples", "no_graph", "the result built from .data: a new leaf",
            _examples(simple="Value((x.data + y.data) * z.data)"), kind="subtle"),
    Mistake("worked_examples", "wx_columns", "q_i from column i of W",
            _examples(wx="sum(sum(W[j][i] * x[j] for j in range(len(x))) ** 2 for i in range(len(W)))")),
]

# --- Exercise 9: Tensor.__matmul__ --------------------------------------------------------------------

_MATMUL = '''
@add_to_class(Tensor)
def __matmul__(self, other):
    """out = self @ other: (N, D) @ (D, M) -> (N, M)."""
    other = as_tensor(other)
    out = Tensor(self.data @ other.data, (self, other), "@")

    def _backward():
        self.grad {op} {dx}
        other.grad {op} {dw}
    out._backward = _backward
    return out
'''


def _matmul(dx="out.grad @ other.data.T", dw="self.data.T @ out.grad", op="+="):
    return _MATMUL.format(dx=dx, dw=dw, op=op)


MATMUL = [
    Mistake("tensor_matmul", "w_not_transposed", "dx = g @ W", _matmul(dx="out.grad @ other.data")),
    Mistake("tensor_matmul", "x_not_transposed", "dW = x @ g", _matmul(dw="self.data @ out.grad")),
    Mistake("tensor_matmul", "column_convention", "dx = W.T @ g, CS231n's column form",
            _matmul(dx="other.data.T @ out.grad"), kind="subtle"),
    Mistake("tensor_matmul", "column_convention", "dW = g @ x.T, CS231n's column form",
            _matmul(dw="out.grad @ self.data.T"), kind="subtle"),
    Mistake("tensor_matmul", "overwrote_grad", "= instead of +=", _matmul(op="=")),
]

# --- Exercise 10: unbroadcast and Tensor.__add__ --------------------------------------------------------

_ADD = '''
def unbroadcast(grad, shape):
    """Sum grad down to shape."""
    grad = np.asarray(grad, dtype=np.float64)
{body}
    return grad


@add_to_class(Tensor)
def __add__(self, other):
    """out = self + other with numpy broadcasting."""
    other = as_tensor(other)
    out = Tensor(self.data + other.data, (self, other), "+")

    def _backward():
        {rule}
    out._backward = _backward
    return out
'''
_UNBROADCAST = '''    while grad.ndim > len(shape):
        grad = grad.{lead}
    for axis, size in enumerate(shape):
        if size == 1:
            grad = grad.{ones}'''
_RULE = "self.grad += unbroadcast(out.grad, self.shape)\n        other.grad += unbroadcast(out.grad, other.shape)"


def _add(lead="sum(axis=0)", ones="sum(axis=axis, keepdims=True)", rule=_RULE, body=None):
    return _ADD.format(body=body or _UNBROADCAST.format(lead=lead, ones=ones), rule=rule)


ADD = [
    Mistake("tensor_add", "mean_not_sum", "the copies averaged", _add(lead="mean(axis=0)", ones="mean(axis=axis, keepdims=True)")),
    Mistake("tensor_add", "unbroadcast_lost_axis", "the length-1 axes summed without keepdims",
            _add(ones="sum(axis=axis)")),
    Mistake("tensor_add", "not_summed_back", "the add rule without unbroadcast",
            _add(rule="self.grad += out.grad\n        other.grad += out.grad")),
    Mistake("tensor_add", "unbroadcast_wrong_axes", "the leading axes summed from the end (axis=-1)",
            _add(lead="sum(axis=-1)"), kind="subtle"),
    Mistake("tensor_add", "unbroadcast_ones_not_summed", "only the leading axes handled",
            _add(body="    while grad.ndim > len(shape):\n        grad = grad.sum(axis=0)"), kind="subtle"),
]

# --- Exercise 11: activations on arrays -----------------------------------------------------------------

_ACT = dict(
    relu=("np.maximum(self.data, 0.0)", "(self.data > 0) * out.grad"),
    sigmoid=("    e = np.exp(-np.abs(self.data))\n    s = np.where(self.data >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
             "s * (1.0 - s) * out.grad"),
    tanh=("np.tanh(self.data)", "(1.0 - t ** 2) * out.grad"),
)


def _activations(**changes):
    a = dict(_ACT, **changes)
    relu_forward, relu_rule = a["relu"]
    sigmoid_forward, sigmoid_rule = a["sigmoid"]
    tanh_forward, tanh_rule = a["tanh"]
    return f'''
@add_to_class(Tensor)
def relu(self):
    out = Tensor({relu_forward}, (self,), "relu")

    def _backward():
        self.grad += {relu_rule}
    out._backward = _backward
    return out


@add_to_class(Tensor)
def sigmoid(self):
{sigmoid_forward}
    out = Tensor(s, (self,), "sigmoid")

    def _backward():
        self.grad += {sigmoid_rule}
    out._backward = _backward
    return out


@add_to_class(Tensor)
def tanh(self):
    t = {tanh_forward}
    out = Tensor(t, (self,), "tanh")

    def _backward():
        self.grad += {tanh_rule}
    out._backward = _backward
    return out
'''


ACT = [
    Mistake("tensor_activations", "sigmoid_overflow", "sigmoid as 1 / (1 + np.exp(-x))",
            _activations(sigmoid=("    s = 1.0 / (1.0 + np.exp(-self.data))", "s * (1.0 - s) * out.grad")),
            replaces="tensor_activations"),
    Mistake("tensor_activations", "sigmoid_overflow", "the two stable forms inside np.where, which computes both",
            _activations(sigmoid=("    x = self.data\n    s = np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), "
                                  "np.exp(x) / (1.0 + np.exp(x)))", "s * (1.0 - s) * out.grad")),
            kind="subtle", replaces="tensor_activations"),
    Mistake("tensor_activations", "math_on_array", "Exercise 4's math.tanh on an array",
            _activations(tanh=("math.tanh(self.data)", "(1.0 - t ** 2) * out.grad")), replaces="tensor_activations"),
    Mistake("tensor_activations", "python_on_array", "Python's max() on an array",
            _activations(relu=("max(self.data, 0.0)", "(self.data > 0) * out.grad")), replaces="tensor_activations"),
    Mistake("tensor_activations", "changed_input", "relu computed in place, into self.data",
            _activations(relu=("np.maximum(self.data, 0.0, out=self.data)", "(self.data > 0) * out.grad")),
            kind="subtle", replaces="tensor_activations"),
    Mistake("tensor_activations", "tanh_used_input", "tanh's rule with the input",
            _activations(tanh=("np.tanh(self.data)", "(1.0 - self.data ** 2) * out.grad")),
            replaces="tensor_activations"),
]

# --- Exercise 12: softmax cross-entropy ---------------------------------------------------------------

_CE = '''
@add_to_class(Tensor)
def softmax_cross_entropy(self, labels):
    """Mean over the batch of -log softmax(scores)[label]. self: scores (N, C); labels: ints (N,)."""
    n = self.shape[0]
{body}
'''
_CE_STABLE = '''    shifted = self.data - self.data.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    out = Tensor(-log_p[np.arange(n), labels].mean(), (self,), "softmax-CE")
'''


def _ce(forward=_CE_STABLE, rule='''    def _backward():
        dscores = np.exp(log_p)
        dscores[np.arange(n), labels] -= 1.0
        self.grad += dscores / n * out.grad
'''):
    return _CE.format(body=forward + "\n" + rule + "    out._backward = _backward\n    return out")


CE = [
    Mistake("softmax_cross_entropy", "scaled_N", "the 1/N of the mean forgotten", _ce(rule='''    def _backward():
        dscores = np.exp(log_p)
        dscores[np.arange(n), labels] -= 1.0
        self.grad += dscores * out.grad
''')),
    Mistake("softmax_cross_entropy", "ce_onehot_indexing", "p[:, labels] -= 1", _ce(rule='''    def _backward():
        dscores = np.exp(log_p)
        dscores[:, labels] -= 1.0
        self.grad += dscores / n * out.grad
''')),
    Mistake("softmax_cross_entropy", "softmax_overflow", "no max shift before exp", _ce(forward='''    log_p = self.data - np.log(np.exp(self.data).sum(axis=1, keepdims=True))
    out = Tensor(-log_p[np.arange(n), labels].mean(), (self,), "softmax-CE")
''')),
    Mistake("softmax_cross_entropy", "changed_input", "the max subtracted in place, from scores.data",
            _ce(forward='''    self.data -= self.data.max(axis=1, keepdims=True)
    log_p = self.data - np.log(np.exp(self.data).sum(axis=1, keepdims=True))
    out = Tensor(-log_p[np.arange(n), labels].mean(), (self,), "softmax-CE")
'''), kind="subtle"),
    Mistake("softmax_cross_entropy", "rule_changed_cache", "the rule edits the p it keeps",
            _ce(forward=_CE_STABLE + "    p = np.exp(log_p)\n", rule='''    def _backward():
        p[np.arange(n), labels] -= 1.0
        self.grad += p / n * out.grad
'''), kind="subtle"),
    Mistake("softmax_cross_entropy", "ce_log_underflow", "the loss as -log(p), p computed first",
            _ce(forward='''    shifted = self.data - self.data.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    out = Tensor(-np.log(p[np.arange(n), labels]).mean(), (self,), "softmax-CE")
''', rule='''    def _backward():
        dscores = p.copy()
        dscores[np.arange(n), labels] -= 1.0
        self.grad += dscores / n * out.grad
'''), kind="subtle"),
    Mistake("softmax_cross_entropy", "ce_no_onehot", "the one-hot never subtracted", _ce(rule='''    def _backward():
        self.grad += np.exp(log_p) / n * out.grad
''')),
]

# --- Exercise 13: the two-layer network -----------------------------------------------------------------

_NET = '''
def two_layer_loss(x, labels, W1, b1, W2, b2):
    """Softmax cross-entropy of relu(x @ W1 + b1) @ W2 + b2."""
    hidden = {hidden}
    scores = {scores}
    return scores.softmax_cross_entropy(labels)
'''


def _net(hidden="(as_tensor(x) @ W1 + b1).relu()", scores="hidden @ W2 + b2"):
    return _NET.format(hidden=hidden, scores=scores)


NET = [
    Mistake("two_layer_net", "x_not_wrapped", "x used as it comes: numpy's @ when x is an array",
            _net(hidden="(x @ W1 + b1).relu()")),
    Mistake("two_layer_net", "net_no_relu", "the relu forgotten", _net(hidden="as_tensor(x) @ W1 + b1")),
    Mistake("two_layer_net", "net_relu_on_scores", "a relu on the scores too",
            _net(scores="(hidden @ W2 + b2).relu()"), kind="subtle"),
    Mistake("two_layer_net", "net_no_bias", "b2 left out", _net(scores="hidden @ W2"), kind="subtle"),
]

MISTAKES = MUL + POW + ARITH + FUNCTIONS + TOPO + BACKWARD + ZERO + EXAMPLES + MATMUL + ADD + ACT + CE + NET
