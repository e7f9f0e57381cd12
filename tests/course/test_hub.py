"""A class on a real JupyterHub on this machine (deploy/hub/), through its REST API.

JupyterHub with configurable-http-proxy (npm), PAM login of real local Unix users, a local-process
spawner, nbgrader's formgrader as a hub service run by a grader account, an instructors' and a
learners' group, and nbgrader's exchange in a shared folder.  The instructor releases
01_chain_rule; three learners fetch it in their own servers, fill it in (all of it, part of it,
nothing) through the contents API and submit; the instructor collects, grades, generates and
releases feedback; each learner fetches their own feedback, and real attempts to read another
learner's work fail.

Needs root (it creates Unix users and removes them afterwards), npm and a Python every user can
run (Debian's, installed with apt if missing).  deploy/hub/provision.py installs the hub into
/opt/backprop-course-hub once (about 30 s the first time, a few seconds after) and the test
skips, saying why, only where root, npm or apt is missing.  Logs, grades.csv, the feedback pages
and the timings go to test-artifacts/hub/.
"""
import csv
import fcntl
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import http.cookiejar
from pathlib import Path

import pytest

import nbedit
from conftest import ROOT, learner_path, solution_path

sys.path.insert(0, str(ROOT / "deploy" / "hub"))
provision = pytest.importorskip("provision", reason="deploy/hub/provision.py needs a Unix system")
from hubclient import Hub  # noqa: E402

ASSIGNMENT = "01_chain_rule"
COURSE = provision.COURSE_ID
SERVICE = f"/services/{COURSE}/"
ARTIFACTS = ROOT / "test-artifacts" / "hub"

# Test accounts: their own names and groups, so a real class on this machine is never touched.
GRADER = "bpt-grader"
INSTRUCTOR = "bpt-instructor"
CORRECT, PARTIAL, BLANK = "bpt-alice", "bpt-bob", "bpt-carol"
LEARNERS = [CORRECT, PARTIAL, BLANK]
INSTRUCTORS_GROUP, LEARNERS_GROUP = "bpt-instructors", "bpt-learners"
PASSWORD = {name: f"pw-{name}-{i}x7" for i, name in enumerate([INSTRUCTOR, *LEARNERS])}
# Bob completes these parts (solution cells copied from the source notebook) and answers
# exercise 1 with the classic mistake; the feedback he reads names it.
PARTIAL_PARTS = ["chain_forward", "chain_backward", "add_gate", "max_gate"]
PARTIAL_WRONG = {"sin_square_derivative": "def sin_square_derivative(x):\n    return np.cos(x ** 2)\n"}
PARTIAL_MISTAKE = "you forgot the inner derivative"

# Machine-wide (Unix users bpt-*, /opt/backprop-course-hub, apt): with pytest-xdist every test of
# the "hub" group runs in one worker, one at a time (GROUPS in the root conftest.py).
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the hub test runs local Unix users (Linux only)")


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def points(parts=None):
    """Points of the test cells of 01_chain_rule (all, or those of ``parts``)."""
    cells = nbedit.test_cells(nbedit.read(solution_path(ASSIGNMENT)))
    return sum(c["metadata"]["nbgrader"]["points"] for c in cells
               if parts is None or c["metadata"]["nbgrader"]["grade_id"] in {f"test_{p}" for p in parts})


def sources(nb):
    return [(c.get("id"), "".join(c["source"])) for c in nb["cells"]]


def remove_accounts():
    for name in [GRADER, INSTRUCTOR, *LEARNERS]:
        provision.remove_user(name)
    for group in (INSTRUCTORS_GROUP, LEARNERS_GROUP):
        provision.remove_group(group)


class Timer(dict):
    def __call__(self, label, started):
        self[label] = round(time.monotonic() - started, 1)


