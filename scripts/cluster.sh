#!/usr/bin/env bash
# Runs a local Steadfast cluster on this machine: one database server (the shared journal: H2's
# TCP server, or with --db postgres a PostgreSQL server of its own in the run dir) and N nodes,
# each its own JVM, all bound to 127.0.0.1. Run with no arguments for usage.
set -euo pipefail

readonly HOST=127.0.0.1
readonly MAIN_CLASS=io.steadfast.Main
readonly H2_CLASS=org.h2.tools.Server
readonly DEFAULT_NODES=3
# More nodes than this on one machine only makes JVMs fight for memory and CPU.
readonly MAX_NODES=20
readonly STOP_TIMEOUT_S=30
readonly H2_START_TIMEOUT_S=30
readonly PG_START_TIMEOUT_S=60
# The database user and database of a cluster on PostgreSQL (trust authentication, loopback only).
readonly PG_USER=steadfast
readonly PG_DATABASE=steadfast
# A supervisor restarts a node whose JVM exited after a backoff: 1 s, doubled after each exit up
# to 30 s, and 1 s again once the node had run 60 s. A crash loop slows down; a rare crash (or a
# downing by the split-brain resolver) is repaired at once.
readonly RESTART_DELAY_MIN_S=1
readonly RESTART_DELAY_MAX_S=30
readonly HEALTHY_RUN_S=60

# The checkout is this script's parent directory, wherever the script is called from.
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CHECKOUT=$(dirname "$SCRIPT_DIR")
SCRIPT_NAME=${BASH_SOURCE[0]##*/}
readonly SCRIPT_DIR CHECKOUT SCRIPT_NAME
# Supervisors run this script again (command _supervise), so they need its path.
readonly SCRIPT_PATH=$SCRIPT_DIR/$SCRIPT_NAME

RUN_DIR=${STEADFAST_RUN_DIR:-$CHECKOUT/run}
# Nodes get the run dir as a -D option and must see the same directory whatever their cwd.
[[ $RUN_DIR == /* ]] || RUN_DIR=$PWD/$RUN_DIR
readonly RUN_DIR
readonly PID_DIR=$RUN_DIR/pids
readonly LOG_DIR=$RUN_DIR/logs
readonly H2_DIR=$RUN_DIR/h2
# PostgreSQL's home (owned by the postgres OS user when run as root): data/, its socket and log.
readonly PG_DIR=$RUN_DIR/postgres
readonly PG_DATA=$PG_DIR/data
readonly DB_KIND_FILE=$RUN_DIR/db-kind
readonly SIZE_FILE=$RUN_DIR/cluster-size
readonly OFFSET_FILE=$RUN_DIR/port-offset
readonly KEEP_RUNNING_FILE=$RUN_DIR/keep-running
# Per node: the supervisor's pid, its restart count and, while it waits, when it restarts the node.
# Not in $PID_DIR: other scripts read every pids/*.pid as a JVM (bench.sh samples their memory).
readonly SUP_DIR=$RUN_DIR/supervisors
# Created by 'stop' (holding its pid) before anything is stopped: no supervisor restarts a node
# while it exists, and one that sees it ends.
readonly STOP_MARKER=$RUN_DIR/stop-requested

PORT_OFFSET=${STEADFAST_PORT_OFFSET:-0}
# C1 only (TieredStopAtLevel=1): nodes here share a few cores with each other and the database,
# about half a core each, below where the JVM itself would choose its server compiler. C2 spent
# 1.5 ms of CPU per task still compiling after 20,000 tasks and a quarter of a core when idle;
# C1 code costs about 30 % more once C2 has finished, which takes well over 60,000 tasks
# (scripts/bench.sh; README "Benchmarks"). On a machine of its own, give a node -Xmx only.
readonly DEFAULT_JAVA_OPTS="-Xmx384m -XX:TieredStopAtLevel=1"
readonly JAVA_OPTS=${STEADFAST_JAVA_OPTS:-$DEFAULT_JAVA_OPTS}
# The H2 server keeps the JVM's own compilers: with C1 only its queries cost half as much again.
readonly H2_JAVA_OPTS=${STEADFAST_H2_JAVA_OPTS:--Xmx256m}
readonly READY_TIMEOUT_S=${STEADFAST_READY_TIMEOUT:-90}
KEEP_RUNNING=${STEADFAST_KEEP_RUNNING:-1}
# h2 or postgres; 'start --db KIND' overrides it, and the other commands use what start recorded.
DB_KIND=${STEADFAST_DB:-h2}

readonly NODE_JAR=$CHECKOUT/cluster-node/target/cluster-node.jar
readonly LIB_DIR=$CHECKOUT/cluster-node/target/lib

usage() {
  cat <<EOF
Usage: ${0##*/} <command> [argument]

Commands:
  start [N] [--db h2|postgres]
                  build if needed, start the database server (H2 by default; postgres: a PostgreSQL
                  of its own in the run dir, initdb + pg_ctl, installed with apt-get if missing) and
                  N nodes (default $DEFAULT_NODES), wait until ready; each node runs under a supervisor
                  that restarts it when its JVM exits
  stop            stop the supervisors, every node gracefully (SIGTERM, SIGKILL after ${STOP_TIMEOUT_S} s),
                  then the database server
  kill I          SIGKILL node I's JVM (simulates a crash); its supervisor restarts it after the backoff
                  (with STEADFAST_KEEP_RUNNING=0 it ends the supervisor first: node I stays down)
  start-node I    start node I again with the cluster's seed list and wait until it is ready; if its
                  supervisor is waiting to restart it, it restarts it now; if it already runs under its
                  supervisor, just wait until it is ready
  status          process, readiness and restarts of each node and of the database server; cluster members
  logs I|db       follow the log of node I or of the database server (also: logs h2, logs postgres)
  help            this text

Node I listens on $HOST: API 8080+I, management 8560+I, remoting 2550+I; the H2 server on 9092,
PostgreSQL on 5432 (database $PG_DATABASE, user $PG_USER).

Environment:
  STEADFAST_PORT_OFFSET   added to every port (default 0); give a second cluster its own
                          offset and its own STEADFAST_RUN_DIR
  STEADFAST_RUN_DIR       pids, logs and database (default: $CHECKOUT/run)
  STEADFAST_DB            h2 (default), postgres, or embedded (one node on an H2 file of its
                          own, no database server): the store 'start' uses (as --db)
  STEADFAST_JAVA_OPTS     JVM options of each node (default: -Xmx384m -XX:TieredStopAtLevel=1)
  STEADFAST_H2_JAVA_OPTS  JVM options of the H2 server (default: -Xmx256m)
  STEADFAST_READY_TIMEOUT seconds to wait for nodes to become ready (default: 90)
  STEADFAST_KEEP_RUNNING  1 (default): a supervisor restarts a node whose JVM exits (a crash, a downing
                          by the split-brain resolver), after ${RESTART_DELAY_MIN_S} s, doubling up to ${RESTART_DELAY_MAX_S} s, and ${RESTART_DELAY_MIN_S} s again
                          once it had run ${HEALTHY_RUN_S} s; 0: no supervisors, a node that exits stays
                          down. start-node follows what the cluster was started with unless it is set;
                          'STEADFAST_KEEP_RUNNING=0 ${0##*/} kill I' keeps node I down
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

# True if nodes started now get a supervisor that restarts them (STEADFAST_KEEP_RUNNING).
keep_running() {
  case $KEEP_RUNNING in
    1) return 0 ;;
    0) return 1 ;;
    *) die "STEADFAST_KEEP_RUNNING must be 0 or 1, got '$KEEP_RUNNING'" ;;
  esac
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
h2_url() { echo "jdbc:h2:tcp://$HOST:$(h2_port)/steadfast;DATABASE_TO_UPPER=false;WRITE_DELAY=0"; }
pg_port() { echo $((5432 + PORT_OFFSET)); }
pg_url() { echo "jdbc:postgresql://$HOST:$(pg_port)/$PG_DATABASE"; }

