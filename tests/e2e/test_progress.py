"""The native API of docs/native-api.md, end to end: pings and their merge rules, batch, reads,
resets, the user listing, and who may act on whom (user tokens, service key as Bearer and Basic)."""

import re
import time
import unittest
from urllib.parse import parse_qs, quote, urlsplit

from clients import post_ping
from progressd_fixture import SERVICE_KEY, ServerCase, assert_problem, basic_auth, unique

RECORD_FIELDS = {"user_id", "context_id", "content_id", "record_id", "status", "completed",
                 "progress_percent", "position_seconds", "duration_seconds", "time_spent_seconds",
                 "views", "first_accessed_at", "last_accessed_at", "updated_at", "completed_at",
                 "mimetype", "details"}
SUMMARY_FIELDS = {"content_id", "context_id", "status", "progress_percent", "position_seconds",
                  "time_spent_seconds", "completed"}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


class NativeApiCase(ServerCase):
    """One server per class; every test uses its own users and contents."""

    def new_user(self):
        user = unique("user")
        return user, self.server.user_token(user)

    def ping(self, token, body, expect=200, headers=None):
        status, response_headers, raw, doc = post_ping(self.server, body, headers=headers, token=token)
        self.assertEqual(status, expect, raw[:600])
        if expect == 200:
            self.assertTrue(response_headers.get("content-type", "").startswith("application/json"),
                            response_headers)
            self.assertIsInstance(doc, dict, raw)
            self.assertLessEqual(SUMMARY_FIELDS, set(doc), doc)
        return doc

    def get_record(self, token, content_id, context_id=None, expect=200):
        path = "/v1/progress/" + content_id
        if context_id is not None:
            path += "?context_id=" + quote(context_id)
        status, headers, raw, doc = self.server.request("GET", path, token=token)
        self.assertEqual(status, expect, raw[:600])
        if expect == 200:
            self.assertTrue(headers.get("content-type", "").startswith("application/json"), headers)
            self.assertLessEqual(RECORD_FIELDS, set(doc), doc)
        return doc


