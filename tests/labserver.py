"""Helpers of tests/course/test_lab.py and tests/course/test_browser.py: a copy of the course, and `make lab` /
`make instructor` serving it on a free port (so tests can run side by side: pytest-xdist)."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT, VENV_BIN

TOKEN = "course-test-token"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def course_copy(base, assignments, make=False):
    """A copy of the course in ``base``: its configuration, the given assignments (solutions and
    notebooks) and, with ``make``, what `make lab` / `make instructor` need (pyproject.toml and the
    lock keep their times, so the copy's Makefile finds this checkout's .venv up to date)."""
    base.mkdir(parents=True, exist_ok=True)
    names = ["nbgrader_config.py"] + (["Makefile", "pyproject.toml", "requirements", "jupyter"] if make else [])
    for name in names:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, base / name)
    for a in assignments:
        for tree in ("solutions", "notebooks"):
            shutil.copytree(ROOT / tree / a, base / tree / a)
    if make:
        shutil.copy2(ROOT / "notebooks" / "README.md", base / "notebooks" / "README.md")
    return base


class Server:
    """`make TARGET BROWSER=no` in ``course``, with this checkout's .venv and ``env`` added."""

    def __init__(self, target, course, env=None):
        self.course, self.port = course, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, JUPYTER_TOKEN=TOKEN, **(env or {}))
        for name in ("MPLBACKEND", "AUTOGRADER_CALL_SECONDS", "JUPYTER_CONFIG_PATH"):
            env.pop(name, None)
        self.log = course / f"{target}.log"
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(["make", target, "BROWSER=no", f"PORT={self.port}",
                                          f"VENV={VENV_BIN.parent}"], cwd=course, env=env,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 240   # a busy machine: the server starts in 3 s idle, 30 s loaded
        while True:
            try:
                self.get("/api/status")
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    pytest.fail(f"`make {target}` did not answer:\n{self.output()[-3000:]}")
                time.sleep(0.5)

    def request(self, path, data=None, method=None):
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(req, timeout=300) as response:
            return response.status, response.read().decode("utf-8")

    def get(self, path):
        return self.request(path)[1]

    def status(self, path):
        try:
            return self.request(path)[0]
        except urllib.error.HTTPError as err:
            return err.code

    def output(self):
        return self.log.read_text(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def page_config(server, path):
    html = server.get(path)
    return json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                html, re.S).group(1))
