"""Hostile clients (docs/limits.md; docs/reliability.md "Hostile clients"): many slowloris
connections at once, a flood of idle connections past --max-connections, pipelining (writes in
order, a bad request stopping the pipeline), request smuggling shapes, huge header counts, invalid
UTF-8, deeply nested JSON.

Each gets the right status or a closed connection, nothing it sends is applied, and the server
keeps answering a normal client meanwhile. Single slow clients, the plain connection cap, 8 KiB
headers and pipelined health checks are in test_limits.py / test_bad_input.py."""

import http.client
import json
import select
import threading
import time
import unittest
import uuid

from clients import ping, post_ping
from progressd_fixture import (SERVICE_KEY, ProgressdServer, assert_problem, http_request_bytes,
                               parse_one_response, wait_closed)

SERVICE_AUTH = {"Authorization": "Bearer " + SERVICE_KEY, "Content-Type": "application/json"}
FAST_S = 1.0  # a normal request must complete within this while the attack runs


def ping_bytes(user, content, position=5, extra_headers=None):
    body = json.dumps({"content_id": content, "user_id": user, "position_seconds": position}).encode()
    return http_request_bytes("POST", "/v1/progress", dict(SERVICE_AUTH, **(extra_headers or {})), body)


def read_until_closed(sock, timeout):
    """(bytes received, whether the peer closed) within timeout."""
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return data, False
        readable, _, _ = select.select([sock], [], [], left)
        if not readable:
            return data, False
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return data, True
        if not chunk:
            return data, True
        data += chunk


def split_responses(data):
    """[(status, headers, body)] parsed from the start of data; incomplete tail ignored."""
    responses = []
    while data:
        parsed = parse_one_response(data)
        if parsed is None:
            break
        status, headers, body, data = parsed
        responses.append((status, headers, body))
    return responses


class NormalClient:
    """Times a normal client's requests: one keep-alive connection and one fresh connection per
    round, an authenticated ping and a read each."""

    def __init__(self, server, user):
        self.server = server
        self.user = user
        self.latencies = []
        self.failures = []

    def round(self, n):
        content = f"normal-{n}"
        for fresh in (False, True):
            if fresh:
                self.server.close_connections()
            started = time.monotonic()
            try:
                status, _, raw, _ = post_ping(
                    self.server, {"content_id": content, "user_id": self.user, "position_seconds": n + 1},
                    key=SERVICE_KEY)
                status2, _, raw2, doc = self.server.request(
                    "GET", f"/v1/progress/{content}?user_id={self.user}", key=SERVICE_KEY)
            except (OSError, http.client.HTTPException) as e:
                self.failures.append(f"round {n}: {e!r}")
                continue
            self.latencies.append(time.monotonic() - started)
            if status != 200 or status2 != 200 or doc.get("position_seconds") != n + 1:
                self.failures.append(f"round {n}: {status} {raw[:100]!r} / {status2} {raw2[:100]!r}")


class SlowlorisTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ProgressdServer(extra_args=("--request-timeout-seconds", "2", "--idle-timeout-seconds", "2"))

    @classmethod
    def tearDownClass(cls):
        alive = cls.server.alive()
        cls.server.close()
        if not alive:
            raise AssertionError("progressd died during the slowloris test")

    def test_many_slow_headers_and_bodies_while_a_normal_client_stays_fast(self):
        attackers = []   # [socket, bytes still to trickle, first byte time, closed after s, received]
        for i in range(100):
            sock = self.server.raw_connect()
            sock.sendall(b"GET /v1/progress/x HTTP/1.1\r\n")
            attackers.append([sock, b"Host: 127.0.0.1\r\nX-Slow: " + b"s" * 200, time.monotonic(), None, b""])
        for i in range(100):
            sock = self.server.raw_connect()
            body = json.dumps({"content_id": f"slow-body-{i}", "user_id": "slowloris", "pad": "p" * 200}).encode()
            sock.sendall(http_request_bytes("POST", "/v1/progress", dict(SERVICE_AUTH, **{
                "Content-Length": str(len(body))})))
            attackers.append([sock, body, time.monotonic(), None, b""])

        stop = threading.Event()

        def trickle():
            # One byte per attacker every 0.1 s, until the server closes it.
            while not stop.is_set():
                open_ones = [a for a in attackers if a[3] is None]
                if not open_ones:
                    return
                for a in open_ones:
                    sock = a[0]
                    readable, _, _ = select.select([sock], [], [], 0)
                    closed = False
                    if readable:
                        try:
                            chunk = sock.recv(4096)
                            a[4] += chunk
                            closed = not chunk
                        except (ConnectionResetError, BrokenPipeError):
                            closed = True
                    if not closed and a[1]:
                        try:
                            sock.send(a[1][:1])
                            a[1] = a[1][1:]
                        except (ConnectionResetError, BrokenPipeError):
                            closed = True
                    if closed:
                        a[3] = time.monotonic() - a[2]
                time.sleep(0.1)

        trickler = threading.Thread(target=trickle, daemon=True)
        trickler.start()
        normal = NormalClient(self.server, "slowloris-normal")
        n = 0
        deadline = time.monotonic() + 6
        try:
            while trickler.is_alive() and time.monotonic() < deadline:
                normal.round(n)
                n += 1
                time.sleep(0.05)
        finally:
            stop.set()
            trickler.join(5)
            for a in attackers:
                a[0].close()

        self.assertEqual(normal.failures, [])
        self.assertGreater(n, 10, "too few normal requests ran during the attack")
        self.assertLess(max(normal.latencies), FAST_S,
                        f"a normal request took {max(normal.latencies):.2f} s during the slowloris attack")
        # Every slow connection was cut off by the server about one request timeout (2 s) after
        # its first byte, with nothing but an optional 408.
        not_cut = [i for i, a in enumerate(attackers) if a[3] is None]
        self.assertEqual(not_cut, [], f"{len(not_cut)} slow connections never cut off")
        slowest = max(a[3] for a in attackers)
        self.assertGreater(min(a[3] for a in attackers), 1.0, "cut off before the request timeout")
        self.assertLess(slowest, 4.5, f"a slow connection was cut off only after {slowest:.1f} s")
        for a in attackers:
            if a[4]:
                self.assertTrue(a[4].startswith(b"HTTP/1.1 408"), a[4][:200])
        status, _, _, doc = self.server.request("GET", "/v1/users/slowloris/progress", key=SERVICE_KEY)
        self.assertEqual(status, 200)
        self.assertEqual(doc["count"], 0, "a cut-off slow body was applied")


