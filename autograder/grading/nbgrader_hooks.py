"""The course's additions to nbgrader (used by ``nbgrader_config.py`` and ``course-check class``).

* ``CourseSanitize`` replaces nbgrader's ``DeduplicateIds`` and ``OverwriteCells``: it restores
  a submission's graded cells from the gradebook with ``autograder.trusted.submission.sanitize_cells``,
  the very function ``course-check`` uses, so the two graders agree.  Unlike stock nbgrader it
  grades a notebook whose test cell was duplicated, re-pointed or whose metadata
  (``schema_version``, points, cell type) was edited, instead of stopping the whole
  ``nbgrader autograde`` run; it puts deleted test cells back; and it logs one
  "submission changed: ..." warning per real edit and nothing for an honest notebook (stock
  nbgrader logs "checksum has changed" for every test cell that had hidden tests).  A notebook
  that holds none of the assignment's answer cells (another assignment's notebook) is refused
  with ``SubmissionRejected``, and so is a notebook that holds more of another assignment's
  answer cells than of this one's.  (``course-check class`` also refuses the instructor's own
  source notebook; nbgrader run by hand still grades it, as an author checking the assignment
  expects.)
* ``LimitOutputSize``: nbgrader's ``LimitOutput`` counts lines, so one 5 MB line went into the
  autograded notebook and the feedback whole; this cuts each output to ``max_chars``.
* ``SandboxedExecute``: nbgrader's ``Execute`` with kernels started through
  ``autograder.trusted.sandbox.wrap`` (as the sandbox user of slot ``$AUTOGRADER_SANDBOX_SLOT``).
"""
import os
import shutil

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import ignore_patterns
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer

from ..trusted import sandbox, submission


class SubmissionRejected(Exception):
    """The submission cannot be graded as this assignment; the message says why."""


class CourseSanitize(NbGraderPreprocessor):
    """Restore graded cells from the gradebook (see the module docstring)."""

    def preprocess(self, nb, resources):
        notebook_id = resources["nbgrader"]["notebook"]
        assignment_id = resources["nbgrader"]["assignment"]
        with Gradebook(resources["nbgrader"]["db_url"]) as gb:
            source = gb.find_notebook(notebook_id, assignment_id)
            grade = {c.name: float(c.max_score) for c in source.grade_cells}
            solution = {c.name for c in source.solution_cells}
            known, checksums = {}, {}
            for cell in source.source_cells:
                known[cell.name] = dict(cell_type=cell.cell_type, locked=bool(cell.locked),
                                        grade=cell.name in grade, solution=cell.name in solution,
                                        points=grade.get(cell.name), source=cell.source)
                checksums[cell.name] = cell.checksum
        order = self._order(assignment_id, notebook_id, known)
        other = submission.looks_like(nb)  # before the restore removes unknown ids
        cells, notes, rejected = submission.sanitize_cells(list(nb.cells), known, order,
                                                           make_cell=nbformat.from_dict,
                                                           assignment=assignment_id)
        if other and other != assignment_id:
            # more of another assignment's answer cells than of this one's: an exercise both
            # share would otherwise be graded with the other notebook's answer
            rejected = f"this is {other}'s notebook, not {assignment_id}'s"
        if rejected:
            raise SubmissionRejected(f"not graded: {rejected}")
        for cell in cells:
            cell["metadata"] = nbformat.from_dict(cell.get("metadata", {}))
            meta = cell["metadata"].get("nbgrader")
            if meta and meta.get("grade_id") in checksums:
                meta["checksum"] = checksums[meta["grade_id"]]
        nb.cells = cells
        for note in notes:
            self.log.warning("submission changed: %s", note)
        resources.setdefault("course", {})["notes"] = notes
        return nb, resources

    def _order(self, assignment_id, notebook_id, known):
        """Grade ids in notebook order (the gradebook keeps no order): from the source notebook."""
        try:
            coursedir = CourseDirectory(config=self.config)
            path = os.path.join(coursedir.format_path(coursedir.source_directory, ".", assignment_id),
                                f"{notebook_id}.ipynb")
            _, order = submission.known_from_source(submission.read(path))
        except Exception:  # no source notebook: the gradebook's order
            order = []
        return [gid for gid in order if gid in known] + [gid for gid in known if gid not in order]


