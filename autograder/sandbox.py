"""Run a learner's code as another user, who can write nothing but its own scratch folder.

    wrap(argv, workdir=None, *, slot=0) -> argv

returns a command that starts ``argv`` (a Jupyter kernel, or ``python -m autograder.runner``)
through this file, which, running as root:

1. makes (once) a system user ``course-sandbox<slot>`` with no home, no shell, no groups;
2. makes a private scratch folder owned by that user (its HOME, TMPDIR, IPython and matplotlib
   folders), and copies the kernel's connection file (``-f FILE``) and the caller's matplotlib
   font list into it;
3. sets limits (no core files, files of at most 64 MB, at most 256 processes of that user);
4. kills whatever that user still runs (a process left behind by the previous submission);
5. drops to that user (groups, gid, uid: there is no way back) and runs ``argv`` in ``workdir``.

The user owns nothing in the course: with ``protect(course)`` (which removes the permissions
of "other users" from ``solutions/``, ``source/``, ``gradebook.db``, ``submitted/``,
``autograded/``, ``feedback/``, the exchange and the reports), a submission can neither read
the solutions, the gradebook or another submission, nor write to the course's own package
(``autograder/checks/__init__.py``), another student's file or the gradebook.  Each parallel
slot has its own user, so two submissions graded at once cannot signal each other's processes.

Not root: there is no other user to become.  ``wrap`` still gives the process its own scratch
folder and the limits, but the learner's code runs as you and can write wherever you can;
``available()`` says so, and ``course-check class`` prints a warning.  Run the class command as
root (``sudo``, or in a container) to grade untrusted submissions.

When the course's Python sits where the sandbox user cannot reach it (a pyenv or conda under a
private home such as ``/root``), the sandbox runs the same Python version found in ``/usr/bin``
or ``/usr/local/bin`` with the course's ``site-packages`` on its path; without one, it stops and
says which folder to open (``chmod o+x``).  It stops the same way, naming the folder, when the
course's ``site-packages`` is out of the sandbox user's reach (a course cloned into a private
folder, such as one ``mktemp -d`` makes).

Only the standard library here (this file also runs as a script, before any import).
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

USER = "course-sandbox"
PRIVATE_DIR = "@private"   # wrap(..., workdir=PRIVATE_DIR): run in the sandbox's own scratch folder
SCRATCH = os.path.join(tempfile.gettempdir(), f"course-sandbox-{os.geteuid() if hasattr(os, 'geteuid') else 0}")
FILE_LIMIT = 64 * 2 ** 20
PROCESS_LIMIT = 256
# what a submission must not reach: relative to the course root
PRIVATE = ("solutions", "source", "gradebook.db", "gradebook.db-journal", "submitted", "autograded",
           "feedback", ".exchange", "grades.csv", "class_report")


def available():
    """True when submissions can run as another user (this process is root on a POSIX system)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def why_not():
    if not hasattr(os, "geteuid"):
        return "this system has no users to switch between (not POSIX)"
    if os.geteuid() != 0:
        return (f"not running as root (uid {os.geteuid()}): learners' code runs as you and can write "
                f"wherever you can (your course folder, the gradebook, other submissions)")
    return None


def user_name(slot=0):
    return f"{USER}{int(slot)}"


def ensure_user(slot=0):
    """(uid, gid) of the sandbox user of ``slot``, created if missing (root only)."""
    import pwd
    name = user_name(slot)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        proc = subprocess.run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                               "--user-group", name], capture_output=True, text=True)
        if proc.returncode not in (0, 9):  # 9: created meanwhile by another process
            raise RuntimeError(f"could not create the sandbox user {name}: {proc.stderr.strip()}")
        entry = pwd.getpwnam(name)
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise RuntimeError(f"the sandbox user {name} must not be root")
    return entry.pw_uid, entry.pw_gid


def wrap(argv, workdir=None, *, slot=0):
    """``argv`` run through the sandbox (see the module's docstring)."""
    argv = [str(a) for a in argv]
    info = [f"--slot={int(slot)}", f"--workdir={workdir or ''}", f"--python={sys.executable}",
            f"--version={sys.version_info[0]}.{sys.version_info[1]}"]
    for site_dir in _site_dirs():
        info.append(f"--site={site_dir}")
    return [sys.executable, "-I", "-S", os.path.abspath(__file__), *info, "--", *argv]


def _site_dirs():
    import site
    dirs = []
    try:
        dirs += site.getsitepackages()
    except AttributeError:  # pragma: no cover
        pass
    return [d for d in dirs if os.path.isdir(d)]


