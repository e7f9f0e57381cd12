"""Every number the checks depend on, in one place.

How they were chosen (see ``benchmarks/tolerances.py`` for the measurement):

* ``FD_STEP``: the central difference ``(f(x+h) - f(x-h)) / 2h`` has truncation
  error ~ h**2 |f'''| / 6 and round-off error ~ eps |f| / h.  With float64
  (eps = 2.2e-16) the sum is smallest near h = 1e-5, where both are ~1e-10.
  The step is relative: ``h_i = FD_STEP * max(1, |x_i|)``, so large inputs
  are perturbed by a proportionate amount.
* ``GRAD_RTOL``: a gradient passes when
  ``max|yours - numeric| <= GRAD_RTOL * max(max|yours|, max|numeric|, SCALE_FLOOR)``.
  Over 200 seeds of the reference layers (affine, sigmoid, tanh, MSE,
  softmax cross-entropy), correct gradients reached at worst 3.5e-9 on this
  measure, about 300 times below 1e-6; a gradient scaled by 1.01 scores
  1.2e-3 and one entry off by 1e-3 of the scale 1.2e-4, both far above it.
* ``SCALE_FLOOR``: stops a gradient that is exactly zero from making the
  comparison meaningless (finite-difference noise ~1e-11 divided by 0).
* ``VALUE_RTOL``: forward values are compared with references computed in
  float64 by different but exact formulas; 1e-9 absorbs reassociation of sums.
* ``DIRECTIONAL_MIN_SIZE``: inputs with at least this many entries are
  checked along ``N_DIRECTIONS`` random directions (the dot-product test
  ``<u, J^T w> = <J u, w>``), so a check costs 2 * N_DIRECTIONS forward calls
  instead of 2 per entry.
* Kinks (ReLU at 0, a tie in a max, a hinge margin at 0): a central difference
  whose step straddles one is wrong by up to half the jump in slope.  For each
  entry the check also computes f(x) (one extra call in all) and the *bend*
  ``(f(x+h) - f(x))/h - (f(x) - f(x-h))/h``: h f''(x) where f is smooth, about
  the jump in slope across a kink inside the step.
  ``KINK_HARMLESS``: a bend below 2e-7 of the gradient's scale moves a central
  difference by at most 1e-7 of it, a tenth of GRAD_RTOL: nothing to do.
  ``KINK_BEND_RTOL``: above it (times the slope), the entry is settled at once
  with steps 10 and 100 times smaller (``KINK_SHRINK``, ``KINK_LEVELS``).  Over
  200 seeds of the smooth reference layers the bend over the slope has median
  9e-6 and 99.9th percentile 1.4e-3: 15 of 25552 entries (MSE entries with the
  prediction within ~1e-3 of the target, where f' ~ 0) are settled that way,
  all as curvature; a kink gives the jump in slope over the slope (1 for a
  ReLU) times 1 - t/h, t its distance.  Entries with a gentler bend might
  still hide a kink at the very end of their step; they are settled only when
  a comparison fails, so correct smooth code pays nothing.
  Settling: a smaller step whose bend is harmless no longer reaches the kink
  (use it); a bend that shrinks 10 times per step (``KINK_SHRINK_RTOL``, 2%),
  twice (or 10 times, then at least as fast when rounding blurs it), is
  curvature; else the entry is left out and the message says so.
  Measured (benchmarks/tolerances.py): ReLU, max and hinge layers with inputs
  10^U(-9, -4.5) from their kinks or at them, 600 checks: no correct one fails.
  ``KINK_RETRIES``: a random direction that runs into a kink is redrawn this
  many times before being settled with smaller steps, or given up.
* ``CALL_SECONDS``: a learner's function that runs longer than this inside a
  check is stopped and reported as a probable infinite loop.  Overridable
  with the environment variable ``AUTOGRADER_CALL_SECONDS`` (the test suite
  lowers it).
"""
import os

FD_STEP = 1e-5
GRAD_RTOL = 1e-6
SCALE_FLOOR = 1e-3
VALUE_RTOL = 1e-9
DIRECTIONAL_MIN_SIZE = 2048
N_DIRECTIONS = 4
WRONG_ENTRY_RTOL = 1e-4   # an entry counts as "wrong" in the partial-error report above this
KINK_HARMLESS = 2e-7      # a bend below this (times the scale) moves a central difference by < GRAD_RTOL / 10
KINK_BEND_RTOL = 1e-3     # a bend above this times the slope: settle the entry with smaller steps at once
KINK_SHRINK = 10          # where a kink is suspected, steps h / 10, then h / 100 (KINK_LEVELS of them)
KINK_LEVELS = 2
KINK_SHRINK_RTOL = 0.02   # a bend KINK_SHRINK times smaller (within 2%), twice in a row, is curvature
KINK_RETRIES = 4          # new random directions drawn when one runs into a kink
NEARBY_STEPS = (1e-4, 1e-2)  # relative moves of the inputs at which a forward pass meets the course's own
NEARBY_RTOL = 1e-9       # two right forwards differ there by rounding (~1e-15), one that recalls its output by the move


def call_seconds() -> float:
    """Seconds a learner's function may run inside one check."""
    try:
        return float(os.environ.get("AUTOGRADER_CALL_SECONDS", "20"))
    except ValueError:
        return 20.0
