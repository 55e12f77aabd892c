#!/usr/bin/env python3
"""Writes the seed corpus of every harness into fuzz/corpus/<harness>/seed-*.

The seeds are the inputs the unit and end-to-end tests use (ping bodies, requests to every route,
tokens of every shape tests/e2e/test_auth_attacks.py tries, encoded records), in each harness's
input format (see the comment at the top of each *_fuzz.cpp). Files a fuzzer found and that
became regression inputs (crash-*, any other name) are left alone.

    fuzz/seeds.py                      # rewrite the seed-* files
    fuzz/seeds.py --data-dir DIR       # also take catalog, enrolment and assessment values from a
                                       # data dir a real server wrote (read with mdb_dump)

Python 3.11 stdlib only.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))

# --- ping: request bodies ---------------------------------------------------------------------

PINGS = {
    "minimal": {"content_id": "c"},
    "position": {"content_id": "lesson-1", "position_seconds": 312, "duration_seconds": 600},
    "percent": {"content_id": "c", "progress_percent": 95},
    "complete": {"content_id": "c", "event": "complete"},
    "start": {"content_id": "b3", "position_seconds": 30, "duration_seconds": 100, "event": "start"},
    "context": {"content_id": "c", "context_id": "batch-1", "collection_id": "course-x", "position_seconds": 3},
    "service": {"content_id": "c", "user_id": "u", "position_seconds": 4, "duration_seconds": 100},
    "session": {"content_id": "c", "session_id": "s-1", "seq": 7, "ts": 1700000000000,
                "position_seconds": 50, "duration_seconds": 100, "time_spent_delta_seconds": 5},
    "details": {"content_id": "details-ok", "position_seconds": 1, "mimetype": "video/mp4",
                "details": {"p": 1, "pad": "x" * 64, "nested": {"a": [1, 2.5, None, True]}}},
    "segments": {"content_id": "c", "duration_seconds": 600, "segments": [[300, 360], [0, 60]]},
    "bad-negative": {"content_id": "b2", "position_seconds": -1, "duration_seconds": 100},
    "bad-id": {"content_id": "bad id"},
    "bad-types": {"content_id": 5, "position_seconds": "1", "event": "pause", "seq": 1.5},
    "huge-numbers": {"content_id": "c", "position_seconds": 1e300, "duration_seconds": 1e-300,
                     "seq": 9007199254740993, "ts": -1},
}
PING_TEXTS = {
    "not-object": "[1,2,3]",
    "leading-zero": '{"content_id": "base-content", "position_seconds": 01}',
    "nan": '{"content_id": "c", "position_seconds": NaN}',
    "duplicate-keys": '{"content_id": "a", "content_id": "b", "user_id": "x", "user_id": "y"}',
    "escapes": '{"content_id": "c\\u0000d", "mimetype": "\\ud800", "details": {"\\u00e9": "\\n"}}',
    # The shape of ../shared/peers/post.lua, compact: the flat fast path (handlers/json/flat_json.hpp).
    "flat-player": '{"user_id":"user-000042","content_id":"content-0007","position_seconds":312.5,'
                   '"duration_seconds":600,"time_spent_delta_seconds":5,"ts":1700000000123}',
    "flat-edge": '{"content_id":"c","context_id":"","event":"end","progress_percent":99.99,"seq":0,'
                 '"mimetype":"video/mp4","user_id":null,"x":true,"y":-1.5e3}',
}

# --- request_head: raw request bytes (see request_head_fuzz.cpp) -------------------------------

PING_BODY = b'{"user_id":"user-000042","content_id":"content-0007","position_seconds":312.5}'
REQUEST_HEADS = {
    "ping": b"POST /v1/progress HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAuthorization: Bearer k\r\n"
            b"Content-Type: application/json\r\nContent-Length: " + str(len(PING_BODY)).encode() + b"\r\n\r\n" + PING_BODY,
    "pipelined": b"GET /livez HTTP/1.1\r\n\r\nHEAD /readyz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "odd-spacing": b"GET /v1/progress/x?user_id=u HTTP/1.1\r\nhost:\tx \t\r\nX-Empty:\r\nconnection: Close\r\n\r\n",
    "chunked": b"POST /v1/progress HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n",
    "cl-then-te": b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "duplicate-cl": b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    "obs-fold": b"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
    "bare-lf": b"GET / HTTP/1.1\nX: a\n\n",
    "space-before-colon": b"GET / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n",
}

# --- router: request scripts (see router_fuzz.cpp) --------------------------------------------


def request(method, target, body=None, auth="Bearer @key", headers=()):
    lines = [f"{method} {target}"]
    if auth:
        lines.append(f"Authorization: {auth}")
    lines += list(headers)
    if body is not None:
        lines.append("Content-Type: application/json")
    text = "\n".join(lines) + "\n\n"
    if body is not None:
        text += body if isinstance(body, str) else json.dumps(body)
    return text


def sunbird(api_id, body):
    """Sunbird's request envelope (docs/compat-sunbird.md)."""
    return {"id": api_id, "ver": "v1", "ts": "2021-06-23 05:37:40:575+0000",
            "params": {"msgid": "5e763bc2-b072-440d-916e-da787881b1b9"}, "request": body}


