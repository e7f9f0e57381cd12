#!/usr/bin/env python3
"""Set up the course on one Linux machine for JupyterHub (run as root).

    python3 deploy/hub/provision.py install          # hub venv + proxy + config in $PREFIX
    python3 deploy/hub/provision.py users --instructor ana --learner kim --learner lee
    python3 deploy/hub/provision.py exchange /srv/backprop-course/exchange
    python3 deploy/hub/provision.py course           # the course folder of the grader account
    jupyterhub -f deploy/hub/jupyterhub_config.py    # with $PREFIX/venv/bin first on PATH

Every step is idempotent: run it again and it does only what is missing.
What goes where (all paths can be changed, see --help and jupyterhub_config.py):

    $PREFIX/venv          JupyterHub, JupyterLab, nbgrader and the course package (autograder),
                          in a venv made from a Python every user can run
    $PREFIX/node          configurable-http-proxy, from the npm registry
    $PREFIX/venv/etc/jupyter/nbgrader_config.py   course id, exchange, gradebook URL (everyone)
    $PREFIX/etc/jupyter-user-server/              users' own servers: no formgrader, no create-assignment
    /home/<grader>/course the course folder (nbgrader_config.py, solutions/, notebooks/), owned by
                          the grader account and shared with the instructors' Unix group

tests/course/test_hub.py uses these functions to build a throw-away class on this machine.
"""
import argparse
import fcntl
import grp
import hashlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

PREFIX = Path(os.environ.get("COURSE_HUB_PREFIX", "/opt/backprop-course-hub"))
COURSE_ID = "backprop-from-first-principles"
INSTRUCTORS_GROUP = "bp-instructors"
LEARNERS_GROUP = "bp-learners"
GRADER = "bp-grader"
# Marks the accounts made here, so remove_user never deletes anyone else's.
GECOS = "backprop-course account"

# The hub's own packages; the course package brings jupyterlab, nbgrader, numpy, matplotlib.
HUB_PACKAGES = ["jupyterhub>=5.3", "psycopg[binary]>=3.1"]
PROXY_PACKAGE = "configurable-http-proxy@5"


class Unavailable(RuntimeError):
    """Something this machine cannot provide (no npm, no apt, no root): the reason says what."""


def log(msg):
    print(f"[provision] {msg}", flush=True)


def run(cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run([str(c) for c in cmd], **kw)


@contextmanager
def locked(path):
    """One installer at a time (two test runs, or a test and a human)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def require_root():
    if os.geteuid() != 0:
        raise Unavailable("needs root: it creates local Unix users and runs their servers as them")


# ---------------------------------------------------------------- packages

def apt_install(*packages):
    """Debian packages, installed only if missing (dpkg -s)."""
    missing = [p for p in packages
               if run(["dpkg", "-s", p], check=False, capture_output=True).returncode != 0]
    if not missing:
        return
    if not shutil.which("apt-get"):
        raise Unavailable(f"apt-get not found, cannot install {' '.join(missing)}")
    log(f"apt-get install {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    proc = run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing], env=env,
               check=False, capture_output=True, text=True)
    if proc.returncode != 0:  # stale package lists on a fresh machine: update once, retry
        run(["apt-get", "update", "-q"], env=env, check=False, capture_output=True)
        proc = run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing], env=env,
                   check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        raise Unavailable(f"apt-get install {' '.join(missing)} failed: {proc.stderr.strip()[-500:]}")


def runs_as_nobody(python):
    """True if an unprivileged user can start this interpreter (a pyenv under /root cannot)."""
    proc = run(["runuser", "-u", "nobody", "--", python, "-c", "import venv, sys; sys.exit(sys.version_info < (3, 11))"],
               check=False, capture_output=True)
    return proc.returncode == 0


def base_python():
    """A Python 3.11+ that every user can run: this one if it can, else Debian's python3."""
    for candidate in (os.environ.get("COURSE_HUB_PYTHON"), os.path.realpath(sys.executable), "/usr/bin/python3"):
        if candidate and Path(candidate).exists() and runs_as_nobody(candidate):
            return candidate
    apt_install("python3", "python3-venv")
    if runs_as_nobody("/usr/bin/python3"):
        return "/usr/bin/python3"
    raise Unavailable("no Python 3.11 or newer that an unprivileged user can run")


def course_fingerprint(repo):
    """Changes whenever the course package or its dependencies change."""
    h = hashlib.sha256()
    for path in sorted([repo / "pyproject.toml", *(repo / "autograder").rglob("*")]):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(repo)).encode())
            h.update(path.read_bytes())
    h.update(repr(HUB_PACKAGES).encode())
    return h.hexdigest()


