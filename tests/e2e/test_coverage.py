"""Watched coverage and completion policies (docs/data-model.md merge rule 6, docs/native-api.md
"Watched coverage"): watched_percent from consecutive positions and segments, seeks detected, and a
`coverage` policy per content type or mimetype set with --completion-rule."""

import os
import subprocess
import tempfile
import unittest

from clients import PingClient, ping, post_ping
from progressd_fixture import (PROGRESSD, SERVICE_KEY, ProgressdServer, ServerCase, assert_problem,
                               one_process_only, unique)


class CoverageTest(PingClient, ServerCase):
    server_args = ["--completion-rule", "type:must-watch=coverage:90",
                   "--completion-rule", "mimetype:video/webm=coverage"]

    def record(self, token, content):
        status, _, raw, doc = self.server.request("GET", "/v1/progress/" + content, token=token)
        self.assertEqual(status, 200, raw)
        return doc

    def play(self, token, content, positions, start_ts, session="s1", **extra):
        """Pings at each position, 5 s apart on the client clock; returns the next ts."""
        ts = start_ts
        for position in positions:
            self.ping(token, {"content_id": content, "position_seconds": position, "duration_seconds": 600,
                              "ts": ts, "session_id": session, "seq": ts // 1000, **extra})
            ts += 5000
        return ts

    def test_seeking_to_99_percent_of_a_coverage_video_does_not_complete_it_watching_does(self):
        lesson = unique("lesson")
        status, _, raw, _ = self.server.request("PUT", "/v1/contents/" + lesson,
                                                {"type": "must-watch", "duration_seconds": 600}, key=SERVICE_KEY)
        self.assertEqual(status, 201, raw)
        token = self.server.user_token(unique("user"))
        ts = self.play(token, lesson, [0, 5, 10], 1_700_000_000_000)
        ts = self.play(token, lesson, [594], ts)  # the seek
        record = self.record(token, lesson)
        self.assertAlmostEqual(record["progress_percent"], 99, places=6)
        self.assertEqual(record["status"], 1)
        self.assertLess(record["watched_percent"], 5)
        doc = self.ping(token, {"content_id": lesson, "position_seconds": 598, "event": "end", "ts": ts,
                                "session_id": "s1", "seq": ts // 1000})
        self.assertEqual(doc["status"], 1)
        # Now watch it, from the start, in a new session.
        self.play(token, lesson, range(0, 601, 5), ts + 5000, session="s2")
        record = self.record(token, lesson)
        self.assertEqual(record["status"], 2)
        self.assertGreaterEqual(record["watched_percent"], 90)

    def test_a_mimetype_rule_and_the_default_policy(self):
        token = self.server.user_token(unique("user"))
        webm = unique("webm")
        self.play(token, webm, [0, 599], 1_700_000_000_000, mimetype="video/webm")
        self.assertEqual(self.record(token, webm)["status"], 1)
        mp4 = unique("mp4")
        self.play(token, mp4, [0, 599], 1_700_000_000_000, mimetype="video/mp4")
        record = self.record(token, mp4)
        self.assertEqual(record["status"], 2)  # furthest: the seek completes it
        self.assertEqual(record["watched_percent"], 0)

    def test_segments_fill_coverage_in_any_order(self):
        token = self.server.user_token(unique("user"))
        content = unique("seg")
        self.ping(token, {"content_id": content, "duration_seconds": 600, "segments": [[300, 360], [0, 60]]})
        self.ping(token, {"content_id": content, "segments": [[30, 90], [0, 60]]})
        record = self.record(token, content)
        self.assertEqual(record["watched_percent"], 25)
        self.assertEqual(record["status"], 1)

    def test_contiguous_play_fills_and_the_collection_shows_it(self):
        course = unique("course")
        self.server.request("PUT", "/v1/contents/" + course, {"children": [course + "-v"]}, key=SERVICE_KEY)
        token = self.server.user_token(unique("user"))
        self.play(token, course + "-v", range(0, 301, 5), 1_700_000_000_000)
        self.assertEqual(self.record(token, course + "-v")["watched_percent"], 50)
        doc = self.server.request("GET", f"/v1/collections/{course}/progress", token=token)[3]
        self.assertEqual(doc["children"][0]["watched_percent"], 50)

    def test_bad_segments_are_422(self):
        token = self.server.user_token(unique("user"))
        for segments, field in (("x", "segments"), ([[5, 1]], "segments[0]"), ([[1]], "segments[0]"),
                                ([[-1, 2]], "segments[0]"), ([[0, 1]] * 101, "segments")):
            assert_problem(self, post_ping(self.server, {"content_id": "c", "segments": segments}, token=token),
                           422, "validation", field)


class CoverageRestartTest(unittest.TestCase):
    @one_process_only("a restart of the server")
    def test_coverage_survives_a_restart(self):
        server = ProgressdServer()
        try:
            token = server.user_token("cov-user")
            ping(self, server, {"content_id": "cov", "duration_seconds": 600, "segments": [[0, 120]]}, token=token)
            server.restart()
            doc = server.request("GET", "/v1/progress/cov", token=token)[3]
            self.assertEqual(doc["watched_percent"], 20)
        finally:
            server.close()

    def test_a_bad_rule_stops_the_start(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith("PROGRESSD_")}
            done = subprocess.run([PROGRESSD, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(tmp, "d"),
                                   "--completion-rule", "type:x=watched"], capture_output=True, text=True,
                                  timeout=20, env=env)
            self.assertEqual(done.returncode, 2, done.stderr)
            self.assertIn("--completion-rule", done.stderr)


if __name__ == "__main__":
    unittest.main()
