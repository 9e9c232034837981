#!/usr/bin/env bash
# Benchmarks Steadfast on this machine. Starts its own 3-node cluster with scripts/cluster.sh
# (ports shifted by BENCH_PORT_OFFSET, run dir run/bench, so it never meets a cluster of yours),
# drives it with the load generator io.steadfast.bench.Bench (module cluster-node/bench; a separate JVM that only speaks
# HTTP to the nodes), prints a table and one "BENCH <name> <value> <unit>" line per figure, and
# always stops the cluster it started, on failure and on Ctrl-C too. Run with -h for usage.
#
# Figures only: nothing here asserts a time. They move with whatever else the machine is doing.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CHECKOUT=$(dirname "$SCRIPT_DIR")
readonly SCRIPT_DIR CHECKOUT
readonly CLUSTER_SH=$SCRIPT_DIR/cluster.sh

# Also the order they run in: resources counts journal rows while no earlier task can write any
# (its memory peaks are reported after the last scenario), latency and recovery take half the
# peak that throughput measured, recovery kills a node (restarted after it), ratelimit kills its
# limiter's node (restarted after it), console measures the cluster idle once the rest is over,
# and jmh, floor and peers run once the cluster is stopped.
readonly ALL_SCENARIOS=(resources throughput batch latency retry schedule workflow recovery ratelimit console jmh floor peers)
# The scenarios that need no cluster; they run after it stops.
readonly CLUSTERLESS_SCENARIOS=(jmh floor peers)

readonly OFFSET=${BENCH_PORT_OFFSET:-500}
RUN_DIR=${BENCH_RUN_DIR:-$CHECKOUT/run/bench}
[[ $RUN_DIR == /* ]] || RUN_DIR=$PWD/$RUN_DIR
readonly RUN_DIR
readonly RESULTS=$RUN_DIR/results.txt
readonly MEMORY_DIR=$RUN_DIR/memory
readonly NODE_OPTS=${BENCH_JAVA_OPTS:--Xmx384m -XX:TieredStopAtLevel=1}
readonly FLAKY_BREAKER=${BENCH_FLAKY_BREAKER:-relaxed}
# The cluster's store: h2 (default), postgres (cluster.sh then runs a PostgreSQL of its own), or
# embedded (one node with H2 inside it: what one machine gets without the cluster).
readonly DB=${BENCH_DB:-h2}
readonly NODES=${BENCH_NODES:-$([[ $DB == embedded ]] && echo 1 || echo 3)}

# The load generator is a module of its own (cluster-node/bench), not part of the node's jar.
readonly BENCH_JAR=$CHECKOUT/cluster-node/bench/target/bench.jar
readonly BENCH_CP="$BENCH_JAR:$CHECKOUT/cluster-node/bench/target/lib/*"
readonly JMH_JAR=$CHECKOUT/cluster-node/jmh/target/benchmarks.jar
readonly PEERS_DIR=${BENCH_PEERS_DIR:-$(dirname "$CHECKOUT")/shared/peers}

usage() {
  cat <<EOF
Usage: ${0##*/} [scenario...]     (default: all, in this order: ${ALL_SCENARIOS[*]})

  resources   BENCH_RESOURCE_TASKS noop tasks (2000): journal rows per task; peak RSS of each
              node and of H2 (of PostgreSQL's postmaster alone) over all the scenarios run
  throughput  BENCH_NOOP_TASKS noop tasks (20000), BENCH_IN_FLIGHT requests at once (64):
              tasks/s from the first submission to the last SUCCEEDED; the submit rate apart.
              BENCH_WARMUP_TASKS (2000) noop tasks first warm the nodes' JIT, not measured (once,
              before the first of throughput, batch and workflow)
  batch       BENCH_NOOP_TASKS noop tasks (20000) in batch submissions (POST /api/v1/tasks/batch)
              of BENCH_BATCH_SIZE (100), BENCH_BATCHES_IN_FLIGHT requests at once (4): tasks/s as
              for throughput, what a client that submits in bulk gets
  latency     noop tasks at BENCH_RATE/s (default: half the peak measured by throughput) for
              BENCH_LATENCY_SECONDS (20): submit -> SUCCEEDED p50/p95/p99, split into the wait for
              the first attempt (started_later: tasks that did not start as submitted) and the
              last attempt (its journal write, the handler, the result)
  retry       BENCH_RETRY_TASKS flaky tasks (5000) failing once, retried after a fixed 10 ms
  schedule    one flaky task per retry policy: observed gaps between attempts vs nominal delays
  workflow    BENCH_WORKFLOWS diamonds (200) of four echo steps (a; b and c; d), BENCH_WORKFLOW_RATE
              a second (4, below saturation; the first fifth warm up): journal events per step
              (the workflow's and its tasks'), a step's end -> its dependent's first start
              p50/p99, submit -> SUCCEEDED, CPU per step
  recovery    the latency load for BENCH_RECOVERY_SECONDS (30), node 2 killed after
              BENCH_KILL_AFTER_SECONDS (10), BENCH_SLEEP_TASKS (60) sleep tasks running on it:
              kill -> first and last resumed attempt, lost tasks
  console     what the web console costs an idle cluster: after BENCH_CONSOLE_SETTLE_SECONDS (30)
              of quiet, the CPU of node 1 (which serves it), of all nodes and of the database over
              BENCH_CONSOLE_SECONDS (60) with no console open, then the same with one headless
              Chromium showing node 1's overview (live); in CPU ms per second (10 = 1 % of a core).
              Then the Tasks page's listing over every task the run submitted: the first page,
              page BENCH_CONSOLE_DEEP_PAGE (200) reached through the cursors, a status and type
              filter, a search by idempotency key (ms per request). Needs Debian's chromium
  ratelimit   BENCH_RATELIMIT_TASKS tasks (1000) of type limited, rate-limited to BENCH_RATELIMIT_PER_SECOND
              (20) for the whole cluster, submitted at once: attempts/s in every whole 5-s window
              (min, max, worst deviation from the limit); then the same with the node hosting the
              limiter killed BENCH_RATELIMIT_KILL_AFTER_SECONDS (15) in (started again after it)
  jmh         JMH: what an attempt pays for its circuit breaker, what the journal pays per
              tagged event row, the plugin's DAO against ours, and what the serializer pays for a
              task's events, times as numbers against text (BENCH_JMH_ARGS, default
              "-wi 3 -i 5 -f 1 -w 1s -r 1s")
  floor       what the fixed stack alone costs per task, nothing of Steadfast's own around it: in
              one JVM with the node options, an event-sourced entity per task writes what a noop
              task writes (its events, tags and writes, through the node's journal DAO; not the
              wake-up index) into an embedded H2 file, BENCH_WARMUP_TASKS (2000) first, then
              BENCH_NOOP_TASKS (20000), 400 at once: CPU ms per task and tasks/s, beside
              BENCH_DB=embedded batch's
  peers       after the cluster stops, the same number of no-op jobs (BENCH_NOOP_TASKS) on two
              task systems users compare Steadfast with, from BENCH_PEERS_DIR (../shared/peers
              beside the checkout, copied to the run dir first): BullMQ on Redis (bullmq-bench,
              needs redis-server and npm) and JobRunr on H2 (jobrunr-bench, needs mvn); prints
              their jobs/s and CPU per job and the ratios of this run's throughput and batch
              figures to them

