"""PostgreSQL restarted under sync load through HAProxy: while it is down the nodes' readiness
answers 503 and writes are refused (503), never acknowledged; once it is back the service resumes
by itself and nothing acknowledged is lost."""

import time
import unittest

from cluster_load import Load, check_nothing_lost
from cluster_rig import ClusterRig, shared_postgres, skip_unless_cluster

DOWN_SECONDS = 3


def setUpModule():
    skip_unless_cluster()


class PostgresRestartTest(unittest.TestCase):
    def test_service_resumes_and_nothing_acknowledged_is_lost(self):
        with ClusterRig(shared_postgres(), nodes=3, durability="sync") as rig:
            with Load(rig.port, "pg") as load:
                time.sleep(1.5)
                before = load.acked()
                rig.stop_postgres()
                stopped_at = time.monotonic()
                rig.wait_for(lambda: all(n.readyz() == 503 for n in rig.live_nodes()),
                             "every node's /readyz 503 while PostgreSQL is down", 10)
                unready_s = time.monotonic() - stopped_at
                time.sleep(max(0.0, DOWN_SECONDS - unready_s))
                during = load.acked()
                time.sleep(0.5)
                self.assertLessEqual(load.acked() - during, 0, "writes acknowledged while PostgreSQL was down")
                rig.start_postgres()
                started_at = time.monotonic()
                rig.wait_for(lambda: all(n.readyz() == 200 for n in rig.live_nodes()),
                             "every node ready again", 30)
                ready_s = time.monotonic() - started_at
                resumed = load.acked()
                rig.wait_for(lambda: load.acked() > resumed + 50, "writes acknowledged again", 15)
                resumed_s = time.monotonic() - started_at
                time.sleep(1)
            check_nothing_lost(self, rig, load, "postgres_restart_sync", {
                "acked_before_outage": before, "unready_after_stop_seconds": round(unready_s, 3),
                "ready_after_start_seconds": round(ready_s, 3), "writes_after_start_seconds": round(resumed_s, 3)})
            self.assertGreater(load.statuses().get("503", 0), 0, "no write was refused during the outage")


if __name__ == "__main__":
    unittest.main()
