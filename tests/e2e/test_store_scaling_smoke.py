"""Smoke test of progress-store-scaling (bench/store_scaling.cpp): it runs, measures every thread
count asked for and reports a rate for each, never how fast: timing assertions have no place on
shared CI machines.

Binary: PROGRESS_STORE_SCALING_BIN (default build/bench/progress-store-scaling; empty: skipped,
as sanitizer builds leave the bench tools out), a relative path taken from the repository root.
"""

import os
import re
import subprocess
import unittest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCALING = os.environ.get("PROGRESS_STORE_SCALING_BIN", "build/bench/progress-store-scaling")
if SCALING and not os.path.isabs(SCALING):
    SCALING = os.path.join(REPO, SCALING)


class StoreScalingSmokeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not SCALING:
            raise unittest.SkipTest("PROGRESS_STORE_SCALING_BIN is empty: this build has no bench tools")
        if not os.access(SCALING, os.X_OK):
            raise AssertionError(f"missing binary {SCALING} (build first)")

    def run_tool(self, *args):
        return subprocess.run([SCALING, *args], capture_output=True, text=True, timeout=120)

    def test_every_thread_count_is_measured_against_one_thread(self):
        result = self.run_tool("--threads", "1,2,3", "--seconds", "0.1", "--users", "200", "--contents", "10")
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertTrue(lines[0].startswith("# progress-store-scaling users=200 contents=10 shards=64"), lines[0])
        rows = [dict(re.findall(r"(\w+)=([\d.]+)", line)) for line in lines[1:]]
        self.assertEqual([row["threads"] for row in rows], ["1", "2", "3"])
        for row in rows:
            self.assertGreater(int(row["pings"]), 0)
            self.assertGreater(float(row["per_s"]), 0)
            self.assertGreaterEqual(float(row["seconds"]), 0.1)
        self.assertEqual(rows[0]["scaling"], "1.00")
        self.assertIn("scaling", rows[1])

    def test_a_thread_count_of_zero_is_refused(self):
        result = self.run_tool("--threads", "0", "--seconds", "0.1", "--users", "10", "--contents", "1")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--threads takes counts from 1 to 1024", result.stderr)
        self.assertEqual(result.stdout, "")


if __name__ == "__main__":
    unittest.main()
