"""Auth attacks (docs/auth.md; docs/reliability.md "Auth attacks") on a server that accepts HS256
and RS256 tokens: `alg: none`, HS/RS algorithm confusion, tampered tokens, expired and not-yet-valid
tokens, keys and headers the attacker controls, and one user acting on another through every native
endpoint with every way of presenting a user token. Each is refused with 401/403 and a problem+json
body, and the victim's data is unchanged.

(test_bad_input.py covers the basic HS256 cases and test_progress.py a user token in
Authorization acting on another user; here the server also trusts an RS256 key, and the
credentials come in every form a client may use.) There are no service-only native endpoints yet
(the catalog is not implemented), so "a user token on a service endpoint" is the user token
naming another user's id, which only a service may do."""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import tempfile
import time
import unittest

from clients import ping, post_ping
from progressd_fixture import SERVICE_KEY, ProgressdServer, assert_problem, basic_auth

VICTIM = "victim-user"
ATTACKER = "attacker-user"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value):
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def openssl(*args, data=None):
    done = subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=60)
    if done.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


class RsaKey:
    """An RSA key pair made by the openssl CLI in `directory`."""

    def __init__(self, directory, name):
        self.private_path = os.path.join(directory, name + ".pem")
        self.public_path = os.path.join(directory, name + ".pub.pem")
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", self.private_path)
        openssl("pkey", "-in", self.private_path, "-pubout", "-out", self.public_path)
        with open(self.public_path, "rb") as f:
            self.public_pem = f.read()
        self.public_der = openssl("pkey", "-pubin", "-in", self.public_path, "-outform", "DER")
        modulus_hex = openssl("rsa", "-pubin", "-in", self.public_path, "-noout", "-modulus").decode()
        self.modulus = bytes.fromhex(modulus_hex.strip().split("=", 1)[1])

    def sign(self, signing_input):
        return openssl("dgst", "-sha256", "-sign", self.private_path, data=signing_input.encode())

    def jwk(self):
        return {"kty": "RSA", "e": "AQAB", "n": b64url(self.modulus)}


def token(header, claims, signer):
    """header.payload.signature with signer(signing_input) -> signature bytes (b"" for none)."""
    signing_input = b64url_json(header) + "." + b64url_json(claims)
    return signing_input + "." + b64url(signer(signing_input))


def hmac_signer(key):
    return lambda signing_input: hmac.new(key, signing_input.encode(), hashlib.sha256).digest()


class AuthAttackCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="progressd-auth-")
        cls.key = RsaKey(cls.tmp.name, "server")
        cls.other_key = RsaKey(cls.tmp.name, "attacker")
        cls.server = ProgressdServer(extra_args=("--jwt-rs256-public-key", cls.key.public_path))
        cls.secret = cls.server.hs256_secret()

    @classmethod
    def tearDownClass(cls):
        alive = cls.server.alive()
        cls.server.close()
        cls.tmp.cleanup()
        if not alive:
            raise AssertionError("progressd died during the auth attacks")

    def setUp(self):
        # The victim's data, written by the service; every attack must leave it as it is.
        for content in ("v-1", "v-2"):
            ping(self, self.server, {"content_id": content, "user_id": VICTIM, "position_seconds": 10,
                                     "duration_seconds": 100, "details": {"owner": "victim"}}, key=SERVICE_KEY)
        self.victim_before = self.victim_records()

    def victim_records(self):
        status, _, raw, doc = self.server.request("GET", f"/v1/users/{VICTIM}/progress", key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        return doc

    def assert_victim_unchanged(self):
        self.assertEqual(self.victim_records(), self.victim_before, "an attack changed the victim's data")

    def claims(self, sub=VICTIM, **extra):
        now = int(time.time())
        claims = {"sub": sub, "iat": now, "exp": now + 600}
        claims.update(extra)
        return claims

    def rs256(self, claims, header=None, key=None):
        return token(header or {"alg": "RS256", "typ": "JWT"}, claims, (key or self.key).sign)

    def hs256(self, claims, header=None, secret=None):
        return token(header or {"alg": "HS256", "typ": "JWT"}, claims,
                     hmac_signer(secret if secret is not None else self.secret))

    def credentials(self):
        """Every way a client may present the attacker's own, valid user token."""
        own_hs = self.hs256(self.claims(sub=ATTACKER))
        own_rs = self.rs256(self.claims(sub=ATTACKER))
        return {
            "RS256 bearer": {"Authorization": "Bearer " + own_rs},
            "user-token header": {"x-authenticated-user-token": own_hs},
            "user-token header with Bearer prefix": {"x-authenticated-user-token": "Bearer " + own_rs},
            # Sunbird shape: the gateway's service key beside the user's token. The user decides.
            "user token beside a service key": {"x-authenticated-user-token": own_hs,
                                                "Authorization": "Bearer " + SERVICE_KEY},
            "user token beside a Basic service key": {"x-authenticated-user-token": own_rs,
                                                      "Authorization": basic_auth(SERVICE_KEY)},
        }

    def route_exists(self, path):
        """Whether the build serves `path` (a registered path answers PATCH with 405, not 404)."""
        status, _, _, _ = self.server.request("PATCH", path, key=SERVICE_KEY)
        return status == 405


class ForgedTokenTest(AuthAttackCase):
    """Tokens the attacker made without the server's keys, all claiming to be the victim."""

    def attempts(self, headers):
        """The forged credential tries to write, read and reset the victim's data."""
        return [
            ("POST", "/v1/progress", {"content_id": "v-1", "position_seconds": 99, "duration_seconds": 100}),
            ("POST", "/v1/progress/batch", {"pings": [{"content_id": "v-2", "position_seconds": 98}]}),
            ("GET", "/v1/progress/v-1", None),
            ("GET", "/v1/progress?content_ids=v-1,v-2", None),
            ("DELETE", "/v1/progress/v-2", None),
            ("GET", f"/v1/users/{VICTIM}/progress", None),
            ("GET", "/v1/users/me/progress", None),
        ]

    def assert_refused(self, forged, status=401, problem="invalid-credentials"):
        """forged: the token; tried as Bearer, in x-authenticated-user-token, and there beside a
        valid service key (the user token decides, so a bad one must not fall back to the key)."""
        for headers in ({"Authorization": "Bearer " + forged},
                        {"x-authenticated-user-token": forged},
                        {"x-authenticated-user-token": forged, "Authorization": "Bearer " + SERVICE_KEY},
                        {"x-authenticated-user-token": forged, "Authorization": basic_auth(SERVICE_KEY)}):
            for method, path, body in self.attempts(headers):
                response = self.server.request(method, path, body, headers=headers)
                assert_problem(self, response, status, problem)
        self.assert_victim_unchanged()

    def check_cases(self, cases):
        for name, forged in cases.items():
            with self.subTest(case=name):
                self.assert_refused(forged)

    def test_controls_valid_rs256_and_hs256_tokens_are_accepted(self):
        # Without these, every refusal below could be a broken RS256 setup rather than a defence.
        for name, good in (("RS256", self.rs256(self.claims())), ("HS256", self.hs256(self.claims()))):
            with self.subTest(alg=name):
                status, _, raw, doc = self.server.request("GET", "/v1/progress/v-1", token=good)
                self.assertEqual(status, 200, raw)
                self.assertEqual(doc["user_id"], VICTIM)
                status, _, raw, doc = self.server.request("GET", "/v1/progress/v-1",
                                                          headers={"x-authenticated-user-token": good,
                                                                   "Authorization": "Bearer " + SERVICE_KEY})
                self.assertEqual(status, 200, raw)

    def test_alg_none(self):
        valid = self.rs256(self.claims())
        cases = {}
        for alg in ("none", "None", "NONE", "nOnE"):
            unsigned = b64url_json({"alg": alg, "typ": "JWT"}) + "." + b64url_json(self.claims())
            cases[f"{alg}, empty signature"] = unsigned + "."
            cases[f"{alg}, no signature segment"] = unsigned
            cases[f"{alg}, RS256 signature kept"] = unsigned + "." + valid.split(".")[2]
        cases["alg missing"] = token({"typ": "JWT"}, self.claims(), self.key.sign)
        cases["alg null"] = token({"alg": None}, self.claims(), self.key.sign)
        cases["alg list"] = token({"alg": ["RS256"]}, self.claims(), self.key.sign)
        cases["alg lower-case rs256"] = token({"alg": "rs256"}, self.claims(), self.key.sign)
        cases["alg HS512"] = token({"alg": "HS512"}, self.claims(),
                                   lambda s: hmac.new(self.secret, s.encode(), hashlib.sha512).digest())
        self.check_cases(cases)

    def test_hs_rs_algorithm_confusion(self):
        # The public key is public: a verifier that feeds it to HMAC accepts the attacker's token.
        pem = self.key.public_pem
        cases = {}
        for key_name, key in (("PEM", pem), ("PEM without final newline", pem.rstrip(b"\n")),
                              ("DER", self.key.public_der), ("modulus", self.key.modulus)):
            for alg in ("HS256", "RS256"):
                cases[f"{alg} header, HMAC keyed with the {key_name}"] = token(
                    {"alg": alg, "typ": "JWT"}, self.claims(), hmac_signer(key))
        # And the other way round: an RSA signature under an HS256 header.
        cases["HS256 header, RSA signature"] = token({"alg": "HS256"}, self.claims(), self.key.sign)
        self.check_cases(cases)

    def test_tampered_tokens(self):
        # The attacker holds a valid token of their own and edits it.
        own = self.rs256(self.claims(sub=ATTACKER))
        header, payload, signature = own.split(".")
        victim_payload = b64url_json(self.claims())
        flipped = signature[:40] + ("A" if signature[40] != "A" else "B") + signature[41:]
        cases = {
            "payload swapped to the victim": f"{header}.{victim_payload}.{signature}",
            "payload with an extra claim": f"{header}.{b64url_json(self.claims(sub=ATTACKER, admin=True))}.{signature}",
            "header swapped to HS256": f"{b64url_json({'alg': 'HS256', 'typ': 'JWT'})}.{payload}.{signature}",
            "signature byte flipped, victim payload": f"{header}.{victim_payload}.{flipped}",
            "signature truncated": f"{header}.{victim_payload}.{signature[:-10]}",
            "signature empty": f"{header}.{victim_payload}.",
            "signature of another token": f"{header}.{victim_payload}." +
                                          self.rs256(self.claims(sub=ATTACKER, jti="x")).split(".")[2],
            "four segments": f"{header}.{victim_payload}.{signature}.{signature}",
            "HS256 with the secret's first bytes only": self.hs256(self.claims(), secret=self.secret[:16]),
        }
        self.check_cases(cases)

    def test_attacker_supplied_keys_and_headers(self):
        # The attacker signs with their own RSA key and points the server at it.
        mine = self.other_key
        cases = {
            "signed by another RSA key": self.rs256(self.claims(), key=mine),
            "embedded jwk of the signer": self.rs256(self.claims(), {"alg": "RS256", "jwk": mine.jwk()}, key=mine),
            "jku to the attacker": self.rs256(self.claims(), {"alg": "RS256", "jku": "http://127.0.0.1:1/jwks"}, key=mine),
            "x5u to the attacker": self.rs256(self.claims(), {"alg": "RS256", "x5u": "http://127.0.0.1:1/c.pem"}, key=mine),
            "kid path traversal, empty HMAC key": self.hs256(self.claims(), {"alg": "HS256", "kid": "../../../../dev/null"},
                                                             secret=b""),
            "kid naming the public key file": self.hs256(self.claims(), {"alg": "HS256", "kid": self.key.public_path},
                                                         secret=self.key.public_pem),
            # Correctly signed, but demands an extension the server does not implement.
            "crit header": self.rs256(self.claims(), {"alg": "RS256", "crit": ["exp"], "exp": 1}),
        }
        self.check_cases(cases)

    def test_expired_and_not_yet_valid(self):
        now = int(time.time())
        cases = {}
        for alg, mint in (("RS256", self.rs256), ("HS256", self.hs256)):
            cases[f"{alg} expired a minute ago"] = mint({"sub": VICTIM, "iat": now - 600, "exp": now - 60})
            cases[f"{alg} expired just now"] = mint({"sub": VICTIM, "iat": now - 600, "exp": now - 1})
            cases[f"{alg} not valid for 10 minutes"] = mint({"sub": VICTIM, "iat": now, "nbf": now + 600,
                                                             "exp": now + 1200})
            cases[f"{alg} exp as a string"] = mint({"sub": VICTIM, "exp": str(now + 600)})
            cases[f"{alg} nbf as a string"] = mint({"sub": VICTIM, "nbf": "0", "exp": now + 600})
            cases[f"{alg} exp null"] = mint({"sub": VICTIM, "exp": None})
        self.check_cases(cases)

    def test_validly_signed_but_bad_subject_or_payload(self):
        deep = {"sub": VICTIM, "exp": int(time.time()) + 600}
        nested = deep
        for _ in range(200):
            nested["n"] = {}
            nested = nested["n"]
        cases = {
            "sub missing": self.rs256({"exp": int(time.time()) + 600}),
            "sub a number": self.rs256(self.claims(sub=12345)),
            "sub outside the id alphabet": self.rs256(self.claims(sub=VICTIM + "/../x")),
            "sub too long": self.rs256(self.claims(sub="v" * 129)),
            "sub empty": self.rs256(self.claims(sub="")),
            "payload not an object": token({"alg": "RS256"}, [VICTIM], self.key.sign),
            "payload nested 200 deep": self.rs256(deep),
        }
        self.check_cases(cases)
        self.assertTrue(self.server.alive())

    def test_service_key_in_the_user_token_header_is_not_a_service(self):
        # The user-token header holds JWTs only: a key there must not act as a service.
        for value in (SERVICE_KEY, "Bearer " + SERVICE_KEY):
            with self.subTest(value=value[:10]):
                headers = {"x-authenticated-user-token": value}
                response = self.server.request("GET", f"/v1/progress/v-1?user_id={VICTIM}", headers=headers)
                assert_problem(self, response, 401, "invalid-credentials")
                response = post_ping(self.server, {"content_id": "v-1", "user_id": VICTIM, "position_seconds": 97},
                                     headers=headers)
                assert_problem(self, response, 401, "invalid-credentials")
        # Nor does the key as the Basic password (only the user name is the key).
        response = self.server.request("GET", f"/v1/progress/v-1?user_id={VICTIM}",
                                       headers={"Authorization": basic_auth("anyone", SERVICE_KEY)})
        assert_problem(self, response, 401, "invalid-credentials")
        self.assert_victim_unchanged()


class CrossUserTest(AuthAttackCase):
    """A real user (valid token) acting on another user's data through every native endpoint."""

    def test_every_endpoint_naming_another_user_is_403(self):
        attempts = [
            ("POST", "/v1/progress", {"content_id": "v-1", "user_id": VICTIM, "position_seconds": 99}),
            ("POST", "/v1/progress?user_id=" + VICTIM, {"content_id": "v-1", "user_id": VICTIM, "position_seconds": 99}),
            ("GET", f"/v1/progress/v-1?user_id={VICTIM}", None),
            ("GET", f"/v1/progress?content_ids=v-1,v-2&user_id={VICTIM}", None),
            ("DELETE", f"/v1/progress/v-1?user_id={VICTIM}", None),
            ("DELETE", f"/v1/progress/v-2?context_id=&user_id={VICTIM}", None),
            ("GET", f"/v1/users/{VICTIM}/progress", None),
            ("GET", f"/v1/users/{VICTIM}/progress?page=1&page_size=1000", None),
            ("GET", "/v1/users/victim%2Duser/progress", None),         # percent-encoded '-'
            ("GET", "/v1/progress/v-1?user_id=victim%2Duser", None),
            ("GET", f"/v1/progress/v-1?user_id={VICTIM}&user_id={ATTACKER}", None),
        ]
        for name, headers in self.credentials().items():
            for method, path, body in attempts:
                with self.subTest(credential=name, method=method, path=path):
                    response = self.server.request(method, path, body, headers=headers)
                    assert_problem(self, response, 403, "forbidden")
                    self.assertNotIn(b'"victim"', response[2], "the victim's data leaked into a refusal")
            with self.subTest(credential=name, method="POST", path="/v1/progress/batch"):
                status, _, raw, doc = self.server.request("POST", "/v1/progress/batch", {"pings": [
                    {"content_id": "v-1", "user_id": VICTIM, "position_seconds": 98},
                    {"content_id": "own-1", "position_seconds": 3}]}, headers=headers)
                self.assertEqual(status, 200, raw)
                self.assertEqual([r["status"] for r in doc["results"]], [403, 200], doc)
                self.assertTrue(doc["results"][0]["error"]["type"].endswith("/forbidden"), doc)
        self.assert_victim_unchanged()

    def test_ambiguous_user_ids_never_reach_the_victim(self):
        # Shapes a lax parser might resolve to the victim. Whatever the server makes of them, it
        # acts as the attacker or refuses: the victim's data is neither returned nor changed.
        headers = {"Authorization": "Bearer " + self.rs256(self.claims(sub=ATTACKER))}
        attempts = [
            ("POST", "/v1/progress", '{"content_id":"v-1","user_id":"attacker-user","user_id":"victim-user",'
                                     '"position_seconds":96}'),
            ("POST", "/v1/progress", '{"content_id":"v-1","user_id":"victim-user","user_id":"attacker-user",'
                                     '"position_seconds":96}'),
            ("POST", "/v1/progress/batch", '{"pings":[{"content_id":"v-2","user_id":"attacker-user",'
                                           '"user_id":"victim-user","position_seconds":95}]}'),
            ("GET", f"/v1/progress/v-1?user_id={ATTACKER}&user_id={VICTIM}", None),
            ("GET", f"/v1/progress?content_ids=v-1&user_id={ATTACKER}&user_id={VICTIM}", None),
            ("DELETE", f"/v1/progress/v-2?user_id={ATTACKER}&user_id={VICTIM}", None),
            ("GET", f"/v1/users/me/progress?user_id={VICTIM}", None),
            ("GET", "/v1/progress/v-1?user_id=VICTIM-USER", None),
            ("GET", "/v1/progress/v-1?user_id=me", None),
        ]
        for method, path, body in attempts:
            with self.subTest(method=method, path=path, body=body):
                status, _, raw, _ = self.server.request(method, path, body, headers=headers)
                self.assertIn(status, (200, 204, 403, 404, 422), raw)
                self.assertNotIn(b'"victim"', raw, "the victim's data was returned")
                self.assertNotIn(b'"user_id":"' + VICTIM.encode() + b'"', raw, "a victim's record was returned")
        self.assert_victim_unchanged()

    def test_own_data_still_works_with_every_credential(self):
        # Control: each credential form is accepted for the attacker's own data, so the 403s
        # above are about the other user, not a broken credential.
        for name, headers in self.credentials().items():
            with self.subTest(credential=name):
                ping(self, self.server, {"content_id": "own-2", "user_id": ATTACKER, "position_seconds": 4},
                     headers=headers)
                status, _, raw, doc = self.server.request("GET", "/v1/users/me/progress", headers=headers)
                self.assertEqual(status, 200, raw)
                self.assertEqual({r["user_id"] for r in doc["results"]}, {ATTACKER})


class ServiceOnlyPathsTest(AuthAttackCase):
    """Catalog and enrolment writes are for services only: a user token is refused there in every
    form, also beside a service key (the user token decides). Skipped where a build does not
    serve those paths yet."""

    def setUp(self):
        super().setUp()
        self.catalog = self.route_exists("/v1/contents/probe")
        self.enrolments = self.route_exists(f"/v1/users/{ATTACKER}/enrolments/probe")
        if not self.catalog and not self.enrolments:
            self.skipTest("this build serves no service-only paths")
        self.course = "svc-only-course"
        if self.catalog:
            status, _, raw, _ = self.server.request("PUT", "/v1/contents/" + self.course, {
                "type": "course", "title": "Original", "children": ["v-1", "v-2"]}, key=SERVICE_KEY)
            self.assertIn(status, (200, 201), raw)
        if self.enrolments:
            status, _, raw, _ = self.server.request(
                "PUT", f"/v1/users/{ATTACKER}/enrolments/{self.course}", {"active": True}, key=SERVICE_KEY)
            self.assertIn(status, (200, 201), raw)

    def service_view(self):
        """What the service sees of the catalog entry and the attacker's enrolments."""
        view = {}
        if self.catalog:
            view["entry"] = self.server.request("GET", "/v1/contents/" + self.course, key=SERVICE_KEY)[3]
            view["other"] = self.server.request("GET", "/v1/contents/svc-only-new", key=SERVICE_KEY)[0]
        if self.enrolments:
            view["enrolments"] = self.server.request("GET", f"/v1/users/{ATTACKER}/enrolments", key=SERVICE_KEY)[3]
        return view

    def test_user_tokens_on_service_only_paths_are_403(self):
        before = self.service_view()
        attempts = []
        if self.catalog:
            attempts += [
                ("PUT", "/v1/contents/" + self.course, {"type": "course", "title": "Hijacked", "children": []}),
                ("PUT", "/v1/contents/svc-only-new", {"type": "video", "title": "Planted"}),
                ("DELETE", "/v1/contents/" + self.course, None),
                ("POST", "/v1/contents:import", [{"id": self.course, "type": "course", "title": "Hijacked"}]),
            ]
        if self.enrolments:
            for user in (ATTACKER, "me", VICTIM):
                attempts += [
                    ("PUT", f"/v1/users/{user}/enrolments/{self.course}", {"active": False}),
                    ("PUT", f"/v1/users/{user}/enrolments/planted-course", {"active": True}),
                    ("DELETE", f"/v1/users/{user}/enrolments/{self.course}", None),
                ]
        for name, headers in self.credentials().items():
            for method, path, body in attempts:
                with self.subTest(credential=name, method=method, path=path):
                    response = self.server.request(method, path, body, headers=headers)
                    assert_problem(self, response, 403, "forbidden")
        self.assertEqual(self.service_view(), before, "a user token changed service-only data")
        self.assert_victim_unchanged()

    def test_other_users_enrolments_and_aggregates_are_403(self):
        attempts = []
        if self.enrolments:
            attempts += [("GET", f"/v1/users/{VICTIM}/enrolments"),
                         ("GET", f"/v1/users/{VICTIM}/enrolments/{self.course}")]
        if self.route_exists(f"/v1/collections/{self.course}/progress"):
            attempts += [("GET", f"/v1/collections/{self.course}/progress?user_id={VICTIM}")]
        for name, headers in self.credentials().items():
            for method, path in attempts:
                with self.subTest(credential=name, path=path):
                    response = self.server.request(method, path, headers=headers)
                    assert_problem(self, response, 403, "forbidden")
                    self.assertNotIn(b'"victim"', response[2])


if __name__ == "__main__":
    unittest.main()
