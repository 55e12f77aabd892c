"""deploy/prometheus/progressd-alerts.yml: valid for `promtool check rules`, and every rule fires
on the series of progressd-alerts_test.yml (`promtool test rules`). Needs promtool (Debian's
prometheus package, installed by tools/setup)."""

import os
import re
import shutil
import subprocess
import unittest

from progressd_fixture import REPO

PROMTOOL = shutil.which("promtool")
RULES_DIR = os.path.join(REPO, "deploy", "prometheus")
RULES = os.path.join(RULES_DIR, "progressd-alerts.yml")
RULE_TESTS = os.path.join(RULES_DIR, "progressd-alerts_test.yml")


class AlertRules(unittest.TestCase):

    def promtool(self, *args):
        self.assertIsNotNone(PROMTOOL, "promtool is missing: tools/setup installs Debian's prometheus package")
        result = subprocess.run([PROMTOOL, *args], cwd=RULES_DIR, capture_output=True, timeout=120)
        output = (result.stdout + result.stderr).decode(errors="replace")
        self.assertEqual(result.returncode, 0, output)
        return output

    def test_rules_are_valid(self):
        output = self.promtool("check", "rules", RULES)
        self.assertIn("SUCCESS", output)

    def test_every_rule_fires_in_the_unit_test(self):
        output = self.promtool("test", "rules", RULE_TESTS)
        self.assertIn("SUCCESS", output)
        with open(RULES) as f:
            alerts = set(re.findall(r"(?m)^\s*- alert: (\w+)$", f.read()))
        with open(RULE_TESTS) as f:
            text = f.read()
        # An alert whose only test expects silence proves nothing: each needs a firing case.
        firing = set(re.findall(r"alertname: (\w+)\n\s*exp_alerts:\n\s*- exp_labels", text))
        self.assertGreater(len(alerts), 10)
        self.assertEqual(sorted(alerts - firing), [], "alerts no test shows firing")


if __name__ == "__main__":
    unittest.main()
