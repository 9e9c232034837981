#!/usr/bin/env bash
# The whole Steadfast mission in under two minutes, narrated: starts its own 3-node cluster,
# submits a mix of tasks, kills a node while it runs some of them, and shows from the API how
# every task still reaches an end: resumed attempts, retries with backoff, a circuit breaker
# opening and closing, dead letters and a redrive, a workflow resumed by redriving its failed
# step. Stops its cluster on exit, also on Ctrl-C or failure. Run with --help for the
# environment it reads.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CHECKOUT=$(dirname "$SCRIPT_DIR")
readonly SCRIPT_DIR CHECKOUT
readonly CLUSTER_SH=$SCRIPT_DIR/cluster.sh
readonly HOST=127.0.0.1
readonly NODES=3
readonly VICTIM=2        # the node that is killed
readonly READER=1        # the node the demo reads from (never killed)
readonly HTTP_TIMEOUT_S=5

# Its own ports and run dir, so that it never meets a cluster started by hand.
PORT_OFFSET=${STEADFAST_DEMO_PORT_OFFSET:-700}
RUN_DIR=${STEADFAST_DEMO_RUN_DIR:-$CHECKOUT/run/demo}
[[ $RUN_DIR == /* ]] || RUN_DIR=$PWD/$RUN_DIR
readonly PORT_OFFSET RUN_DIR

# The demo's own task type: the flaky handler behind a breaker that opens after 3 consecutive
# failures and lets a trial through 5 s later.
readonly FRAGILE_OPTS="-Dsteadfast.task-types.fragile.handler=flaky
 -Dsteadfast.task-types.fragile.max-attempts=2
 -Dsteadfast.task-types.fragile.circuit-breaker.failure-threshold=3
 -Dsteadfast.task-types.fragile.circuit-breaker.failure-rate-threshold=0
 -Dsteadfast.task-types.fragile.circuit-breaker.reset-timeout=5s
 -Dsteadfast.task-types.fragile.circuit-breaker.max-reset-timeout=5s"
# A type limited to 5 attempts a second for the whole cluster, and the breaker drill allowed.
readonly LIMITED_OPTS="-Dsteadfast.task-types.limited.handler=noop
 -Dsteadfast.task-types.limited.rate-limit.permits=5
 -Dsteadfast.task-types.limited.rate-limit.per=1s
 -Dsteadfast.drills.simulate-failure=on"
JAVA_OPTS="${STEADFAST_JAVA_OPTS:--Xmx384m -XX:TieredStopAtLevel=1} ${FRAGILE_OPTS//$'\n'/} ${LIMITED_OPTS//$'\n'/}"
readonly JAVA_OPTS

# The mix.
readonly SLEEP_TASKS=9 SLEEP_MS=10000 CHECKPOINT_MS=1000
readonly NOOP_TASKS=6
readonly KILL_AT_MS=3000 # kill once the watched task has checkpointed this much

# The workflow: echo steps return what they were given, the results of their dependencies too.
readonly SIGNUP_WORKFLOW='{"name": "signup", "steps": [
  {"name": "create", "type": "echo", "payload": {"account": "acme"}},
  {"name": "bill", "type": "flaky", "payload": {"failTimes": 1, "error": "permanent"}, "dependsOn": ["create"]},
  {"name": "welcome", "type": "echo", "payload": {"mail": "welcome"}, "dependsOn": ["create"]},
  {"name": "notify-sales", "type": "echo", "dependsOn": ["bill", "welcome"]}]}'

usage() {
  cat <<EOF
Usage: ${0##*/}

Starts a 3-node Steadfast cluster of its own, runs a narrated demo against it (a node is killed
mid-run) and stops the cluster again. Takes about a minute on 2 cores (more on a busy machine);
needs java, curl and python3 (and mvn if the node has to be built first).

Environment:
  STEADFAST_DEMO_PORT_OFFSET  port offset of the demo cluster (default 700: APIs on 8781-8783)
  STEADFAST_DEMO_RUN_DIR      its pids, logs and database (default: $CHECKOUT/run/demo)
  STEADFAST_JAVA_OPTS         node JVM options (default -Xmx384m -XX:TieredStopAtLevel=1, as cluster.sh); the demo adds its task type
EOF
}

# --- output -------------------------------------------------------------------------------------

if [[ -t 1 ]]; then
  BOLD=$'\e[1m' RED=$'\e[31m' RESET=$'\e[0m'
else
  BOLD='' RED='' RESET=''
fi
readonly BOLD RED RESET

heading() {
  printf '\n%s[%3ds] %s%s\n' "$BOLD" "$SECONDS" "$*" "$RESET"
}

say() {
  printf '  %s\n' "$*"
}

# Indents command output as data.
indent() {
  sed 's/^/    /'
}

fail() {
  printf '\n%sdemo.sh: %s%s\n' "$RED" "$*" "$RESET" >&2
  exit 1
}

# --- ports and HTTP -----------------------------------------------------------------------------

api_url() { echo "http://$HOST:$((8080 + $1 + PORT_OFFSET))/api/v1"; }
remoting_addr() { echo "$HOST:$((2550 + $1 + PORT_OFFSET))"; }

READ_API=$(api_url "$READER")
readonly READ_API

# api METHOD PATH [JSON]: calls the reading node; sets STATUS (000 if nothing answered) and
# leaves the body in $TMP_DIR/body.
api() {
  local method=$1 path=$2 data=${3:-}
  local args=(-s --noproxy '*' --max-time "$HTTP_TIMEOUT_S" -o "$TMP_DIR/body" -w '%{http_code}' -X "$method")
  [[ -z $data ]] || args+=(-H 'Content-Type: application/json' --data-binary "$data")
  : >"$TMP_DIR/body"
  STATUS=$(curl "${args[@]}" "$READ_API$path") || STATUS=000
}

