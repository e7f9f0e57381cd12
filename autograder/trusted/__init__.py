"""Trusted grading: the verdict comes from a process the learner's code cannot reach.

* ``submission``: what a submitted notebook may change, restored before any of its code runs;
* ``grader``: the grader's process (G): ``grade(submission, source)``, the learner's process
  started and driven, the source's test cells run with the real checks;
* ``learner_host``: the learner's process (L): runs the submission, answers G's requests;
* the wire between G and L, one job a file: ``wire`` (frames: bytes on a pipe), ``codec`` (values),
  ``proxies`` (a learner's object seen from G, batches; ``LEARNER``, the host registered below),
  ``mirrors`` (mirror classes made from what crosses), ``endpoint`` (serving and making calls);
* ``sandbox``: runs a program (L, a kernel, the kernel-free grader) where it reaches nothing of
  the course but what it must run.

Imports the pipeline and the checks; ``autograder.grading`` uses it, never the other way round.
``python -m autograder.trusted {grade,inprocess} SUBMISSION SOURCE`` prints a notebook's rows.

Importing this package registers the learner's process as a host of the pipeline
(``autograder.hosts``): the checks reach a proxy's process through it, without naming the wire.
"""
from .. import hosts
from .proxies import LEARNER

hosts.register(LEARNER)
