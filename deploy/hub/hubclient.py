"""A small client for the hub's REST API and the servers behind it (standard library plus
websocket-client, which JupyterLab installs).  tests/course/test_hub.py drives a class with it; an
instructor can script the same steps.

    hub = Hub("http://127.0.0.1:8000", admin_token)
    kim = hub.as_user("kim")                  # a token of kim's own (admin scope "tokens")
    kim.start_server()
    kim.post(kim.server + "assignments/fetch", {"course_id": ..., "assignment_id": ...})
    print(kim.execute(kim.server, "import os; print(os.getcwd())"))
"""
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid


class HTTPFailure(RuntimeError):
    def __init__(self, method, url, status, body):
        super().__init__(f"{method} {url} -> {status}: {body[:300]}")
        self.status = status
        self.body = body


class Client:
    """Requests with one token: ``Authorization: token ...``."""

    def __init__(self, url, token, name=None):
        self.url = url.rstrip("/")
        self.token = token
        self.name = name

    @property
    def server(self):
        """This user's own server, behind the proxy."""
        return f"/user/{self.name}/"

    def request(self, method, path, data=None, form=False, timeout=120, raw=False):
        url = path if path.startswith("http") else self.url + path
        headers = {"Authorization": f"token {self.token}"}
        body = None
        if data is not None and form:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                text = response.read().decode("utf-8", "replace")
                status = response.status
        except urllib.error.HTTPError as err:
            raise HTTPFailure(method, url, err.code, err.read().decode("utf-8", "replace")) from None
        if raw:
            return status, text
        return json.loads(text) if text.strip() else None

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, data=None, **kw):
        return self.request("POST", path, data if data is not None else {}, **kw)

    def put(self, path, data, **kw):
        return self.request("PUT", path, data, **kw)

    def status(self, method, path, data=None):
        """The HTTP status of a request (no exception for 4xx/5xx)."""
        try:
            return self.request(method, path, data, raw=True)[0]
        except HTTPFailure as err:
            return err.status

    # ---- the user's server
    def start_server(self, timeout=180):
        """Start this user's server and wait until the hub says it is ready."""
        if self.status("POST", f"/hub/api/users/{self.name}/server") not in (201, 202, 400):
            raise RuntimeError(f"could not start {self.name}'s server")
        deadline = time.time() + timeout
        while time.time() < deadline:
            model = self.get(f"/hub/api/users/{self.name}")
            server = (model.get("servers") or {}).get("")
            if server and server.get("ready"):
                return server
            time.sleep(1)
        raise TimeoutError(f"{self.name}'s server did not become ready in {timeout} s")

    def stop_server(self):
        self.status("DELETE", f"/hub/api/users/{self.name}/server")

    # ---- files through the Jupyter contents API
    def read(self, base, path):
        return self.get(f"{base}api/contents/{urllib.parse.quote(path)}?content=1")

    def write_notebook(self, base, path, nb):
        return self.put(f"{base}api/contents/{urllib.parse.quote(path)}",
                        {"type": "notebook", "format": "json", "content": nb})

    # ---- code in a kernel on a server (what a learner does in a notebook)
    def execute(self, base, code, timeout=300):
        """Run ``code`` in a new kernel on the server at ``base``; return (stdout, error text)."""
        import websocket  # websocket-client, a JupyterLab dependency

        kernel = self.post(f"{base}api/kernels", {"name": "python3"})
        ws_url = self.url.replace("http", "ws", 1) + f"{base}api/kernels/{kernel['id']}/channels"
        conn = websocket.create_connection(ws_url, header=[f"Authorization: token {self.token}"],
                                           timeout=timeout)
        try:
            msg_id = uuid.uuid4().hex
            conn.send(json.dumps({
                "header": {"msg_id": msg_id, "username": self.name or "", "session": uuid.uuid4().hex,
                           "msg_type": "execute_request", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": False,
                            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
            }))
            out, err = [], []
            deadline = time.time() + timeout
            while time.time() < deadline:
                msg = json.loads(conn.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    (out if content["name"] == "stdout" else err).append(content["text"])
                elif kind == "error":
                    err.append(f"{content['ename']}: {content['evalue']}")
                elif kind == "status" and content["execution_state"] == "idle":
                    return "".join(out), "".join(err)
            raise TimeoutError(f"code did not finish in {timeout} s on {base}")
        finally:
            conn.close()
            self.status("DELETE", f"{base}api/kernels/{kernel['id']}")


class Hub(Client):
    """The hub's REST API with an admin token (the course-admin service of jupyterhub_config.py)."""

    def wait_until_up(self, timeout=120, alive=lambda: True):
        deadline = time.time() + timeout
        while time.time() < deadline and alive():
            try:
                return self.get("/hub/api/")
            except (OSError, HTTPFailure):
                time.sleep(0.5)
        raise TimeoutError("the hub did not answer")

    def as_user(self, name, note="course client"):
        """A client holding a new token of ``name``'s own (with that user's permissions)."""
        token = self.post(f"/hub/api/users/{name}/tokens", {"note": note})["token"]
        return Client(self.url, token, name)
