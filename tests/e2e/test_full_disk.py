"""A full filesystem under the data dir (docs/durability.md "When LMDB fails"; docs/reliability.md
"Full disk").

The data dir lives on a tmpfs of a few MiB. Once the server is serving, a filler file takes every
free byte, and writes go on until LMDB cannot extend its file: readiness must turn 503, writes
must be refused with 503 (never acknowledged and then lost), reads must keep answering from
memory. Then the filler is deleted, as an operator freeing space would, and the server must
recover by itself: readiness 200 again with no request or signal from the test, new writes
accepted, and after a kill -9 and a restart every acknowledged write is in LMDB.

Mounting a tmpfs needs root (CAP_SYS_ADMIN): elsewhere the tests skip and say so. The LMDB
map-size ceiling, the other way LMDB fills, is tests/e2e/test_durability.py's LmdbFailureTest.
"""

import errno
import os
import subprocess
import tempfile
import time
import unittest

from clients import post_ping
from progressd_fixture import SERVICE_KEY, ProgressdServer

TMPFS_SIZE = "8m"
RECOVERY_TIMEOUT_S = 20  # the persister's retry backoff tops out at 5 s


def mount_tmpfs(path):
    """None when mounted, else why not (the skip message)."""
    if os.geteuid() != 0:
        return f"mounting a tmpfs needs root (id -u is {os.geteuid()}); run the e2e suite as root to include it"
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", path],
                          capture_output=True, text=True)
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"exit code {done.returncode}"
        return f"mount -t tmpfs is not permitted here ({reason})"
    return None


def fill(path):
    """Writes `path` until the filesystem refuses another byte; returns the bytes written."""
    written = 0
    with open(path, "wb", buffering=0) as f:
        for chunk in (1 << 16, 1 << 12, 1 << 9, 1):
            block = b"\0" * chunk
            while True:
                try:
                    written += f.write(block)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    return written


class FullDiskTest(unittest.TestCase):
    def setUp(self):
        self.mount_point = tempfile.mkdtemp(prefix="progressd-full-disk-")
        why_not = mount_tmpfs(self.mount_point)
        if why_not:
            os.rmdir(self.mount_point)
            self.skipTest(why_not)
        self.data_dir = os.path.join(self.mount_point, "data")
        self.filler = os.path.join(self.mount_point, "filler")
        self.server = None

    def tearDown(self):
        if self.server is not None:
            self.server.close()
        subprocess.run(["umount", self.mount_point], check=False)
        os.rmdir(self.mount_point)

    def write(self, content_id, position, pad=3000):
        """A ping of disk-user's with ~`pad` bytes of details, unchecked: the answer."""
        body = {"content_id": content_id, "user_id": "disk-user", "position_seconds": position,
                "duration_seconds": 10000, "details": {"p": position, "pad": "x" * pad}}
        return post_ping(self.server, body, key=SERVICE_KEY)

    def read(self, content_id):
        return self.server.request("GET", f"/v1/progress/{content_id}?user_id=disk-user", key=SERVICE_KEY)

    def assert_all_present(self, acked, when, maybe=None):
        """Each acknowledged write is there: its position, or that of a later unacknowledged
        write to the same record (`maybe`: a 503 means "outcome unknown", docs/durability.md)."""
        for content_id, position in acked.items():
            status, _, raw, doc = self.read(content_id)
            self.assertEqual(status, 200, f"{when}: acknowledged {content_id} missing: {raw[:200]}")
            allowed = {position} | (maybe or {}).get(content_id, set())
            self.assertIn(doc["position_seconds"], allowed, f"{when}: {content_id} lost its acknowledged write")

    def run_full_disk(self, durability):
        self.server = ProgressdServer(data_dir=self.data_dir, durability=durability,
                                      extra_args=("--flush-interval-ms", "50"))
        server = self.server
        acked = {}  # content_id -> acknowledged position
        for i in range(20):
            status, _, raw, _ = self.write(f"before-{i}", i + 1)
            self.assertEqual(status, 200, raw[:300])
            acked[f"before-{i}"] = i + 1

        filled = fill(self.filler)
        self.assertGreater(filled, 0)
        # New contents need new LMDB pages: keep writing until the persister hits ENOSPC.
        refused = None
        for i in range(5000):
            content_id = f"during-{i}"
            status, headers, raw, doc = self.write(content_id, i + 1)
            if status == 503:
                refused = (content_id, headers, doc)
                break
            self.assertEqual(status, 200, raw[:300])
            acked[content_id] = i + 1
            time.sleep(0.002)
        self.assertIsNotNone(refused, "5000 writes of 3 KiB never failed on a full filesystem")
        content_id, headers, doc = refused
        self.assertTrue(headers.get("content-type", "").startswith("application/problem+json"), headers)
        failed = server.wait_for_event("flush_failed")
        self.assertIn("space", failed.get("error", "").lower(), failed)

        # While full: not ready, writes refused (rewrites of acknowledged records too), reads served.
        status, _, raw, doc = server.request("GET", "/readyz")
        self.assertEqual(status, 503, raw)
        self.assertEqual(doc["checks"]["persistence"]["status"], "fail", doc)
        maybe = {"before-0": {999}}
        for attempt in range(3):
            status, _, raw, _ = self.write(f"refused-{attempt}", 7)
            self.assertEqual(status, 503, raw[:300])
            status, _, raw, _ = self.write("before-0", 999)
            self.assertEqual(status, 503, raw[:300])
        self.assert_all_present(acked, "while the disk is full", maybe)
        # A few of the persister's retries (100, 200, 400 ms…) fail in turn: nothing changes.
        time.sleep(1.0)
        status, _, raw, _ = server.request("GET", "/readyz")
        self.assertEqual(status, 503, raw)
        self.assert_all_present(acked, "after retries on a full disk", maybe)
        self.assertTrue(server.alive())

        # Space comes back; nothing but the persister's own retries may bring readiness back.
        os.remove(self.filler)
        deadline = time.monotonic() + RECOVERY_TIMEOUT_S
        while True:
            status, _, raw, doc = server.request("GET", "/readyz")
            if status == 200:
                break
            self.assertLess(time.monotonic(), deadline, f"not ready {RECOVERY_TIMEOUT_S} s after space returned: {raw}")
            time.sleep(0.1)
        server.wait_for_event("flush_recovered")
        status, _, raw, _ = self.write("after", 42)
        self.assertEqual(status, 200, raw[:300])
        acked["after"] = 42

        # Everything acknowledged is in LMDB: after a kill -9 only what was committed comes back.
        # In snapshot mode "after" needs one flush interval to get there.
        time.sleep(0.5)
        server.kill9()
        server.start()
        self.assertEqual(server.ready_event.get("corrupt_records_skipped"), 0, server.ready_event)
        self.assert_all_present(acked, "after space returned, a kill -9 and a restart", maybe)
        self.assertEqual(server.stop_sigterm(), 0)
        return len(acked)

    def test_snapshot_refuses_writes_keeps_reads_and_recovers_when_space_returns(self):
        self.run_full_disk("snapshot")

    def test_sync_never_acknowledges_a_write_it_cannot_commit(self):
        self.run_full_disk("sync")


if __name__ == "__main__":
    unittest.main()
