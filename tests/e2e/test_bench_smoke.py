"""CI smoke of the load generator: progress-bench against the real progressd, seconds long.

It checks that the generator and the server agree end to end (every request answered 2xx, no
socket error), never how fast either is: timing assertions have no place on shared CI machines.

Binaries: PROGRESSD_BIN (default build/server/progressd) and PROGRESS_BENCH_BIN (default
build/bench/progress-bench), relative paths taken from the repository root.
"""

import json
import os
import re
import subprocess
import tempfile
import threading
import unittest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def binary(env_name, default):
    path = os.environ.get(env_name, default)
    return path if os.path.isabs(path) else os.path.join(REPO, path)


PROGRESSD = binary("PROGRESSD_BIN", "build/server/progressd")
BENCH = binary("PROGRESS_BENCH_BIN", "build/bench/progress-bench")
API_KEY = "bench-smoke-key-0123456789"
READY_TIMEOUT_S = 30


class BenchSmokeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.environ.get("PROGRESS_BENCH_BIN") == "":
            raise unittest.SkipTest("PROGRESS_BENCH_BIN is empty: this build has no load generator "
                                    "(sanitizer builds leave it out)")
        for path in (PROGRESSD, BENCH):
            if not os.access(path, os.X_OK):
                raise AssertionError(f"missing binary {path} (build first)")
        cls.tmp = tempfile.TemporaryDirectory(prefix="bench-smoke-")
        data_dir = os.path.join(cls.tmp.name, "data")
        os.mkdir(data_dir)
        keys = os.path.join(cls.tmp.name, "api-keys")
        with open(keys, "w") as f:
            f.write("# bench smoke\n" + API_KEY + "\n")
        cls.server = subprocess.Popen(
            [PROGRESSD, "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--api-keys-file", keys,
             "--threads", "1", "--drain-seconds", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        cls.stderr_lines = []
        ready = threading.Event()
        cls.listen = None

        # Drain the server's stderr for its whole life (a full pipe would stall it); the
        # "ready" line carries the port it picked.
        def drain():
            for line in cls.server.stderr:
                cls.stderr_lines.append(line)
                if cls.listen is None and '"ready"' in line:
                    try:
                        event = json.loads(line)
                    except ValueError:
                        event = {}
                    listen = event.get("listen")
                    if not listen:
                        m = re.search(r'"listen"\s*:\s*"([^"]+)"', line)
                        listen = m.group(1) if m else None
                    if listen:
                        cls.listen = listen
                        ready.set()
            ready.set()  # the server exited: wake the waiter

        cls.drainer = threading.Thread(target=drain, daemon=True)
        cls.drainer.start()
        if not ready.wait(READY_TIMEOUT_S) or cls.listen is None:
            cls.stop_server()
            raise AssertionError("progressd did not report ready:\n" + "".join(cls.stderr_lines[-30:]))

    @classmethod
    def stop_server(cls):
        if cls.server.poll() is None:
            cls.server.terminate()
            try:
                cls.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                cls.server.kill()
                cls.server.wait()
        cls.drainer.join(timeout=5)

    @classmethod
    def tearDownClass(cls):
        cls.stop_server()
        cls.tmp.cleanup()

    def run_bench(self, profile, *extra):
        report_path = os.path.join(self.tmp.name, f"report-{profile}.json")
        cmd = [BENCH, "--url", f"http://{self.listen}", "--profile", profile, "--api-key", API_KEY,
               "--connections", "8", "--duration", "2s", "--warmup", "0.5s", "--users", "1000",
               "--contents", "100", "--pool", "4096", "--json", report_path, *extra]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        context = f"\n$ {' '.join(cmd)}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        self.assertEqual(proc.returncode, 0, context)
        with open(report_path) as f:
            report = json.load(f)
        self.assertEqual(report["errors"], 0, context)
        self.assertEqual(report["non2xx"], 0, context)
        self.assertGreater(report["requests"], 0, context)
        self.assertEqual(report["status_2xx"], report["requests"], context)
        self.assertIsNone(self.server.poll(), "progressd exited during the run" + context)
        return report

    # Named so that unittest's alphabetical order runs pings first, then the heavier profiles.
    def test_1_pings(self):
        self.run_bench("pings")

    def test_2_pings_minimal(self):
        self.run_bench("pings", "--minimal")

    def test_3_mixed(self):
        # 80 % pings, 10 % batches of 10, 10 % reads of records the same connection just wrote.
        self.run_bench("mixed", "--batch-size", "10")

    def test_4_players(self):
        # Per-user HS256 tokens signed with the secret the server generated in its data dir.
        secret = os.path.join(self.tmp.name, "data", "jwt-hs256.secret")
        self.assertTrue(os.path.exists(secret), "progressd did not generate " + secret)
        self.run_bench("players", "--jwt-secret-file", secret)


class ScalingScriptSmokeTest(unittest.TestCase):
    """bench/scaling end to end at N = 1: it starts progressd itself, pins it and the generator,
    and reports every run; here each run must complete with zero non-2xx and zero errors."""

    def test_scaling_reports_each_server_without_errors(self):
        if os.environ.get("PROGRESS_BENCH_BIN") == "":
            self.skipTest("PROGRESS_BENCH_BIN is empty: this build has no load generator")
        with tempfile.TemporaryDirectory(prefix="bench-scaling-") as run_dir:
            env = dict(os.environ, PROGRESSD_BIN=PROGRESSD, PROGRESS_BENCH_BIN=BENCH, RUNDIR=run_dir)
            cmd = [os.path.join(REPO, "bench", "scaling"), "--threads", "1", "--rounds", "1",
                   "--duration", "1", "--warmup", "0.5", "--servers", "snapshot,sync"]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
            context = f"\n$ {' '.join(cmd)}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            self.assertEqual(proc.returncode, 0, context)
            with open(os.path.join(run_dir, "results.tsv")) as f:
                rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
        # round, server, N, place, req/s, p99_us, cpu_s, requests, non2xx+errors, srv%
        self.assertEqual(sorted(row[1] for row in rows), ["snapshot", "sync"], context)
        for row in rows:
            self.assertEqual(row[2], "1", context)
            self.assertGreater(float(row[7]), 0, context)
            self.assertEqual(float(row[8]), 0, context)
        medians = re.findall(r"^(snapshot|sync)\s+1\s+\w+\s+(\d+)\s+1\.00\b", proc.stdout, re.M)
        self.assertEqual(sorted(name for name, _ in medians), ["snapshot", "sync"], context)


if __name__ == "__main__":
    unittest.main()