class PingMergeTest(NativeApiCase):
    def test_percent_from_position_and_duration(self):
        _, token = self.new_user()
        doc = self.ping(token, {"content_id": "lesson-1", "position_seconds": 312.5,
                                "duration_seconds": 600, "time_spent_delta_seconds": 5})
        self.assertEqual(doc["content_id"], "lesson-1")
        self.assertEqual(doc["context_id"], "")
        self.assertEqual(doc["status"], 1)
        self.assertAlmostEqual(doc["progress_percent"], 312.5 / 600 * 100, delta=0.01)
        self.assertEqual(doc["position_seconds"], 312.5)
        self.assertEqual(doc["time_spent_seconds"], 5)
        self.assertIs(doc["completed"], False)

    def test_percent_capped_at_100(self):
        _, token = self.new_user()
        doc = self.ping(token, {"content_id": "c", "position_seconds": 700, "duration_seconds": 600})
        self.assertEqual(doc["progress_percent"], 100)
        self.assertEqual(doc["status"], 2)

    def test_full_record_fields(self):
        user, token = self.new_user()
        before_ms = int(time.time() * 1000)
        self.ping(token, {"content_id": "rec", "context_id": "batch-7", "collection_id": "course-1",
                          "position_seconds": 30, "duration_seconds": 120})
        record = self.get_record(token, "rec", "batch-7")
        after_ms = int(time.time() * 1000)
        self.assertEqual(record["user_id"], user)
        self.assertEqual(record["context_id"], "batch-7")
        self.assertEqual(record["content_id"], "rec")
        self.assertRegex(record["record_id"], UUID_RE)
        self.assertEqual(record["status"], 1)
        self.assertIs(record["completed"], False)
        self.assertAlmostEqual(record["progress_percent"], 25, delta=0.01)
        self.assertEqual(record["position_seconds"], 30)
        self.assertEqual(record["duration_seconds"], 120)
        self.assertEqual(record["time_spent_seconds"], 0)
        self.assertEqual(record["views"], 0)
        self.assertIsNone(record["completed_at"])
        self.assertIsNone(record["mimetype"])
        self.assertIsNone(record["details"])
        for field in ("first_accessed_at", "last_accessed_at", "updated_at"):
            self.assertIsInstance(record[field], int, field)
            self.assertGreaterEqual(record[field], before_ms - 1000, field)
            self.assertLessEqual(record[field], after_ms + 1000, field)
        # The record id is stable across updates.
        self.ping(token, {"content_id": "rec", "context_id": "batch-7", "position_seconds": 40})
        again = self.get_record(token, "rec", "batch-7")
        self.assertEqual(again["record_id"], record["record_id"])
        self.assertEqual(again["first_accessed_at"], record["first_accessed_at"])
        self.assertGreaterEqual(again["last_accessed_at"], record["last_accessed_at"])

    def test_mimetype_and_details_are_stored(self):
        _, token = self.new_user()
        self.ping(token, {"content_id": "m", "position_seconds": 1, "duration_seconds": 10,
                          "mimetype": "video/mp4", "details": {"quality": "720p", "n": [1, 2]}})
        record = self.get_record(token, "m")
        self.assertEqual(record["mimetype"], "video/mp4")
        self.assertEqual(record["details"], {"quality": "720p", "n": [1, 2]})

    def test_contexts_are_separate_records(self):
        _, token = self.new_user()
        self.ping(token, {"content_id": "shared", "position_seconds": 10, "duration_seconds": 100})
        doc = self.ping(token, {"content_id": "shared", "context_id": "batch-7",
                                "position_seconds": 70, "duration_seconds": 100})
        self.assertEqual(doc["context_id"], "batch-7")
        organic = self.get_record(token, "shared")
        in_batch = self.get_record(token, "shared", "batch-7")
        self.assertEqual(organic["position_seconds"], 10)
        self.assertEqual(organic["context_id"], "")
        self.assertEqual(in_batch["position_seconds"], 70)
        self.assertNotEqual(organic["record_id"], in_batch["record_id"])
        # context_id="" is the organic record.
        self.assertEqual(self.get_record(token, "shared", "")["record_id"], organic["record_id"])
        self.get_record(token, "shared", "batch-8", expect=404)

    def test_progress_never_goes_down(self):
        _, token = self.new_user()
        self.ping(token, {"content_id": "c", "position_seconds": 60, "duration_seconds": 100, "ts": 1000})
        doc = self.ping(token, {"content_id": "c", "position_seconds": 30, "duration_seconds": 100,
                                "ts": 2000})
        self.assertAlmostEqual(doc["progress_percent"], 60, delta=0.01)
        self.assertEqual(doc["position_seconds"], 30)  # the resume point follows the newer ping
        doc = self.ping(token, {"content_id": "c", "progress_percent": 20})
        self.assertAlmostEqual(doc["progress_percent"], 60, delta=0.01)
        doc = self.ping(token, {"content_id": "c", "progress_percent": 80})
        self.assertAlmostEqual(doc["progress_percent"], 80, delta=0.01)
        self.assertAlmostEqual(self.get_record(token, "c")["progress_percent"], 80, delta=0.01)

    def test_position_follows_newest_ts(self):
        _, token = self.new_user()
        self.ping(token, {"content_id": "c", "position_seconds": 100, "duration_seconds": 1000, "ts": 2000})
        doc = self.ping(token, {"content_id": "c", "position_seconds": 50, "ts": 1000})
        self.assertEqual(doc["position_seconds"], 100)
        doc = self.ping(token, {"content_id": "c", "position_seconds": 70, "ts": 3000})
        self.assertEqual(doc["position_seconds"], 70)
        self.assertEqual(self.get_record(token, "c")["position_seconds"], 70)

    def test_position_without_ts_follows_arrival_but_keeps_newest_ts(self):
        # docs/decisions.md: without ts arrival order decides, and the stored ts is unchanged.
        _, token = self.new_user()
        self.ping(token, {"content_id": "c", "position_seconds": 70, "duration_seconds": 1000, "ts": 3000})
        doc = self.ping(token, {"content_id": "c", "position_seconds": 20})
        self.assertEqual(doc["position_seconds"], 20)
        doc = self.ping(token, {"content_id": "c", "position_seconds": 90, "ts": 2500})
        self.assertEqual(doc["position_seconds"], 20)

    def test_completion_at_threshold_and_sticky(self):
        _, token = self.new_user()
        doc = self.ping(token, {"content_id": "c", "position_seconds": 94, "duration_seconds": 100})
        self.assertEqual(doc["status"], 1)
        self.assertIs(doc["completed"], False)
        self.assertIsNone(self.get_record(token, "c")["completed_at"])
        doc = self.ping(token, {"content_id": "c", "position_seconds": 95, "duration_seconds": 100})
        self.assertEqual(doc["status"], 2)
        self.assertIs(doc["completed"], True)
        self.assertEqual(doc["progress_percent"], 100)
        record = self.get_record(token, "c")
        self.assertEqual(record["status"], 2)
        self.assertIs(record["completed"], True)
        self.assertEqual(record["progress_percent"], 100)
        self.assertIsInstance(record["completed_at"], int)
        completed_at = record["completed_at"]
        time.sleep(0.01)
        doc = self.ping(token, {"content_id": "c", "position_seconds": 10, "duration_seconds": 100,
                                "progress_percent": 10, "event": "start"})
        self.assertEqual(doc["status"], 2)
        self.assertIs(doc["completed"], True)
        self.assertEqual(doc["progress_percent"], 100)
        doc = self.ping(token, {"content_id": "c", "event": "complete"})
        record = self.get_record(token, "c")
        self.assertEqual(record["status"], 2)
        self.assertEqual(record["progress_percent"], 100)
        self.assertEqual(record["completed_at"], completed_at, "completed_at must be set once")
        self.assertEqual(record["position_seconds"], 10)

    def test_reported_percent_completes(self):
        _, token = self.new_user()
        doc = self.ping(token, {"content_id": "c", "progress_percent": 95})
        self.assertEqual(doc["status"], 2)
        self.assertEqual(doc["progress_percent"], 100)

    def test_complete_event_completes_anywhere(self):
        _, token = self.new_user()
        doc = self.ping(token, {"content_id": "c", "position_seconds": 10, "duration_seconds": 100,
                                "event": "complete"})
        self.assertEqual(doc["status"], 2)
        self.assertIs(doc["completed"], True)
        self.assertEqual(doc["progress_percent"], 100)
        self.assertIsInstance(self.get_record(token, "c")["completed_at"], int)

    def test_end_event_completes_only_at_threshold(self):
        _, token = self.new_user()
        doc = self.ping(token, {"content_id": "c", "position_seconds": 50, "duration_seconds": 100,
                                "event": "end"})
        self.assertEqual(doc["status"], 1)
        self.assertIs(doc["completed"], False)
        doc = self.ping(token, {"content_id": "c", "position_seconds": 96, "duration_seconds": 100,
                                "event": "end"})
        self.assertEqual(doc["status"], 2)

    def test_views_count_start_events(self):
        _, token = self.new_user()
        self.ping(token, {"content_id": "v", "position_seconds": 1, "duration_seconds": 100})
        self.assertEqual(self.get_record(token, "v")["views"], 0)
        self.ping(token, {"content_id": "v", "event": "start"})
        self.assertEqual(self.get_record(token, "v")["views"], 1)
        self.ping(token, {"content_id": "v", "event": "update", "position_seconds": 5})
        self.ping(token, {"content_id": "v", "event": "start"})
        self.assertEqual(self.get_record(token, "v")["views"], 2)

    def test_first_ping_start_moves_status_to_in_progress(self):
        _, token = self.new_user()
        doc = self.ping(token, {"content_id": "s", "event": "start"})
        self.assertEqual(doc["status"], 1)
        self.assertEqual(doc["progress_percent"], 0)
        self.assertEqual(self.get_record(token, "s")["views"], 1)

    def test_time_spent_sums(self):
        _, token = self.new_user()
        total = 0
        for delta in (5, 10, 2.5, 0, 3600):
            total += delta
            doc = self.ping(token, {"content_id": "t", "time_spent_delta_seconds": delta})
            self.assertAlmostEqual(doc["time_spent_seconds"], total, delta=1e-6)
        self.assertAlmostEqual(self.get_record(token, "t")["time_spent_seconds"], 3617.5, delta=1e-6)

    def test_duplicate_session_seq_changes_nothing(self):
        _, token = self.new_user()
        self.ping(token, {"content_id": "d", "session_id": "s-1", "seq": 1, "position_seconds": 10,
                          "duration_seconds": 100, "time_spent_delta_seconds": 5, "event": "start"})
        current = self.ping(token, {"content_id": "d", "session_id": "s-1", "seq": 2,
                                    "position_seconds": 20, "time_spent_delta_seconds": 5})
        before = self.get_record(token, "d")
        time.sleep(0.01)
        duplicate = self.ping(token, {"content_id": "d", "session_id": "s-1", "seq": 2,
                                      "position_seconds": 90, "duration_seconds": 100,
                                      "time_spent_delta_seconds": 5, "event": "start"})
        self.assertEqual(duplicate, current)
        self.assertEqual(self.get_record(token, "d"), before)
        self.assertEqual(before["time_spent_seconds"], 10)
        self.assertEqual(before["views"], 1)
        # The next seq applies.
        doc = self.ping(token, {"content_id": "d", "session_id": "s-1", "seq": 3,
                                "position_seconds": 30, "time_spent_delta_seconds": 5})
        self.assertEqual(doc["time_spent_seconds"], 15)
        self.assertEqual(doc["position_seconds"], 30)

    def test_prefer_return_minimal(self):
        _, token = self.new_user()
        status, _, body, _ = post_ping(
            self.server, {"content_id": "min", "position_seconds": 40, "duration_seconds": 80},
            headers={"Prefer": "return=minimal"}, token=token)
        self.assertEqual(status, 204)
        self.assertEqual(body, b"")
        record = self.get_record(token, "min")
        self.assertEqual(record["position_seconds"], 40)
        self.assertAlmostEqual(record["progress_percent"], 50, delta=0.01)

    def test_x_authenticated_user_token_header(self):
        user, token = self.new_user()
        status, _, body, _ = post_ping(
            self.server, {"content_id": "x", "position_seconds": 3},
            headers={"x-authenticated-user-token": token})
        self.assertEqual(status, 200, body)
        record = self.get_record(token, "x")
        self.assertEqual(record["user_id"], user)
        self.assertEqual(record["position_seconds"], 3)

    def test_user_token_decides_over_service_key(self):
        user, token = self.new_user()
        status, _, body, _ = post_ping(
            self.server, {"content_id": "both", "position_seconds": 4},
            headers={"Authorization": "Bearer " + SERVICE_KEY, "x-authenticated-user-token": token})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.get_record(token, "both")["user_id"], user)
        # ...and it acts only as that user.
        other = unique("user")
        status, _, body, _ = post_ping(
            self.server, {"content_id": "both", "user_id": other, "position_seconds": 4},
            headers={"Authorization": "Bearer " + SERVICE_KEY, "x-authenticated-user-token": token})
        self.assertEqual(status, 403, body)
        status, _, _, _ = self.server.request("GET", f"/v1/progress/both?user_id={other}", key=SERVICE_KEY)
        self.assertEqual(status, 404)


