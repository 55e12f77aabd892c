"""Connection limits (docs/limits.md "HTTP and connections", docs/operations.md): slow clients and
idle keep-alive connections are cut off, the number of connections is bounded, and keep-alive
carries many requests."""

import http.client
import json
import socket
import time
import unittest

from progressd_fixture import (ProgressdServer, ServerCase, http_request_bytes, parse_one_response,
                               read_raw_response, wait_closed)


class TimeoutsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ProgressdServer(extra_args=("--request-timeout-seconds", "1",
                                                 "--idle-timeout-seconds", "1"))
        cls.token = cls.server.user_token("limits-user")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def assert_cut_off(self, sock, started, trickle):
        """Trickles `trickle` one byte every 0.2 s; the server must close the connection (a 408
        first is allowed) roughly one request timeout after the first byte."""
        closed_after = None
        received = b""
        for byte in trickle:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - started
                break
            waited, data = wait_closed(sock, 0.2)
            received += data
            if waited is not None:
                closed_after = time.monotonic() - started
                break
            if time.monotonic() - started > 6:
                break
        self.assertIsNotNone(closed_after, "a slow client was never cut off")
        self.assertGreater(closed_after, 0.5, "cut off before the request timeout")
        self.assertLess(closed_after, 3.5, "cut off long after the 1 s request timeout")
        if received:
            self.assertTrue(received.startswith(b"HTTP/1.1 408"), received[:200])

    def test_slow_headers_are_cut_off(self):
        sock = self.server.raw_connect()
        try:
            started = time.monotonic()
            sock.sendall(b"GET /v1/progress/x HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.assert_cut_off(sock, started, b"X-Slow: " + b"s" * 200)
        finally:
            sock.close()

    def test_slow_body_is_cut_off(self):
        sock = self.server.raw_connect()
        try:
            started = time.monotonic()
            sock.sendall(http_request_bytes("POST", "/v1/progress", {
                "Authorization": "Bearer " + self.token, "Content-Type": "application/json",
                "Content-Length": "300"}))
            self.assert_cut_off(sock, started, b'{"content_id": "slow", "pad": "' + b"p" * 250)
        finally:
            sock.close()
        # Nothing of the cut-off request was applied.
        status, _, _, _ = self.server.request("GET", "/v1/progress/slow", token=self.token)
        self.assertEqual(status, 404)

    def test_idle_keep_alive_connection_is_closed(self):
        sock = self.server.raw_connect()
        try:
            sock.sendall(http_request_bytes("GET", "/livez"))
            response = read_raw_response(sock, 5)
            self.assertEqual(response.status, 200)
            self.assertFalse(response.closed)
            # Still usable shortly after (control)...
            time.sleep(0.3)
            sock.sendall(http_request_bytes("GET", "/livez"))
            response = read_raw_response(sock, 5)
            self.assertEqual(response.status, 200)
            # ...and closed about one idle timeout later.
            waited, data = wait_closed(sock, 4)
            self.assertIsNotNone(waited, "idle keep-alive connection still open after 4 s")
            self.assertGreater(waited, 0.5)
            self.assertLess(waited, 3.5)
        finally:
            sock.close()

    def test_connection_that_never_sends_is_closed(self):
        sock = self.server.raw_connect()
        try:
            waited, _ = wait_closed(sock, 4)
            self.assertIsNotNone(waited, "silent connection still open after 4 s")
            self.assertLess(waited, 3.5)
        finally:
            sock.close()

    def test_keep_alive_100_requests_on_one_connection(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            conn.connect()
            first_socket = conn.sock
            headers = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
            for i in range(1, 101):
                if i % 2:
                    conn.request("POST", "/v1/progress",
                                 body=('{"content_id": "ka", "time_spent_delta_seconds": 1, '
                                       '"position_seconds": %d, "duration_seconds": 1000}' % i),
                                 headers=headers)
                else:
                    conn.request("GET", "/v1/progress/ka", headers=headers)
                response = conn.getresponse()
                body = response.read()
                self.assertEqual(response.status, 200, (i, body[:200]))
                self.assertFalse(response.will_close, f"server closed keep-alive after request {i}")
                self.assertIs(conn.sock, first_socket, f"reconnected at request {i}")
            conn.request("GET", "/v1/progress/ka", headers=headers)
            response = conn.getresponse()
            record = json.loads(response.read())
            self.assertEqual(record["time_spent_seconds"], 50)
            self.assertEqual(record["position_seconds"], 99)
        finally:
            conn.close()

    def test_pipelined_requests_answered_in_order(self):
        sock = self.server.raw_connect()
        try:
            paths = ["/livez", "/readyz", "/healthz", "/livez"]
            sock.sendall(b"".join(http_request_bytes("GET", p) for p in paths))
            data = b""
            statuses = []
            deadline = time.monotonic() + 5
            while len(statuses) < len(paths) and time.monotonic() < deadline:
                parsed = parse_one_response(data)
                if parsed:
                    statuses.append(parsed[0])
                    data = parsed[3]
                    continue
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                data += chunk
            self.assertEqual(statuses, [200, 200, 200, 200])
        finally:
            sock.close()


class MaxConnectionsTest(ServerCase):
    server_args = ("--max-connections", "5")

    def livez_on(self, sock, timeout=3):
        try:
            sock.sendall(http_request_bytes("GET", "/livez"))
        except (BrokenPipeError, ConnectionResetError):
            return None
        return read_raw_response(sock, timeout)

    def test_connections_beyond_the_cap_are_closed(self):
        self.server.close_connections()
        first = [self.server.raw_connect() for _ in range(5)]
        extra = []
        try:
            for n, sock in enumerate(first):
                response = self.livez_on(sock)
                self.assertEqual(response.status, 200, f"connection {n + 1} not served")
                self.assertFalse(response.closed)
            for _ in range(5):
                try:
                    extra.append(self.server.raw_connect())
                except OSError:
                    extra.append(None)  # refused outright is also "closed at once"
            for n, sock in enumerate(extra, start=6):
                if sock is None:
                    continue
                waited, data = wait_closed(sock, 2)
                self.assertIsNotNone(waited, f"connection {n} over the cap was left open")
                self.assertFalse(data.startswith(b"HTTP/1.1 2"), f"connection {n} over the cap was served")
                response = self.livez_on(sock, 1)
                self.assertTrue(response is None or response.status is None,
                                f"connection {n} over the cap was served")
            for n, sock in enumerate(first):
                response = self.livez_on(sock)
                self.assertEqual(response.status, 200, f"connection {n + 1} lost its service")
            # Freeing a slot lets a new connection in.
            first.pop().close()
            served = False
            deadline = time.monotonic() + 3
            while not served and time.monotonic() < deadline:
                sock = self.server.raw_connect()
                response = self.livez_on(sock, 1)
                served = response is not None and response.status == 200
                if served:
                    first.append(sock)
                else:
                    sock.close()
                    time.sleep(0.1)
            self.assertTrue(served, "a freed slot was never reused")
        finally:
            for sock in first + [s for s in extra if s is not None]:
                sock.close()


if __name__ == "__main__":
    unittest.main()
