#!/usr/bin/env bash
# Remote partitions (issue 18) through the real commands (./promptbatch run --state-db ... --partitions N and
# ./promptbatch worker, each a JVM of its own) on a throwaway PostgreSQL cluster and the simulator, all on 127.0.0.1.
# Not part of the test run. Usage: bench/partitions.sh [repeats] [which]   (default 3 repeats, benchmarks 123; medians)
#   1. coordination cost per partition: the manager's request (the partition's step execution created, its request
#      sent right after) -> the worker's claim (its log line) -> the step's start (START_TIME) -> the partition's first
#      prompt reaching the server (bench/arrivals.py, a relay in front of the simulator that notes each prompt's
#      arrival); for an idle worker JVM started beforehand that never ran a partition (cold), the same JVM after it
#      ran some (warm), a worker busy with another partition (its previous partition's end -> the next one's first
#      prompt), and a worker JVM launched after the request was queued (launch);
#   2. takeover: kill -9 of the worker running partition p0000, 2 s into it, with an idle worker waiting -> the
#      manager's takeover (its log line) -> the partition's first prompt on another worker -> the run complete, with
#      --state-db-lease 5s and the default 60s, alternating;
#   3. one against three worker processes, 12 partitions, against a simulator of fixed capacity (100 ms answers, at
#      most 15 in flight, 429 above it; BENCH3_LATENCY_MS and BENCH3_ROWS for slower answers on a loaded machine): one
#      worker at --concurrency 15 or three at 5, alternating; throughput from the server's first request to its last
#      answer, requests = rows, output exact;
#   4. (only when named) CPU per request at zero latency: one worker and the manager on PostgreSQL, the PostgreSQL
#      server itself, and the same rows in one process on the default H2 state, alternating.
# Starts its own PostgreSQL cluster (Debian's postgresql: initdb and pg_ctl, as user postgres when run as root; or
# PROMPTBATCH_PG_BIN) on a free port in a temporary directory, and the simulator; stops and deletes both at the
# end, also on failure. Bounded: every wait has a time limit, and the whole script stops after BENCH_LIMIT seconds
# (default 3600). Writes bench/results/partitions.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
only=${2:-123}
(( repeats >= 1 && repeats <= 20 )) || { echo "repeats must be 1 to 20, was $repeats" >&2; exit 2; }
jar=cli-launcher/target/promptbatch.jar
[ -f "$jar" ] || mvn -q -B -Dstyle.color=never -DskipTests package
./promptbatch --version > /dev/null   # unpacks the jar and makes its start-up archive once, outside the timings
bin=${PROMPTBATCH_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1)}
[ -x "$bin/initdb" ] || { echo "no PostgreSQL: apt-get install postgresql, or set PROMPTBATCH_PG_BIN" >&2; exit 2; }
work=$(mktemp -d /tmp/pb-partitions.XXXXXX)
chmod 755 "$work"   # PostgreSQL runs as user postgres under it
pids=()
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null || true; done
  [ -f "$work/pg/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$work/pg/data" -m immediate -w stop > /dev/null 2>&1
  if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' TERM INT
python3 -c 'import os, signal, sys, time; time.sleep(float(sys.argv[1])); print("bench/partitions.sh: over", sys.argv[1],
  "s, stopping", file=sys.stderr); os.kill(int(sys.argv[2]), signal.SIGTERM)' "${BENCH_LIMIT:-3600}" $$ &