def script(*requests):
    return "\n%%\n".join(requests)


COURSE = "3f2c7a10-0000-4000-8000-000000000001"
LESSON = "3f2c7a10-0000-4000-8000-000000000002"
LESSON_2 = "3f2c7a10-0000-4000-8000-000000000003"
PING = {"content_id": "lesson-1", "user_id": "alice", "position_seconds": 30, "duration_seconds": 100}
ROUTER = {
    "ops": script(request("GET", "/livez", auth=None), request("GET", "/readyz", auth=None),
                  request("HEAD", "/healthz", auth=None), request("GET", "/metrics", auth=None)),
    "ping-then-read": script(request("POST", "/v1/progress", PING),
                             request("GET", "/v1/progress/lesson-1?user_id=alice"),
                             request("GET", "/v1/progress?user_id=alice&content_ids=lesson-1,other"),
                             request("DELETE", "/v1/progress/lesson-1?user_id=alice")),
    "user-token": script(request("POST", "/v1/progress", {"content_id": "c", "progress_percent": 50},
                                 auth="Bearer @user", headers=["Prefer: return=minimal"]),
                         request("GET", "/v1/progress/c", auth=None, headers=["x-authenticated-user-token: @user"]),
                         request("GET", "/v1/users/alice/progress?limit=10", auth="Bearer @user"),
                         request("GET", "/v1/users/bob/progress", auth="Bearer @user")),
    "batch": request("POST", "/v1/progress/batch",
                     {"pings": [PING, {"content_id": "c2", "user_id": "bob", "event": "complete"}, 5]}),
    "basic": request("GET", "/v1/progress/c?user_id=u", auth="Basic @basic"),
    "catalog": script(
        request("PUT", "/v1/contents/course-1",
                {"type": "course", "title": "Intro", "duration_seconds": 3600, "children": ["l1", "l2"],
                 "attributes": {"thumbnail_url": "https://x/t.png", "instructors": ["Ada"]}}),
        request("POST", "/v1/contents:import", [{"id": "l1", "duration_seconds": 60}, {"id": "l2"}]),
        request("POST", "/v1/progress", {"content_id": "l1", "user_id": "alice", "context_id": "b1",
                                         "collection_id": "course-1", "position_seconds": 60,
                                         "duration_seconds": 60}),
        request("GET", "/v1/collections/course-1/progress?user_id=alice&context_id=b1"),
        request("GET", "/v1/contents/course-1"),
        request("DELETE", "/v1/contents/l2")),
    "enrolments": script(
        request("PUT", "/v1/users/alice/enrolments/course-1?context_id=b1", {"expires_at": 4102444800000}),
        request("GET", "/v1/users/alice/enrolments"),
        request("GET", "/v1/users/alice/enrolments/course-1?context_id=b1", auth="Bearer @user"),
        request("DELETE", "/v1/users/alice/enrolments/course-1?context_id=b1")),
    "assessments": script(
        request("POST", "/v1/assessments", {"content_id": "quiz", "attempt_id": "a1", "score": 4, "max_score": 10},
                auth="Bearer @user"),
        request("POST", "/v1/assessments", {"content_id": "quiz", "attempt_id": "a2", "score": 9, "max_score": 10},
                auth="Bearer @user"),
        request("GET", "/v1/assessments/quiz", auth="Bearer @user")),
    "continue": script(
        request("POST", "/v1/progress", {"content_id": "m1", "position_seconds": 10, "duration_seconds": 100},
                auth="Bearer @user"),
        request("GET", "/v1/users/me/continue", auth="Bearer @user"),
        request("DELETE", "/v1/users/alice/continue/m1", auth="Bearer @user")),
    "user-data": script(request("POST", "/v1/progress", PING), request("GET", "/v1/users/alice/export"),
                        request("DELETE", "/v1/users/alice")),
    "education": script(
        # The Education API's ids are UUIDs.
        request("POST", "/v1/contents:import", [{"id": COURSE, "type": "course", "children": [LESSON, LESSON_2]},
                                                {"id": LESSON, "duration_seconds": 600}, {"id": LESSON_2}]),
        request("PUT", f"/api/v1/education/progress/{COURSE}/lessons/{LESSON}",
                {"status": "in_progress", "progress_percentage": 62.5, "video_position_seconds": 375,
                 "quiz_score": 80, "quiz_attempts": 2, "quiz_passed": True, "time_spent_minutes": 7,
                 "user_notes": "revisit the borrow checker", "is_bookmarked": True,
                 "metadata": {"device": "ipad", "speed": 1.5}}, auth="Bearer @user"),
        request("GET", f"/api/v1/education/progress/{COURSE}", auth="Bearer @user"),
        request("GET", f"/api/v1/education/progress/{COURSE}/summary", auth="Bearer @user")),
    "musora": script(
        request("POST", "/v1/contents:import", [{"id": "292040", "type": "course", "children": ["292037", "292038"]},
                                                {"id": "292037", "duration_seconds": 532}, {"id": "292038"}]),
        request("POST", "/v1/progress", {"content_id": "292037", "position_seconds": 266}, auth="Bearer @user"),
        request("PUT", "/musora-api/reset", "content_id=292037", auth="Bearer @user",
                headers=["Content-Type: application/x-www-form-urlencoded; charset=UTF-8"]),
        request("PUT", "/musora-api/reset?content_id=292038", auth="Bearer @user"),
        request("PUT", "/musora-api/reset", {"content_id": 292040}, auth="Bearer @user")),
    "skilljar": script(
        request("POST", "/v1/contents:import", [{"id": "cdefghi345678", "type": "course",
                                                 "children": ["abcdefg123456", "bcdefga234567"]},
                                                {"id": "abcdefg123456", "type": "HTML", "duration_seconds": 60},
                                                {"id": "bcdefga234567", "type": "QUIZ"}]),
        request("GET", "/v1/ping", auth="Basic @basic"),
        request("GET", "/v1/users/alice/published-courses", auth="Basic @basic"),
        request("PATCH", "/v1/users/alice/published-courses/cdefghi345678/lessons/abcdefg123456",
                {"lesson_progress": {"completed_at": "2015-06-03T01:02:03.012345Z"}}, auth="Basic @basic"),
        request("GET", "/v1/users/alice/published-courses/cdefghi345678/lessons?page=1", auth="Basic @basic"),
        request("POST", "/v1/progress-tokens",
                {"user_id": "alice", "course_id": "cdefghi345678", "lesson_id": "bcdefga234567"}),
        request("POST", "/v1/domains/d/published-courses/cdefghi345678/enrollments", {"user_id": "alice"},
                auth="Basic @basic"),
        request("GET", "/v1/domains/d/published-courses/cdefghi345678/enrollments", auth="Basic @basic")),
    "sunbird": script(
        request("POST", "/v1/contents:import", [{"id": "collection_123", "type": "course",
                                                 "children": ["content_123", "quiz_1"]},
                                                {"id": "content_123", "type": "video", "duration_seconds": 600},
                                                {"id": "quiz_1", "type": "quiz"}]),
        request("POST", "/v1/view/start", sunbird("api.view.start", {"contentId": "content_123",
                                                                      "collectionId": "collection_123",
                                                                      "contextId": "context_123"}),
                auth="Bearer @user"),
        request("POST", "/v1/view/update", sunbird("api.view.update", {"contentId": "content_123", "timespent": 10,
                                                                        "progressDetails": {"mimetype": "application/pdf",
                                                                                            "progress": 20}}),
                auth="Bearer @user"),
        request("POST", "/v1/view/end", sunbird("api.view.end", {"contentId": "content_123"}), auth="Bearer @user"),
        request("POST", "/v1/view/read", sunbird("api.view.read", {"contentIds": ["content_123", "x"]}),
                auth="Bearer @user"),
        request("POST", "/v1/assessment/submit",
                sunbird("api.assess.submit", {"contentId": "quiz_1", "collectionId": "collection_123",
                                              "contextId": "context_123", "attemptId": "a1", "assessments": []}),
                auth="Bearer @user"),
        request("POST", "/v1/summary/read", sunbird("api.summary.read", {"userId": "alice",
                                                                          "collectionId": "collection_123",
                                                                          "contextId": "context_123"}),
                auth="Bearer @user"),
        request("GET", "/v1/summary/list/alice", auth="Bearer @user")),
    "errors": script(request("POST", "/v1/progress", "{", auth="Bearer @user"),
                     request("POST", "/v1/progress", PING, headers=["Content-Type: text/plain"]),
                     request("PATCH", "/v1/progress/x"), request("GET", "/v1/nope"),
                     request("GET", "/v1/progress/a%2Fb%40c%ZZ?user_id=%61lice&user_id=bob"),
                     request("GET", "/v1/progress/c", auth="Bearer @bob"),
                     request("GET", "/v1/progress/c", auth="Bearer not-a-token")),
}

