# bench/servers.sh: what bench/compare, bench/scaling, bench/instructions and bench/flush-impact need to start a server
# and measure it.
# Sourced, never run. SERVER_PID is the running server's (set by the caller's start function).

# print_help SCRIPT: the script's header comment (from line 2 to the first line that is not a
# comment), without the comment marks: what --help prints.
print_help() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$1"; }

# http_status URL: the answer's status code, 000 when nothing answered within 0.2 s. curl where it is
# installed; python3 otherwise (a device machine may have no curl).
http_status() {
  if command -v curl > /dev/null; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 0.2 "$1"
  else
    python3 - "$1" <<'EOF' 2>/dev/null || echo 000
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=0.2).status)
except urllib.error.HTTPError as e:
    print(e.code)
EOF
  fi
}

# wait_up URL [SECONDS]: true once the server answers anything over HTTP (within SECONDS, default
# 10), false if it died first.
wait_up() {
  local code; for _ in $(seq $((${2:-10} * 10))); do
    code=$(http_status "$1"); [ "$code" != 000 ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || return 1; sleep 0.1; done; return 1
}

# free_port: a loopback TCP port nothing listens on now (the kernel's pick for port 0). The scripts
# start their servers there unless PORT is set: a fixed port fails the run whenever a stray process
# holds it.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# apt_install PACKAGE...: installs them (Debian), as root or with sudo.
apt_install() {
  local sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$@" > /dev/null
}

# stop_server: SIGTERM to the server, wait for it, forget it.
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
}

# write_nginx_conf DIR PORT WORKERS: the harness ceiling, `return 200` on /v1/progress with the body read
# and dropped; keep-alive for the whole run, nothing logged.
write_nginx_conf() {
  local dir=$1 port=$2 workers=$3
  mkdir -p "$dir"
  cat > "$dir/nginx.conf" <<EOF
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off; keepalive_requests 10000000; keepalive_timeout 65s;
  client_body_buffer_size 16k; client_max_body_size 64k; client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy; fastcgi_temp_path $dir/fcgi;
  uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;
  default_type application/json;
  server { listen 127.0.0.1:$port backlog=4096 reuseport; location = /v1/progress { return 200 '{"ok":true}\n'; } }
}
EOF
}

# with_children PID: PID and the processes whose parent it is (nginx's workers), from /proc.
with_children() {
  echo "$1"
  awk -v p="$1" '$4 == p { print $1 }' /proc/[0-9]*/stat 2>/dev/null
}

# ticks PID...: user+system CPU of those processes (all their threads), in clock ticks.
ticks() { local t=0 p f; for p in "$@"; do read -r -a f < "/proc/$p/stat" 2>/dev/null || continue
          t=$((t + f[13] + f[14])); done; echo "$t"; }

# busy: CPU ticks the whole box has spent, from /proc/stat.
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }

# wait_idle SECONDS PID...: true once those processes (all their threads) used at most one clock
# tick in half a second (2 % of a core at 100 Hz), false if SECONDS passed first. Between runs
# against servers kept up, so that one server's background work (a persister flushing the last
# run's records) is not billed to the next run.
wait_idle() {
  local limit=$1 t0 i; shift
  for ((i = 0; i < limit * 2; i++)); do
    t0=$(ticks "$@"); sleep 0.5
    [ $(( $(ticks "$@") - t0 )) -le 1 ] && return 0
  done; return 1
}

# server_figures PID URL: "RECORDS RSS_BYTES ANON_BYTES DIRTY": progressd_records,
# process_resident_memory_bytes and progressd_dirty_records (changes not yet written: how far the
# persister is behind) from URL/metrics, and RssAnon (the heap, without file mappings such as
# LMDB's) from /proc/PID/status; "-" for what a server does not report (peers have no /metrics).
server_figures() {
  local anon; anon=$(awk '/^RssAnon:/ { printf "%.0f", $2 * 1024 }' "/proc/$1/status" 2>/dev/null)
  python3 - "$2/metrics" "${anon:--}" <<'EOF'
import sys, urllib.request
wanted = {"progressd_records": "-", "process_resident_memory_bytes": "-", "progressd_dirty_records": "-"}
try:
    for line in urllib.request.urlopen(sys.argv[1], timeout=5).read().decode().splitlines():
        name, _, value = line.partition(" ")
        if name in wanted:
            wanted[name] = str(int(float(value)))
except Exception:
    pass
print(wanted["progressd_records"], wanted["process_resident_memory_bytes"], sys.argv[2],
      wanted["progressd_dirty_records"])
EOF
}
