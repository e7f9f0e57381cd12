"""Measure what the VJP memory checks of notebook 02 rest on.

    .venv/bin/python benchmarks/vjp_memory.py

`autograder.checks.jacobian` fails a VJP whose peak numpy allocation exceeds
VJP_BYTES_PER_ENTRY * n bytes, n the size of its first input (it "built the full
Jacobian"): sigmoid_vjp and softmax_vjp at n = VJP_MEMORY_D, network_vjp with x and
v of size VJP_MEMORY_D and a small hidden layer (VJP_NETWORK_SIZES), where W1 and W2
stay small and only a Jacobian dh2/dx (or a diag(sigma'(z2))) is n x n.  This prints
the peak and the time of several correct VJPs (written in different styles) and of
VJPs that build a Jacobian, so the limit can be seen to sit far from both.  Figures
are reported, never asserted.
"""
import time
import tracemalloc

import numpy as np

from autograder.checks.jacobian import VJP_BYTES_PER_ENTRY, VJP_MEMORY_D, VJP_NETWORK_SIZES
from autograder.checks.reference import sigmoid, softmax


def peak(fn, *args):
    tracemalloc.start()
    start = time.perf_counter()
    fn(*args)
    seconds = time.perf_counter() - start
    used = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return used, seconds


def ds(z):
    return sigmoid(z) * (1 - sigmoid(z))


def forward(x, W1, b1, W2, b2):
    z1 = W1 @ x + b1
    h1 = sigmoid(z1)
    return z1, h1, W2 @ h1 + b2


def net_vjp(x, W1, b1, W2, b2, v):
    z1, h1, z2 = forward(x, W1, b1, W2, b2)
    return W1.T @ (ds(z1) * (W2.T @ (ds(z2) * v)))


def net_vjp_dot(x, W1, b1, W2, b2, v):
    z1 = np.dot(W1, x) + b1
    h1 = 1 / (1 + np.exp(-z1))
    h2 = 1 / (1 + np.exp(-(np.dot(W2, h1) + b2)))
    return np.dot(W1.T, h1 * (1 - h1) * np.dot(W2.T, h2 * (1 - h2) * v))


def net_full_diag(x, W1, b1, W2, b2, v):
    z1, h1, z2 = forward(x, W1, b1, W2, b2)
    return (np.diag(ds(z2)) @ W2 @ np.diag(ds(z1)) @ W1).T @ v


def net_full_chain(x, W1, b1, W2, b2, v):
    """network_jacobian(...).T @ v as the notebook's solution builds it: J_next @ J in a loop."""
    z1, h1, z2 = forward(x, W1, b1, W2, b2)
    J = W1.copy()
    for J_next in (np.diag(ds(z1)), W2.copy(), np.diag(ds(z2))):
        J = J_next @ J
    return J.T @ v


def net_full_broadcast(x, W1, b1, W2, b2, v):
    z1, h1, z2 = forward(x, W1, b1, W2, b2)
    return ((ds(z2)[:, None] * W2) @ (ds(z1)[:, None] * W1)).T @ v


def net_vjp_with_diag(x, W1, b1, W2, b2, v):
    """The VJP order, but each sigma' as a diagonal matrix (sigmoid_jacobian(z).T @ v)."""
    z1, h1, z2 = forward(x, W1, b1, W2, b2)
    return W1.T @ (np.diag(ds(z1)).T @ (W2.T @ (np.diag(ds(z2)).T @ v)))


CORRECT = {
    "sigmoid: v * s * (1 - s)": lambda z, v: v * sigmoid(z) * (1 - sigmoid(z)),
    "sigmoid: naive 1/(1+exp(-z)), z moderate": lambda z, v: v * (1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z))),
    "softmax: s * (v - v.s)": lambda z, v: softmax(z) * (v - np.dot(v, softmax(z))),
    "softmax: s*v - s*(s@v), extra temporaries": lambda z, v: softmax(z) * v - softmax(z) * (softmax(z) @ v),
}
BUILDS_J = {
    "sigmoid: np.diag(s * (1 - s)).T @ v": lambda z, v: np.diag(sigmoid(z) * (1 - sigmoid(z))).T @ v,
    "softmax: (diag(s) - outer(s, s)).T @ v": lambda z, v: (np.diag(softmax(z)) - np.outer(softmax(z), softmax(z))).T @ v,
}
NET_CORRECT = {
    "network: W1.T @ (ds1 * (W2.T @ (ds2 * v)))": net_vjp,
    "network: np.dot, naive sigmoid": net_vjp_dot,
}
NET_BUILDS_J = {
    "network: (D2 W2 D1 W1).T @ v": net_full_diag,
    "network: network_jacobian(...).T @ v": net_full_chain,
    "network: broadcast rows, then .T @ v": net_full_broadcast,
    "network: VJP order with diag(sigma')": net_vjp_with_diag,
}


def report(title, table, args, limit):
    print(title)
    for name, fn in table.items():
        used, seconds = peak(fn, *args)
        print(f"  {name:45s} {used / 1e3:9.1f} kB   ({used / limit:.2g} x the limit)   {seconds * 1e3:7.1f} ms")
    print()


if __name__ == "__main__":
    n = VJP_MEMORY_D
    limit = VJP_BYTES_PER_ENTRY * n
    rng = np.random.default_rng(0)
    z, v = rng.uniform(-3, 3, n), rng.standard_normal(n)
    print(f"n = {n}; the check's limit: {limit / 1e3:.0f} kB ({VJP_BYTES_PER_ENTRY} bytes per entry)\n")
    report("correct VJPs (must stay below)", CORRECT, (z, v), limit)
    report("VJPs that build J (must exceed)", BUILDS_J, (z, v), limit)
    n0, n1, n2 = VJP_NETWORK_SIZES
    net = (rng.standard_normal(n0), rng.standard_normal((n1, n0)) / np.sqrt(n0), rng.standard_normal(n1) * 0.5,
           rng.standard_normal((n2, n1)) / np.sqrt(n1), rng.standard_normal(n2) * 0.5, rng.standard_normal(n2))
    print(f"network_vjp: x and v of size {n0}, hidden layer {n1}: W1, W2 hold {n0 * n1} numbers each "
          f"({8 * n0 * n1 / 1e3:.0f} kB); the limit is {VJP_BYTES_PER_ENTRY * n0 / 1e3:.0f} kB\n")
    report("correct network VJPs (must stay below)", NET_CORRECT, net, VJP_BYTES_PER_ENTRY * n0)
    report("network VJPs that build an n x n matrix (must exceed)", NET_BUILDS_J, net, VJP_BYTES_PER_ENTRY * n0)
