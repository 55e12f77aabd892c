"""Bad input (docs/limits.md): every bad input gets a clear 4xx problem, changes nothing, and
crashes nothing."""

import json
import time
import unittest

from clients import post_ping
from progressd_fixture import (SERVICE_KEY, ProgressdServer, assert_problem, basic_auth,
                               http_request_bytes, mint_hs256, mint_unsigned)

USER = "bad-input-user"
OTHER = "bad-input-other"
BASE = "base-content"
BASE_PING = {"content_id": BASE, "position_seconds": 30, "duration_seconds": 100,
             "time_spent_delta_seconds": 5, "event": "start", "mimetype": "video/mp4",
             "details": {"k": "v"}, "session_id": "s-1", "seq": 1, "ts": 1000}


class BadInputTest(unittest.TestCase):
    """Every bad request aims at BASE (or names it), and the record must stay as set up."""

    @classmethod
    def setUpClass(cls):
        cls.server = ProgressdServer()
        cls.token = cls.server.user_token(USER)
        status, _, body, _ = post_ping(cls.server, BASE_PING, token=cls.token)
        if status != 200:
            cls.server.close()
            raise AssertionError(f"base ping failed: {status} {body[:300]!r}")
        cls.baseline = cls.get_base()

    @classmethod
    def tearDownClass(cls):
        alive = cls.server.alive()
        cls.server.close()
        if not alive:
            raise AssertionError("progressd died during the bad-input tests")

    @classmethod
    def get_base(cls):
        status, _, body, doc = cls.server.request("GET", "/v1/progress/" + BASE, token=cls.token)
        if status != 200:
            raise AssertionError(f"GET base record: {status} {body[:300]!r}")
        return doc

    def assert_unchanged(self):
        self.assertEqual(self.get_base(), self.baseline, "a rejected request changed the record")
        status, _, _, doc = self.server.request("GET", f"/v1/users/{USER}/progress", token=self.token)
        self.assertEqual(status, 200)
        self.assertEqual(doc["count"], 1, f"a rejected request created a record: {doc}")

    def post(self, body, headers=None, token=None, path="/v1/progress"):
        return self.server.request("POST", path, body, headers=headers,
                                   token=token if token is not None else self.token)

    def check_ping_rejected(self, body, status, type_suffix, field=None, headers=None):
        response = self.post(body, headers=headers)
        assert_problem(self, response, status, type_suffix, field)
        self.assert_unchanged()

    # --- malformed JSON and wrong shapes -------------------------------------------------------

    def test_malformed_json(self):
        for raw in ('{"content_id": "base-content", ', '{content_id: "base-content"}',
                    '{"content_id": "base-content"} trailing', "", "\x00\x01",
                    '{"content_id": "base-content", "position_seconds": 01}'):
            with self.subTest(raw=raw):
                self.check_ping_rejected(raw, 400, "malformed-json")

    def test_body_not_an_object(self):
        for raw in ('[{"content_id": "base-content"}]', '"base-content"', "42", "null"):
            with self.subTest(raw=raw):
                self.check_ping_rejected(raw, {400, 422}, {"malformed-json", "validation"})

    def test_nan_and_infinity_literals(self):
        for literal in ("NaN", "Infinity", "-Infinity"):
            for field in ("position_seconds", "duration_seconds", "progress_percent",
                          "time_spent_delta_seconds"):
                with self.subTest(literal=literal, field=field):
                    raw = '{"content_id": "base-content", "%s": %s}' % (field, literal)
                    self.check_ping_rejected(raw, 400, "malformed-json")

    def test_wrong_types(self):
        cases = [
            ("content_id", 123), ("content_id", None), ("content_id", ["base-content"]),
            ("context_id", 7), ("collection_id", {"id": "x"}),
            ("position_seconds", "12"), ("position_seconds", True), ("position_seconds", {}),
            ("duration_seconds", "600"), ("progress_percent", [50]), ("progress_percent", False),
            ("time_spent_delta_seconds", "5"), ("event", 1), ("event", ["start"]),
            ("seq", "2"), ("seq", 2.5), ("ts", "1700000000000"), ("ts", 1.5),
            ("mimetype", 5), ("session_id", 5),
        ]
        for field, value in cases:
            with self.subTest(field=field, value=value):
                body = {"content_id": BASE, "position_seconds": 99, "duration_seconds": 100,
                        "session_id": "s-2", "seq": 5}
                body[field] = value
                self.check_ping_rejected(body, 422, "validation", field)

    def test_missing_content_id(self):
        self.check_ping_rejected({"position_seconds": 99}, 422, "validation", "content_id")

    def test_negative_and_out_of_range_numbers(self):
        cases = [
            ("position_seconds", -1), ("position_seconds", -0.001), ("position_seconds", 10_000_001),
            ("duration_seconds", -5), ("duration_seconds", 1e8),
            ("progress_percent", -0.5), ("progress_percent", 100.5), ("progress_percent", 1e300),
            ("time_spent_delta_seconds", -1), ("time_spent_delta_seconds", 3600.5),
            ("seq", -1), ("ts", -1),
        ]
        for field, value in cases:
            with self.subTest(field=field, value=value):
                body = {"content_id": BASE, "position_seconds": 99, "duration_seconds": 100}
                body[field] = value
                self.check_ping_rejected(body, 422, "validation", field)

    def test_unknown_event(self):
        for event in ("pause", "START", "", "complete "):
            with self.subTest(event=event):
                self.check_ping_rejected({"content_id": BASE, "event": event, "position_seconds": 99},
                                         422, "validation", "event")

    def test_bad_ids_in_body(self):
        cases = [
            ("content_id", ""), ("content_id", "has space"), ("content_id", "slash/inside"),
            ("content_id", "caf\u00e9"), ("content_id", "a" * 129), ("content_id", "tab\there"),
            ("context_id", "bad!"), ("context_id", "c" * 129),
            ("collection_id", "bad#id"), ("collection_id", "x" * 129),
        ]
        for field, value in cases:
            with self.subTest(field=field, value=value[:20]):
                body = {"content_id": BASE, "position_seconds": 99}
                body[field] = value
                self.check_ping_rejected(body, 422, "validation", field)

    def test_id_of_128_bytes_and_full_alphabet_accepted(self):
        # Control for the id checks above: the longest id and every allowed character pass.
        for content in ("a" * 128, "AZaz09._:@-"):
            with self.subTest(content=content[:20]):
                status, _, body, doc = self.post({"content_id": content, "position_seconds": 1})
                self.assertEqual(status, 200, body)
                self.assertEqual(doc["content_id"], content)
                status, _, _, _ = self.server.request("DELETE", "/v1/progress/" + content, token=self.token)
                self.assertEqual(status, 204)
        self.assert_unchanged()

    def test_bad_user_id_for_service(self):
        for user in ("bad user", "u" * 129, ""):
            with self.subTest(user=user[:20]):
                response = post_ping(self.server, {"content_id": BASE, "user_id": user, "position_seconds": 99},
                                     key=SERVICE_KEY)
                assert_problem(self, response, 422, "validation", "user_id")
        self.assert_unchanged()

    def test_details_not_an_object_or_too_big(self):
        for details in ([1, 2], "text", 5, True):
            with self.subTest(details=details):
                self.check_ping_rejected({"content_id": BASE, "details": details, "position_seconds": 99},
                                         422, "validation", "details")
        big = {"blob": "x" * 4200}
        self.check_ping_rejected({"content_id": BASE, "details": big, "position_seconds": 99},
                                 422, "validation", "details")

    def test_details_just_under_4_kib_accepted(self):
        details = {"blob": "y" * 4000}
        self.assertLess(len(json.dumps(details, separators=(",", ":"))), 4096)
        status, _, body, _ = self.post({"content_id": "details-ok", "details": details})
        self.assertEqual(status, 200, body)
        status, _, _, doc = self.server.request("GET", "/v1/progress/details-ok", token=self.token)
        self.assertEqual(doc["details"], details)
        self.server.request("DELETE", "/v1/progress/details-ok", token=self.token)
        self.assert_unchanged()

    def test_bad_ids_in_path_and_query(self):
        cases = [
            ("/v1/progress/" + "a" * 129, "content_id"),
            ("/v1/progress/bad%20id", "content_id"),
            ("/v1/progress/bad!id", "content_id"),
            (f"/v1/progress/{BASE}?context_id=bad!", "context_id"),
            (f"/v1/progress/{BASE}?context_id=" + "c" * 129, "context_id"),
            ("/v1/progress?content_ids=ok,bad!", "content_ids"),
            ("/v1/progress?content_ids=", "content_ids"),
            ("/v1/progress", "content_ids"),
            (f"/v1/progress?content_ids={BASE}&context_id=bad!", "context_id"),
        ]
        for path, field in cases:
            with self.subTest(path=path[:60]):
                response = self.server.request("GET", path, token=self.token)
                assert_problem(self, response, {400, 422}, "validation", field)
        response = self.server.request("DELETE", "/v1/progress/bad!id", token=self.token)
        assert_problem(self, response, {400, 422}, "validation", "content_id")
        response = self.server.request("DELETE", f"/v1/progress/{BASE}?context_id=bad!", token=self.token)
        assert_problem(self, response, {400, 422}, "validation", "context_id")
        response = self.server.request("GET", f"/v1/progress/{BASE}?user_id=bad!", key=SERVICE_KEY)
        assert_problem(self, response, {400, 422}, "validation", "user_id")
        response = self.server.request("GET", "/v1/users/bad!user/progress", key=SERVICE_KEY)
        assert_problem(self, response, {400, 422}, "validation", "user_id")
        self.assert_unchanged()

    # --- batch ---------------------------------------------------------------------------------

    def test_batch_over_1000_items(self):
        pings = [{"content_id": f"over-{i}", "position_seconds": 1} for i in range(1001)]
        response = self.post({"pings": pings}, path="/v1/progress/batch")
        assert_problem(self, response, {400, 422}, "validation")
        status, _, _, doc = self.server.request("GET", "/v1/progress?content_ids=over-0,over-500,over-1000",
                                                token=self.token)
        self.assertEqual(status, 200)
        self.assertEqual(doc["results"], [])
        self.assert_unchanged()

    def test_batch_bad_envelopes(self):
        for body in ({"pings": []}, {"pings": "x"}, {"pings": {"content_id": BASE}},
                     {"ping": [{"content_id": BASE}]}, [{"content_id": BASE}], {"pings": None}):
            with self.subTest(body=body):
                response = self.post(body, path="/v1/progress/batch")
                assert_problem(self, response, {400, 422}, {"validation", "malformed-json"})
        response = self.post('{"pings": [', path="/v1/progress/batch")
        assert_problem(self, response, 400, "malformed-json")
        self.assert_unchanged()

    def test_batch_items_bad_in_every_way_fail_alone(self):
        bad_items = [{"content_id": BASE, "position_seconds": -1},
                     {"content_id": BASE, "event": "pause"},
                     {"content_id": "bad id"},
                     {"content_id": BASE, "details": [1]},
                     {"content_id": BASE, "progress_percent": 101},
                     "not an object",
                     {"content_id": BASE, "user_id": OTHER, "position_seconds": 99}]
        pings = bad_items + [{"content_id": "batch-good", "position_seconds": 2}]
        status, _, body, doc = self.post({"pings": pings}, path="/v1/progress/batch")
        self.assertEqual(status, 200, body)
        statuses = [r["status"] for r in doc["results"]]
        self.assertEqual(len(statuses), len(pings))
        for got in statuses[:-2]:
            self.assertIn(got, (400, 422), doc)
        self.assertEqual(statuses[-2], 403, doc)
        self.assertEqual(statuses[-1], 200, doc)
        self.server.request("DELETE", "/v1/progress/batch-good", token=self.token)
        self.assert_unchanged()

    # --- sizes ---------------------------------------------------------------------------------

    def test_body_over_64_kib_is_413(self):
        body = json.dumps({"content_id": BASE, "position_seconds": 99, "pad": "p" * 70_000}).encode()
        raw = http_request_bytes("POST", "/v1/progress", {"Authorization": "Bearer " + self.token,
                                                          "Content-Type": "application/json"}, body)
        response = self.server.raw_request(raw)
        self.assertEqual(response.status, 413, f"got {response.raw[:300]!r} (closed={response.closed}, "
                                               f"error={response.error!r})")
        assert_problem(self, (response.status, response.headers, response.body, response.json()),
                       413, "body-too-large")
        self.assert_unchanged()

    def test_body_just_under_64_kib_accepted(self):
        body = {"content_id": "size-ok", "position_seconds": 1, "pad": ""}
        body["pad"] = "p" * (65536 - len(json.dumps(body)) - 10)
        self.assertLessEqual(len(json.dumps(body)), 65536)
        status, _, raw, _ = self.post(body)
        self.assertEqual(status, 200, raw[:300])
        self.server.request("DELETE", "/v1/progress/size-ok", token=self.token)

    def test_batch_between_64_kib_and_1_mib_accepted(self):
        pings = [{"content_id": f"big-batch-{i}", "position_seconds": 1, "pad": "q" * 150}
                 for i in range(600)]
        body = json.dumps({"pings": pings})
        self.assertGreater(len(body), 65536)
        status, _, raw, doc = self.post(body, path="/v1/progress/batch")
        self.assertEqual(status, 200, raw[:300])
        self.assertEqual({r["status"] for r in doc["results"]}, {200})
        for i in range(600):
            self.server.request("DELETE", f"/v1/progress/big-batch-{i}", token=self.token)
        self.assert_unchanged()

    def test_batch_body_over_1_mib_is_413(self):
        pings = [{"content_id": BASE, "position_seconds": 99, "pad": "r" * 1100} for _ in range(1000)]
        body = json.dumps({"pings": pings}).encode()
        self.assertGreater(len(body), 1 << 20)
        raw = http_request_bytes("POST", "/v1/progress/batch", {"Authorization": "Bearer " + self.token,
                                                                "Content-Type": "application/json"}, body)
        response = self.server.raw_request(raw)
        self.assertEqual(response.status, 413, f"got {response.raw[:300]!r} (closed={response.closed}, "
                                               f"error={response.error!r})")
        assert_problem(self, (response.status, response.headers, response.body, response.json()),
                       413, "body-too-large")
        self.assert_unchanged()

    def test_headers_over_8_kib_is_431(self):
        raw = http_request_bytes("GET", "/v1/progress/" + BASE, {"Authorization": "Bearer " + self.token,
                                                                 "X-Pad": "h" * 9000})
        response = self.server.raw_request(raw)
        self.assertEqual(response.status, 431, f"got {response.raw[:300]!r} (closed={response.closed})")
        assert_problem(self, (response.status, response.headers, response.body, response.json()),
                       431, "headers-too-large")
        # Control: a few KiB of headers are fine.
        status, _, body, _ = self.server.request("GET", "/v1/progress/" + BASE, token=self.token,
                                                 headers={"X-Pad": "h" * 4000})
        self.assertEqual(status, 200, body[:200])

    # --- methods, paths, media types -----------------------------------------------------------

    def test_method_not_allowed_with_allow(self):
        cases = [("PUT", "/v1/progress", {"GET", "POST"}),
                 ("DELETE", "/v1/progress", {"GET", "POST"}),
                 ("PATCH", f"/v1/progress/{BASE}", {"GET", "DELETE"}),
                 ("PUT", f"/v1/progress/{BASE}", {"GET", "DELETE"}),
                 ("DELETE", "/v1/users/me/progress", {"GET"}),
                 ("POST", "/livez", {"GET", "HEAD"})]
        for method, path, allowed in cases:
            with self.subTest(method=method, path=path):
                response = self.server.request(method, path, {"content_id": BASE, "position_seconds": 99},
                                               token=self.token)
                assert_problem(self, response, 405, "method-not-allowed")
                allow = {m.strip().upper() for m in response[1].get("allow", "").split(",") if m.strip()}
                self.assertLessEqual(allowed, allow, f"Allow: {response[1].get('allow')!r}")
                self.assertNotIn(method, allow)
        self.assert_unchanged()

    def test_unknown_path_is_404(self):
        for path in ("/v1/nope", "/v1/progress/a/b", "/", "/v2/progress", "/v1/users/x/nothing"):
            with self.subTest(path=path):
                response = self.server.request("GET", path, token=self.token)
                assert_problem(self, response, 404, "not-found")

    def test_wrong_content_type_is_415(self):
        body = json.dumps({"content_id": BASE, "position_seconds": 99})
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml",
                             "multipart/form-data; boundary=x"):
            with self.subTest(content_type=content_type):
                self.check_ping_rejected(body, 415, "unsupported-media-type",
                                         headers={"Content-Type": content_type})

    def test_json_content_type_with_charset_and_missing_content_type_accepted(self):
        status, _, body, _ = self.post({"content_id": "ct-charset", "position_seconds": 1},
                                       headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(status, 200, body)
        status, _, body, _ = self.post({"content_id": "ct-none", "position_seconds": 1},
                                       headers={"Content-Type": None})
        self.assertEqual(status, 200, body)
        for content in ("ct-charset", "ct-none"):
            self.server.request("DELETE", "/v1/progress/" + content, token=self.token)
        self.assert_unchanged()

    # --- credentials ---------------------------------------------------------------------------

    def ping_with(self, headers):
        return post_ping(self.server, {"content_id": BASE, "position_seconds": 99}, headers=headers)

    def test_missing_credentials(self):
        assert_problem(self, self.ping_with({}), 401, "missing-credentials")
        assert_problem(self, self.server.request("GET", "/v1/progress/" + BASE), 401, "missing-credentials")
        assert_problem(self, self.server.request("GET", f"/v1/users/{USER}/progress"), 401,
                       "missing-credentials")
        self.assert_unchanged()

    def test_invalid_credentials(self):
        secret = self.server.hs256_secret()
        now = int(time.time())
        good_claims = {"sub": USER, "iat": now, "exp": now + 600}
        signed = mint_hs256(secret, good_claims)
        header_part, payload_part, signature = signed.split(".")
        tampered_payload = mint_hs256(secret, {"sub": OTHER, "iat": now, "exp": now + 600}).split(".")[1]
        cases = {
            "garbage bearer": {"Authorization": "Bearer abc.def.ghi"},
            "empty bearer": {"Authorization": "Bearer "},
            "unknown api key": {"Authorization": "Bearer not-the-key"},
            "basic with unknown key": {"Authorization": basic_auth("not-the-key")},
            "basic not base64": {"Authorization": "Basic %%%"},
            "unknown scheme": {"Authorization": "Digest " + SERVICE_KEY},
            "wrong secret": {"Authorization": "Bearer " + mint_hs256(b"another-secret", good_claims)},
            "expired": {"Authorization": "Bearer " + mint_hs256(
                secret, {"sub": USER, "iat": now - 600, "exp": now - 60})},
            "not yet valid": {"Authorization": "Bearer " + mint_hs256(
                secret, {"sub": USER, "iat": now, "nbf": now + 600, "exp": now + 1200})},
            "alg none": {"Authorization": "Bearer " + mint_unsigned(good_claims)},
            "alg none with HS256 signature": {"Authorization": "Bearer " + mint_unsigned(good_claims) + signature},
            "tampered payload": {"Authorization": f"Bearer {header_part}.{tampered_payload}.{signature}"},
            "truncated signature": {"Authorization": "Bearer " + signed[:-4]},
            "bad token in user header": {"x-authenticated-user-token": mint_hs256(b"nope", good_claims)},
        }
        either = {"missing-credentials", "invalid-credentials"}
        for name, headers in cases.items():
            with self.subTest(case=name):
                expected = either if name in ("empty bearer", "unknown scheme") else "invalid-credentials"
                assert_problem(self, self.ping_with(headers), 401, expected)
        self.assert_unchanged()

    def test_python_minted_token_works(self):
        # Control for the token cases above: the same minting with the right claims is accepted.
        secret = self.server.hs256_secret()
        now = int(time.time())
        token = mint_hs256(secret, {"sub": USER, "iat": now, "exp": now + 600})
        status, _, body, doc = self.server.request("GET", "/v1/progress/" + BASE, token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual(doc, self.baseline)

    def test_expired_progressctl_token_rejected(self):
        token = self.server.user_token(USER, ttl_seconds=2)
        status, _, body, _ = self.server.request("GET", "/v1/progress/" + BASE, token=token)
        self.assertEqual(status, 200, body)  # cached as valid now...
        time.sleep(3.1)
        # ...and refused once exp has passed, cache or not.
        assert_problem(self, self.server.request("GET", "/v1/progress/" + BASE, token=token),
                       401, "invalid-credentials")

    # --- last: still alive ---------------------------------------------------------------------

    def test_zz_server_still_alive(self):
        self.assertTrue(self.server.alive())
        status, _, body, doc = self.server.request("GET", "/livez")
        self.assertEqual(status, 200, body)
        self.assertEqual(doc, {"status": "pass"})
        self.assert_unchanged()


if __name__ == "__main__":
    unittest.main()