@pytest.fixture(scope="module")
def hub():
    if os.geteuid() != 0:
        pytest.skip("the hub test needs root: it creates local Unix users and runs their servers as them")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # the folder ignores itself until .gitignore lists it
    (ARTIFACTS.parent / ".gitignore").write_text("*\n")
    timings = Timer()
    started = time.monotonic()
    try:
        provision.install()
    except provision.Unavailable as err:
        pytest.skip(f"cannot set up the hub here: {err}")
    timings("install (deploy/hub/provision.py install)", started)

    # one class at a time on this machine (two checkouts running their tests at once)
    lock = open(provision.PREFIX / ".hub-test.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    run_dir = Path(tempfile.mkdtemp(prefix="bp-hub-", dir="/tmp"))
    proc = log = None
    try:
        started = time.monotonic()
        remove_accounts()  # left over by an interrupted run
        provision.users([INSTRUCTOR], LEARNERS, grader=GRADER, password=None,
                        instructors_group=INSTRUCTORS_GROUP, learners_group=LEARNERS_GROUP)
        for name, password in PASSWORD.items():
            subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
        os.chmod(run_dir, 0o755)
        exchange = provision.exchange(run_dir / "exchange")
        course_dir = provision.course(GRADER, repo=ROOT, group=INSTRUCTORS_GROUP)
        (run_dir / "state").mkdir()
        timings("accounts, exchange and course folder", started)

        port, api_port, proxy_port, formgrader_port = free_ports(4)
        admin_token = os.urandom(16).hex()
        env = dict(os.environ,
                   PATH=f"{provision.PREFIX / 'venv' / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
                   COURSE_HUB_PREFIX=str(provision.PREFIX), COURSE_HUB_STATE=str(run_dir / "state"),
                   NBGRADER_EXCHANGE=str(exchange), COURSE_GRADER=GRADER, COURSE_DIR=str(course_dir),
                   COURSE_INSTRUCTORS_GROUP=INSTRUCTORS_GROUP, COURSE_LEARNERS_GROUP=LEARNERS_GROUP,
                   COURSE_HUB_IP="127.0.0.1", COURSE_HUB_PORT=str(port), COURSE_HUB_API_PORT=str(api_port),
                   COURSE_PROXY_API_PORT=str(proxy_port), COURSE_FORMGRADER_PORT=str(formgrader_port),
                   COURSE_HUB_AUTH="pam", COURSE_HUB_ADMIN_TOKEN=admin_token)
        env.pop("NBGRADER_DB_URL", None)
        env.pop("JUPYTER_CONFIG_PATH", None)
        log = open(ARTIFACTS / "jupyterhub.log", "w")
        started = time.monotonic()
        proc = subprocess.Popen([provision.PREFIX / "venv" / "bin" / "jupyterhub",
                                 "-f", ROOT / "deploy" / "hub" / "jupyterhub_config.py"],
                                cwd=run_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        client = Hub(f"http://127.0.0.1:{port}", admin_token)
        client.wait_until_up(timeout=120, alive=lambda: proc.poll() is None)
        timings("hub up", started)
        yield {"hub": client, "exchange": exchange, "course": course_dir, "timings": timings, "env": env}
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)  # the hub stops the servers, the service and the proxy
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if log is not None:
            log.close()
        remove_accounts()
        shutil.rmtree(run_dir, ignore_errors=True)
        (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=1) + "\n")
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def login_status(url, username, password):
    """POST the hub's login form as a browser would; 302 means logged in."""
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    opener.open(f"{url}/hub/login").read()
    xsrf = next(c.value for c in jar if c.name == "_xsrf")
    data = urllib.parse.urlencode({"username": username, "password": password, "_xsrf": xsrf}).encode()
    try:
        return opener.open(f"{url}/hub/login", data=data).status
    except urllib.error.HTTPError as err:
        return err.code


def grade(instructor, course_dir, assignment):
    """THE grading step of the round, in the formgrader service's kernel, as the grader account:
    the class-grading command (nbgrader autograde for each submission, trusted grading as the
    grade of record, grades.csv and the class mistake report)."""
    cmd = ["course-check", "class", assignment, "--course", str(course_dir), "--quiet"]
    code = ("import subprocess\n"
            f"p = subprocess.run({cmd!r}, cwd={str(course_dir)!r}, capture_output=True, text=True)\n"
            "print('$', ' '.join(p.args), '->', p.returncode)\n"
            "print(p.stdout[-3000:], p.stderr[-3000:])\n")
    out, err = instructor.execute(SERVICE, code)
    assert "-> 0" in out, out + err
    return {name: instructor.read(SERVICE, path)["content"]
            for name, path in (("grades.csv", "grades.csv"), ("mistakes.csv", "class_report/mistakes.csv"),
                               ("students.csv", "class_report/students.csv"))}


def test_login_with_own_unix_password_only(hub):
    url = hub["hub"].url
    assert login_status(url, CORRECT, PASSWORD[CORRECT]) == 302
    assert login_status(url, CORRECT, PASSWORD[PARTIAL]) == 403      # bob's password is not alice's
    assert login_status(url, "root", PASSWORD[CORRECT]) == 403       # not in a course group


