#!/usr/bin/env python3
"""Crash loop: kill -9 progressd under load, again and again, and check what survived.

Each cycle drives pings at the real server from many keep-alive connections (one thread each,
service API key), records every acknowledged write with the moment its answer arrived, sends
SIGKILL at a random moment, restarts the server on the same data dir and checks:

  sync      every acknowledged write is present and not regressed;
  snapshot  every write acknowledged before (kill - window) is present and not regressed, where
            window = flush interval + 2 x the longest flush seen + margin (see FlushWatcher);
            later ones may be lost (docs/durability.md);
  both      the data dir loads (the ready line appears, no record skipped as corrupt) and
            readiness answers 200.

Every (user, content) key belongs to one connection, which sends it strictly increasing
positions (and `ts`) and a time_spent delta of 1, so the record after a restart must hold at least
the position and time_spent that the checked acknowledgement reported: anything lower is a lost
(or rolled back) write. A write in flight at the kill may or may not have landed; only higher
values can come from it.

  missing    checked writes whose record is gone after the restart (404);
  regressed  checked writes whose record survived with a lower position or time_spent than
             that write's acknowledgement reported.

Each ping also carries `details` {"p": position, "pad": 0-3 KiB}, so a record read back whose
details come from another ping than its position is torn (half of one write, half of another),
and the larger records take LMDB overflow pages. Torn records fail the cycle too.

Exit status: 0 when nothing is missing or regressed and every restart loaded, 1 otherwise, 2 on
bad arguments. See docs/reliability.md. Python 3.11 stdlib only; reuses the e2e fixture.
"""

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import progressd_fixture  # noqa: E402  (needs the path above)
from progressd_fixture import SERVICE_KEY, ProgressdServer  # noqa: E402

IDS_PER_READ = 100  # GET /v1/progress takes 1-100 content ids
FALLBACK_FLUSH_S = 0.1  # assumed flush duration when /metrics does not report one


class Key:
    """One (user, content) record, written by exactly one connection."""

    __slots__ = ("user", "content", "pad", "next_position", "acks")

    def __init__(self, user, content, pad):
        self.user = user
        self.content = content
        self.pad = pad           # details padding: 0-3 KiB, so some records take LMDB overflow pages
        self.next_position = 1   # strictly increasing across cycles, acked or not
        self.acks = []           # this cycle: (ack monotonic time, position, time_spent), in order


