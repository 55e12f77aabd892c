"""Assessments (docs/data-model.md "Assessment attempts", docs/native-api.md "Assessments"): POST
/v1/assessments and GET /v1/assessments/{content_id}; scoring, counters, completion on pass, reset,
persistence."""

import unittest

from progressd_fixture import SERVICE_KEY, ProgressdServer, ServerCase, assert_problem, one_process_only, unique


class AssessmentCase(ServerCase):

    def submit(self, token, body, expect=200):
        status, _, raw, doc = self.server.request("POST", "/v1/assessments", body, token=token)
        self.assertEqual(status, expect, raw[:600])
        return doc

    def read(self, token, content, context=None, expect=200):
        path = "/v1/assessments/" + content + (f"?context_id={context}" if context else "")
        status, _, raw, doc = self.server.request("GET", path, token=token)
        self.assertEqual(status, expect, raw[:600])
        return doc


class AssessmentTest(AssessmentCase):
    def test_attempts_counters_and_completion_on_pass(self):
        user = unique("user")
        token = self.server.user_token(user)
        quiz = unique("quiz")
        doc = self.submit(token, {"content_id": quiz, "attempt_id": "a1", "score": 4, "max_score": 10})
        self.assertEqual(doc["attempt_count"], 1)
        self.assertEqual(doc["attempt"]["passed"], False)
        self.assertEqual(doc["attempt"]["percent"], 40)
        self.assertEqual(doc["progress"]["status"], 1)
        record = self.server.request("GET", "/v1/progress/" + quiz, token=token)[3]
        self.assertEqual(record["status"], 1)
        doc = self.submit(token, {"content_id": quiz, "attempt_id": "a2", "score": 9, "max_score": 10})
        self.assertIs(doc["passed"], True)
        self.assertEqual(doc["progress"]["status"], 2)
        doc = self.submit(token, {"content_id": quiz, "attempt_id": "a3", "score": 2, "max_score": 10})
        self.assertEqual(doc["progress"]["status"], 2)  # completed stays completed
        read = self.read(token, quiz)
        self.assertEqual(read["user_id"], user)
        self.assertEqual(read["attempt_count"], 3)
        self.assertEqual(read["last_score"], 2)
        self.assertEqual(read["best_score"], 9)
        self.assertEqual(read["max_score"], 10)
        self.assertIs(read["passed"], True)
        self.assertEqual([a["attempt_id"] for a in read["attempts"]], ["a1", "a2", "a3"])
        self.assertIsInstance(read["last_submitted_at"], int)

    def test_items_last_result_per_item_wins_and_resubmission_updates(self):
        token = self.server.user_token(unique("user"))
        quiz = unique("quiz")
        doc = self.submit(token, {"content_id": quiz, "attempt_id": "x", "items": [
            {"item_id": "q1", "score": 0, "max_score": 1}, {"item_id": "q2", "score": 1, "max_score": 1},
            {"item_id": "q1", "score": 1, "max_score": 1}]})
        self.assertEqual(doc["attempt"]["score"], 2)
        self.assertEqual(doc["attempt"]["max_score"], 2)
        self.assertIs(doc["attempt"]["passed"], True)
        doc = self.submit(token, {"content_id": quiz, "attempt_id": "x", "score": 0, "max_score": 2})
        self.assertEqual(doc["attempt_count"], 1)
        self.assertEqual(doc["last_score"], 0)

    def test_pass_percent_from_the_catalog_and_explicit_passed(self):
        quiz = unique("quiz")
        status, _, raw, _ = self.server.request("PUT", "/v1/contents/" + quiz,
                                                {"type": "quiz", "attributes": {"pass_percent": 80}}, key=SERVICE_KEY)
        self.assertEqual(status, 201, raw)
        token = self.server.user_token(unique("user"))
        doc = self.submit(token, {"content_id": quiz, "attempt_id": "a1", "score": 7, "max_score": 10})
        self.assertIs(doc["attempt"]["passed"], False)
        doc = self.submit(token, {"content_id": quiz, "attempt_id": "a2", "score": 1, "max_score": 10,
                                  "passed": True})
        self.assertIs(doc["passed"], True)

    def test_a_passed_quiz_completes_its_lesson_in_the_course(self):
        course = unique("course")
        quiz = course + "-quiz"
        self.server.request("POST", "/v1/contents:import", [{"id": course, "children": [course + "-l1", quiz]}],
                            key=SERVICE_KEY)
        token = self.server.user_token(unique("user"))
        self.submit(token, {"content_id": quiz, "context_id": "b1", "attempt_id": "a", "score": 5,
                            "max_score": 5})
        doc = self.server.request("GET", f"/v1/collections/{course}/progress?context_id=b1", token=token)[3]
        self.assertEqual(doc["counts"]["completed"], 1)
        self.assertEqual(doc["current_child_id"], course + "-l1")
        # The submission, inside a context, enrolled the user in the course.
        enrolments = self.server.request("GET", "/v1/users/me/enrolments", token=token)[3]["results"]
        self.assertEqual([(e["collection_id"], e["context_id"]) for e in enrolments], [(course, "b1")])

    def test_services_name_the_user_and_reset_removes_attempts(self):
        user = unique("user")
        quiz = unique("quiz")
        status, _, raw, _ = self.server.request("POST", "/v1/assessments", {
            "user_id": user, "content_id": quiz, "attempt_id": "a", "score": 1, "max_score": 2}, key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        token = self.server.user_token(user)
        self.assertEqual(self.read(token, quiz)["attempt_count"], 1)
        self.read(token, quiz, context="other", expect=404)
        status, _, raw, _ = self.server.request("DELETE", "/v1/progress/" + quiz, token=token)
        self.assertEqual(status, 204, raw)
        self.read(token, quiz, expect=404)

    def test_bad_submissions_are_422(self):
        token = self.server.user_token(unique("user"))
        base = {"content_id": "q", "attempt_id": "a", "score": 1, "max_score": 2}
        for change, field in (({"attempt_id": None}, "attempt_id"), ({"content_id": "bad id"}, "content_id"),
                              ({"score": 3}, "score"), ({"max_score": None}, "max_score"),
                              ({"score": -1}, "score"), ({"items": []}, "items"),
                              ({"items": [{"item_id": "i", "score": 1}]}, "score"),
                              ({"passed": "yes"}, "passed")):
            body = {k: v for k, v in {**base, **change}.items() if v is not None}
            assert_problem(self, self.server.request("POST", "/v1/assessments", body, token=token),
                           422, "validation", field)
        body = {"content_id": "q", "attempt_id": "a", "items": [{"item_id": "bad id", "score": 1}]}
        assert_problem(self, self.server.request("POST", "/v1/assessments", body, token=token),
                       422, "validation", "items[0].item_id")
        assert_problem(self, self.server.request("POST", "/v1/assessments", {**base, "user_id": "other"},
                                                 token=token), 403, "forbidden")


@one_process_only("kill -9 and restart of one process (the cluster's: tests/cluster/)")
class AssessmentDurabilityTest(unittest.TestCase):
    def test_attempts_survive_kill_9_in_sync_mode(self):
        server = ProgressdServer(durability="sync")
        try:
            token = server.user_token("dur-quiz-user")
            for i in range(5):
                status, _, raw, _ = server.request("POST", "/v1/assessments", {
                    "content_id": "dur-quiz", "attempt_id": f"a{i}", "score": i, "max_score": 4}, token=token)
                self.assertEqual(status, 200, raw)
            server.kill9()
            server.start()
            doc = server.request("GET", "/v1/assessments/dur-quiz", token=token)[3]
            self.assertEqual(doc["attempt_count"], 5)
            self.assertEqual(doc["best_score"], 4)
            self.assertIs(doc["passed"], True)
            self.assertEqual(server.request("GET", "/v1/progress/dur-quiz", token=token)[3]["status"], 2)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
