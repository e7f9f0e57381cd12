"""autograder: numerical gradient checks with named mistakes, for the backprop course.

The public surface:

* ``check_grad(f, grad_f, x)`` and ``check_layer(forward, backward, *inputs)``
  check gradients against central differences and raise ``CheckFailed``
  (an ``AssertionError``) with a short message naming the mistake;
* ``like(key, sentence, wrong_answer)`` adds an exercise's own named mistake;
* ``load_notebook(path)`` returns what a notebook defines, without a kernel;
* ``numeric`` holds the finite differences, ``compare`` the error measure,
  ``catalog`` the mistakes, ``tolerances`` every number.

The package in layers, each importing only the ones before it (``tests/pipeline/test_layers.py``):
this folder (the public API and the pipeline: ``guard``, ``numeric``, ``compare``, ``catalog``,
``check``, ``tolerances``, ``i18n``, ``hosts``; ``loader``, ``datasets``), ``checks/`` (one module
per notebook), ``trusted/`` (trusted grading: the learner's process, the wire, the sandbox) and
``grading/`` (the self-check, class grading, nbgrader hooks, release, the ``course-check`` CLI).
"""
from . import catalog, compare, numeric, tolerances
from .catalog import Mistake, like
from .check import check_grad, check_layer
from .compare import relative_error
from .guard import CheckFailed

CheckFailed.__module__ = "autograder"  # shown as autograder.CheckFailed in tracebacks
from .loader import load_notebook

__all__ = ["check_grad", "check_layer", "like", "Mistake", "CheckFailed", "load_notebook",
           "relative_error", "numeric", "compare", "catalog", "tolerances"]
__version__ = "0.1.0"
