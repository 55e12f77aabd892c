"""A real HAProxy running deploy/haproxy/haproxy.cfg in front of stand-in nodes, for the routing
suites, or in front of real progressd nodes (node_ports: cluster_rig.py).

The stand-ins are small Python HTTP servers that answer every request with the name of the node
that got it (and what it got), and /readyz with 200 or 503 as the test sets: the suites check
HAProxy's routing rules, not progressd. The shipped configuration is used as it is, except what
a test must change to run unprivileged in a temp dir: the listen and server addresses (free
loopback ports), the map file and runtime API socket paths, and no `user`/`group` switch.

    with HaproxyRig(nodes=("node-a", "node-b", "node-c"), partition_map={0: "node-a", ...}) as rig:
        status, answer = rig.request("GET", "/v1/users/alice/progress")
        answer["node"]                          # "node-b"
        rig.runtime("set map " + rig.map_path + " 5 node-c")
"""

import base64
import ctypes
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY = os.path.join(HERE, "..", "..", "deploy", "haproxy")
CONFIG = os.path.join(DEPLOY, "haproxy.cfg")
PARTITION_MAP = os.path.join(DEPLOY, "partition-map")
SHIPPED_NODES = ("node-a", "node-b", "node-c")


def haproxy_binary():
    return shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)


def skip_unless_haproxy():
    """SkipTest without HAProxy, except in CI (CI=true), where the suite must run."""
    if haproxy_binary() is None and os.environ.get("CI") != "true":
        raise unittest.SkipTest("HAProxy is not installed: apt-get install haproxy (Debian bookworm: 2.6)")


def partition_of(user_id):
    return zlib.crc32(user_id.encode()) % 1024


def jwt_for(user_id):
    """A token shaped like a JWT with `sub` = user_id. Unsigned: HAProxy never verifies one."""
    def b64url(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"sub": user_id, "iat": 1700000000, "exp": 4100000000}).encode())
    return f"{header}.{payload}.{b64url(b'not-a-signature')}"


def _die_with_parent():
    """In the child before exec: SIGKILL when the process that started it ends (Linux)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def runtime_command(socket_path, command):
    """One command to HAProxy's runtime API on its admin socket; the whole answer, as text."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(socket_path)
        s.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StandInNode:
    """An HTTP/1.1 keep-alive server answering {"node", "method", "path"}; /readyz by `ready`."""

    def __init__(self, name):
        self.name = name
        self.ready = True
        self.requests = 0
        node = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one(self):
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                if self.path == "/readyz":
                    status, body = (200, b"ready\n") if node.ready else (503, b"not ready\n")
                else:
                    node.requests += 1
                    status = 200
                    body = json.dumps({"node": node.name, "method": self.command, "path": self.path}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            # HAProxy ends each health check with a reset (no TIME_WAIT left behind): normal.
            def handle_error(self, request, client_address):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def adapted_config(text, port, node_ports, map_path, socket_path, without_body=False):
    """The shipped configuration with test paths and ports; each replaced line must be found, so
    a change to the shipped file that this rig no longer understands fails loudly."""
    def replace(old, new, count):
        nonlocal text
        found = text.count(old)
        if found != count:
            raise AssertionError(f"haproxy.cfg: expected {count} of {old!r}, found {found}")
        text = text.replace(old, new)

    replace("    user haproxy\n", "", 1)
    replace("    group haproxy\n", "", 1)
    replace("bind :8080", f"bind 127.0.0.1:{port}", 1)
    replace("/etc/haproxy/partitions.map", map_path, 1)
    replace("/run/haproxy/admin.sock", socket_path, 1)
    for index, name in enumerate(SHIPPED_NODES):
        replace(f"server {name} 127.0.0.1:{8081 + index}", f"server {name} 127.0.0.1:{node_ports[name]}", 2)
    if without_body:
        lines = [line for line in text.splitlines(keepends=True)
                 if "req.body" not in line and "wait-for-body" not in line]
        if len(lines) == len(text.splitlines()):
            raise AssertionError("haproxy.cfg: no body rules to remove")
        text = "".join(lines)
    return text


def stop_process(process, timeout=10):
    """SIGTERM, then SIGKILL when it has not exited within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class HaproxyRig:
    """node_ports: {shipped server name: port} of real nodes to send to instead of stand-ins."""

    def __init__(self, partition_map, without_body=False, node_ports=None):
        self.partition_map = dict(partition_map)
        self.without_body = without_body
        self.node_ports = dict(node_ports) if node_ports else None
        self.nodes = {}
        self.process = None
        self.dir = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="progressd-haproxy-")
        if self.node_ports is None:
            self.nodes = {name: StandInNode(name) for name in SHIPPED_NODES}
        ports = self.node_ports or {n: s.port for n, s in self.nodes.items()}
        self.port = free_port()
        self.map_path = os.path.join(self.dir, "partitions.map")
        self.socket_path = os.path.join(self.dir, "admin.sock")
        self.config_path = os.path.join(self.dir, "haproxy.cfg")
        with open(self.map_path, "w") as f:
            f.writelines(f"{p} {name}\n" for p, name in sorted(self.partition_map.items()))
        with open(CONFIG) as f:
            text = adapted_config(f.read(), self.port, ports, self.map_path, self.socket_path, self.without_body)
        with open(self.config_path, "w") as f:
            f.write(text)
        self.log = open(os.path.join(self.dir, "haproxy.log"), "w")
        # -db: stay in the foreground, so the process is ours to stop; and stopped with the test
        # process however that ends (a kill, a timeout), never left serving on a CI machine.
        self.process = subprocess.Popen([haproxy_binary(), "-db", "-f", self.config_path],
                                        stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        self.wait_for(lambda: self.server_states() == {n: "UP" for n in SHIPPED_NODES}, "every node UP")
        return self

    def stop(self):
        if self.process is not None:
            stop_process(self.process)
            self.process = None
            self.log.close()
        for node in self.nodes.values():
            node.close()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    def haproxy_log(self):
        with open(os.path.join(self.dir, "haproxy.log")) as f:
            return f.read()

    def wait_for(self, predicate, what, seconds=15):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited ({self.process.returncode}):\n{self.haproxy_log()}")
            try:
                if predicate():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}:\n{self.haproxy_log()}")

    def runtime(self, command):
        """One runtime API command; its answer."""
        return runtime_command(self.socket_path, command)

    def server_states(self, backend="progressd"):
        """{server: "UP"|"DOWN"|…} of a backend, from `show stat`."""
        lines = self.runtime("show stat").splitlines()
        columns = lines[0].lstrip("# ").split(",")
        states = {}
        for line in lines[1:]:
            row = dict(zip(columns, line.split(",")))
            if row.get("pxname") == backend and row.get("svname") not in ("FRONTEND", "BACKEND", None):
                states[row["svname"]] = row["status"]
        return states

    def request(self, method, path, headers=None, body=None):
        """(status, decoded JSON answer) through HAProxy, on a new connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
            all_headers = dict(headers or {})
            if isinstance(body, (dict, list)):
                all_headers.setdefault("content-type", "application/json")
            connection.request(method, path, body=data, headers=all_headers)
            response = connection.getresponse()
            text = response.read()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, {"raw": text.decode(errors="replace")}
        finally:
            connection.close()

    def node_for(self, method, path, headers=None, body=None):
        status, answer = self.request(method, path, headers, body)
        if status != 200:
            raise AssertionError(f"{method} {path}: {status} {answer}")
        return answer["node"]