MADE_BY_GRADING = ("autograded", "feedback")


def protect(course):
    """Remove other users' permissions from what a submission must not reach; returns the paths
    changed.  The folders grading creates are created first, closed.  The course folder itself
    stays readable (the package and the venv may live there)."""
    changed = []
    for name in MADE_BY_GRADING:
        path = os.path.join(course, name)
        if not os.path.lexists(path):
            os.mkdir(path, 0o750)
            changed.append(path)
    for name in PRIVATE:
        path = os.path.join(course, name)
        if os.path.lexists(path) and not os.path.islink(path):
            mode = os.stat(path).st_mode
            if mode & 0o007:
                os.chmod(path, mode & ~0o007)
                if path not in changed:
                    changed.append(path)
    return changed


def give_back(course):
    """As root, hand what grading wrote back to the owner of the course folder (the instructor
    who ran ``sudo course-check class``); returns the paths changed."""
    if not available():
        return []
    st = os.stat(course)
    if st.st_uid == 0:
        return []
    changed = []
    for name in PRIVATE + (".gradebook.lock",):
        path = os.path.join(course, name)
        if not os.path.lexists(path) or os.path.islink(path):
            continue
        for dirpath, dirnames, filenames in os.walk(path) if os.path.isdir(path) else [("", [], [path])]:
            for entry in ([dirpath] if dirpath else []) + [os.path.join(dirpath, f) for f in filenames]:
                if os.lstat(entry).st_uid == 0:
                    os.lchown(entry, st.st_uid, st.st_gid)
                    changed.append(entry)
    return changed


def kill_all(slot=0):
    """Kill every process of the sandbox user of ``slot`` and empty its scratch folders."""
    if not available():
        return
    uid, gid = ensure_user(slot)
    pid = os.fork()
    if pid == 0:  # pragma: no cover (child)
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        os._exit(0)
    os.waitpid(pid, 0)
    shutil.rmtree(os.path.join(SCRATCH, str(int(slot))), ignore_errors=True)


# --- the wrapper, run as a script ------------------------------------------------------------

def _parse(args):
    opts = {"site": []}
    while args and args[0] != "--":
        key, _, value = args.pop(0)[2:].partition("=")
        if key == "site":
            opts["site"].append(value)
        else:
            opts[key] = value
    if args:
        args.pop(0)
    return opts, args


def _own_dir(path):
    """``path`` as a real folder of ours, mode 755 (in /tmp a sandbox user could have planted a
    symlink or a folder of its own there: such a thing is moved aside, never followed)."""
    import stat
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        os.mkdir(path, 0o755)
        st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        os.rename(path, tempfile.mktemp(prefix=os.path.basename(path) + ".planted-", dir=os.path.dirname(path)))
        os.mkdir(path, 0o755)
    os.chmod(path, 0o755)


def _readable_python(executable):
    """Can the current (already dropped) user run ``executable`` and read its standard library?"""
    real = os.path.realpath(executable)
    if not os.access(real, os.X_OK):
        return False
    prefix = os.path.dirname(os.path.dirname(real))
    libs = [os.path.join(prefix, "lib", name) for name in os.listdir(os.path.join(prefix, "lib"))
            if name.startswith("python3")] if os.access(os.path.join(prefix, "lib"), os.R_OK | os.X_OK) else []
    return any(os.access(os.path.join(lib, "os.py"), os.R_OK) for lib in libs)


def _fallback_python(version):
    for folder in ("/usr/bin", "/usr/local/bin", "/opt/python/bin"):
        candidate = os.path.join(folder, f"python{version}")
        if os.path.exists(candidate) and _readable_python(candidate):
            return candidate
    return None


def _shim(folder, site_dirs):
    """A sitecustomize.py that puts the course's site-packages first, .pth files included."""
    shim = os.path.join(folder, "shim")
    os.makedirs(shim, exist_ok=True)
    with open(os.path.join(shim, "sitecustomize.py"), "w", encoding="utf-8") as fh:
        fh.write("import site, sys\n_before = list(sys.path)\n")
        for site_dir in site_dirs:
            fh.write(f"site.addsitedir({site_dir!r})\n")
        fh.write("sys.path[:] = [p for p in sys.path if p not in _before] + _before\n")
    return shim