class LimitOutputSize(NbGraderPreprocessor):
    """Cut every output of a cell to ``max_chars`` characters (text, tracebacks, plain data)."""

    max_chars = Integer(20000, help="characters kept of each output").tag(config=True)

    def _cut(self, text):
        if isinstance(text, list):
            text = "".join(text)
        if len(text) <= self.max_chars:
            return text
        return text[:self.max_chars] + f"\n... output cut: {len(text) - self.max_chars} more characters ...\n"

    def preprocess_cell(self, cell, resources, index):
        if cell.get("cell_type") != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = self._cut(output.get("text", ""))
            elif output.get("output_type") == "error":
                output["evalue"] = self._cut(output.get("evalue", ""))
                kept, size = [], 0
                for line in output.get("traceback", []):
                    size += len(line)
                    if size > self.max_chars:
                        kept.append("... traceback cut ...")
                        break
                    kept.append(line)
                output["traceback"] = kept
            for key, value in list(output.get("data", {}).items()):
                if key.startswith("text/") and isinstance(value, (str, list)):
                    output["data"][key] = self._cut(value)
        return cell, resources


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run as the sandbox user (``autograder.trusted.sandbox``)."""

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        # the kernel runs in the sandbox's own scratch folder: nbgrader's (the autograded copy of the
        # submission, next to other students' folders) is not in its view
        return sandbox.wrap(cmd, workdir=sandbox.PRIVATE_DIR, slot=int(os.environ.get("AUTOGRADER_SANDBOX_SLOT", "0")))


class SandboxedExecute(Execute):
    """nbgrader's Execute, with ``SandboxedKernelManager`` (nbgrader's Execute pins its kernel
    manager class in ``__init__``, so configuring ``kernel_manager_class`` has no effect)."""

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = SandboxedKernelManager
        super().__init__(*args, **kwargs)


class LinkSafeCollect(ExchangeCollect):
    """``nbgrader collect`` that copies a link in a learner's inbound submission as a link, never
    what it points to (stock ``collect`` follows it: a notebook linked to ``solutions/`` was
    collected as the solutions, one linked to another student's submission as that student's
    work).  ``course-check class`` then refuses the submission and says why.  Configure it with
    ``c.ExchangeFactory.collect = "autograder.grading.nbgrader_hooks.LinkSafeCollect"``."""

    def do_copy(self, src, dest, log=None):
        links = [os.path.join(d, n) for d, dirs, files in os.walk(src) for n in dirs + files
                 if os.path.islink(os.path.join(d, n))]
        if links:
            self.log.warning("submission %s holds links (%s): copied as links, not followed; "
                             "course-check class will not grade it", src, ", ".join(links[:5]))
        if self.get_size(src) > 1000 * self.coursedir.max_dir_size:
            raise RuntimeError(f"Directory size is too big. Size is {self.get_size(src)}, "
                               f"maximum size is {1000 * self.coursedir.max_dir_size}")
        shutil.copytree(src, dest, symlinks=True,
                        ignore=ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include,
                                               max_file_size=self.coursedir.max_file_size, log=self.log))
        if self.coursedir.groupshared:
            for dirname, _, filenames in os.walk(dest):
                for path in [dirname] + [os.path.join(dirname, f) for f in filenames]:
                    if os.path.islink(path):
                        continue             # never the mode of what a link points to
                    mode = os.stat(path).st_mode
                    want = 0o2770 if os.path.isdir(path) else 0o660
                    if mode & want != want:
                        try:
                            os.chmod(path, (mode | want) & (0o2777 if os.path.isdir(path) else 0o777))
                        except PermissionError:
                            self.log.warning("Could not update permissions of %s to make it groupshared", path)