# --- jwt: mode byte + text (see jwt_fuzz.cpp) --------------------------------------------------

JWT_SECRET = b"fuzz-hs256-secret-0123456789abcdef"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(header, claims, secret=JWT_SECRET):
    signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    return signing + "." + b64url(hmac.new(secret, signing.encode(), hashlib.sha256).digest())


NOW = 1_700_000_000
GOOD = hs256({"alg": "HS256", "typ": "JWT"}, {"sub": "alice", "iat": NOW - 60, "exp": NOW + 3600})
NONE = b64url(b'{"alg":"none"}') + "." + b64url(b'{"sub":"alice"}') + "."
RS = b64url(b'{"alg":"RS256","typ":"JWT"}') + "." + b64url(b'{"sub":"alice"}') + "." + b64url(b"\x01" * 256)
JWT = {
    "verify-good": b"\x00" + GOOD.encode(),
    "verify-none": b"\x00" + NONE.encode(),
    "verify-rs256": b"\x00" + RS.encode(),
    "verify-four-segments": b"\x00" + (GOOD + ".x").encode(),
    "verify-other-key": b"\x00" + hs256({"alg": "HS256"}, {"sub": "alice"}, b"other").encode(),
    "auth-bearer": b"\x01Bearer " + GOOD.encode() + b"\n",
    "auth-user-token": b"\x01Bearer fuzz-service-key-0123456789\n" + GOOD.encode(),
    "auth-basic": b"\x01Basic " + base64.b64encode(b"fuzz-service-key-0123456789:") + b"\n",
    "auth-basic-bad": b"\x01basic !!!\nBearer x.y.z",
    "signed-good": b'\x02{"alg":"HS256","typ":"JWT"}\n{"sub":"alice","exp":1800000000,"nbf":1600000000}',
    "signed-expired": b'\x02{"alg":"HS256"}\n{"sub":"alice","exp":1600000000.5}',
    "signed-not-yet": b'\x02{"alg":"HS256"}\n{"sub":"alice","nbf":1e300}',
    "signed-bad-sub": b'\x02{"alg":"HS256"}\n{"sub":"a b","exp":"soon"}',
    "signed-crit": b'\x02{"alg":"HS256","crit":["b64"]}\n{"sub":"alice"}',
    "signed-nested": b'\x02{"alg":"HS256"}\n' + b'{"sub":"alice","x":' + b"[" * 40 + b"]" * 40 + b"}",
    "signed-alg-case": b'\x02{"alg":"hs256"}\n{"sub":"alice"}',
}