def font_list():
    """The path of this user's matplotlib font list (``fontlist-*.json`` in ``$MPLCONFIGDIR`` or
    the matplotlib cache folder), or None."""
    roots = [os.environ.get("MPLCONFIGDIR"),
             os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")]
    for root in roots:
        if root and os.path.isdir(root):
            found = sorted(name for name in os.listdir(root) if name.startswith("fontlist-") and name.endswith(".json"))
            if found:
                return os.path.join(root, found[-1])
    return None


def _copy_font_cache(dest):
    """The caller's font list, copied into the sandbox's own matplotlib folder.  Without it
    matplotlib rebuilds the list at import (seconds) by running ``fc-list``, which trusted
    grading refuses (graded code may not start programs)."""
    os.makedirs(dest, exist_ok=True)
    found = font_list()
    if found:
        try:
            shutil.copyfile(found, os.path.join(dest, os.path.basename(found)))
        except OSError:
            pass


def _wrapper(args):  # pragma: no cover (runs as a separate process; tested through the class tests)
    import resource
    opts, argv = _parse(list(args))
    if not argv:
        sys.exit("sandbox: nothing to run")
    slot = int(opts.get("slot", 0))
    root = available()
    uid = gid = None
    if root:
        uid, gid = ensure_user(slot)
    _own_dir(SCRATCH)
    base = os.path.join(SCRATCH, str(slot))
    _own_dir(base)
    private = tempfile.mkdtemp(prefix="run-", dir=base)
    for sub in ("home", "tmp"):
        os.makedirs(os.path.join(private, sub))
    # the kernel's connection file lives in a folder only we can read: give the kernel a copy
    for i, arg in enumerate(argv):
        path = argv[i + 1] if arg == "-f" and i + 1 < len(argv) else (arg[3:] if arg.startswith("-f=") else None)
        if path and os.path.isfile(path):
            copy = os.path.join(private, os.path.basename(path))
            shutil.copyfile(path, copy)
            if arg == "-f":
                argv[i + 1] = copy
            else:
                argv[i] = "-f=" + copy
    home = os.path.join(private, "home")
    _copy_font_cache(os.path.join(home, ".matplotlib"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SUDO_", "SSH_", "XDG_"))}
    env.update(HOME=home, USER=user_name(slot), LOGNAME=user_name(slot), TMPDIR=os.path.join(private, "tmp"),
               IPYTHONDIR=os.path.join(home, ".ipython"), MPLCONFIGDIR=os.path.join(home, ".matplotlib"),
               JUPYTER_RUNTIME_DIR=os.path.join(home, ".runtime"), XDG_CACHE_HOME=os.path.join(home, ".cache"),
               PYTHONDONTWRITEBYTECODE="1")
    if root:
        for dirpath, dirnames, filenames in os.walk(private):
            os.chown(dirpath, uid, gid)
            for name in filenames:
                os.chown(os.path.join(dirpath, name), uid, gid)
        os.chmod(private, 0o700)
    for limit, value in ((resource.RLIMIT_CORE, 0), (resource.RLIMIT_FSIZE, FILE_LIMIT),
                         (getattr(resource, "RLIMIT_NPROC", None), PROCESS_LIMIT)):
        if limit is None:
            continue
        soft, hard = resource.getrlimit(limit)
        new = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(limit, (new, new if root else hard))
        except (ValueError, OSError):
            pass
    python = opts.get("python")
    ours = python and os.path.realpath(shutil.which(argv[0]) or argv[0]) in (
        os.path.realpath(python), os.path.realpath(sys.executable))
    if root:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid:
            sys.exit("sandbox: could not drop to the sandbox user")
        try:  # what the previous submission of this slot left running
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        if ours and not _readable_python(python):
            fallback = _fallback_python(opts.get("version", ""))
            if fallback is None:
                sys.exit(f"sandbox: the user {user_name(slot)} cannot run {python} (a folder on its path "
                         f"is private, e.g. a home folder). Make it reachable (chmod o+x on that "
                         f"folder), install Python {opts.get('version')} in /usr/bin, or grade "
                         f"with --no-sandbox.")
            argv[0] = fallback
            env["PYTHONPATH"] = os.pathsep.join([_shim(home, opts["site"])] +
                                                 [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        hidden = [d for d in opts.get("site", []) if not os.access(d, os.R_OK | os.X_OK)]
        if hidden:
            sys.exit(f"sandbox: the user {user_name(slot)} cannot read the course's packages in {hidden[0]} "
                     f"(a folder on its path is private, e.g. one made by mktemp -d). Make it reachable "
                     f"(chmod o+x on that folder), or grade with --no-sandbox.")
    workdir = opts.get("workdir")
    if workdir == PRIVATE_DIR:
        workdir = home
    if workdir:
        os.chdir(workdir)
    os.execvpe(argv[0], argv, env)


if __name__ == "__main__":  # pragma: no cover
    _wrapper(sys.argv[1:])
