"""``python -m autograder``: the ``course-check`` command (``autograder.grading.cli``)."""
import sys

from .grading.cli import main

sys.exit(main())
