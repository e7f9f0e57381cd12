"""Run a learner's code where it can reach nothing of the course but what it must run
(long: run by path as root, with ``-I -S``, it imports nothing of the course and so is one
self-contained file).

    wrap(argv, workdir=None, *, slot=0, learner=False) -> argv

returns a command that starts ``argv`` (a Jupyter kernel, ``python -m autograder.grading.runner``, or
trusted grading's learner process) through this file, which, running as root, stays alive as a
supervisor W and starts the program in layers, each one used where this machine allows it
(``layers()`` says which; docs/integrity.md says which layer stops what):

* **user**: a system user ``course-sandbox<slot>`` of its own (no home, no shell, no groups), with
  a clean environment (nothing of the instructor's variables);
* **view**: a private mount namespace in which the whole file system is read-only, the course's
  folder (its ``.git``, ``solutions/``, the gradebook, every submission) and every folder the
  sandbox user could not enter anyway (a private home such as ``/root``) are covered by empty
  folders, and only what the program must run is shown again, read-only: the Python
  installation, the packages, and (not for trusted grading's learner process, ``learner=True``)
  the course's ``autograder`` package.  ``/tmp``, ``/var/tmp``, ``/dev/shm`` and ``/run/lock`` are
  private, size-limited memory folders: whatever the submission writes is gone when it ends, and
  nothing of another submission is there;
* **pid**: a private process namespace: the program sees and can signal only its own processes,
  and every process it started dies with it (no daemon outlives a submission);
* **ipc** (and, with ``learner=True``, **net**: no network at all);
* **cgroup**: its processes (128), memory (a quarter of the machine's, at most 4 GiB) and an equal
  CPU share, through the cgroup controllers when this process may write them;
* **limits**: no core files, files of at most 64 MB, at most 256 processes of that user, and an
  out-of-memory score that makes the kernel's OOM killer pick the submission, not the grader.

Where a layer is missing the program still runs with the others: without the view, the course's
private parts are closed by permissions (``protect(course)``), the scratch folder is in the real
``/tmp`` and ``kill_all`` empties it; without the pid namespace, ``kill_all`` kills the user's
processes, and each slot is *leased* (a lock per slot) so that two class runs on one machine never
share a sandbox user.  Not root: there is no other user to become; ``wrap`` still gives the
process its own scratch folder and the limits, but the learner's code runs as you;
``available()`` says so, and ``course-check class`` prints a warning.

Only the standard library here (this file also runs as a script, before any import).
"""
import os
import signal
import sys

USER = "course-sandbox"
PRIVATE_DIR = "@private"   # wrap(..., workdir=PRIVATE_DIR): run in the sandbox's own scratch folder