class ConnectionFloodTest(unittest.TestCase):
    CAP = 50

    @classmethod
    def setUpClass(cls):
        cls.server = ProgressdServer(extra_args=("--max-connections", str(cls.CAP), "--idle-timeout-seconds", "2"))

    @classmethod
    def tearDownClass(cls):
        alive = cls.server.alive()
        cls.server.close()
        if not alive:
            raise AssertionError("progressd died during the connection flood")

    def served_within(self, seconds):
        """Seconds a normal client needed to get a ping and a read answered (retrying while the
        server frees slots), or None."""
        started = time.monotonic()
        user = "flood-normal"
        content = "c-" + uuid.uuid4().hex[:8]
        while time.monotonic() - started < seconds:
            self.server.close_connections()
            try:
                status, _, _, _ = post_ping(
                    self.server, {"content_id": content, "user_id": user, "position_seconds": 7}, key=SERVICE_KEY)
                status2, _, _, doc = self.server.request("GET", f"/v1/progress/{content}?user_id={user}",
                                                         key=SERVICE_KEY)
                if status == 200 and status2 == 200 and doc["position_seconds"] == 7:
                    return time.monotonic() - started
            except (OSError, http.client.HTTPException):
                time.sleep(0.02)  # a slot not yet freed: the connection was closed at once
        return None

    def open_flood(self, count):
        flood = []
        for _ in range(count):
            try:
                flood.append(self.server.raw_connect(timeout=5))
            except OSError:
                pass  # refused outright is fine too
        return flood

    def test_idle_flood_past_the_cap_then_normal_client_served_at_once(self):
        self.server.close_connections()
        flood = self.open_flood(6 * self.CAP)
        try:
            # Those over the cap are closed at once; at most CAP stay open, silent.
            time.sleep(0.5)
            still_open = []
            for sock in flood:
                readable, _, _ = select.select([sock], [], [], 0)
                data, closed = read_until_closed(sock, 0.01) if readable else (b"", False)
                self.assertFalse(data.startswith(b"HTTP/1.1 2"), "a flood connection was served")
                if not closed:
                    still_open.append(sock)
            self.assertLessEqual(len(still_open), self.CAP, "more connections open than --max-connections")
            self.assertGreaterEqual(len(still_open), self.CAP - 5, "the cap was not reached (control)")
            self.assertTrue(self.server.alive())
        finally:
            for sock in flood:
                sock.close()
        took = self.served_within(FAST_S)
        self.assertIsNotNone(took, f"a normal client was not served within {FAST_S} s after the flood closed")

    def test_flood_that_never_closes_is_reclaimed_by_the_idle_timeout(self):
        self.server.close_connections()
        flood = self.open_flood(self.CAP + 20)
        try:
            started = time.monotonic()
            # The attacker keeps every socket open; the server closes them after 2 s idle.
            for sock in flood:
                waited, data = wait_closed(sock, max(0.1, 5 - (time.monotonic() - started)))
                self.assertIsNotNone(waited, "an idle flood connection was never closed")
                self.assertFalse(data.startswith(b"HTTP/1.1 2"))
            self.assertLess(time.monotonic() - started, 4.0)
            took = self.served_within(FAST_S)
            self.assertIsNotNone(took, "a normal client was not served while the attacker held its sockets")
        finally:
            for sock in flood:
                sock.close()


