"""Terminals of the course's JupyterLab (`make lab`, `make instructor`): the course's venv first.

jupyter_server starts a *login* shell when it was not itself started from a terminal, and a login
shell reads /etc/profile, which on Debian and Ubuntu sets PATH again: `course-check` was "command
not found" in JupyterLab's terminal.  Here bash starts as an interactive shell that reads
~/.bashrc and then puts the venv's bin first (bashrc, beside this file); another shell starts
without -l and keeps the PATH `make` gave the server.  tests/course/test_lab.py runs a README command in
such a terminal.
"""
import os
import shutil
import sys

c = get_config()  # noqa: F821 (provided by Jupyter)

os.environ["COURSE_VENV_BIN"] = os.path.dirname(os.path.abspath(sys.executable))
_shell = os.environ.get("SHELL") or shutil.which("bash") or shutil.which("sh") or "sh"
if os.path.basename(_shell) == "bash":
    c.ServerApp.terminado_settings = {
        "shell_command": [_shell, "--rcfile", os.path.join(os.path.dirname(os.path.abspath(__file__)), "bashrc")]}
else:
    c.ServerApp.terminado_settings = {"shell_command": [_shell]}
