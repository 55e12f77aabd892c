"""Sunbird retries by msgid over real HTTP (docs/compat-sunbird.md, "Retries"): a view/update sent
three times with one msgid adds its timespent once, a view/start sent three times counts one
view, before and after a restart on the same data dir; a new msgid counts again."""

import unittest
import uuid

from progressd_fixture import ServerCase, one_process_only, unique


def envelope(api_id, msgid, request):
    return {"id": api_id, "ver": "v1", "ts": "2021-06-23 05:37:40:575+0000", "params": {"msgid": msgid},
            "request": request}


class SunbirdRetriesTest(ServerCase):
    def view(self, token, call, msgid, request):
        body = envelope("api.view." + call, msgid, request)
        status, _, raw, doc = self.server.request("POST", "/v1/view/" + call, body,
                                                  headers={"x-authenticated-user-token": token})
        self.assertEqual(status, 200, raw[:600])
        self.assertEqual(doc["params"]["msgid"], msgid)
        self.assertEqual(doc["params"]["status"], "success")

    def record(self, token, content):
        status, _, raw, doc = self.server.request("GET", "/v1/progress/" + content, token=token)
        self.assertEqual(status, 200, raw[:600])
        return doc

    @one_process_only("a restart of the server")
    def test_retries_with_one_msgid_count_once_across_a_restart(self):
        user = unique("user")
        token = self.server.user_token(user)
        content = unique("content")
        start, update = str(uuid.uuid4()), str(uuid.uuid4())
        request = {"userId": user, "contentId": content}
        progress = dict(request, timespent=10, progressDetails={"progress": 20})
        for _ in range(3):
            self.view(token, "start", start, request)
            self.view(token, "update", update, progress)
        record = self.record(token, content)
        self.assertEqual((record["time_spent_seconds"], record["views"]), (10, 1))

        self.server.restart()
        self.view(token, "start", start, request)
        self.view(token, "update", update, progress)
        record = self.record(token, content)
        self.assertEqual((record["time_spent_seconds"], record["views"]), (10, 1))

        # Another request (a new msgid) counts.
        self.view(token, "update", str(uuid.uuid4()), progress)
        self.assertEqual(self.record(token, content)["time_spent_seconds"], 20)

    def test_without_a_msgid_nothing_is_deduplicated(self):
        user = unique("user")
        token = self.server.user_token(user)
        content = unique("content")
        body = {"request": {"userId": user, "contentId": content, "timespent": 10, "progressDetails": {}}}
        for _ in range(2):
            status, _, raw, _ = self.server.request("POST", "/v1/view/update", body,
                                                    headers={"x-authenticated-user-token": token})
            self.assertEqual(status, 200, raw[:600])
        self.assertEqual(self.record(token, content)["time_spent_seconds"], 20)


if __name__ == "__main__":
    unittest.main()
