"""The crash loop against a cluster (the single-process one is tests/crash/crash_loop.py): sync
load through HAProxy, and each cycle one node (in turn) killed with kill -9 and started again;
after each cycle every acknowledged write is found, none regressed. 2 cycles by default (CI);
PROGRESSD_CLUSTER_CRASH_CYCLES=N for the long run (10 or more)."""

import os
import time
import unittest

from cluster_load import Load, check_nothing_lost
from cluster_rig import ClusterRig, shared_postgres, skip_unless_cluster
from cluster_util import write_figures

CYCLES = int(os.environ.get("PROGRESSD_CLUSTER_CRASH_CYCLES") or 2)


def setUpModule():
    skip_unless_cluster()


class ClusterCrashLoopTest(unittest.TestCase):
    def test_kill_9_one_node_per_cycle_loses_nothing_acknowledged(self):
        totals = {"cycles": CYCLES, "acked": 0, "found": 0, "missing": 0, "regressed": 0}
        with ClusterRig(shared_postgres(), nodes=3, durability="sync") as rig:
            for cycle in range(1, CYCLES + 1):
                victim = (cycle - 1) % 3 + 1
                with self.subTest(cycle=cycle, killed=f"node{victim}"):
                    with Load(rig.port, f"loop{cycle}", writers=4) as load:
                        time.sleep(1.5)
                        rig.kill_node(victim)
                        time.sleep(1)
                        rig.start_node(victim)
                        rig.wait_owned()
                        time.sleep(1)
                    figures = check_nothing_lost(self, rig, load, f"crash_loop_cycle_{cycle}",
                                                 {"killed": f"node{victim}"})
                    print(f"cycle {cycle}/{CYCLES}: killed node{victim}: acked {figures['acked']} / found "
                          f"{figures['found']} / missing {figures['missing']} / regressed {figures['regressed']}")
                    for name in ("acked", "found", "missing", "regressed"):
                        totals[name] += figures[name]
        write_figures("crash_loop_total", totals)


if __name__ == "__main__":
    unittest.main()
