#!/usr/bin/env bash
# Runs a local Steadfast cluster on this machine: one H2 TCP server (the shared journal) and
# N nodes, each its own JVM, all bound to 127.0.0.1. Run with no arguments for usage.
set -euo pipefail

readonly HOST=127.0.0.1
readonly MAIN_CLASS=io.steadfast.Main
readonly H2_CLASS=org.h2.tools.Server
readonly DEFAULT_NODES=3
# More nodes than this on one machine only makes JVMs fight for memory and CPU.
readonly MAX_NODES=20
readonly STOP_TIMEOUT_S=30
readonly H2_START_TIMEOUT_S=30

# The checkout is this script's parent directory, wherever the script is called from.
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CHECKOUT=$(dirname "$SCRIPT_DIR")
readonly SCRIPT_DIR CHECKOUT

RUN_DIR=${STEADFAST_RUN_DIR:-$CHECKOUT/run}
# Nodes get the run dir as a -D option and must see the same directory whatever their cwd.
[[ $RUN_DIR == /* ]] || RUN_DIR=$PWD/$RUN_DIR
readonly RUN_DIR
readonly PID_DIR=$RUN_DIR/pids
readonly LOG_DIR=$RUN_DIR/logs
readonly H2_DIR=$RUN_DIR/h2
readonly SIZE_FILE=$RUN_DIR/cluster-size
readonly OFFSET_FILE=$RUN_DIR/port-offset

PORT_OFFSET=${STEADFAST_PORT_OFFSET:-0}
readonly JAVA_OPTS=${STEADFAST_JAVA_OPTS:--Xmx384m}
readonly READY_TIMEOUT_S=${STEADFAST_READY_TIMEOUT:-90}

readonly NODE_JAR=$CHECKOUT/cluster-node/target/cluster-node.jar
readonly LIB_DIR=$CHECKOUT/cluster-node/target/lib

usage() {
  cat <<EOF
Usage: ${0##*/} <command> [argument]

Commands:
  start [N]       build if needed, start the H2 server and N nodes (default $DEFAULT_NODES), wait until ready
  stop            stop every node gracefully (SIGTERM, SIGKILL after ${STOP_TIMEOUT_S} s), then the H2 server
  kill I          SIGKILL node I (simulates a crash)
  start-node I    start node I again with the cluster's seed list and wait until it is ready
  status          process and readiness of each node and of the H2 server; cluster members
  logs I|h2       follow the log of node I or of the H2 server
  help            this text

Node I listens on $HOST: API 8080+I, management 8560+I, remoting 2550+I; the H2 server on 9092.

Environment:
  STEADFAST_PORT_OFFSET   added to every port (default 0); give a second cluster its own
                          offset and its own STEADFAST_RUN_DIR
  STEADFAST_RUN_DIR       pids, logs and database (default: $CHECKOUT/run)
  STEADFAST_JAVA_OPTS     JVM options of each node (default: -Xmx384m)
  STEADFAST_READY_TIMEOUT seconds to wait for nodes to become ready (default: 90)
EOF
}

# --- output -------------------------------------------------------------------------------------

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

note() {
  echo "cluster.sh: $*" >&2
}

# --- checks -------------------------------------------------------------------------------------

require_tool() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not installed${2:+ ($2)}"
}

is_uint() {
  [[ $1 =~ ^[0-9]+$ ]]
}

