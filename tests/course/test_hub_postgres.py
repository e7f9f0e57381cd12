"""The gradebook in PostgreSQL instead of SQLite, with the hub's nbgrader configuration.

deploy/hub/nbgrader_config.py points nbgrader at NBGRADER_DB_URL when it is set.  This test
installs Debian's postgresql if it is missing, starts a throw-away server on a Unix socket in a
temporary folder (no TCP port), generates 01_chain_rule into it, autogrades two submissions with
the hub's venv (psycopg 3 is installed there) and reads the grades back from the CSV and from the
database itself.  The server is stopped and its folder removed afterwards; the package stays.
"""
import csv
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import nbedit
from conftest import ROOT, learner_path, solution_path

sys.path.insert(0, str(ROOT / "deploy" / "hub"))
provision = pytest.importorskip("provision", reason="deploy/hub/provision.py needs a Unix system")

ASSIGNMENT = "01_chain_rule"
ARTIFACTS = ROOT / "test-artifacts" / "hub"

# Machine-wide (Unix users bpt-*, /opt/backprop-course-hub, apt): with pytest-xdist every test of
# the "hub" group runs in one worker, one at a time (GROUPS in the root conftest.py).
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="PostgreSQL is installed with apt (Linux only)")


def as_postgres(*cmd, **kw):
    return subprocess.run(["runuser", "-u", "postgres", "--", *map(str, cmd)], check=True,
                          capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def postgres():
    if os.geteuid() != 0:
        pytest.skip("needs root: it installs PostgreSQL with apt and runs it as the postgres user")
    try:
        provision.install()
        provision.apt_install("postgresql")
    except provision.Unavailable as err:
        pytest.skip(f"cannot set up PostgreSQL here: {err}")
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if not bins:
        pytest.skip("postgresql is installed but /usr/lib/postgresql/<version>/bin is missing")
    bin_dir = Path(bins[-1])
    tmp = Path(tempfile.mkdtemp(prefix="bp-pg-", dir="/tmp"))
    os.chmod(tmp, 0o755)
    data, sock = tmp / "data", tmp / "sock"
    for folder in (data, sock):
        folder.mkdir()
        shutil.chown(folder, "postgres", "postgres")
    port = 5432 + os.getpid() % 1000  # only names the socket file: listen_addresses is empty
    started = False
    try:
        as_postgres(bin_dir / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
        as_postgres(bin_dir / "pg_ctl", "-D", data, "-l", sock / "postgres.log", "-w", "start",
                    "-o", f"-k {sock} -c listen_addresses='' -p {port} -c fsync=off")
        started = True
        as_postgres(bin_dir / "createdb", "-h", sock, "-p", port, "gradebook")
        url = f"postgresql+psycopg://postgres@/gradebook?host={sock}&port={port}"
        yield {"url": url, "psql": lambda sql: as_postgres(bin_dir / "psql", "-h", sock, "-p", port, "-d",
                                                           "gradebook", "-At", "-c", sql).stdout.split()}
    finally:
        if started:
            subprocess.run(["runuser", "-u", "postgres", "--", bin_dir / "pg_ctl", "-D", data, "-m", "fast",
                            "-w", "stop"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def test_gradebook_in_postgresql(postgres, tmp_path):
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    for student, nb in (("bpt-full", solution_path(ASSIGNMENT)), ("bpt-blank", learner_path(ASSIGNMENT))):
        nbedit.write(nbedit.read(nb), course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    venv_bin = provision.PREFIX / "venv" / "bin"
    env = dict(os.environ, NBGRADER_DB_URL=postgres["url"], PATH=f"{venv_bin}:{os.environ['PATH']}")
    env.pop("JUPYTER_CONFIG_PATH", None)
    for args in (["generate_assignment", ASSIGNMENT, "--force"], ["autograde", ASSIGNMENT], ["export"]):
        proc = subprocess.run([venv_bin / "nbgrader", *args], cwd=course, env=env, capture_output=True,
                              text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (course / "gradebook.db").exists(), "the gradebook went to PostgreSQL, not SQLite"

    with open(course / "grades.csv", newline="") as fh:
        scores = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(fh)}
    assert scores == {"bpt-full": 18.0, "bpt-blank": 0.0}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(course / "grades.csv", ARTIFACTS / "grades-postgresql.csv")

    psql = postgres["psql"]
    assert psql("SELECT id FROM student ORDER BY id") == ["bpt-blank", "bpt-full"]
    assert psql("SELECT name FROM assignment") == [ASSIGNMENT]
    assert psql("SELECT count(*) FROM submitted_notebook") == ["2"]
