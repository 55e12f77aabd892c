"""progressctl's data-dir subcommands (docs/progressctl.md) on a data dir a real server wrote:
inspect and export beside the running server, the refusals of the writing subcommands while it
holds the dir, then, stopped: export → import → export byte for byte, a value damaged on purpose
found by verify and quarantined by --repair, and restore of a backup."""

import json
import os
import stat
import subprocess
import tempfile
import unittest

from clients import ping
from progressd_fixture import PROGRESSCTL, SERVICE_KEY, ProgressdServer


def ctl(*args, input_text=None):
    return subprocess.run([PROGRESSCTL, *args], capture_output=True, text=True, timeout=120, input=input_text)


def lines_of(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


class ProgressctlTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="progressctl-e2e-")
        self.tmp = self._tmp.name
        self.addCleanup(self._tmp.cleanup)

    def write_data(self, server):
        status = server.request("PUT", "/v1/contents/course-1",
                                {"type": "course", "title": "Intro \u00e9", "children": ["l1", "l2"],
                                 "attributes": {"pass_percent": 60}}, key=SERVICE_KEY)[0]
        self.assertEqual(status, 201)
        for user in ("u1", "u2"):
            ping(self, server, {"user_id": user, "content_id": "l1", "context_id": "batch-1",
                                "collection_id": "course-1", "position_seconds": 12.345,
                                "duration_seconds": 100, "session_id": "s1", "seq": 1, "ts": 1700000000000,
                                "mimetype": "video/mp4", "details": {"quality": "720p"}}, key=SERVICE_KEY)
        ping(self, server, {"user_id": "u1", "content_id": "l1", "context_id": "batch-1",
                            "position_seconds": 40.1, "session_id": "s1", "seq": 2, "ts": 1700000028000},
             key=SERVICE_KEY)
        ping(self, server, {"user_id": "u1", "content_id": "organic", "position_seconds": 3,
                            "session_id": "s2", "seq": 1}, key=SERVICE_KEY)
        status = server.request("PUT", "/v1/users/u2/enrolments/course-1?context_id=batch-9",
                                {"expires_at": 1900000000000}, key=SERVICE_KEY)[0]
        self.assertEqual(status, 201)
        status = server.request("POST", "/v1/assessments",
                                {"user_id": "u1", "content_id": "l2", "context_id": "batch-1",
                                 "attempt_id": "a1", "score": 7, "max_score": 10}, key=SERVICE_KEY)[0]
        self.assertEqual(status, 200)

    def test_progressctl_on_a_real_data_dir(self):
        server = ProgressdServer(durability="sync")
        try:
            self.write_data(server)
            data_dir = server.data_dir

            # inspect beside the running server: read-only, names the server holding the dir.
            done = ctl("inspect", "--data-dir", data_dir, "--json")
            self.assertEqual(done.returncode, 0, done.stderr)
            facts = json.loads(done.stdout)
            self.assertEqual(facts["format_version"], "1")
            self.assertEqual(facts["server_pid"], server.process.pid)
            self.assertIn("wal.pending_frames", facts)
            self.assertGreater(facts["db.records.pages"] + facts["wal.pending_changes"], 0)
            text = ctl("inspect", "--data-dir", data_dir)
            self.assertEqual(text.returncode, 0, text.stderr)
            self.assertIn("format_version \"1\"\n", text.stdout)

            live_export = os.path.join(self.tmp, "live.ndjson")
            done = ctl("export", "--data-dir", data_dir, "--out", live_export)
            self.assertEqual(done.returncode, 0, done.stderr)

            # The writing subcommands refuse a dir a server holds, with exit 2.
            for args in (["verify", "--data-dir", data_dir, "--repair"],
                         ["import", "--data-dir", data_dir, "--in", live_export],
                         ["restore", "--from", data_dir + "-nope", "--data-dir", data_dir]):
                done = ctl(*args)
                self.assertEqual(done.returncode, 2, f"{args}: {done.stdout} {done.stderr}")
            self.assertIn("in use", ctl("verify", "--data-dir", data_dir, "--repair").stderr)
        finally:
            server.stop_sigterm()

        # Stopped: every write is in LMDB now.
        first = os.path.join(self.tmp, "first.ndjson")
        done = ctl("export", "--data-dir", data_dir, "--out", first)
        self.assertEqual(done.returncode, 0, done.stderr)
        items = lines_of(first)
        kinds = [item["kind"] for item in items]
        self.assertEqual(kinds, sorted(kinds, key=["catalog", "record", "enrolment", "assessment"].index))
        by_kind = {kind: [i for i in items if i["kind"] == kind] for kind in set(kinds)}
        self.assertEqual([c["id"] for c in by_kind["catalog"]], ["course-1"])
        self.assertEqual(by_kind["catalog"][0]["attributes"], {"pass_percent": 60})
        self.assertEqual(by_kind["catalog"][0]["title"], "Intro \u00e9")
        records = {(r["user_id"], r["context_id"], r["content_id"]): r for r in by_kind["record"]}
        self.assertIn(("u1", "", "organic"), records)
        l1 = records[("u1", "batch-1", "l1")]
        self.assertEqual(l1["position_seconds"], 40.1)
        self.assertEqual(l1["details"], {"quality": "720p"})
        self.assertEqual(l1["mimetype"], "video/mp4")
        enrolments = {(e["user_id"], e["context_id"]): e for e in by_kind["enrolment"]}
        self.assertEqual(enrolments[("u1", "batch-1")]["source"], "implicit")
        self.assertEqual(enrolments[("u2", "batch-9")]["expires_at"], 1900000000000)
        self.assertEqual(by_kind["assessment"][0]["attempts"][0]["attempt_id"], "a1")

        # Filters: one user's lines (and the catalog); one collection's.
        only_u2 = os.path.join(self.tmp, "u2.ndjson")
        self.assertEqual(ctl("export", "--data-dir", data_dir, "--user", "u2", "--out", only_u2).returncode, 0)
        self.assertEqual({i.get("user_id") for i in lines_of(only_u2)}, {None, "u2"})
        course = os.path.join(self.tmp, "course.ndjson")
        self.assertEqual(ctl("export", "--data-dir", data_dir, "--collection", "course-1", "--out", course).returncode, 0)
        self.assertNotIn("organic", {i.get("content_id") for i in lines_of(course)})

        # --out naming something that is not a regular file (a FIFO here; /dev/null in a script) is
        # written in place, never replaced by a renamed file.
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        reader = subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE)
        done = ctl("export", "--data-dir", data_dir, "--out", fifo)
        piped = reader.communicate(timeout=60)[0]
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(first, "rb") as f:
            self.assertEqual(piped, f.read())
        self.assertTrue(stat.S_ISFIFO(os.stat(fifo).st_mode))

        # Round trip: import into an empty dir, export again: the same bytes.
        copy_dir = os.path.join(self.tmp, "copy")
        done = ctl("import", "--data-dir", copy_dir, "--in", first)
        self.assertEqual(done.returncode, 0, done.stderr)
        second = os.path.join(self.tmp, "second.ndjson")
        self.assertEqual(ctl("export", "--data-dir", copy_dir, "--out", second).returncode, 0)
        with open(first, "rb") as a, open(second, "rb") as b:
            self.assertEqual(a.read(), b.read())

        backup_dir = os.path.join(self.tmp, "backup")
        done = ctl("backup", "--data-dir", data_dir, "--to", backup_dir)
        self.assertEqual(done.returncode, 0, done.stderr)

        # Damage one value on purpose; verify finds it by database and key; --repair quarantines it.
        self.assertEqual(ctl("verify", "--data-dir", data_dir).returncode, 0)
        key_hex = b"u1\0batch-1\0l1".hex()
        done = ctl("poke", "--data-dir", data_dir, "--database", "records", "--key", key_hex, "--value", "ff00")
        self.assertEqual(done.returncode, 0, done.stderr)
        done = ctl("verify", "--data-dir", data_dir, "--json")
        self.assertEqual(done.returncode, 1, done.stderr)
        report = json.loads(done.stdout)
        self.assertEqual([(d["database"], d["key_hex"]) for d in report["damaged"]], [("records", key_hex)])
        self.assertEqual(report["damaged"][0]["key"], "u1/batch-1/l1")

        # A damaged data dir is refused as a backup to restore.
        done = ctl("restore", "--from", data_dir, "--data-dir", os.path.join(self.tmp, "from-damaged"))
        self.assertEqual(done.returncode, 1, done.stderr)

        done = ctl("verify", "--data-dir", data_dir, "--repair")
        self.assertEqual(done.returncode, 1, done.stderr)
        quarantines = [f for f in os.listdir(data_dir) if f.startswith("quarantine-")]
        self.assertEqual(len(quarantines), 1)
        quarantined = lines_of(os.path.join(data_dir, quarantines[0]))
        self.assertEqual([(q["database"], q["key_hex"], q["value_base64"]) for q in quarantined],
                         [("records", key_hex, "/wA=")])
        self.assertEqual(ctl("verify", "--data-dir", data_dir).returncode, 0)
        after = os.path.join(self.tmp, "after.ndjson")
        self.assertEqual(ctl("export", "--data-dir", data_dir, "--out", after).returncode, 0)
        self.assertEqual(len(lines_of(after)), len(items) - 1)

        # Restore: into a new dir, refused over a non-empty one without --force, then a server
        # started on it serves the backed-up record.
        restored = os.path.join(self.tmp, "restored")
        done = ctl("restore", "--from", backup_dir, "--data-dir", restored)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(ctl("restore", "--from", backup_dir, "--data-dir", restored).returncode, 2)
        # Restored by root into a service's dir, the files are the dir owner's, 0600 (the unit's
        # transient user must open them; nobody else may read them).
        service_uid, service_gid = 65534, 65534
        if os.geteuid() == 0:
            os.chown(data_dir, service_uid, service_gid)
        done = ctl("restore", "--from", backup_dir, "--data-dir", data_dir, "--force")
        self.assertEqual(done.returncode, 0, done.stderr)
        if os.geteuid() == 0:
            restored_file = os.stat(os.path.join(data_dir, "data.mdb"))
            self.assertEqual((restored_file.st_uid, restored_file.st_gid), (service_uid, service_gid))
            self.assertEqual(restored_file.st_mode & 0o777, 0o600)
        third = os.path.join(self.tmp, "third.ndjson")
        self.assertEqual(ctl("export", "--data-dir", data_dir, "--out", third).returncode, 0)
        with open(first, "rb") as a, open(third, "rb") as b:
            self.assertEqual(a.read(), b.read())
        with ProgressdServer(data_dir=restored) as again:
            status, _, _, record = again.request("GET", "/v1/progress/l1?context_id=batch-1&user_id=u1",
                                                 key=SERVICE_KEY)
            self.assertEqual(status, 200)
            self.assertEqual(record["position_seconds"], 40.1)
            # Bad lines are named and skipped (exit 1); through the API, the catalog and records land.
            done = ctl("import", "--url", f"http://127.0.0.1:{again.port}", "--api-key", SERVICE_KEY,
                       input_text='{"kind":"catalog","id":"c2","type":"course","title":"","duration_seconds":null,'
                                  '"parent_id":null,"children":["x1"],"optional":false,"attributes":null,'
                                  '"learned":false,"updated_at":0}\nnot json\n')
            self.assertEqual(done.returncode, 1, done.stderr)
            self.assertIn("line 2", done.stderr)
            self.assertEqual(again.request("GET", "/v1/contents/c2", key=SERVICE_KEY)[0], 200)

        # The whole export through the API of an empty server: what the API can set arrives.
        with ProgressdServer() as fresh:
            done = ctl("import", "--url", f"http://127.0.0.1:{fresh.port}", "--api-key", SERVICE_KEY, "--in", first)
            self.assertEqual(done.returncode, 0, done.stderr)
            status, _, _, record = fresh.request("GET", "/v1/progress/l1?context_id=batch-1&user_id=u1", key=SERVICE_KEY)
            self.assertEqual((status, record["position_seconds"], record["details"]), (200, 40.1, {"quality": "720p"}))
            status, _, _, enrolment = fresh.request("GET", "/v1/users/u2/enrolments/course-1?context_id=batch-9",
                                                    key=SERVICE_KEY)
            self.assertEqual((status, enrolment["expires_at"], enrolment["source"]), (200, 1900000000000, "explicit"))
            status, _, _, quiz = fresh.request("GET", "/v1/assessments/l2?context_id=batch-1&user_id=u1", key=SERVICE_KEY)
            self.assertEqual((status, [a["attempt_id"] for a in quiz["attempts"]]), (200, ["a1"]))
            status, _, _, entry = fresh.request("GET", "/v1/contents/course-1", key=SERVICE_KEY)
            self.assertEqual((status, entry["children"], entry["attributes"]), (200, ["l1", "l2"], {"pass_percent": 60}))


if __name__ == "__main__":
    unittest.main()