# --- the database server: h2 or postgres ----------------------------------------------------------

require_db_kind() {
  [[ $DB_KIND == h2 || $DB_KIND == postgres || $DB_KIND == embedded ]] ||
    die "the store must be h2, postgres or embedded (--db, STEADFAST_DB), got '$DB_KIND'"
}

# The running cluster's store is the one it was started with, whatever the environment says.
use_recorded_db_kind() {
  [[ -f $DB_KIND_FILE ]] || return 0
  DB_KIND=$(<"$DB_KIND_FILE")
  require_db_kind
}

# The database server's process name (pid and log file): h2 or postgres. An embedded store has
# no server: H2 runs inside the one node, on a file under the run dir (the node's default URL).
db_name() { echo "$DB_KIND"; }
db_port() {
  case $DB_KIND in postgres) pg_port ;; h2) h2_port ;; esac
}
db_url() {
  case $DB_KIND in postgres) pg_url ;; h2) h2_url ;; *) echo "jdbc:h2:file:$RUN_DIR/db/steadfast (inside node 1)" ;; esac
}
db_label() {
  case $DB_KIND in postgres) echo "PostgreSQL" ;; h2) echo "the H2 server" ;; *) echo "the embedded H2" ;; esac
}
has_db_server() { [[ $DB_KIND != embedded ]]; }

# The settings a node needs for the store.
db_node_options() {
  case $DB_KIND in
    postgres) echo "-Dsteadfast.db.kind=postgres -Dsteadfast.db.url=$(pg_url) -Dsteadfast.db.user=$PG_USER -Dsteadfast.db.password=" ;;
    h2) echo "-Dsteadfast.db.url=$(h2_url)" ;;
    # The node's own default: H2 on a file under its run dir (and not this script's name for it).
    embedded) echo "-Dsteadfast.db.kind=h2" ;;
  esac
}

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

# Prints the pid a pid file holds, or nothing.
pid_in_file() {
  local pid
  [[ -f $1 ]] || return 0
  pid=$(<"$1")
  if is_uint "$pid"; then echo "$pid"; fi
}

# Prints the pid recorded for a process name (node-1, h2), or nothing.
recorded_pid() {
  pid_in_file "$(pid_file "$1")"
}

# Writes a small file whole (through a rename): a reader never sees it empty or half written.
write_file() {
  local file=$1
  shift
  echo "$*" >"$file.tmp.$$"
  mv -f "$file.tmp.$$" "$file"
}

# The marker a process's command line must contain to be ours: pids get reused, so a pid file
# alone never justifies a signal. The run dir in the marker keeps two clusters apart.
process_marker() {
  case $1 in
    h2) echo "$H2_CLASS" ;;
    postgres) echo "bin/postgres" ;;
    *) echo "$MAIN_CLASS" ;;
  esac
}

