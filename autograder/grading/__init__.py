"""Grading: the layer that runs notebooks and classes through the checks, and the commands around it.

* ``runner``: the kernel-free self-check, many notebooks in parallel, one crash never stopping the
  others (``course-check progress`` / ``grade``);
* ``classgrade``: ``course-check class``, nbgrader autograde for a class plus trusted grading,
  then what the class got wrong (the run: workers, journal, command); ``class_student`` grades one
  student's submissions, ``class_nbgrader`` holds nbgrader's configuration and the shared
  gradebook, ``class_report`` writes the reports;
* ``nbgrader_hooks``: the course's additions to nbgrader (``nbgrader_config.py`` imports them);
* ``release``: ``course-check generate`` / ``gradebook``, notebooks/ made from solutions/;
* ``cli``: the ``course-check`` command (also ``python -m autograder``).

Imports the pipeline (``autograder``), the checks and ``autograder.trusted``; nothing below this
layer imports it (``tests/pipeline/test_layers.py``).
"""
