"""Retries of several players on one record over real HTTP (docs/data-model.md, merge rule 3): a
phone and a TV watching at once, the phone retrying each ping after a lost response, count each
ping once; the windows of the last 4 sessions survive a restart; a fifth session evicts the least
recent one, whose retry then counts again (the documented bound)."""

import unittest

from clients import PingClient
from progressd_fixture import ServerCase, one_process_only, unique


class SessionRetriesTest(PingClient, ServerCase):

    def record(self, token, content):
        status, _, raw, doc = self.server.request("GET", "/v1/progress/" + content, token=token)
        self.assertEqual(status, 200, raw[:600])
        return doc

    def send(self, token, content, session, seq, delta=5):
        return self.ping(token, {"content_id": content, "session_id": session, "seq": seq,
                                 "time_spent_delta_seconds": delta})

    def test_phone_and_tv_interleaved_with_retries_count_each_ping_once(self):
        token = self.server.user_token(unique("learner"))
        content = unique("lesson")
        for round_ in range(1, 11):
            for session in ("phone", "tv", "phone"):  # the phone's second ping is its retry
                self.send(token, content, session, round_)
        self.assertEqual(self.record(token, content)["time_spent_seconds"], 100)

    @one_process_only("a restart of the server")
    def test_windows_of_four_sessions_survive_a_restart(self):
        token = self.server.user_token(unique("learner"))
        content = unique("lesson")
        sessions = [f"device-{i}" for i in range(4)]
        for session in sessions:
            self.send(token, content, session, 1)
        self.server.restart()
        for session in sessions:
            self.send(token, content, session, 1)  # retries after the restart
        self.assertEqual(self.record(token, content)["time_spent_seconds"], 20)

    def test_a_fifth_session_evicts_the_least_recent(self):
        token = self.server.user_token(unique("learner"))
        content = unique("lesson")
        for i in range(5):
            self.send(token, content, f"device-{i}", 1)
        self.send(token, content, "device-4", 1)  # remembered: a duplicate
        self.assertEqual(self.record(token, content)["time_spent_seconds"], 25)
        self.send(token, content, "device-0", 1)  # forgotten beyond the bound: counts again
        self.assertEqual(self.record(token, content)["time_spent_seconds"], 30)


if __name__ == "__main__":
    unittest.main()