pids+=($!); disown
mkdir -p bench/results
out=bench/results/partitions.md
fail() { echo "bench/partitions.sh: $*" >&2; exit 1; }
# waits up to $1 seconds for a command to succeed
wait_for() { local limit=$1; shift; local end=$((SECONDS + limit)); until "$@"; do ((SECONDS < end)) || return 1; sleep 0.05; done; }
# runs a command in the background and waits for it, so that the time limit's signal ends the wait at once
waited() { "$@" & local p=$!; pids+=($p); wait "$p"; }
now() { date +%s.%N; }
median() { python3 bench/partition_times.py median "$@"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# the cluster: trust on 127.0.0.1 and the socket only, fsync on (commits as durable as in use)
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres: "$work/pg"
pgport=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
as_pg "$bin/initdb" -D "$work/pg/data" -U postgres -A trust --no-sync -E UTF8 --locale=C > "$work/initdb.log"
as_pg "$bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -t 60 \
  -o "-p $pgport -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start > /dev/null
sql() { local db=$1; shift; psql -h "$work/pg" -p "$pgport" -U postgres -d "$db" -v ON_ERROR_STOP=1 -qAt "$@"; }
newdb() { sql postgres -c "create database $1"; echo "jdbc:postgresql://127.0.0.1:$pgport/$1"; }
export PROMPTBATCH_STATE_DB_USER=postgres

prompts() { # n file [tag]: the tag makes the prompts differ from other files' (the journal answers a prompt seen before)
  python3 - "$1" "$2" "${3:-}" << 'PY'
import sys
n, path, tag = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(path, "w") as f:
    f.write("id,prompt\n")
    for i in range(1, n + 1):
        f.write(f"p{i},\"Prompt {i}: say something brief about the number {i}{' ' + tag if tag else ''}.\"\n")
PY
}
simulator() { # name args... -> sets sim_port
  local name=$1; shift
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$jar" simulator --port 0 "$@" > "$work/$name.log" 2>&1 &
  pids+=($!)
  wait_for 60 grep -q 'http://127.0.0.1:[0-9]*/v1' "$work/$name.log" 2> /dev/null || fail "the simulator did not start"
  sim_port=$(grep -o 'http://127.0.0.1:[0-9]*/v1' "$work/$name.log" | head -1 | sed 's#.*:\([0-9]*\)/v1#\1#')
}
counter() { curl -sf "http://127.0.0.1:$1/counters" | python3 -c "import sys, json; d = json.load(sys.stdin); print(d$2)"; }
reset() { curl -sf -X POST "http://127.0.0.1:$1/counters" > /dev/null; }
# worker NAME URL args... -> sets worker_pid, once it takes partitions
worker() {
  local name=$1 url=$2; shift 2
  ./promptbatch worker --state-db "$url" --state-dir "$work/$name" "$@" > "$work/$name.out" 2>&1 &
  worker_pid=$!; pids+=($worker_pid)
  wait_for 120 grep -q "taking partitions from" "$work/$name.out" 2> /dev/null || fail "worker $name did not start: $(cat "$work/$name.out")"
}
stop() { for p in "$@"; do kill "$p" 2> /dev/null || true; done; for p in "$@"; do wait "$p" 2> /dev/null || true; done; }
# manager NAME URL ARGS... runs a partitioned run in the foreground; its wall time in manager_wall
manager() {
  local name=$1 url=$2; shift 2
  local t0; t0=$(now)
  waited ./promptbatch run --state-db "$url" --state-dir "$work/$name" --no-local-worker --model kimi-k2.5 "$@" \
    > "$work/$name.out" 2>&1 || fail "the run $name failed: $(tail -20 "$work/$name.out")"
  manager_wall=$(echo "$(now) - $t0" | bc -l)
}
# collect NAME DB WORKER_NAMES... : the last run's partition steps, the manager's and the workers' logs, in $work/NAME.run
collect() {
  local name=$1 db=$2; shift 2
  local dir="$work/$name.run"; mkdir -p "$dir"
  sql "$db" -F $'\t' -c "select step_execution_id, step_name, extract(epoch from create_time), extract(epoch from start_time),
      extract(epoch from end_time), status from batch_step_execution where step_name like 'prompt-partition:%'
      and job_execution_id = (select max(job_execution_id) from batch_job_execution) order by step_execution_id" > "$dir/steps.tsv"
  cp "$work/$name/promptbatch.log" "$dir/manager.log"
  for w in "$@"; do cp "$work/$w/promptbatch.log" "$dir/$w.log"; done
  python3 bench/partition_times.py steps "$dir" "$work/arrivals.log" > "$dir/events.tsv"
}
# column EXPR FILTER EVENTS: EXPR in ms for each partition step of a run where FILTER holds (Python expressions over the
# columns of bench/partition_times.py steps: create, sent, claimed, start, first_prompt, previous_end_same_worker)
column() { python3 bench/partition_times.py values "$3" "$1" "$2"; }
list() { tr '\n' ' ' | sed 's/ $//'; }

echo "# remote partitions ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $repeats repeats, medians; PostgreSQL $("$bin/postgres" --version | awk '{print $3}'))" > "$out"
echo >> "$out"
echo "load average at the start: $(load)" >> "$out"

if [[ $only == *1* || $only == *2* ]]; then
  simulator sim1 --latency 50ms
  sim1=$sim_port
  python3 bench/arrivals.py "$sim1" "$work/relay.port" "$work/arrivals.log" &
  pids+=($!)
  wait_for 30 test -s "$work/relay.port" || fail "the relay did not start"
  relay="http://127.0.0.1:$(cat "$work/relay.port")/v1"
  prompts 1200 "$work/p1200.csv"
fi

if [[ $only == *1* ]]; then
  # 1. coordination cost: 100 rows a partition, 8 in flight, 50 ms answers (about 0.7 s of work a partition)
  cold=(); warm=(); handover=(); launch=(); launch_exec=(); sent=(); claim=(); started=(); firsts=()
  for r in $(seq 1 "$repeats"); do
    url=$(newdb "c$r")
    prompts 200 "$work/c$r-a.csv" "(a$r)"; prompts 600 "$work/c$r-b.csv" "(b$r)"; prompts 200 "$work/c$r-c.csv" "(c$r)"
    worker "c$r-w1" "$url" --concurrency 8; w1=$worker_pid
    worker "c$r-w2" "$url" --concurrency 8; w2=$worker_pid
    # cold: two idle worker JVMs that never ran a partition, two partitions
    manager "c$r-a" "$url" --base-url "$relay" --concurrency 8 --partitions 2 --input "$work/c$r-a.csv" --output "$work/c$r-a.jsonl"
    collect "c$r-a" "c$r" "c$r-w1" "c$r-w2"
    # warm: the same JVMs, idle again; six partitions: two start on idle workers, four wait for a worker's previous one
    manager "c$r-b" "$url" --base-url "$relay" --concurrency 8 --partitions 6 --input "$work/c$r-b.csv" --output "$work/c$r-b.jsonl"
    collect "c$r-b" "c$r" "c$r-w1" "c$r-w2"
    stop "$w1" "$w2"
    # launch: the request queued first, then a worker JVM started
    ./promptbatch run --state-db "$url" --state-dir "$work/c$r-c" --no-local-worker --model kimi-k2.5 --base-url "$relay" \
      --concurrency 8 --partitions 1 --input "$work/c$r-c.csv" --output "$work/c$r-c.jsonl" > "$work/c$r-c.out" 2>&1 &
    m=$!; pids+=($m)
    wait_for 120 grep -q "Sent 1 partition requests" "$work/c$r-c/promptbatch.log" 2> /dev/null || fail "the run c$r-c sent no request"
    t_exec=$(now)
    ./promptbatch worker --state-db "$url" --state-dir "$work/c$r-w3" --concurrency 8 > "$work/c$r-w3.out" 2>&1 &
    w3=$!; pids+=($w3)
    wait "$m" || fail "the run c$r-c failed: $(tail -20 "$work/c$r-c.out")"
    collect "c$r-c" "c$r" "c$r-w3"
    stop "$w3"
    for o in a:200 b:600 c:200; do
      v=$(python3 bench/partition_times.py check "$work/c$r-${o%%:*}.jsonl" "${o##*:}")
      [ "$v" = exact ] || fail "run c$r-${o%%:*}: $v"
    done
    cold+=($(column "first_prompt - create" "True" "$work/c$r-a.run/events.tsv"))
    # idle at its request: the worker's previous partition (if any) ended before the request
    warm+=($(column "first_prompt - create" "not previous_end_same_worker >= create" "$work/c$r-b.run/events.tsv"))
    handover+=($(column "first_prompt - previous_end_same_worker" "previous_end_same_worker >= create" "$work/c$r-b.run/events.tsv"))
    launch+=($(column "first_prompt - create" "True" "$work/c$r-c.run/events.tsv"))
    launch_exec+=($(column "first_prompt - $t_exec" "True" "$work/c$r-c.run/events.tsv"))
    for f in a b; do
      idle="not previous_end_same_worker >= create"
      sent+=($(column "sent - create" "$idle" "$work/c$r-$f.run/events.tsv"))
      claim+=($(column "claimed - create" "$idle" "$work/c$r-$f.run/events.tsv"))
      started+=($(column "start - claimed" "$idle" "$work/c$r-$f.run/events.tsv"))
      firsts+=($(column "first_prompt - start" "$idle" "$work/c$r-$f.run/events.tsv"))
    done
  done
  {
    echo
    echo "## 1. coordination cost per partition (ms; 100 rows a partition, 8 in flight, 50 ms answers)"
    echo
    echo "| case | request -> first prompt at the server, median | all |"
    echo "| --- | --- | --- |"
    echo "| cold: an idle worker JVM, its first partition | **$(median "${cold[@]}")** | $(printf '%s\n' "${cold[@]}" | list) |"
    echo "| warm: an idle worker JVM that ran partitions before | **$(median "${warm[@]}")** | $(printf '%s\n' "${warm[@]}" | list) |"
    echo "| busy: the worker's previous partition ended -> this one's first prompt | **$(median "${handover[@]}")** | $(printf '%s\n' "${handover[@]}" | list) |"
    echo "| launch: request queued, then a worker JVM started (request -> first prompt) | **$(median "${launch[@]}")** | $(printf '%s\n' "${launch[@]}" | list) |"
    echo "| launch: the worker's exec -> first prompt | **$(median "${launch_exec[@]}")** | $(printf '%s\n' "${launch_exec[@]}" | list) |"
    echo
    echo "Split of the idle cases (cold and warm): step execution created -> the manager's log line after sending all" \
      "the run's requests **$(median "${sent[@]}")**; created -> claimed (the worker's log line) **$(median "${claim[@]}")**;" \
      "claimed -> step started (START_TIME) **$(median "${started[@]}")**; step started -> first prompt **$(median "${firsts[@]}")**."
    echo "Every output exact (one ok row per record, in order, first attempt). Load average after: $(load)."
  } >> "$out"
fi

if [[ $only == *2* ]]; then
  # 2. takeover: 2 partitions of 600 rows (4 in flight, 50 ms: about 7.5 s each), three workers (one spare)
  declare -A detect rerun done_ rest paid
  for r in $(seq 1 "$repeats"); do
    for lease in 5 60; do
      name="t$r-$lease"
      url=$(newdb "t${r}_$lease")
      ws=()
      for i in 1 2 3; do worker "$name-w$i" "$url" --concurrency 4 --state-db-lease "${lease}s"; ws+=($worker_pid); done
      reset "$sim1"
      ./promptbatch run --state-db "$url" --state-dir "$work/$name-m" --no-local-worker --model kimi-k2.5 --base-url "$relay" \
        --concurrency 4 --partitions 2 --state-db-lease "${lease}s" --input "$work/p1200.csv" --output "$work/$name.jsonl" \
        > "$work/$name-m.out" 2>&1 &
      m=$!; pids+=($m)
      victim=""
      wait_for 120 bash -c "grep -l 'prompt-partition:p0000 .* started on' $work/$name-w*/promptbatch.log > $work/$name.victim 2> /dev/null" \
        || fail "$name: no worker started p0000"
      victim=$(head -1 "$work/$name.victim" | sed 's#.*/\(.*\)/promptbatch.log#\1#')
      sleep 2
      kill -9 "${ws[$(( ${victim##*-w} - 1 ))]}"
      t_kill=$(now)
      wait "$m" || fail "the run $name failed: $(tail -20 "$work/$name-m.out")"
      t_done=$(now)
      collect "$name-m" "t${r}_$lease" "$name-w1" "$name-w2" "$name-w3"
      v=$(python3 bench/partition_times.py check "$work/$name.jsonl" 1200)
      [ "$v" = exact ] || fail "run $name: $v"
      t_over=$(grep -h "had no commit" "$work/$name-m/promptbatch.log" | head -1 | cut -c1-23)
      [ -n "$t_over" ] || fail "$name: no takeover in the manager's log"
      t_over=$(python3 -c "import sys, datetime as d; print(d.datetime.strptime(sys.argv[1], '%Y-%m-%d %H:%M:%S.%f').replace(tzinfo=d.timezone.utc).timestamp())" "$t_over")
      # the new step execution of p0000 and its first prompt
      t_first=$(awk -F'\t' -v k="$t_kill" 'NR > 1 && $2 == "prompt-partition:p0000" && $4 > k { print $8; exit }' "$work/$name-m.run/events.tsv")
      detect[$name]=$(echo "$t_over - $t_kill" | bc -l)
      rerun[$name]=$(echo "$t_first - $t_over" | bc -l)
      done_[$name]=$(echo "$t_done - $t_kill" | bc -l)
      rest[$name]=$(echo "$t_done - $t_first" | bc -l)
      paid[$name]=$(( $(counter "$sim1" "['requests']") - 1200 ))
      stop "${ws[@]}"
    done
  done
  {
    echo
    echo "## 2. takeover (s; kill -9 of the worker running p0000 2 s into it, 1,200 rows in 2 partitions, 4 in flight a worker, a spare worker idle)"
    echo
    echo "| lease | kill -> takeover logged | takeover -> first prompt on another worker | kill -> run complete | (its first prompt -> run complete) | answers paid twice |"
    echo "| --- | --- | --- | --- | --- | --- |"
    for lease in 5 60; do
      a=(); b=(); c=(); d=(); e=()
      for r in $(seq 1 "$repeats"); do
        n="t$r-$lease"; a+=("${detect[$n]}"); b+=("${rerun[$n]}"); c+=("${done_[$n]}"); d+=("${rest[$n]}"); e+=("${paid[$n]}")
      done
      echo "| ${lease} s | **$(median "${a[@]}")** ($(printf '%.2f ' "${a[@]}" | sed 's/ $//')) | **$(median "${b[@]}")** ($(printf '%.3f ' "${b[@]}" | sed 's/ $//')) | **$(median "${c[@]}")** ($(printf '%.2f ' "${c[@]}" | sed 's/ $//')) | $(median "${d[@]}") | ${e[*]} |"
    done
    echo
    echo "Every output exact. Load average after: $(load)."
  } >> "$out"
fi

if [[ $only == *3* ]]; then
  # 3. one against three workers against a server of fixed capacity: 100 ms answers (BENCH3_LATENCY_MS), at most 15 in
  # flight (150 a second); 4,500 rows (BENCH3_ROWS). On a loaded machine, slower answers keep the server the bottleneck
  n3=${BENCH3_ROWS:-4500}
  l3=${BENCH3_LATENCY_MS:-100}
  prompts "$n3" "$work/p$n3.csv"
  simulator sim3 --latency "${l3}ms" --max-in-flight 15
  sim3=$sim_port
  declare -A rate wall reqs r429 inflight
  ref=""
  for r in $(seq 1 "$repeats"); do
    order="1 3"; (( r % 2 == 0 )) && order="3 1"
    for k in $order; do
      name="k$r-$k"
      url=$(newdb "k${r}_$k")
      ws=()
      for i in $(seq 1 "$k"); do worker "$name-w$i" "$url" --concurrency $((15 / k)); ws+=($worker_pid); done
      reset "$sim3"
      manager "$name-m" "$url" --base-url "http://127.0.0.1:$sim3/v1" --concurrency 15 --partitions 12 \
        --input "$work/p$n3.csv" --output "$work/$name.jsonl"
      v=$(python3 bench/partition_times.py check "$work/$name.jsonl" "$n3" $ref)
      [ "$v" = exact ] || fail "run $name: $v"
      ref=${ref:-$work/$name.jsonl}
      span=$(echo "($(counter "$sim3" "['last_response_epoch_ms']") - $(counter "$sim3" "['first_request_epoch_ms']")) / 1000" | bc -l)
      rate[$name]=$(echo "$n3 / $span" | bc -l); wall[$name]=$manager_wall
      reqs[$name]=$(counter "$sim3" "['requests']"); r429[$name]=$(counter "$sim3" "['by_status'].get('429', 0)")
      inflight[$name]=$(counter "$sim3" "['mean_in_flight_while_sending']")
      stop "${ws[@]}"
    done
  done
  ratios=()
  for r in $(seq 1 "$repeats"); do ratios+=("$(echo "${rate[k$r-3]} / ${rate[k$r-1]}" | bc -l)"); done
  {
    echo
    echo "## 3. one against three worker processes, $n3 rows in 12 partitions, server: $l3 ms answers, at most 15 in flight ($((15000 / l3)) rows/s)"
    echo
    echo "| workers | rows/s, first request -> last answer at the server | manager's wall s | requests | 429s | mean in flight while sending |"
    echo "| --- | --- | --- | --- | --- | --- |"
    for k in 1 3; do
      a=(); b=(); c=(); d=(); e=()
      for r in $(seq 1 "$repeats"); do
        n="k$r-$k"; a+=("${rate[$n]}"); b+=("${wall[$n]}"); c+=("${reqs[$n]}"); d+=("${r429[$n]}"); e+=("${inflight[$n]}")
      done
      echo "| $k (--concurrency $((15 / k)) each) | **$(median "${a[@]}")** ($(printf '%.1f ' "${a[@]}" | sed 's/ $//')) | $(median "${b[@]}") ($(printf '%.1f ' "${b[@]}" | sed 's/ $//')) | ${c[*]} | ${d[*]} | ${e[*]} |"
    done
    echo
    echo "Three workers / one, per repeat: $(printf '%.3f ' "${ratios[@]}"), median **$(median "${ratios[@]}")**. Every output exact and" \
      "with the same answers as the first. Load average after: $(load)."
  } >> "$out"
fi

if [[ $only == *4* ]]; then
  # 4. CPU per request at zero latency, 20,000 rows, 64 in flight: one worker + the manager + PostgreSQL, against one
  # process on the default H2 state
  n4=20000
  prompts "$n4" "$work/p$n4.csv"
  simulator sim4 --latency 0ms
  sim4=$sim_port
  cpu() { # pid -> CPU seconds of the process and its waited-for children
    awk '{ print ($14 + $15 + $16 + $17) / 100 }' "/proc/$1/stat"
  }
  pgcpu() { # the PostgreSQL server: the postmaster (with its ended backends) and its live children
    local pm; pm=$(head -1 "$work/pg/data/postmaster.pid")
    { cpu "$pm"; for c in $(ps -o pid= --ppid "$pm"); do awk '{ print ($14 + $15) / 100 }' "/proc/$c/stat" 2> /dev/null || true; done; } \
      | awk '{ s += $1 } END { print s }'
  }
  declare -A wcpu mcpu pcpu hcpu
  for r in $(seq 1 "$repeats"); do
    url=$(newdb "z$r")
    worker "z$r-w1" "$url" --concurrency 64; w=$worker_pid
    reset "$sim4"
    w0=$(cpu "$w"); p0=$(pgcpu)
    waited /usr/bin/time -f "%U %S" -o "$work/z$r-m.time" ./promptbatch run --state-db "$url" --state-dir "$work/z$r-m" \
      --no-local-worker --model kimi-k2.5 --base-url "http://127.0.0.1:$sim4/v1" --concurrency 64 --partitions 4 \
      --input "$work/p$n4.csv" --output "$work/z$r.jsonl" > "$work/z$r-m.out" 2>&1 || fail "the run z$r failed"
    wcpu[$r]=$(echo "($(cpu "$w") - $w0) * 1000 / $n4" | bc -l); pcpu[$r]=$(echo "($(pgcpu) - $p0) * 1000 / $n4" | bc -l)
    read -r u s < "$work/z$r-m.time"; mcpu[$r]=$(echo "($u + $s) * 1000 / $n4" | bc -l)
    [ "$(counter "$sim4" "['requests']")" = "$n4" ] || fail "z$r: $(counter "$sim4" "['requests']") requests for $n4 rows"
    stop "$w"
    reset "$sim4"
    waited /usr/bin/time -f "%U %S" -o "$work/h$r.time" ./promptbatch run --quiet --state-dir "$work/h$r" --model kimi-k2.5 \
      --base-url "http://127.0.0.1:$sim4/v1" --concurrency 64 --input "$work/p$n4.csv" --output "$work/h$r.jsonl" \
      || fail "the H2 run h$r failed"
    read -r u s < "$work/h$r.time"; hcpu[$r]=$(echo "($u + $s) * 1000 / $n4" | bc -l)
    for f in z h; do v=$(python3 bench/partition_times.py check "$work/$f$r.jsonl" "$n4"); [ "$v" = exact ] || fail "run $f$r: $v"; done
    rm -f "$work/z$r.jsonl" "$work/h$r.jsonl"
  done
  a=(); b=(); c=(); d=()
  for r in $(seq 1 "$repeats"); do a+=("${wcpu[$r]}"); b+=("${mcpu[$r]}"); c+=("${pcpu[$r]}"); d+=("${hcpu[$r]}"); done
  {
    echo
    echo "## 4. CPU per request at zero latency (ms; $n4 rows, 64 in flight, 4 partitions, user + system)"
    echo
    echo "| worker (partition work only) | manager (whole process) | PostgreSQL server | one process on H2 (whole process) |"
    echo "| --- | --- | --- | --- |"
    echo "| **$(median "${a[@]}")** ($(printf '%.3f ' "${a[@]}" | sed 's/ $//')) | **$(median "${b[@]}")** ($(printf '%.3f ' "${b[@]}" | sed 's/ $//')) | **$(median "${c[@]}")** ($(printf '%.3f ' "${c[@]}" | sed 's/ $//')) | **$(median "${d[@]}")** ($(printf '%.3f ' "${d[@]}" | sed 's/ $//')) |"
    echo
    echo "Every output exact, requests = rows. Load average after: $(load)."
  } >> "$out"
fi
cat "$out"
