"""Export and erase (docs/data-model.md "Resets and erasure", docs/native-api.md "Export and
erase"): everything stored about a user as JSON or CSV, and erasure from memory and LMDB, checked
across a restart and a kill -9."""

import csv
import io
import unittest

from clients import post_ping
from progressd_fixture import SERVICE_KEY, ProgressdServer, ServerCase, assert_problem, one_process_only, unique


def populate(server, user):
    """A record, an implicit enrolment, an explicit one and two quiz attempts for `user`."""
    token = server.user_token(user)
    for body in ({"content_id": "l1", "context_id": "b1", "collection_id": "course-1", "position_seconds": 30,
                  "duration_seconds": 100, "details": {"q": "720p, hd"}},
                 {"content_id": "l2", "progress_percent": 20}):
        status, _, raw, _ = post_ping(server, body, token=token)
        assert status == 200, raw
    status, _, raw, _ = server.request("PUT", f"/v1/users/{user}/enrolments/course-2", {}, key=SERVICE_KEY)
    assert status == 201, raw
    for attempt in ("a1", "a2"):
        status, _, raw, _ = server.request("POST", "/v1/assessments", {
            "content_id": "quiz", "context_id": "b1", "attempt_id": attempt, "score": 1, "max_score": 2},
            token=token)
        assert status == 200, raw
    return token


class ExportTest(ServerCase):

    def test_json_export_holds_everything(self):
        user = unique("user")
        token = populate(self.server, user)
        status, headers, raw, doc = self.server.request("GET", "/v1/users/me/export", token=token)
        self.assertEqual(status, 200, raw)
        self.assertIn("attachment", headers.get("content-disposition", ""))
        self.assertEqual(doc["user_id"], user)
        self.assertEqual(sorted(r["content_id"] for r in doc["records"]), ["l1", "l2", "quiz"])
        self.assertEqual(sorted((e["collection_id"], e["context_id"]) for e in doc["enrolments"]),
                         [("course-1", "b1"), ("course-2", "")])
        self.assertEqual(doc["assessments"][0]["attempt_count"], 2)
        l1 = next(r for r in doc["records"] if r["content_id"] == "l1")
        self.assertEqual(l1["details"], {"q": "720p, hd"})

    def test_csv_export_has_a_header_row_and_a_row_per_item(self):
        user = unique("user")
        populate(self.server, user)
        status, headers, raw, _ = self.server.request("GET", f"/v1/users/{user}/export?format=csv", key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        self.assertTrue(headers["content-type"].startswith("text/csv"), headers)
        rows = list(csv.DictReader(io.StringIO(raw.decode())))
        kinds = sorted(r["kind"] for r in rows)
        self.assertEqual(kinds, ["attempt", "attempt", "enrolment", "enrolment", "record", "record", "record"])
        l1 = next(r for r in rows if r["kind"] == "record" and r["content_id"] == "l1")
        self.assertEqual(l1["user_id"], user)
        self.assertEqual(l1["context_id"], "b1")
        self.assertEqual(float(l1["progress_percent"]), 30)
        self.assertEqual(l1["details"], '{"q":"720p, hd"}')
        attempt = next(r for r in rows if r["kind"] == "attempt")
        self.assertEqual(attempt["content_id"], "quiz")
        self.assertEqual(attempt["passed"], "true")

    def test_bad_format_and_access(self):
        token = self.server.user_token(unique("user"))
        assert_problem(self, self.server.request("GET", "/v1/users/me/export?format=xml", token=token),
                       422, "validation", "format")
        assert_problem(self, self.server.request("GET", f"/v1/users/{unique('x')}/export", token=token),
                       403, "forbidden")
        assert_problem(self, self.server.request("DELETE", f"/v1/users/{unique('x')}", token=token),
                       403, "forbidden")
        status, _, raw, doc = self.server.request("GET", "/v1/users/me/export?format=json", token=token)
        self.assertEqual(status, 200, raw)
        self.assertEqual(doc["records"], [])

    def test_erase_removes_everything_of_one_user_only(self):
        user, other = unique("user"), unique("other")
        token = populate(self.server, user)
        populate(self.server, other)
        status, _, raw, doc = self.server.request("DELETE", f"/v1/users/{user}", key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        self.assertEqual(doc, {"user_id": user, "erased": {"records": 3, "enrolments": 2, "assessments": 1}})
        export = self.server.request("GET", "/v1/users/me/export", token=token)[3]
        self.assertEqual((export["records"], export["enrolments"], export["assessments"]), ([], [], []))
        self.assertEqual(self.server.request("GET", "/v1/progress/l1?context_id=b1", token=token)[0], 404)
        self.assertEqual(self.server.request("GET", "/v1/assessments/quiz?context_id=b1", token=token)[0], 404)
        self.assertEqual(self.server.request("GET", "/v1/users/me/continue", token=token)[3]["results"], [])
        self.assertEqual(len(self.server.request("GET", f"/v1/users/{other}/export", key=SERVICE_KEY)[3]["records"]), 3)
        # A user may erase themself; erasing nothing is fine.
        status, _, raw, doc = self.server.request("DELETE", "/v1/users/me", token=token)
        self.assertEqual(status, 200, raw)
        self.assertEqual(doc["erased"], {"records": 0, "enrolments": 0, "assessments": 0})


@one_process_only("kill -9 and restart of one process (the cluster's: tests/cluster/)")
class EraseDurabilityTest(unittest.TestCase):
    def check_erased(self, server, user, other):
        export = server.request("GET", f"/v1/users/{user}/export", key=SERVICE_KEY)[3]
        self.assertEqual((export["records"], export["enrolments"], export["assessments"]), ([], [], []))
        kept = server.request("GET", f"/v1/users/{other}/export", key=SERVICE_KEY)[3]
        self.assertEqual(len(kept["records"]), 3)
        self.assertEqual(len(kept["enrolments"]), 2)

    def test_erase_leaves_nothing_behind_after_kill_9_and_restart(self):
        server = ProgressdServer(durability="sync")
        try:
            populate(server, "erase-me")
            populate(server, "keep-me")
            status, _, raw, _ = server.request("DELETE", "/v1/users/erase-me", key=SERVICE_KEY)
            self.assertEqual(status, 200, raw)
            server.kill9()
            server.start()
            self.check_erased(server, "erase-me", "keep-me")
            server.restart()
            self.check_erased(server, "erase-me", "keep-me")
        finally:
            server.close()

    def test_erase_in_snapshot_mode_survives_a_clean_restart(self):
        server = ProgressdServer()
        try:
            populate(server, "erase-me")
            populate(server, "keep-me")
            server.restart()  # everything flushed first
            status, _, raw, _ = server.request("DELETE", "/v1/users/erase-me", key=SERVICE_KEY)
            self.assertEqual(status, 200, raw)
            server.restart()
            self.check_erased(server, "erase-me", "keep-me")
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
