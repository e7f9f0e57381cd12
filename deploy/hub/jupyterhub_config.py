"""JupyterHub for the course on one machine: `jupyterhub -f deploy/hub/jupyterhub_config.py`.

Run as root, after `deploy/hub/provision.py` (install, users, exchange, course).  Who is who
comes from two Unix groups: members of bp-instructors (except the grader account) reach the
formgrader service (a JupyterLab in the course folder, run by the grader account); everyone in
either group gets a server of their own, without the formgrader.  Every value below can be
changed with an environment variable; the defaults are a single-course machine.
tests/course/test_hub.py starts this very file with its own ports, folders and users.

    COURSE_HUB_PREFIX        /opt/backprop-course-hub   venv, proxy and config (provision.py)
    COURSE_HUB_STATE         /srv/backprop-course/hub   the hub's database, cookie secret, proxy pid
    NBGRADER_EXCHANGE        /srv/backprop-course/exchange
    NBGRADER_DB_URL          unset: SQLite in the course folder; or postgresql+psycopg://...
    COURSE_GRADER            bp-grader                  account that runs the formgrader
    COURSE_DIR               ~bp-grader/course
    COURSE_HUB_IP            "" (all interfaces)        COURSE_HUB_PORT 8000
    COURSE_HUB_API_PORT 8081, COURSE_PROXY_API_PORT 8001, COURSE_FORMGRADER_PORT 9999
    COURSE_HUB_AUTH          pam (each user's own Unix password) or shared (one password)
    COURSE_SHARED_PASSWORD   the password for COURSE_HUB_AUTH=shared (8 characters or more)
    COURSE_HUB_ADMIN_TOKEN   if set, a "course-admin" service with this token may manage users,
                             servers and tokens (scripts and tests; leave unset otherwise)
"""
import grp
import os
import pwd

c = get_config()  # noqa: F821 (provided by JupyterHub)
env = os.environ.get

prefix = env("COURSE_HUB_PREFIX", "/opt/backprop-course-hub")
venv_bin = os.path.join(prefix, "venv", "bin")
state = env("COURSE_HUB_STATE", "/srv/backprop-course/hub")
course_id = env("NBGRADER_COURSE_ID", "backprop-from-first-principles")
exchange = env("NBGRADER_EXCHANGE", "/srv/backprop-course/exchange")
grader = env("COURSE_GRADER", "bp-grader")
course_dir = env("COURSE_DIR") or os.path.join(pwd.getpwnam(grader).pw_dir, "course")


def members(group):
    """Users whose supplementary or primary group is ``group``."""
    try:
        entry = grp.getgrnam(group)
    except KeyError:
        raise SystemExit(f"jupyterhub_config.py: no Unix group {group!r}: run deploy/hub/provision.py users") from None
    primary = [p.pw_name for p in pwd.getpwall() if p.pw_gid == entry.gr_gid]
    return sorted(set(entry.gr_mem) | set(primary))


os.makedirs(state, mode=0o700, exist_ok=True)
instructors = [u for u in members(env("COURSE_INSTRUCTORS_GROUP", "bp-instructors")) if u != grader]
learners = members(env("COURSE_LEARNERS_GROUP", "bp-learners"))

# ---- network: the proxy (configurable-http-proxy from npm) in front, the hub behind it
c.JupyterHub.ip = env("COURSE_HUB_IP", "")
c.JupyterHub.port = int(env("COURSE_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env("COURSE_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.command = [os.path.join(prefix, "node", "node_modules", ".bin", "configurable-http-proxy")]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env('COURSE_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "jupyterhub-proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(state, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(state, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(state, "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True

# ---- who may log in
if env("COURSE_HUB_AUTH", "pam") == "shared":
    # One password for everyone: for a workshop only (anyone with it can log in as anyone).
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = env("COURSE_SHARED_PASSWORD")
else:
    # Each user's own Unix password (the hub runs as root and reads /etc/shadow through PAM).
    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = set(instructors + learners)

# ---- the two groups, named the way nbgrader expects them
c.JupyterHub.load_groups = {
    f"formgrade-{course_id}": {"users": instructors},
    f"nbgrader-{course_id}": {"users": learners},
}
c.JupyterHub.load_roles = [
    # instructors (and nobody else) reach the formgrader service
    {"name": "course-instructor", "groups": [f"formgrade-{course_id}"],
     "scopes": [f"access:services!service={course_id}", "read:services"]},
]

# ---- every user's own server: a local process running as that Unix user
server_env = {
    "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
    "NBGRADER_EXCHANGE": exchange,
    "NBGRADER_COURSE_ID": course_id,
}
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(venv_bin, "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
# Users' own servers read deploy/hub/user-server/ too: no formgrader, no create-assignment there.
# Instructors grade and author in the formgrader service below (its JupyterLab is the course folder).
c.Spawner.environment = dict(server_env, JUPYTER_CONFIG_PATH=os.path.join(prefix, "etc", "jupyter-user-server"))
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# A local process has no memory or CPU limit: LocalProcessSpawner only passes these on as
# MEM_LIMIT and CPU_LIMIT.  A container spawner (Kubernetes) enforces them (docs/teaching.md).
c.Spawner.mem_limit = env("COURSE_MEM_LIMIT", "1G")
c.Spawner.cpu_limit = float(env("COURSE_CPU_LIMIT", "1"))

# ---- the formgrader: a hub-managed service running as the grader account in the course folder
formgrader_env = dict(server_env, JUPYTERHUB_DEFAULT_URL="/lab")
if env("NBGRADER_DB_URL"):
    formgrader_env["NBGRADER_DB_URL"] = env("NBGRADER_DB_URL")
c.JupyterHub.services = [
    {
        "name": course_id,
        "url": f"http://127.0.0.1:{env('COURSE_FORMGRADER_PORT', '9999')}",
        "command": [os.path.join(venv_bin, "jupyterhub-singleuser")],
        "user": grader,
        "cwd": course_dir,
        "environment": formgrader_env,
        "oauth_no_confirm": True,
    },
]

# ---- optional: a token for scripts (and the tests) to manage users, servers and tokens
if env("COURSE_HUB_ADMIN_TOKEN"):
    c.JupyterHub.services.append({"name": "course-admin", "api_token": env("COURSE_HUB_ADMIN_TOKEN")})
    c.JupyterHub.load_roles.append({
        "name": "course-admin", "services": ["course-admin"],
        "scopes": ["admin:users", "admin:servers", "tokens", "list:groups", "read:groups", "read:services"],
    })
