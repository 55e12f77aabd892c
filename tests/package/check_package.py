#!/usr/bin/env python3
"""The Debian package, end to end: built by tools/package from an already built build dir, passed
by lintian, installed with dpkg, its unit accepted by systemd-analyze, its binary started the way
the unit starts it and ready, then removed and purged as Debian expects.

Usage: check_package.py BUILD_DIR   (ctest's `package` entry)

It installs a package on this machine, so it runs as root only, and refuses to touch a progressd
package it did not install. Skipped (exit 77) without root or the tools, except in CI.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNIT = "/lib/systemd/system/progressd.service"
UNIT_BINARY = "/usr/bin/progressd"
ENV_FILE = "/etc/default/progressd"
# What DynamicUser= gives the service: an unprivileged uid with no home and no groups.
NOBODY = 65534
READY_TIMEOUT_S = 20
# systemd-analyze security's exposure score of the unit, at most.
MAX_EXPOSURE = 2.0
SKIP = 77


def log(message):
    print(f"package: {message}", flush=True)


def fail(message):
    raise AssertionError(message)


def run(*args, check=True, **kwargs):
    result = subprocess.run(args, text=True, capture_output=True, **kwargs)
    if check and result.returncode != 0:
        fail(f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def package_status():
    """dpkg's status line for progressd, '' when dpkg knows no such package."""
    result = run("dpkg-query", "-W", "-f=${Status}", "progressd", check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def preconditions():
    """None when the test can run; else why not."""
    if os.geteuid() != 0:
        return "dpkg -i needs root"
    tools = ["dpkg-deb", "dpkg-shlibdeps", "lintian", "help2man", "systemd-analyze", "setpriv", "cpack"]
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} missing: run tools/setup"
    return None


# --- the package file --------------------------------------------------------------------------

def build_package(build_dir):
    started = time.monotonic()
    result = run(os.path.join(REPO, "tools", "package"), "--no-build", build_dir)
    deb = result.stdout.strip().splitlines()[-1]
    log(f"built {deb} in {time.monotonic() - started:.1f} s")
    return deb


def check_fields(deb, build_dir):
    fields = {}
    for name in ("Package", "Version", "Depends", "Section", "Priority", "Maintainer", "Description"):
        fields[name] = run("dpkg-deb", "-f", deb, name).stdout.strip()
        if not fields[name]:
            fail(f"the package has no {name} field")
    # The libraries the binaries link, found by dpkg-shlibdeps: without them dpkg -i would accept
    # the package on a machine where progressd cannot start.
    for library in ("libc6", "libstdc++6", "libssl3", "liblmdb0", "libpq5", "libboost-json1.81.0"):
        if not re.search(rf"(^|, ){re.escape(library)}\b", fields["Depends"]):
            fail(f"Depends lacks {library}: {fields['Depends']}")
    # The version is the one the binary prints.
    printed = run(os.path.join(build_dir, "server", "progressd"), "--version").stdout.split()[-1]
    if not fields["Version"].startswith(printed + "-"):
        fail(f"package version {fields['Version']} is not progressd --version's {printed}")
    log(f"fields: {fields['Package']} {fields['Version']}, Depends: {fields['Depends']}")


def check_contents(deb):
    listing = run("dpkg-deb", "-c", deb).stdout
    paths = {line.split()[-1].lstrip(".") for line in listing.splitlines()}
    for path in ("/usr/bin/progressd", "/usr/bin/progressctl", UNIT, ENV_FILE,
                 "/usr/share/man/man1/progressd.1.gz", "/usr/share/man/man1/progressctl.1.gz",
                 "/usr/share/doc/progressd/copyright", "/usr/share/doc/progressd/changelog.Debian.gz"):
        if path not in paths:
            fail(f"the package lacks {path}")
    with tempfile.TemporaryDirectory() as control:
        run("dpkg-deb", "-e", deb, control)
        with open(os.path.join(control, "conffiles")) as file:
            if ENV_FILE not in file.read().split():
                fail(f"{ENV_FILE} is not a conffile: an upgrade would overwrite the admin's settings")


