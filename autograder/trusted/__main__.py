"""``python -m autograder.trusted {grade,inprocess} SUBMISSION SOURCE``: see ``grader.main``."""
import sys

from .grader import main

sys.exit(main())