class WireTest(unittest.TestCase):
    """Pipelining, smuggling shapes, header counts, invalid UTF-8, deep JSON: one server."""

    @classmethod
    def setUpClass(cls):
        cls.server = ProgressdServer()

    @classmethod
    def tearDownClass(cls):
        alive = cls.server.alive()
        cls.server.close()
        if not alive:
            raise AssertionError("progressd died during the hostile wire tests")

    def record(self, user, content):
        status, _, raw, doc = self.server.request("GET", f"/v1/progress/{content}?user_id={user}", key=SERVICE_KEY)
        self.assertIn(status, (200, 404), raw)
        return doc if status == 200 else None

    def assert_still_fast(self):
        started = time.monotonic()
        status, _, raw, _ = self.server.request("GET", "/v1/progress/none?user_id=probe", key=SERVICE_KEY)
        self.assertEqual(status, 404, raw)
        self.assertLess(time.monotonic() - started, FAST_S)

    # --- pipelining ----------------------------------------------------------------------------

    def test_pipelined_writes_and_reads_answered_in_order(self):
        user, content = "pipe-user", "pipe-" + uuid.uuid4().hex[:8]
        requests = []
        expected = []
        for i in range(1, 16):
            minimal = {"Prefer": "return=minimal"} if i % 3 == 0 else None
            requests.append(ping_bytes(user, content, position=i * 10, extra_headers=minimal))
            expected.append((204 if minimal else 200, i * 10))
            requests.append(http_request_bytes("GET", f"/v1/progress/{content}?user_id={user}", SERVICE_AUTH))
            expected.append((200, i * 10))
        sock = self.server.raw_connect()
        try:
            sock.sendall(b"".join(requests))  # all at once: the server must answer one by one
            data = b""
            responses = []
            deadline = time.monotonic() + 10
            while len(responses) < len(expected) and time.monotonic() < deadline:
                chunk, closed = read_until_closed(sock, 0.2)
                data += chunk
                responses = split_responses(data)
                if closed:
                    break
        finally:
            sock.close()
        got = [(s, json.loads(b)["position_seconds"] if b else None) for s, _, b in responses]
        want = [(s, None if s == 204 else p) for s, p in expected]
        self.assertEqual(got, want)

    def test_a_bad_request_in_a_pipeline_stops_it(self):
        user = "pipe-bad"
        first, after = "first-" + uuid.uuid4().hex[:6], "after-" + uuid.uuid4().hex[:6]
        bad = (b"POST /v1/progress HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        sock = self.server.raw_connect()
        try:
            sock.sendall(ping_bytes(user, first) + http_request_bytes("GET", "/livez") + bad +
                         ping_bytes(user, after))
            data, closed = read_until_closed(sock, 3)
        finally:
            sock.close()
        statuses = [s for s, _, _ in split_responses(data)]
        self.assertEqual(statuses, [200, 200, 400], data[:600])
        self.assertTrue(closed, "the connection stayed open after a malformed request")
        self.assertIsNotNone(self.record(user, first))
        self.assertIsNone(self.record(user, after), "a request after the malformed one was applied")

    # --- request smuggling ---------------------------------------------------------------------

    SMUGGLE_SHAPES = {
        # name: (framing headers, bytes before the smuggled request). Wherever a server that
        # honours the framing correctly could take the smuggled bytes as a request of their own,
        # RFC 9112 requires it to answer 400 (or answer and close); a server that misreads the
        # framing answers the smuggled request too.
        "CL then TE": (b"Content-Length: {n5}\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"),
        "TE then CL": (b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", b"0\r\n\r\n"),
        "CL 0 with TE": (b"Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"),
        "duplicate differing CL": (b"Content-Length: {n}\r\nContent-Length: 0\r\n", b""),
        "duplicate differing CL reversed": (b"Content-Length: 0\r\nContent-Length: {n}\r\n", b""),
        "CL list": (b"Content-Length: 0, {n}\r\n", b""),
        "negative CL": (b"Content-Length: -1\r\n", b""),
        "signed CL": (b"Content-Length: +0\r\n", b""),
        "hex CL": (b"Content-Length: 0x0\r\n", b""),
        "bad chunk size": (b"Transfer-Encoding: chunked\r\n", b"zz\r\n"),
        "negative chunk size": (b"Transfer-Encoding: chunked\r\n", b"-5\r\nabcde\r\n"),
        "overflowing chunk size": (b"Transfer-Encoding: chunked\r\n", b"fffffffffffffffff1\r\nab\r\n"),
        "chunk line ending in bare LF": (b"Transfer-Encoding: chunked\r\n", b"5\nabcde\r\n"),
        "duplicate TE": (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b""),
        "space before colon": (b"Transfer-Encoding : chunked\r\n", b""),
        # RFC 9112 6.3: Transfer-Encoding in a request whose final coding is not chunked means
        # the body length cannot be determined: 400, then close.
        "TE gzip": (b"Transfer-Encoding: gzip\r\n", b""),
        "TE chunked then gzip": (b"Transfer-Encoding: chunked, gzip\r\n", b""),
        "TE xchunked": (b"Transfer-Encoding: xchunked\r\n", b""),
        "TE obs-fold": (b"Transfer-Encoding:\r\n chunked\r\n", b""),
    }

    def test_smuggling_shapes_are_refused_and_nothing_is_smuggled(self):
        user = "smuggle-target"
        head = b"POST /v1/progress HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + \
            SERVICE_KEY.encode() + b"\r\nContent-Type: application/json\r\n"
        for name, (framing, prefix) in self.SMUGGLE_SHAPES.items():
            with self.subTest(shape=name):
                marker = "smuggled-" + uuid.uuid4().hex[:8]
                smuggled = ping_bytes(user, marker, position=66)
                body = prefix + smuggled
                framing = framing.replace(b"{n5}", str(len(body)).encode()).replace(b"{n}", str(len(smuggled)).encode())
                sock = self.server.raw_connect()
                try:
                    try:
                        sock.sendall(head + framing + b"\r\n" + body)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    received, closed = read_until_closed(sock, 2)
                finally:
                    sock.close()
                responses = split_responses(received)
                self.assertLessEqual(len(responses), 1, f"{len(responses)} responses to one request: "
                                                        f"{[r[0] for r in responses]}, {received[:400]!r}")
                if responses:
                    status, headers, raw = responses[0]
                    assert_problem(self, (status, headers, raw, json.loads(raw)), 400,
                                   {"malformed-json", "bad-request", "malformed-request"})
                self.assertTrue(closed, "the connection stayed open after an ambiguous framing")
                self.assertIsNone(self.record(user, marker), "the smuggled request was applied")
        self.assert_still_fast()

    # --- headers -------------------------------------------------------------------------------

    def test_huge_header_counts(self):
        for count in (2_000, 20_000):
            with self.subTest(headers=count):
                headers = {f"X-H{i}": "v" for i in range(count)}
                response = self.server.raw_request(http_request_bytes("GET", "/v1/progress/x?user_id=u",
                                                                      dict(SERVICE_AUTH, **headers)))
                if response.status is not None:
                    self.assertIn(response.status, (400, 431), response.raw[:300])
                    assert_problem(self, (response.status, response.headers, response.body, response.json()),
                                   {400, 431}, {"headers-too-large", "malformed-json"})
                else:
                    self.assertTrue(response.closed, "neither an answer nor a close")
        # Many tiny headers within the 8 KiB limit are just a request (the limit is in bytes).
        headers = {f"X{i}": "" for i in range(900)}
        raw = http_request_bytes("GET", "/livez", headers)
        self.assertLess(len(raw), 8000)
        response = self.server.raw_request(raw)
        self.assertEqual(response.status, 200, response.raw[:300])
        self.assert_still_fast()

    # --- invalid UTF-8 -------------------------------------------------------------------------

    def test_invalid_utf8_in_bodies_is_400(self):
        user = "utf8-user"
        bodies = {
            "content_id": b'{"content_id":"ab\xff\xfe","user_id":"utf8-user","position_seconds":1}',
            "overlong slash": b'{"content_id":"a\xc0\xafb","user_id":"utf8-user","position_seconds":1}',
            "surrogate bytes in details": b'{"content_id":"u1","user_id":"utf8-user","details":{"k":"\xed\xa0\x80"}}',
            "lone surrogate escape": b'{"content_id":"u2","user_id":"utf8-user","details":{"k":"\\udc00"}}',
            "latin-1 mimetype": b'{"content_id":"u3","user_id":"utf8-user","mimetype":"vid\xe9o"}',
            "truncated sequence": b'{"content_id":"u4","user_id":"utf8-user","details":{"k":"\xe2\x82"}}',
            "unknown field": b'{"content_id":"u5","user_id":"utf8-user","extra":"\xff"}',
            "user_id": b'{"content_id":"u6","user_id":"utf8\xffuser"}',
        }
        for name, body in bodies.items():
            with self.subTest(body=name):
                response = post_ping(self.server, body, key=SERVICE_KEY)
                assert_problem(self, response, 400, "malformed-json")
        response = self.server.request("POST", "/v1/progress/batch",
                                       b'{"pings":[{"content_id":"\xff","user_id":"utf8-user"},'
                                       b'{"content_id":"u7","user_id":"utf8-user"}]}', key=SERVICE_KEY)
        assert_problem(self, response, 400, "malformed-json")
        status, _, _, doc = self.server.request("GET", f"/v1/users/{user}/progress", key=SERVICE_KEY)
        self.assertEqual((status, doc["count"]), (200, 0), "a body with invalid UTF-8 was applied")

    def test_invalid_utf8_in_ids_is_a_4xx_problem(self):
        paths = [
            ("GET", "/v1/progress/ab%FFcd?user_id=u", "content_id"),
            ("GET", "/v1/progress/%C0%AF?user_id=u", "content_id"),
            ("DELETE", "/v1/progress/%FF%FE?user_id=u", "content_id"),
            ("GET", "/v1/progress/x?user_id=u&context_id=%C3%28", "context_id"),
            ("GET", "/v1/progress/x?user_id=%ED%A0%80", "user_id"),
            ("GET", "/v1/progress?user_id=u&content_ids=a,%FF", "content_ids"),
            ("GET", "/v1/users/%FF/progress", "user_id"),
        ]
        for method, path, field in paths:
            with self.subTest(path=path):
                response = self.server.request(method, path, key=SERVICE_KEY)
                assert_problem(self, response, {400, 422}, {"validation", "malformed-json"}, field)
        # Raw (not percent-encoded) bytes >= 0x80 in the request target.
        response = self.server.raw_request(b"GET /v1/progress/ab\xff\xfecd?user_id=u HTTP/1.1\r\nHost: a\r\n"
                                           b"Authorization: Bearer " + SERVICE_KEY.encode() + b"\r\n\r\n")
        self.assertIn(response.status, (400, 422), response.raw[:300])
        assert_problem(self, (response.status, response.headers, response.body, response.json()),
                       {400, 422}, {"validation", "malformed-json"})
        # Invalid UTF-8 in the credential: refused as a credential, not a crash.
        response = self.server.raw_request(b"GET /v1/progress/x HTTP/1.1\r\nHost: a\r\n"
                                           b"Authorization: Bearer \xff\xfe.\xc0.\xed\xa0\x80\r\n\r\n")
        self.assertEqual(response.status, 401, response.raw[:300])
        self.assert_still_fast()

    # --- deep JSON -----------------------------------------------------------------------------

    def test_deeply_nested_json_is_400(self):
        user = "deep-user"
        bodies = {
            "10 000 [": (b"/v1/progress", b"[" * 10_000),
            "10 000 [ closed": (b"/v1/progress", b"[" * 10_000 + b"]" * 10_000),
            "10 000 objects": (b"/v1/progress", b'{"a":' * 10_000),
            "deep details": (b"/v1/progress", b'{"content_id":"deep","user_id":"deep-user","details":' +
                             b'{"a":' * 5_000 + b"1" + b"}" * 5_000 + b"}"),
            "deep batch item": (b"/v1/progress/batch", b'{"pings":[' + b"[" * 50_000 + b"]"),
            "1 MiB of [ on batch": (b"/v1/progress/batch", b"[" * 1_000_000),
        }
        for name, (path, body) in bodies.items():
            with self.subTest(body=name):
                started = time.monotonic()
                response = self.server.request("POST", path.decode(), body, key=SERVICE_KEY)
                assert_problem(self, response, 400, "malformed-json")
                self.assertLess(time.monotonic() - started, FAST_S)
        self.assertTrue(self.server.alive())
        status, _, _, doc = self.server.request("GET", f"/v1/users/{user}/progress", key=SERVICE_KEY)
        self.assertEqual((status, doc["count"]), (200, 0))
        # Control: modest nesting in details is accepted and stored as sent.
        details = {"a": {"b": {"c": {"d": [1, [2, [3]]]}}}}
        ping(self, self.server, {"content_id": "nested-ok", "user_id": user, "details": details}, key=SERVICE_KEY)
        self.assertEqual(self.record(user, "nested-ok")["details"], details)
        self.assert_still_fast()


if __name__ == "__main__":
    unittest.main()