Environment: BENCH_DB (h2 or postgres: the cluster's store, default h2; the *_cpu_ms_per_task_h2
line is then *_cpu_ms_per_task_postgres, the postmaster and all its processes; or embedded: one
node with H2 inside it, whose CPU is all in *_cpu_ms_per_task_nodes), BENCH_NODES (3; 1 for
embedded; recovery needs 3),
BENCH_PORT_OFFSET (500), BENCH_RUN_DIR (run/bench), BENCH_JAVA_OPTS (node JVM
options, as cluster.sh: -Xmx384m -XX:TieredStopAtLevel=1), BENCH_BOUND_SECONDS (how long to wait for tasks to end, 600),
BENCH_FLAKY_BREAKER: relaxed (default) or shipped; see below. BENCH_KEYED (false): with true,
the throughput and batch tasks carry idempotency keys (ids derived from the keys, so each new
task's entity first reads whether it exists; without, the receiving node mints the id).

The flaky type's circuit breaker: retry and schedule make tasks fail on purpose, which opens the
shipped breaker after 5 failures in a row and defers the whole type for 30 s and more, so that
they would measure the breaker's timeouts instead of retries. By default the bench cluster
raises flaky's failure-threshold to 1000 and turns its failure-rate rule off;
BENCH_FLAKY_BREAKER=shipped keeps config/steadfast.conf as it is.
EOF
}

note() {
  echo "bench.sh: $*" >&2
}

die() {
  note "$*"
  exit 1
}

# --- the cluster -------------------------------------------------------------------------------

CLUSTER_STARTED=0
SAMPLER_PID=
CHROMIUM_PID=

