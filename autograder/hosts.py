"""Where a learner's code runs, as the pipeline sees it: here, or in a process a grader registers.

The checks call a learner's functions and build graphs of a learner's objects without knowing
where they live.  Most of the time they live in this process and every step runs at once.
Trusted grading runs the learner's code in a process of its own and registers it here
(``register``) as a *host*: an object with

* ``owns(obj)``: True for an object (or class) that lives in the host's process;
* ``batch(like)``: a batch of steps for that process, sent in one message: ``call(fn, *args,
  **kwargs)`` and ``setattr(obj, name, value)`` return placeholders usable by later steps,
  ``accumulate(target, name, source, source_name, factor)`` makes a backward rule that the host's
  process runs itself, and ``values(*placeholders)`` sends the steps and returns their results;
* ``counting(fn)``: a context manager whose ``.calls`` counts the calls of ``fn`` made in the
  host's process while its body ran.

The pipeline asks ``elsewhere(obj)`` and uses ``batch`` / ``counting``; it never names the wire
(``autograder.trusted`` supplies the host; ``tests/pipeline/test_layers.py`` keeps the arrows one way).
"""

_HOSTS = []


def register(host):
    """Make ``host`` (see the module's docstring) one the pipeline asks; registering twice is once."""
    if host not in _HOSTS:
        _HOSTS.append(host)
    return host


def host_of(obj):
    """The registered host whose process ``obj`` lives in, or None (this process)."""
    for host in _HOSTS:
        if host.owns(obj):
            return host
    return None


def elsewhere(obj):
    """True when ``obj`` lives in another process (a registered host's)."""
    return host_of(obj) is not None


def batch(like):
    """Steps on ``like``'s side: the host's batch (one message for all of them) when ``like`` lives
    elsewhere, else an object that runs each step at once.  Checks build long graphs through it,
    so that the same code costs one message in trusted grading."""
    host = host_of(like)
    return _Now() if host is None else host.batch(like)


def counting(fn):
    """``with counting(fn) as c: ...``: ``c.calls`` counts the calls of ``fn`` (which lives
    elsewhere) made in its host's process while the body ran."""
    host = host_of(fn)
    if host is None:
        raise ValueError("counting() is for a function that lives in another process")
    return host.counting(fn)


class Accumulate:
    """The backward rule ``target.name += factor * source.source_name`` as a callable object: one
    attribute update, done in the order Python does ``a.grad += k * out.grad`` (read the target,
    multiply, add in place, store).  A host's ``accumulate`` makes its own, run in its process."""

    __slots__ = ("target", "name", "source", "source_name", "factor")

    def __init__(self, target, name, source, source_name, factor):
        self.target, self.name, self.source, self.source_name, self.factor = target, name, source, source_name, factor

    def __call__(self):
        value = getattr(self.target, self.name)
        value += self.factor * getattr(self.source, self.source_name)
        setattr(self.target, self.name, value)

    def __repr__(self):
        return f"<rule: {self.name} += {self.factor!r} * out.{self.source_name}>"


class _Now:
    """A batch in one process: each step runs at once."""

    @staticmethod
    def call(fn, *args, **kwargs):
        return fn(*args, **kwargs)

    @staticmethod
    def setattr(obj, name, value):
        setattr(obj, name, value)

    @staticmethod
    def accumulate(target, name, source, source_name, factor):
        return Accumulate(target, name, source, source_name, factor)

    @staticmethod
    def values(*results):
        return results
