"""The crash loop (tests/crash/crash_loop.py, docs/reliability.md) in CI: 3 short kill -9 cycles per
durability mode under concurrent load, and proof that its checker reports a real loss.

The long run (20 cycles per mode) is documented in docs/reliability.md."""

import os
import re
import subprocess
import sys
import unittest

import progressd_fixture

TOOL = os.path.join(progressd_fixture.REPO, "tests", "crash", "crash_loop.py")
TOTAL_RE = re.compile(r"^total (\w+): cycles (\d+)/(\d+) survived: acked (\d+) / checked (\d+) / "
                      r"missing (\d+) / regressed (\d+)", re.M)
CYCLE_RE = re.compile(r"^cycle (\d+)/(\d+): .*acked (\d+) / checked (\d+) / missing (\d+) / regressed (\d+)", re.M)


class CrashLoopTest(unittest.TestCase):
    def run_tool(self, *args, timeout=60):
        """(exit code, stdout, parsed total line as a dict)."""
        done = subprocess.run([sys.executable, TOOL, "--binary", progressd_fixture.PROGRESSD, *args],
                              capture_output=True, text=True, timeout=timeout)
        output = done.stdout + done.stderr
        match = TOTAL_RE.search(done.stdout)
        self.assertIsNotNone(match, f"no total line (exit {done.returncode}):\n{output[-3000:]}")
        names = ("mode", "survived", "cycles", "acked", "checked", "missing", "regressed")
        total = {n: (v if n == "mode" else int(v)) for n, v in zip(names, match.groups())}
        return done.returncode, output, total

    def check_clean_run(self, mode):
        code, output, total = self.run_tool("--mode", mode, "--cycles", "3", "--seconds-per-cycle", "2",
                                            "--connections", "16", "--keys-per-connection", "8")
        self.assertEqual(code, 0, output[-3000:])
        self.assertEqual(total["mode"], mode)
        self.assertEqual((total["survived"], total["cycles"]), (3, 3), output[-3000:])
        self.assertEqual((total["missing"], total["regressed"]), (0, 0), output[-3000:])
        cycles = CYCLE_RE.findall(output)
        self.assertEqual(len(cycles), 3, output[-3000:])
        for cycle in cycles:
            acked, checked = int(cycle[2]), int(cycle[3])
            # Each cycle must really have written under load and checked writes after the kill.
            self.assertGreater(acked, 100, output[-3000:])
            self.assertGreater(checked, 0, output[-3000:])
            if mode == "sync":
                self.assertEqual(checked, acked, "sync mode checks every acknowledged write")
            else:
                self.assertLessEqual(checked, acked)
        return total

    def test_sync_mode_loses_no_acknowledged_write(self):
        self.check_clean_run("sync")

    def test_snapshot_mode_loses_nothing_older_than_its_window(self):
        self.check_clean_run("snapshot")

    def test_sync_checker_reports_loss(self):
        # Control: a snapshot-mode server that never flushes within the cycle, checked against the
        # sync promise, loses every acknowledged write; the tool must say so and exit non-zero.
        code, output, total = self.run_tool("--mode", "sync", "--server-durability", "snapshot",
                                            "--flush-interval-ms", "60000", "--cycles", "1",
                                            "--seconds-per-cycle", "1", "--connections", "8",
                                            "--keys-per-connection", "4")
        self.assertEqual(code, 1, output[-3000:])
        self.assertEqual(total["survived"], 0)
        self.assertGreater(total["checked"], 0, output[-3000:])
        self.assertEqual(total["missing"] + total["regressed"], total["checked"], output[-3000:])
        self.assertIn("FAIL", output)

    def test_snapshot_checker_reports_loss(self):
        # Control: the server flushes every 60 s while the checker expects 100 ms: what was
        # acknowledged before the window is lost, and the snapshot check must say so.
        code, output, total = self.run_tool("--mode", "snapshot", "--flush-interval-ms", "100",
                                            "--server-flush-interval-ms", "60000", "--cycles", "1",
                                            "--seconds-per-cycle", "1.5", "--connections", "8",
                                            "--keys-per-connection", "4")
        self.assertEqual(code, 1, output[-3000:])
        self.assertGreater(total["checked"], 0, output[-3000:])
        self.assertEqual(total["missing"] + total["regressed"], total["checked"], output[-3000:])


if __name__ == "__main__":
    unittest.main()
