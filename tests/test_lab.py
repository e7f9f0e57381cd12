"""`make lab BROWSER=no` starts JupyterLab on notebooks/ (as root too) and serves the course."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from conftest import ROOT


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_serves_the_notebooks():
    port = free_port()
    env = dict(os.environ, JUPYTER_TOKEN="course-test-token")
    proc = subprocess.Popen(["make", "lab", "BROWSER=no", f"PORT={port}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/api/contents/00_finite_differences?token=course-test-token"
    try:
        deadline = time.time() + 90
        listing = None
        while time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    listing = json.load(response)
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, "JupyterLab did not answer"
        names = [item["name"] for item in listing["content"]]
        assert "00_finite_differences.ipynb" in names
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            output = proc.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output = proc.communicate()[0]
    if os.geteuid() == 0:
        assert "--allow-root" in output
    assert "--no-browser" in output