def install_venv(prefix=PREFIX, repo=REPO):
    venv = prefix / "venv"
    stamp = venv / ".course-installed"
    fingerprint = course_fingerprint(repo)
    if stamp.exists() and stamp.read_text() == fingerprint:
        return venv
    if not (venv / "bin" / "python").exists():
        python = base_python()
        log(f"venv {venv} from {python}")
        run([python, "-m", "venv", venv])
        run([venv / "bin/python", "-m", "pip", "install", "-q", "--upgrade", "pip"])
    log("pip install " + " ".join(HUB_PACKAGES) + f" {repo}")
    # Not editable: learners' kernels import autograder from here, and the clone may sit where
    # they cannot read (/root).  Built from a copy, so the clone gets no build/ folder; the course
    # is reinstalled whenever it changed (the fingerprint), so new checks land.
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "course"
        src.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (repo / name).exists():
                shutil.copy(repo / name, src / name)
        shutil.copytree(repo / "autograder", src / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
        run([venv / "bin/python", "-m", "pip", "install", "-q", *HUB_PACKAGES, src])
        run([venv / "bin/python", "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", src])
    stamp.write_text(fingerprint)
    return venv


def install_proxy(prefix=PREFIX):
    """configurable-http-proxy from the npm registry, into $PREFIX/node."""
    exe = prefix / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    if exe.exists():
        return exe
    if not shutil.which("npm"):
        apt_install("nodejs", "npm")
    if not shutil.which("npm"):
        raise Unavailable("npm not found: configurable-http-proxy comes from the npm registry")
    log(f"npm install {PROXY_PACKAGE}")
    (prefix / "node").mkdir(parents=True, exist_ok=True)
    proc = run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", prefix / "node",
                PROXY_PACKAGE], check=False, capture_output=True, text=True)
    if proc.returncode != 0 or not exe.exists():
        raise Unavailable(f"npm install {PROXY_PACKAGE} failed: {proc.stderr.strip()[-500:]}")
    return exe


def install_config(prefix=PREFIX):
    """The Jupyter configuration every user's server reads (world-readable copies)."""
    venv_etc = prefix / "venv" / "etc" / "jupyter"
    venv_etc.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "nbgrader_config.py", venv_etc / "nbgrader_config.py")
    user_server = prefix / "etc" / "jupyter-user-server"
    if user_server.exists():
        shutil.rmtree(user_server)
    shutil.copytree(HERE / "user-server", user_server)
    for path in [prefix, *prefix.rglob("*")]:
        if path.is_dir() or path.is_file():
            os.chmod(path, os.stat(path).st_mode | 0o444 | (0o111 if path.is_dir() else 0))


def install(prefix=PREFIX, repo=REPO):
    """Everything a hub needs on this machine; returns the seconds it took."""
    started = time.monotonic()
    with locked(prefix / ".install.lock"):
        install_venv(prefix, repo)
        install_proxy(prefix)
        install_config(prefix)
    return time.monotonic() - started


# ---------------------------------------------------------------- accounts

def ensure_group(name):
    try:
        grp.getgrnam(name)
    except KeyError:
        run(["groupadd", name])