# --- record_codec and recovery: the LMDB encoding (store/codec/record_codec.cpp) --------------------


def encode_record(status=1, percent=12.0, position=12.0, duration=100.0, spent=30.0, views=2, position_ts=0,
                  first=1_700_000_000_000, last=1_700_000_100_000, updated=1_700_000_100_000, completed=0,
                  session_hash=0, highest_seq=-1, seen_bits=0, mimetype=b"", details=b"", watched=None,
                  hidden=False, annotations=None, older_sessions=()):
    out = struct.pack("<B16sB", 1, bytes(range(16)), status)
    out += struct.pack("<ddddI", percent, position, duration, spent, views)
    out += struct.pack("<qqqqq", position_ts, first, last, updated, completed)
    out += struct.pack("<QqQ", session_hash, highest_seq, seen_bits)
    out += struct.pack("<H", len(mimetype)) + mimetype + struct.pack("<I", len(details)) + details
    if watched:
        out += b"\x01" + struct.pack("<QQ", *watched)
    if hidden:
        out += b"\x02\x01"
    if annotations:
        bookmarked, notes, metadata = annotations
        out += b"\x03" + bytes([bookmarked]) + struct.pack("<H", len(notes)) + notes
        out += struct.pack("<H", len(metadata)) + metadata
    if older_sessions:
        out += b"\x04" + bytes([len(older_sessions)])
        for window in older_sessions:
            out += struct.pack("<QqQ", *window)
    return out


