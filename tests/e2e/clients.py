"""What the end-to-end suites send as a client of the native API, beside progressd_fixture.py
(the server and the HTTP plumbing): one ping, posted with or without a check of its answer.

A ping's fields are those of docs/native-api.md; its merge rules are in docs/data-model.md.
"""

PING_PATH = "/v1/progress"


def post_ping(server, body, headers=None, token=None, key=None):
    """POSTs one ping to `server` as a user (`token`) or the service (`key`), unchecked: the
    answer as ProgressdServer.request gives it, (status, headers, body bytes, JSON or None)."""
    return server.request("POST", PING_PATH, body, headers=headers, token=token, key=key)


def ping(test, server, body, expect=200, headers=None, token=None, key=None):
    """post_ping, `test` (a TestCase) asserting that the status is `expect`; returns the parsed
    answer (the record's summary on success, a problem otherwise)."""
    status, _, raw, doc = post_ping(server, body, headers=headers, token=token, key=key)
    test.assertEqual(status, expect, raw[:600])
    return doc


class PingClient:
    """Mixed into a ServerCase (before it): self.ping(token, body) pings the class's server as
    the user of `token`."""

    def ping(self, token, body, expect=200, headers=None):
        return ping(self, self.server, body, expect, headers, token=token)
