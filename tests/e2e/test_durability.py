"""Durability (docs/durability.md) with real crashes: SIGTERM drains and flushes, sync
mode loses nothing acknowledged across kill -9, snapshot mode loses nothing older than the flush
interval; draining answers 503 on readiness and `Connection: close` while it keeps serving."""

import http.client
import re
import signal
import threading
import time
import unittest

from clients import ping, post_ping
from progressd_fixture import SERVICE_KEY, ProgressdServer


def ping_body(user, content, i):
    """A deterministic ping whose values differ from record to record."""
    body = {"content_id": content, "user_id": user, "position_seconds": (i * 37) % 997 + 1,
            "duration_seconds": 1000, "time_spent_delta_seconds": i % 7 + 1,
            "mimetype": "video/mp4", "details": {"i": i}}
    if i % 10 == 0:
        body["event"] = "start"
    if i % 25 == 0:
        body["event"] = "complete"
    return body


class DurabilityCase(unittest.TestCase):
    def setUp(self):
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            server.close()

    def start(self, **kwargs):
        server = ProgressdServer(**kwargs)
        self.servers.append(server)
        return server

    def write_all(self, server, writes, threads):
        """Sends every (user, content, body) ping from `threads` client threads, each on its own
        keep-alive connection; returns {(user, content): acknowledged summary}."""
        acked = {}
        failures = []
        lock = threading.Lock()

        def worker(part):
            for user, content, body in part:
                try:
                    status, _, raw, doc = post_ping(server, body, key=SERVICE_KEY)
                except Exception as e:  # noqa: BLE001 - reported below
                    with lock:
                        failures.append(f"{user}/{content}: {e!r}")
                    continue
                with lock:
                    if status == 200 and isinstance(doc, dict):
                        acked[(user, content)] = doc
                    else:
                        failures.append(f"{user}/{content}: {status} {raw[:200]!r}")

        parts = [writes[n::threads] for n in range(threads)]
        workers = [threading.Thread(target=worker, args=(part,)) for part in parts]
        for w in workers:
            w.start()
        for w in workers:
            w.join(120)
        self.assertEqual(failures, [], f"{len(failures)} writes not acknowledged")
        self.assertEqual(len(acked), len(writes))
        return acked

    def read_all(self, server, keys):
        """{(user, content): record} via GET /v1/progress?content_ids=... (service key)."""
        by_user = {}
        for user, content in keys:
            by_user.setdefault(user, []).append(content)
        records = {}
        for user, contents in by_user.items():
            for start in range(0, len(contents), 100):
                chunk = contents[start:start + 100]
                status, _, raw, doc = server.request(
                    "GET", f"/v1/progress?user_id={user}&content_ids=" + ",".join(chunk), key=SERVICE_KEY)
                self.assertEqual(status, 200, raw[:300])
                for record in doc["results"]:
                    records[(user, record["content_id"])] = record
        return records

    def assert_acked_present(self, acked, records):
        missing = [key for key in acked if key not in records]
        self.assertEqual(missing[:10], [], f"{len(missing)} of {len(acked)} acknowledged writes lost")
        wrong = []
        for key, summary in acked.items():
            record = records[key]
            for field in ("status", "progress_percent", "position_seconds", "time_spent_seconds", "completed"):
                if record[field] != summary[field]:
                    wrong.append(f"{key} {field}: acked {summary[field]!r}, after restart {record[field]!r}")
        self.assertEqual(wrong[:10], [], f"{len(wrong)} values differ from what was acknowledged")


class CleanStopTest(DurabilityCase):
    def test_sigterm_exits_0_and_data_survives_restart(self):
        server = self.start()  # snapshot mode, default 1 s flush interval: only the stop flushes
        writes = [(f"term-u{i % 5}", f"term-c{i}", ping_body(f"term-u{i % 5}", f"term-c{i}", i))
                  for i in range(50)]
        acked = self.write_all(server, writes, threads=2)
        before = self.read_all(server, acked.keys())
        self.assertEqual(len(before), 50)
        self.assertEqual(server.stop_sigterm(), 0)
        server.start()
        self.assertEqual(server.request("GET", "/readyz")[0], 200)
        after = self.read_all(server, acked.keys())
        self.assertEqual(after, before, "records differ after a clean stop and restart")
        self.assertEqual(server.stop_sigterm(), 0)

    def test_sigterm_in_sync_mode_exits_0(self):
        server = self.start(durability="sync")
        ping(self, server, ping_body("sync-u", "sync-c", 3), key=SERVICE_KEY)
        self.assertEqual(server.stop_sigterm(), 0)
        server.start()
        self.assertIn(("sync-u", "sync-c"), self.read_all(server, [("sync-u", "sync-c")]))