def _tempdir():
    """tempfile.gettempdir() without importing tempfile (this file is the start of every
    sandboxed program: each import costs time there)."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        if os.environ.get(name) and os.path.isdir(os.environ[name]):
            return os.environ[name]
    return "/tmp"


SCRATCH = os.path.join(_tempdir(), f"course-sandbox-{os.geteuid() if hasattr(os, 'geteuid') else 0}")
FILE_LIMIT = 64 * 2 ** 20
PROCESS_LIMIT = 256
PIDS_LIMIT = 128                 # processes and threads of one sandboxed program (cgroup)
# the private memory folders of the view, and their sizes
SCRATCH_MOUNTS = (("/tmp", 256 << 20), ("/var/tmp", 64 << 20), ("/dev/shm", 64 << 20), ("/run/lock", 1 << 20))
LEASE_ENV = "AUTOGRADER_SANDBOX_LEASED"      # slots whose lease the caller holds (comma-separated)
# what a submission must not reach: relative to the course root
PRIVATE = ("solutions", "source", "gradebook.db", "gradebook.db-journal", "submitted", "autograded",
           "feedback", ".exchange", "grades.csv", "class_report")
# the environment a sandboxed program gets from its caller: nothing else (no instructor's secrets)
ENV_KEEP = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM", "MPLBACKEND", "PYTHONHASHSEED", "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "PYDEVD_DISABLE_FILE_VALIDATION")
ENV_PREFIXES = ("LC_", "JPY_", "AUTOGRADER_")
HIDDEN = []                      # more course folders to cover (``hide``), besides this package's


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
        import shutil
        import subprocess
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        proc = subprocess.run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                               "--user-group", name], capture_output=True, text=True)
        if proc.returncode not in (0, 9):  # 9: created meanwhile by another process
            raise RuntimeError(f"could not create the sandbox user {name}: {proc.stderr.strip()}")
        entry = pwd.getpwnam(name)
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise RuntimeError(f"the sandbox user {name} must not be root")
    return entry.pw_uid, entry.pw_gid


def hide(path):
    """Cover ``path`` (a course folder: its solutions, gradebook, submissions) in every view made
    from now on by this process and the processes it forks."""
    path = os.path.realpath(str(path))
    if path not in HIDDEN:
        HIDDEN.append(path)


def course_root():
    """The folder this package was installed from, when it is a course's checkout (not a
    site-packages folder): it is covered in every view."""
    here = os.path.dirname(package_dir())
    markers = ("solutions", "nbgrader_config.py", ".git", "pyproject.toml")
    if any(os.path.exists(os.path.join(here, m)) for m in markers) and here not in _site_dirs() \
            and here not in ("/", "/usr", "/usr/local", "/opt"):
        return here
    return None


def package_dir():
    return os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def wrap(argv, workdir=None, *, slot=0, learner=False, hide=(), use=None):
    """``argv`` run through the sandbox (see the module's docstring).  ``learner=True``: trusted
    grading's learner process, which needs neither the course's package nor a network;
    ``hide``: more folders to cover; ``use``: the layers to use (default: every one this machine
    allows; the tests use fewer to prove what each of the others does)."""
    argv = [str(a) for a in argv]
    info = [f"--slot={int(slot)}", f"--workdir={workdir or ''}", f"--python={sys.executable}",
            f"--version={sys.version_info[0]}.{sys.version_info[1]}"]
    for site_dir in _site_dirs():
        info.append(f"--site={site_dir}")
    for path in _python_dirs():
        info.append(f"--expose={path}")
    if not learner:
        info.append(f"--expose={package_dir()}")
    else:
        info.append("--learner=1")
    for path in [course_root()] + HIDDEN + [os.path.realpath(str(h)) for h in hide]:
        if path:
            info.append(f"--hide={path}")
    allowed = [k for k, v in layers().items() if v is True and (use is None or k in use)]
    info.append("--layers=" + ",".join(allowed))
    return [sys.executable, "-I", "-S", os.path.abspath(__file__), *info, "--", *argv]


def _site_dirs():
    import site
    dirs = []
    try:
        dirs += site.getsitepackages()
    except AttributeError:  # pragma: no cover
        pass
    return [os.path.realpath(d) for d in dirs if os.path.isdir(d)]


def _python_dirs():
    """The folders a Python program of this installation needs: the environment (a venv: its
    ``bin`` and ``pyvenv.cfg``) and the installation it was made from (the standard library)."""
    dirs = []
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        real = os.path.realpath(prefix)
        if os.path.isdir(real) and real not in ("/", "/usr") and real not in dirs:
            dirs.append(real)
    real_exe = os.path.dirname(os.path.realpath(sys.executable))
    if real_exe not in ("/usr/bin", "/bin") and not any(real_exe.startswith(d + os.sep) for d in dirs):
        dirs.append(real_exe)
    return dirs


MADE_BY_GRADING = ("autograded", "feedback")


def protect(course):
    """Remove other users' permissions from what a submission must not reach; returns the paths
    changed.  The folders grading creates are created first, closed.  The course folder itself
    stays readable (the package and the venv may live there).  A second layer: with the view,
    the sandbox sees none of the course's folder anyway."""
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
    for name in PRIVATE + (".gradebook.lock", ".class-run.lock"):
        path = os.path.join(course, name)
        if not os.path.lexists(path) or os.path.islink(path):
            continue
        for dirpath, dirnames, filenames in os.walk(path) if os.path.isdir(path) else [("", [], [path])]:
            for entry in ([dirpath] if dirpath else []) + [os.path.join(dirpath, f) for f in filenames]:
                if os.lstat(entry).st_uid == 0:
                    os.lchown(entry, st.st_uid, st.st_gid)
                    changed.append(entry)
    return changed


# --- leases: two runs never share a sandbox user -------------------------------------------------

def _lease_dir():
    for base in ("/run", _tempdir()):
        path = os.path.join(base, "course-sandbox-leases")
        try:
            os.makedirs(path, 0o700, exist_ok=True)
            st = os.lstat(path)
            if st.st_uid == os.geteuid() and not os.path.islink(path):
                os.chmod(path, 0o700)
                return path
        except OSError:
            continue
    raise RuntimeError("no folder for the sandbox's slot leases")


def try_lease(slot):
    """The lock of ``slot`` (a file descriptor), or None when another process holds it."""
    import fcntl
    fd = os.open(os.path.join(_lease_dir(), f"slot{int(slot)}.lock"), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def lease(count, *, first=0, limit=1000):
    """Lease ``count`` free slots for this process and its children: [(slot, fd)].  Whatever the
    user of a slot still runs was left by a run that has ended (it held the lease): killed first."""
    held = []
    for slot in range(first, first + limit):
        if len(held) == count:
            break
        fd = try_lease(slot)
        if fd is not None:
            held.append((slot, fd))
    if len(held) < count:
        for _, fd in held:
            os.close(fd)
        raise RuntimeError(f"only {len(held)} of {count} sandbox slots are free")
    slots = [s for s, _ in held]
    os.environ[LEASE_ENV] = ",".join(str(s) for s in slots)
    if available():
        for slot in slots:
            ensure_user(slot)
            kill_all(slot, leased=True)
    return held


def release(held):
    for _, fd in held:
        try:
            os.close(fd)
        except OSError:
            pass
    os.environ.pop(LEASE_ENV, None)


def _leased_by_caller(slot):
    return str(int(slot)) in os.environ.get(LEASE_ENV, "").split(",")


def kill_all(slot=0, leased=None, processes=None):
    """Between two submissions of a slot, by the holder of its lease (another run could be using
    it otherwise): what the user of ``slot`` still runs (``processes``; by default only without
    the pid layer: with it nothing outlives its program) and what it wrote in the shared folders."""
    if not available():
        return
    if leased is None:
        leased = _leased_by_caller(slot)
    if not leased:
        return
    uid, gid = ensure_user(slot)
    if processes or (processes is None and layers().get("pid") is not True):
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
    import shutil
    shutil.rmtree(os.path.join(SCRATCH, str(int(slot))), ignore_errors=True)
    sweep(uid)


def sweep(uid, roots=("/tmp", "/var/tmp", "/dev/shm", "/run/lock")):
    """Remove what ``uid`` left in the shared scratch folders (top-level entries it owns)."""
    import shutil
    removed = []
    for root in roots:
        try:
            entries = os.scandir(root)
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.stat(follow_symlinks=False).st_uid != uid:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)
                    removed.append(entry.path)
                except OSError:
                    continue
    return removed


# --- which layers this machine allows ----------------------------------------------------------------

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x08000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_PDEATHSIG = 1
CGROUP_CONTROLLERS = ("pids", "memory", "cpu")

_LAYERS = {}


def _libc():
    import ctypes
    return ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    import ctypes
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _unshare(libc, flags, what):
    _check(libc.unshare(flags), f"unshare({what})")


def _mount(libc, source, target, fstype, flags, data=None):
    enc = (lambda s: None if s is None else os.fsencode(s))
    _check(libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def layers():
    """{layer: True or the reason it is missing} for this machine and this process (cached):
    user, view, pid, ipc, net, cgroup, limits."""
    if _LAYERS:
        return dict(_LAYERS)
    found = {"limits": True}
    if not available():
        found.update(user=why_not(), view="not root", pid="not root", ipc="not root", net="not root",
                     cgroup="not root")
        _LAYERS.update(found)
        return dict(found)
    found["user"] = True
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (child: probes namespaces without touching this process)
        os.close(r)
        out = {}
        try:
            libc = _libc()
            for name, flag in (("view", CLONE_NEWNS), ("ipc", CLONE_NEWIPC), ("net", CLONE_NEWNET)):
                try:
                    _unshare(libc, flag, name)
                    out[name] = True
                except OSError as exc:
                    out[name] = str(exc)
            if out.get("view") is True:
                try:
                    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
                    _mount(libc, "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
                    _mount(libc, None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY)
                except OSError as exc:
                    out["view"] = str(exc)
            try:
                _unshare(libc, CLONE_NEWPID, "pid")
                child = os.fork()
                if child == 0:
                    os._exit(0 if os.getpid() == 1 else 1)
                _, status = os.waitpid(child, 0)
                out["pid"] = True if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else "no pid 1"
            except OSError as exc:
                out["pid"] = str(exc)
        except Exception as exc:
            out.setdefault("view", str(exc))
        os.write(w, repr(out).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    import ast
    try:
        probed = ast.literal_eval(data.decode() or "{}")
    except (ValueError, SyntaxError):
        probed = {}
    for name in ("view", "pid", "ipc", "net"):
        found[name] = probed.get(name, "the probe failed")
    found["cgroup"] = _cgroup_probe()
    _LAYERS.update(found)
    return dict(found)


def describe_layers(found=None):
    """One line: the layers in use, and the missing ones with why."""
    found = layers() if found is None else found
    on = [k for k, v in found.items() if v is True]
    off = [f"{k} ({v})" for k, v in found.items() if v is not True]
    return "layers: " + ", ".join(on) + (("; missing: " + "; ".join(off)) if off else "")


# --- cgroups ------------------------------------------------------------------------------------------

def _own_cgroups():
    """{controller: folder of this process's cgroup} for the v1 controllers we use that are
    mounted, or {"unified": folder} on a cgroup v2 machine."""
    found = {}
    try:
        with open("/proc/self/cgroup", encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return found
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        for c in controllers.split(","):
            if c in CGROUP_CONTROLLERS:
                base = os.path.join("/sys/fs/cgroup", c)
                if os.path.isdir(base):
                    found[c] = os.path.join(base, path.lstrip("/"))
        if controllers == "" and os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            found.setdefault("unified", os.path.join("/sys/fs/cgroup", path.lstrip("/")))
    return found


def _cgroup_probe():
    own = _own_cgroups()
    if not own:
        return "no cgroup controller is mounted"
    if "unified" in own and len(own) == 1:
        path = own["unified"]
        try:
            with open(os.path.join(path, "cgroup.subtree_control")) as fh:
                enabled = fh.read().split()
        except OSError as exc:
            return f"cgroup v2: {exc.strerror}"
        if "pids" not in enabled:
            return "cgroup v2 without the pids controller delegated to this process's cgroup"
    probe = None
    try:
        base = own.get("pids") or own.get("unified")
        probe = os.path.join(base, f"course-sandbox-probe-{os.getpid()}")
        os.mkdir(probe)
        return True
    except OSError as exc:
        return f"cannot create a cgroup ({exc.strerror})"
    finally:
        if probe:
            try:
                os.rmdir(probe)
            except OSError:
                pass


def memory_limit():
    """A quarter of the machine's memory, between 1 and 4 GiB: one sandboxed program's share
    (``AUTOGRADER_SANDBOX_MEMORY_MB`` sets another)."""
    try:
        return int(os.environ["AUTOGRADER_SANDBOX_MEMORY_MB"]) << 20
    except (KeyError, ValueError):
        pass
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            total = int(next(line for line in fh if line.startswith("MemTotal:")).split()[1]) * 1024
    except (OSError, StopIteration, ValueError):
        total = 8 << 30
    return max(1 << 30, min(4 << 30, total // 4))


class _Cgroup:
    """The cgroups of one sandboxed program (v1: pids, memory, cpu; v2: one folder)."""

    def __init__(self, name):
        self.dirs, self.error = [], None
        own = _own_cgroups()
        limits = {"pids": {"pids.max": str(PIDS_LIMIT)},
                  "memory": {"memory.limit_in_bytes": str(memory_limit())},
                  "cpu": {"cpu.shares": "1024"},
                  "unified": {"pids.max": str(PIDS_LIMIT), "memory.max": str(memory_limit())}}
        for controller, base in own.items():
            _clean_stale(base)
            path = os.path.join(base, name)
            try:
                os.mkdir(path)
            except OSError as exc:
                self.error = f"{controller}: {exc.strerror}"
                continue
            self.dirs.append(path)
            for key, value in limits.get(controller, {}).items():
                try:
                    with open(os.path.join(path, key), "w") as fh:
                        fh.write(value)
                except OSError:
                    pass

    def add(self, pid):
        for path in self.dirs:
            try:
                with open(os.path.join(path, "cgroup.procs"), "w") as fh:
                    fh.write(str(pid))
            except OSError:
                pass

    def members(self):
        pids = set()
        for path in self.dirs:
            try:
                with open(os.path.join(path, "cgroup.procs")) as fh:
                    pids.update(int(x) for x in fh.read().split())
            except (OSError, ValueError):
                pass
        return pids

    def remove(self, seconds=5.0):
        """Kill whatever is still in the cgroup (a process that left the program's process group)
        and remove the folders."""
        import time
        deadline = time.monotonic() + seconds
        while self.dirs and time.monotonic() < deadline:
            for pid in self.members():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            left = []
            for path in self.dirs:
                try:
                    os.rmdir(path)
                except FileNotFoundError:
                    pass
                except OSError:
                    left.append(path)
            self.dirs = left
            if left:
                time.sleep(0.01)


def _clean_stale(base):
    """Remove the empty cgroups of sandboxed programs whose supervisor is gone."""
    try:
        names = [n for n in os.listdir(base) if n.startswith("course-sandbox-") and n[15:].isdigit()]
    except OSError:
        return
    for name in names:
        if not os.path.exists(f"/proc/{name[15:]}"):
            try:
                os.rmdir(os.path.join(base, name))
            except OSError:
                pass


# --- the wrapper, run as a script ------------------------------------------------------------

def _parse(args):
    opts = {"site": [], "expose": [], "hide": []}
    while args and args[0] != "--":
        key, _, value = args.pop(0)[2:].partition("=")
        if key in ("site", "expose", "hide"):
            opts[key].append(value)
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
        import tempfile
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


def _read_small(path, limit=16 << 20):
    try:
        with open(path, "rb") as fh:
            return fh.read(limit)
    except OSError:
        return None


def _traversable(path, uid, gid):
    """Can ``uid`` (group ``gid``, no other groups) enter the folder ``path``?"""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if st.st_uid == uid:
        return bool(st.st_mode & 0o100)
    if st.st_gid == gid:
        return bool(st.st_mode & 0o010)
    return bool(st.st_mode & 0o001)


def _under(path, root):
    return path == root or path.startswith(root.rstrip("/") + "/")


def _mountinfo():
    """[(mount point, options)] of this mount namespace, in order."""
    def unescape(s):
        import re
        return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)
    found = []
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 6:
                    found.append((unescape(parts[4]), parts[5].split(",")))
    except OSError:
        pass
    return found


class _View:
    """The private, read-only view of the file system (in the current process, which has just
    left its caller's mount namespace)."""

    def __init__(self, libc, uid, gid, expose, hide, scratch_mounts=SCRATCH_MOUNTS):
        self.libc, self.uid, self.gid = libc, uid, gid
        self.expose = []                       # (path, fd) shown again, read-only
        for path in expose:
            real = os.path.realpath(path)
            if not os.path.exists(real) or any(real == p for p, _ in self.expose):
                continue
            self.expose.append((real, os.open(real, os.O_PATH | os.O_CLOEXEC)))
        self.hide = [os.path.realpath(h) for h in hide if h and os.path.isdir(h)]
        self.scratch = [(p, size) for p, size in scratch_mounts
                        if os.path.isdir(p) and not os.path.islink(p)]
        self.covers = []

    def build(self):
        libc = self.libc
        _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
        # 1. everything read-only (each mount point: a bind remount keeps its other flags)
        flag_of = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}
        for point, options in _mountinfo():
            if point == "/proc" or point.startswith("/proc/"):
                continue
            flags = MS_BIND | MS_REMOUNT | MS_RDONLY
            for opt in options:
                flags |= flag_of.get(opt, 0)
            try:
                _mount(libc, None, point, None, flags)
            except OSError:
                if point == "/":
                    raise
        # 2. covers: the private memory folders, the course's folders, and the folders the
        # sandbox user cannot enter on the way to something it must run
        covers = [(p, f"size={size},mode=1777", True) for p, size in self.scratch]
        covers += [(h, "size=1m,mode=755", False) for h in self.hide]
        for path, _ in self.expose:
            parts = path.strip("/").split("/")
            for i in range(1, len(parts)):
                ancestor = "/" + "/".join(parts[:i])
                if not _traversable(ancestor, self.uid, self.gid):
                    covers.append((ancestor, "size=1m,mode=755", False))
                    break
        done = []
        for path, data, writable in sorted(set(covers), key=lambda c: c[0].count("/")):
            if any(_under(path, d) for d, _ in done):
                continue       # already gone under a cover
            _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | (0 if writable else MS_NOEXEC), data)
            done.append((path, writable))
        self.covers = done
        # 3. what must run, shown again where a cover hid it
        for path, fd in sorted(self.expose, key=lambda e: e[0].count("/")):
            st = os.fstat(fd)
            try:
                here = os.stat(path)
                if (here.st_dev, here.st_ino) == (st.st_dev, st.st_ino):
                    continue
            except OSError:
                pass
            self._mountpoint(path, os.path.isdir(f"/proc/self/fd/{fd}"))
            _mount(libc, f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            _mount(libc, None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        for _, fd in self.expose:
            os.close(fd)

    def _mountpoint(self, path, is_dir):
        parts = path.strip("/").split("/")
        current = ""
        for i, part in enumerate(parts):
            current += "/" + part
            last = i == len(parts) - 1
            if os.path.lexists(current):
                continue
            if last and not is_dir:
                os.close(os.open(current, os.O_CREAT | os.O_WRONLY, 0o644))
            else:
                os.mkdir(current, 0o755)

    def seal(self):
        """The covers of hidden folders read-only too (the memory folders stay writable)."""
        for path, writable in self.covers:
            if not writable:
                _mount(self.libc, None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _clean_env(slot, home, tmp):
    env = {k: v for k, v in os.environ.items() if k in ENV_KEEP or k.startswith(ENV_PREFIXES)}
    env.pop(LEASE_ENV, None)
    # ipykernel watches the process named here and stops when its parent is no longer it: in a pid
    # namespace the kernel's parent is the namespace's first process, so it would stop at once
    env.pop("JPY_PARENT_PID", None)
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update(HOME=home, USER=user_name(slot), LOGNAME=user_name(slot), TMPDIR=tmp,
               IPYTHONDIR=os.path.join(home, ".ipython"), MPLCONFIGDIR=os.path.join(home, ".matplotlib"),
               JUPYTER_RUNTIME_DIR=os.path.join(home, ".runtime"), XDG_CACHE_HOME=os.path.join(home, ".cache"),
               PYTHONDONTWRITEBYTECODE="1")
    return env


def _set_limits(root):
    import resource
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
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:   # the OOM killer picks the submission
            fh.write("1000")
    except OSError:
        pass


def _which(name):
    if "/" in name:
        return name
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return name


def _quiet_handler(signum, frame):
    pass


def _wrapper(args):  # pragma: no cover (runs as a separate process; tested through test_sandbox)
    parent = os.getppid()
    opts, argv = _parse(list(args))
    if not argv:
        sys.exit("sandbox: nothing to run")
    slot = int(opts.get("slot", 0))
    root = available()
    uid = gid = None
    if root:
        uid, gid = ensure_user(slot)
    # the layers this machine allows, as the caller found them (a probe here would cost each start)
    found = {k: True for k in opts["layers"].split(",") if k} if "layers" in opts else layers()
    isolated = root and found.get("pid") is True
    lease_fd = None
    if root and not isolated and not _leased_by_caller(slot):
        lease_fd = _wait_lease(slot)
    # W: the supervisor.  It stays in its caller's namespaces, puts C into the cgroups, and
    # gives its caller C's (that is, the program's) exit status.
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, _quiet_handler)    # a signal to the process group reaches the program itself
    cgroup = _Cgroup(f"course-sandbox-{os.getpid()}") if root and found.get("cgroup") is True else None
    libc = _libc() if root else None
    if isolated:
        _unshare(libc, CLONE_NEWPID, "pid")
    go_r, go_w = os.pipe()
    st_r, st_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(go_w)
        os.close(st_r)
        try:
            _child(opts, argv, slot, root, uid, gid, found, isolated, libc, go_r, st_w)
        except BaseException as exc:   # pragma: no cover
            try:
                os.write(2, f"sandbox: {type(exc).__name__}: {exc}\n".encode())
            except OSError:
                pass
        os._exit(70)
    os.close(go_r)
    os.close(st_w)

    def stop(signum, frame):
        try:
            os.kill(child, signal.SIGKILL)
        except OSError:
            pass
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    if cgroup is not None:
        cgroup.add(child)
    os.write(go_w, b"go")
    os.close(go_w)
    status = _supervise(child, parent)
    reported = b""
    while True:
        try:
            chunk = os.read(st_r, 64)
        except InterruptedError:
            continue
        if not chunk:
            break
        reported += chunk
    if reported.strip().lstrip(b"-").isdigit():
        status = int(reported)
    if cgroup is not None:
        cgroup.remove()
    if lease_fd is not None:
        os.close(lease_fd)
    if os.WIFSIGNALED(status):     # the caller sees the program's own death (-9: memory, a kill)
        sig = os.WTERMSIG(status)
        if sig not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70)


def _supervise(child, parent):
    """Wait for C; if W's own parent goes away first (a class run killed), C is killed: nothing of
    the program outlives the run that started it."""
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD])
    killed = False
    while True:
        pid, status = os.waitpid(child, os.WNOHANG)
        if pid == child:
            return status
        if not killed and os.getppid() != parent:
            killed = True
            try:
                os.kill(child, signal.SIGKILL)
            except OSError:
                pass
        signal.sigtimedwait([signal.SIGCHLD], 1.0)


def _wait_lease(slot, seconds=600.0):
    import time
    deadline, told = time.monotonic() + seconds, False
    while True:
        fd = try_lease(slot)
        if fd is not None:
            return fd
        if not told:
            os.write(2, f"sandbox: waiting for slot {slot}, which another run is using\n".encode())
            told = True
        if time.monotonic() > deadline:
            sys.exit(f"sandbox: slot {slot} stayed in use by another run for {seconds:g} s")
        time.sleep(0.2)


def _child(opts, argv, slot, root, uid, gid, found, isolated, libc, go_r, st_w):  # pragma: no cover
    """C: in the new namespaces (pid 1 of its own with the pid layer): builds the view, starts the
    program as the sandbox user, reaps, and reports the program's exit status to W."""
    if root:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.read(go_r, 2) != b"go":       # W is gone
        os._exit(70)
    os.close(go_r)
    learner = opts.get("learner") == "1"
    # what the program is given: the kernel's connection file, the caller's matplotlib font list
    conn = None
    for i, arg in enumerate(argv):
        path = argv[i + 1] if arg == "-f" and i + 1 < len(argv) else (arg[3:] if arg.startswith("-f=") else None)
        if path and os.path.isfile(path):
            conn = (i, arg == "-f", os.path.basename(path), _read_small(path))
    fonts = font_list()
    fonts = (os.path.basename(fonts), _read_small(fonts)) if fonts else None
    view = None
    if root and found.get("view") is True:
        expose = list(opts["expose"]) + list(opts["site"])
        # paths named on the command line (trusted grading's host folder): shown, read-only
        expose += [a for a in argv[1:] if a.startswith("/") and os.path.isdir(a)]
        _unshare(libc, CLONE_NEWNS, "mount")
        for flag, name, wanted in ((CLONE_NEWIPC, "ipc", True), (CLONE_NEWNET, "net", learner)):
            if wanted and found.get(name) is True:
                _unshare(libc, flag, name)
        view = _View(libc, uid, gid, expose, opts["hide"])
        view.build()
        if isolated:
            try:
                _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            except OSError:
                pass
        private = "/tmp/sandbox"
        os.mkdir(private, 0o700)
    else:
        _own_dir(SCRATCH)
        base = os.path.join(SCRATCH, str(slot))
        _own_dir(base)
        import tempfile
        private = tempfile.mkdtemp(prefix="run-", dir=base)
    home, tmp = os.path.join(private, "home"), os.path.join(private, "tmp")
    for folder in (home, tmp, os.path.join(home, ".matplotlib")):
        os.makedirs(folder, exist_ok=True)
    if conn is not None and conn[3] is not None:
        i, separate, name, data = conn
        copy = os.path.join(private, name)
        with open(copy, "wb") as fh:
            fh.write(data)
        if separate:
            argv[i + 1] = copy
        else:
            argv[i] = "-f=" + copy
    if fonts is not None and fonts[1] is not None:
        with open(os.path.join(home, ".matplotlib", fonts[0]), "wb") as fh:
            fh.write(fonts[1])
    env = _clean_env(slot, home, tmp)
    if root:
        for dirpath, dirnames, filenames in os.walk(private):
            os.chown(dirpath, uid, gid)
            for name in filenames:
                os.chown(os.path.join(dirpath, name), uid, gid)
        os.chmod(private, 0o700)
    if view is not None:
        view.seal()
    python = opts.get("python")
    ours = python and os.path.realpath(_which(argv[0])) in (
        os.path.realpath(python), os.path.realpath(sys.executable))
    workdir = opts.get("workdir")
    if workdir == PRIVATE_DIR or (workdir and not os.path.isdir(workdir)):
        workdir = home
    elif not workdir:
        workdir = os.getcwd() if view is None else home   # the caller's folder is not in the view
    program = os.fork()
    if program == 0:
        try:
            _set_limits(root)
            if root:
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
                if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid:
                    sys.exit("sandbox: could not drop to the sandbox user")
                libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
                try:  # what the previous submission of this slot left running (outside a pid namespace)
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
                    env["PYTHONPATH"] = _shim(home, opts["site"])
                hidden = [d for d in opts.get("site", []) if not os.access(d, os.R_OK | os.X_OK)]
                if hidden:
                    sys.exit(f"sandbox: the user {user_name(slot)} cannot read the course's packages in {hidden[0]} "
                             f"(a folder on its path is private, e.g. one made by mktemp -d). Make it reachable "
                             f"(chmod o+x on that folder), or grade with --no-sandbox.")
            os.chdir(workdir)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.execvpe(argv[0], argv, env)
        except SystemExit as exc:
            os.write(2, (str(exc.code) + "\n").encode())
            os._exit(71)
        except BaseException as exc:
            os.write(2, f"sandbox: {type(exc).__name__}: {exc}\n".encode())
            os._exit(71)
    # reap every process until the program ends (as pid 1, orphans are ours to reap)
    status = 0
    while True:
        try:
            pid, st = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == program:
            status = st
            break
    os.write(st_w, str(status).encode())
    os._exit(0)


if __name__ == "__main__":  # pragma: no cover
    _wrapper(sys.argv[1:])
