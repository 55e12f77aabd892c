"""Small pieces the cluster suites share: the rendezvous owner of a partition (as the nodes compute
it), free ports, one HTTP call on a new connection, and the figures file."""

import http.client
import json
import os
import socket
import threading

PARTITIONS = 1024
_figures_lock = threading.Lock()


def rendezvous_weight(partition, node_id):
    """store/rendezvous.hpp's weight (docs/cluster.md, "Who should own what")."""
    m = 2**64 - 1
    h = 0xcbf29ce484222325
    for b in partition.to_bytes(4, "little") + node_id.encode():
        h = ((h ^ b) * 0x100000001b3) & m
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & m
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & m
    return h ^ (h >> 33)


def desired_owners(node_ids):
    """{partition: node id}: the rendezvous winner of each partition (the smaller id on a tie)."""
    ids = sorted(node_ids)
    return {p: max(ids, key=lambda n: (rendezvous_weight(p, n), [-ord(c) for c in n])) for p in range(PARTITIONS)}


def free_port_checked(taken=()):
    """A loopback port nothing listens on now (bound, released, then checked by connecting)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port in taken:
            continue
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free loopback port found")


def http_call(port, method, path, body=None, headers=None, token=None, key=None, timeout=10):
    all_headers = dict(headers or {})
    if token is not None:
        all_headers["Authorization"] = "Bearer " + token
    if key is not None:
        all_headers["Authorization"] = "Bearer " + key
    data = body
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=all_headers)
        response = conn.getresponse()
        raw = response.read()
        response_headers = {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()
    parsed = raw
    if "json" in response_headers.get("content-type", ""):
        try:
            parsed = json.loads(raw)
        except ValueError:
            pass
    return response.status, response_headers, parsed


def write_figures(name, figures):
    """Prints the figures and, with PROGRESSD_CLUSTER_FIGURES=path, merges them into that JSON
    file under `name`."""
    print(f"\nfigures {name}: {json.dumps(figures, sort_keys=True)}", flush=True)
    path = os.environ.get("PROGRESSD_CLUSTER_FIGURES")
    if not path:
        return
    with _figures_lock:
        try:
            with open(path) as f:
                everything = json.load(f)
        except (OSError, ValueError):
            everything = {}
        everything[name] = figures
        with open(path, "w") as f:
            json.dump(everything, f, indent=2, sort_keys=True)
            f.write("\n")
