"""Operations endpoints: liveness, readiness (GET and HEAD, no auth) and Prometheus metrics."""

import math
import re
import unittest
import uuid

from clients import ping
from progressd_fixture import SERVICE_KEY, ServerCase, one_process_only

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def parse_metrics(text):
    """[(name, {label: value}, float)] for every sample line; raises on a malformed line."""
    samples = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError(f"not a Prometheus sample line: {line!r}")
        name, label_text, value = m.groups()
        labels = {}
        if label_text:
            pos = 0
            while pos < len(label_text):
                lm = LABEL.match(label_text, pos)
                if not lm:
                    raise AssertionError(f"bad labels in {line!r}")
                labels[lm.group(1)] = lm.group(2)
                pos = lm.end()
        samples.append((name, labels, float(value)))
    return samples


def value_of(samples, name, **labels):
    """The value of the one sample with this name and exactly these labels (0 when absent)."""
    for sample_name, sample_labels, value in samples:
        if sample_name == name and sample_labels == labels:
            return value
    return 0.0


class OpsTest(ServerCase):

    def assert_health(self, path):
        status, headers, body, doc = self.server.request("GET", path)
        self.assertEqual(status, 200, body)
        self.assertTrue(headers.get("content-type", "").startswith("application/health+json"),
                        headers.get("content-type"))
        self.assertEqual(doc, {"status": "pass"})

    def assert_head(self, path):
        status, headers, body, _ = self.server.request("HEAD", path)
        self.assertEqual(status, 200)
        self.assertEqual(body, b"")
        self.assertIn("json", headers.get("content-type", ""))

    def test_livez_get(self):
        self.assert_health("/livez")

    def test_healthz_get(self):
        self.assert_health("/healthz")

    def test_livez_and_healthz_head(self):
        self.assert_head("/livez")
        self.assert_head("/healthz")

    def test_readyz_get(self):
        status, headers, body, doc = self.server.request("GET", "/readyz")
        self.assertEqual(status, 200, body)
        self.assertIn("json", headers.get("content-type", ""))
        self.assertIsInstance(doc, dict, body)
        self.assertEqual(doc.get("status"), "pass", doc)
        self.assertIsInstance(doc.get("checks"), dict, doc)

    def test_readyz_head(self):
        self.assert_head("/readyz")

    def test_ops_need_no_credentials_but_api_does(self):
        # Control: the same connection without credentials is refused on an API path.
        status, _, _, _ = self.server.request("GET", "/v1/progress/some-content")
        self.assertEqual(status, 401)
        for path in ("/livez", "/healthz", "/readyz", "/metrics"):
            status, _, body, _ = self.server.request("GET", path)
            self.assertEqual(status, 200, f"{path}: {body[:200]!r}")

    def test_metrics_format(self):
        status, headers, body, _ = self.server.request("GET", "/metrics")
        self.assertEqual(status, 200)
        content_type = headers.get("content-type", "")
        self.assertTrue(content_type.startswith("text/plain"), content_type)
        self.assertIn("version=0.0.4", content_type)
        text = body.decode()
        samples = parse_metrics(text)
        self.assertTrue(samples)
        for name, _, _ in samples:
            # process_*: the standard names every exporter shares (docs/metrics.md).
            self.assertTrue(name.startswith(("progressd_", "process_")), name)
        names = {name for name, _, _ in samples}
        for required in ("progressd_records", "progressd_users", "progressd_dirty_records",
                         "progressd_connections", "progressd_lmdb_used_bytes",
                         "progressd_last_flush_age_seconds", "progressd_persister_behind"):
            self.assertIn(required, names, f"{required} missing from /metrics")
            self.assertRegex(text, rf"(?m)^# TYPE {required} \w+$")
        self.assertTrue(any(n.startswith("progressd_flush_duration_seconds") for n in names),
                        "no progressd_flush_duration_seconds metric")
        # Our own connection is open while the scrape happens.
        self.assertGreaterEqual(value_of(samples, "progressd_connections"), 1)
        # An idle server's persister keeps its interval: replies to writes do not wait for it.
        self.assertEqual(value_of(samples, "progressd_persister_behind"), 0)
        self.assertRegex(text, r"(?m)^# TYPE progressd_requests_total counter$")
        self.assertRegex(text, r"(?m)^# TYPE progressd_request_duration_seconds histogram$")
        for name, labels, value in samples:
            self.assertFalse(math.isnan(value), f"{name}{labels} is NaN")
            if name == "progressd_requests_total":
                # No route matched, no method label (never an empty one).
                expected = {"route", "status"} if labels.get("route") == "unmatched" else {"route", "method", "status"}
                self.assertEqual(set(labels), expected, labels)
                self.assertRegex(labels["status"], r"^[1-5]\d\d$")

    @one_process_only("the counters of one process's /metrics")
    def test_counters_move_and_carry_no_ids(self):
        user = "metrics-user-" + uuid.uuid4().hex[:12]
        contents = ["metrics-content-" + uuid.uuid4().hex[:12] for _ in range(3)]
        missing_path = "/v1/no-such-route-" + uuid.uuid4().hex[:12]
        before = parse_metrics(self.server.metrics_text())

        for content in contents:
            ping(self, self.server, {"content_id": content, "user_id": user, "position_seconds": 10,
                                     "duration_seconds": 100}, key=SERVICE_KEY)
        status, _, body, _ = self.server.request(
            "GET", f"/v1/progress/{contents[0]}?user_id={user}", key=SERVICE_KEY)
        self.assertEqual(status, 200, body)
        status, _, _, _ = self.server.request("GET", missing_path, key=SERVICE_KEY)
        self.assertEqual(status, 404)

        text = self.server.metrics_text()
        after = parse_metrics(text)
        post = dict(route="/v1/progress", method="POST", status="200")
        self.assertEqual(value_of(after, "progressd_requests_total", **post) -
                         value_of(before, "progressd_requests_total", **post), 3, text)
        get_one = dict(route="/v1/progress/{content_id}", method="GET", status="200")
        self.assertEqual(value_of(after, "progressd_requests_total", **get_one) -
                         value_of(before, "progressd_requests_total", **get_one), 1, text)
        self.assertTrue(any(n == "progressd_requests_total" and l.get("status") == "404"
                            for n, l, _ in after), "no 404 counted")
        # The latency histogram of the route counted the three pings and is consistent.
        post_route = dict(route="/v1/progress", method="POST")
        count_before = value_of(before, "progressd_request_duration_seconds_count", **post_route)
        count_after = value_of(after, "progressd_request_duration_seconds_count", **post_route)
        self.assertGreaterEqual(count_after - count_before, 3, text)
        buckets = [(l["le"], v) for n, l, v in after
                   if n == "progressd_request_duration_seconds_bucket" and l.get("route") == "/v1/progress"
                   and l.get("method") == "POST"]
        self.assertTrue(buckets, "no buckets for /v1/progress")
        bounds = [(math.inf if le == "+Inf" else float(le), v) for le, v in buckets]
        bounds.sort()
        self.assertEqual(bounds[-1][0], math.inf, "no +Inf bucket")
        self.assertEqual(bounds[-1][1], count_after, "+Inf bucket differs from _count")
        for (_, lower), (_, upper) in zip(bounds, bounds[1:]):
            self.assertLessEqual(lower, upper, "buckets are not cumulative")
        # Records and users gauges saw the new data.
        self.assertEqual(value_of(after, "progressd_records") - value_of(before, "progressd_records"), 3)
        self.assertGreaterEqual(value_of(after, "progressd_users") - value_of(before, "progressd_users"), 1)
        # No id ever becomes a label.
        for identifier in [user, missing_path.rsplit("/", 1)[1]] + contents:
            self.assertNotIn(identifier, text)


if __name__ == "__main__":
    unittest.main()
