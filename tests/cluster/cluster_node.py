"""One node of a ClusterRig: a ProgressdServer of the e2e fixture (its stderr drain, log events,
signals and HTTP client) run with the cluster flags on a fixed port."""

import http.client

import progressd_fixture
from progressd_fixture import ProgressdServer


class ClusterNode(ProgressdServer):
    """One cluster node: a ProgressdServer (its stderr drain, events, signals, HTTP client) run with
    the cluster flags on a fixed port."""

    def __init__(self, rig, index, port, durability, extra_args):
        self.rig = rig
        self.index = index
        self.node_id = f"node{index}"
        self.fixed_port = port
        super().__init__(durability=durability, extra_args=extra_args)

    def command(self):
        args = [progressd_fixture.PROGRESSD, "--store", "postgres", "--postgres-url", self.rig.url,
                "--listen", f"127.0.0.1:{self.fixed_port}", "--node-id", self.node_id,
                "--advertise-url", f"http://127.0.0.1:{self.fixed_port}",
                "--lease-ms", str(self.rig.lease_ms),
                "--jwt-hs256-secret-file", self.rig.secret_file, "--api-keys-file", self.rig.keys_file,
                "--data-dir", self.data_dir, "--durability", self.durability]
        for flag, value in (("--threads", "2"), ("--drain-seconds", "0")):
            if flag not in self.extra_args:
                args += [flag, value]
        return args + self.extra_args

    def user_token(self, user, ttl_seconds=None):
        return self.rig.user_token(user, ttl_seconds)

    def hs256_secret(self):
        return self.rig.hs256_secret()

    def readyz(self, timeout=2):
        """/readyz's status on a new connection, or None when the node does not answer."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", "/readyz")
            response = conn.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    def metric(self, name):
        """The sum of a metric's samples in /metrics (None when absent or unreachable)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()
        total, seen = 0.0, False
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
                seen = True
        return total if seen else None

    def log_tail(self, lines=30):
        return "\n".join(self.stderr_lines[-lines:])
