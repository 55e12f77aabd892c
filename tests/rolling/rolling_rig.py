"""Two progressd nodes (sync durability, each its own LMDB data dir, one HS256 secret) behind a real
HAProxy running deploy/haproxy/single-nodes.cfg, for tests/rolling/test_rolling_restart.py.

Nodes run with progressd's defaults for everything a rolling restart depends on (no --drain-*
flag): the point is that the defaults are safe. Each node keeps its ports across restarts, as a
deployment does (free ports, chosen once).
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))

from haproxy_rig import _die_with_parent, free_port, haproxy_binary, runtime_command, stop_process  # noqa: E402
from progressd_fixture import PROGRESSCTL, PROGRESSD  # noqa: E402

CONFIG = os.path.join(HERE, "..", "..", "deploy", "haproxy", "single-nodes.cfg")
SERVICE_KEY = "rolling-service-key"
NODE_NAMES = ("node-a", "node-b")


class Node:
    """One progressd process, restartable on the same ports and data dir."""

    def __init__(self, name, base_dir, secret_file, keys_file, agent_port=None, extra_args=()):
        self.name = name
        self.port = free_port()
        self.agent_port = free_port() if agent_port is None else agent_port  # 0: the kernel picks
        self.extra_args = list(extra_args)
        self.data_dir = os.path.join(base_dir, name)
        self.secret_file = secret_file
        self.keys_file = keys_file
        self.process = None
        self.events = []
        self.lines = []

    def command(self):
        return [PROGRESSD, "--listen", f"127.0.0.1:{self.port}", "--agent-listen", f"127.0.0.1:{self.agent_port}",
                "--data-dir", self.data_dir, "--durability", "sync", "--threads", "2",
                "--jwt-hs256-secret-file", self.secret_file, "--api-keys-file", self.keys_file, *self.extra_args]

    def start(self, timeout=20):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROGRESSD_")}
        self.events = []
        ready = threading.Event()
        process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, env=env, preexec_fn=_die_with_parent)
        self.process = process

        def read(events=self.events):
            for raw in process.stderr:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.lines.append(line)
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                events.append(event)
                if event.get("event") == "ready":
                    ready.set()
            ready.set()

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        if not ready.wait(timeout) or process.poll() is not None:
            raise AssertionError(f"{self.name} did not start:\n" + "\n".join(self.lines[-30:]))
        return self.event("ready")

    def event(self, name):
        return next((e for e in self.events if e.get("event") == name), None)

    def stop(self, timeout=45):
        """SIGTERM and wait for the exit, as a deployment tool does: (exit code, seconds taken)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"{self.name} did not exit within {timeout} s")
        took = time.monotonic() - started
        self.reader.join(5)  # to the end of its stderr: the drain_ended line is in
        self.process.stderr.close()
        return code, took

    def kill(self):
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.reader.join(5)
            self.process.stderr.close()

    def request(self, method, path, body=None, key=SERVICE_KEY):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            text = response.read()
            return response.status, (json.loads(text) if text else None)
        finally:
            connection.close()

    def readiness_checks(self):
        """How many /readyz requests the node has answered (its /metrics)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", "/metrics")
            text = connection.getresponse().read().decode()
        finally:
            connection.close()
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith('progressd_requests_total{route="/readyz"'))

    def wait_for_readiness_check(self, seconds=5):
        """Returns just after HAProxy's next readiness check of this node."""
        before = self.readiness_checks()
        deadline = time.monotonic() + seconds
        while self.readiness_checks() == before:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no readiness check within {seconds} s")
            time.sleep(0.02)

    def content_ids(self, user):
        """Every content id the node holds for `user`, read page by page."""
        found = set()
        page = 1
        while True:
            status, answer = self.request("GET", f"/v1/users/{user}/progress?page={page}&page_size=1000")
            if status != 200:
                raise AssertionError(f"{self.name}: reading {user}'s progress: {status} {answer}")
            found.update(record["content_id"] for record in answer["results"])
            if not answer.get("next"):
                return found
            page += 1