process_dir_marker() {
  case $1 in
    h2) echo "-baseDir $H2_DIR" ;;
    postgres) echo "-D $PG_DATA" ;;
    *) echo "-Dsteadfast.run-dir=$RUN_DIR" ;;
  esac
}

# The command name of the named process: the postmaster for postgres, a JVM for the others.
process_comm() {
  case $1 in
    postgres) echo postgres ;;
    *) echo java ;;
  esac
}

# True if pid is alive (not a zombie) and is the process started for this name.
is_our_process() {
  local name=$1 pid=$2 stat comm args
  stat=$(ps -o stat= -p "$pid" 2>/dev/null) || return 1
  [[ $stat != Z* ]] || return 1
  comm=$(ps -o comm= -p "$pid" 2>/dev/null) || return 1
  [[ $comm == "$(process_comm "$name")" ]] || return 1
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

# --- supervisor files ---------------------------------------------------------------------------

supervisor_pid_file() { echo "$SUP_DIR/node-$1.pid"; }
restarts_file() { echo "$SUP_DIR/node-$1.restarts"; }
# "EPOCH DELAY": when the supervisor restarts node I, and the backoff it chose; only while it waits.
restart_at_file() { echo "$SUP_DIR/node-$1.restart-at"; }

recorded_supervisor_pid() {
  pid_in_file "$(supervisor_pid_file "$1")"
}

# True if pid is alive (not a zombie) and is the supervisor of node i of this run dir, by the
# command line start_supervisor gives it: as for the JVMs, a pid file alone proves nothing.
is_our_supervisor() {
  local i=$1 pid=$2 stat args
  stat=$(ps -o stat= -p "$pid" 2>/dev/null) || return 1
  [[ $stat != Z* ]] || return 1
  args=$(ps -ww -o args= -p "$pid" 2>/dev/null) || return 1
  [[ $args == *"/$SCRIPT_NAME _supervise $i $RUN_DIR" ]]
}

# Prints the pid of node i's supervisor if it is running, or nothing.
running_supervisor() {
  local pid
  pid=$(recorded_supervisor_pid "$1")
  if [[ -n $pid ]] && is_our_supervisor "$1" "$pid"; then echo "$pid"; fi
}

# How many times node i's supervisor has seen its JVM exit (0 without a supervisor).
restart_count() {
  local file n
  file=$(restarts_file "$1")
  if [[ -f $file ]]; then n=$(<"$file"); fi
  if is_uint "${n:-}"; then echo "$n"; else echo 0; fi
}

# Numbers of the nodes with a supervisor pid file.
supervised_nodes() {
  local file name
  for file in "$SUP_DIR"/node-*.pid; do
    [[ -e $file ]] || continue
    name=${file##*/node-}
    echo "${name%.pid}"
  done
}

# True while a 'stop' of this run dir runs: its marker holds the pid of a live 'stop' command.
stop_in_progress() {
  local pid args
  pid=$(pid_in_file "$STOP_MARKER")
  [[ -n $pid ]] || return 1
  args=$(ps -ww -o args= -p "$pid" 2>/dev/null) || return 1
  [[ $args == *"$SCRIPT_NAME stop"* ]]
}

# Before supervisors are started: a marker left by a 'stop' that did not finish (interrupted)
# would end them at once.
clear_stop_marker() {
  if stop_in_progress; then
    die "a '${0##*/} stop' of $RUN_DIR is under way (pid $(pid_in_file "$STOP_MARKER")); try again once it is done"
  fi
  rm -f "$STOP_MARKER"
}

# --- cluster state ------------------------------------------------------------------------------

# Names of every process with a pid file, nodes first, the database server (h2 or postgres) last.
recorded_names() {
  local file name names=()
  for file in "$PID_DIR"/node-*.pid; do
    [[ -e $file ]] || continue
    name=${file##*/}
    names+=("${name%.pid}")
  done
  [[ -e $(pid_file h2) ]] && names+=(h2)
  [[ -e $(pid_file postgres) ]] && names+=(postgres)
  if ((${#names[@]} > 0)); then printf '%s\n' "${names[@]}"; fi
}

cluster_size() {
  [[ -f $SIZE_FILE ]] || die "no cluster has been started from $RUN_DIR (run: ${0##*/} start)"
  local n
  n=$(<"$SIZE_FILE")
  is_uint "$n" || die "$SIZE_FILE is corrupt"
  echo "$n"
}

# A node started again gets a supervisor if the cluster's nodes got one, unless told otherwise.
use_recorded_keep_running() {
  if [[ -z ${STEADFAST_KEEP_RUNNING:-} && -f $KEEP_RUNNING_FILE ]]; then KEEP_RUNNING=$(<"$KEEP_RUNNING_FILE"); fi
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

# Prints why the node jar needs a build (it is missing, or the first main source, config or pom file
# newer than it); prints nothing if the jar is up to date.
stale_input() {
  [[ -f $NODE_JAR ]] || { echo "${NODE_JAR#"$CHECKOUT"/} is missing"; return 0; }
  local srcs=() poms=() f newer
  # Main sources only: tests are not in the jar, and an edited test must not trigger an install.
  for f in "$CHECKOUT"/*/src/main; do [[ -d $f ]] && srcs+=("$f"); done
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
  if [[ $DB_KIND == h2 ]]; then h2_jar >/dev/null; fi
}

h2_jar() {
  local jars=("$LIB_DIR"/h2-*.jar)
  [[ -f ${jars[0]} ]] || die "no h2-*.jar in $LIB_DIR (run: mvn -B -q install -DskipTests)"
  echo "${jars[0]}"
}

# --- starting processes -------------------------------------------------------------------------

start_h2() {
  local log pid h2_java_opts
  log=$(log_file h2)
  mkdir -p "$H2_DIR"
  # h2.bindAddress: without it H2 listens on every interface (and only refuses remote clients
  # after accepting them); with it the port is opened on loopback only.
  read -r -a h2_java_opts <<<"$H2_JAVA_OPTS"
  nohup java "${h2_java_opts[@]}" -Dh2.bindAddress="$HOST" -cp "$(h2_jar)" "$H2_CLASS" \
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

# The newest /usr/lib/postgresql/N/bin with an initdb; installs Debian's postgresql if there is none.
pg_bin() {
  local dir best="" version best_version=-1
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x $dir/initdb ]] || continue
    version=${dir%/bin}
    version=${version##*/}
    if is_uint "$version" && ((version > best_version)); then best=$dir best_version=$version; fi
  done
  if [[ -z $best ]]; then
    [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null ||
      die "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install -y postgresql"
    note "installing PostgreSQL (Debian's postgresql) ..."
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null ||
      die "apt-get install postgresql failed"
    pg_bin
    return
  fi
  echo "$best"
}

# Runs one of PostgreSQL's programs; as root, as the postgres OS user (initdb refuses root).
pg_run() {
  local program=$1
  shift
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$(pg_bin)/$program" "$@"
  else
    "$(pg_bin)/$program" "$@"
  fi
}

# initdb on the first start, then pg_ctl start; creates the database once; records the postmaster.
start_postgres() {
  local log=$PG_DIR/server.log pid
  mkdir -p "$PG_DIR"
  if [[ $(id -u) -eq 0 ]]; then chown postgres "$PG_DIR"; fi
  if [[ ! -f $PG_DATA/PG_VERSION ]]; then
    pg_run initdb -D "$PG_DATA" -U "$PG_USER" --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1 ||
      die "initdb failed; see $PG_DIR/initdb.log"
  fi
  # The server writes its own log (as its user); logs/postgres.log points at it.
  ln -sfn "$log" "$(log_file postgres)"
  pg_run pg_ctl -D "$PG_DATA" -w -t "$PG_START_TIMEOUT_S" -l "$log" \
    -o "-p $(pg_port) -k $PG_DIR -c listen_addresses=$HOST -c max_connections=200" start >/dev/null ||
    die "PostgreSQL did not start within ${PG_START_TIMEOUT_S} s; see $log"
  pid=$(head -n 1 "$PG_DATA/postmaster.pid")
  echo "$pid" >"$(pid_file postgres)"
  if [[ -z $(pg_run psql -h "$HOST" -p "$(pg_port)" -U "$PG_USER" -d postgres -Atc \
    "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'") ]]; then
    pg_run createdb -h "$HOST" -p "$(pg_port)" -U "$PG_USER" "$PG_DATABASE" || die "cannot create database $PG_DATABASE"
  fi
}

# A fast shutdown (clients cut off, a checkpoint written), after the nodes are gone.
stop_postgres() {
  local pid
  pid=$(running_pid postgres)
  if [[ -n $pid ]]; then
    echo "Stopping PostgreSQL (pid $pid) ..."
    pg_run pg_ctl -D "$PG_DATA" -m fast -w -t "$STOP_TIMEOUT_S" stop >/dev/null ||
      terminate "PostgreSQL" postgres
  elif [[ -f $(pid_file postgres) ]]; then
    note "postgres was not running (stale pid file removed)"
  fi
  rm -f "$(pid_file postgres)"
}

start_db() {
  case $DB_KIND in postgres) start_postgres ;; h2) start_h2 ;; esac
}

utc_now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# Appends a line to node i's log, telling what this script did to the node.
log_event() {
  echo "=== cluster.sh: $2 ===" >>"$(log_file "node-$1")"
}

# Starts node i of an n-node cluster in the background and records its pid (also in LAUNCHED_PID,
# for a supervisor, whose child it is). Its output is appended to its log: the log of a node that
# exited survives its restart; 'start' empties the logs first.
LAUNCHED_PID=
launch_node() {
  local i=$1 n=$2 log j
  log=$(log_file "node-$i")
  local java_opts db_opts
  read -r -a java_opts <<<"$JAVA_OPTS"
  read -r -a db_opts <<<"$(db_node_options)"
  # Every node lists every node as a seed, node 1 first: node 1 forms the cluster when it starts
  # first, and any restarted node joins whichever seed answers.
  local seeds=()
  for ((j = 1; j <= n; j++)); do
    seeds+=("-Dpekko.cluster.seed-nodes.$((j - 1))=pekko://steadfast@$HOST:$(remoting_port "$j")")
  done
  nohup java "${java_opts[@]}" -cp "$NODE_JAR:$LIB_DIR/*" \
    -Dsteadfast.run-dir="$RUN_DIR" \
    -Dsteadfast.node.host="$HOST" \
    -Dsteadfast.node.remoting-port="$(remoting_port "$i")" \
    -Dsteadfast.node.http-port="$(api_port "$i")" \
    -Dsteadfast.node.management-port="$(mgmt_port "$i")" \
    "${db_opts[@]}" \
    "${seeds[@]}" \
    "$MAIN_CLASS" >>"$log" 2>&1 </dev/null &
  LAUNCHED_PID=$!
  echo "$LAUNCHED_PID" >"$(pid_file "node-$i")"
}

# Starts the supervisor of node i (supervise_node) in the background, as this script with the
# internal command _supervise, in a session of its own (setsid): it must neither hold the terminal
# of 'start' nor get its signals, and it outlives this script. Its output goes to the node's log.
start_supervisor() {
  local i=$1
  mkdir -p "$SUP_DIR"
  rm -f "$(restarts_file "$i")" "$(restart_at_file "$i")"
  STEADFAST_RUN_DIR=$RUN_DIR STEADFAST_PORT_OFFSET=$PORT_OFFSET \
    setsid "$BASH" "$SCRIPT_PATH" _supervise "$i" "$RUN_DIR" </dev/null >>"$(log_file "node-$i")" 2>&1 &
  # setsid does not fork here (a background job leads no process group), so $! is the supervisor;
  # it writes its pid again itself.
  write_file "$(supervisor_pid_file "$i")" "$!"
}

# --- supervising -------------------------------------------------------------------------------

SUPERVISOR_STOP=0 # set by SIGTERM
RESTART_NOW=0     # set by SIGUSR1 (start-node)
CHILD_STATUS=

# The supervisor of node i of an n-node cluster: launches the node's JVM, waits for it and, when
# it exits and no stop was requested, tells so in the node's log and launches it again after the
# backoff. SIGTERM or the stop marker: it launches nothing more and ends once its JVM has exited
# ('stop' stops the JVMs). SIGUSR1 ends a backoff early.
supervise_node() {
  local i=$1 n=$2 delay=$RESTART_DELAY_MIN_S restarts=0 started
  trap 'SUPERVISOR_STOP=1' TERM INT HUP
  trap 'RESTART_NOW=1' USR1
  # shellcheck disable=SC2064 # $i now: the trap runs after this function (and its locals) ended
  trap "supervisor_exit $i" EXIT
  mkdir -p "$SUP_DIR"
  write_file "$(supervisor_pid_file "$i")" "$$"
  write_file "$(restarts_file "$i")" "$restarts"
  while ! supervisor_stopping; do
    rm -f "$(restart_at_file "$i")"
    RESTART_NOW=0
    started=$SECONDS
    launch_node "$i" "$n"
    # 'stop' reads the pid files after it created its marker: a JVM launched as it did so may
    # have been missed, so the supervisor that sees the marker now stops that JVM itself.
    if supervisor_stopping; then kill -TERM "$LAUNCHED_PID" 2>/dev/null || true; fi
    wait_for_child "$LAUNCHED_PID"
    if supervisor_stopping; then break; fi
    if ((SECONDS - started >= HEALTHY_RUN_S)); then delay=$RESTART_DELAY_MIN_S; fi
    restarts=$((restarts + 1))
    write_file "$(restarts_file "$i")" "$restarts"
    write_file "$(restart_at_file "$i")" "$(($(date +%s) + delay)) $delay"
    log_event "$i" "node $i exited (code $CHILD_STATUS) at $(utc_now); restarting in $delay s (restart $restarts)"
    backoff "$delay" || break
    delay=$((delay * 2 < RESTART_DELAY_MAX_S ? delay * 2 : RESTART_DELAY_MAX_S))
  done
}

supervisor_stopping() {
  ((SUPERVISOR_STOP)) || [[ -e $STOP_MARKER ]]
}

# shellcheck disable=SC2317 # run by the EXIT trap of supervise_node
supervisor_exit() {
  rm -f "$(restart_at_file "$1")"
  if [[ $(recorded_supervisor_pid "$1") == "$$" ]]; then rm -f "$(supervisor_pid_file "$1")"; fi
}

# Waits until a child process exits and sets CHILD_STATUS to its exit status. A trapped signal
# ends 'wait' early while the child still runs: then it waits again.
wait_for_child() {
  local pid=$1 stat ppid
  while true; do
    CHILD_STATUS=0
    # 2>/dev/null: bash's own "Killed  nohup java ..." report; the caller tells the exit better.
    { wait "$pid" || CHILD_STATUS=$?; } 2>/dev/null
    # Still our child and not a zombie (once reaped, its pid may be another process's).
    read -r stat ppid < <(ps -o stat=,ppid= -p "$pid" 2>/dev/null) || true
    [[ -n ${stat:-} && $stat != Z* && ${ppid:-} == "$$" ]] || return 0
  done
}

# Sleeps the backoff of $1 s in short steps. Returns non-zero as soon as a stop is requested; ends
# early when start-node asks for the restart now.
backoff() {
  local steps=$(($1 * 5))
  while ((steps > 0)); do
    if supervisor_stopping; then return 1; fi
    if ((RESTART_NOW)); then return 0; fi
    sleep 0.2
    steps=$((steps - 1))
  done
  ! supervisor_stopping
}

# --- readiness ----------------------------------------------------------------------------------

# True if node i's JVM exited since wait_ready began. $2: for a supervised node, its restart count
# then; its supervisor counts every exit (the pid file may already name a successor). As in
# wait_for_h2, a process just launched may not be java yet, so only an exit counts.
node_exited() {
  local i=$1 baseline=$2 pid
  if [[ -n $baseline ]]; then
    if (($(restart_count "$i") > baseline)); then return 0; fi
    pid=$(recorded_supervisor_pid "$i")
    if [[ -n $pid ]] && ! is_gone "$pid"; then return 1; fi
    # The supervisor ended: nobody launches the JVM any more.
    [[ -z $(running_pid "node-$i") ]]
    return
  fi
  pid=$(recorded_pid "node-$i")
  [[ -z $pid ]] || is_gone "$pid"
}

# Waits until every listed node answers /ready with 200. Stops early if a node's process exits.
# On failure names the nodes that are not ready and returns non-zero; it never stops anything.
wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT_S)) i
  local pending=("$@")
  local -A baseline=()
  for i in "$@"; do
    if [[ -n $(recorded_supervisor_pid "$i") ]]; then baseline[$i]=$(restart_count "$i"); fi
  done
  while ((${#pending[@]} > 0)); do
    local still=()
    for i in "${pending[@]}"; do
      if node_ready "$i"; then continue; fi
      if node_exited "$i" "${baseline[$i]:-}"; then
        note "node $i exited during start-up; see $(log_file "node-$i")"
        tail -n 5 "$(log_file "node-$i")" >&2 || true
        if [[ -n ${baseline[$i]:-} ]]; then
          note "its supervisor restarts it after a backoff; '${0##*/} stop' ends everything"
        fi
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
  local i=$1 sup
  sup=$(running_supervisor "$i")
  printf '  node %-3s API http://%s:%s/api/v1   management http://%s:%s   pid %s%s\n' \
    "$i" "$HOST" "$(api_port "$i")" "$HOST" "$(mgmt_port "$i")" "$(running_pid "node-$i")" \
    "${sup:+ (supervisor $sup)}"
}

# --- commands -----------------------------------------------------------------------------------

cmd_start() {
  local n=$DEFAULT_NODES i name
  while (($# > 0)); do
    case $1 in
      --db) (($# >= 2)) || die "--db needs h2, postgres or embedded"; DB_KIND=$2; shift 2 ;;
      --db=*) DB_KIND=${1#--db=}; shift ;;
      *) n=$1; shift ;;
    esac
  done
  require_db_kind
  if ! is_uint "$n" || ((10#$n < 1 || 10#$n > MAX_NODES)); then
    die "node count must be between 1 and $MAX_NODES, got '$n'"
  fi
  n=$((10#$n))
  is_uint "$PORT_OFFSET" || die "STEADFAST_PORT_OFFSET must be a non-negative number, got '$PORT_OFFSET'"
  require_tool java
  require_tool curl
  if keep_running; then require_tool setsid "needed to supervise the nodes; or STEADFAST_KEEP_RUNNING=0"; fi

  while read -r name; do
    [[ -z $name ]] && continue
    if [[ -n $(running_pid "$name") ]]; then
      die "$name is already running (pid $(running_pid "$name")) from $RUN_DIR; use '${0##*/} status' or '${0##*/} stop'"
    fi
    rm -f "$(pid_file "$name")" # stale: its process is gone
  done < <(recorded_names)
  while read -r i; do
    [[ -z $i ]] && continue
    if [[ -n $(running_supervisor "$i") ]]; then
      die "the supervisor of node $i is already running (pid $(running_supervisor "$i")) from $RUN_DIR; use '${0##*/} stop'"
    fi
  done < <(supervised_nodes)

  ensure_built

  [[ $DB_KIND != embedded ]] || ((n == 1)) || die "an embedded store serves one node only; use h2 or postgres for $n"
  local ports=() node_port_list
  if has_db_server; then ports+=("$(db_port)"); fi
  for ((i = 1; i <= n; i++)); do
    read -r -a node_port_list <<<"$(node_ports "$i")"
    ports+=("${node_port_list[@]}")
  done
  require_ports_free "${ports[@]}"

  mkdir -p "$PID_DIR" "$LOG_DIR"
  clear_stop_marker
  rm -rf "$SUP_DIR" # stale: every supervisor is gone
  echo "$n" >"$SIZE_FILE"
  echo "$PORT_OFFSET" >"$OFFSET_FILE"
  echo "$KEEP_RUNNING" >"$KEEP_RUNNING_FILE"
  echo "$DB_KIND" >"$DB_KIND_FILE"

  local started=$SECONDS
  if has_db_server; then echo "Starting $(db_label) on $HOST:$(db_port) ..."; fi
  start_db
  if keep_running; then
    echo "Starting $n node(s), each under a supervisor that restarts it if it exits ..."
  else
    echo "Starting $n node(s) (STEADFAST_KEEP_RUNNING=0: a node that exits stays down) ..."
  fi
  local nodes=()
  for ((i = 1; i <= n; i++)); do
    : >"$(log_file "node-$i")"
    if keep_running; then start_supervisor "$i"; else launch_node "$i" "$n"; fi
    nodes+=("$i")
  done
  echo "Waiting up to ${READY_TIMEOUT_S} s for every node to be ready ..."
  wait_ready "${nodes[@]}" || exit 1

  echo "Cluster of $n node(s) ready after $((SECONDS - started)) s."
  for i in "${nodes[@]}"; do print_node "$i"; done
  if has_db_server; then printf '  %-8s %s   pid %s\n' "$(db_name)" "$(db_url)" "$(running_pid "$(db_name)")"; fi
  printf '  logs     %s/   (%s logs I | logs db)\n' "$LOG_DIR" "${0##*/}"
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
  use_recorded_keep_running
  use_recorded_db_kind
  keep_running || true # only checks the value here
  ! has_db_server || [[ -n $(running_pid "$(db_name)") ]] ||
    die "$(db_label) of this cluster is not running; run '${0##*/} stop' then '${0##*/} start $n'"
  local pid sup started=$SECONDS
  pid=$(running_pid "node-$i")
  sup=$(running_supervisor "$i")
  if [[ -n $sup ]]; then
    # The supervisor owns the node's JVM: never launch a second one. A script may call start-node
    # after kill whether or not the supervisor has restarted the node yet.
    if [[ -n $pid ]]; then
      echo "Node $i already runs (pid $pid) under its supervisor (pid $sup, $(restart_count "$i") restart(s)); waiting until it is ready ..."
    else
      echo "Node $i is down; its supervisor (pid $sup) restarts it now instead of after its backoff ..."
      log_event "$i" "start-node $i at $(utc_now): restarting it now"
      kill -USR1 "$sup"
    fi
  else
    [[ -z $pid ]] || die "node $i is already running (pid $pid)"
    local node_port_list
    read -r -a node_port_list <<<"$(node_ports "$i")"
    require_ports_free "${node_port_list[@]}"
    mkdir -p "$PID_DIR" "$LOG_DIR"
    echo "Starting node $i ..."
    log_event "$i" "start-node $i at $(utc_now)"
    if keep_running; then
      require_tool setsid "needed to supervise the node; or STEADFAST_KEEP_RUNNING=0"
      clear_stop_marker
      start_supervisor "$i"
    else
      launch_node "$i" "$n"
    fi
  fi
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
  keep_running || true # only checks the value here
  local sup
  sup=$(running_supervisor "$i")
  pid=$(recorded_pid "node-$i")
  if [[ -z $pid ]] || ! is_our_process "node-$i" "$pid"; then
    [[ -z $sup ]] || die "node $i is not running; its supervisor (pid $sup) $(restart_eta "$i")"
    [[ -n $pid ]] || die "node $i is not running (no pid file)"
    die "node $i is not running (pid $pid is gone or is not a Steadfast node of $RUN_DIR)"
  fi
  if [[ -n $sup ]] && ! keep_running; then
    # Told first, the supervisor launches nothing more and ends once the JVM is gone.
    kill -TERM "$sup"
  fi
  kill -KILL "$pid"
  wait_gone 10 "$pid" || die "pid $pid still alive 10 s after SIGKILL"
  # Unless it names a successor already: the supervisor rewrites it when it restarts the node.
  if [[ $(recorded_pid "node-$i") == "$pid" ]]; then rm -f "$(pid_file "node-$i")"; fi
  echo "Killed node $i (pid $pid) with SIGKILL."
  [[ -n $sup ]] || return 0
  if keep_running; then
    wait_restart_planned "$i"
    echo "Node $i will be restarted in ~$(planned_delay "$i") s by its supervisor (pid $sup);" \
      "STEADFAST_KEEP_RUNNING=0 ${0##*/} kill $i keeps it down."
  else
    wait_gone 10 "$sup" || note "the supervisor of node $i (pid $sup) is still alive"
    echo "Node $i stays down (its supervisor has ended); '${0##*/} start-node $i' starts it again."
  fi
}

# Waits (up to 3 s) until node i's supervisor has seen its JVM exit and planned the restart.
wait_restart_planned() {
  local tries=30
  until [[ -f $(restart_at_file "$1") ]] || ((tries-- == 0)); do sleep 0.1; done
}

# The backoff node i's supervisor chose for the restart it waits for ("?" if none is planned).
planned_delay() {
  local file at delay
  file=$(restart_at_file "$1")
  if [[ -f $file ]]; then read -r at delay <"$file" || true; fi
  if is_uint "${delay:-}"; then echo "$delay"; else echo "?"; fi
}

# Tells when node i's supervisor restarts it: "restarts it in ~3 s", or "is launching it".
restart_eta() {
  local file at delay left
  file=$(restart_at_file "$1")
  if [[ -f $file ]]; then read -r at delay <"$file" || true; fi
  if ! is_uint "${at:-}"; then
    echo "is launching it"
    return 0
  fi
  left=$((at - $(date +%s)))
  if ((left > 0)); then echo "restarts it in ~$left s"; else echo "restarts it now"; fi
}

cmd_stop() {
  local names=() nodes=() supervised=() name
  mapfile -t names < <(recorded_names)
  mapfile -t supervised < <(supervised_nodes)
  if ((${#names[@]} == 0 && ${#supervised[@]} == 0)); then
    echo "Nothing to stop in $RUN_DIR."
    return 0
  fi
  # Supervisors first: no node may be restarted while it is being stopped.
  mkdir -p "$RUN_DIR"
  write_file "$STOP_MARKER" "$$"
  ((${#supervised[@]} == 0)) || signal_supervisors "${supervised[@]}"
  # Only now the JVMs' pid files: a supervisor that launched a JVM before it could see the marker
  # had written its pid file by then; one that sees the marker after a launch stops that JVM itself.
  mapfile -t names < <(recorded_names)
  for name in "${names[@]}"; do
    [[ $name == h2 || $name == postgres ]] || nodes+=("$name")
  done
  # Nodes next: they need the database while they shut down.
  ((${#nodes[@]} == 0)) || terminate "node(s) ${nodes[*]#node-}" "${nodes[@]}"
  ((${#supervised[@]} == 0)) || end_supervisors "${supervised[@]}"
  [[ ! -e $(pid_file h2) ]] || terminate "the H2 server" h2
  [[ ! -e $(pid_file postgres) ]] || stop_postgres
  rm -f "$STOP_MARKER"
  echo "Stopped."
}

# SIGTERM to the supervisors of the given nodes that are ours: one waiting to restart its node
# ends at once, the others once their JVM has exited.
signal_supervisors() {
  local i pid pids=()
  for i in "$@"; do
    pid=$(recorded_supervisor_pid "$i")
    if [[ -n $pid ]] && is_our_supervisor "$i" "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  if ((${#pids[@]} > 0)); then echo "Stopping the supervisors (pid ${pids[*]}) ..."; fi
}

# Waits until the supervisors of the given nodes have ended (their JVMs are stopped by now, but
# for one launched as the stop began, which its supervisor stops itself); SIGKILLs any left, and
# its node. Then removes every supervisor file: none may outlive 'stop'.
end_supervisors() {
  local deadline=$((SECONDS + STOP_TIMEOUT_S)) i pid left
  while true; do
    left=()
    for i in "$@"; do
      if [[ -n $(running_supervisor "$i") ]]; then left+=("$i"); fi
    done
    ((${#left[@]} > 0 && SECONDS < deadline)) || break
    sleep 0.2
  done
  for i in "${left[@]+"${left[@]}"}"; do
    note "the supervisor of node $i did not end within ${STOP_TIMEOUT_S} s; sending SIGKILL to it and its node"
    pid=$(running_supervisor "$i")
    if [[ -n $pid ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
    pid=$(running_pid "node-$i")
    if [[ -n $pid ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$(pid_file "node-$i")"
  done
  rm -rf "$SUP_DIR"
}

# Internal command _supervise I RUN_DIR, run by start_supervisor. The run dir on its command line
# only lets is_our_supervisor tell it from other processes; it must be this script's run dir.
cmd_supervise() {
  local i=${1:-} dir=${2:-} n
  [[ $dir == "$RUN_DIR" ]] || die "_supervise: run dir '$dir' is not $RUN_DIR"
  n=$(cluster_size)
  require_node_number "$i" "$n"
  use_recorded_offset
  use_recorded_db_kind
  supervise_node "$((10#$i))" "$n"
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
  local n i pid sup restarts ready first_ready=""
  if [[ ! -f $SIZE_FILE ]]; then
    echo "No cluster has been started from $RUN_DIR."
    return 0
  fi
  n=$(cluster_size)
  use_recorded_offset
  use_recorded_db_kind
  require_tool curl
  echo "Cluster of $n node(s) on $DB_KIND; run dir $RUN_DIR; port offset $PORT_OFFSET"
  for ((i = 1; i <= n; i++)); do
    pid=$(running_pid "node-$i")
    sup=$(running_supervisor "$i")
    if [[ -n $sup ]]; then
      restarts="restarts $(restart_count "$i")"
    else
      restarts="unsupervised"
    fi
    if [[ -z $pid ]]; then
      if [[ -n $sup ]]; then
        printf '  node %-3s restarting: its supervisor (pid %s) %s (restart %s)\n' \
          "$i" "$sup" "$(restart_eta "$i")" "$(restart_count "$i")"
      else
        printf '  node %-3s not running\n' "$i"
      fi
      continue
    fi
    if node_ready "$i"; then
      ready="ready"
      [[ -n $first_ready ]] || first_ready=$i
    else
      ready="NOT READY"
    fi
    printf '  node %-3s running  pid %-8s %-10s %-12s API http://%s:%s  management http://%s:%s\n' \
      "$i" "$pid" "$ready" "$restarts" "$HOST" "$(api_port "$i")" "$HOST" "$(mgmt_port "$i")"
  done
  pid=$(running_pid "$(db_name)")
  if ! has_db_server; then
    printf '  %-8s %s\n' "$(db_name)" "$(db_url)"
  elif [[ -n $pid ]]; then
    printf '  %-8s running  pid %-8s %s\n' "$(db_name)" "$pid" "$(db_url)"
  else
    printf '  %-8s not running\n' "$(db_name)"
  fi
  if [[ -n $first_ready ]]; then
    print_members "$first_ready"
  fi
}

cmd_logs() {
  local which=${1:-} file
  [[ -n $which ]] || die "usage: ${0##*/} logs I|db"
  use_recorded_db_kind
  if [[ $which == db ]]; then
    file=$(log_file "$(db_name)")
  elif [[ $which == h2 || $which == postgres ]]; then
    file=$(log_file "$which")
  else
    if ! is_uint "$which" || ((10#$which < 1)); then die "usage: ${0##*/} logs I|db"; fi
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
    _supervise) cmd_supervise "$@" ;; # internal: see start_supervisor
    *)
      usage >&2
      exit 2
      ;;
  esac
}

# On one line with main: bash reads a script as it runs it, so a supervisor (which runs for days)
# must not read on after main returns from a file that may have been edited meanwhile.
main "$@"; exit