class CrashTest(DurabilityCase):
    def test_sync_mode_keeps_every_acknowledged_write_across_kill_9(self):
        server = self.start(durability="sync")
        writes = []
        for i in range(1000):
            user = f"sync-u{i % 10}"
            content = f"sync-c{i}"
            writes.append((user, content, ping_body(user, content, i)))
        acked = self.write_all(server, writes, threads=8)
        server.kill9()  # at once: no flush, no drain
        server.start()
        self.assert_acked_present(acked, self.read_all(server, acked.keys()))

    def test_sync_mode_updates_of_one_record_keep_the_last_acknowledged_value(self):
        server = self.start(durability="sync")
        last = None
        for i in range(1, 51):
            last = ping(self, server, {"content_id": "hot", "user_id": "hot-u", "position_seconds": i * 10,
                                       "duration_seconds": 1000, "time_spent_delta_seconds": 1}, key=SERVICE_KEY)
        server.kill9()
        server.start()
        self.assert_acked_present({("hot-u", "hot"): last}, self.read_all(server, [("hot-u", "hot")]))
        self.assertEqual(last["time_spent_seconds"], 50)

    def test_sync_mode_restores_from_its_write_ahead_log_alone(self):
        self.check_restored_from_the_log_alone("sync")

    def test_snapshot_mode_restores_from_its_write_ahead_log_alone(self):
        self.check_restored_from_the_log_alone("snapshot")

    def check_restored_from_the_log_alone(self, durability):
        # A checkpoint interval of a minute: nothing reaches LMDB before the kill, so every
        # acknowledged write must come back from the log (docs/durability.md).
        server = self.start(durability=durability, extra_args=("--flush-interval-ms", "100",
                                                               "--checkpoint-interval-ms", "60000"))
        writes = []
        for i in range(400):
            user = f"wal-u{i % 7}"
            content = f"wal-c{i}"
            writes.append((user, content, ping_body(user, content, i)))
        acked = self.write_all(server, writes, threads=4)
        if durability == "snapshot":
            time.sleep(0.5)  # > 3 × the flush interval: every write is in a frame
        metrics = server.metrics_text()
        frames = re.search(r"^progressd_write_ahead_log_frames_total (\S+)$", metrics, re.M)
        self.assertIsNotNone(frames, metrics[-2000:])
        self.assertGreater(float(frames.group(1)), 0)
        self.assertRegex(metrics, r"(?m)^progressd_checkpoints_total 0$")  # nothing in LMDB yet
        self.assertRegex(metrics, r"(?m)^progressd_dirty_records 0$")
        server.kill9()
        server.start()
        replayed = server.wait_for_event("write_ahead_log_replayed")
        self.assertGreater(replayed["frames"], 0, replayed)
        self.assertGreaterEqual(replayed["changes"], len(acked), replayed)
        self.assert_acked_present(acked, self.read_all(server, acked.keys()))
        # The replay went into LMDB before the log was emptied: a second crash loses nothing.
        server.kill9()
        server.start()
        self.assert_acked_present(acked, self.read_all(server, acked.keys()))

    def test_snapshot_mode_keeps_writes_older_than_the_flush_interval(self):
        server = self.start(extra_args=("--flush-interval-ms", "200"))
        writes = []
        for i in range(300):
            user = f"snap-u{i % 6}"
            content = f"snap-c{i}"
            writes.append((user, content, ping_body(user, content, i)))
        acked = self.write_all(server, writes, threads=4)
        before = self.read_all(server, acked.keys())
        time.sleep(1.0)  # > 3 × the flush interval
        server.kill9()
        server.start()
        after = self.read_all(server, acked.keys())
        self.assert_acked_present(acked, after)
        self.assertEqual(after, before, "records differ after kill -9 and restart")