# STEADFAST_KEEP_RUNNING=0: no node restarts by itself in the middle of a measurement (recovery
# measures the cluster with node 2 down, then starts it again with start-node).
cluster() {
  STEADFAST_PORT_OFFSET=$OFFSET STEADFAST_RUN_DIR=$RUN_DIR STEADFAST_JAVA_OPTS=$(node_opts) STEADFAST_KEEP_RUNNING=0 \
    STEADFAST_H2_JAVA_OPTS="-Xmx256m -XX:-UseDynamicNumberOfCompilerThreads" STEADFAST_DB=$DB "$CLUSTER_SH" "$@"
}

node_opts() {
  local opts=$NODE_OPTS
  # Compiler threads that live for the whole run: the JVM otherwise ends idle ones, and the CPU
  # of an ended thread leaves /proc with it, so the *_jit figure (a sum over the live compiler
  # threads) could come out below zero.
  opts+=" -XX:-UseDynamicNumberOfCompilerThreads"
  # The rate-limited type of the ratelimit scenario (the others never submit it).
  opts+=" -Dsteadfast.task-types.limited.handler=noop"
  opts+=" -Dsteadfast.task-types.limited.rate-limit.permits=${BENCH_RATELIMIT_PER_SECOND:-20}"
  opts+=" -Dsteadfast.task-types.limited.rate-limit.per=1s"
  if [[ $FLAKY_BREAKER == relaxed ]]; then
    opts+=" -Dsteadfast.task-types.flaky.circuit-breaker.failure-threshold=1000"
    opts+=" -Dsteadfast.task-types.flaky.circuit-breaker.failure-rate-threshold=0"
  fi
  echo "$opts"
}

# Refuses to touch a run dir whose processes still live: they are not ours to stop.
require_no_cluster() {
  local file pid
  for file in "$RUN_DIR"/pids/*.pid; do
    [[ -e $file ]] || continue
    pid=$(<"$file")
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      die "a cluster from $RUN_DIR still runs (pid $pid); stop it with: STEADFAST_RUN_DIR=$RUN_DIR $CLUSTER_SH stop"
    fi
  done
}

start_cluster() {
  require_no_cluster
  # A fresh journal each run: figures should not depend on what earlier runs left in it.
  rm -rf "$RUN_DIR/h2" "$RUN_DIR/postgres" "$RUN_DIR/db" "$MEMORY_DIR"
  mkdir -p "$RUN_DIR" "$MEMORY_DIR"
  CLUSTER_STARTED=1
  cluster start "$NODES"
  sample_memory &
  SAMPLER_PID=$!
}

stop_cluster() {
  if [[ -n $SAMPLER_PID ]]; then
    kill "$SAMPLER_PID" 2>/dev/null || true
    wait "$SAMPLER_PID" 2>/dev/null || true
    SAMPLER_PID=
  fi
  if ((CLUSTER_STARTED)); then
    CLUSTER_STARTED=0
    cluster stop || note "stopping the cluster failed; see: STEADFAST_RUN_DIR=$RUN_DIR $CLUSTER_SH status"
  fi
}

on_exit() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n $CHILD_PID ]]; then
    kill "$CHILD_PID" 2>/dev/null || true
    wait "$CHILD_PID" 2>/dev/null || true
  fi
  if [[ -n $CHROMIUM_PID ]]; then
    kill "$CHROMIUM_PID" 2>/dev/null || true
    wait "$CHROMIUM_PID" 2>/dev/null || true
  fi
  stop_cluster
  exit "$status"
}

# Every second, the peak resident memory (VmHWM) of each process in the run dir's pid files,
# kept per name as the highest seen (a restarted node starts its own count again).
sample_memory() {
  local file name pid peak known
  while true; do
    for file in "$RUN_DIR"/pids/*.pid; do
      [[ -e $file ]] || continue
      name=${file##*/}
      name=${name%.pid}
      pid=$(<"$file") || continue
      peak=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || continue
      [[ -n $peak ]] || continue
      known=$(cat "$MEMORY_DIR/$name" 2>/dev/null || echo 0)
      if ((peak > known)); then echo "$peak" >"$MEMORY_DIR/$name"; fi
    done
    sleep 1
  done
}

# --- scenarios -------------------------------------------------------------------------------

# Runs a command in the background and waits for it: a signal then runs its trap at once (bash
# defers traps while a foreground command runs), and on_exit ends the command.
CHILD_PID=
run_child() {
  "$@" &
  CHILD_PID=$!
  wait "$CHILD_PID"
  CHILD_PID=
}