class BatchTest(NativeApiCase):
    def test_bad_item_fails_alone(self):
        _, token = self.new_user()
        status, _, body, doc = self.server.request("POST", "/v1/progress/batch", {"pings": [
            {"content_id": "b1", "position_seconds": 10, "duration_seconds": 100},
            {"content_id": "b2", "position_seconds": -1, "duration_seconds": 100},
            {"content_id": "b3", "position_seconds": 30, "duration_seconds": 100, "event": "start"},
        ]}, token=token)
        self.assertEqual(status, 200, body)
        results = doc["results"]
        self.assertEqual(len(results), 3)
        self.assertEqual(results[0]["status"], 200)
        self.assertEqual(results[0]["progress"]["content_id"], "b1")
        self.assertAlmostEqual(results[0]["progress"]["progress_percent"], 10, delta=0.01)
        self.assertEqual(results[1]["status"], 422)
        problem = results[1]["error"]
        self.assertEqual(problem["status"], 422)
        self.assertTrue(problem["type"].endswith("/validation"), problem)
        self.assertIn("pings[1].position_seconds", [e["field"] for e in problem["errors"]])
        self.assertEqual(results[2]["status"], 200)
        self.assertEqual(results[2]["progress"]["content_id"], "b3")
        self.assertEqual(results[2]["progress"]["position_seconds"], 30)
        self.assertEqual(self.get_record(token, "b1")["position_seconds"], 10)
        self.get_record(token, "b2", expect=404)
        self.assertEqual(self.get_record(token, "b3")["views"], 1)

    def test_results_in_order_and_merged_in_order(self):
        _, token = self.new_user()
        pings = [{"content_id": "same", "time_spent_delta_seconds": 1, "position_seconds": i,
                  "duration_seconds": 100} for i in range(1, 11)]
        status, _, body, doc = self.server.request("POST", "/v1/progress/batch", {"pings": pings},
                                                   token=token)
        self.assertEqual(status, 200, body)
        spent = [r["progress"]["time_spent_seconds"] for r in doc["results"]]
        self.assertEqual(spent, list(range(1, 11)))
        record = self.get_record(token, "same")
        self.assertEqual(record["time_spent_seconds"], 10)
        self.assertEqual(record["position_seconds"], 10)

    def test_service_batch_names_user_per_ping(self):
        user_a, token_a = self.new_user()
        user_b, token_b = self.new_user()
        status, _, body, doc = self.server.request("POST", "/v1/progress/batch", {"pings": [
            {"content_id": "sb", "user_id": user_a, "position_seconds": 11},
            {"content_id": "sb", "user_id": user_b, "position_seconds": 22},
            {"content_id": "sb", "position_seconds": 33},
        ]}, key=SERVICE_KEY)
        self.assertEqual(status, 200, body)
        self.assertEqual([r["status"] for r in doc["results"]], [200, 200, 422])
        self.assertIn("pings[2].user_id", [e["field"] for e in doc["results"][2]["error"]["errors"]])
        self.assertEqual(self.get_record(token_a, "sb")["position_seconds"], 11)
        self.assertEqual(self.get_record(token_b, "sb")["position_seconds"], 22)

    def test_empty_batch_fails_whole(self):
        _, token = self.new_user()
        response = self.server.request("POST", "/v1/progress/batch", {"pings": []}, token=token)
        assert_problem(self, response, {400, 422}, {"validation", "malformed-json"})


