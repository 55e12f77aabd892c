"""Runs the real progressd on a loopback port with a temporary data dir, and talks HTTP to it.

Used by the test_*.py files beside it. Python 3.11 stdlib only.

Binaries come from PROGRESSD_BIN and PROGRESSCTL_BIN (defaults build/server/progressd and
build/tools/progressctl, relative paths taken from the repository root).

PROGRESSD_E2E_CLUSTER=haproxy (or 1) runs every ServerCase against a 3-node cluster on PostgreSQL
behind HAProxy instead of one process; =direct sends every request to one node of the cluster,
which forwards the users it does not own; =mixed alternates the two, request by request, in each
thread (tests/cluster/cluster_e2e.py, tests/cluster/README.md).
Tests about one process are marked @one_process_only and skipped then.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import select
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

from openapi_check import check_response

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _binary(env_name, default):
    path = os.environ.get(env_name) or default
    return path if os.path.isabs(path) else os.path.join(REPO, path)


PROGRESSD = _binary("PROGRESSD_BIN", "build/server/progressd")
PROGRESSCTL = _binary("PROGRESSCTL_BIN", "build/tools/progressctl")

SERVICE_KEY = "svc-key-1"
READY_TIMEOUT_S = 20
EXIT_TIMEOUT_S = 30

_cluster_env = os.environ.get("PROGRESSD_E2E_CLUSTER", "").strip().lower()
CLUSTER_MODE = {"": None, "0": None, "1": "haproxy"}.get(_cluster_env, _cluster_env)


def one_process_only(reason):
    """Skips a test (or class) in cluster mode: it is about one process (its restart, kill, data
    dir, backup, disk or limits), which a cluster does not have."""
    return unittest.skipIf(CLUSTER_MODE is not None, f"one process only: {reason}")


def basic_auth(user, password=""):
    """The value of an HTTP Basic Authorization header (Skilljar clients: the key as user name)."""
    raw = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint_hs256(secret, claims, header=None):
    """A compact JWS signed with HS256 by this test, independent of progressctl."""
    header = header if header is not None else {"alg": "HS256", "typ": "JWT"}
    signing_input = _b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        _b64url(json.dumps(claims, separators=(",", ":")).encode())
    key = secret if isinstance(secret, bytes) else secret.encode()
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64url(signature)


def mint_unsigned(claims):
    """An `alg: none` token: header.payload. with an empty signature."""
    header = {"alg": "none", "typ": "JWT"}
    return _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode()) + "."


def progressctl_token(cache, user, secret_args, ttl_seconds=None):
    """A token for `user` minted by `progressctl token` with the secret `secret_args` name
    (["--data-dir", DIR] or ["--jwt-hs256-secret-file", FILE]); tokens without a TTL are kept in
    `cache` (a dict), since minting one runs a process."""
    if ttl_seconds is None and user in cache:
        return cache[user]
    args = [PROGRESSCTL, "token", "--user", user, *secret_args]
    if ttl_seconds is not None:
        args += ["--ttl-seconds", str(ttl_seconds)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROGRESSD_")}
    done = subprocess.run(args, capture_output=True, text=True, timeout=20, env=env)
    if done.returncode != 0:
        raise AssertionError(f"progressctl token failed ({done.returncode}): {done.stderr}")
    token = done.stdout.strip()
    if ttl_seconds is None:
        cache[user] = token
    return token


class RawResponse:
    """What came back on a raw socket: a parsed response (or None) and how the connection ended."""

    def __init__(self, status, headers, body, raw, closed, error):
        self.status = status      # int, or None when no complete status line arrived
        self.headers = headers    # lower-cased names
        self.body = body
        self.raw = raw            # every byte received
        self.closed = closed      # the peer closed (EOF or reset) while we read
        self.error = error        # the socket error seen, if any (e.g. ConnectionResetError)

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def parse_one_response(data):
    """(status, headers, body, rest) from the start of data, or None when incomplete."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = data[:head_end].decode("latin-1").split("\r\n")
    parts = head[0].split(" ", 2)
    status = int(parts[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body_start = head_end + 4
    if len(data) < body_start + length:
        return None
    return status, headers, data[body_start:body_start + length], data[body_start + length:]


def read_raw_response(sock, timeout):
    """Reads one response (or until the peer closes / timeout) from a raw socket."""
    deadline = time.monotonic() + timeout
    data = b""
    closed = False
    error = None
    while True:
        parsed = parse_one_response(data) if data else None
        if parsed is not None:
            status, headers, body, _ = parsed
            return RawResponse(status, headers, body, data, closed, error)
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, BrokenPipeError) as e:
            closed, error = True, e
            break
        if not chunk:
            closed = True
            break
        data += chunk
    parsed = parse_one_response(data) if data else None
    if parsed is not None:
        status, headers, body, _ = parsed
        return RawResponse(status, headers, body, data, closed, error)
    return RawResponse(None, {}, b"", data, closed, error)


def _raw_headers(data):
    """The header fields of a raw request's bytes, lower-cased names (what could be read)."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    fields = {}
    for line in head:
        name, colon, value = line.partition(":")
        if colon:
            fields[name.strip().lower()] = value.strip()
    return fields


def wait_closed(sock, timeout):
    """Seconds until the peer closed the socket (EOF or reset), or None if still open after timeout.

    Bytes that arrive meanwhile (e.g. a 408 response) are collected in the returned tuple."""
    start = time.monotonic()
    data = b""
    while True:
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            return None, data
        readable, _, _ = select.select([sock], [], [], left)
        if not readable:
            return None, data
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start, data
        if not chunk:
            return time.monotonic() - start, data
        data += chunk


def unique(prefix):
    """A name no other test uses, so the tests of a class can share one server."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class ServerCase(unittest.TestCase):
    """Test cases that share one progressd per class, started with `server_args`.

    With `make_catalog` (a function returning catalog entries) the entries are written to a
    file the server loads with --catalog; its path is `catalog`.
    """

    server_args = ()
    make_catalog = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory(prefix="progressd-case-")
        args = list(cls.server_args)
        cls.catalog = None
        if cls.make_catalog is not None:
            cls.catalog = os.path.join(cls.tmp.name, "catalog.json")
            with open(cls.catalog, "w") as f:
                json.dump(cls.make_catalog(), f)
            args = ["--catalog", cls.catalog, *args]
        try:
            if CLUSTER_MODE is not None:
                cls.server = _cluster_server(CLUSTER_MODE, args)
            else:
                cls.server = ProgressdServer(extra_args=args)
        except BaseException:
            cls.tmp.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.tmp.cleanup()
        super().tearDownClass()


def _cluster_server(mode, args):
    import sys
    cluster_dir = os.path.join(REPO, "tests", "cluster")
    if cluster_dir not in sys.path:
        sys.path.insert(0, cluster_dir)
    from cluster_e2e import ClusterServer
    return ClusterServer(mode, extra_args=args)


class ProgressdServer:
    """One progressd process with its own temp dir (api keys file, data dir unless given).

    Starts at construction and waits for the JSON "ready" line on stderr; stderr keeps being
    drained by a thread for the process's whole life, its lines kept in `stderr_lines`.
    """

    def __init__(self, data_dir=None, durability="snapshot", extra_args=(), api_keys=(SERVICE_KEY,)):
        for path in (PROGRESSD, PROGRESSCTL):
            if not os.access(path, os.X_OK):
                raise AssertionError(f"missing binary {path} (build first)")
        self._tmp = tempfile.TemporaryDirectory(prefix="progressd-e2e-")
        self.data_dir = data_dir or os.path.join(self._tmp.name, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.keys_file = os.path.join(self._tmp.name, "api-keys")
        with open(self.keys_file, "w") as f:
            f.write("# e2e service keys\n")
            for key in api_keys:
                f.write(key + "\n")
        self.durability = durability
        self.extra_args = list(extra_args)
        self.process = None
        self.port = None
        self.stderr_lines = []     # every stderr line of every run, raw text
        self.events = []           # the lines that parsed as JSON objects
        self.ready_event = None    # the parsed "ready" line of the current run
        self._local = threading.local()
        self._connections = []
        self._connections_lock = threading.Lock()
        self._tokens = {}
        self.openapi_failures = []  # docs/openapi.json mismatches raised in threads other than main
        self.start()

    # --- process -------------------------------------------------------------------------------

    def command(self):
        args = [PROGRESSD, "--listen", "127.0.0.1:0", "--data-dir", self.data_dir,
                "--api-keys-file", self.keys_file, "--durability", self.durability]
        # Defaults the tests rely on, unless a test sets them itself (a flag given twice may be
        # refused by the option parser).
        for flag, value in (("--threads", "2"), ("--drain-seconds", "0")):
            if flag not in self.extra_args:
                args += [flag, value]
        return args + self.extra_args

    def start(self):
        # The tests configure the server through flags only: no PROGRESSD_* from the caller's
        # environment may leak in (PROGRESSD_BIN among them).
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROGRESSD_")}
        self.ready_event = None
        self.port = None
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        env=env)
        ready = threading.Event()
        run_lines = []

        def drain(process=self.process):
            for raw in process.stderr:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.stderr_lines.append(line)
                run_lines.append(line)
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(event, dict):
                    continue
                self.events.append(event)
                if self.ready_event is None and event.get("event") == "ready" and "listen" in event:
                    self.ready_event = event
                    ready.set()
            ready.set()  # the process exited: wake the waiter

        self._drainer = threading.Thread(target=drain, daemon=True)
        self._drainer.start()
        if not ready.wait(READY_TIMEOUT_S) or self.ready_event is None:
            code = self.process.poll()
            if code is None:
                self.process.kill()
                self.process.wait()
            raise AssertionError(
                f"progressd did not log a ready line within {READY_TIMEOUT_S} s "
                f"(exit code {code}); command {' '.join(self.command())}\nstderr:\n" +
                "\n".join(run_lines[-50:]))
        host, _, port = str(self.ready_event["listen"]).rpartition(":")
        if host != "127.0.0.1" or not port.isdigit() or int(port) == 0:
            raise AssertionError(f"ready line has an unexpected listen field: {self.ready_event}")
        self.port = int(port)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def send_signal(self, signum):
        self.process.send_signal(signum)

    def wait_for_event(self, name, timeout=10):
        """The first logged JSON event called `name`, waiting up to `timeout` seconds for it
        (stderr is read by another thread, so a line the server wrote may not be here yet)."""
        deadline = time.monotonic() + timeout
        while True:
            for event in list(self.events):
                if event.get("event") == name:
                    return event
            if time.monotonic() > deadline:
                raise AssertionError(f"no {name!r} event within {timeout} s: {self.stderr_lines[-5:]}")
            time.sleep(0.01)

    def wait_exit(self, timeout=EXIT_TIMEOUT_S):
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"progressd did not exit within {timeout} s; stderr tail:\n" +
                                 "\n".join(self.stderr_lines[-30:]))
        self._drainer.join(5)
        self.close_connections()
        return code

    def stop_sigterm(self, timeout=EXIT_TIMEOUT_S):
        """SIGTERM, wait for the exit, return the exit code."""
        self.close_connections()
        self.process.send_signal(signal.SIGTERM)
        return self.wait_exit(timeout)

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._drainer.join(5)
        self.close_connections()

    def restart(self):
        """A new process on the same data dir (stopping the current one with SIGTERM if alive)."""
        if self.alive():
            code = self.stop_sigterm()
            if code != 0:
                raise AssertionError(f"progressd exited {code} on SIGTERM before restart")
        self.close_connections()
        self.start()

    def close(self):
        """Stop whatever still runs and remove the temp dir. Fails when a sanitizer reported
        anything during any run (sanitizer builds: the report may not have stopped the test)."""
        self.close_connections()
        if self.alive():
            self.process.kill()
            self.process.wait()
        if self.process is not None and self.process.stderr:
            self._drainer.join(5)
            self.process.stderr.close()
        self._tmp.cleanup()
        if self.openapi_failures:
            raise AssertionError("answers that contradict docs/openapi.json, in a thread of the test:\n" +
                                 "\n".join(self.openapi_failures[:10]))
        reports = self.sanitizer_reports()
        if reports:
            raise AssertionError("a sanitizer reported a finding in progressd:\n" + "\n".join(reports[:40]))

    def sanitizer_reports(self):
        """stderr lines from ASan, UBSan, LSan or TSan, with what follows them (the stack)."""
        for index, line in enumerate(self.stderr_lines):
            if "Sanitizer" in line or "runtime error:" in line:
                return self.stderr_lines[index:]
        return []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- credentials ---------------------------------------------------------------------------

    def user_token(self, user, ttl_seconds=None):
        """A token minted by `progressctl token` for this server's data dir."""
        return progressctl_token(self._tokens, user, ["--data-dir", self.data_dir], ttl_seconds)

    def hs256_secret(self):
        """The HS256 key: the secret file's bytes, trailing whitespace trimmed."""
        with open(os.path.join(self.data_dir, "jwt-hs256.secret"), "rb") as f:
            return f.read().rstrip()

    # --- HTTP ------------------------------------------------------------------------------------

    def _connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.port != self.port:
            conn = self._local.conn = self._new_connection(self.port)
        return conn

    def _new_connection(self, port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    def close_connections(self):
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections = []
        self._local = threading.local()

    def request(self, method, path, body=None, headers=None, token=None, key=None):
        """(status, lower-cased headers, body bytes, parsed JSON or None), over a keep-alive
        connection per calling thread.

        body: dict/list (sent as JSON), str or bytes (sent as is). token: a user JWT; key: a
        service API key (both as Bearer). headers: extra headers; a value of None removes a
        header this method would add (e.g. {"Content-Type": None} sends no Content-Type)."""
        all_headers = {}
        if token is not None:
            all_headers["Authorization"] = "Bearer " + token
        if key is not None:
            all_headers["Authorization"] = "Bearer " + key
        if body is not None:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            elif isinstance(body, str):
                body = body.encode()
            all_headers["Content-Type"] = "application/json"
        for name, value in (headers or {}).items():
            for existing in [n for n in all_headers if n.lower() == name.lower()]:
                del all_headers[existing]
            if value is not None:
                all_headers[name] = value
        for attempt in (0, 1):
            conn = self._connection()
            reused = conn.sock is not None
            try:
                conn.request(method, path, body=body, headers=all_headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                # A keep-alive connection the server closed while idle: retry once on a new
                # one. A fresh connection failing is a real failure.
                if reused and attempt == 0:
                    continue
                raise
            response_headers = {name.lower(): value for name, value in response.getheaders()}
            if response.will_close:
                conn.close()
            self._check_openapi(method, path, response.status, response_headers, data, all_headers)
            parsed = None
            if data and "json" in response_headers.get("content-type", ""):
                try:
                    parsed = json.loads(data)
                except ValueError:
                    parsed = None
            return response.status, response_headers, data, parsed
        raise AssertionError("unreachable")

    def _check_openapi(self, method, target, status, headers, body, request_headers):
        """Every answer on a native path against docs/openapi.json (openapi_check.py). A mismatch
        raises in the calling thread; one in another thread (a test's writer thread) may go
        unseen there, so it is kept and raised again by close()."""
        try:
            check_response(method, target, status, headers, body, request_headers)
        except AssertionError as e:
            if threading.current_thread() is not threading.main_thread():
                self.openapi_failures.append(str(e))
            raise

    def raw_connect(self, timeout=10):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def raw_request(self, data, read_timeout=10):
        """Sends bytes on a new connection and reads one response (see RawResponse)."""
        sock = self.raw_connect()
        try:
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer and close before reading everything we send
            response = read_raw_response(sock, read_timeout)
        finally:
            sock.close()
        # The request line, when there is a readable one: the answer to it is checked like any.
        line = data.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        if response.status is not None and len(line) == 3 and line[0].isalpha() and line[1].startswith("/"):
            self._check_openapi(line[0], line[1], response.status, response.headers, response.body,
                                _raw_headers(data))
        return response

    def metrics_text(self):
        status, headers, body, _ = self.request("GET", "/metrics")
        if status != 200:
            raise AssertionError(f"/metrics answered {status}: {body[:500]!r}")
        return body.decode()


def assert_problem(test, response, status, type_suffix, field=None):
    """An RFC 9457 problem of the native API: status, content type, body fields, and (when
    given) an errors[] entry naming `field`. `status` may be a set of acceptable statuses."""
    got_status, headers, body, doc = response
    statuses = status if isinstance(status, (set, tuple, frozenset)) else {status}
    test.assertIn(got_status, statuses, f"expected {sorted(statuses)}, got {got_status}: {body[:600]!r}")
    content_type = headers.get("content-type", "")
    test.assertTrue(content_type.startswith("application/problem+json"),
                    f"content type {content_type!r} for {got_status}: {body[:300]!r}")
    test.assertIsInstance(doc, dict, f"problem body is not a JSON object: {body[:300]!r}")
    test.assertEqual(doc.get("status"), got_status, f"problem status field: {doc}")
    test.assertIsInstance(doc.get("title"), str, f"problem title: {doc}")
    test.assertIsInstance(doc.get("detail"), str, f"problem detail: {doc}")
    types = type_suffix if isinstance(type_suffix, (set, tuple, frozenset)) else {type_suffix}
    test.assertTrue(any(str(doc.get("type", "")).endswith("/" + t) for t in types),
                    f"problem type {doc.get('type')!r}, expected one of {sorted(types)}")
    if field is not None:
        errors = doc.get("errors")
        test.assertIsInstance(errors, list, f"problem without errors[]: {doc}")
        fields = [e.get("field") for e in errors if isinstance(e, dict)]
        test.assertIn(field, fields, f"errors[] does not name {field!r}: {doc}")
        for e in errors:
            test.assertIsInstance(e.get("message"), str, f"errors[] entry without message: {doc}")
    return doc


def http_request_bytes(method, path, headers=None, body=b""):
    """A raw HTTP/1.1 request (Host and Content-Length added)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    given = {name.lower() for name in (headers or {})}
    if "content-length" not in given and (body or method in ("POST", "PUT", "PATCH")):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