# Builds the load generator if its jar is missing or older than what it is built from. The normal
# build (mvn verify, or the install that cluster.sh runs for a stale node) builds it too; package,
# not install: nothing here needs to go into the local Maven repository.
ensure_load_generator() {
  local inputs=("$CHECKOUT"/pom.xml "$CHECKOUT"/protocol/pom.xml "$CHECKOUT"/protocol/src
    "$CHECKOUT"/cluster-node/bench/pom.xml "$CHECKOUT"/cluster-node/bench/src)
  if [[ ! -f $BENCH_JAR || -n $(find "${inputs[@]}" -newer "$BENCH_JAR" -print -quit) ]]; then
    command -v mvn >/dev/null || die "mvn is required to build the load generator"
    echo "Building the load generator: mvn -B -q -pl cluster-node/bench -am package -DskipTests ..."
    (cd "$CHECKOUT" && mvn -B -q -pl cluster-node/bench -am package -DskipTests) || die "the load generator's build failed"
  fi
}

# Runs the load generator; it prints its figures and appends them to the results file.
bench() {
  run_child java -Xmx512m -cp "$BENCH_CP" io.steadfast.bench.Bench "$@" \
    --port-offset="$OFFSET" \
    --nodes="$NODES" \
    --db="$DB" \
    --in-flight="${BENCH_IN_FLIGHT:-64}" \
    --bound-seconds="${BENCH_BOUND_SECONDS:-600}" \
    --results="$RESULTS"
}

# BENCH_RATE, or half the tasks/s throughput measured in this run; empty: the generator measures.
steady_rate() {
  if [[ -n ${BENCH_RATE:-} ]]; then
    echo "$BENCH_RATE"
  else
    awk '$1 == "BENCH" && $2 == "throughput_tasks_per_s" { rate = $3 / 2 } END { if (rate) print rate }' "$RESULTS"
  fi
}

# User + system clock ticks of one /proc stat file (a process's or a thread's), with its reaped
# children's too when $2 is "children"; 0 if it is gone. After "pid (command) " the fields start
# at the state (field 3): utime is 14, stime 15, cutime 16, cstime 17.
stat_ticks() {
  local stat fields
  stat=$(cat "$1" 2>/dev/null) || { echo 0; return; }
  read -r -a fields <<<"${stat##*) }"
  if [[ ${2:-} == children ]]; then
    echo $((fields[11] + fields[12] + fields[13] + fields[14]))
  else
    echo $((fields[11] + fields[12]))
  fi
}

# CPU time (user + system, in clock ticks) used so far by the processes of a pid file pattern
# (node-*, h2 or postgres): read from /proc, so it is what the cluster itself spent, whatever
# else the machine runs. For postgres, the postmaster with its children (one backend per
# connection, the WAL writer, checkpointer...): the live ones' own time, and the postmaster's
# cutime/cstime for those that ended (a parent is charged its reaped children's time).
cpu_ticks() {
  local file pid total=0 child
  for file in "$RUN_DIR"/pids/$1.pid; do
    [[ -e $file ]] || continue
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || continue
    if [[ $file == */postgres.pid ]]; then
      total=$((total + $(stat_ticks "/proc/$pid/stat" children)))
      for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
        total=$((total + $(stat_ticks "/proc/$child/stat")))
      done
    else
      total=$((total + $(stat_ticks "/proc/$pid/stat")))
    fi
  done
  echo "$total"
}