def ensure_user(name, groups=(), password=None):
    """A local user with a private home (0700), in ``groups``."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        run(["useradd", "--create-home", "--shell", "/bin/bash", "--comment", GECOS, name])
    for group in groups:
        ensure_group(group)
        run(["usermod", "-a", "-G", group, name])
    home = Path(pwd.getpwnam(name).pw_dir)
    os.chmod(home, 0o700)
    if password is not None:
        run(["chpasswd"], input=f"{name}:{password}\n", text=True)
    return home


def remove_user(name):
    """Delete a user made by ensure_user, with its home; anyone else is left alone."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return
    if entry.pw_gecos.split(",")[0] != GECOS:
        raise RuntimeError(f"refusing to remove {name}: not an account made by provision.py")
    deadline = time.monotonic() + 30
    while True:  # userdel refuses while the user has processes (a server still stopping)
        run(["pkill", "-KILL", "-u", name], check=False)
        proc = run(["userdel", "--remove", name], check=False, capture_output=True, text=True)
        if proc.returncode in (0, 12) or time.monotonic() > deadline:  # 12: home not removed
            break
        time.sleep(0.5)
    if proc.returncode not in (0, 12):
        raise RuntimeError(f"userdel {name} failed: {proc.stderr.strip()}")


def remove_group(name):
    try:
        grp.getgrnam(name)
    except KeyError:
        return
    run(["groupdel", name], check=False, capture_output=True)


def users(instructors, learners, grader=GRADER, password=None,
          instructors_group=INSTRUCTORS_GROUP, learners_group=LEARNERS_GROUP):
    """Unix groups and users: the grader account and the instructors share the course folder;
    the hub reads both groups to know who is who (jupyterhub_config.py)."""
    ensure_group(instructors_group)
    ensure_group(learners_group)
    ensure_user(grader, [instructors_group])
    for name in instructors:
        ensure_user(name, [instructors_group], password)
    for name in learners:
        ensure_user(name, [learners_group], password)


def exchange(path):
    """nbgrader's exchange: a folder everyone can write to (nbgrader insists on rwxrwxrwx; the
    sticky bit keeps one user from deleting another's entries).  Inside it nbgrader makes
    inbound/ (0733, nobody can list it) and feedback/ (0711) per course."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o1777)
    return path


def course(grader=GRADER, dest=None, repo=REPO, group=INSTRUCTORS_GROUP):
    """The grader's course folder: the repository's nbgrader_config.py, solutions/, notebooks/,
    owned by the grader and writable by the instructors' group (setgid folders)."""
    home = Path(pwd.getpwnam(grader).pw_dir)
    dest = Path(dest) if dest else home / "course"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(repo / "nbgrader_config.py", dest / "nbgrader_config.py")
    for folder in ("solutions", "notebooks"):
        if (dest / folder).exists():
            shutil.rmtree(dest / folder)
        shutil.copytree(repo / folder, dest / folder,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    gid = grp.getgrnam(group).gr_gid
    uid = pwd.getpwnam(grader).pw_uid
    for path in [dest, *dest.rglob("*")]:
        os.chown(path, uid, gid)
        os.chmod(path, 0o2770 if path.is_dir() else 0o660)
    # The instructors reach the course through the grader's home.
    os.chown(home, uid, gid)
    os.chmod(home, 0o2750)
    return dest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    sub.add_parser("install", help="hub venv, proxy and configuration in $COURSE_HUB_PREFIX")
    p = sub.add_parser("users", help="Unix groups and users")
    p.add_argument("--instructor", action="append", default=[])
    p.add_argument("--learner", action="append", default=[])
    p.add_argument("--grader", default=GRADER)
    p = sub.add_parser("exchange", help="nbgrader's shared exchange folder")
    p.add_argument("path", nargs="?", default="/srv/backprop-course/exchange")
    p = sub.add_parser("course", help="the grader's course folder")
    p.add_argument("--grader", default=GRADER)
    p.add_argument("--dest")
    args = parser.parse_args(argv)
    try:
        require_root()
        if args.step == "install":
            log(f"done in {install():.0f} s")
        elif args.step == "users":
            users(args.instructor, args.learner, args.grader)
            log("set passwords with passwd (PAM login) or use the shared-password authenticator")
        elif args.step == "exchange":
            log(f"exchange at {exchange(args.path)}")
        elif args.step == "course":
            log(f"course folder at {course(args.grader, args.dest)}")
    except Unavailable as err:
        sys.exit(f"provision: {err}")


if __name__ == "__main__":
    main()
