"""The share of requests that still take a hop through deploy/haproxy/haproxy.cfg, for a realistic
mix of traffic (docs/cluster.md, "Load balancing with HAProxy", quotes these figures).

A hop: a request for a user that HAProxy sends to a node other than the user's owner, which then
forwards it. Requests for no user (catalog reads) need no owner and never hop. Every partition has
an owner here, as in a cluster at rest; the nodes are stand-ins that say who answered.

Measured twice: with the shipped configuration, and without its body rules (`wait-for-body` and
the `req.body` lookups), to show what reading service bodies saves."""

import collections
import unittest

from haproxy_rig import SHIPPED_NODES, HaproxyRig, jwt_for, partition_of, skip_unless_haproxy

MAP = {p: SHIPPED_NODES[p % 3] for p in range(1024)}
API_KEY = {"authorization": "Bearer service-api-key"}
BASIC = {"authorization": "Basic c2VydmljZS1rZXk6"}


def bearer(user):
    return {"authorization": f"Bearer {jwt_for(user)}"}


# Per 100 requests of a video / e-learning platform at rest: (count, kind, user or None → request).
MIX = [
    (70, "player ping, user JWT", lambda u: ("POST", "/v1/progress", bearer(u), {"content_id": "v1", "position_seconds": 30})),
    (8, "Sunbird view/update, x-authenticated-user-token", lambda u: (
        "POST", "/v1/view/update", {"x-authenticated-user-token": jwt_for(u)}, {"request": {"contents": [{"contentId": "v1"}]}})),
    (3, "continue watching, user JWT", lambda u: ("GET", "/v1/users/me/continue?limit=20", bearer(u), None)),
    (3, "record read, user JWT", lambda u: ("GET", "/v1/progress/v1", bearer(u), None)),
    (1, "Education read, user JWT", lambda u: ("GET", "/api/v1/education/progress/course-1", bearer(u), None)),
    (4, "service ping, user_id in the body", lambda u: ("POST", "/v1/progress", API_KEY, {"content_id": "v1", "user_id": u})),
    (2, "service batch, one user's pings", lambda u: (
        "POST", "/v1/progress/batch", API_KEY, {"pings": [{"content_id": f"v{i}", "user_id": u} for i in range(5)]})),
    (3, "service read, ?user_id=", lambda u: ("GET", f"/v1/progress/v1?user_id={u}", API_KEY, None)),
    (1, "Education read, ?user_id=", lambda u: ("GET", f"/api/v1/education/progress/course-1?user_id={u}", API_KEY, None)),
    (2, "Skilljar lesson write, path", lambda u: ("PUT", f"/v1/users/{u}/published-courses/c1/lessons/l1", BASIC, {"lesson_progress": {}})),
    (3, "catalog read, no user", None),
]


def measure(rig, rounds):
    """{kind: (requests, hops)} over `rounds` × the mix, a different user for each request."""
    counts = collections.defaultdict(lambda: [0, 0])
    serial = 0
    for _ in range(rounds):
        for count, kind, make in MIX:
            for _ in range(count):
                serial += 1
                if make is None:
                    rig.node_for("GET", f"/v1/catalog/content-{serial}", API_KEY)
                    counts[kind][0] += 1
                    continue
                user = f"learner-{serial}"
                answered = rig.node_for(*make(user))
                counts[kind][0] += 1
                counts[kind][1] += answered != MAP[partition_of(user)]
    return {kind: tuple(c) for kind, c in counts.items()}


def report(title, counts):
    total = sum(n for n, _ in counts.values())
    hops = sum(h for _, h in counts.values())
    lines = [f"{title}: {hops} of {total} requests took a hop ({100.0 * hops / total:.1f} %)"]
    lines += [f"  {kind}: {h}/{n}" for kind, (n, h) in counts.items() if h]
    print("\n".join(lines), flush=True)
    return hops, total


class HaproxyHopShareTest(unittest.TestCase):
    ROUNDS = 6

    @classmethod
    def setUpClass(cls):
        skip_unless_haproxy()

    def test_the_shipped_configuration_sends_every_request_of_the_mix_to_its_owner(self):
        with HaproxyRig(MAP) as rig:
            counts = measure(rig, self.ROUNDS)
        hops, total = report("shipped haproxy.cfg", counts)
        self.assertEqual(total, 100 * self.ROUNDS)
        self.assertEqual(hops, 0, counts)

    def test_without_reading_bodies_the_services_body_requests_hop(self):
        with HaproxyRig(MAP, without_body=True) as rig:
            counts = measure(rig, self.ROUNDS)
        report("haproxy.cfg without the body rules", counts)
        body_kinds = {"service ping, user_id in the body", "service batch, one user's pings"}
        for kind, (requests, hops) in counts.items():
            if kind not in body_kinds:
                self.assertEqual(hops, 0, kind)
        # Balanced over three nodes, the owner gets about a third of them: about 2/3 hop.
        requests = sum(counts[kind][0] for kind in body_kinds)
        hops = sum(counts[kind][1] for kind in body_kinds)
        self.assertGreater(hops, requests // 3, counts)


if __name__ == "__main__":
    unittest.main()