# Clock ticks spent so far by the JIT compiler threads (C1 and C2) of the JVMs of a pid file
# pattern (node-*, or $DB: 0 but for the H2 server, the one database that is a JVM of its own).
# A JVM compiles for minutes after its start: part of what a young cluster spends, not of what a
# task costs once the code is compiled. The H2 server's C2 was still compiling after 20,000
# warm-up tasks, at up to 40 % of its CPU in a batch run. The bench's JVMs keep their compiler
# threads (see node_opts and cluster()).
jit_ticks() {
  local file pid comm total=0 task
  for file in "$RUN_DIR"/pids/$1.pid; do
    [[ -e $file ]] || continue
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || continue
    for task in /proc/"$pid"/task/*; do
      comm=$(cat "$task/comm" 2>/dev/null) || continue
      [[ $comm == C[12]\ CompilerThre* ]] || continue
      total=$((total + $(stat_ticks "$task/stat")))
    done
  done
  echo "$total"
}

# Prints the CPU the nodes and the database server spent per task since the tick counts given,
# and the shares of it the nodes' JIT compilers and the database server's took.
report_cpu_per_task() {
  local scenario=$1 tasks=$2 nodes_before=$3 db_before=$4 jit_before=$5 db_jit_before=$6 hz
  hz=$(getconf CLK_TCK)
  awk -v s="$scenario" -v t="$tasks" -v n="$(($(cpu_ticks 'node-*') - nodes_before))" \
      -v h="$(($(cpu_ticks "$DB") - db_before))" -v j="$(($(jit_ticks 'node-*') - jit_before))" -v db="$DB" \
      -v hj="$(($(jit_ticks "$DB") - db_jit_before))" -v hz="$hz" 'BEGIN {
    printf "BENCH %s_cpu_ms_per_task_nodes %.2f ms\n", s, n * 1000 / hz / t
    if (db != "embedded") printf "BENCH %s_cpu_ms_per_task_%s %.2f ms\n", s, db, h * 1000 / hz / t
    printf "BENCH %s_cpu_ms_per_task %.2f ms\n", s, (n + h) * 1000 / hz / t
    printf "BENCH %s_cpu_ms_per_task_jit %.2f ms\n", s, j * 1000 / hz / t
    if (db == "h2") printf "BENCH %s_cpu_ms_per_task_h2_jit %.2f ms\n", s, hj * 1000 / hz / t
    printf "BENCH %s_cpu_ms_per_task_without_jit %.2f ms\n", s, (n + h - j - hj) * 1000 / hz / t
  }' | tee -a "$RESULTS"
}

# BENCH_WARMUP_TASKS noop tasks, once per run, before the first scenario whose CPU per task is
# measured: the CPU a fresh JVM spends compiling is not what a task costs.
WARMED_UP=0
warm_up_once() {
  ((WARMED_UP)) && return
  WARMED_UP=1
  bench warmup --tasks="${BENCH_WARMUP_TASKS:-2000}" --keyed="${BENCH_KEYED:-false}"
}

run_scenario() {
  local scenario=$1 nodes_cpu db_cpu jit_cpu db_jit_cpu
  echo
  echo "=== $scenario (load average $(cut -d' ' -f1-3 /proc/loadavg)) ==="
  case $scenario in throughput | batch | workflow) warm_up_once ;; esac
  nodes_cpu=$(cpu_ticks 'node-*')
  db_cpu=$(cpu_ticks "$DB")
  jit_cpu=$(jit_ticks 'node-*')
  db_jit_cpu=$(jit_ticks "$DB")
  case $scenario in
    throughput)
      bench throughput --tasks="${BENCH_NOOP_TASKS:-20000}" --keyed="${BENCH_KEYED:-false}"
      report_cpu_per_task throughput "${BENCH_NOOP_TASKS:-20000}" "$nodes_cpu" "$db_cpu" "$jit_cpu" "$db_jit_cpu"
      ;;
    batch)
      bench batch --tasks="${BENCH_NOOP_TASKS:-20000}" --batch-size="${BENCH_BATCH_SIZE:-100}" --keyed="${BENCH_KEYED:-false}" \
        --batches-in-flight="${BENCH_BATCHES_IN_FLIGHT:-4}"
      report_cpu_per_task batch "${BENCH_NOOP_TASKS:-20000}" "$nodes_cpu" "$db_cpu" "$jit_cpu" "$db_jit_cpu"
      ;;
    latency) bench latency --rate="$(steady_rate)" --seconds="${BENCH_LATENCY_SECONDS:-20}" ;;
    retry) bench retry --tasks="${BENCH_RETRY_TASKS:-5000}" ;;
    schedule) bench schedule ;;
    workflow)
      bench workflow --workflows="${BENCH_WORKFLOWS:-200}" --workflow-rate="${BENCH_WORKFLOW_RATE:-4}"
      report_cpu_per_task workflow $((${BENCH_WORKFLOWS:-200} * 4)) "$nodes_cpu" "$db_cpu" "$jit_cpu" "$db_jit_cpu"
      ;;
    recovery)
      STEADFAST_PORT_OFFSET=$OFFSET STEADFAST_RUN_DIR=$RUN_DIR bench recovery --rate="$(steady_rate)" \
        --seconds="${BENCH_RECOVERY_SECONDS:-30}" --kill-after-seconds="${BENCH_KILL_AFTER_SECONDS:-10}" \
        --sleep-tasks="${BENCH_SLEEP_TASKS:-60}" --cluster-script="$CLUSTER_SH"
      # Back to three nodes for what follows.
      cluster start-node 2
      ;;
    resources) bench resources --tasks="${BENCH_RESOURCE_TASKS:-2000}" ;;
    console) run_console ;;
    ratelimit)
      STEADFAST_PORT_OFFSET=$OFFSET STEADFAST_RUN_DIR=$RUN_DIR bench ratelimit --tasks="${BENCH_RATELIMIT_TASKS:-1000}" \
        --kill-after-seconds="${BENCH_RATELIMIT_KILL_AFTER_SECONDS:-15}" --cluster-script="$CLUSTER_SH"
      # Back to three nodes for what follows: the one killed (whichever hosted the limiter) again.
      local node pid
      for node in 1 2 3; do
        pid=$(cat "$RUN_DIR/pids/node-$node.pid" 2>/dev/null || true)
        if [[ -z $pid || ! -d /proc/$pid ]]; then cluster start-node "$node"; fi
      done
      ;;
    jmh) run_jmh ;;
    floor) run_floor ;;
    peers) run_peers ;;
  esac
}

# CPU ms per second that node 1, all nodes and the database spend over BENCH_CONSOLE_SECONDS.
idle_cpu() {
  local label=$1 seconds=${BENCH_CONSOLE_SECONDS:-60} node1 nodes db hz
  hz=$(getconf CLK_TCK)
  node1=$(cpu_ticks node-1)
  nodes=$(cpu_ticks 'node-*')
  db=$(cpu_ticks "$DB")
  sleep "$seconds"
  awk -v l="$label" -v s="$seconds" -v hz="$hz" -v db="$DB" -v n1="$(($(cpu_ticks node-1) - node1))" \
      -v n="$(($(cpu_ticks 'node-*') - nodes))" -v d="$(($(cpu_ticks "$DB") - db))" 'BEGIN {
    printf "BENCH console_idle_cpu_ms_per_s_node1_%s %.1f ms/s\n", l, n1 * 1000 / hz / s
    printf "BENCH console_idle_cpu_ms_per_s_nodes_%s %.1f ms/s\n", l, n * 1000 / hz / s
    printf "BENCH console_idle_cpu_ms_per_s_%s_%s %.1f ms/s\n", db, l, d * 1000 / hz / s
  }' | tee -a "$RESULTS"
}

# The idle cluster without a console, then with one headless Chromium on node 1's overview, which
# holds the event stream open (a figure every push-interval) and redraws the page.
run_console() {
  command -v chromium >/dev/null || die "the console scenario needs chromium (apt-get install -y chromium)"
  sleep "${BENCH_CONSOLE_SETTLE_SECONDS:-30}"
  idle_cpu no_console
  rm -rf "$RUN_DIR/chromium"
  chromium --headless=new --no-sandbox --disable-gpu --remote-debugging-port=0 --user-data-dir="$RUN_DIR/chromium" \
    "http://127.0.0.1:$((8081 + OFFSET))/console/#/overview" >"$RUN_DIR/chromium.log" 2>&1 &
  CHROMIUM_PID=$!
  sleep 10 # the page loaded and its stream open
  idle_cpu one_console
  kill "$CHROMIUM_PID" 2>/dev/null || true
  wait "$CHROMIUM_PID" 2>/dev/null || true
  CHROMIUM_PID=
  listing_times
}

# Milliseconds a GET of the task listing takes, the median of 5 (the answer's body saved in
# $RUN_DIR/page.json).
list_ms() {
  local i
  for i in 1 2 3 4 5; do
    curl -s -o "$RUN_DIR/page.json" -w '%{time_total}\n' "http://127.0.0.1:$((8081 + OFFSET))/api/v1/tasks$1"
  done | sort -n | awk 'NR == 3 { printf "%.1f", $1 * 1000 }'
}

next_cursor() {
  grep -o '"nextCursor":"[^"]*"' "$RUN_DIR/page.json" | cut -d'"' -f4 || true
}

# The listing stays as fast deep in the history as at its start (keyset paging), whatever the count.
listing_times() {
  local deep=${BENCH_CONSOLE_DEEP_PAGE:-200} page=1 cursor first last tasks
  tasks=$(curl -s "http://127.0.0.1:$((8081 + OFFSET))/api/v1/stats" | grep -o '"submitted":[0-9]*' | cut -d: -f2 || true)
  first=$(list_ms "?limit=50")
  cursor=$(next_cursor)
  # Walks the pages as an operator pressing "Next page" would; times the last one reached.
  while ((page < deep - 1)) && [[ -n $cursor ]]; do
    curl -s -o "$RUN_DIR/page.json" "http://127.0.0.1:$((8081 + OFFSET))/api/v1/tasks?limit=50&after=$cursor"
    cursor=$(next_cursor)
    page=$((page + 1))
  done
  if [[ -n $cursor ]]; then
    last=$(list_ms "?limit=50&after=$cursor")
    page=$((page + 1))
  fi
  {
    echo "BENCH console_listing_tasks_in_read_side $(echo "${tasks:-0}" | head -n 1) tasks"
    echo "BENCH console_listing_first_page_ms $first ms"
    echo "BENCH console_listing_page_${page}_ms ${last:-$first} ms"
    echo "BENCH console_listing_status_and_type_filter_ms $(list_ms "?status=SUCCEEDED&type=noop&limit=50") ms"
    echo "BENCH console_listing_search_by_key_ms $(list_ms "?idempotencyKey=no-such-key") ms"
  } | tee -a "$RESULTS"
}

report_memory() {
  local file name
  for file in "$MEMORY_DIR"/*; do
    [[ -e $file ]] || continue
    name=${file##*/}
    echo "BENCH resources_peak_rss_${name//-/_} $(($(<"$file") / 1024)) MiB" | tee -a "$RESULTS"
  done
}

