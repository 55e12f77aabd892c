"""progressctl pg-import and pg-export (docs/cluster.md, "Moving data in and out") with the real
progressd and a real PostgreSQL: a data dir written through the HTTP API is imported, its rows
checked with SQL, exported into a new data dir, and a progressd started there answers every user,
catalog entry and webhook exactly as the first one did. Also the refusals (a running server, a
database with data, a non-empty target) and a verification that finds a tampered row."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from postgres_server import PostgresServer, skip_unless_postgres  # noqa: E402
from progressd_fixture import PROGRESSCTL, SERVICE_KEY, ProgressdServer  # noqa: E402

USERS = [f"mover-{i}" for i in range(5)]
# Users with more records than one transaction of the move holds (1000), so a user's records
# span chunks and the chunks' boundaries fall inside users.
BULK_USERS = ["bulk-a", "bulk-b"]
BULK_RECORDS = 1300
CONTENTS = ["course-1", "lesson-1", "lesson-2", "quiz-1"]


def progressctl(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROGRESSD_")}
    return subprocess.run([PROGRESSCTL, *args], capture_output=True, text=True, timeout=120, env=env)


def write_data(test, server):
    """Every kind the import moves, through the HTTP API: a webhook (to a closed port, so its
    deliveries stay in the outbox), catalog entries, pings of several users and contents (some
    completing), an explicit enrolment (and implicit ones), an assessment."""
    def call(method, path, body=None, expect=(200, 201, 204)):
        status, _, raw, doc = server.request(method, path, body, key=SERVICE_KEY)
        test.assertIn(status, expect, f"{method} {path}: {raw[:400]}")
        return doc

    call("POST", "/v1/webhooks", {"target_url": "http://127.0.0.1:9/never-answers"})
    call("PUT", "/v1/contents/course-1", {"type": "course", "title": "Moving", "children": ["lesson-1", "lesson-2"]})
    call("PUT", "/v1/contents/lesson-1", {"type": "video", "title": "One", "duration_seconds": 100,
                                           "parent_id": "course-1", "attributes": {"k": [1, 2.5, "x"]}})
    call("PUT", "/v1/contents/lesson-2", {"type": "video", "title": "Two", "duration_seconds": 60.25})
    call("PUT", "/v1/contents/quiz-1", {"type": "quiz", "attributes": {"pass_percent": 60}})
    for u, user in enumerate(USERS):
        for c, content in enumerate(["lesson-1", "lesson-2"]):
            context = "batch-1" if (u + c) % 2 == 0 else ""
            body = {"user_id": user, "content_id": content, "context_id": context, "collection_id": "course-1",
                    "position_seconds": 10 * (u + 1) + c + 0.125, "duration_seconds": 100,
                    "time_spent_delta_seconds": 3.5, "session_id": f"s-{u}", "seq": c + 1,
                    "mimetype": "video/mp4", "details": {"quality": "720p", "u": u}}
            if u == 3:
                body["event"] = "complete"
            call("POST", "/v1/progress", body)
    for user in BULK_USERS:
        for start in range(0, BULK_RECORDS, 1000):
            pings = [{"user_id": user, "content_id": f"bulk-{i}", "position_seconds": i % 97 + 0.5,
                      "duration_seconds": 100} for i in range(start, min(start + 1000, BULK_RECORDS))]
            doc = call("POST", "/v1/progress/batch", {"pings": pings})
            test.assertEqual({r["status"] for r in doc["results"]}, {200})
    call("PUT", "/v1/users/mover-1/enrolments/course-1?context_id=batch-9",
         {"enrolled_at": 1700000000000, "expires_at": 1900000000000, "active": False})
    call("POST", "/v1/assessments", {"user_id": "mover-2", "content_id": "quiz-1", "context_id": "batch-1",
                                     "attempt_id": "a-1", "score": 7, "max_score": 10,
                                     "submitted_at": 1700000000123})
    call("POST", "/v1/assessments", {"user_id": "mover-2", "content_id": "quiz-1", "context_id": "batch-1",
                                     "attempt_id": "a-2", "score": 3, "max_score": 10,
                                     "submitted_at": 1700000000456})


def snapshot(test, server):
    """What the server answers for everything written: each user's export (less its time), each
    catalog entry, each webhook."""
    state = {}
    for user in USERS + BULK_USERS:
        status, _, raw, doc = server.request("GET", f"/v1/users/{user}/export", key=SERVICE_KEY)
        test.assertEqual(status, 200, raw[:400])
        doc.pop("exported_at", None)
        state["user " + user] = doc
    for content in CONTENTS:
        status, _, raw, doc = server.request("GET", f"/v1/contents/{content}", key=SERVICE_KEY)
        test.assertEqual(status, 200, raw[:400])
        state["content " + content] = doc
    status, _, raw, doc = server.request("GET", "/v1/webhooks", key=SERVICE_KEY)
    test.assertEqual(status, 200, raw[:400])
    state["webhooks"] = doc
    return state


class PgMoveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        skip_unless_postgres()
        cls.pg = PostgresServer().start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="pg-move-")

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()
        cls.tmp.cleanup()

    def sql(self, statement, database):
        return self.pg.sql(statement, database=database)

    def test_import_verify_export_round_trip(self):
        database = "round_trip"
        url = self.pg.create_database(database)
        with ProgressdServer() as server:
            write_data(self, server)
            before = snapshot(self, server)
            self.assertEqual(len(before["user mover-2"]["assessments"]), 1)
            self.assertGreaterEqual(len(before["user mover-1"]["enrolments"]), 2)

            # The server holds its data dir: refused, and nothing written.
            running = progressctl("pg-import", "--data-dir", server.data_dir, "--postgres-url", url)
            self.assertEqual(running.returncode, 3, running.stderr)
            self.assertIn("in use", running.stderr)

            self.assertEqual(server.stop_sigterm(), 0)

            done = progressctl("pg-import", "--data-dir", server.data_dir, "--postgres-url", url)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            self.assertIn("verified", done.stdout)

            # The rows, read with plain SQL, are what the API answered.
            records = sum(len(before["user " + u]["records"]) for u in USERS + BULK_USERS)
            self.assertEqual(len(before["user bulk-a"]["records"]), BULK_RECORDS)
            self.assertEqual(int(self.sql("SELECT count(*) FROM records", database)), records)
            self.assertEqual(int(self.sql("SELECT count(DISTINCT user_id) FROM records", database)),
                             len(USERS) + len(BULK_USERS))
            for user in USERS:
                for record in before["user " + user]["records"]:
                    row = self.sql("SELECT status, position_seconds, time_spent_seconds, mimetype, "
                                   "partition = 0 OR partition > 0 FROM records "
                                   f"WHERE user_id = '{user}' AND content_id = '{record['content_id']}' "
                                   f"AND context_id = '{record['context_id']}'", database)
                    self.assertEqual(row.split("|"), [str(record["status"]), repr(record["position_seconds"]),
                                                      repr(record["time_spent_seconds"]), record["mimetype"] or "", "t"])
            self.assertEqual(self.sql("SELECT content_id || ':' || type FROM catalog ORDER BY content_id", database)
                             .split("\n"), ["course-1:course", "lesson-1:video", "lesson-2:video", "quiz-1:quiz"])
            enrolments = sum(len(before["user " + u]["enrolments"]) for u in USERS)
            self.assertEqual(int(self.sql("SELECT count(*) FROM enrolments", database)), enrolments)
            self.assertEqual(self.sql("SELECT active, expires_at FROM enrolments WHERE user_id = 'mover-1' "
                                      "AND context_id = 'batch-9'", database), "f|1900000000000")
            self.assertEqual(self.sql("SELECT user_id, attempt_count, best_score, passed FROM assessments",
                                      database), "mover-2|2|7|t")
            self.assertEqual(self.sql("SELECT target_url, active FROM webhooks", database),
                             "http://127.0.0.1:9/never-answers|t")
            self.assertGreater(int(self.sql("SELECT count(*) FROM outbox", database)), 0)

            # Importing again: refused while the database holds data, unless --force.
            again = progressctl("pg-import", "--data-dir", server.data_dir, "--postgres-url", url)
            self.assertEqual(again.returncode, 3, again.stderr)
            self.assertIn("--force", again.stderr)
            forced = progressctl("pg-import", "--data-dir", server.data_dir, "--postgres-url", url, "--force")
            self.assertEqual(forced.returncode, 0, forced.stdout + forced.stderr)

            # Export into a new dir; a progressd started there answers exactly as before.
            target = os.path.join(self.tmp.name, "exported")
            exported = progressctl("pg-export", "--postgres-url", url, "--data-dir", target)
            self.assertEqual(exported.returncode, 0, exported.stdout + exported.stderr)
            self.assertIn("verified", exported.stdout)
            with ProgressdServer(data_dir=target) as restored:
                after = snapshot(self, restored)
                self.assertEqual(json.dumps(after, sort_keys=True), json.dumps(before, sort_keys=True))
                self.assertEqual(restored.stop_sigterm(), 0)

            # A tampered row: both verifications fail and name the kind.
            self.sql("UPDATE records SET position_seconds = position_seconds + 1 "
                     "WHERE user_id = 'mover-0' AND content_id = 'lesson-1'", database)
            check = progressctl("pg-import", "--verify-only", "--data-dir", server.data_dir, "--postgres-url", url)
            self.assertEqual(check.returncode, 4, check.stdout + check.stderr)
            self.assertIn("records mover-0/", check.stderr)
            self.assertIn("differs", check.stderr)
            check = progressctl("pg-export", "--verify-only", "--data-dir", target, "--postgres-url", url)
            self.assertEqual(check.returncode, 4, check.stdout + check.stderr)

            # A row missing: the counts differ.
            self.sql("DELETE FROM catalog WHERE content_id = 'quiz-1'", database)
            check = progressctl("pg-import", "--verify-only", "--data-dir", server.data_dir, "--postgres-url", url)
            self.assertEqual(check.returncode, 4, check.stdout + check.stderr)
            self.assertIn("catalog quiz-1: only in LMDB", check.stderr)

    def test_export_refuses_a_non_empty_dir(self):
        url = self.pg.create_database("refused_export")
        target = os.path.join(self.tmp.name, "occupied")
        os.makedirs(target)
        with open(os.path.join(target, "keep.txt"), "w") as f:
            f.write("not a progressd file\n")
        done = progressctl("pg-export", "--postgres-url", url, "--data-dir", target)
        self.assertEqual(done.returncode, 3, done.stderr)
        self.assertIn("not empty", done.stderr)
        self.assertEqual(os.listdir(target), ["keep.txt"])

    def test_import_refuses_a_dir_without_data(self):
        url = self.pg.create_database("no_data_dir")
        done = progressctl("pg-import", "--data-dir", os.path.join(self.tmp.name, "absent"), "--postgres-url", url)
        self.assertEqual(done.returncode, 3, done.stderr)
        self.assertIn("no data.mdb", done.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "absent")))


if __name__ == "__main__":
    unittest.main()
