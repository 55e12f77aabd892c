"""Webhooks and completion events (docs/webhooks.md) end to end: the Skilljar
webhooks resource over real HTTP, events made by writes through every family (Skilljar PATCH, the
native API, the Education API), delivered to a receiver this test runs on loopback, signed with
HMAC-SHA256, retried with backoff, deactivated after the last failed attempt, and delivered after
a restart when the receiver was down while the event happened."""

import hashlib
import hmac
import http.server
import json
import os
import re
import socket
import tempfile
import threading
import time
import unittest

from clients import ping, post_ping
from progressd_fixture import SERVICE_KEY, ProgressdServer, ServerCase, basic_auth, one_process_only, unique

BASIC = {"Authorization": basic_auth(SERVICE_KEY)}
COURSE = "wh-course"
LESSONS = ["wh-lesson-1", "wh-lesson-2"]
EDU_COURSE = "497f6eca-6276-4993-bfeb-53cbbbba6f08"
EDU_LESSON = "2585ba54-c32a-4ece-8fca-c6fa0530db0e"
WEBHOOK_FIELDS = {"id", "target_url", "event_type", "active", "deactivate_reason"}
RETRY_ARGS = ["--webhook-retry-ms", "100", "--flush-interval-ms", "50"]


def catalog_entries():
    return [
        {"id": COURSE, "type": "course", "title": "Webhooks", "children": LESSONS},
        {"id": LESSONS[0], "type": "video", "title": "One", "duration_seconds": 60},
        {"id": LESSONS[1], "type": "video", "title": "Two", "duration_seconds": 60},
        {"id": EDU_COURSE, "type": "course", "title": "Education", "children": [EDU_LESSON]},
        {"id": EDU_LESSON, "type": "video", "title": "Edu lesson", "duration_seconds": 60},
    ]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """An HTTP server on loopback that records every POST; `fail_next` answers 503 that many times."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.received = []  # (headers dict lower-cased, body bytes, parsed JSON)
        self.fail_next = 0
        self.attempts = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.attempts += 1
                    failing = receiver.fail_next > 0
                    if failing:
                        receiver.fail_next -= 1
                    else:
                        headers = {k.lower(): v for k, v in self.headers.items()}
                        receiver.received.append((headers, body, json.loads(body)))
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hooks"

    def events(self, kind=None):
        with self.lock:
            return [doc for _, _, doc in self.received if kind is None or doc["type"] == kind]

    def wait_for(self, predicate, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [doc for doc in self.events() if predicate(doc)]
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no matching webhook delivery within {timeout}s; got {self.events()}")

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class WebhookCase(ServerCase):
    server_args = RETRY_ARGS
    make_catalog = staticmethod(catalog_entries)

    def setUp(self):
        self.receiver = Receiver()
        self.hooks = []

    def tearDown(self):
        for hook in self.hooks:
            self.call("DELETE", f"/v1/webhooks/{hook}")
        self.receiver.close()

    def call(self, method, path, body=None):
        return self.server.request(method, path, body=body, headers=BASIC)

    def create(self, body, expect=201):
        status, _, raw, doc = self.call("POST", "/v1/webhooks", body)
        self.assertEqual(status, expect, raw)
        if status == 201:
            self.hooks.append(doc["id"])
        return doc

    def verify_signature(self, headers, body, secret):
        timestamp = headers["x-progressd-timestamp"]
        expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                                        hashlib.sha256).hexdigest()
        self.assertEqual(headers["x-progressd-signature"], expected)
        self.assertLess(abs(time.time() - int(timestamp)), 60)


class WebhookApiTest(WebhookCase):
    def test_create_list_read_update_delete(self):
        created = self.create({"target_url": self.receiver.url, "event_type": "COURSE_COMPLETION",
                               "basic_auth_username": "hook-user", "basic_auth_password": "pw"})
        self.assertEqual(set(created), WEBHOOK_FIELDS | {"basic_auth_username", "secret"})
        self.assertEqual(created["target_url"], self.receiver.url)
        self.assertEqual(created["event_type"], "COURSE_COMPLETION")
        self.assertIs(created["active"], True)
        self.assertIsNone(created["deactivate_reason"])
        self.assertEqual(created["basic_auth_username"], "hook-user")
        self.assertRegex(created["secret"], r"^[0-9a-f]{64}$")

        status, _, _, listed = self.call("GET", "/v1/webhooks")
        self.assertEqual(status, 200)
        self.assertEqual(set(listed), {"count", "next", "previous", "results"})
        mine = [hook for hook in listed["results"] if hook["id"] == created["id"]]
        self.assertEqual(len(mine), 1)
        self.assertEqual(set(mine[0]), WEBHOOK_FIELDS)  # no secret, no password in listings

        status, _, _, read = self.call("GET", f"/v1/webhooks/{created['id']}")
        self.assertEqual((status, read), (200, mine[0]))

        status, _, _, patched = self.call("PATCH", f"/v1/webhooks/{created['id']}",
                                          {"active": False, "event_type": None})
        self.assertEqual(status, 200)
        self.assertIs(patched["active"], False)
        self.assertIsNone(patched["event_type"])

        status, _, body, _ = self.call("DELETE", f"/v1/webhooks/{created['id']}")
        self.assertEqual((status, body), (204, b""))
        self.assertEqual(self.call("GET", f"/v1/webhooks/{created['id']}")[0], 404)
        self.assertEqual(self.call("DELETE", f"/v1/webhooks/{created['id']}")[0], 404)
        self.assertEqual(self.call("PATCH", f"/v1/webhooks/{created['id']}", {"active": True})[0], 404)

    def test_bad_input_is_a_drf_error_and_changes_nothing(self):
        before = self.call("GET", "/v1/webhooks")[3]["count"]
        cases = [
            ({}, "target_url", "This field is required."),
            ({"target_url": None}, "target_url", "This field may not be null."),
            ({"target_url": 5}, "target_url", "Not a valid string."),
            ({"target_url": "ftp://example.com/x"}, "target_url", None),
            ({"target_url": "https://example.com/x"}, "target_url", None),
            ({"target_url": "http://"}, "target_url", None),
            ({"target_url": "http://host:99999/"}, "target_url", None),
            ({"target_url": self.receiver.url, "event_type": "PATH_COMPLETION"}, "event_type",
             '"PATH_COMPLETION" is not a valid choice.'),
            ({"target_url": self.receiver.url, "active": "yes"}, "active", "Must be a valid boolean."),
            ({"target_url": self.receiver.url, "secret": "short"}, "secret", None),
            ({"target_url": self.receiver.url, "basic_auth_username": "a:b"}, "basic_auth_username", None),
        ]
        for body, field, message in cases:
            with self.subTest(body=body):
                status, _, raw, doc = self.call("POST", "/v1/webhooks", body)
                self.assertEqual(status, 400, raw)
                self.assertIn(field, doc)
                if message:
                    self.assertEqual(doc[field], [message])
        status, _, _, doc = self.call("POST", "/v1/webhooks", "[1, 2")
        self.assertEqual(status, 400)
        self.assertEqual(self.call("GET", "/v1/webhooks")[3]["count"], before)

    def test_only_services_may_manage_webhooks(self):
        self.assertEqual(self.server.request("GET", "/v1/webhooks")[0], 401)
        token = self.server.user_token(unique("user"))
        status, _, _, doc = self.server.request("POST", "/v1/webhooks", {"target_url": self.receiver.url},
                                                token=token)
        self.assertEqual(status, 403)
        self.assertIn("detail", doc)


class WebhookDeliveryTest(WebhookCase):
    def test_skilljar_patch_completion_fires_signed_lesson_and_course_events(self):
        hook = self.create({"target_url": self.receiver.url, "basic_auth_username": "receiver",
                            "basic_auth_password": "s3cret"})
        user = unique("sj-user")
        path = f"/v1/users/{user}/published-courses/{COURSE}/lessons/{LESSONS[0]}"
        status, _, raw, _ = self.call("PATCH", path, {"lesson_progress": {"completed_at": "2026-01-02T03:04:05Z"}})
        self.assertEqual(status, 200, raw)
        lesson = self.receiver.wait_for(lambda d: d["type"] == "LESSON_COMPLETION"
                                        and d["payload"]["user"]["id"] == user)[0]
        self.assertEqual(set(lesson), {"id", "type", "created_at", "payload"})
        self.assertEqual(lesson["payload"]["lesson"], {"id": LESSONS[0]})
        self.assertEqual(lesson["payload"]["course"], {"id": COURSE})
        self.assertRegex(lesson["payload"]["completed_at"], r"^\d{4}-\d{2}-\d{2}T")
        # The course is not complete yet: no COURSE_COMPLETION.
        # Completing the course through its own PATCH completes the last lesson and the course.
        status, _, raw, _ = self.call("PATCH", f"/v1/users/{user}/published-courses/{COURSE}",
                                      {"course_progress": {"completed_at": "2026-01-02T03:04:05Z"}})
        self.assertEqual(status, 200, raw)
        course = self.receiver.wait_for(lambda d: d["type"] == "COURSE_COMPLETION"
                                        and d["payload"]["user"]["id"] == user)
        self.assertEqual(len(course), 1)
        self.assertEqual(course[0]["payload"]["course"], {"id": COURSE})
        # Deliveries run concurrently, so the second lesson's event may come after the course's.
        self.receiver.wait_for(lambda d: d["type"] == "LESSON_COMPLETION" and d["payload"]["user"]["id"] == user
                               and d["payload"]["lesson"] == {"id": LESSONS[1]})
        time.sleep(0.3)  # let any duplicate arrive before counting
        lessons = [d["payload"]["lesson"]["id"] for d in self.receiver.events("LESSON_COMPLETION")
                   if d["payload"]["user"]["id"] == user]
        self.assertEqual(sorted(lessons), sorted(LESSONS))
        enrolments = [d for d in self.receiver.events("COURSE_ENROLLMENT") if d["payload"]["user"]["id"] == user]
        self.assertEqual(len(enrolments), 1)  # the implicit enrolment of the first write

        for headers, body, doc in self.receiver.received:
            self.verify_signature(headers, body, hook["secret"])
            self.assertEqual(headers["x-progressd-event"], doc["type"])
            self.assertEqual(headers["x-progressd-delivery"], doc["id"])
            self.assertEqual(headers["authorization"], basic_auth("receiver", "s3cret"))
            self.assertEqual(headers["content-type"], "application/json")

    def test_native_and_education_writes_fire_events_and_filters_apply(self):
        everything = self.create({"target_url": self.receiver.url})
        # Same URL twice: the document sends each event once per URL.
        self.create({"target_url": self.receiver.url, "event_type": "LESSON_COMPLETION"})
        other = Receiver()
        try:
            self.create({"target_url": other.url, "event_type": "QUIZ_COMPLETION"})
            user = unique("native-user")
            token = self.server.user_token(user)
            ping(self, self.server, {"content_id": LESSONS[1], "position_seconds": 60, "duration_seconds": 60,
                                     "event": "complete"}, token=token)
            found = self.receiver.wait_for(lambda d: d["type"] == "LESSON_COMPLETION"
                                           and d["payload"]["user"]["id"] == user)
            self.assertEqual(found[0]["payload"]["lesson"], {"id": LESSONS[1]})
            # A repeated completion is no new transition.
            post_ping(self.server, {"content_id": LESSONS[1], "event": "complete"}, token=token)
            status, _, raw, _ = self.server.request(
                "POST", "/v1/assessments", {"content_id": "wh-quiz", "attempt_id": "a1", "score": 9,
                                            "max_score": 10}, token=token)
            self.assertEqual(status, 200, raw)
            quiz = other.wait_for(lambda d: d["payload"]["user"]["id"] == user)
            self.assertEqual(quiz[0]["type"], "QUIZ_COMPLETION")
            self.assertEqual(quiz[0]["payload"]["quiz"],
                             {"attempt_id": "a1", "score": 9, "max_score": 10, "passed": True})
            self.receiver.wait_for(lambda d: d["type"] == "QUIZ_COMPLETION" and d["payload"]["user"]["id"] == user)

            edu_user = unique("edu-user")
            edu_token = self.server.user_token(edu_user)
            status, _, raw, _ = self.server.request(
                "PUT", f"/api/v1/education/progress/{EDU_COURSE}/lessons/{EDU_LESSON}", {"status": "completed"},
                token=edu_token)
            self.assertEqual(status, 200, raw)
            self.receiver.wait_for(lambda d: d["type"] == "COURSE_COMPLETION"
                                   and d["payload"]["user"]["id"] == edu_user
                                   and d["payload"]["course"] == {"id": EDU_COURSE})

            status, _, raw, _ = self.server.request("PUT", f"/v1/users/{user}/enrolments/{COURSE}?context_id=b7",
                                                    {}, key=SERVICE_KEY)
            self.assertEqual(status, 201, raw)
            enrolled = self.receiver.wait_for(lambda d: d["type"] == "COURSE_ENROLLMENT"
                                              and d["payload"]["user"]["id"] == user)
            self.assertEqual(enrolled[0]["payload"]["context_id"], "b7")
            self.assertEqual(enrolled[0]["payload"]["course"], {"id": COURSE})

            self.receiver.wait_for(lambda d: d["type"] == "LESSON_COMPLETION" and d["payload"]["user"]["id"] == user
                                   and d["payload"]["lesson"] == {"id": "wh-quiz"})
            time.sleep(0.5)  # let any duplicate arrive before counting
            lesson_events = [d for d in self.receiver.events("LESSON_COMPLETION")
                             if d["payload"]["user"]["id"] == user]
            self.assertEqual(len(lesson_events), 2, lesson_events)  # the lesson and the passed quiz
            self.assertEqual(other.events("LESSON_COMPLETION"), [])
            self.assertEqual(len(other.events()), 1)
            ids = [d["id"] for d in self.receiver.events()]
            self.assertEqual(len(ids), len(set(ids)))
            self.assertTrue(everything["id"])
        finally:
            other.close()

    def test_sunbird_view_end_fires_completion_and_enrolment_in_its_batch(self):
        self.create({"target_url": self.receiver.url})
        user = unique("sb-user")
        body = {"id": "api.view.end", "ver": "v1", "ts": "2026-01-02 03:04:05:678+0000", "params": {"msgid": "m1"},
                "request": {"contentId": LESSONS[0], "collectionId": COURSE, "contextId": "batch-9"}}
        status, _, raw, _ = self.server.request("POST", "/v1/view/end", body,
                                                headers={"x-authenticated-user-token": self.server.user_token(user)})
        self.assertEqual(status, 200, raw)
        lesson = self.receiver.wait_for(lambda d: d["type"] == "LESSON_COMPLETION"
                                        and d["payload"]["user"]["id"] == user)[0]
        self.assertEqual(lesson["payload"]["context_id"], "batch-9")
        self.assertEqual(lesson["payload"]["course"], {"id": COURSE})
        enrolled = self.receiver.wait_for(lambda d: d["type"] == "COURSE_ENROLLMENT"
                                          and d["payload"]["user"]["id"] == user)[0]
        self.assertEqual((enrolled["payload"]["course"], enrolled["payload"]["context_id"]),
                         ({"id": COURSE}, "batch-9"))

    @one_process_only("its delivery counters are one process's /metrics")
    def test_failed_deliveries_are_retried_with_the_same_event(self):
        self.create({"target_url": self.receiver.url, "event_type": "COURSE_ENROLLMENT"})
        self.receiver.fail_next = 2
        user = unique("retry-user")
        status, _, raw, _ = self.server.request("PUT", f"/v1/users/{user}/enrolments/{COURSE}", {}, key=SERVICE_KEY)
        self.assertEqual(status, 201, raw)
        event = self.receiver.wait_for(lambda d: d["payload"]["user"]["id"] == user)[0]
        self.assertEqual(self.receiver.attempts, 3)
        self.assertEqual(event["type"], "COURSE_ENROLLMENT")
        # The receiver saw the event before the sender read its answer: poll the counters.
        deadline = time.time() + 10
        while True:
            metrics = self.server.metrics_text()
            failed = re.search(r'^progressd_webhook_deliveries_total\{result="failed"\} (\d+)', metrics, re.M)
            delivered = re.search(r'^progressd_webhook_deliveries_total\{result="delivered"\} (\d+)', metrics, re.M)
            if int(delivered.group(1)) >= 1 or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertGreaterEqual(int(failed.group(1)), 2)
        self.assertGreaterEqual(int(delivered.group(1)), 1)
        self.assertRegex(metrics, r"(?m)^progressd_webhook_deliveries_pending \d+")


class WebhookDeactivationTest(WebhookCase):
    server_args = RETRY_ARGS + ["--webhook-max-attempts", "2"]

    def test_the_last_failed_attempt_deactivates_the_webhook(self):
        hook = self.create({"target_url": self.receiver.url})
        self.receiver.fail_next = 100
        status, _, raw, _ = self.server.request("PUT", f"/v1/users/{unique('u')}/enrolments/{COURSE}", {},
                                                key=SERVICE_KEY)
        self.assertEqual(status, 201, raw)
        deadline = time.time() + 10
        while time.time() < deadline:
            doc = self.call("GET", f"/v1/webhooks/{hook['id']}")[3]
            if not doc["active"]:
                break
            time.sleep(0.05)
        self.assertIs(doc["active"], False)
        self.assertIn("HTTP 503", doc["deactivate_reason"])
        self.assertEqual(self.receiver.attempts, 2)
        # Re-activating clears the reason.
        status, _, _, doc = self.call("PATCH", f"/v1/webhooks/{hook['id']}", {"active": True})
        self.assertEqual((status, doc["active"], doc["deactivate_reason"]), (200, True, None))


@one_process_only("restart and kill -9 of one process")
class WebhookRestartTest(unittest.TestCase):
    def run_restart_case(self, durability, stop):
        tmp = tempfile.TemporaryDirectory(prefix="progressd-webhooks-restart-")
        catalog = os.path.join(tmp.name, "catalog.json")
        with open(catalog, "w") as f:
            json.dump(catalog_entries(), f)
        port = free_port()
        server = ProgressdServer(durability=durability, extra_args=["--catalog", catalog, *RETRY_ARGS])
        try:
            status, _, raw, hook = server.request("POST", "/v1/webhooks",
                                                  {"target_url": f"http://127.0.0.1:{port}/hooks"}, headers=BASIC)
            self.assertEqual(status, 201, raw)
            user = unique("restart-user")
            # The receiver is down: the event waits in the outbox.
            status, _, raw, _ = server.request(
                "PATCH", f"/v1/users/{user}/published-courses/{COURSE}/lessons/{LESSONS[0]}",
                {"lesson_progress": {"completed_at": "2026-01-02T03:04:05Z"}}, headers=BASIC)
            self.assertEqual(status, 200, raw)
            time.sleep(0.5)  # a few failed attempts
            stop(server)
            receiver = Receiver(port)
            try:
                server.start()
                found = receiver.wait_for(lambda d: d["type"] == "LESSON_COMPLETION"
                                          and d["payload"]["user"]["id"] == user)
                headers, body, _ = receiver.received[0]
                self.assertEqual(found[0]["payload"]["lesson"], {"id": LESSONS[0]})
                hmac_key = hook["secret"]
                expected = "sha256=" + hmac.new(hmac_key.encode(),
                                                f"{headers['x-progressd-timestamp']}.".encode() + body,
                                                hashlib.sha256).hexdigest()
                self.assertEqual(headers["x-progressd-signature"], expected)
            finally:
                receiver.close()
        finally:
            server.close()
            tmp.cleanup()

    def test_delivered_after_a_restart_when_the_receiver_was_down(self):
        self.run_restart_case("snapshot", lambda server: self.assertEqual(server.stop_sigterm(), 0))

    def test_acknowledged_sync_write_keeps_its_event_through_kill_9(self):
        self.run_restart_case("sync", lambda server: server.kill9())


if __name__ == "__main__":
    unittest.main()
