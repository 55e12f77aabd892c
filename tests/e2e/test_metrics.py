"""GET /metrics as an operator's Prometheus sees it: clean for `promtool check metrics` after
traffic, only the routes in use, no empty method label, the process_* families, build_info, the
life-cycle gauges and the flush duration histogram. Needs promtool (Debian's prometheus package,
installed by tools/setup)."""

import math
import re
import shutil
import subprocess
import time
import unittest
import uuid

from clients import ping
from progressd_fixture import SERVICE_KEY, ServerCase, one_process_only
from test_ops import parse_metrics, value_of

PROMTOOL = shutil.which("promtool")


def promtool_check_metrics(test, text):
    """Pipes a scrape to `promtool check metrics`; any output (a lint or a parse error) fails."""
    test.assertIsNotNone(PROMTOOL, "promtool is missing: tools/setup installs Debian's prometheus package")
    result = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    output = (result.stdout + result.stderr).decode(errors="replace").strip()
    test.assertEqual((result.returncode, output), (0, ""), "promtool check metrics complained")


def series(samples):
    """The set of (name, sorted labels) of a scrape."""
    return {(name, tuple(sorted(labels.items()))) for name, labels, _ in samples}


@one_process_only("one process's /metrics")
class MetricsScrape(ServerCase):
    """One fresh server per class: the tests below depend on which routes it has served."""

    def wait_for(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            samples = parse_metrics(self.server.metrics_text())
            if predicate(samples) or time.monotonic() > deadline:
                return samples
            time.sleep(0.05)

    def test_a_fresh_server_exports_only_what_was_used(self):
        # A scrape is counted once answered: the second one shows the first.
        self.server.metrics_text()
        samples = parse_metrics(self.server.metrics_text())
        routes = {labels.get("route") for name, labels, _ in samples if name.startswith("progressd_request")}
        # The scrapes themselves (and what the class's other tests used, if they ran first): never
        # the dozens of routes nobody called.
        self.assertIn("/metrics", routes)
        for never_used in ("/v1/assessments", "/v1/contents:import", "/musora-api/reset", "/v1/webhooks"):
            self.assertNotIn(never_used, routes)

    def test_clean_for_promtool_after_traffic_and_labels_stay(self):
        user = "metrics-" + uuid.uuid4().hex[:10]
        for i in range(5):
            ping(self, self.server, {"content_id": f"c{i}", "user_id": user, "position_seconds": 10 * i,
                                     "duration_seconds": 100}, key=SERVICE_KEY)
        self.assertEqual(self.server.request("GET", f"/v1/progress/c1?user_id={user}", key=SERVICE_KEY)[0], 200)
        self.assertEqual(self.server.request("GET", "/v1/no-such-" + uuid.uuid4().hex[:8], key=SERVICE_KEY)[0], 404)
        self.assertEqual(self.server.request("DELETE", "/livez")[0], 405)
        self.assertEqual(self.server.request("GET", "/v1/progress/c1")[0], 401)
        self.assertEqual(self.server.request("GET", "/readyz")[0], 200)
        text = self.server.metrics_text()
        promtool_check_metrics(self, text)
        first = parse_metrics(text)

        # Requests that matched no route carry no method label at all, never method="".
        self.assertNotIn('method=""', text)
        unmatched = [labels for name, labels, _ in first
                     if name == "progressd_requests_total" and labels.get("route") == "unmatched"]
        self.assertTrue(unmatched, "the 404 and 405 were not counted")
        for labels in unmatched:
            self.assertEqual(set(labels), {"route", "status"}, labels)
        self.assertGreater(value_of(first, "progressd_request_duration_seconds_count", route="unmatched"), 0)
        self.assertEqual(value_of(first, "progressd_requests_total", route="/v1/progress", method="POST",
                                  status="200"), 5)
        self.assertEqual(value_of(first, "progressd_requests_total", route="/v1/progress/{content_id}",
                                  method="GET", status="401"), 1)

        # A series, once there, stays in every later scrape (counters only grow).
        second = parse_metrics(self.server.metrics_text())
        missing = series(first) - series(second)
        self.assertEqual(missing, set(), "series vanished between two scrapes")

    def test_process_families(self):
        samples = parse_metrics(self.server.metrics_text())
        now = time.time()
        values = {name: value for name, labels, value in samples if name.startswith("process_") and not labels}
        self.assertEqual(set(values), {"process_cpu_seconds_total", "process_resident_memory_bytes",
                                       "process_virtual_memory_bytes", "process_start_time_seconds",
                                       "process_open_fds", "process_max_fds"})
        self.assertGreater(values["process_cpu_seconds_total"], 0)
        self.assertGreater(values["process_resident_memory_bytes"], 1 << 20)
        self.assertGreaterEqual(values["process_virtual_memory_bytes"], values["process_resident_memory_bytes"])
        self.assertLess(abs(values["process_start_time_seconds"] - now), 600, values)
        self.assertLessEqual(values["process_start_time_seconds"], now + 2)
        # A listening socket, the data dir's files, our connection: some, and under the limit.
        self.assertGreater(values["process_open_fds"], 3)
        self.assertLess(values["process_open_fds"], values["process_max_fds"])

    def test_build_info_and_state(self):
        samples = parse_metrics(self.server.metrics_text())
        infos = [(labels, value) for name, labels, value in samples if name == "progressd_build_info"]
        self.assertEqual(len(infos), 1, infos)
        labels, value = infos[0]
        self.assertEqual(value, 1)
        self.assertEqual(set(labels), {"version", "commit", "compiler"})
        self.assertRegex(labels["commit"], r"^([0-9a-f]{7,40}|unknown)$")
        self.assertRegex(labels["version"], r"^(\d+\.\d+(\.\d+)*|unknown)$")
        self.assertRegex(labels["compiler"], r"^\S+ \d")
        self.assertEqual(value_of(samples, "progressd_ready"), 1)
        self.assertEqual(value_of(samples, "progressd_loaded"), 1)
        self.assertEqual(value_of(samples, "progressd_persistence_healthy"), 1)
        self.assertIn(("progressd_draining", {}, 0.0), samples)

    def test_flush_duration_histogram_after_a_flush(self):
        before = parse_metrics(self.server.metrics_text())
        count_before = value_of(before, "progressd_flush_duration_seconds_count")
        ping(self, self.server, {"content_id": "flushed", "user_id": "flush-" + uuid.uuid4().hex[:8],
                                 "position_seconds": 3, "duration_seconds": 100}, key=SERVICE_KEY)
        after = self.wait_for(lambda s: value_of(s, "progressd_flush_duration_seconds_count") > count_before)
        count = value_of(after, "progressd_flush_duration_seconds_count")
        self.assertGreater(count, count_before, "no flush was observed within 10 s")
        buckets = sorted((math.inf if labels["le"] == "+Inf" else float(labels["le"]), value)
                         for name, labels, value in after if name == "progressd_flush_duration_seconds_bucket")
        bounds = [le for le, _ in buckets]
        self.assertEqual(bounds[0], 0.0001)
        self.assertEqual(bounds[-2:], [10, math.inf])
        self.assertEqual(buckets[-1][1], count)
        for (_, lower), (_, upper) in zip(buckets, buckets[1:]):
            self.assertLessEqual(lower, upper, "buckets are not cumulative")
        self.assertGreater(value_of(after, "progressd_flush_duration_seconds_sum"), 0)
        last = value_of(after, "progressd_last_flush_duration_seconds")
        self.assertGreater(last, 0)
        self.assertLessEqual(last, value_of(after, "progressd_flush_duration_seconds_sum"))
        self.assertRegex(self.server.metrics_text(), r"(?m)^# TYPE progressd_flush_duration_seconds histogram$")
        self.assertGreaterEqual(value_of(after, "progressd_last_flush_age_seconds"), 0)


if __name__ == "__main__":
    unittest.main()