def start_lintian(deb):
    """lintian takes half the test's time: it runs while the package is installed and served."""
    # Warnings fail too: each one kept is overridden in deploy/debian/lintian-overrides, with why.
    return subprocess.Popen(["lintian", "--fail-on", "error,warning", "--info", deb],
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def check_lintian(lintian):
    output, _ = lintian.communicate()
    # Its only other line: "running with root privileges is not recommended!"
    output = "\n".join(line for line in output.splitlines() if "root privileges" not in line)
    if lintian.returncode != 0:
        fail(f"lintian exited {lintian.returncode}:\n{output}")
    log("lintian: no error, no warning" + (f"\n{output}" if output else ""))


def check_env_file_against_help(build_dir):
    """/etc/default/progressd names every PROGRESSD_* variable of `progressd --help`, commented with
    the default --help prints: a flag added to the server without a line there fails here."""
    help_text = run(os.path.join(build_dir, "server", "progressd"), "--help").stdout
    defaults = {}
    # "  --shards UINT:UINT in [1 - 65536]=64 (Env:PROGRESSD_SHARDS)": the default follows the last =.
    for match in re.finditer(r"^\s+--\S+ (.*?) \(Env:(PROGRESSD_\w+)\)$", help_text, re.M):
        kind, name = match.groups()
        defaults[name] = kind.rpartition("=")[2] if "=" in kind else ""
    if len(defaults) < 10:
        fail(f"found only {len(defaults)} variables in progressd --help: has its format changed?\n{help_text}")
    with open(os.path.join(REPO, "deploy", "debian", "default")) as file:
        lines = [line.strip() for line in file]
    in_file = {}
    for line in lines:
        match = re.fullmatch(r"#?(PROGRESSD_\w+)=(.*)", line)
        if match:
            in_file[match.group(1)] = (line.startswith("#"), match.group(2))
    missing = sorted(set(defaults) - set(in_file))
    unknown = sorted(set(in_file) - set(defaults))
    if missing or unknown:
        fail(f"deploy/debian/default: missing {missing}, not in progressd --help {unknown}")
    for name, default in defaults.items():
        commented, value = in_file[name]
        # The thread count's default is the machine's; the data dir is the service's own.
        if name in ("PROGRESSD_THREADS", "PROGRESSD_DATA_DIR"):
            continue
        if not commented or value != default:
            fail(f"deploy/debian/default: expected #{name}={default} (progressd --help), got "
                 f"{'#' if commented else ''}{name}={value}")
    return defaults


# --- the unit ----------------------------------------------------------------------------------

def parse_unit(path):
    """The [Service] section as {key: [values]}, in order (systemd allows repeated keys)."""
    service = {}
    section = None
    with open(path) as file:
        for raw in file:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]":
                key, _, value = line.partition("=")
                service.setdefault(key.strip(), []).append(value.strip())
    return service


def parse_env_file(path):
    """An EnvironmentFile= as systemd reads it: KEY=VALUE lines, # and ; comments, optional quotes."""
    env = {}
    with open(path) as file:
        for raw in file:
            line = raw.strip()
            if not line or line[0] in "#;" or "=" not in line:
                continue
            key, _, value = line.partition("=")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            env[key.strip()] = value
    return env


def check_systemd_analyze(unit):
    """systemd-analyze verify prints, but does not fail on, an unknown key or a bad value: any
    output is a failure. A broken copy proves it validates here (no running systemd needed)."""
    # verify also runs `man` on Documentation=: not where dpkg is told to skip man pages
    # (path-exclude in /etc/dpkg/dpkg.cfg.d/, as in Debian's slim container images).
    man = [] if os.path.exists("/usr/share/man/man1/progressd.1.gz") else ["--man=no"]
    if man:
        log("systemd-analyze verify --man=no: dpkg did not install the man pages here")

    def verify(path):
        result = run("systemd-analyze", "verify", *man, path, check=False)
        return result.returncode, (result.stdout + result.stderr).strip()

    code, output = verify(unit)
    if code != 0 or output:
        fail(f"systemd-analyze verify {unit}: exit {code}\n{output}")
    with tempfile.TemporaryDirectory() as scratch:
        broken = os.path.join(scratch, "progressd.service")
        with open(unit) as source, open(broken, "w") as target:
            target.write(source.read().replace("ProtectSystem=strict", "ProtectSystem=sometimes"))
        code, output = verify(broken)
        if code == 0 and not output:
            fail("systemd-analyze verify accepted ProtectSystem=sometimes: it does not validate here")
    log("systemd-analyze verify: accepted (and a broken copy rejected)")
    # Its hardening, as systemd scores it (0 best, 10 worst; 1.4 when written): a setting dropped
    # or loosened by a later change shows here. The threshold is in tenths.
    result = run("systemd-analyze", "security", *man, "--offline=yes", f"--threshold={int(MAX_EXPOSURE * 10)}",
                 unit, check=False)
    score = re.search(r"Overall exposure level for \S+: (\S+)", result.stdout)
    if result.returncode != 0 or not score:
        fail(f"systemd-analyze security: exposure above {MAX_EXPOSURE}:\n{result.stdout}{result.stderr}")
    log(f"systemd-analyze security: exposure {score.group(1)} (at most {MAX_EXPOSURE})")


