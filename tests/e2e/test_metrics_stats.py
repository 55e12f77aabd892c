"""progressctl stats against a real server: the figures of its /metrics, rates and p99 between
two scrapes, as JSON and as text, and --watch redrawing until interrupted."""

import json
import signal
import subprocess
import threading
import time
import unittest
import uuid

from clients import ping
from progressd_fixture import PROGRESSCTL, SERVICE_KEY, ServerCase, one_process_only


@one_process_only("one process's /metrics")
class StatsCommand(ServerCase):

    def url(self):
        return f"http://127.0.0.1:{self.server.port}"

    def stats(self, *args, timeout=30):
        return subprocess.run([PROGRESSCTL, "stats", "--url", self.url(), *args], capture_output=True,
                              text=True, timeout=timeout)

    def test_json_figures_under_load(self):
        user = "stats-" + uuid.uuid4().hex[:10]
        for i in range(3):
            ping(self, self.server, {"content_id": f"s{i}", "user_id": user, "position_seconds": 1,
                                     "duration_seconds": 100}, key=SERVICE_KEY)
        stop = threading.Event()
        sent = []

        def load():
            while not stop.is_set():
                ping(self, self.server, {"content_id": "s0", "user_id": user, "position_seconds": len(sent) % 90,
                                         "duration_seconds": 100}, key=SERVICE_KEY)
                sent.append(1)
                time.sleep(0.01)

        thread = threading.Thread(target=load, daemon=True)
        thread.start()
        try:
            result = self.stats("--json", "--interval", "1")
        finally:
            stop.set()
            thread.join()
        self.assertEqual(result.returncode, 0, result.stderr)
        figures = json.loads(result.stdout)
        self.assertEqual(figures["url"], self.url())
        self.assertIs(figures["ready"], True)
        self.assertIs(figures["draining"], False)
        self.assertGreaterEqual(figures["records"], 3)
        self.assertGreaterEqual(figures["users"], 1)
        self.assertGreater(len(sent), 10)
        # Pings during the one-second window, roughly what the thread sent: not the total so far.
        self.assertGreater(figures["pings_per_second"], 5)
        self.assertLess(figures["pings_per_second"], len(sent) + 10)
        self.assertGreaterEqual(figures["requests_per_second"], figures["pings_per_second"])
        self.assertGreater(figures["p99_latency_seconds"], 0)
        self.assertLess(figures["p99_latency_seconds"], 1)
        for key in ("dirty_records", "webhook_backlog", "connections", "flush_failures"):
            self.assertIsInstance(figures[key], (int, float), key)
        self.assertGreaterEqual(figures["connections"], 1)
        self.assertTrue(figures["version"])

    def test_text_without_traffic(self):
        result = self.stats("--interval", "0.2")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"at {self.url()}", result.stdout)
        for label in ("ready", "pings/s", "p99 latency", "records", "users", "dirty records", "last flush",
                      "webhook backlog", "connections"):
            self.assertRegex(result.stdout, rf"(?m)^  {label}\s+\S", label)
        self.assertRegex(result.stdout, r"(?m)^  ready\s+yes$")
        self.assertRegex(result.stdout, r"(?m)^  pings/s\s+0\.0$")

    def test_watch_redraws_until_interrupted(self):
        process = subprocess.Popen([PROGRESSCTL, "stats", "--url", self.url(), "--watch", "--interval", "0.2"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
        self.assertEqual(process.returncode, -signal.SIGINT, err)
        self.assertGreaterEqual(out.count("\x1b[H\x1b[2J"), 3, out)
        self.assertGreaterEqual(out.count("  records "), 3)

    def test_unreachable_server_fails(self):
        result = subprocess.run([PROGRESSCTL, "stats", "--url", "http://127.0.0.1:1", "--interval", "0.1"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1)
        self.assertIn("progressctl stats: http://127.0.0.1:1", result.stderr)
        result = subprocess.run([PROGRESSCTL, "stats", "--url", "ftp://x"], capture_output=True, text=True,
                                timeout=30)
        self.assertEqual(result.returncode, 2)


if __name__ == "__main__":
    unittest.main()
