"""Realistic mistakes in notebook 04 (vectorized backprop), each a whole answer cell."""
from . import Mistake

MISTAKES = [
    Mistake("affine", "mean_in_layer", "db as the mean over the batch, not the sum", """
        def affine_forward(x, W, b):
            out = x.reshape(x.shape[0], -1) @ W + b
            return out, (x, W)


        def affine_backward(dout, cache):
            x, W = cache
            x2 = x.reshape(x.shape[0], -1)
            dx = (dout @ W.T).reshape(x.shape)
            dW = x2.T @ dout
            db = dout.mean(axis=0)
            return dx, dW, db
        """),
]