def check_unit_settings(service, env, defaults):
    expected = {"DynamicUser": "yes", "StateDirectory": "progressd", "ProtectSystem": "strict",
                "NoNewPrivileges": "yes", "Restart": "on-failure", "EnvironmentFile": "-" + ENV_FILE}
    for key, value in expected.items():
        if value not in service.get(key, []):
            fail(f"the unit's {key}= is {service.get(key)}, expected {value}")
    # A descriptor per connection: well above --max-connections' default of 10000.
    if int(service["LimitNOFILE"][-1]) < 65536:
        fail(f"LimitNOFILE={service['LimitNOFILE'][-1]}: the server holds a descriptor per connection")
    # Stop must outlast the longest drain the environment file allows, and the flush after it.
    stop_s = int(service["TimeoutStopSec"][-1].rstrip("s"))
    drains = {name: int(env.get(name) or defaults.get(name) or 0)
              for name in ("PROGRESSD_DRAIN_SECONDS", "PROGRESSD_DRAIN_MAX_SECONDS")}
    if stop_s < max(drains.values()) + 10:
        fail(f"TimeoutStopSec={stop_s} leaves less than 10 s for the flush after the drain {drains}")


# --- the installed server, started as the unit starts it ---------------------------------------

def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_as_unit(service, scratch):
    """The unit's ExecStart with its Environment= and EnvironmentFile= variables, as an unprivileged
    uid; only the listen port and the data dir differ (a free port, a temp dir)."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    for assignment in service.get("Environment", []):
        for item in assignment.split():
            key, _, value = item.partition("=")
            env[key] = value
    for path in service.get("EnvironmentFile", []):
        optional = path.startswith("-")
        path = path.lstrip("-")
        if os.path.exists(path):
            env.update(parse_env_file(path))
        elif not optional:
            fail(f"the unit's EnvironmentFile {path} is missing")
    if env.get("PROGRESSD_DATA_DIR") != "/var/lib/progressd":
        fail(f"the service's data dir is {env.get('PROGRESSD_DATA_DIR')}, not its StateDirectory /var/lib/progressd")
    host = env.get("PROGRESSD_LISTEN", "127.0.0.1:8080").rpartition(":")[0]
    if host != "127.0.0.1":
        fail(f"the default listen address is {env.get('PROGRESSD_LISTEN')}, expected loopback")
    port = free_port()
    env["PROGRESSD_LISTEN"] = f"{host}:{port}"
    data_dir = os.path.join(scratch, "state")
    os.mkdir(data_dir, 0o700)
    os.chown(data_dir, NOBODY, NOBODY)
    env["PROGRESSD_DATA_DIR"] = data_dir

    command = service["ExecStart"][-1].lstrip("-@:+!").split()
    if command[0] != UNIT_BINARY:
        fail(f"ExecStart runs {command[0]}, not the packaged {UNIT_BINARY}")
    log(f"starting {' '.join(command)} as uid {NOBODY} on port {port}")
    log_file = open(os.path.join(scratch, "progressd.log"), "w+")
    process = subprocess.Popen(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--no-new-privs", *command],
        env=env, cwd="/", stdout=log_file, stderr=subprocess.STDOUT,
        umask=int(service.get("UMask", ["0022"])[-1], 8))
    return process, port, log_file


def wait_ready(process, port, log_file):
    deadline = time.monotonic() + READY_TIMEOUT_S
    status = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                status = answer.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = None
        if status == 200:
            return
        time.sleep(0.1)
    log_file.seek(0)
    fail(f"no /readyz 200 within {READY_TIMEOUT_S} s (last: {status}, exit: {process.poll()}):\n{log_file.read()}")


def stop(process):
    """SIGTERM drains; a second skips the rest of the drain. A clean stop exits 0."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


