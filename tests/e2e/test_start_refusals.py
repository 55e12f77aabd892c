"""A start refused for its settings exits 2, whatever is wrong (docs/operations.md, "Flags"): a
service manager stops restarting a process on that code alone (deploy/systemd/progressd.service,
RestartPreventExitStatus), so a bad setting must never come out as another code."""

import json
import os
import subprocess
import tempfile
import unittest

from progressd_fixture import PROGRESSD, one_process_only


def start(*args):
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROGRESSD_")}
        return subprocess.run([PROGRESSD, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(tmp, "d"), *args],
                              capture_output=True, text=True, timeout=20, env=env)


def events(stderr):
    found = []
    for line in stderr.splitlines():
        try:
            found.append(json.loads(line)["event"])
        except (ValueError, KeyError, TypeError):
            pass
    return found


@one_process_only("the process's own exit code")
class StartRefusalTest(unittest.TestCase):
    def test_bad_flags_exit_2(self):
        for args in (["--durability", "bogus"], ["--no-such-flag"], ["--threads", "0"], ["--threads", "x"],
                     ["--listen", "nonsense"], ["--shards", "3"]):
            with self.subTest(args=args):
                done = start(*args)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertTrue(done.stderr.strip(), "a refusal says why")

    def test_unreadable_files_named_by_flags_exit_2(self):
        for flag in ("--api-keys-file", "--catalog", "--jwt-hs256-secret-file", "--jwt-rs256-public-key"):
            with self.subTest(flag=flag):
                done = start(flag, "/nonexistent/progressd-test-file")
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn("settings_refused", events(done.stderr))
                self.assertIn("/nonexistent/progressd-test-file", done.stderr)

    def test_help_and_version_exit_0(self):
        for flag in ("--help", "--version"):
            with self.subTest(flag=flag):
                self.assertEqual(start(flag).returncode, 0)


if __name__ == "__main__":
    unittest.main()
