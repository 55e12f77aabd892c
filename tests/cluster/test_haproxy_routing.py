"""deploy/haproxy/haproxy.cfg on a real HAProxy: each request naming a user goes to the node that
partitions.map names for crc32(user) % 1024; without a user, or without an owner in the map, or
when the owner is not ready, it is balanced over the ready nodes; a map change through the
runtime API moves a user at once."""

import base64
import collections
import json
import socket
import unittest
import urllib.parse

from haproxy_rig import SHIPPED_NODES, HaproxyRig, jwt_for, partition_of, skip_unless_haproxy

API_KEY = {"authorization": "Bearer service-api-key"}


def owner_of(partition):
    """The test's assignment: every fifth partition has no owner in the map."""
    return None if partition % 5 == 4 else SHIPPED_NODES[(partition // 7) % 3]


MAP = {p: owner_of(p) for p in range(1024) if owner_of(p) is not None}


def users(count, owned=True, prefix="user"):
    """`count` ids whose partitions have (or, owned=False, have not) an owner in MAP."""
    found, i = [], 0
    while len(found) < count:
        candidate = f"{prefix}-{i}"
        if (owner_of(partition_of(candidate)) is not None) == owned:
            found.append(candidate)
        i += 1
    return found


class HaproxyRoutingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        skip_unless_haproxy()
        cls.rig = HaproxyRig(MAP).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.rig.__exit__(None, None, None)

    def expect_owner(self, user, method, path, headers=None, body=None):
        self.assertEqual(self.rig.node_for(method, path, headers, body), owner_of(partition_of(user)),
                         f"{method} {path} for {user} (partition {partition_of(user)})")

    def test_a_user_jwt_goes_to_the_owner(self):
        owners = set()
        for user in users(30) + users(5, prefix="alice@example.org:x.y"):
            self.expect_owner(user, "POST", "/v1/progress", {"authorization": f"Bearer {jwt_for(user)}"},
                              {"content_id": "c1", "position_seconds": 12})
            owners.add(owner_of(partition_of(user)))
        self.assertEqual(owners, set(SHIPPED_NODES))

    def test_x_authenticated_user_token_goes_to_the_owner_and_alone_decides(self):
        for user in users(20, prefix="sunbird"):
            other = f"{user}-other"
            self.expect_owner(user, "POST", "/v1/view/update", {"x-authenticated-user-token": jwt_for(user)},
                              {"request": {"contents": []}})
            self.expect_owner(user, "POST", "/v1/view/update",
                              {"x-authenticated-user-token": f"Bearer {jwt_for(user)}",
                               "authorization": f"Bearer {jwt_for(other)}"}, {"request": {"contents": []}})

    def test_the_path_names_the_user(self):
        for user in users(20, prefix="svc@x.org"):
            quoted = urllib.parse.quote(user, safe="")
            self.assertIn("%40", quoted)
            self.expect_owner(user, "GET", f"/v1/users/{quoted}/progress?page=1", API_KEY)
            self.expect_owner(user, "PUT", f"/v1/users/{user}/published-courses/c1/lessons/l1",
                              {"authorization": "Basic c2VydmljZS1rZXk6"}, {"lesson_progress": {}})
            self.expect_owner(user, "GET", f"/v1/summary/list/{user}", API_KEY)
            self.expect_owner(user, "GET", f"/v1/summary/download/{user}?format=csv", API_KEY)
            self.expect_owner(user, "GET", f"/v1/summary/file/{user}_viewer_summary.json", API_KEY)
            signed = base64.urlsafe_b64encode(user.encode()).rstrip(b"=").decode()
            self.expect_owner(user, "PATCH", f"/v1/lesson-progress/lp.{signed}.Y291cnNl.bGVzc29u.c2ln",
                              API_KEY, {"completed": True})
            self.expect_owner(user, "PUT", f"/v1/progresstokens/pt.{signed}.Y291cnNl.bGVzc29u.c2ln",
                              API_KEY, {"completed": True})

    def test_me_in_the_path_is_the_token_user(self):
        for user in users(10, prefix="me"):
            self.expect_owner(user, "GET", "/v1/users/me/continue?limit=20",
                              {"authorization": f"Bearer {jwt_for(user)}"})

    def test_the_user_id_query_parameter_names_the_user(self):
        for user in users(20, prefix="query"):
            self.expect_owner(user, "GET", f"/v1/progress/c1?context_id=&user_id={user}", API_KEY)
        for user in users(20, prefix="query@x"):
            self.expect_owner(user, "DELETE", f"/v1/progress/c1?user_id={urllib.parse.quote(user, safe='')}", API_KEY)

    def test_a_services_json_body_names_the_user(self):
        for user in users(20, prefix="body"):
            self.expect_owner(user, "POST", "/v1/progress", API_KEY, {"content_id": "c1", "user_id": user})
            self.expect_owner(user, "POST", "/v1/progress/batch", API_KEY,
                              {"pings": [{"content_id": "c1", "user_id": user}, {"content_id": "c2", "user_id": "z"}]})
            self.expect_owner(user, "POST", "/v1/view/read", API_KEY, {"request": {"userId": user}})
            self.expect_owner(user, "POST", "/v1/enrollments", API_KEY, {"user": {"id": user}, "course": {"id": "c"}})

    def test_a_body_sent_after_100_continue_is_read(self):
        user = users(1, prefix="expect")[0]
        body = json.dumps({"content_id": "x" * 3000, "user_id": user}).encode()
        with socket.create_connection(("127.0.0.1", self.rig.port), timeout=10) as s:
            s.sendall(b"POST /v1/progress HTTP/1.1\r\nhost: lb\r\nauthorization: Bearer key\r\n"
                      b"content-type: application/json\r\nexpect: 100-continue\r\n"
                      b"content-length: " + str(len(body)).encode() + b"\r\n\r\n")
            interim = s.recv(4096)
            self.assertTrue(interim.startswith(b"HTTP/1.1 100"), interim)
            s.sendall(body)
            answer = b""
            while not answer.endswith(b"}"):
                chunk = s.recv(4096)
                self.assertTrue(chunk, answer)
                answer += chunk
        self.assertEqual(json.loads(answer.split(b"\r\n\r\n", 1)[1])["node"], owner_of(partition_of(user)))

    def spread(self, make_request, count=30):
        answered = collections.Counter(make_request(i) for i in range(count))
        return answered

    def test_no_user_is_balanced_over_every_node(self):
        answered = self.spread(lambda i: self.rig.node_for("GET", f"/v1/catalog/c{i}", API_KEY))
        self.assertEqual(set(answered), set(SHIPPED_NODES), answered)
        # A body that names nobody, or is not JSON, or a token that is no JWT: balanced too.
        answered = self.spread(lambda i: self.rig.node_for("POST", "/v1/catalog", API_KEY, {"content_id": f"c{i}"}))
        self.assertEqual(set(answered), set(SHIPPED_NODES), answered)
        answered = self.spread(lambda i: self.rig.node_for(
            "POST", "/v1/progress", {"authorization": "Bearer not.a.jwt", "content-type": "text/plain"}, b"x"))
        self.assertEqual(set(answered), set(SHIPPED_NODES), answered)

    def test_a_partition_missing_from_the_map_is_balanced(self):
        user = users(1, owned=False)[0]
        token = {"authorization": f"Bearer {jwt_for(user)}"}
        answered = self.spread(lambda i: self.rig.node_for("GET", "/v1/progress/c1", token))
        self.assertEqual(set(answered), set(SHIPPED_NODES), answered)

    def test_a_map_change_through_the_runtime_api_moves_the_user_at_once(self):
        user = users(1, prefix="mover")[0]
        partition = partition_of(user)
        token = {"authorization": f"Bearer {jwt_for(user)}"}
        before = owner_of(partition)
        after = next(n for n in SHIPPED_NODES if n != before)
        self.assertEqual(self.rig.node_for("GET", "/v1/progress/c1", token), before)
        try:
            self.assertEqual(self.rig.runtime(f"set map {self.rig.map_path} {partition} {after}").strip(), "")
            for _ in range(5):
                self.assertEqual(self.rig.node_for("GET", "/v1/progress/c1", token), after)
            # Removed from the map: balanced; added back: the owner again.
            self.assertEqual(self.rig.runtime(f"del map {self.rig.map_path} {partition}").strip(), "")
            answered = self.spread(lambda i: self.rig.node_for("GET", "/v1/progress/c1", token))
            self.assertEqual(set(answered), set(SHIPPED_NODES), answered)
            self.assertEqual(self.rig.runtime(f"add map {self.rig.map_path} {partition} {after}").strip(), "")
            self.assertEqual(self.rig.node_for("GET", "/v1/progress/c1", token), after)
        finally:
            self.rig.runtime(f"del map {self.rig.map_path} {partition}")
            self.rig.runtime(f"add map {self.rig.map_path} {partition} {before}")
        self.assertEqual(self.rig.node_for("GET", "/v1/progress/c1", token), before)

    def test_a_node_that_is_not_ready_is_skipped(self):
        down = "node-b"
        its_users = [u for u in users(60, prefix="ready") if owner_of(partition_of(u)) == down][:5]
        self.assertTrue(its_users)
        self.rig.nodes[down].ready = False
        try:
            self.rig.wait_for(lambda: self.rig.server_states()[down] == "DOWN", f"{down} DOWN")
            for user in its_users:
                answered = self.spread(lambda i: self.rig.node_for(
                    "GET", "/v1/progress/c1", {"authorization": f"Bearer {jwt_for(user)}"}), count=6)
                self.assertNotIn(down, answered)
                self.assertEqual(set(answered), set(SHIPPED_NODES) - {down}, answered)
            # Every node not ready (PostgreSQL unreachable, say): requests still reach the nodes,
            # the owner first, which answer them as they can.
            for node in self.rig.nodes.values():
                node.ready = False
            self.rig.wait_for(lambda: set(self.rig.server_states().values()) == {"DOWN"}, "every node DOWN")
            self.expect_owner(its_users[0], "GET", "/v1/progress/c1",
                              {"authorization": f"Bearer {jwt_for(its_users[0])}"})
            answered = self.spread(lambda i: self.rig.node_for("GET", f"/v1/catalog/c{i}"))
            self.assertEqual(set(answered), set(SHIPPED_NODES), answered)
        finally:
            for node in self.rig.nodes.values():
                node.ready = True
        self.rig.wait_for(lambda: set(self.rig.server_states().values()) == {"UP"}, "every node UP")
        self.expect_owner(its_users[0], "GET", "/v1/progress/c1", {"authorization": f"Bearer {jwt_for(its_users[0])}"})


if __name__ == "__main__":
    unittest.main()