def test_shared_password_mode(hub):
    """COURSE_HUB_AUTH=shared (a workshop): the same config file, JupyterHub's shared-password
    authenticator, one password for every course member, nobody else."""
    code = ("import asyncio, os\n"
            "from traitlets.config.loader import PyFileConfigLoader\n"
            "from jupyterhub.authenticators.shared import SharedPasswordAuthenticator\n"
            "cfg = PyFileConfigLoader(os.environ['CONFIG']).load_config()\n"
            "assert cfg.JupyterHub.authenticator_class == 'shared-password'\n"
            "auth = SharedPasswordAuthenticator(config=cfg)\n"
            "for user, pw in [('%s', 'workshop-2026'), ('%s', 'wrong-pass'), ('nobody', 'workshop-2026')]:\n"
            "    ok = asyncio.run(auth.get_authenticated_user(None, {'username': user, 'password': pw}))\n"
            "    print(user, pw, bool(ok))\n") % (CORRECT, CORRECT)
    env = dict(hub["env"], COURSE_HUB_AUTH="shared", COURSE_SHARED_PASSWORD="workshop-2026",
               CONFIG=str(ROOT / "deploy" / "hub" / "jupyterhub_config.py"))
    proc = subprocess.run([provision.PREFIX / "venv" / "bin" / "python", "-c", code], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split("\n")[:3] == [f"{CORRECT} workshop-2026 True", f"{CORRECT} wrong-pass False",
                                           "nobody workshop-2026 False"]


def test_a_class_round(hub):
    """Release, fetch, fill in, submit, collect, grade, feedback, and nobody reads anyone else's."""
    admin, timings, course_dir, exchange = hub["hub"], hub["timings"], hub["course"], hub["exchange"]
    instructor = admin.as_user(INSTRUCTOR)
    learners = {name: admin.as_user(name) for name in LEARNERS}

    # who reaches the formgrader service (and its JupyterLab in the course folder): the instructor
    assert instructor.status("GET", SERVICE + "formgrader") == 200
    assert instructor.status("GET", SERVICE + "lab") == 200
    assert learners[CORRECT].status("GET", SERVICE + "formgrader") == 403

    # 1. the instructor generates (into the gradebook) and releases the assignment
    started = time.monotonic()
    for action in ("assign", "release"):
        result = instructor.post(SERVICE + f"formgrader/api/assignment/{ASSIGNMENT}/{action}")
        assert result["success"], result
    timings("instructor: generate and release", started)

    # 2. the users' own servers (local processes, as their own Unix users)
    started = time.monotonic()
    for user in [*learners.values(), instructor]:
        assert user.status("POST", f"/hub/api/users/{user.name}/server") in (201, 202)
    for user in [*learners.values(), instructor]:
        user.start_server()
    timings("four user servers started", started)
    # users' own servers have no formgrader (deploy/hub/user-server/): one place to grade
    for user in (learners[CORRECT], instructor):
        assert user.status("GET", user.server + "formgrader") == 404
        assert user.status("GET", user.server + "lab") == 200

    # 3. fetch, fill in as a learner's server saves it, submit
    started = time.monotonic()
    source = nbedit.read(solution_path(ASSIGNMENT))
    every_part = [c["metadata"]["nbgrader"]["grade_id"] for c in nbedit.solution_cells(source)]
    parts = {CORRECT: every_part, PARTIAL: PARTIAL_PARTS, BLANK: []}
    path = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    for name, learner in learners.items():
        fetched = learner.post(learner.server + "assignments/fetch",
                               {"course_id": COURSE, "assignment_id": ASSIGNMENT})
        assert fetched["success"] and fetched["value"][0]["status"] == "fetched", fetched
        nb = learner.read(learner.server, path)["content"]
        assert sources(nb) == sources(nbedit.read(learner_path(ASSIGNMENT))), "fetched = the released notebook"
        for part in parts[name]:
            nbedit.set_source(nb, part, nbedit.source(source, part))
        if name == PARTIAL:
            for part, wrong in PARTIAL_WRONG.items():
                nbedit.set_source(nb, part, wrong)
        learner.write_notebook(learner.server, path, nb)
        submitted = learner.post(learner.server + "assignments/submit",
                                 {"course_id": COURSE, "assignment_id": ASSIGNMENT})
        assert submitted["success"], submitted
    timings("three learners: fetch, fill in, submit", started)

    # 4. the instructor collects and grades
    started = time.monotonic()
    result = instructor.post(SERVICE + f"formgrader/api/assignment/{ASSIGNMENT}/collect")
    assert result["success"], result
    timings("instructor: collect", started)
    started = time.monotonic()
    reports = grade(instructor, course_dir, ASSIGNMENT)
    timings("instructor: grade (course-check class)", started)
    for name, text in reports.items():
        (ARTIFACTS / name).write_text(text)
    rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO(reports["grades.csv"]))
            if row["assignment"] == ASSIGNMENT}
    expected = {CORRECT: points(), PARTIAL: points(PARTIAL_PARTS), BLANK: 0}
    assert expected[CORRECT] == 18 and 0 < expected[PARTIAL] < 18
    assert {name: float(rows[name]["raw_score"]) for name in LEARNERS} == expected
    assert {float(rows[name]["max_score"]) for name in LEARNERS} == {18.0}
    # the class mistake report: the partial learner's one named mistake, and the parts left undone
    mistakes = {(row["exercise"], row["mistake"]): int(row["count"])
                for row in csv.DictReader(io.StringIO(reports["mistakes.csv"])) if row["assignment"] == ASSIGNMENT}
    named = {k: n for k, n in mistakes.items() if k[1] != "not_implemented"}
    assert named == {("test_sin_square_derivative", "missing_inner_derivative"): 1}, mistakes
    assert mistakes[("test_mul_gate", "not_implemented")] == 2, "the partial and the blank learner"
    assert ("test_add_gate", "not_implemented") in mistakes and mistakes[("test_add_gate", "not_implemented")] == 1
    students = {row["student"]: row for row in csv.DictReader(io.StringIO(reports["students.csv"]))}
    assert {name: students[name]["integrity"] for name in LEARNERS} == {name: "" for name in LEARNERS}

    # 5. feedback: generated (hidden tests removed), released, fetched by each learner
    started = time.monotonic()
    for action in ("generate_feedback", "release_feedback"):
        result = instructor.post(SERVICE + f"formgrader/api/assignment/{ASSIGNMENT}/{action}")
        assert result["success"], result
    timings("instructor: generate and release feedback", started)
    started = time.monotonic()
    for name, learner in learners.items():
        fetched = learner.post(learner.server + "assignments/fetch_feedback",
                               {"course_id": COURSE, "assignment_id": ASSIGNMENT})
        assert fetched["success"], fetched
        folder = learner.read(learner.server, f"{ASSIGNMENT}/feedback")["content"]
        assert len(folder) == 1, "one submission, one feedback folder"
        pages = learner.read(learner.server, f"{folder[0]['path']}")["content"]
        assert [p["name"] for p in pages] == [f"{ASSIGNMENT}.html"]
        html = learner.read(learner.server, pages[0]["path"])["content"]
        (ARTIFACTS / f"feedback-{name}.html").write_text(html)
        assert f"Score: {expected[name]:.1f} / 18.0" in html, name
        assert "BEGIN HIDDEN TESTS" not in html
        assert (PARTIAL_MISTAKE in html) == (name == PARTIAL), name
    timings("three learners: fetch feedback", started)

    # 6. nobody reads anyone else's work: real attempts, each refused
    alice, bob = learners[CORRECT], learners[PARTIAL]
    assert alice.status("GET", bob.server + f"api/contents/{path}") == 403        # bob's server
    assert alice.status("GET", SERVICE + f"api/contents/submitted") == 403        # the grader's
    inbound, feedback = exchange / COURSE / "inbound", exchange / COURSE / "feedback"
    bob_home = Path("/home") / PARTIAL
    targets = {
        "bob's notebook": f"open({str(bob_home / path)!r}).read()",
        "bob's feedback": f"os.listdir({str(bob_home / ASSIGNMENT / 'feedback')!r})",
        "the submissions in the exchange": f"os.listdir({str(inbound)!r})",
        "the released feedback in the exchange": f"os.listdir({str(feedback)!r})",
        "the collected submissions": f"os.listdir({str(course_dir / 'submitted')!r})",
        "the gradebook": f"open({str(course_dir / 'gradebook.db')!r}, 'rb').read()",
    }
    code = "import os\n" + "".join(
        f"try:\n    {expr}\n    print('READ', {label!r})\nexcept PermissionError:\n    print('DENIED', {label!r})\n"
        for label, expr in targets.items())
    out, err = alice.execute(alice.server, code)
    assert err == ""
    assert out.splitlines() == [f"DENIED {label}" for label in targets], out
    # ... while alice's own files are hers
    out, err = alice.execute(alice.server, f"print(len(open({str(Path('/home') / CORRECT / path)!r}).read()) > 0)")
    assert out.strip() == "True", err