class Connection(threading.Thread):
    """One keep-alive client: pings its own keys round-robin until stopped or the server dies."""

    def __init__(self, port, keys, stop):
        super().__init__(daemon=True)
        self.port = port
        self.keys = keys
        self.stop = stop
        self.unexpected = []   # answers other than 200 (never expected from a healthy server)
        self.ended = None      # (monotonic time, error) when the connection failed

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        headers = {"Authorization": "Bearer " + SERVICE_KEY, "Content-Type": "application/json"}
        i = 0
        try:
            while not self.stop.is_set():
                key = self.keys[i % len(self.keys)]
                i += 1
                position = key.next_position
                key.next_position += 1
                body = json.dumps({"user_id": key.user, "content_id": key.content,
                                   "position_seconds": position, "ts": position,
                                   "time_spent_delta_seconds": 1,
                                   "details": {"p": position, "pad": "x" * key.pad}})
                conn.request("POST", "/v1/progress", body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                acked_at = time.monotonic()
                if response.status != 200:
                    self.unexpected.append(f"{response.status} {data[:200]!r}")
                    if response.will_close:
                        break
                    continue
                try:
                    summary = json.loads(data)
                    key.acks.append((acked_at, summary["position_seconds"], summary["time_spent_seconds"]))
                except (ValueError, KeyError, TypeError):
                    self.unexpected.append(f"unreadable 200 answer {data[:200]!r}")
        except (OSError, http.client.HTTPException) as e:
            # The server was killed (or died: run_cycle compares this moment with the kill's).
            self.ended = (time.monotonic(), repr(e))
        finally:
            conn.close()


class FlushWatcher(threading.Thread):
    """Samples the server's last flush duration (/metrics) every 50 ms and keeps the longest.

    Snapshot mode's real window is longer than the flush interval: the persister waits the
    interval after a batch ends, so a write that arrives just as batch k starts collecting is
    first collected by batch k+1 and durable when that one commits, up to
    interval + duration(k) + duration(k+1) later. The check allows exactly that, using the
    longest flush seen, plus --margin-ms for scheduling."""

    METRIC = "progressd_last_flush_duration_seconds"

    def __init__(self, port, stop):
        super().__init__(daemon=True)
        self.port = port
        self.stop = stop
        self.longest_s = None   # None: the metric was never seen

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            while not self.stop.wait(0.05):
                conn.request("GET", "/metrics")
                response = conn.getresponse()
                text = response.read().decode(errors="replace")
                for line in text.splitlines():
                    name, _, value = line.partition(" ")
                    if name == self.METRIC:
                        seconds = float(value)
                        self.longest_s = seconds if self.longest_s is None else max(self.longest_s, seconds)
        except (OSError, http.client.HTTPException, ValueError):
            pass  # the server was killed
        finally:
            conn.close()


def read_records(server, keys):
    """{(user, content): record} for the keys, via the service key."""
    by_user = {}
    for key in keys:
        by_user.setdefault(key.user, []).append(key.content)
    records = {}
    for user, contents in by_user.items():
        for start in range(0, len(contents), IDS_PER_READ):
            chunk = contents[start:start + IDS_PER_READ]
            status, _, raw, doc = server.request(
                "GET", f"/v1/progress?user_id={user}&content_ids=" + ",".join(chunk), key=SERVICE_KEY)
            if status != 200 or not isinstance(doc, dict):
                raise RuntimeError(f"reading {user}'s records answered {status}: {raw[:300]!r}")
            for record in doc["results"]:
                records[(user, record["content_id"])] = record
    return records


class CycleResult:
    def __init__(self):
        self.acked = 0
        self.checked = 0
        self.missing = 0
        self.regressed = 0
        self.lost = 0            # all acknowledged writes not reflected, checked or not
        self.oldest_lost_s = 0.0  # how long before the kill the oldest of them was acknowledged
        self.problems = []   # human-readable lines explaining failures

    @property
    def ok(self):
        return not self.missing and not self.regressed and not self.problems


def verify(server, keys, mode, killed_at, cutoff):
    """Compares the restarted server's records with this cycle's acknowledgements."""
    result = CycleResult()
    records = read_records(server, keys)
    torn = 0
    for key in keys:
        result.acked += len(key.acks)
        record = records.get((key.user, key.content))
        if record is not None:
            # A record is written whole: its details come from the same ping as its position.
            details = record.get("details") or {}
            if details.get("p") != record["position_seconds"] or details.get("pad") != "x" * key.pad:
                torn += 1
                if torn <= 5:
                    result.problems.append(f"{key.user}/{key.content}: torn record: position "
                                           f"{record['position_seconds']}, details from ping {details.get('p')!r}")
        # Every acknowledged write not reflected, whether or not the mode promised it: in snapshot
        # mode this measures the real loss window beside the promised one.
        if record is None:
            not_reflected = key.acks
        else:
            not_reflected = [a for a in key.acks if a[1] > record["position_seconds"] or
                             a[2] > record["time_spent_seconds"]]
        if not_reflected:
            result.lost += len(not_reflected)
            result.oldest_lost_s = max(result.oldest_lost_s, killed_at - not_reflected[0][0])

        checked = key.acks if mode == "sync" else [a for a in key.acks if a[0] < cutoff]
        result.checked += len(checked)
        if not checked:
            continue
        if record is None:
            result.missing += len(checked)
            if len(result.problems) < 10:
                result.problems.append(f"{key.user}/{key.content}: gone; {len(checked)} checked writes, "
                                       f"last acked position {checked[-1][1]}")
            continue
        position, spent = record["position_seconds"], record["time_spent_seconds"]
        lost = [a for a in checked if a[1] > position or a[2] > spent]
        result.regressed += len(lost)
        if lost and len(result.problems) < 10:
            result.problems.append(f"{key.user}/{key.content}: position {position}, time_spent {spent} "
                                   f"after restart; last checked ack said {checked[-1][1]}, {checked[-1][2]}")
    if torn > 5:
        result.problems.append(f"{torn} torn records in all")
    return result


def restart(server):
    """Starts the server on its data dir again; returns (problems, seconds, ready event)."""
    started = time.monotonic()
    try:
        server.start()
    except AssertionError as e:
        return [f"data dir did not load: {e}"], time.monotonic() - started, None
    took = time.monotonic() - started
    problems = []
    ready = server.ready_event
    if ready.get("corrupt_records_skipped", 0) != 0:
        problems.append(f"{ready['corrupt_records_skipped']} records skipped as corrupt: {ready}")
    status, _, raw, _ = server.request("GET", "/readyz")
    if status != 200:
        problems.append(f"/readyz answered {status} after restart: {raw[:300]!r}")
    return problems, took, ready


def run_cycle(server, keys_by_connection, args, rng):
    """Load, kill -9 at a random moment, restart, verify. Returns (CycleResult, facts dict)."""
    all_keys = [k for keys in keys_by_connection for k in keys]
    for key in all_keys:
        key.acks = []
    stop = threading.Event()
    connections = [Connection(server.port, keys, stop) for keys in keys_by_connection]
    started = time.monotonic()
    watcher = FlushWatcher(server.port, stop)
    watcher.start()
    for c in connections:
        c.start()
    kill_after = rng.uniform(args.seconds_per_cycle / 2, args.seconds_per_cycle)
    time.sleep(max(0.0, started + kill_after - time.monotonic()))
    died = server.process.poll()   # it must still run: only our SIGKILL may stop it
    killed_at = time.monotonic()
    server.kill9()
    stop.set()
    for c in connections + [watcher]:
        c.join(30)
    if any(c.is_alive() for c in connections + [watcher]):
        raise RuntimeError("a client connection did not notice the kill within 30 s")
    unexpected = [u for c in connections for u in c.unexpected]
    early = [c.ended for c in connections if c.ended is not None and c.ended[0] < killed_at]

    longest_flush_s = watcher.longest_s if watcher.longest_s is not None else FALLBACK_FLUSH_S
    window_s = (args.flush_interval_ms + args.margin_ms) / 1000.0 + 2 * longest_flush_s
    facts = {"killed_after": killed_at - started, "window_s": window_s, "longest_flush_s": watcher.longest_s}

    problems, restart_s, ready = restart(server)
    facts.update(restart_s=restart_s, records=ready.get("records") if ready else None)
    if ready is None:
        result = CycleResult()
        result.acked = sum(len(k.acks) for k in all_keys)
        result.problems = problems
        return result, facts
    cutoff = killed_at - window_s
    result = verify(server, all_keys, args.mode, killed_at, cutoff)
    result.problems = problems + result.problems
    if died is not None:
        result.problems.append(f"progressd exited by itself (code {died}) before the kill")
    if early:
        result.problems.append(f"{len(early)} connections failed before the kill, e.g. {early[0][1]}")
    if unexpected:
        result.problems.append(f"{len(unexpected)} unexpected answers during the load, e.g. {unexpected[0]}")
    written = sum(1 for k in all_keys if any(a[0] < cutoff for a in k.acks) or
                  (args.mode == "sync" and k.acks))
    if ready.get("records", 0) < written:
        result.problems.append(f"ready line loaded {ready.get('records')} records, fewer than the "
                               f"{written} keys with checked writes")
    return result, facts


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Kill progressd with SIGKILL under concurrent load, restart it on the same data "
                    "dir, and check that no acknowledged write the durability mode promises was lost.")
    parser.add_argument("--mode", choices=("sync", "snapshot"), default="sync",
                        help="durability mode to run the server in and to verify (default sync)")
    parser.add_argument("--cycles", type=int, default=20, help="kill/restart cycles (default 20)")
    parser.add_argument("--seconds-per-cycle", type=float, default=3.0,
                        help="longest load per cycle; the kill comes at a random moment in its second "
                             "half (default 3)")
    parser.add_argument("--connections", type=int, default=32,
                        help="concurrent keep-alive client connections (default 32)")
    parser.add_argument("--keys-per-connection", type=int, default=16,
                        help="records each connection writes, round-robin (default 16)")
    parser.add_argument("--flush-interval-ms", type=int, default=200,
                        help="the server's --flush-interval-ms (default 200)")
    parser.add_argument("--margin-ms", type=int, default=50,
                        help="snapshot mode: scheduling allowance; writes acked before kill - (interval "
                             "+ 2 x the longest flush seen in /metrics + margin) must survive (default 50)")
    parser.add_argument("--threads", type=int, default=2, help="server I/O threads (default 2)")
    parser.add_argument("--binary", default=progressd_fixture.PROGRESSD,
                        help="progressd binary (default $PROGRESSD_BIN or build/server/progressd)")
    parser.add_argument("--seed", type=int, default=None, help="random seed for the kill moments")
    parser.add_argument("--server-durability", choices=("sync", "snapshot"), default=None,
                        help="run the server in this mode instead of --mode (only to prove that the "
                             "checker catches loss: e.g. --mode sync --server-durability snapshot)")
    parser.add_argument("--server-flush-interval-ms", type=int, default=None,
                        help="give the server this flush interval instead of --flush-interval-ms (only "
                             "to prove that the snapshot checker catches loss)")
    args = parser.parse_args(argv)
    if args.cycles < 1 or args.connections < 1 or args.keys_per_connection < 1:
        parser.error("--cycles, --connections and --keys-per-connection must be at least 1")
    if args.seconds_per_cycle <= 0 or args.flush_interval_ms < 1 or args.margin_ms < 0:
        parser.error("--seconds-per-cycle and --flush-interval-ms must be positive, --margin-ms >= 0")
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 32)
    return args