ensure_jmh_jar() {
  if [[ ! -f $JMH_JAR || -n $(find "$CHECKOUT"/*/src "$CHECKOUT"/pom.xml "$CHECKOUT"/*/pom.xml -newer "$JMH_JAR" -print -quit) ]]; then
    echo "Building the benchmarks: mvn -B -q -Pjmh -pl cluster-node/jmh -am install -DskipTests ..."
    (cd "$CHECKOUT" && mvn -B -q -Pjmh -pl cluster-node/jmh -am install -DskipTests) || die "the benchmark build failed"
  fi
}

run_jmh() {
  ensure_jmh_jar
  local csv=$RUN_DIR/jmh.csv args
  read -r -a args <<<"${BENCH_JMH_ARGS:--wi 3 -i 5 -f 1 -w 1s -r 1s}"
  run_child java -cp "$JMH_JAR:$CHECKOUT/cluster-node/jmh/target/lib/*" org.openjdk.jmh.Main \
    'CircuitBreakerBench|JournalWriteBench|EventSerializationBench' "${args[@]}" -rf csv -rff "$csv"
  # "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit"
  # then a column per parameter of any benchmark (JournalWriteBench's dao, EventSerializationBench's
  # times), empty where a benchmark has no such parameter: a figure is named after its values.
  awk -F, 'NR > 1 {
      gsub(/"|\r/, ""); n = split($1, part, "."); name = part[n]
      for (i = 8; i <= NF; i++) if ($i != "") name = name "_" $i
      printf "BENCH jmh_%s %.1f %s\nBENCH jmh_%s_error_99.9 %.1f %s\n", name, $5, $7, name, $6, $7
    }' "$csv" |
    tee -a "$RESULTS"
}

