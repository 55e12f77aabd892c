"""Load for the failover suites: writer threads pinging with increasing positions through one port
(HAProxy's), every acknowledgement kept, then a check that each one is still reflected.

Every (user, content) key belongs to one writer, which sends it strictly increasing positions (and
`ts`); a write that is not acknowledged (503, 502, a timeout, a refused connection) is simply not
counted, and the key's next write carries a higher position. So after any failure the record must
hold at least the highest acknowledged position: anything lower is a lost (or regressed) write.
Writers go round their keys without waiting on a failing one, so each key's first acknowledgement
after an event measures how long its user was unavailable.
"""

import http.client
import json
import threading
import time

import cluster_rig  # noqa: F401  (first: it puts tests/e2e on the path)
from cluster_util import write_figures
from progressd_fixture import SERVICE_KEY

IDS_PER_READ = 100


class Key:
    __slots__ = ("user", "content", "next_position", "acks")

    def __init__(self, user, content):
        self.user = user
        self.content = content
        self.next_position = 1
        self.acks = []           # (monotonic time of the answer, acknowledged position)

    def max_acked(self):
        return max((p for _, p in self.acks), default=0)


class Writer(threading.Thread):
    def __init__(self, port, keys, stop, timeout=5):
        super().__init__(daemon=True)
        self.port = port
        self.keys = keys
        self.stop = stop
        self.timeout = timeout
        self.statuses = {}       # status (or the error's class name) -> count
        self.unexpected = []     # answers no failover explains (4xx, a 2xx without a position)

    def count(self, what):
        self.statuses[what] = self.statuses.get(what, 0) + 1

    def run(self):
        headers = {"Authorization": "Bearer " + SERVICE_KEY, "Content-Type": "application/json"}
        conn = None
        i = 0
        while not self.stop.is_set():
            key = self.keys[i % len(self.keys)]
            i += 1
            position = key.next_position
            key.next_position += 1
            body = json.dumps({"user_id": key.user, "content_id": key.content, "position_seconds": position,
                               "ts": position})
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                conn.request("POST", "/v1/progress", body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                answered = time.monotonic()
                self.count(response.status)
                if 200 <= response.status < 300:
                    acked = json.loads(data).get("position_seconds")
                    if acked != position:
                        self.unexpected.append(f"{key.user}/{key.content}: sent {position}, 2xx says {acked}")
                    key.acks.append((answered, position))
                elif response.status in (502, 503, 504):
                    time.sleep(0.01)  # as a client honouring Retry-After would, only shorter
                else:
                    self.unexpected.append(f"{response.status} {data[:200]!r}")
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException, ValueError) as e:
                self.count(type(e).__name__)
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.02)
        if conn is not None:
            conn.close()


class Load:
    """`writers` threads, each with `keys_per_writer` keys of its own users."""

    def __init__(self, port, prefix, writers=6, keys_per_writer=6, users_per_writer=3):
        self.stop_event = threading.Event()
        self.keys = []
        self.writers = []
        for w in range(writers):
            keys = [Key(f"{prefix}-w{w}-u{k % users_per_writer}", f"lesson-{k}") for k in range(keys_per_writer)]
            self.keys += keys
            self.writers.append(Writer(port, keys, self.stop_event))

    def __enter__(self):
        for writer in self.writers:
            writer.start()
        return self

    def stop(self):
        self.stop_event.set()
        for writer in self.writers:
            writer.join(30)

    def __exit__(self, *exc):
        self.stop()

    def acked(self):
        return sum(len(k.acks) for k in self.keys)

    def statuses(self):
        total = {}
        for writer in self.writers:
            for what, n in writer.statuses.items():
                total[str(what)] = total.get(str(what), 0) + n
        return total

    def unexpected(self):
        return [u for writer in self.writers for u in writer.unexpected]

    def users(self):
        return sorted({k.user for k in self.keys})

    def unavailable_seconds(self, since, users):
        """The longest time, over the keys of `users`, from `since` to the key's first
        acknowledgement after it (None for a key never acknowledged again)."""
        worst = 0.0
        for key in self.keys:
            if key.user not in users:
                continue
            after = [t for t, _ in key.acks if t > since]
            if not after:
                return None
            worst = max(worst, min(after) - since)
        return worst


def read_records(request, keys, deadline_s=30):
    """{(user, content): record or None} through `request` (rig.request), retrying 503s."""
    by_user = {}
    for key in keys:
        by_user.setdefault(key.user, []).append(key.content)
    records = {}
    deadline = time.monotonic() + deadline_s
    for user, contents in by_user.items():
        for start in range(0, len(contents), IDS_PER_READ):
            chunk = contents[start:start + IDS_PER_READ]
            path = f"/v1/progress?user_id={user}&content_ids=" + ",".join(chunk)
            while True:
                try:
                    status, _, doc = request("GET", path, key=SERVICE_KEY)
                except (OSError, http.client.HTTPException):
                    status, doc = None, None
                if status == 200:
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"reading {user}'s records: {status} {doc!r:.300}")
                time.sleep(0.2)
            found = {r["content_id"]: r for r in doc["results"]}
            for content in chunk:
                records[(user, content)] = found.get(content)
    return records


def verify(request, keys):
    """Figures: acknowledged writes, those found (the record at or past them), missing (no
    record), regressed (a record below an acknowledged position), with examples."""
    records = read_records(request, keys)
    figures = {"acked": 0, "found": 0, "missing": 0, "regressed": 0, "keys": len(keys)}
    examples = []
    for key in keys:
        record = records[(key.user, key.content)]
        figures["acked"] += len(key.acks)
        if not key.acks:
            continue
        if record is None:
            figures["missing"] += len(key.acks)
            examples.append(f"{key.user}/{key.content}: gone, acknowledged up to {key.max_acked()}")
            continue
        position = record["position_seconds"]
        reflected = sum(1 for _, p in key.acks if p <= position)
        figures["found"] += reflected
        if reflected < len(key.acks):
            figures["regressed"] += len(key.acks) - reflected
            examples.append(f"{key.user}/{key.content}: position {position}, acknowledged {key.max_acked()}")
    return figures, examples[:10]


def check_nothing_lost(test, rig, load, name, figures=None):
    """Verifies through the rig, writes the figures (cluster_rig.write_figures) and fails the test
    when an acknowledged write is missing or regressed, or an answer no failover explains came."""
    found, examples = verify(rig.request, load.keys)
    all_figures = {**found, "statuses": load.statuses(), **(figures or {})}
    write_figures(name, all_figures)
    test.assertGreater(found["acked"], 0, f"nothing was acknowledged: {all_figures}\n{rig.logs_tail()}")
    test.assertEqual((found["missing"], found["regressed"]), (0, 0),
                     f"acknowledged writes lost: {all_figures}\n" + "\n".join(examples) + "\n" + rig.logs_tail())
    test.assertEqual(load.unexpected()[:10], [], "answers no failover explains")
    return all_figures