# Node numbers are 1-based; ${2} is the cluster size they must not exceed.
require_node_number() {
  local i=$1 n=$2
  if ! is_uint "$i" || ((10#$i < 1 || 10#$i > n)); then
    die "node number must be between 1 and $n, got '$i'"
  fi
}

# --- ports --------------------------------------------------------------------------------------

api_port() { echo $((8080 + $1 + PORT_OFFSET)); }
mgmt_port() { echo $((8560 + $1 + PORT_OFFSET)); }
remoting_port() { echo $((2550 + $1 + PORT_OFFSET)); }
h2_port() { echo $((9092 + PORT_OFFSET)); }
h2_url() { echo "jdbc:h2:tcp://$HOST:$(h2_port)/steadfast;DATABASE_TO_UPPER=false"; }

# True if something listens on the TCP port (on any address, so a wildcard listener counts too).
port_in_use() {
  local port=$1
  if command -v ss >/dev/null 2>&1; then
    [[ -n $(ss -Htln "sport = :$port") ]]
  else
    (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null
  fi
}

node_ports() {
  echo "$(api_port "$1") $(mgmt_port "$1") $(remoting_port "$1")"
}

require_ports_free() {
  local port busy=()
  for port in "$@"; do
    if port_in_use "$port"; then busy+=("$port"); fi
  done
  ((${#busy[@]} == 0)) ||
    die "port(s) already in use: ${busy[*]} (another cluster? set STEADFAST_PORT_OFFSET to move this one)"
}

# --- HTTP ---------------------------------------------------------------------------------------

# Prints the HTTP status of a local URL (000 if nothing answers). --noproxy: a proxy set in the
# environment must never see (or answer for) loopback traffic.
http_status() {
  curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 2 "$1" || true
}

node_ready() {
  [[ $(http_status "http://$HOST:$(mgmt_port "$1")/ready") == 200 ]]
}

# --- pid files ----------------------------------------------------------------------------------

pid_file() { echo "$PID_DIR/$1.pid"; }
log_file() { echo "$LOG_DIR/$1.log"; }

# Prints the pid recorded for a process name (node-1, h2), or nothing.
recorded_pid() {
  local file pid
  file=$(pid_file "$1")
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  if is_uint "$pid"; then echo "$pid"; fi
}

# The marker a process's command line must contain to be ours: pids get reused, so a pid file
# alone never justifies a signal. The run dir in the marker keeps two clusters apart.
process_marker() {
  case $1 in
    h2) echo "$H2_CLASS" ;;
    *) echo "$MAIN_CLASS" ;;
  esac
}

process_dir_marker() {
  case $1 in
    h2) echo "-baseDir $H2_DIR" ;;
    *) echo "-Dsteadfast.run-dir=$RUN_DIR" ;;
  esac
}

# True if pid is alive (not a zombie) and is the java process started for this name.
is_our_process() {
  local name=$1 pid=$2 stat comm args
  stat=$(ps -o stat= -p "$pid" 2>/dev/null) || return 1
  [[ $stat != Z* ]] || return 1
  comm=$(ps -o comm= -p "$pid" 2>/dev/null) || return 1
  [[ $comm == java ]] || return 1
  args=$(ps -ww -o args= -p "$pid" 2>/dev/null) || return 1
  [[ $args == *"$(process_marker "$name")"* && $args == *"$(process_dir_marker "$name")"* ]]
}

# Prints the pid of the named process if it is running, or nothing.
running_pid() {
  local pid
  pid=$(recorded_pid "$1")
  if [[ -n $pid ]] && is_our_process "$1" "$pid"; then echo "$pid"; fi
}

is_gone() {
  local stat
  stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
  [[ $stat == Z* ]]
}

# Waits until every pid has exited; returns non-zero if some remain after $1 seconds.
wait_gone() {
  local timeout_s=$1 pid deadline
  shift
  deadline=$((SECONDS + timeout_s))
  while true; do
    local alive=()
    for pid in "$@"; do
      is_gone "$pid" || alive+=("$pid")
    done
    ((${#alive[@]} == 0)) && return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# SIGTERM the named processes, wait for them, SIGKILL what is left. Only pids from our pid files
# that pass is_our_process are signalled; a stale pid file is just removed.
terminate() {
  local label=$1 name pid
  shift
  local pids=()
  for name in "$@"; do
    pid=$(recorded_pid "$name")
    if [[ -n $pid ]] && is_our_process "$name" "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    elif [[ -f $(pid_file "$name") ]]; then
      note "$name was not running (stale pid file removed)"
    fi
  done
  if ((${#pids[@]} > 0)); then
    echo "Stopping $label (pid ${pids[*]}) ..."
    if ! wait_gone "$STOP_TIMEOUT_S" "${pids[@]}"; then
      for pid in "${pids[@]}"; do
        if ! is_gone "$pid"; then
          note "pid $pid did not exit within ${STOP_TIMEOUT_S} s; sending SIGKILL"
          kill -KILL "$pid" 2>/dev/null || true
        fi
      done
      wait_gone 10 "${pids[@]}" || note "some of pid ${pids[*]} are still alive"
    fi
  fi
  for name in "$@"; do rm -f "$(pid_file "$name")"; done
}

# --- cluster state ------------------------------------------------------------------------------

# Names of every process with a pid file, nodes first, h2 last.
recorded_names() {
  local file name names=()
  for file in "$PID_DIR"/node-*.pid; do
    [[ -e $file ]] || continue
    name=${file##*/}
    names+=("${name%.pid}")
  done
  [[ -e $(pid_file h2) ]] && names+=(h2)
  if ((${#names[@]} > 0)); then printf '%s\n' "${names[@]}"; fi
}

cluster_size() {
  [[ -f $SIZE_FILE ]] || die "no cluster has been started from $RUN_DIR (run: ${0##*/} start)"
  local n
  n=$(<"$SIZE_FILE")
  is_uint "$n" || die "$SIZE_FILE is corrupt"
  echo "$n"
}

# The running cluster's ports follow the offset it was started with, whatever the environment says.
use_recorded_offset() {
  [[ -f $OFFSET_FILE ]] || return 0
  local recorded
  recorded=$(<"$OFFSET_FILE")
  is_uint "$recorded" || die "$OFFSET_FILE is corrupt"
  if [[ -n ${STEADFAST_PORT_OFFSET:-} && $STEADFAST_PORT_OFFSET != "$recorded" ]]; then
    note "using port offset $recorded recorded in $RUN_DIR (STEADFAST_PORT_OFFSET=$STEADFAST_PORT_OFFSET ignored)"
  fi
  PORT_OFFSET=$recorded
}

# --- build --------------------------------------------------------------------------------------

# Prints why the node jar needs a build (it is missing, or the first source, config or pom file
# newer than it); prints nothing if the jar is up to date.
stale_input() {
  [[ -f $NODE_JAR ]] || { echo "${NODE_JAR#"$CHECKOUT"/} is missing"; return 0; }
  local srcs=() poms=() f newer
  for f in "$CHECKOUT"/*/src; do [[ -d $f ]] && srcs+=("$f"); done
  for f in "$CHECKOUT"/pom.xml "$CHECKOUT"/*/pom.xml; do [[ -f $f ]] && poms+=("$f"); done
  # head may close the pipe before find is done; that is not a failure.
  newer=$({
    ((${#srcs[@]} == 0)) || find "${srcs[@]}" -type f -newer "$NODE_JAR" -print
    # The config module packages its top-level *.conf, *.xml and *.sql files.
    find "$CHECKOUT/config" -maxdepth 1 -type f \( -name '*.conf' -o -name '*.xml' -o -name '*.sql' \) \
      -newer "$NODE_JAR" -print
    ((${#poms[@]} == 0)) || find "${poms[@]}" -newer "$NODE_JAR" -print
  } 2>/dev/null | head -n 1 || true)
  if [[ -n $newer ]]; then echo "${newer#"$CHECKOUT"/} is newer than the jar"; fi
}

ensure_built() {
  local reason
  reason=$(stale_input)
  if [[ -n $reason ]]; then
    require_tool mvn "needed to build the node"
    echo "Building ($reason): mvn -B -q install -DskipTests ..."
    (cd "$CHECKOUT" && mvn -B -q install -DskipTests) || die "build failed; see the Maven output above"
  fi
  [[ -f $NODE_JAR ]] || die "$NODE_JAR not found after the build"
  h2_jar >/dev/null
}

h2_jar() {
  local jars=("$LIB_DIR"/h2-*.jar)
  [[ -f ${jars[0]} ]] || die "no h2-*.jar in $LIB_DIR (run: mvn -B -q install -DskipTests)"
  echo "${jars[0]}"
}

# --- starting processes -------------------------------------------------------------------------

start_h2() {
  local log pid
  log=$(log_file h2)
  mkdir -p "$H2_DIR"
  # h2.bindAddress: without it H2 listens on every interface (and only refuses remote clients
  # after accepting them); with it the port is opened on loopback only.
  nohup java -Xmx256m -Dh2.bindAddress="$HOST" -cp "$(h2_jar)" "$H2_CLASS" \
    -tcp -tcpPort "$(h2_port)" -baseDir "$H2_DIR" -ifNotExists >"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$(pid_file h2)"
  wait_for_h2 "$pid" "$log"
}

wait_for_h2() {
  local pid=$1 log=$2 deadline=$((SECONDS + H2_START_TIMEOUT_S))
  until port_in_use "$(h2_port)"; do
    # Not is_our_process: just forked, the process may not have exec'd java yet; only an exit counts.
    ! is_gone "$pid" || die "the H2 server exited during start-up; see $log"
    ((SECONDS < deadline)) || die "the H2 server did not open port $(h2_port) within ${H2_START_TIMEOUT_S} s; see $log"
    sleep 0.5
  done
}

# Starts node i of an n-node cluster in the background; its output goes to its log (appended
# when $3 is "append", so the log of a killed node survives its restart).
launch_node() {
  local i=$1 n=$2 mode=${3:-truncate} log j
  log=$(log_file "node-$i")
  local java_opts
  read -r -a java_opts <<<"$JAVA_OPTS"
  # Every node lists every node as a seed, node 1 first: node 1 forms the cluster when it starts
  # first, and any restarted node joins whichever seed answers.
  local seeds=()
  for ((j = 1; j <= n; j++)); do
    seeds+=("-Dpekko.cluster.seed-nodes.$((j - 1))=pekko://steadfast@$HOST:$(remoting_port "$j")")
  done
  if [[ $mode == append ]]; then
    echo "=== cluster.sh start-node $i at $(date -u +%Y-%m-%dT%H:%M:%SZ) ===" >>"$log"
  else
    : >"$log"
  fi
  nohup java "${java_opts[@]}" -cp "$NODE_JAR:$LIB_DIR/*" \
    -Dsteadfast.run-dir="$RUN_DIR" \
    -Dsteadfast.node.host="$HOST" \
    -Dsteadfast.node.remoting-port="$(remoting_port "$i")" \
    -Dsteadfast.node.http-port="$(api_port "$i")" \
    -Dsteadfast.node.management-port="$(mgmt_port "$i")" \
    -Dsteadfast.db.url="$(h2_url)" \
    "${seeds[@]}" \
    "$MAIN_CLASS" >>"$log" 2>&1 </dev/null &
  echo "$!" >"$(pid_file "node-$i")"
}

# Waits until every listed node answers /ready with 200. Stops early if a node's process exits.
# On failure names the nodes that are not ready and returns non-zero; it never stops anything.
wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT_S)) i pid
  local pending=("$@")
  while ((${#pending[@]} > 0)); do
    local still=()
    for i in "${pending[@]}"; do
      if node_ready "$i"; then continue; fi
      # As in wait_for_h2: a node just launched may not be java yet, so only its exit counts.
      pid=$(recorded_pid "node-$i")
      if [[ -z $pid ]] || is_gone "$pid"; then
        note "node $i exited during start-up; see $(log_file "node-$i")"
        tail -n 5 "$(log_file "node-$i")" >&2 || true
        return 1
      fi
      still+=("$i")
    done
    pending=("${still[@]+"${still[@]}"}")
    ((${#pending[@]} == 0)) && break
    if ((SECONDS >= deadline)); then
      for i in "${pending[@]}"; do
        note "node $i is not ready after ${READY_TIMEOUT_S} s; see $(log_file "node-$i")"
      done
      note "processes are left running; inspect them with '${0##*/} status', end them with '${0##*/} stop'"
      return 1
    fi
    sleep 1
  done
}

print_node() {
  local i=$1
  printf '  node %-3s API http://%s:%s/api/v1   management http://%s:%s   pid %s\n' \
    "$i" "$HOST" "$(api_port "$i")" "$HOST" "$(mgmt_port "$i")" "$(running_pid "node-$i")"
}

# --- commands -----------------------------------------------------------------------------------

cmd_start() {
  local n=${1:-$DEFAULT_NODES} i name
  if ! is_uint "$n" || ((10#$n < 1 || 10#$n > MAX_NODES)); then
    die "node count must be between 1 and $MAX_NODES, got '$n'"
  fi
  n=$((10#$n))
  is_uint "$PORT_OFFSET" || die "STEADFAST_PORT_OFFSET must be a non-negative number, got '$PORT_OFFSET'"
  require_tool java
  require_tool curl

  while read -r name; do
    [[ -z $name ]] && continue
    if [[ -n $(running_pid "$name") ]]; then
      die "$name is already running (pid $(running_pid "$name")) from $RUN_DIR; use '${0##*/} status' or '${0##*/} stop'"
    fi
    rm -f "$(pid_file "$name")" # stale: its process is gone
  done < <(recorded_names)

  ensure_built

  local ports=("$(h2_port)") node_port_list
  for ((i = 1; i <= n; i++)); do
    read -r -a node_port_list <<<"$(node_ports "$i")"
    ports+=("${node_port_list[@]}")
  done
  require_ports_free "${ports[@]}"

  mkdir -p "$PID_DIR" "$LOG_DIR" "$H2_DIR"
  echo "$n" >"$SIZE_FILE"
  echo "$PORT_OFFSET" >"$OFFSET_FILE"

  local started=$SECONDS
  echo "Starting the H2 server on $HOST:$(h2_port) ..."
  start_h2
  echo "Starting $n node(s) ..."
  local nodes=()
  for ((i = 1; i <= n; i++)); do
    launch_node "$i" "$n"
    nodes+=("$i")
  done
  echo "Waiting up to ${READY_TIMEOUT_S} s for every node to be ready ..."
  wait_ready "${nodes[@]}" || exit 1

  echo "Cluster of $n node(s) ready after $((SECONDS - started)) s."
  for i in "${nodes[@]}"; do print_node "$i"; done
  printf '  H2       %s   pid %s\n' "$(h2_url)" "$(running_pid h2)"
  printf '  logs     %s/   (%s logs I | logs h2)\n' "$LOG_DIR" "${0##*/}"
}

cmd_start_node() {
  local i=${1:-} n
  [[ -n $i ]] || die "usage: ${0##*/} start-node I"
  n=$(cluster_size)
  require_node_number "$i" "$n"
  i=$((10#$i))
  use_recorded_offset
  require_tool java
  require_tool curl
  [[ -f $NODE_JAR ]] || die "$NODE_JAR is missing; run '${0##*/} start' to build"
  local pid
  pid=$(running_pid "node-$i")
  [[ -z $pid ]] || die "node $i is already running (pid $pid)"
  [[ -n $(running_pid h2) ]] || die "the H2 server of this cluster is not running; run '${0##*/} stop' then '${0##*/} start $n'"
  local node_port_list
  read -r -a node_port_list <<<"$(node_ports "$i")"
  require_ports_free "${node_port_list[@]}"

  mkdir -p "$PID_DIR" "$LOG_DIR"
  local started=$SECONDS
  echo "Starting node $i ..."
  launch_node "$i" "$n" append
  wait_ready "$i" || exit 1
  echo "Node $i ready after $((SECONDS - started)) s."
  print_node "$i"
}

cmd_kill() {
  local i=${1:-} n pid
  [[ -n $i ]] || die "usage: ${0##*/} kill I"
  n=$(cluster_size)
  require_node_number "$i" "$n"
  i=$((10#$i))
  pid=$(recorded_pid "node-$i")
  [[ -n $pid ]] || die "node $i is not running (no pid file)"
  is_our_process "node-$i" "$pid" ||
    die "node $i is not running (pid $pid is gone or is not a Steadfast node of $RUN_DIR)"
  kill -KILL "$pid"
  wait_gone 10 "$pid" || die "pid $pid still alive 10 s after SIGKILL"
  rm -f "$(pid_file "node-$i")"
  echo "Killed node $i (pid $pid) with SIGKILL."
}

cmd_stop() {
  local names=() nodes=() name
  mapfile -t names < <(recorded_names)
  if ((${#names[@]} == 0)); then
    echo "Nothing to stop in $RUN_DIR."
    return 0
  fi
  for name in "${names[@]}"; do
    [[ $name == h2 ]] || nodes+=("$name")
  done
  # Nodes first: they need the database while they shut down.
  ((${#nodes[@]} == 0)) || terminate "node(s) ${nodes[*]#node-}" "${nodes[@]}"
  [[ ! -e $(pid_file h2) ]] || terminate "the H2 server" h2
  echo "Stopped."
}

print_members() {
  local i=$1 json
  json=$(curl -s --noproxy '*' --max-time 3 "http://$HOST:$(mgmt_port "$i")/cluster/members") || {
    echo "  (node $i did not answer /cluster/members)"
    return 0
  }
  echo "Members as node $i sees them:"
  if command -v python3 >/dev/null 2>&1; then
    python3 -c '
import json, sys
try:
    data = json.load(sys.stdin)
except ValueError:
    sys.exit(1)
unreachable = {u.get("node") for u in data.get("unreachable", [])}
for m in data.get("members", []):
    flag = "  UNREACHABLE" if m.get("node") in unreachable else ""
    print("  %-40s %-8s%s" % (m.get("node"), m.get("status"), flag))
print("  leader: %s   oldest: %s" % (data.get("leader", "-"), data.get("oldest", "-")))
' <<<"$json" || echo "  $json"
  else
    echo "  $json"
  fi
}

cmd_status() {
  local n i pid ready first_ready=""
  if [[ ! -f $SIZE_FILE ]]; then
    echo "No cluster has been started from $RUN_DIR."
    return 0
  fi
  n=$(cluster_size)
  use_recorded_offset
  require_tool curl
  echo "Cluster of $n node(s); run dir $RUN_DIR; port offset $PORT_OFFSET"
  for ((i = 1; i <= n; i++)); do
    pid=$(running_pid "node-$i")
    if [[ -z $pid ]]; then
      printf '  node %-3s not running\n' "$i"
      continue
    fi
    if node_ready "$i"; then
      ready="ready"
      [[ -n $first_ready ]] || first_ready=$i
    else
      ready="NOT READY"
    fi
    printf '  node %-3s running  pid %-8s %-10s API http://%s:%s  management http://%s:%s\n' \
      "$i" "$pid" "$ready" "$HOST" "$(api_port "$i")" "$HOST" "$(mgmt_port "$i")"
  done
  pid=$(running_pid h2)
  if [[ -n $pid ]]; then
    printf '  H2       running  pid %-8s %s\n' "$pid" "$(h2_url)"
  else
    printf '  H2       not running\n'
  fi
  if [[ -n $first_ready ]]; then
    print_members "$first_ready"
  fi
}

cmd_logs() {
  local which=${1:-} file
  [[ -n $which ]] || die "usage: ${0##*/} logs I|h2"
  if [[ $which == h2 ]]; then
    file=$(log_file h2)
  else
    if ! is_uint "$which" || ((10#$which < 1)); then die "usage: ${0##*/} logs I|h2"; fi
    file=$(log_file "node-$((10#$which))")
  fi
  [[ -f $file ]] || die "no log at $file"
  exec tail -n 200 -f "$file"
}

main() {
  local cmd=${1:-help}
  (($# == 0)) || shift
  case $cmd in
    start) cmd_start "$@" ;;
    stop) cmd_stop ;;
    kill) cmd_kill "$@" ;;
    start-node) cmd_start_node "$@" ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    help | -h | --help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