# The floor's JVM gets the nodes' options; its figures are its own lines.
run_floor() {
  ensure_jmh_jar
  local dir=$RUN_DIR/floor opts
  rm -rf "$dir"
  read -r -a opts <<<"$NODE_OPTS -XX:-UseDynamicNumberOfCompilerThreads"
  run_child java "${opts[@]}" -cp "$JMH_JAR:$CHECKOUT/cluster-node/jmh/target/lib/*" io.steadfast.bench.jmh.StackFloor \
    "${BENCH_NOOP_TASKS:-20000}" "${BENCH_WARMUP_TASKS:-2000}" 400 "$dir" >"$RUN_DIR/floor.log" 2>&1 ||
    die "the floor failed; see $RUN_DIR/floor.log"
  grep '^BENCH ' "$RUN_DIR/floor.log" | tee -a "$RESULTS"
}

# The peers run from a copy in the run dir (their scripts install and build into their own folder).
# Each prints its own machine-readable lines; what is compared is taken from those.
run_peers() {
  local tasks=${BENCH_NOOP_TASKS:-20000} copy=$RUN_DIR/peers out
  [[ -d $PEERS_DIR/bullmq-bench && -d $PEERS_DIR/jobrunr-bench ]] || die "no peers in $PEERS_DIR (set BENCH_PEERS_DIR)"
  # Copied once: the copy keeps what the peers installed (node_modules, target) for the next run.
  [[ -d $copy ]] || { mkdir -p "$copy" && cp -r "$PEERS_DIR"/bullmq-bench "$PEERS_DIR"/jobrunr-bench "$copy"/; }
  out=$RUN_DIR/peers-bullmq.txt
  run_child "$copy"/bullmq-bench/run.sh noop --jobs "$tasks" --repeats 1 --no-latency-events >"$out" ||
    die "bullmq-bench failed; see $out"
  awk '$1 == "PEER" && $2 == "bullmq" && $3 ~ /^noop_(bulk|single)(_cpu_per_job)?$/ {
      printf "BENCH peers_bullmq_%s %s %s\n", $3, $4, $5 }' "$out" | tee -a "$RESULTS"
  out=$RUN_DIR/peers-jobrunr.txt
  run_child env -C "$copy"/jobrunr-bench N="$tasks" PROBES=0 ./run.sh noop >"$out" || die "jobrunr-bench failed; see $out"
  sed -n 's/.*jobrunr_noop_jobs_per_s=\([0-9.]*\).*/BENCH peers_jobrunr_noop_jobs_per_s \1 jobs\/s/p' "$out" | tee -a "$RESULTS"
  report_peer_ratios
}

