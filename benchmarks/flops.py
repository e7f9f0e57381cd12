"""Exact floating-point operation counts of the course's MLP (notebook 04's layers, notebook 05's step).

Convention: a matrix product (N, K) @ (K, M) counts 2 N K M (one multiply and one add per term);
every other elementwise arithmetic operation, comparison, exp and log on an array counts 1 per
entry it produces; a reduction of k numbers to one counts k - 1.  Indexing, reshaping and copies
count 0.  (Operations on Python or numpy scalars, such as negating the mean loss, are not counted.)

The counts follow the code as written, line by line:

  affine_forward   x @ W + b                       2NDM + NM
  relu_forward     np.maximum(z, 0)                NM
  softmax_cross_entropy(scores (N, C), labels)
                   max over rows                   N(C - 1)
                   scores - max                    NC
                   exp, sum over rows, log         NC + N(C - 1) + N
                   shifted - log-sum               NC
                   mean of the N picked entries    N - 1 (the division is on a scalar)
                   exp(log_p), -1 at the labels    NC + N
                   / N                             NC
  relu_backward    dout * (z > 0)                  2NM
  affine_backward  dout @ W.T, x.T @ dout, sum     2NMD + 2DNM + (N - 1)M
  sgd_step         p -= lr * g                     2 per parameter

``tests/course/test_benchmarks.py`` checks these closed forms against a count of every numpy operation
the notebooks' code really runs.
"""


def affine_forward(n, d, m):
    return 2 * n * d * m + n * m


def relu_forward(n, m):
    return n * m


def softmax_cross_entropy(n, c):
    return 2 * n * (c - 1) + 5 * n * c + 3 * n - 1


def relu_backward(n, m):
    return 2 * n * m


def affine_backward(n, d, m, dx=True):
    return (2 * n * m * d if dx else 0) + 2 * d * n * m + (n - 1) * m


def sgd_step(sizes):
    return 2 * parameters(sizes)


def parameters(sizes):
    return sum(d * m + m for d, m in zip(sizes[:-1], sizes[1:]))


def layers(sizes):
    return list(zip(sizes[:-1], sizes[1:]))


def forward(sizes, n):
    """The loss of a batch of n rows: every layer forward, then softmax cross-entropy."""
    pairs = layers(sizes)
    total = 0
    for k, (d, m) in enumerate(pairs, start=1):
        total += affine_forward(n, d, m)
        if k < len(pairs):
            total += relu_forward(n, m)
    return total + softmax_cross_entropy(n, sizes[-1])


def backward(sizes, n, first_dx=True):
    """Every layer's backward pass; the first layer's dx (the gradient of the input) is computed by
    notebook 04's affine_backward but used by nothing: first_dx=False leaves it out."""
    pairs = layers(sizes)
    total = 0
    for k, (d, m) in enumerate(pairs, start=1):
        if k < len(pairs):
            total += relu_backward(n, m)
        total += affine_backward(n, d, m, dx=first_dx or k > 1)
    return total


def step(sizes, n, first_dx=True):
    """Forward, backward and the SGD update of one training step on a batch of n rows."""
    return forward(sizes, n) + backward(sizes, n, first_dx) + sgd_step(sizes)


def matmul(sizes, n, first_dx=True):
    """The matrix products alone (forward and backward) of one step."""
    pairs = layers(sizes)
    fwd = sum(2 * n * d * m for d, m in pairs)
    bwd = sum(2 * n * d * m * (2 if (first_dx or k > 1) else 1) for k, (d, m) in enumerate(pairs, start=1))
    return fwd + bwd