def main(argv=None):
    args = parse_args(argv)
    binary = os.path.abspath(args.binary)
    progressd_fixture.PROGRESSD = binary
    sibling_ctl = os.path.join(os.path.dirname(os.path.dirname(binary)), "tools", "progressctl")
    if not os.environ.get("PROGRESSCTL_BIN") and os.access(sibling_ctl, os.X_OK):
        progressd_fixture.PROGRESSCTL = sibling_ctl  # the fixture insists on it; keep it beside --binary
    rng = random.Random(args.seed)
    durability = args.server_durability or args.mode
    print(f"crash loop: mode {args.mode} (server {durability}"
          + (f", flush interval {args.server_flush_interval_ms} ms" if args.server_flush_interval_ms else "")
          + f"), {args.cycles} cycles of up to "
          f"{args.seconds_per_cycle:g} s, {args.connections} connections x {args.keys_per_connection} keys, "
          f"flush interval {args.flush_interval_ms} ms, margin {args.margin_ms} ms, seed {args.seed}",
          flush=True)

    keys_by_connection = [[Key(f"crash-u{c}", f"crash-c{k}", (c * args.keys_per_connection + k) * 97 % 3000)
                           for k in range(args.keys_per_connection)] for c in range(args.connections)]
    totals = CycleResult()
    survived = 0
    server_interval = args.server_flush_interval_ms or args.flush_interval_ms
    server = ProgressdServer(durability=durability, extra_args=(
        "--flush-interval-ms", str(server_interval), "--threads", str(args.threads)))
    try:
        for cycle in range(1, args.cycles + 1):
            result, facts = run_cycle(server, keys_by_connection, args, rng)
            for field in ("acked", "checked", "missing", "regressed", "lost"):
                setattr(totals, field, getattr(totals, field) + getattr(result, field))
            totals.oldest_lost_s = max(totals.oldest_lost_s, result.oldest_lost_s)
            survived += result.ok
            window = ""
            if args.mode == "snapshot":
                flush = facts["longest_flush_s"]
                window = (f"window {facts['window_s'] * 1000:.0f} ms (longest flush "
                          f"{'unknown' if flush is None else f'{flush * 1000:.0f} ms'}), ")
            print(f"cycle {cycle}/{args.cycles}: killed after {facts['killed_after']:.2f} s, {window}"
                  f"restart {facts['restart_s']:.2f} s, records {facts['records']}: "
                  f"acked {result.acked} / checked {result.checked} / missing {result.missing} / "
                  f"regressed {result.regressed}; lost unchecked {result.lost - result.missing - result.regressed}"
                  + (f" (oldest acked {result.oldest_lost_s * 1000:.0f} ms before the kill)" if result.lost else "")
                  + ("" if result.ok else "  FAIL"), flush=True)
            for problem in result.problems:
                print("  " + problem, flush=True)
            if facts["records"] is None:
                break  # nothing left to run on
        if server.alive():
            code = server.stop_sigterm()
            if code != 0:
                totals.problems.append(f"progressd exited {code} on the final SIGTERM")
                print(f"  progressd exited {code} on the final SIGTERM", flush=True)
    finally:
        server.close()
    passed = survived == args.cycles and totals.ok
    print(f"total {args.mode}: cycles {survived}/{args.cycles} survived: acked {totals.acked} / "
          f"checked {totals.checked} / missing {totals.missing} / regressed {totals.regressed}; "
          f"lost unchecked {totals.lost - totals.missing - totals.regressed}"
          + (f" (oldest acked {totals.oldest_lost_s * 1000:.0f} ms before a kill)" if totals.lost else "")
          + f" -> {'PASS' if passed else 'FAIL'}", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