class LmdbFailureTest(DurabilityCase):
    def test_full_map_turns_readiness_503_refuses_writes_and_keeps_reads(self):
        # A 1 MiB map that may not grow: a few hundred 4 KiB records overflow it.
        # LMDB gets the log's batches in checkpoints: every 50 ms here, so the map fills in time.
        server = self.start(extra_args=("--lmdb-map-size-mb", "1", "--lmdb-max-map-size-mb", "1",
                                        "--flush-interval-ms", "50", "--checkpoint-interval-ms", "50"))
        details = {"pad": "x" * 3900}
        acked = {}
        for i in range(2000):
            body = {"content_id": f"full-c{i}", "user_id": "full-u", "position_seconds": i % 90 + 1,
                    "duration_seconds": 100, "details": details}
            status, _, raw, doc = post_ping(server, body, key=SERVICE_KEY)
            if status == 503:
                break
            self.assertEqual(status, 200, raw[:300])
            acked[("full-u", body["content_id"])] = doc
            time.sleep(0.002)  # let the persister see the map fill while we still write
        else:
            self.fail("2000 writes of 4 KiB never filled a 1 MiB map")

        status, headers, raw, doc = server.request("GET", "/readyz")
        self.assertEqual(status, 503, raw)
        self.assertEqual(doc["status"], "fail")
        self.assertEqual(headers.get("retry-after"), "1", headers)
        status, headers, raw, doc = post_ping(
            server, {"content_id": "refused", "user_id": "full-u", "position_seconds": 5}, key=SERVICE_KEY)
        self.assertEqual(status, 503, raw)
        self.assertTrue(headers.get("content-type", "").startswith("application/problem+json"), headers)
        self.assertEqual(headers.get("retry-after"), "1", headers)
        # Everything acknowledged before the failure is still served from memory.
        self.assert_acked_present(acked, self.read_all(server, acked.keys()))
        status, _, raw, _ = server.request("GET", "/v1/progress/refused?user_id=full-u", key=SERVICE_KEY)
        self.assertEqual(status, 404, raw)
        server.wait_for_event("flush_failed")


class DrainTest(DurabilityCase):
    def test_readiness_503_and_connection_close_while_draining(self):
        server = self.start(extra_args=("--drain-seconds", "2"))
        token = server.user_token("drain-user")
        # A keep-alive connection opened before the signal.
        early = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        early.request("GET", "/livez")
        response = early.getresponse()
        response.read()
        self.assertEqual(response.status, 200)
        self.assertNotEqual(response.getheader("connection", "").lower(), "close")

        server.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        server.wait_for_event("signal")  # the signal is handled asynchronously
        status, headers, raw, doc = server.request("GET", "/readyz")
        self.assertEqual(status, 503, raw)
        self.assertEqual(doc.get("status"), "fail", doc)
        self.assertEqual(headers.get("connection", "").lower(), "close", headers)
        self.assertEqual(headers.get("retry-after"), "1", headers)
        status, headers, raw, _ = server.request("HEAD", "/readyz")
        self.assertEqual(status, 503)
        status, headers, raw, doc = server.request("GET", "/livez")
        self.assertEqual(status, 200, raw)
        self.assertEqual(headers.get("connection", "").lower(), "close", headers)
        # Still serving the API during the window; the write survives the stop.
        status, headers, raw, _ = post_ping(
            server, {"content_id": "during-drain", "position_seconds": 42, "duration_seconds": 100}, token=token)
        self.assertEqual(status, 200, raw)
        self.assertEqual(headers.get("connection", "").lower(), "close", headers)
        early.request("GET", "/readyz")
        response = early.getresponse()
        response.read()
        self.assertEqual(response.status, 503)
        self.assertEqual(response.getheader("connection", "").lower(), "close")
        early.close()
        self.assertLess(time.monotonic() - signalled, 1.8, "checks ran too slowly to be inside the window")

        code = server.wait_exit(20)
        elapsed = time.monotonic() - signalled
        self.assertEqual(code, 0)
        self.assertGreaterEqual(elapsed, 1.8, "exited before the drain window ended")
        self.assertLess(elapsed, 15)

        server.start()
        status, _, raw, doc = server.request("GET", "/v1/progress/during-drain", token=token)
        self.assertEqual(status, 200, raw)
        self.assertEqual(doc["position_seconds"], 42)
        status, _, _, doc = server.request("GET", "/readyz")
        self.assertEqual(status, 200, doc)

    def test_logs_carry_no_secrets(self):
        server = self.start(durability="sync")
        token = server.user_token("log-user")
        post_ping(server, {"content_id": "c"}, token=token)
        post_ping(server, {"content_id": "c", "user_id": "u"}, key=SERVICE_KEY)
        post_ping(server, {"content_id": "c"}, key="wrong-key-123")
        server.request("GET", "/v1/progress/c", token=token + "x")
        self.assertEqual(server.stop_sigterm(), 0)
        logs = "\n".join(server.stderr_lines)
        self.assertTrue(logs)
        secret = server.hs256_secret().decode()
        for needle in (SERVICE_KEY, "wrong-key-123", token.split(".")[2], secret):
            self.assertNotIn(needle, logs)


if __name__ == "__main__":
    unittest.main()
