"""CORS for browser pages on other origins, end to end (docs/operations.md, "Browsers and CORS"):
preflights answered 204 for allowed origins and 403 for others, every answer to an allowed origin
naming it and exposing the fields a page reads, nothing of it when --cors-allow-origins is unset."""

import subprocess
import tempfile
import unittest

from progressd_fixture import PROGRESSD, SERVICE_KEY, ServerCase, assert_problem, one_process_only, unique

APP = "https://app.example.com"
LOCAL = "http://localhost:3000"
CORS_FIELDS = ("access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers",
               "access-control-max-age", "access-control-expose-headers")


def preflight(origin, method="POST", fields="authorization, content-type"):
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if fields:
        headers["Access-Control-Request-Headers"] = fields
    return headers


def listed(headers, name):
    return {item.strip().lower() for item in headers.get(name, "").split(",") if item.strip()}


class CorsCase(ServerCase):
    server_args = ("--cors-allow-origins", f"{APP},{LOCAL}")

    def ping(self, origin, content_id, **extra):
        body = {"user_id": unique("u"), "content_id": content_id, "position_seconds": 12,
                "duration_seconds": 100, **extra}
        return self.server.request("POST", "/v1/progress", body, key=SERVICE_KEY, headers={"Origin": origin})

    def test_preflight_from_an_allowed_origin_lists_what_the_page_may_send(self):
        status, headers, body, _ = self.server.request("OPTIONS", "/v1/progress", headers=preflight(APP))
        self.assertEqual(status, 204, body)
        self.assertEqual(body, b"")
        self.assertEqual(headers["access-control-allow-origin"], APP)
        self.assertIn("origin", listed(headers, "vary"))
        self.assertIn("post", listed(headers, "access-control-allow-methods"))
        self.assertTrue({"authorization", "content-type", "prefer", "x-authenticated-user-token"}
                        <= listed(headers, "access-control-allow-headers"), headers)
        self.assertGreater(int(headers["access-control-max-age"]), 0)

    def test_preflight_methods_are_those_of_the_path(self):
        status, headers, _, _ = self.server.request("OPTIONS", "/v1/progress/lesson-1?context_id=c",
                                                    headers=preflight(LOCAL, "DELETE"))
        self.assertEqual(status, 204)
        self.assertEqual(headers["access-control-allow-origin"], LOCAL)
        self.assertEqual(listed(headers, "access-control-allow-methods"), {"get", "head", "delete"})

    def test_preflight_on_a_compatibility_path_too(self):
        status, headers, _, _ = self.server.request("OPTIONS", "/v1/view/start", headers=preflight(APP))
        self.assertEqual(status, 204)
        self.assertEqual(listed(headers, "access-control-allow-methods"), {"post"})

    def test_preflight_from_another_origin_is_refused_without_cors_fields(self):
        for origin in ("https://evil.example", "http://app.example.com", APP + ":8443", "null"):
            response = self.server.request("OPTIONS", "/v1/progress", headers=preflight(origin))
            assert_problem(self, response, 403, "forbidden")
            headers = response[1]
            self.assertFalse([name for name in CORS_FIELDS if name in headers], (origin, headers))
            self.assertIn("origin", listed(headers, "vary"))

    def test_preflight_at_an_unknown_path_is_a_404(self):
        status, headers, _, _ = self.server.request("OPTIONS", "/v1/nothing-here", headers=preflight(APP))
        self.assertEqual(status, 404)
        self.assertEqual(headers["access-control-allow-origin"], APP)

    def test_options_that_is_not_a_preflight_is_still_a_405(self):
        status, headers, _, _ = self.server.request("OPTIONS", "/v1/progress", headers={"Origin": APP})
        self.assertEqual(status, 405)
        self.assertIn("post", listed(headers, "allow"))

    def test_answers_to_an_allowed_origin_name_it_and_expose_what_pages_read(self):
        content = unique("c")
        status, headers, body, doc = self.ping(APP, content)
        self.assertEqual(status, 200, body)
        self.assertEqual(doc["content_id"], content)
        self.assertEqual(headers["access-control-allow-origin"], APP)
        self.assertIn("origin", listed(headers, "vary"))
        self.assertTrue({"retry-after", "location", "www-authenticate", "allow"}
                        <= listed(headers, "access-control-expose-headers"), headers)
        self.assertNotIn("access-control-allow-methods", headers)  # only preflights say that

    def test_errors_name_the_origin_so_the_page_can_read_them(self):
        response = self.server.request("GET", "/v1/progress/lesson-1", headers={"Origin": APP})
        assert_problem(self, response, 401, "missing-credentials")
        self.assertEqual(response[1]["access-control-allow-origin"], APP)
        big = b'{"content_id":"' + b"x" * 70000 + b'"}'
        raw = self.server.raw_request(
            b"POST /v1/progress HTTP/1.1\r\nHost: t\r\nOrigin: " + APP.encode() +
            b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(big)).encode() + b"\r\n\r\n" + big)
        self.assertEqual(raw.status, 413)
        self.assertEqual(raw.headers.get("access-control-allow-origin"), APP)

    def test_another_origin_gets_no_cors_fields(self):
        # The browser withholds such an answer from the page; the server does not refuse the
        # request itself (a non-browser client sends any Origin it likes), so it is served.
        status, headers, _, _ = self.ping("https://evil.example", unique("c"))
        self.assertEqual(status, 200)
        self.assertFalse([name for name in CORS_FIELDS if name in headers], headers)
        self.assertIn("origin", listed(headers, "vary"))

    def test_requests_without_an_origin_are_unchanged_but_for_vary(self):
        status, headers, _, _ = self.server.request("GET", "/readyz")
        self.assertEqual(status, 200)
        self.assertFalse([name for name in CORS_FIELDS if name in headers], headers)
        self.assertIn("origin", listed(headers, "vary"))


class AnyOriginCase(ServerCase):
    server_args = ("--cors-allow-origins", "*")

    def test_any_origin_is_named_back_but_not_the_opaque_null(self):
        status, headers, _, _ = self.server.request("OPTIONS", "/v1/progress", headers=preflight("https://x.example"))
        self.assertEqual(status, 204)
        self.assertEqual(headers["access-control-allow-origin"], "https://x.example")
        status, headers, _, _ = self.server.request("OPTIONS", "/v1/progress", headers=preflight("null"))
        self.assertEqual(status, 403)
        self.assertNotIn("access-control-allow-origin", headers)


class CorsOffCase(ServerCase):

    def test_without_the_flag_nothing_of_cors_appears(self):
        status, headers, _, _ = self.server.request("OPTIONS", "/v1/progress", headers=preflight(APP))
        self.assertEqual(status, 405)
        status, headers, _, _ = self.server.request("GET", "/readyz", headers={"Origin": APP})
        self.assertEqual(status, 200)
        self.assertFalse([name for name in CORS_FIELDS if name in headers], headers)
        self.assertNotIn("vary", headers)


class CorsFlagCase(unittest.TestCase):

    @one_process_only("a flag refused at one process's start")
    def test_an_origin_no_browser_sends_stops_the_start(self):
        with tempfile.TemporaryDirectory() as data_dir:
            for value in ("https://app.example.com/", "app.example.com", "https://App.example.com"):
                done = subprocess.run([PROGRESSD, "--listen", "127.0.0.1:0", "--data-dir", data_dir,
                                       "--cors-allow-origins", value], capture_output=True, text=True, timeout=20)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn("--cors-allow-origins", done.stderr)


if __name__ == "__main__":
    unittest.main()
