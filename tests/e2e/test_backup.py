"""Hot backup (docs/durability.md "Hot backup"): `progressctl backup` copies a data dir while the
server keeps writing, and a server started on the copy serves what was committed before the copy."""

import os
import subprocess
import tempfile
import threading
import unittest

from clients import ping, post_ping
from progressd_fixture import PROGRESSCTL, SERVICE_KEY, ProgressdServer


class BackupTest(unittest.TestCase):
    def test_backup_while_writing_restores_committed_records(self):
        with ProgressdServer(durability="sync") as server, tempfile.TemporaryDirectory() as tmp:
            for i in range(200):
                ping(self, server, {"content_id": f"b{i}", "user_id": "backup-u", "position_seconds": i + 1,
                                    "duration_seconds": 1000}, key=SERVICE_KEY)

            # Keep writing while the copy is taken: the copy must still be one consistent commit.
            stop = threading.Event()

            def keep_writing():
                n = 0
                while not stop.is_set():
                    post_ping(server, {"content_id": f"later{n}", "user_id": "backup-u", "position_seconds": 1},
                              key=SERVICE_KEY)
                    n += 1

            writer = threading.Thread(target=keep_writing)
            writer.start()
            target = os.path.join(tmp, "copy")
            try:
                done = subprocess.run([PROGRESSCTL, "backup", "--data-dir", server.data_dir, "--to", target],
                                      capture_output=True, text=True, timeout=60)
            finally:
                stop.set()
                writer.join(30)
            self.assertEqual(done.returncode, 0, done.stderr)
            # Every user's progress is in it: its owner's alone, whatever the umask.
            self.assertEqual(os.stat(os.path.join(target, "data.mdb")).st_mode & 0o777, 0o600)
            self.assertEqual(os.stat(target).st_mode & 0o777, 0o700)

            # A second backup into the same place is refused rather than overwriting it (exit 2:
            # it could not run, as progressctl's data-dir commands say).
            again = subprocess.run([PROGRESSCTL, "backup", "--data-dir", server.data_dir, "--to", target],
                                   capture_output=True, text=True, timeout=60)
            self.assertEqual(again.returncode, 2)
            self.assertIn("refusing", again.stderr)

            with ProgressdServer(data_dir=target) as restored:
                for i in (0, 99, 199):
                    status, _, raw, doc = restored.request("GET", f"/v1/progress/b{i}?user_id=backup-u",
                                                           key=SERVICE_KEY)
                    self.assertEqual(status, 200, raw)
                    self.assertEqual(doc["position_seconds"], i + 1)

    def test_backup_of_a_missing_data_dir_fails_clearly(self):
        with tempfile.TemporaryDirectory() as tmp:
            done = subprocess.run([PROGRESSCTL, "backup", "--data-dir", os.path.join(tmp, "none"),
                                   "--to", os.path.join(tmp, "copy")], capture_output=True, text=True, timeout=30)
            self.assertEqual(done.returncode, 2)
            self.assertIn("no LMDB data", done.stderr)


if __name__ == "__main__":
    unittest.main()