RECORDS = {
    "fresh": encode_record(status=0, percent=0, position=0, duration=0, spent=0, views=0),
    "in-progress": encode_record(),
    "completed": encode_record(status=2, percent=100, position=100, completed=1_700_000_100_000),
    "session": encode_record(session_hash=0x1234_5678_9ABC_DEF0, highest_seq=70, seen_bits=0xFFFF),
    "strings": encode_record(mimetype=b"video/mp4", details=b'{"p":12,"pad":"xxxx"}'),
    "coverage": encode_record(watched=(0xFFFF_0000_FFFF_0000, 0xF_FFFF_FFFF)),
    "hidden": encode_record(hidden=True),
    "annotations": encode_record(annotations=(1, b"revisit", b'{"device":"ipad"}')),
    "sessions": encode_record(session_hash=0x1234_5678_9ABC_DEF0, highest_seq=70, seen_bits=0xFFFF,
                              older_sessions=((0x99, 3, 0b111), (0xABCD, 0, 1), (0x5, 200, 1 << 63))),
    "everything": encode_record(mimetype=b"audio/ogg", details=b"{}", watched=(1, 1 << 35), hidden=True,
                                annotations=(0, b"n", b"")),
}
KEYS = {
    "key-plain": b"alice\x00\x00lesson-1",
    "key-context": b"alice\x00batch-1\x00lesson-1",
    "key-bad": b"alice\x00lesson-1",
}