# Steadfast's figure over the peer's (tasks/s: above 1 is faster; CPU per task: above 1 costs more).
report_peer_ratios() {
  awk '$1 == "BENCH" { v[$2] = $3 }
    function ratio(name, a, b) { if ((a in v) && (b in v) && v[b] > 0) printf "BENCH %s %.3f ratio\n", name, v[a] / v[b] }
    END {
      ratio("peers_ratio_batch_tasks_per_s_to_bullmq_bulk", "batch_tasks_per_s", "peers_bullmq_noop_bulk")
      ratio("peers_ratio_batch_cpu_per_task_to_bullmq_bulk", "batch_cpu_ms_per_task", "peers_bullmq_noop_bulk_cpu_per_job")
      ratio("peers_ratio_batch_tasks_per_s_to_jobrunr", "batch_tasks_per_s", "peers_jobrunr_noop_jobs_per_s")
      ratio("peers_ratio_single_tasks_per_s_to_bullmq_single", "throughput_tasks_per_s", "peers_bullmq_noop_single")
      ratio("peers_ratio_single_cpu_per_task_to_bullmq_single", "throughput_cpu_ms_per_task", "peers_bullmq_noop_single_cpu_per_job")
    }' "$RESULTS" | tee -a "$RESULTS"
}

# --- the table -----------------------------------------------------------------------------------

print_table() {
  echo
  echo "=== results (noisy if anything else ran on this machine) ==="
  awk '$1 == "BENCH" { printf "  %-58s %12s  %s\n", $2, $3, $4 }' "$RESULTS"
  if grep -q '^SCHEDULE ' "$RESULTS"; then
    echo
    sed -n 's/^SCHEDULE /  /p' "$RESULTS"
  fi
  echo "(the BENCH lines above, and in $RESULTS)"
}

# True if any of the scenarios given runs against the cluster.
needs_cluster() {
  local scenario
  for scenario in "$@"; do
    [[ " ${CLUSTERLESS_SCENARIOS[*]} " == *" $scenario "* ]] || return 0
  done
  return 1
}

main() {
  local scenarios=() scenario wanted
  for wanted in "$@"; do
    case $wanted in
      -h | --help | help)
        usage
        return 0
        ;;
    esac
    [[ " ${ALL_SCENARIOS[*]} " == *" $wanted "* ]] || { usage >&2; die "unknown scenario '$wanted'"; }
  done
  for scenario in "${ALL_SCENARIOS[@]}"; do
    if (($# == 0)) || [[ " $* " == *" $scenario "* ]]; then scenarios+=("$scenario"); fi
  done
  [[ $DB == h2 || $DB == postgres || $DB == embedded ]] || die "BENCH_DB must be h2, postgres or embedded, got '$DB'"
  [[ $NODES =~ ^[1-9]$ ]] || die "BENCH_NODES must be 1 to 9, got '$NODES'"
  if [[ " ${scenarios[*]} " == *" recovery "* ]] && ((NODES < 3)); then die "recovery kills node 2 of 3: BENCH_NODES=3"; fi
  if [[ " ${scenarios[*]} " == *" resources "* && $DB == embedded ]]; then
    die "resources reads the journal through a database server: not with BENCH_DB=embedded"
  fi
  [[ $FLAKY_BREAKER == relaxed || $FLAKY_BREAKER == shipped ]] ||
    die "BENCH_FLAKY_BREAKER must be relaxed or shipped, got '$FLAKY_BREAKER'"
  command -v java >/dev/null || die "java is required"

  trap on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  mkdir -p "$RUN_DIR"
  : >"$RESULTS"
  echo "Scenarios: ${scenarios[*]}; store: $DB; $NODES node(s); node options: $(node_opts); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  if needs_cluster "${scenarios[@]}"; then ensure_load_generator; fi
  for scenario in "${scenarios[@]}"; do
    needs_cluster "$scenario" || continue
    ((CLUSTER_STARTED)) || start_cluster
    run_scenario "$scenario"
  done
  if [[ " ${scenarios[*]} " == *" resources "* ]]; then report_memory; fi
  stop_cluster # a microbenchmark wants the machine to itself
  if [[ " ${scenarios[*]} " == *" jmh "* ]]; then run_scenario jmh; fi
  if [[ " ${scenarios[*]} " == *" floor "* ]]; then run_scenario floor; fi
  # After the cluster and anything else of ours: the peers measure the machine as we left it.
  if [[ " ${scenarios[*]} " == *" peers "* ]]; then run_scenario peers; fi
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  print_table
}

main "$@"