# Saves the body of the last call under a name, for py.
keep_body() {
  cp "$TMP_DIR/body" "$TMP_DIR/$1.json"
}

# submit KIND COUNT PAYLOAD [EXTRA]: queues COUNT submissions of one kind (the type is the kind
# up to its first '-'), spread round-robin over the nodes that are up; send_submissions posts them.
QUEUED=()
UP=(1 2 3) # the nodes that take submissions (node 2 drops out when killed)
submit() {
  local kind=$1 count=$2 payload=$3 extra=${4:+,$4} i
  for ((i = 0; i < count; i++)); do
    QUEUED+=("$kind" "{\"type\":\"${kind%%-*}\",\"payload\":$payload$extra}")
  done
}

# One line of the mix as the demo shows it: kind, count, what.
mix_line() {
  printf '%-13s x%-3s %s\n' "$1" "$2" "$3"
}

# Posts the queued submissions in one curl run, round-robin over the given nodes, and records the
# tasks; fails if any was not accepted.
send_submissions() {
  local nodes=("$@") args=() i node n=0
  for ((i = 0; i < ${#QUEUED[@]}; i += 2)); do
    node=${nodes[n % ${#nodes[@]}]}
    n=$((n + 1))
    ((${#args[@]} == 0)) || args+=(--next)
    args+=(-s --noproxy '*' --max-time "$HTTP_TIMEOUT_S" -X POST -H 'Content-Type: application/json'
      --data-binary "${QUEUED[i + 1]}" -w "\n@@ %{http_code} ${QUEUED[i]} $node\n" "$(api_url "$node")/tasks")
  done
  QUEUED=()
  curl "${args[@]}" >"$TMP_DIR/submitted" || true
  py record "$TMP_DIR/submitted"
}

# Reads the tasks of the given kinds (all if none) from the reading node into the snapshot.
fetch() {
  local urls=() id
  while read -r id; do urls+=("$READ_API/tasks/$id"); done < <(py ids "$@")
  ((${#urls[@]} > 0)) || return 0
  curl -s --noproxy '*' --max-time 3 -w '\n@@ %{http_code} %{url_effective}\n' "${urls[@]}" >"$TMP_DIR/fetched" || true
  py merge "$TMP_DIR/fetched"
}

# wait_until TIMEOUT_S WHAT COMMAND...: runs COMMAND every half second until it succeeds; fails
# the demo with WHAT if it has not after TIMEOUT_S.
wait_until() {
  local timeout_s=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout_s))
  until "$@"; do
    ((SECONDS < deadline)) || fail "timed out after ${timeout_s} s waiting for $what"
    sleep 0.5
  done
}

# fetched CHECK KIND...: fetch the tasks of those kinds, then py CHECK KIND....
fetched() {
  local check=$1
  shift
  fetch "$@" && py "$check" "$@"
}

breaker_in() {
  api GET /circuit-breakers/fragile
  [[ $STATUS == 200 ]] || return 1
  keep_body breaker
  py breaker-in "$@"
}

# --- the cluster --------------------------------------------------------------------------------

# STEADFAST_KEEP_RUNNING=0: the killed node stays down, as the narration says; restarted by a
# supervisor, it would rejoin mid-demo and take shards (and CPU) back at no scripted moment.
cluster() {
  STEADFAST_PORT_OFFSET=$PORT_OFFSET STEADFAST_RUN_DIR=$RUN_DIR STEADFAST_JAVA_OPTS=$JAVA_OPTS STEADFAST_KEEP_RUNNING=0 \
    "$CLUSTER_SH" "$@"
}

CLUSTER_STARTED=0
DB_CREATED=0
TMP_DIR=''

stop_cluster() {
  ((CLUSTER_STARTED)) || return 0
  CLUSTER_STARTED=0
  if cluster stop 2>&1 | indent; then
    # The database is this run's: the next run starts from a clean one. Logs are kept.
    if ((DB_CREATED)); then rm -rf "$RUN_DIR/h2"; fi
  else
    say "Stopping the demo cluster failed; see: STEADFAST_RUN_DIR=$RUN_DIR $CLUSTER_SH status"
  fi
}

cleanup() {
  local rc=$?
  trap '' INT TERM # a second Ctrl-C must not leave the cluster half stopped
  if ((CLUSTER_STARTED)); then
    heading "Stopping the demo cluster"
    stop_cluster
    ((rc == 0)) || say "Node logs are kept in $RUN_DIR/logs."
  fi
  [[ -z $TMP_DIR ]] || rm -rf "$TMP_DIR"
  exit "$rc"
}

# --- JSON (python3) -----------------------------------------------------------------------------

py() {
  python3 "$TMP_DIR/demo.py" "$@"
}

write_py() {
  cat >"$TMP_DIR/demo.py" <<'PY'
"""JSON handling for demo.sh: keeps a snapshot of the demo's tasks and prints compact views."""
import collections
import json
import os
import re
import sys
from datetime import datetime

TMP = os.environ["DEMO_TMP"]
TASKS = os.path.join(TMP, "tasks")          # "kind id" per line, in submission order
SNAPSHOT = os.path.join(TMP, "snapshot.json")
NODES = dict(pair.split("=", 1) for pair in os.environ["DEMO_NODES"].split())
TERMINAL = ("SUCCEEDED", "DEAD_LETTERED", "CANCELLED")
MARK = re.compile(r"^@@ (\d{3}) (.*)$")


def out(line=""):
    print("    " + line if line else "")


def say(line):
    print("  " + line)


def node(addr):
    return NODES.get(addr, addr or "?")


def clock(iso):
    return iso[11:23] if iso else "-"


def when(iso):
    return datetime.strptime(iso.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def secs(seconds):
    return "%.2f s" % seconds


def load_json(name):
    with open(os.path.join(TMP, name + ".json")) as f:
        return json.load(f)


def tasks(*kinds):
    found = []
    if os.path.exists(TASKS):
        with open(TASKS) as f:
            for line in f:
                kind, task_id = line.split()
                if not kinds or kind in kinds:
                    found.append((kind, task_id))
    return found


def snapshot():
    if not os.path.exists(SNAPSHOT):
        return {"tasks": {}, "seen": {}}
    with open(SNAPSHOT) as f:
        return json.load(f)


def save(snap):
    with open(SNAPSHOT + ".new", "w") as f:
        json.dump(snap, f)
    os.replace(SNAPSHOT + ".new", SNAPSHOT)


def remember(snap, task):
    snap["tasks"][task["id"]] = task
    seen = snap["seen"].setdefault(task["id"], [])
    if task["status"] not in seen:
        seen.append(task["status"])


def views(*kinds):
    snap = snapshot()
    return [snap["tasks"][i] for _, i in tasks(*kinds) if i in snap["tasks"]]


def blocks(path):
    """(status, label, body) per transfer of a curl run written with -w '\\n@@ code label\\n'."""
    with open(path) as f:
        text = f.read()
    body = []
    for line in text.split("\n"):
        m = MARK.match(line)
        if m:
            yield m.group(1), m.group(2), "\n".join(body).strip()
            body = []
        else:
            body.append(line)


def attempt_line(a):
    error = a.get("error") or {}
    detail = "%s: %s" % (error["type"], error["message"]) if error and error.get("type") != a["outcome"] else ""
    return ("attempt %d  %-6s  %s -> %-12s  %-9s  %s" % (
        a["attempt"], node(a["node"]), clock(a["startedAt"]), clock(a["endedAt"]) if a["endedAt"] else "(running)",
        a["outcome"] or "RUNNING", detail)).rstrip()


def history(task):
    for a in task["history"]:
        out(attempt_line(a))


def by_node(ts):
    count = collections.Counter(node(t["history"][-1]["node"]) for t in ts if t["history"])
    return ", ".join("%s: %d" % kv for kv in sorted(count.items()))


# --- commands -----------------------------------------------------------------------------------

def cmd_record(path):
    """Records the submissions of one curl run; fails if any was not accepted."""
    snap, failed, accepted, kinds = snapshot(), [], 0, collections.Counter()
    with open(TASKS, "a") as f:
        for status, label, body in blocks(path):
            kind, via = label.split()
            if status not in ("200", "202"):
                failed.append("%s via node %s: HTTP %s %s" % (kind, via, status, body[:200]))
                continue
            task = json.loads(body)
            f.write("%s %s\n" % (kind, task["id"]))
            remember(snap, task)
            accepted += 1
            kinds[kind] += 1
    save(snap)
    for line in failed:
        say("NOT ACCEPTED: " + line)
    return 1 if failed or not accepted else 0


def cmd_ids(*kinds):
    for _, task_id in tasks(*kinds):
        print(task_id)


def cmd_merge(path):
    snap = snapshot()
    for status, _, body in blocks(path):
        if status == "200":
            remember(snap, json.loads(body))
    save(snap)


def cmd_terminal(*kinds):
    ts, wanted = views(*kinds), tasks(*kinds)
    return 0 if len(ts) == len(wanted) and all(t["status"] in TERMINAL for t in ts) else 1


def cmd_counts(*kinds):
    ts = views(*kinds)
    count = collections.Counter(t["status"] for t in ts)
    say("%s: %s." % (", ".join(kinds), ", ".join("%d %s" % (n, s) for s, n in count.most_common())))


def cmd_any_status(kind, status):
    snap = snapshot()
    return 0 if any(status in snap["seen"].get(i, []) for _, i in tasks(kind)) else 1


def cmd_start_spread(kind):
    ts = views(kind)
    starts = sorted(when(a["startedAt"]) for t in ts for a in t["history"])
    span = starts[-1] - starts[0] if len(starts) > 1 else 0
    seen = snapshot()["seen"]
    waited = sum(1 for t in ts if "RATE_LIMITED" in seen.get(t["id"], []))
    say("%d tasks, %d attempts, started over %s: %.1f a second (the limit is 5), on %s; %d seen RATE_LIMITED." % (
        len(ts), len(starts), secs(span), (len(starts) - 1) / span if span else 0, by_node(ts), waited))


def cmd_noops():
    ts = views("noop")
    ok = [t for t in ts if t["status"] == "SUCCEEDED"]
    say("%d of %d noop tasks SUCCEEDED, each on attempt %s; they ran on %s." % (
        len(ok), len(ts), "/".join(sorted({str(t["attempts"]) for t in ok})), by_node(ok)))
    say("Tasks are spread over the nodes by id (sharding), whichever node took the request.")


def waits(task):
    h = task["history"]
    return [when(b["startedAt"]) - when(a["endedAt"]) for a, b in zip(h, h[1:]) if a["endedAt"]]


def policy(task):
    p = task["retryPolicy"]
    return "%s, first delay %d ms, x%s, jitter %s, at most %d attempts" % (
        p["strategy"], p["initialDelayMs"], p["multiplier"], p["jitter"], p["maxAttempts"])


def cmd_retries():
    shown = views("flaky-backoff")[0]
    say("Task %s, payload %s, retryPolicy override %s:" % (
        shown["id"][:8], json.dumps(shown["payload"]), '{"initialDelayMs":500,"jitter":"none"}'))
    out("policy: " + policy(shown))
    h = shown["history"]
    for i, a in enumerate(h):
        out(attempt_line(a))
        if i + 1 < len(h) and a["endedAt"]:
            out("          backoff %s" % secs(when(h[i + 1]["startedAt"]) - when(a["endedAt"])))
    others = views("flaky-retry")
    if others:
        say("With the type's own policy (%s):" % policy(others[0]))
        for t in others:
            out("%s  %-9s  on attempt %d, after backoffs of %s" % (
                t["id"][:8], t["status"], t["attempts"], ", ".join(secs(w) for w in waits(t)) or "-"))
    say("Full jitter draws each wait between 0 and the exponential delay, so that tasks failing")
    say("together do not retry together.")


def cmd_breaker_in(*states):
    return 0 if load_json("breaker")["state"] in states else 1


def cmd_breaker(with_transitions="yes"):
    b = load_json("breaker")
    line = "state %s, %d consecutive failures, window %d calls / %d failed, hosted by %s" % (
        b["state"], b["consecutiveFailures"], b["callsInWindow"], b["failuresInWindow"], node(b["hostedBy"]))
    out(line)
    if b["state"] == "OPEN":
        out("opened at %s, half-open (one trial) at %s" % (clock(b["openedAt"]), clock(b["nextHalfOpenAt"])))
    if with_transitions == "yes":
        for tr in b["transitions"]:
            out("%s  %-9s -> %-9s  %s" % (clock(tr["at"]), tr["from"], tr["to"], tr["reason"]))


def cmd_failing():
    ts = views("fragile-fail")
    for t in ts:
        last = t["history"][-1] if t["history"] else None
        out("%s  %-13s  %s" % (t["id"][:8], t["status"], attempt_line(last) if last else "no attempt"))


def cmd_deferred_or_ran(*kinds):
    ts, wanted = views(*kinds), tasks(*kinds)
    return 0 if len(ts) == len(wanted) and all(t["status"] == "DEFERRED" or t["history"] for t in ts) else 1


def cmd_deferred():
    for t in views("fragile-ok"):
        if t["status"] == "DEFERRED":
            out("%s  DEFERRED until %s, %d attempts spent" % (t["id"][:8], clock(t["nextAttemptAt"]), t["attempts"]))
        else:
            out("%s  %s (it reached the breaker after it went half-open)" % (t["id"][:8], t["status"]))


def cmd_fragile_ok():
    snap, ts = snapshot(), views("fragile-ok")
    started = sorted(t["history"][0]["startedAt"] for t in ts if t["history"])
    for t in ts:
        first = t["history"][0] if t["history"] else None
        out("%s  %-34s  %s" % (
            t["id"][:8], " -> ".join(snap["seen"].get(t["id"], [])),
            "attempt %d on %s at %s%s" % (first["attempt"], node(first["node"]), clock(first["startedAt"]),
                                          " (the trial)" if first["startedAt"] == started[0] else "")
            if first else ""))


def running_on(addr, t):
    return t["status"] == "RUNNING" and t["history"] and t["history"][-1]["node"] == addr \
        and t["history"][-1]["outcome"] is None


def cmd_pick(addr, min_ms):
    """Prints 'id count sleptMs' of the sleep task on addr with the most progress past min_ms;
    exit 1: not yet; exit 2: every sleep task started elsewhere."""
    ts = views("sleep")
    mine = [t for t in ts if running_on(addr, t)]
    if not mine:
        started = [t for t in ts if t["history"]]
        return 2 if len(started) == len(tasks("sleep")) else 1
    progress = lambda t: (t["checkpoint"] or {}).get("sleptMs", 0)
    ready = [t for t in mine if progress(t) >= int(min_ms)]
    if not ready:
        return 1
    best = min(ready, key=progress)  # the most left to do
    print(best["id"], len(mine), progress(best))
    return 0


def cmd_running_on(addr):
    for t in views("sleep"):
        if running_on(addr, t):
            out("%s  RUNNING since %s, checkpoint %s" % (
                t["id"][:8], clock(t["history"][-1]["startedAt"]), json.dumps(t["checkpoint"])))


def lost_and_resumed(t):
    h = t["history"]
    return any(a["outcome"] == "NODE_LOST" for a in h[:-1]) and h[-1]["outcome"] != "NODE_LOST"


def cmd_resumed(task_id):
    t = snapshot()["tasks"].get(task_id)
    return 0 if t and lost_and_resumed(t) else 1


def cmd_resume(task_id, killed_at):
    t = snapshot()["tasks"][task_id]
    history(t)
    resumed = t["history"][-1]
    say("Attempt %d started on %s %s after the kill. A lost attempt counts against maxAttempts" % (
        resumed["attempt"], node(resumed["node"]), secs(when(resumed["startedAt"]) - float(killed_at))))
    say("(%d of %d used): a task that kills its nodes ends dead-lettered, not crash-looping." % (
        t["attempts"], t["maxAttempts"]))


def cmd_resumed_result(task_id):
    t = snapshot()["tasks"][task_id]
    r = t["result"] or {}
    lost = [a for a in t["history"] if a["outcome"] == "NODE_LOST"][-1]
    say("%s %s on %s; result %s:" % (
        task_id[:8], t["status"], node(t["history"][-1]["node"]), json.dumps(r, separators=(",", ":"))))
    say("it resumed from the checkpoint sleptMs=%s that %s had recorded, and slept only the" % (
        r.get("resumedFromMs", "?"), node(lost["node"])))
    say("remaining %s ms of %d." % (r.get("sleptThisAttemptMs", "?"), t["payload"]["durationMs"]))


def cmd_sleepers(victim):
    ts = views("sleep")
    ok = [t for t in ts if t["status"] == "SUCCEEDED"]
    lost = [t for t in ts if any(a["outcome"] == "NODE_LOST" for a in t["history"])]
    say("%d of %d sleep tasks SUCCEEDED; %d of them lost %s mid-run and finished elsewhere:" % (
        len(ok), len(ts), len(lost), victim))
    for t in lost:
        r = t["result"] or {}
        out("%s  %s, resumed from %s ms, slept %s ms more" % (
            t["id"][:8], ", ".join("%s %s" % (node(a["node"]), a["outcome"] or "RUNNING") for a in t["history"]),
            r.get("resumedFromMs", "?"), r.get("sleptThisAttemptMs", "?")))


def cmd_dlq_has(*kinds):
    entries = {e["taskId"] for e in load_json("dead-letters")["entries"]}
    return 0 if all(i in entries for _, i in tasks(*kinds)) else 1


def cmd_dlq():
    ours = {i: k for k, i in tasks()}
    for e in load_json("dead-letters")["entries"]:
        out("#%-2d %s  %-7s  %s after %d attempt(s): %s" % (
            e["sequence"], e["taskId"][:8], e["type"], e["errorType"], e["attempts"], e["reason"]))
        if e["taskId"] not in ours:
            out("    (not submitted by this demo)")


def cmd_dlq_stats():
    s = load_json("dlq-stats")
    out("total %d; by type %s; by error type %s; queue hosted by %s" % (
        s["total"], json.dumps(s["byType"]), json.dumps(s["byErrorType"]), node(s["hostedBy"])))


def cmd_first(kind):
    print(tasks(kind)[0][1])


def cmd_task_status(task_id, *statuses):
    t = snapshot()["tasks"].get(task_id)
    return 0 if t and t["status"] in statuses else 1


def cmd_redriven(task_id):
    t = snapshot()["tasks"][task_id]
    say("%s %s (maxAttempts now %d), result %s:" % (
        task_id[:8], t["status"], t["maxAttempts"], json.dumps(t["result"], separators=(",", ":"))))
    history(t)
    say("flaky fails the attempts numbered up to failTimes (1): attempt 1 failed before the")
    say("redrive, attempt 2, the redrive's first, succeeded.")


def flatten(value, prefix=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from flatten(v, prefix + "." + k if prefix else k)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            yield from flatten(v, "%s[%d]" % (prefix, i))
    else:
        yield prefix, json.dumps(value)


def cmd_stats():
    lines = list(flatten(load_json("stats")))
    for k, v in lines[:30]:
        out("%s: %s" % (k, v))
    if len(lines) > 30:
        out("... and %d more values" % (len(lines) - 30))


def cmd_summary():
    snap, ts = snapshot(), views()
    kinds = collections.OrderedDict()
    for kind, task_id in tasks():
        kinds.setdefault(kind, []).append(snap["tasks"].get(task_id))
    out("%-14s %5s  %-34s %s" % ("kind", "tasks", "status", "attempts (outcomes)"))
    for kind, group in kinds.items():
        group = [t for t in group if t]
        status = collections.Counter(t["status"] for t in group)
        outcomes = collections.Counter(a["outcome"] or "RUNNING" for t in group for a in t["history"])
        out("%-14s %5d  %-34s %d (%s)" % (
            kind, len(group), ", ".join("%d %s" % (n, s) for s, n in status.most_common()),
            sum(len(t["history"]) for t in group), ", ".join("%d %s" % (n, o) for o, n in outcomes.most_common())))
    status = collections.Counter(t["status"] for t in ts)
    deferred = sum(1 for t in ts if "DEFERRED" in snap["seen"].get(t["id"], []))
    out("all: %d tasks, %s; %d attempts; %d seen DEFERRED" % (
        len(ts), ", ".join("%d %s" % (n, s) for s, n in status.most_common()),
        sum(len(t["history"]) for t in ts), deferred))


def cmd_workflow():
    w = load_json("workflow")
    say("workflow %s %s: %s" % (w["id"][:8], w["name"], w["status"]))
    out("%-13s %-24s %-10s %-20s %s" % ("step", "state", "attempts", "depends on", "result / blocked by"))
    for st in w["steps"]:
        tail = json.dumps(st["result"], separators=(",", ":")) if st["result"] is not None else ""
        if st["blockedBy"]:
            tail = "blocked by " + ", ".join(st["blockedBy"])
        attempts = "%d of %d" % (st["attempts"], st["maxAttempts"]) if st["taskId"] else "-"
        out("%-13s %-24s %-10s %-20s %s" % (
            st["name"], st["state"], attempts, ",".join(st["dependsOn"]) or "-", tail[:70]))


def cmd_workflow_status(*statuses):
    return 0 if load_json("workflow")["status"] in statuses else 1


def cmd_workflow_step_task(step):
    for st in load_json("workflow")["steps"]:
        if st["name"] == step:
            print(st["taskId"])


def cmd_workflow_reads(step):
    for st in load_json("workflow")["steps"]:
        if st["name"] == step:
            say("%s read what its dependencies returned (TaskContext.dependencyResults): %s" % (
                step, ", ".join(sorted(st["result"]["dependencies"]))))


def main(argv):
    name = "cmd_" + argv[1].replace("-", "_")
    return globals()[name](*argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
PY
}

# --- the demo -----------------------------------------------------------------------------------

preflight() {
  local tool
  for tool in curl python3 java; do
    command -v "$tool" >/dev/null 2>&1 || fail "'$tool' is required but not installed"
  done
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 6))' || fail "python3 3.6 or newer is required"
  [[ $PORT_OFFSET =~ ^[0-9]+$ ]] || fail "STEADFAST_DEMO_PORT_OFFSET must be a non-negative number, got '$PORT_OFFSET'"
  [[ -x $CLUSTER_SH ]] || fail "$CLUSTER_SH not found or not executable"

  mkdir -p "$RUN_DIR"
  # One demo per run dir at a time; the lock goes with this process, however it ends.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$RUN_DIR/demo.lock"
    flock -n 9 || fail "another demo is running from $RUN_DIR"
  fi
  if [[ -d $RUN_DIR/h2 ]]; then
    fail "$RUN_DIR/h2 holds a database from an earlier run (a cluster still running, or a demo that was
killed). Check with: STEADFAST_RUN_DIR=$RUN_DIR $CLUSTER_SH status
then stop it the same way ('stop'), remove $RUN_DIR/h2, or set STEADFAST_DEMO_RUN_DIR."
  fi
}

main() {
  case ${1:-} in
    -h | --help | help)
      usage
      return 0
      ;;
    '') ;;
    *)
      usage >&2
      return 2
      ;;
  esac

  preflight
  TMP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/steadfast-demo.XXXXXX")
  trap cleanup EXIT
  trap 'echo; say "Interrupted."; exit 130' INT
  trap 'echo; say "Terminated."; exit 143' TERM
  export DEMO_TMP=$TMP_DIR
  local i nodes_map=''
  for ((i = 1; i <= NODES; i++)); do nodes_map+=" $(remoting_addr "$i")=node$i"; done
  export DEMO_NODES=$nodes_map
  write_py

  echo "${BOLD}Steadfast demo${RESET}: a 3-node cluster, a mix of tasks, node $VICTIM killed mid-run."
  echo "Its own ports (APIs $(api_url 1 | cut -d/ -f3) to $(api_url $NODES | cut -d/ -f3)) and run dir ($RUN_DIR); stopped on exit."

  # ---------------------------------------------------------------------------------------------
  heading "Starting a $NODES-node cluster (scripts/cluster.sh start)"
  DB_CREATED=1
  CLUSTER_STARTED=1
  local cluster_started_at=$SECONDS
  cluster start "$NODES" 2>&1 | grep -v '^  logs' | indent || fail "the cluster did not start"
  local start_s=$((SECONDS - cluster_started_at))

  # ---------------------------------------------------------------------------------------------
  heading "Submitting the mix, round-robin to nodes 1, 2 and 3"
  local sleep_payload="{\"durationMs\":$SLEEP_MS,\"checkpointEveryMs\":$CHECKPOINT_MS}"
  submit sleep "$SLEEP_TASKS" "$sleep_payload"
  submit noop "$NOOP_TASKS" '{}'
  submit flaky-backoff 1 '{"failTimes":2}' '"retryPolicy":{"initialDelayMs":500,"jitter":"none"}'
  # Only two that retry: four failures in a row stay under the flaky type's own breaker (5).
  submit flaky-retry 1 '{"failTimes":2}'
  submit flaky-perm 2 '{"failTimes":1,"error":"permanent"}'
  local submit_started=$SECONDS
  send_submissions "${UP[@]}" || fail "some submissions were not accepted"
  say "$(py ids | wc -l) tasks accepted (202) in $((SECONDS - submit_started)) s (kind: type and payload):"
  {
    mix_line sleep "$SLEEP_TASKS" "sleep $sleep_payload"
    mix_line noop "$NOOP_TASKS" "noop"
    mix_line flaky-backoff 1 "flaky {\"failTimes\":2}, retryPolicy {\"initialDelayMs\":500,\"jitter\":\"none\"}"
    mix_line flaky-retry 1 "flaky {\"failTimes\":2}, the type's retry policy"
    mix_line flaky-perm 2 "flaky {\"failTimes\":1,\"error\":\"permanent\"}: to the dead letters at once"
  } | indent

  # ---------------------------------------------------------------------------------------------
  heading "The quick ones"
  wait_until 20 "the noop tasks to finish" fetched terminal noop
  py noops

  # ---------------------------------------------------------------------------------------------
  heading "Retries with backoff"
  wait_until 20 "the retrying flaky tasks to finish" fetched terminal flaky-backoff flaky-retry
  py retries

  # ---------------------------------------------------------------------------------------------
  heading "Killing node $VICTIM while it runs sleep tasks"
  local victim_addr pick rc extra=0 kill_deadline=$((SECONDS + 30))
  victim_addr=$(remoting_addr "$VICTIM")
  while true; do
    fetch sleep
    rc=0
    pick=$(py pick "$victim_addr" "$KILL_AT_MS") || rc=$?
    ((rc == 0)) && break
    ((SECONDS < kill_deadline)) || fail "timed out after 30 s waiting for a sleep task to run on node $VICTIM"
    if ((rc == 2)); then
      ((extra < 2)) || fail "no sleep task landed on node $VICTIM"
      extra=$((extra + 1))
      say "No sleep task is running on node $VICTIM; submitting 6 more."
      submit sleep 6 "$sleep_payload"
      send_submissions 1 3 || fail "the extra sleep tasks were not accepted"
    fi
    sleep 0.5
  done
  local watched on_victim progress killed_at
  read -r watched on_victim progress <<<"$pick"
  say "$on_victim sleep tasks are running on node $VICTIM ($victim_addr), each checkpointing every ${CHECKPOINT_MS} ms:"
  py running-on "$victim_addr"
  say "Watching ${watched:0:8} (last checkpoint seen: sleptMs=$progress). \$ scripts/cluster.sh kill $VICTIM"
  killed_at=$(date +%s.%N)
  cluster kill "$VICTIM" 2>&1 | indent || fail "could not kill node $VICTIM"
  UP=(1 3)
  say "The others stop hearing from it, down it (split-brain resolver, keep-majority) and start"
  say "its tasks again from the journal. Polling ${watched:0:8} on node $READER ..."
  wait_until 40 "task ${watched:0:8} to resume on another node" fetched_one "$watched" resumed "$watched"
  py resume "$watched" "$killed_at"
  wait_until 30 "task ${watched:0:8} to finish" fetched_one "$watched" task-status "$watched" SUCCEEDED DEAD_LETTERED
  py resumed-result "$watched"

  # ---------------------------------------------------------------------------------------------
  heading "Every sleep task finishes"
  wait_until 40 "the sleep tasks to finish" fetched terminal sleep
  py sleepers "node$VICTIM"

  # ---------------------------------------------------------------------------------------------
  heading "The circuit breaker of 'fragile' opens"
  say "fragile is the demo's own type (-D options): flaky behind a breaker that opens after 3"
  say "consecutive failures and half-opens 5 s later. Submitting 3 that fail (kind fragile-fail):"
  mix_line fragile-fail 3 "fragile {\"failTimes\":9}, retryPolicy {\"maxAttempts\":1}" | indent
  submit fragile-fail 3 '{"failTimes":9}' '"retryPolicy":{"maxAttempts":1}'
  send_submissions "${UP[@]}" || fail "the fragile submissions were not accepted"
  say "One attempt each, so no failing task is left to take the breaker's trial later."
  wait_until 20 "the breaker of 'fragile' to open" breaker_in OPEN HALF_OPEN
  say "They failed. GET /api/v1/circuit-breakers/fragile:"
  py breaker
  say "Submitting 2 fragile tasks that will succeed ({\"failTimes\":0}, kind fragile-ok) while it is open:"
  submit fragile-ok 2 '{"failTimes":0}'
  send_submissions "${UP[@]}" || fail "the fragile submissions were not accepted"
  wait_until 10 "the new fragile tasks to be deferred" fetched deferred-or-ran fragile-ok
  py deferred
  say "They wait for the breaker without spending attempts."

  # ---------------------------------------------------------------------------------------------
  heading "The breaker half-opens and closes after one trial"
  wait_until 30 "the breaker of 'fragile' to close" breaker_in CLOSED
  wait_until 20 "the fragile-ok tasks to finish" fetched terminal fragile-ok
  say "GET /api/v1/circuit-breakers/fragile:"
  py breaker
  py fragile-ok
  say "The first deferred task to come back ran as the trial; its success closed the breaker."

  # ---------------------------------------------------------------------------------------------
  heading "Dead letters"
  wait_until 20 "the dead letters to be filed" dead_letters_filed
  say "GET /api/v1/dead-letters (newest first):"
  py dlq
  api GET /dead-letters/stats
  [[ $STATUS == 200 ]] || fail "GET /api/v1/dead-letters/stats answered HTTP $STATUS"
  keep_body dlq-stats
  say "GET /api/v1/dead-letters/stats:"
  py dlq-stats

  # ---------------------------------------------------------------------------------------------
  heading "Redriving a dead letter"
  local redriven
  redriven=$(py first flaky-perm)
  say "POST /api/v1/dead-letters/${redriven:0:8}.../retry {\"retryPolicy\":{\"maxAttempts\":3}}"
  api POST "/dead-letters/$redriven/retry" '{"retryPolicy":{"maxAttempts":3}}'
  [[ $STATUS == 200 ]] || fail "the redrive answered HTTP $STATUS: $(head -c 300 "$TMP_DIR/body")"
  say "HTTP $STATUS: it runs again with a fresh budget of 3 attempts; attempt numbers go on."
  wait_until 20 "the redriven task to succeed" fetched_one "$redriven" task-status "$redriven" SUCCEEDED
  py redriven "$redriven"
  api GET /dead-letters/stats
  if [[ $STATUS == 200 ]]; then
    keep_body dlq-stats
    say "Dead-letter stats now:"
    py dlq-stats
  fi

  # ---------------------------------------------------------------------------------------------
  heading "A workflow: steps that wait for each other"
  say "POST /api/v1/workflows: create the account; then bill it and send the welcome mail; then"
  say "tell sales once both are done. Billing fails for good on its first attempt (flaky, permanent)."
  api POST /workflows "$SIGNUP_WORKFLOW"
  [[ $STATUS == 202 ]] || fail "the workflow submission answered HTTP $STATUS: $(head -c 300 "$TMP_DIR/body")"
  local workflow
  workflow=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP_DIR/body")
  wait_until 20 "the workflow to fail on its billing step" workflow_in FAILED
  say "GET /api/v1/workflows/${workflow:0:8}...: billing is dead-lettered, so notify-sales never started;"
  say "the rest ran:"
  py workflow
  local bill
  bill=$(py workflow-step-task bill)
  wait_until 20 "the billing step's dead letter to be filed" dead_letter_of "$bill"
  say "POST /api/v1/dead-letters/${bill:0:8}.../retry: the usual redrive resumes the workflow."
  api POST "/dead-letters/$bill/retry" ''
  [[ $STATUS == 200 ]] || fail "the redrive answered HTTP $STATUS: $(head -c 300 "$TMP_DIR/body")"
  wait_until 20 "the workflow to succeed" workflow_in SUCCEEDED
  py workflow
  py workflow-reads notify-sales

  # ---------------------------------------------------------------------------------------------
  heading "A schedule"
  say "POST /api/v1/schedules {\"id\":\"demo-heartbeat\",\"cron\":\"@every 2s\",\"task\":{\"type\":\"noop\"}}"
  api POST /schedules '{"id":"demo-heartbeat","cron":"@every 2s","timeZone":"UTC","task":{"type":"noop","payload":{}}}'
  [[ $STATUS == 201 ]] || fail "creating the schedule answered HTTP $STATUS: $(head -c 300 "$TMP_DIR/body")"
  json_line '"HTTP 201: next fire times %s, runs on %s" % (", ".join(t[11:19] for t in d["nextFireTimes"][:3]), d["hostedBy"])'
  wait_until 20 "the schedule to fire twice" schedule_fired demo-heartbeat 2
  say "Each tick submits a task whose id follows from schedule and tick, so no tick runs twice:"
  python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["recentRuns"]: print("tick %s  task %s  %s" % (r["tick"][11:19], r["taskId"][:8], r["kind"]))' \
    "$TMP_DIR/body" | indent
  api POST /schedules/demo-heartbeat/pause
  [[ $STATUS == 200 ]] || fail "pausing the schedule answered HTTP $STATUS"
  json_line '"POST .../pause: %s, %d runs so far; it fires nothing until resumed" % (d["status"], d["fired"])'

  # ---------------------------------------------------------------------------------------------
  heading "A rate limit for the whole cluster"
  say "Type 'limited' may start 5 attempts a second across all nodes (rate-limit { permits = 5, per = 1s })."
  say "Submitting 20 at once, round-robin to nodes ${UP[*]}:"
  submit limited 20 '{}'
  send_submissions "${UP[@]}" || fail "the limited submissions were not accepted"
  wait_until 10 "a limited task to wait for its permit" fetched any-status limited RATE_LIMITED
  py counts limited
  wait_until 40 "the limited tasks to finish" fetched terminal limited
  py start-spread limited
  say "Waiting for a permit spends no attempt: each ran exactly once."

  # ---------------------------------------------------------------------------------------------
  heading "A breaker drill"
  say "POST /api/v1/circuit-breakers/fragile/simulate-failure?count=3 (allowed here by"
  say "steadfast.drills.simulate-failure = on; off by default, and then refused with 403):"
  api POST '/circuit-breakers/fragile/simulate-failure?count=3'
  [[ $STATUS == 200 ]] || fail "the drill answered HTTP $STATUS: $(head -c 300 "$TMP_DIR/body")"
  json_line '"HTTP 200: the breaker of fragile is %s, with no real failure" % d["state"]'
  api POST /circuit-breakers/fragile/reset
  [[ $STATUS == 200 ]] || fail "the reset answered HTTP $STATUS"
  say "POST .../reset: CLOSED again."

  # ---------------------------------------------------------------------------------------------
  heading "Stats"
  fetch
  api GET /stats
  if [[ $STATUS == 200 ]]; then
    keep_body stats
    say "GET /api/v1/stats answered 200:"
    py stats
    say "And the demo's own tally, computed from the tasks it submitted:"
  else
    say "GET /api/v1/stats answered HTTP $STATUS (not in this build), so this summary is computed"
    say "from the tasks the demo submitted:"
  fi
  py summary

  heading "Stopping the demo cluster"
  stop_cluster
  say "Done in $SECONDS s (cluster start $start_s s)."
}

# fetched_one ID CHECK [ARG...]: fetch one task, then py CHECK.
fetched_one() {
  local id=$1
  shift
  curl -s --noproxy '*' --max-time 3 -w '\n@@ %{http_code} %{url_effective}\n' "$READ_API/tasks/$id" \
    >"$TMP_DIR/fetched" || true
  py merge "$TMP_DIR/fetched" && py "$@"
}

# workflow_in STATUS...: reads the demo's workflow; succeeds if its status is one of them.
workflow_in() {
  api GET "/workflows/$workflow"
  [[ $STATUS == 200 ]] || return 1
  keep_body workflow
  py workflow-status "$@"
}

dead_letter_of() {
  api GET "/dead-letters/$1"
  [[ $STATUS == 200 ]]
}

# json_line EXPR: says a Python expression over d, the last body as JSON.
json_line() {
  say "$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$TMP_DIR/body")"
}

# schedule_fired ID N: the schedule has fired at least N times (the body is its view).
schedule_fired() {
  api GET "/schedules/$1"
  [[ $STATUS == 200 ]] || return 1
  python3 -c "import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))['fired'] >= int(sys.argv[2]) else 1)" "$TMP_DIR/body" "$2"
}

dead_letters_filed() {
  api GET '/dead-letters?limit=20'
  [[ $STATUS == 200 ]] || return 1
  keep_body dead-letters
  py dlq-has fragile-fail flaky-perm
}

main "$@"