# --- install, remove, purge --------------------------------------------------------------------

class no_service_start:
    """Where systemd runs, postinst would start the real service on its real port: a policy-rc.d
    that forbids it (as Debian's build chroots and container images do) while the test installs,
    only if the machine has none of its own."""
    PATH = "/usr/sbin/policy-rc.d"

    def __enter__(self):
        self.made = os.path.isdir("/run/systemd/system") and not os.path.exists(self.PATH)
        if self.made:
            with open(self.PATH, "w") as file:
                file.write("#!/bin/sh\n# Written by progressd's tests/package/check_package.py.\nexit 101\n")
            os.chmod(self.PATH, 0o755)
        return self

    def __exit__(self, *exc):
        if self.made:
            os.unlink(self.PATH)


def installed_paths():
    return [path for path in ("/usr/bin/progressd", "/usr/bin/progressctl", UNIT, ENV_FILE,
                              "/usr/share/man/man1/progressd.1.gz") if os.path.lexists(path)]


def unit_links():
    """Symlinks to the unit under /etc/systemd/system (enablement, a mask)."""
    found = []
    for root, dirs, files in os.walk("/etc/systemd/system"):
        found += [os.path.join(root, name) for name in files + dirs if name == "progressd.service"]
    return found


def check_remove_and_purge():
    run("dpkg", "-r", "progressd")
    left = installed_paths()
    if left != [ENV_FILE]:
        fail(f"after dpkg -r: expected only the conffile {ENV_FILE} left, found {left}")
    if not package_status().endswith("config-files"):
        fail(f"after dpkg -r, dpkg says '{package_status()}', expected config-files")
    run("dpkg", "-P", "progressd")
    if installed_paths() or unit_links() or package_status() not in ("", "unknown ok not-installed"):
        fail(f"after dpkg -P: left {installed_paths() + unit_links()}, dpkg says '{package_status()}'")
    log("dpkg -r kept the conffile only; dpkg -P left nothing")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    build_dir = os.path.abspath(sys.argv[1])
    why_not = preconditions()
    if why_not:
        if os.environ.get("CI") == "true":
            print(f"package: FAILED: {why_not}", file=sys.stderr)
            return 1
        print(f"package: skipped: {why_not}", file=sys.stderr)
        return SKIP
    status = package_status()
    if status and status != "unknown ok not-installed":
        print(f"package: FAILED: refusing to run: dpkg already has a progressd package ({status});"
              " remove it with dpkg -P progressd first", file=sys.stderr)
        return 1

    started = time.monotonic()
    deb = build_package(build_dir)
    check_fields(deb, build_dir)
    check_contents(deb)
    defaults = check_env_file_against_help(build_dir)
    lintian = start_lintian(deb)

    installed = False
    process = None
    try:
        with no_service_start():
            run("dpkg", "-i", deb)
        installed = True
        log("dpkg -i: installed")
        check_systemd_analyze(UNIT)
        service = parse_unit(UNIT)
        check_unit_settings(service, parse_env_file(ENV_FILE), defaults)
        with tempfile.TemporaryDirectory() as scratch:
            os.chmod(scratch, 0o755)
            process, port, log_file = start_as_unit(service, scratch)
            wait_ready(process, port, log_file)
            log(f"/readyz answered 200 on port {port}")
            code = stop(process)
            if code != 0:
                log_file.seek(0)
                fail(f"progressd exited {code} after SIGTERM:\n{log_file.read()}")
            log_file.close()
        check_remove_and_purge()
        installed = False
        check_lintian(lintian)
    finally:
        if lintian.poll() is None:
            lintian.kill()
            lintian.wait()
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        if installed or package_status() not in ("", "unknown ok not-installed"):
            subprocess.run(["dpkg", "-P", "progressd"], capture_output=True)
    log(f"passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as error:
        print(f"package: FAILED: {error}", file=sys.stderr)
        sys.exit(1)