class ReadsAndResetsTest(NativeApiCase):
    def test_get_missing_is_404(self):
        _, token = self.new_user()
        response = self.server.request("GET", "/v1/progress/never-written", token=token)
        assert_problem(self, response, 404, "not-found")

    def test_get_many_in_order_with_missing(self):
        _, token = self.new_user()
        for content, pos in (("a", 1), ("b", 2), ("d", 4)):
            self.ping(token, {"content_id": content, "position_seconds": pos})
        self.ping(token, {"content_id": "c", "context_id": "k", "position_seconds": 3})
        status, _, body, doc = self.server.request("GET", "/v1/progress?content_ids=d,c,a,b", token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual([r["content_id"] for r in doc["results"]], ["d", "a", "b"])
        self.assertEqual([r["position_seconds"] for r in doc["results"]], [4, 1, 2])
        self.assertEqual(doc["missing"], ["c"])
        for record in doc["results"]:
            self.assertLessEqual(RECORD_FIELDS, set(record))
        status, _, body, doc = self.server.request(
            "GET", "/v1/progress?content_ids=c,a&context_id=k", token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual([r["content_id"] for r in doc["results"]], ["c"])
        self.assertEqual(doc["results"][0]["context_id"], "k")
        self.assertEqual(doc["missing"], ["a"])

    def test_get_many_limits(self):
        _, token = self.new_user()
        ids = ",".join(f"c{i}" for i in range(100))
        status, _, body, doc = self.server.request("GET", "/v1/progress?content_ids=" + ids, token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual(len(doc["missing"]), 100)
        ids = ",".join(f"c{i}" for i in range(101))
        response = self.server.request("GET", "/v1/progress?content_ids=" + ids, token=token)
        assert_problem(self, response, {400, 422}, "validation", "content_ids")

    def test_delete_then_404_and_idempotent(self):
        _, token = self.new_user()
        self.ping(token, {"content_id": "del", "position_seconds": 5})
        self.ping(token, {"content_id": "del", "context_id": "k", "position_seconds": 6})
        status, _, body, _ = self.server.request("DELETE", "/v1/progress/del", token=token)
        self.assertEqual(status, 204)
        self.assertEqual(body, b"")
        response = self.server.request("GET", "/v1/progress/del", token=token)
        assert_problem(self, response, 404, "not-found")
        # Only the organic record went; the one in context k stays.
        self.assertEqual(self.get_record(token, "del", "k")["position_seconds"], 6)
        status, _, _, _ = self.server.request("DELETE", "/v1/progress/del", token=token)
        self.assertEqual(status, 204)
        status, _, _, _ = self.server.request("DELETE", "/v1/progress/del?context_id=k", token=token)
        self.assertEqual(status, 204)
        self.get_record(token, "del", "k", expect=404)
        # A new ping after a reset starts a new record.
        doc = self.ping(token, {"content_id": "del", "time_spent_delta_seconds": 1})
        self.assertEqual(doc["time_spent_seconds"], 1)
        self.assertEqual(doc["position_seconds"], 0)


class UserListingTest(NativeApiCase):
    def make_records(self, token):
        keys = [("", "c1"), ("", "c2"), ("", "c3"), ("", "c4"), ("ctx", "c0"), ("ctx", "c5")]
        for context, content in reversed(keys):
            body = {"content_id": content, "position_seconds": 1}
            if context:
                body["context_id"] = context
            self.ping(token, body)
        return keys

    def test_pagination(self):
        user, token = self.new_user()
        keys = self.make_records(token)
        path = f"/v1/users/{user}/progress?page=1&page_size=4"
        status, _, body, first = self.server.request("GET", path, token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual(first["count"], 6)
        self.assertIsNone(first["previous"])
        self.assertEqual(len(first["results"]), 4)
        self.assertIsInstance(first["next"], str)
        self.assertTrue(first["next"].startswith("/"), first["next"])
        query = parse_qs(urlsplit(first["next"]).query)
        self.assertEqual(query.get("page"), ["2"])
        self.assertEqual(query.get("page_size"), ["4"])
        status, _, body, second = self.server.request("GET", first["next"], token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual(second["count"], 6)
        self.assertEqual(len(second["results"]), 2)
        self.assertIsNone(second["next"])
        self.assertIsInstance(second["previous"], str)
        status, _, body, back = self.server.request("GET", second["previous"], token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual(back["results"], first["results"])
        got = [(r["context_id"], r["content_id"]) for r in first["results"] + second["results"]]
        self.assertEqual(got, sorted(keys))
        for record in first["results"] + second["results"]:
            self.assertEqual(record["user_id"], user)
            self.assertLessEqual(RECORD_FIELDS, set(record))
        # Beyond the last page: no results.
        status, _, body, past = self.server.request(
            "GET", f"/v1/users/{user}/progress?page=3&page_size=4", token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual(past["results"], [])
        self.assertEqual(past["count"], 6)

    def test_listed_and_batch_read_records_are_the_records_read_one_by_one(self):
        user, token = self.new_user()
        self.ping(token, {"content_id": "plain", "position_seconds": 12.5, "duration_seconds": 600})
        self.ping(token, {"content_id": "rich", "position_seconds": 30, "duration_seconds": 60,
                          "mimetype": "video/mp4", "details": {"quality": "720p", "cues": [1, 2.5]}})
        self.ping(token, {"content_id": "done", "position_seconds": 60, "duration_seconds": 60})
        one_by_one = {c: self.get_record(token, c) for c in ("done", "plain", "rich")}
        self.assertEqual(one_by_one["rich"]["details"], {"quality": "720p", "cues": [1, 2.5]})
        self.assertEqual(one_by_one["rich"]["mimetype"], "video/mp4")
        self.assertIsNotNone(one_by_one["done"]["completed_at"])
        status, _, body, listed = self.server.request("GET", f"/v1/users/{user}/progress", token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual(listed["results"], [one_by_one[c] for c in ("done", "plain", "rich")])
        status, _, body, batch = self.server.request("GET", "/v1/progress?content_ids=rich,nope,plain,done",
                                                     token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual(batch["results"], [one_by_one[c] for c in ("rich", "plain", "done")])
        self.assertEqual(batch["missing"], ["nope"])

    def test_default_page(self):
        user, token = self.new_user()
        self.make_records(token)
        status, _, body, doc = self.server.request("GET", f"/v1/users/{user}/progress", token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual(doc["count"], 6)
        self.assertEqual(len(doc["results"]), 6)
        self.assertIsNone(doc["next"])
        self.assertIsNone(doc["previous"])

    def test_page_size_bounds(self):
        user, token = self.new_user()
        self.ping(token, {"content_id": "one"})
        for size in ("1", "1000"):
            status, _, body, doc = self.server.request(
                "GET", f"/v1/users/{user}/progress?page_size={size}", token=token)
            self.assertEqual(status, 200, body)
            self.assertEqual(len(doc["results"]), 1)
        for query in ("page_size=0", "page_size=1001", "page_size=abc", "page=0", "page=-1"):
            response = self.server.request("GET", f"/v1/users/{user}/progress?{query}", token=token)
            assert_problem(self, response, {400, 422}, "validation", query.split("=")[0])

    def test_me_alias(self):
        user, token = self.new_user()
        self.make_records(token)
        _, _, _, by_id = self.server.request("GET", f"/v1/users/{user}/progress", token=token)
        status, _, body, by_me = self.server.request("GET", "/v1/users/me/progress", token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual(by_me["count"], by_id["count"])
        self.assertEqual(by_me["results"], by_id["results"])
        response = self.server.request("GET", "/v1/users/me/progress", key=SERVICE_KEY)
        assert_problem(self, response, 422, "validation")

    def test_empty_user(self):
        user, token = self.new_user()
        status, _, body, doc = self.server.request("GET", f"/v1/users/{user}/progress", token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual(doc["count"], 0)
        self.assertEqual(doc["results"], [])


class PrincipalsTest(NativeApiCase):
    def service_headers(self, scheme):
        if scheme == "bearer":
            return {"Authorization": "Bearer " + SERVICE_KEY}
        return {"Authorization": basic_auth(SERVICE_KEY)}

    def check_service_everywhere(self, scheme):
        user, token = self.new_user()
        auth = self.service_headers(scheme)
        status, _, body, doc = post_ping(
            self.server, {"content_id": "svc", "user_id": user, "position_seconds": 45, "duration_seconds": 90},
            headers=auth)
        self.assertEqual(status, 200, body)
        self.assertAlmostEqual(doc["progress_percent"], 50, delta=0.01)
        # The user sees what the service wrote: one store.
        self.assertEqual(self.get_record(token, "svc")["position_seconds"], 45)
        status, _, body, doc = self.server.request("GET", f"/v1/progress/svc?user_id={user}", headers=auth)
        self.assertEqual(status, 200, body)
        self.assertEqual(doc["user_id"], user)
        status, _, body, doc = self.server.request(
            "GET", f"/v1/progress?content_ids=svc,nope&user_id={user}", headers=auth)
        self.assertEqual(status, 200, body)
        self.assertEqual([r["content_id"] for r in doc["results"]], ["svc"])
        self.assertEqual(doc["missing"], ["nope"])
        status, _, body, doc = self.server.request("POST", "/v1/progress/batch", {"pings": [
            {"content_id": "svc2", "user_id": user, "position_seconds": 1}]}, headers=auth)
        self.assertEqual(status, 200, body)
        self.assertEqual(doc["results"][0]["status"], 200)
        status, _, body, doc = self.server.request("GET", f"/v1/users/{user}/progress", headers=auth)
        self.assertEqual(status, 200, body)
        self.assertEqual(doc["count"], 2)
        status, _, body, _ = post_ping(
            self.server, {"content_id": "svc", "user_id": user, "position_seconds": 46},
            headers=dict(auth, Prefer="return=minimal"))
        self.assertEqual(status, 204, body)
        status, _, _, _ = self.server.request("DELETE", f"/v1/progress/svc?user_id={user}", headers=auth)
        self.assertEqual(status, 204)
        self.get_record(token, "svc", expect=404)

    def test_service_key_bearer(self):
        self.check_service_everywhere("bearer")

    def test_service_key_basic(self):
        self.check_service_everywhere("basic")

    def test_service_without_user_id_is_422(self):
        requests = [
            ("POST", "/v1/progress", {"content_id": "x", "position_seconds": 1}),
            ("GET", "/v1/progress/x", None),
            ("GET", "/v1/progress?content_ids=x", None),
            ("DELETE", "/v1/progress/x", None),
        ]
        for method, path, body in requests:
            with self.subTest(method=method, path=path):
                response = self.server.request(method, path, body, key=SERVICE_KEY)
                assert_problem(self, response, 422, "validation", "user_id")

    def test_user_cannot_touch_another_user(self):
        user_a, token_a = self.new_user()
        user_b, token_b = self.new_user()
        self.ping(token_b, {"content_id": "mine", "position_seconds": 12, "duration_seconds": 100})
        before = self.get_record(token_b, "mine")
        attempts = [
            ("POST", "/v1/progress", {"content_id": "mine", "user_id": user_b, "position_seconds": 99}),
            ("GET", f"/v1/progress/mine?user_id={user_b}", None),
            ("GET", f"/v1/progress?content_ids=mine&user_id={user_b}", None),
            ("DELETE", f"/v1/progress/mine?user_id={user_b}", None),
            ("GET", f"/v1/users/{user_b}/progress", None),
        ]
        for method, path, body in attempts:
            with self.subTest(method=method, path=path):
                response = self.server.request(method, path, body, token=token_a)
                assert_problem(self, response, 403, "forbidden")
        # Batch: the foreign ping fails alone with 403; A's own ping beside it applies.
        status, _, body, doc = self.server.request("POST", "/v1/progress/batch", {"pings": [
            {"content_id": "mine", "user_id": user_b, "position_seconds": 98},
            {"content_id": "own", "position_seconds": 5}]}, token=token_a)
        self.assertEqual(status, 200, body)
        self.assertEqual([r["status"] for r in doc["results"]], [403, 200], doc)
        self.assertTrue(doc["results"][0]["error"]["type"].endswith("/forbidden"), doc)
        self.assertEqual(self.get_record(token_a, "own")["position_seconds"], 5)
        self.assertEqual(self.get_record(token_b, "mine"), before)
        # A's own id in the body is fine, and A's write did not land on B.
        doc = self.ping(token_a, {"content_id": "mine", "user_id": user_a, "position_seconds": 7})
        self.assertEqual(doc["position_seconds"], 7)
        self.assertEqual(self.get_record(token_b, "mine"), before)
        # Without user_id, A reads A's own record, never B's.
        self.assertEqual(self.get_record(token_a, "mine")["user_id"], user_a)

    def test_unknown_api_key_is_401(self):
        response = self.server.request("GET", "/v1/progress/x?user_id=u", key="not-a-key")
        assert_problem(self, response, 401, "invalid-credentials")
        response = self.server.request("GET", "/v1/progress/x?user_id=u",
                                       headers={"Authorization": basic_auth("not-a-key")})
        assert_problem(self, response, 401, "invalid-credentials")


if __name__ == "__main__":
    unittest.main()