# --- session_window: the choices of tests/unit/replay_model.hpp's driver, a byte each --------------
# First byte: sessions - 1 (mod 6). Then per step an action (mod 10: 0-5 a new ping, 5 may fill a
# gap, 6-8 a retry of an earlier ping, 9 the codec trip) and what it needs.


def session_window_steps(sessions, steps):
    out = bytes([sessions - 1])
    for action, *rest in steps:
        out += bytes([action, *rest])
    return out


# Two players, the first retrying each ping: (new s0), (new s1), (retry of the first ping).
SESSION_WINDOW = {
    "phone-tv": session_window_steps(2, [(0, 0, 1, 4, 1), (0, 1, 1, 4, 1), (6, 0), (0, 0, 1, 4, 1), (0, 1, 1, 4, 1),
                                         (6, 2), (9,), (7, 3), (8, 4)]),
    "six-sessions": session_window_steps(6, [(0, s, 1, 2, 0) for s in range(6)] + [(6, i) for i in range(6)]),
    "gaps": session_window_steps(1, [(0, 0, 0, 90, 3, 1), (5, 0, 7), (5, 0, 0), (9,), (6, 1), (0, 0, 1, 1, 1)]),
    "random": bytes((i * 37 + 11) % 256 for i in range(400)),
}


def dump_database(data_dir, name):
    """Values of one named database, via mdb_dump's hex format ("-n" not needed: a directory)."""
    done = subprocess.run(["mdb_dump", "-s", name, data_dir], capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    body = lines[lines.index("HEADER=END") + 1:]
    values = []
    for index in range(0, len(body) - 1, 2):
        if body[index] == "DATA=END":
            break
        values.append((bytes.fromhex(body[index].strip()), bytes.fromhex(body[index + 1].strip())))
    return values


# --- writing ----------------------------------------------------------------------------------


def write(harness, name, data):
    folder = os.path.join(HERE, "corpus", harness)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="a data dir written by a real server (catalog, enrolments, assessments)")
    args = parser.parse_args()

    for harness in ("ping", "router", "jwt", "record_codec", "recovery", "request_head", "session_window"):
        folder = os.path.join(HERE, "corpus", harness)
        if os.path.isdir(folder):
            for name in os.listdir(folder):
                if name.startswith("seed-"):
                    os.remove(os.path.join(folder, name))

    for name, body in PINGS.items():
        write("ping", name, json.dumps(body))
    for name, text in PING_TEXTS.items():
        write("ping", name, text)
    for name, text in ROUTER.items():
        write("router", name, text)
    for name, data in REQUEST_HEADS.items():
        write("request_head", name, data)
    for name, data in JWT.items():
        write("jwt", name, data)
    for name, data in RECORDS.items():
        write("record_codec", name, data)
        write("recovery", "records-" + name, b"\x00" + data)
    for name, data in KEYS.items():
        write("record_codec", name, data)
        write("recovery", "records-" + name, b"\x04" + bytes([len(data)]) + data + RECORDS["in-progress"])
    for name, data in SESSION_WINDOW.items():
        write("session_window", name, data)
    write("recovery", "records-truncated", b"\x00" + RECORDS["strings"][:-3])
    if args.data_dir:
        for selector, database in ((0, "records"), (1, "catalog"), (2, "enrolments"), (3, "assessments")):
            for index, (key, value) in enumerate(dump_database(args.data_dir, database)[:6]):
                write("recovery", f"server-{database}-{index}", bytes([selector]) + value)
                if index == 0 and len(key) < 256:
                    write("recovery", f"server-{database}-key", bytes([selector | 4, len(key)]) + key + value)


if __name__ == "__main__":
    main()
