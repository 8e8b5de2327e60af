#!/usr/bin/env bash
# bench/partitions.sh [ROWS] [PARTITIONS]: the coordination cost of remote partitions and the time to take over a
# killed worker's partition, through the real commands (the jar of cli-launcher/target), on a throwaway PostgreSQL
# cluster (Debian's postgresql; as user postgres when run as root) and the simulator on 127.0.0.1.
#   1. a manager (--no-local-worker) and two workers, PARTITIONS partitions: per partition, the time from the
#      manager's request (the step execution's creation) to the worker's start of it (its START_TIME), both on the
#      database's timestamps of one machine;
#   2. the same with worker 1 killed (kill -9) 1.5 s after it started its first partition, --state-db-lease 5s:
#      the time from the kill to the manager's takeover (its log line) and to the partition's start on worker 2.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows=${1:-4000}
parts=${2:-8}
jar="$here/cli-launcher/target/promptbatch.jar"
[ -f "$jar" ] || { echo "build first: mvn -B -o -DskipTests package" >&2; exit 1; }
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/pb-partitions.XXXXXX)
chmod 777 "$work"
port=$(python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$bin/initdb" -D "$work/pg" -U postgres -A trust > "$work/initdb.log"
as_pg "$bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -o "-p $port -k $work -c listen_addresses=127.0.0.1" -w start > /dev/null
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  as_pg "$bin/pg_ctl" -D "$work/pg" -m immediate stop > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql() { command psql -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
export PROMPTBATCH_STATE_DB_USER=postgres
java=(java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$jar")
"${java[@]}" simulator --port 0 --latency 50ms --sigma 0.3 > "$work/sim.log" 2>&1 &
pids+=($!)
until grep -qo 'http://127.0.0.1:[0-9]*/v1' "$work/sim.log"; do sleep 0.2; done
base=$(grep -o 'http://127.0.0.1:[0-9]*/v1' "$work/sim.log" | head -1)
python3 - "$work/prompts.csv" "$rows" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("id,prompt\n")
    for i in range(1, int(sys.argv[2]) + 1):
        f.write(f'p{i},"Prompt {i}: one fact about the number {i}, please."\n')
PY
round() { # round NAME KILL
  local name=$1 kill=$2 db="pb_$1"
  psql -c "create database $db"
  local url="jdbc:postgresql://127.0.0.1:$port/$db"
  local w=()
  for i in 1 2; do
    "${java[@]}" worker --state-db "$url" --state-dir "$work/$name-w$i" --state-db-lease 5s --concurrency 16 \
      > "$work/$name-w$i.out" 2>&1 &
    w+=($!); pids+=($!)
  done
  for i in 1 2; do until grep -q "taking partitions" "$work/$name-w$i.out"; do sleep 0.2; done; done
  local t0=$(date +%s%N)
  "${java[@]}" run --state-db "$url" --state-dir "$work/$name-m" --state-db-lease 5s --partitions "$parts" \
    --no-local-worker --base-url "$base" --model kimi-k2.5 --concurrency 16 --input "$work/prompts.csv" \
    --output "$work/$name.jsonl" > "$work/$name-m.out" 2>&1 &
  local m=$!; pids+=($m)
  if [ "$kill" = 1 ]; then
    until grep -q "started on" "$work/$name-w1/promptbatch.log" 2>/dev/null; do sleep 0.05; done
    sleep 1.5
    kill -9 "${w[0]}"; local killed=$(date +%s%N)
    echo "$name: worker 1 killed at $(date -u -d @$((killed / 1000000000)) +%T)"
  fi
  wait "$m" || { echo "$name: the manager failed:"; cat "$work/$name-m.out"; exit 1; }
  echo "$name: $rows rows in $parts partitions: $(( ($(date +%s%N) - t0) / 1000000 )) ms from the manager's start; $(wc -l < "$work/$name.jsonl") rows written"
  grep "partitions:" "$work/$name-m.out" | sed "s/^/$name: /"
  echo "$name: request -> partition start (ms), per step execution:"
  psql -d "$db" -c "select step_name || ' ' || round(extract(epoch from (start_time - create_time)) * 1000)
      from batch_step_execution where step_name like 'prompt-partition:%' order by step_execution_id" | sed "s/^/  /"
  if [ "$kill" = 1 ]; then
    local takeover=$(grep -h "had no commit" "$work/$name-m/promptbatch.log" | head -1 | cut -c12-23)
    echo "$name: kill at $(date -u -d @$((killed / 1000000000)) +%T).$(printf %03d $(( (killed / 1000000) % 1000 ))), takeover logged at $takeover (lease 5 s)"
  fi
  for p in "${w[@]}"; do kill "$p" 2>/dev/null || true; done
}
round plain 0
round killed 1
