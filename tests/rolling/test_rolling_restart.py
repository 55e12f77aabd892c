"""Rolling restarts behind HAProxy lose nothing with progressd's defaults (docs/operations.md,
"Rolling restarts").

Two sync-durability nodes behind HAProxy running deploy/haproxy/single-nodes.cfg (HAProxy's default
check timing), under wrk's load: each node in turn gets SIGTERM, is waited for, started again on
its port and data dir, and waited for until HAProxy has it UP again. wrk must see no answer but
2xx and no socket error, and every ping it saw acknowledged must be readable afterwards. Then an
operator drains a node through the agent, without a restart, and brings it back. Skipped without
HAProxy or wrk, except in CI (CI=true), where that fails. Beside it, without HAProxy: the agent's
lines, and how a drain ends (quiet, its cap, a second signal).
"""

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest

from rolling_rig import Node, RollingRig, agent_line, haproxy_binary

HERE = os.path.dirname(os.path.abspath(__file__))
USERS = [f"roller-{i}" for i in range(6)]


def skip_unless_tools():
    missing = [tool for tool, found in (("haproxy", haproxy_binary()), ("wrk", shutil.which("wrk"))) if not found]
    if missing and os.environ.get("CI") != "true":
        raise unittest.SkipTest(f"not installed: {', '.join(missing)} (tools/setup installs them)")


def out_of_rotation(status):
    """HAProxy sends nothing new to a server whose status is not UP (DRAIN, MAINT, DOWN, NOLB)."""
    return bool(status) and not status.startswith("UP")


class RollingRestartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        skip_unless_tools()
        cls.rig = RollingRig()
        try:
            cls.rig.start()
        except BaseException:
            cls.rig.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.rig.close()

    def pings_through_haproxy(self, token, prefix, count):
        """`count` pings through HAProxy, each on a new connection; their content ids."""
        ids = [f"{prefix}.{i}" for i in range(count)]
        for content in ids:
            connection = http.client.HTTPConnection("127.0.0.1", self.rig.port, timeout=10)
            connection.request("POST", "/v1/progress", body=f'{{"content_id":"{content}"}}',
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            connection.close()
            self.assertEqual(response.status, 200, content)
        return set(ids)

    def setUp(self):
        self.rig.wait_state({node.name: "UP" for node in self.rig.nodes}, 20)

    def test_haproxy_own_503_says_when_to_come_back(self):
        rig = self.rig
        for node in rig.nodes:
            rig.runtime(f"set server progressd/{node.name} state maint")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", rig.port, timeout=10)
            connection.request("GET", "/v1/users/me/progress")
            response = connection.getresponse()
            body = response.read()
            connection.close()
            self.assertEqual(response.status, 503, body)
            self.assertEqual(response.getheader("retry-after"), "1")
            self.assertEqual(response.getheader("content-type"), "application/problem+json")
        finally:
            for node in rig.nodes:
                rig.runtime(f"set server progressd/{node.name} state ready")

    def test_rolling_restart_under_load(self):
        rig = self.rig
        tokens = ",".join(f"{user}={rig.token(user)}" for user in USERS)
        before = rig.stats()["BACKEND"]  # other tests of the class share this HAProxy
        acked_path = os.path.join(rig.dir.name, "acked.txt")
        env = dict(os.environ, ROLLING_TOKENS=tokens, ROLLING_ACKED=acked_path)
        started = time.monotonic()
        # Longer than the restarts take: wrk is stopped with SIGINT once they are done, and still
        # runs done() then.
        wrk = subprocess.Popen(["wrk", "-t2", "-c8", "-d120s", "--timeout", "5s", "-s",
                                os.path.join(HERE, "rolling.lua"), f"http://127.0.0.1:{rig.port}/"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        try:
            time.sleep(2)
            restarts = []
            for node in rig.nodes:
                # SIGTERM just after a readiness check: HAProxy then needs the longest to believe
                # the failing ones (3 more checks, ~6 s), longer than --drain-seconds.
                node.wait_for_readiness_check()
                code, took = node.stop()
                # The drain lasted until HAProxy had taken the node out of rotation: a node that
                # stops listening while still UP there leaves HAProxy's retries to save requests.
                state_at_exit = rig.states()[node.name]
                self.assertEqual(code, 0, "\n".join(node.lines[-20:]))
                self.assertTrue(out_of_rotation(state_at_exit), f"{node.name} exited while {state_at_exit}")
                drain = node.event("drain_ended")
                self.assertIsNotNone(drain, "no drain_ended line")
                node.start()
                up_at = time.monotonic()
                rig.wait_state({node.name: "UP"}, 30)
                restarts.append(f"{node.name}: exit {took:.1f} s after SIGTERM ({drain['reason']}, HAProxy: "
                                f"{state_at_exit}), "
                                f"UP {time.monotonic() - up_at:.1f} s after its start")
            time.sleep(2)
        finally:
            if wrk.poll() is None:
                wrk.send_signal(signal.SIGINT)
            output, _ = wrk.communicate(timeout=60)
        elapsed = time.monotonic() - started

        line = re.search(r"^ROLLING (.*)$", output, re.M)
        self.assertIsNotNone(line, output)
        figures = {k: int(v) for k, v in (item.split("=") for item in line.group(1).split())}
        sys.stderr.write(f"\nrolling restart: {figures['requests']} requests in {elapsed:.1f} s, "
                         f"{figures['non2xx']} non-2xx, socket errors connect {figures['connect']} "
                         f"read {figures['read']} write {figures['write']} timeout {figures['timeout']}\n  " +
                         "\n  ".join(restarts) + "\n")
        self.assertGreater(figures["requests"], 200, output)
        for name in ("non2xx", "connect", "read", "write", "timeout", "status"):
            self.assertEqual(figures[name], 0, f"{name}: {output}")
        # HAProxy's own view: it never had to retry a request elsewhere (wretr, wredis), never
        # failed to connect (econ) or lost an answer (eresp). Its retries could hide a node that
        # stopped listening while still in rotation; these say the drain outlasted the balancer.
        after = rig.stats()["BACKEND"]
        for name in ("wretr", "wredis", "econ", "eresp", "hrsp_5xx"):
            self.assertEqual(int(after[name] or 0) - int(before[name] or 0), 0, f"HAProxy {name}: {after}")

        with open(acked_path) as f:
            acked = {line.strip() for line in f if line.strip()}
        self.assertGreater(len(acked), 200)
        held = {user: set() for user in USERS}
        for node in rig.nodes:
            for user in USERS:
                found = node.content_ids(user)
                self.assertTrue(found, f"{node.name} holds nothing of {user}: it served no load")
                held[user] |= found
        everything = set().union(*held.values())
        missing = sorted(acked - everything)
        self.assertEqual(missing[:20], [], f"{len(missing)} acknowledged pings are lost")

    def test_operator_drain_through_the_agent(self):
        rig = self.rig
        node_a, node_b = rig.nodes
        token = rig.token("drained-user")
        # As an operator would: progressctl, with the server's own API keys file.
        done = rig.progressctl("availability", "drain", "--url", f"http://127.0.0.1:{node_a.port}",
                               "--api-keys-file", rig.keys_file)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(json.loads(done.stdout), {"state": "drain", "draining": False})
        rig.wait_state({node_a.name: out_of_rotation, node_b.name: "UP"}, 10)
        sent = self.pings_through_haproxy(token, "while-drained", 20)
        self.assertEqual(node_a.content_ids("drained-user") & sent, set(), "a drained node got requests")
        self.assertEqual(node_b.content_ids("drained-user") & sent, sent)
        self.assertTrue(node_a.process.poll() is None)

        done = rig.progressctl("availability", "--url", f"http://127.0.0.1:{node_a.port}", "--api-keys-file",
                               rig.keys_file)
        self.assertEqual((done.returncode, json.loads(done.stdout)), (0, {"state": "drain", "draining": False}))
        status, answer = node_a.request("PUT", "/v1/ops/availability", {"state": "ready"})
        self.assertEqual((status, answer), (200, {"state": "ready", "draining": False}))
        rig.wait_state({node_a.name: "UP", node_b.name: "UP"}, 20)
        sent = self.pings_through_haproxy(token, "back-again", 20)
        self.assertTrue(node_a.content_ids("drained-user") & sent, "the node did not come back into rotation")


class AgentTest(unittest.TestCase):
    """The agent's line in each state, on a port chosen by the kernel; no HAProxy needed."""

    def test_agent_lines_and_availability(self):
        rig = RollingRig()  # for its secret and keys files: only this node is started
        node = Node("agent", rig.dir.name, rig.secret_file, rig.keys_file, agent_port=0,
                    extra_args=("--drain-seconds", "1"))
        try:
            ready = node.start()
            host, _, port = ready["agent_listen"].rpartition(":")
            self.assertEqual(host, "127.0.0.1")
            self.assertNotEqual(int(port), 0)
            agent = int(port)
            self.assertEqual(agent_line(agent), "up ready\n")

            user_token = rig.token("someone")
            status, _ = node.request("PUT", "/v1/ops/availability", {"state": "drain"}, key=user_token)
            self.assertEqual(status, 403)
            status, _ = node.request("PUT", "/v1/ops/availability", {"state": "sleep"})
            self.assertEqual(status, 422)
            self.assertEqual(agent_line(agent), "up ready\n")

            for state, line, lifecycle in (("drain", "drain\n", "drain set by an operator"),
                                           ("maint", "maint\n", "maint set by an operator")):
                status, answer = node.request("PUT", "/v1/ops/availability", {"state": state})
                self.assertEqual((status, answer), (200, {"state": state, "draining": False}))
                self.assertEqual(agent_line(agent), line)
                status, answer = node.request("GET", "/readyz", key=None)
                self.assertEqual(status, 503)
                self.assertEqual(answer["checks"]["lifecycle"], {"status": "fail", "output": lifecycle})
                # Still serving whatever reaches it.
                status, _ = node.request("GET", "/v1/users/someone/progress")
                self.assertEqual(status, 200)

            status, answer = node.request("PUT", "/v1/ops/availability", {"state": "ready"})
            self.assertEqual(status, 200)
            self.assertEqual(node.request("GET", "/v1/ops/availability"), (200, {"state": "ready", "draining": False}))
            self.assertEqual(node.request("GET", "/readyz", key=None)[0], 200)
            self.assertEqual(agent_line(agent), "up ready\n")

            node.process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 5
            while node.event("signal") is None and time.monotonic() < deadline:
                time.sleep(0.01)
            self.assertEqual(agent_line(agent), "drain\n")
            self.assertEqual(node.process.wait(20), 0)
        finally:
            node.kill()
            rig.dir.cleanup()


class DrainTest(unittest.TestCase):
    """The drain's end on one node, without HAProxy: quiet, the cap, a second signal."""

    def start_node(self, *flags):
        self.rig = RollingRig()  # for its secret and keys files: only this node is started
        self.addCleanup(self.rig.dir.cleanup)
        node = Node("drain", self.rig.dir.name, self.rig.secret_file, self.rig.keys_file, agent_port=0,
                    extra_args=flags)
        self.addCleanup(node.kill)
        node.start()
        return node

    def signal_and_keep_pinging(self, node, seconds):
        """SIGTERM, then an API request every 100 ms for `seconds` (each on a new connection, as
        the draining node closes every one), or until the node stops answering. The time of the
        last answered request, from the signal."""
        node.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        last = None
        while time.monotonic() - signalled < seconds:
            try:
                status, _ = node.request("GET", "/v1/users/someone/progress")
            except OSError:
                break
            self.assertEqual(status, 200)
            last = time.monotonic() - signalled
            time.sleep(0.1)
        return signalled, last

    def test_the_drain_lasts_while_requests_arrive_then_ends_when_quiet(self):
        node = self.start_node("--drain-seconds", "1")
        signalled, last = self.signal_and_keep_pinging(node, 3)
        self.assertGreater(last, 2.8, "the node stopped answering while requests still came")
        self.assertEqual(node.process.wait(10), 0)
        ended = time.monotonic() - signalled
        self.assertLess(ended, 3 + 2.5)
        node.reader.join(5)
        self.assertEqual(node.event("drain_ended")["reason"], "quiet")

    def test_the_drain_ends_at_its_cap_however_busy(self):
        node = self.start_node("--drain-seconds", "1", "--drain-max-seconds", "2")
        signalled, last = self.signal_and_keep_pinging(node, 6)
        self.assertEqual(node.process.wait(10), 0)
        self.assertLess(time.monotonic() - signalled, 4)
        self.assertLess(last, 3)
        node.reader.join(5)
        self.assertEqual(node.event("drain_ended")["reason"], "drain_max_seconds")

    def test_a_second_signal_cuts_it_short(self):
        node = self.start_node("--drain-seconds", "60")
        node.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        while node.event("signal") is None and time.monotonic() - signalled < 5:
            time.sleep(0.01)
        self.assertIsNone(node.process.poll())
        node.process.send_signal(signal.SIGTERM)
        self.assertEqual(node.process.wait(10), 0)
        self.assertLess(time.monotonic() - signalled, 5)


if __name__ == "__main__":
    unittest.main()
