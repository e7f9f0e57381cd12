"""Stage 2 of the pipeline: comparing an answer with the numerical truth.

An *oracle* knows the right gradient, either entry by entry (``FullOracle``)
or only through its projections on a few random directions
(``DirectionalOracle``, for large inputs).  Both answer the same questions:
how far is a candidate array from the truth, and does it match?  The
diagnosis stage asks these questions of transformed answers (``-yours``,
``yours.T``, ``yours / N``...) to name a mistake.
"""
import numpy as np

from .tolerances import GRAD_RTOL, SCALE_FLOOR, WRONG_ENTRY_RTOL


def relative_error(yours, expected, floor=SCALE_FLOOR):
    """max|yours - expected| / max(max|yours|, max|expected|, floor).

    One number per array, so entries that are legitimately ~0 do not blow
    up the way an entry-by-entry ratio would.
    """
    yours = np.asarray(yours, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if yours.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(yours))), float(np.max(np.abs(expected))), floor)
    return float(np.max(np.abs(yours - expected))) / scale


class FullOracle:
    """The right answer, known entry by entry.

    ``mask`` (optional, same shape) marks entries whose right answer is not known (their
    finite differences straddle a kink): every question below leaves them out.
    """

    label = "numeric"

    def __init__(self, expected, rtol=GRAD_RTOL, mask=None, source=None):
        self.expected = np.asarray(expected, dtype=np.float64)
        self.rtol = rtol
        self.mask = None if mask is None else np.asarray(mask, dtype=bool).reshape(self.expected.shape)
        self.source = source   # numeric.EntryDifferences behind ``expected``, if any

    @classmethod
    def from_differences(cls, diffs, rtol=GRAD_RTOL):
        """The truth as finite differences know it (``numeric.EntryDifferences``)."""
        return cls(diffs.grad, rtol=rtol, mask=diffs.kinked if diffs.kinked.any() else None, source=diffs)

    def sharpen(self):
        """Let the finite differences settle the entries they trusted provisionally; True if
        anything may have changed (``expected`` and ``mask`` are updated)."""
        if self.source is None or not self.source.sharpen():
            return False
        self.expected = self.source.grad
        self.mask = self.source.kinked.copy() if self.source.kinked.any() else None
        return True

    @property
    def shape(self):
        return self.expected.shape

    @property
    def masked_count(self):
        return 0 if self.mask is None else int(self.mask.sum())

    def _kept(self, array):
        return array if self.mask is None else array[~self.mask]

    def error(self, candidate):
        candidate = np.asarray(candidate, dtype=np.float64)
        if candidate.shape != self.expected.shape:
            return np.inf
        return relative_error(self._kept(candidate), self._kept(self.expected))

    def matches(self, candidate):
        return self.error(candidate) <= self.rtol

    def worst(self, candidate):
        """(index, your value, right value) of the compared entry that is furthest off."""
        candidate = np.asarray(candidate, dtype=np.float64)
        diff = np.abs(candidate - self.expected)
        if self.mask is not None:
            diff = np.where(self.mask, -1.0, diff)
        idx = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
        return idx, float(candidate[idx]), float(self.expected[idx])

    def wrong_mask(self, candidate):
        """Compared entries off by more than WRONG_ENTRY_RTOL of the array's scale."""
        candidate = np.asarray(candidate, dtype=np.float64)
        scale = max(float(np.max(np.abs(self._kept(self.expected)), initial=0.0)),
                    float(np.max(np.abs(self._kept(candidate)), initial=0.0)), SCALE_FLOOR)
        wrong = np.abs(candidate - self.expected) > WRONG_ENTRY_RTOL * scale
        return wrong if self.mask is None else wrong & ~self.mask

    def best_scale(self, candidate):
        """The k minimising |candidate - k * expected| over compared entries (None if expected is 0)."""
        candidate = np.asarray(candidate, dtype=np.float64)
        if candidate.shape != self.expected.shape:
            return None
        candidate, expected = self._kept(candidate), self._kept(self.expected)
        denom = float(np.sum(expected * expected))
        if denom == 0.0:
            return None
        return float(np.sum(candidate * expected)) / denom


class DirectionalOracle:
    """The right answer known only through <u_k, answer> for random u_k.

    ``targets[k]`` is <J u_k, w>, obtained from one central difference of the
    forward function along u_k; a correct backward pass returns g = J^T w,
    and <u_k, g> must equal it (the dot-product test).
    """

    label = "numeric"

    mask = None          # no entry is known on its own, so none is left out
    masked_count = 0
    source = None

    def sharpen(self):
        return False   # every direction was settled when it was drawn

    def __init__(self, shape, directions, targets, rtol=GRAD_RTOL, dropped=0):
        self._shape = tuple(shape)
        self.directions = [np.asarray(u, dtype=np.float64) for u in directions]
        self.targets = np.asarray(targets, dtype=np.float64)
        self.rtol = rtol
        self.expected = None
        self.dropped = dropped   # directions given up because every try ran into a kink

    @property
    def shape(self):
        return self._shape

    def projections(self, candidate):
        candidate = np.asarray(candidate, dtype=np.float64)
        return np.array([float(np.sum(u * candidate)) for u in self.directions])

    def error(self, candidate):
        candidate = np.asarray(candidate, dtype=np.float64)
        if candidate.shape != self._shape:
            return np.inf
        return relative_error(self.projections(candidate), self.targets)

    def matches(self, candidate):
        return self.error(candidate) <= self.rtol

    def worst(self, candidate):
        proj = self.projections(candidate)
        k = int(np.argmax(np.abs(proj - self.targets)))
        return ("direction", k), float(proj[k]), float(self.targets[k])

    def wrong_mask(self, candidate):
        return None

    def best_scale(self, candidate):
        denom = float(np.sum(self.targets * self.targets))
        if denom == 0.0:
            return None
        return float(np.sum(self.projections(candidate) * self.targets)) / denom