def agent_line(port):
    """What the agent says on one connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        chunks = []
        while chunk := s.recv(256):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def adapted_config(text, port, nodes, socket_path):
    """single-nodes.cfg with test ports and paths; each replaced text must be found exactly once."""
    def replace(old, new):
        nonlocal text
        if text.count(old) != 1:
            raise AssertionError(f"single-nodes.cfg: expected one {old!r}, found {text.count(old)}")
        text = text.replace(old, new)

    replace("    user haproxy\n", "")
    replace("    group haproxy\n", "")
    replace("bind :8080", f"bind 127.0.0.1:{port}")
    replace("/run/haproxy/admin.sock", socket_path)
    for index, node in enumerate(nodes):
        replace(f"server {node.name} 127.0.0.1:{8081 + index} agent-port {8091 + index}",
                f"server {node.name} 127.0.0.1:{node.port} agent-port {node.agent_port}")
    return text


class RollingRig:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="progressd-rolling-")
        base = self.dir.name
        self.secret_file = os.path.join(base, "jwt.secret")
        with open(self.secret_file, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        self.keys_file = os.path.join(base, "api-keys")
        with open(self.keys_file, "w") as f:
            f.write(SERVICE_KEY + "\n")
        self.nodes = [Node(name, base, self.secret_file, self.keys_file) for name in NODE_NAMES]
        self.haproxy = None
        self.port = None
        self.socket_path = os.path.join(base, "admin.sock")

    def start(self):
        for node in self.nodes:
            node.start()
        self.port = free_port()
        config_path = os.path.join(self.dir.name, "haproxy.cfg")
        with open(CONFIG) as f:
            text = adapted_config(f.read(), self.port, self.nodes, self.socket_path)
        with open(config_path, "w") as f:
            f.write(text)
        self.haproxy_log = os.path.join(self.dir.name, "haproxy.log")
        with open(self.haproxy_log, "w") as log:
            self.haproxy = subprocess.Popen([haproxy_binary(), "-db", "-f", config_path], stdout=log,
                                            stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        self.wait_state({n.name: "UP" for n in self.nodes}, 20)
        return self

    def close(self):
        if self.haproxy is not None:
            stop_process(self.haproxy)
        for node in self.nodes:
            node.kill()
        self.dir.cleanup()

    def token(self, user):
        done = self.progressctl("token", "--user", user, "--jwt-hs256-secret-file", self.secret_file)
        if done.returncode != 0:
            raise AssertionError(f"progressctl token: {done.stderr}")
        return done.stdout.strip()

    def progressctl(self, *args):
        """progressctl with `args`; the finished process (stdout and stderr as text)."""
        return subprocess.run([PROGRESSCTL, *args], capture_output=True, text=True, timeout=20,
                              env={k: v for k, v in os.environ.items() if not k.startswith("PROGRESSD_")})

    def runtime(self, command):
        return runtime_command(self.socket_path, command)

    def stats(self):
        """{server or "BACKEND": its `show stat` row} of backend progressd."""
        lines = self.runtime("show stat").splitlines()
        columns = lines[0].lstrip("# ").split(",")
        rows = (dict(zip(columns, line.split(","))) for line in lines[1:] if line)
        return {row["svname"]: row for row in rows if row.get("pxname") == "progressd"}

    def states(self):
        """{server: status} of backend progressd as `show stat` says it ("UP", "DOWN", "DRAIN", ...)."""
        return {name: row["status"] for name, row in self.stats().items() if name != "BACKEND"}

    def wait_state(self, wanted, seconds):
        """Until every server named in `wanted` has that status (a predicate, or an exact string)."""
        deadline = time.monotonic() + seconds
        states = {}
        while time.monotonic() < deadline:
            if self.haproxy.poll() is not None:
                raise AssertionError("haproxy exited:\n" + open(self.haproxy_log).read())
            try:
                states = self.states()
            except OSError:  # the runtime socket is not there yet
                time.sleep(0.05)
                continue
            if all(want(states.get(name, "")) if callable(want) else states.get(name) == want
                   for name, want in wanted.items()):
                return states
            time.sleep(0.1)
        raise AssertionError(f"HAProxy did not reach {wanted} within {seconds} s: {states}")
