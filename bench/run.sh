#!/usr/bin/env bash
# Benchmarks of promptbatch against the built-in simulator on 127.0.0.1, through the real command
# (./promptbatch, with its JVM options).
# Not part of the test run. Usage: bench/run.sh [repeats] [which]   (default 3 repeats, all; medians reported)
# Writes bench/results/latest.md; copy the figures into BENCHMARKS.md with the machine's description.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
only=${2:-12345}   # which benchmarks to run, e.g. 13; 6 (1,000,000 prompts) and 7 (streaming, ≈ 5 min) only when named
jar=cli-launcher/target/promptbatch.jar
[ -f "$jar" ] || mvn -q -B -Dstyle.color=never -DskipTests package
./promptbatch --version > /dev/null   # unpacks the jar and makes its start-up archive once, outside the timings
# the peer: the official openai Node.js SDK (bench/package.json), installed here, ignored by git
peer() { [ -d bench/node_modules/openai ] || (cd bench && npm install --no-audit --no-fund --silent); node bench/peer.mjs "$@"; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p bench/results
out=bench/results/latest.md

prompts() { # n file
  python3 - "$1" "$2" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("id,prompt\n")
    for i in range(1, n + 1):
        f.write(f"p{i},\"Prompt {i}: say something brief about the number {i}.\"\n")
PY
}

simulator() { # port args...
  local port=$1; shift
  java -jar "$jar" simulator --port "$port" "$@" > "$work/sim-$port.log" 2>&1 &
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/counters" > /dev/null && return 0
    sleep 0.1
  done
  echo "simulator on $port did not start" >&2; exit 1
}

counter() { # port field
  curl -sf "http://127.0.0.1:$1/counters" | python3 -c "import sys,json; d=json.load(sys.stdin); print(d$2)"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

run() { # state output args...
  local state=$1 output=$2; shift 2
  local t0 t1
  t0=$(date +%s.%N)
  ./promptbatch run --quiet --state-dir "$state" --output "$output" "$@"
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

echo "# promptbatch benchmarks ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $repeats repeats, medians)" > "$out"
echo >> "$out"

if [[ $only == *1* ]]; then
# 1. Little's-law efficiency: lognormal latency (median 100 ms, sigma 1.0), concurrency 64, 10,000 prompts
# (BENCH1_PROMPTS=N for another count: the drain of the heavy tail at the end weighs less in a longer run).
# Efficiency over the whole process's wall time (the target), and where the rest of the wall went:
# before the first request (start-up), the request phase (first request to last response), after it (close);
# the mean number of requests in flight at the simulator from its first arrival to its last (64 for a client
# that never idles while it has prompts to send); and an ideal client's efficiency on the same latency draws
# (bench/ideal_efficiency.py: no start-up, no overhead), the ceiling of each repeat.
n1=${BENCH1_PROMPTS:-10000}
prompts "$n1" "$work/p10k.csv"
effs=(); walls=(); peffs=(); phases=(); pphases=()
phase() { # t0_ms t1_ms port sum_ms -> "start/phase-efficiency/end/mean-in-flight-while-sending"
  local first last
  first=$(counter "$3" "['first_request_epoch_ms']"); last=$(counter "$3" "['last_response_epoch_ms']")
  printf '%.2f/%.3f/%.2f/%.1f' "$(echo "($first - $1) / 1000" | bc -l)" "$(echo "($4 / 64) / ($last - $first)" | bc -l)" \
    "$(echo "($2 - $last) / 1000" | bc -l)" "$(counter "$3" "['mean_in_flight_while_sending']")"
}
for r in $(seq 1 "$repeats"); do
  port=$((18100 + r))
  simulator $port --latency 100ms --sigma 1.0 --seed $r
  t0=$(date +%s%3N)
  ./promptbatch run --quiet --state-dir "$work/s1-$r" --output "$work/o1-$r.jsonl" --input "$work/p10k.csv" \
    --base-url "http://127.0.0.1:$port/v1" --model kimi-k2.5 --concurrency 64
  t1=$(date +%s%3N)
  sum=$(counter $port "['total_latency_ms']")
  effs+=("$(echo "($sum / 64) / ($t1 - $t0)" | bc -l)"); walls+=("$(echo "($t1 - $t0) / 1000" | bc -l)")
  phases+=("$(phase "$t0" "$t1" $port "$sum")")
  # the peer, right after, on a simulator of the same seed: the same latencies in the same order of arrival
  kill %% 2>/dev/null || true; wait 2>/dev/null || true
  port=$((18150 + r))
  simulator $port --latency 100ms --sigma 1.0 --seed $r
  t0=$(date +%s%3N)
  peer "$work/p10k.csv" "$work/peer1-$r.jsonl" "http://127.0.0.1:$port/v1" kimi-k2.5 64
  t1=$(date +%s%3N)
  psum=$(counter $port "['total_latency_ms']")
  peffs+=("$(echo "($psum / 64) / ($t1 - $t0)" | bc -l)")
  pphases+=("$(phase "$t0" "$t1" $port "$psum")")
  kill %% 2>/dev/null || true; wait 2>/dev/null || true
done
eff=$(printf '%s\n' "${effs[@]}" | median); w=$(printf '%s\n' "${walls[@]}" | median)
peff=$(printf '%s\n' "${peffs[@]}" | median)
printf '1. Little'"'"'s-law efficiency, lognormal(100 ms, 1.0), concurrency 64, %s prompts: **%.3f** (wall %.1f s incl. JVM start; runs: %s); peer (openai Node SDK, 64 workers) **%.3f** (runs: %s); promptbatch/peer **%.2f**\n' \
  "$n1" "$eff" "$w" "$(printf '%.3f ' "${effs[@]}")" "$peff" "$(printf '%.3f ' "${peffs[@]}")" "$(echo "$eff / $peff" | bc -l)" >> "$out"
printf '   start-up s / efficiency from first request to last response / after the last response s / mean in flight while sending: promptbatch %s; peer %s\n' \
  "${phases[*]}" "${pphases[*]}" >> "$out"
printf '   an ideal client on the same latency draws (seeds 1 to %s): %s\n' "$repeats" \
  "$(python3 bench/ideal_efficiency.py "$n1" 64 $(seq 1 "$repeats"))" >> "$out"

fi
if [[ $only == *2* ]]; then
# 2. --rpm 600 against a server allowing 12 requests a second: 200 requests
prompts 200 "$work/p200.csv"
walls=(); r429=(); spans=()
for r in $(seq 1 "$repeats"); do
  port=$((18200 + r))
  simulator $port --latency 20ms --rpm 720
  wall=$(run "$work/s2-$r" "$work/o2-$r.jsonl" --input "$work/p200.csv" --base-url "http://127.0.0.1:$port/v1" --model kimi-k2.5 --concurrency 32 --rpm 600)
  walls+=("$wall"); r429+=("$(counter $port "['by_status'].get('429', 0)")")
  spans+=("$(echo "($(counter $port "['last_response_epoch_ms']") - $(counter $port "['first_request_epoch_ms']")) / 1000" | bc -l)")
  kill %% 2>/dev/null || true; wait 2>/dev/null || true
done
w=$(printf '%s\n' "${walls[@]}" | median); sp=$(printf '%s\n' "${spans[@]}" | median)
printf '2. --rpm 600 vs a server allowing 12/s, 200 requests: wall **%.1f s** incl. JVM start; first request to last response **%.1f s** (ideal 19.9 s: %.0f%% of the allowed rate); 429s: %s\n' \
  "$w" "$sp" "$(echo "100 * 19.9 / $sp" | bc -l)" "${r429[*]}" >> "$out"

fi
if [[ $only == *3* ]]; then
# 3. --concurrency auto vs a server answering 429 above 8 in flight, 50 ms latency; fixed 8 in the same run
prompts 2000 "$work/p2k.csv"
ratios=(); shares=(); rates=()
for r in $(seq 1 "$repeats"); do
  port=$((18300 + r))
  simulator $port --latency 50ms --max-in-flight 8
  fixed=$(run "$work/s3f-$r" "$work/o3f-$r.jsonl" --input "$work/p2k.csv" --base-url "http://127.0.0.1:$port/v1" --model kimi-k2.5 --concurrency 8)
  curl -sf -X POST "http://127.0.0.1:$port/counters" > /dev/null
  auto=$(run "$work/s3a-$r" "$work/o3a-$r.jsonl" --input "$work/p2k.csv" --base-url "http://127.0.0.1:$port/v1" --model kimi-k2.5 --concurrency auto)
  req=$(counter $port "['requests']"); n429=$(counter $port "['by_status'].get('429', 0)")
  span=$(echo "($(counter $port "['last_response_epoch_ms']") - $(counter $port "['first_request_epoch_ms']")) / 1000" | bc -l)
  ratios+=("$(echo "$fixed / $auto" | bc -l)"); shares+=("$(echo "100 * $n429 / $req" | bc -l)")
  rates+=("$(echo "100 * 2000 / $span / 160" | bc -l)")
  kill %% 2>/dev/null || true; wait 2>/dev/null || true
done
printf '3. --concurrency auto vs 429 above 8 in flight (50 ms), 2,000 prompts: throughput auto/fixed-8 (whole process) **%.2f**, 429s **%.2f%%** of requests, rows/s from first request to last response **%.0f%% of 160** (runs: %s / %s / %s)\n' \
  "$(printf '%s\n' "${ratios[@]}" | median)" "$(printf '%s\n' "${shares[@]}" | median)" "$(printf '%s\n' "${rates[@]}" | median)" \
  "$(printf '%.2f ' "${ratios[@]}")" "$(printf '%.2f%% ' "${shares[@]}")" "$(printf '%.0f%% ' "${rates[@]}")" >> "$out"

fi
if [[ $only == *4* ]]; then
# 4. Time from process start to the first request the provider sees (24-prompt sample, fresh state)
firsts=()
for r in $(seq 1 "$repeats"); do
  port=$((18400 + r))
  simulator $port --latency 10ms
  t0=$(date +%s%3N)
  ./promptbatch run --quiet --state-dir "$work/s4-$r" --output "$work/o4-$r.jsonl" --input sample-data/prompts.csv \
    --base-url "http://127.0.0.1:$port/v1" --model kimi-k2.5 > /dev/null
  first=$(counter $port "['first_request_epoch_ms']")
  firsts+=("$(echo "($first - $t0) / 1000" | bc -l)")
  kill %% 2>/dev/null || true; wait 2>/dev/null || true
done
printf '4. Time from process start to first request: **%.2f s** (runs: %s)\n' "$(printf '%s\n' "${firsts[@]}" | median)" "$(printf '%.2f ' "${firsts[@]}")" >> "$out"
fi
if [[ $only == *5* ]]; then
# 5. Zero latency: throughput and CPU time per request (user + system, whole process), promptbatch vs the peer
n=20000
prompts $n "$work/p20k.csv"
pb_rps=(); pb_cpu=(); peer_rps=(); peer_cpu=()
for r in $(seq 1 "$repeats"); do
  port=$((18500 + r))
  simulator $port --latency 0ms
  /usr/bin/time -f "%e %U %S" -o "$work/t5pb-$r" ./promptbatch run --quiet --state-dir "$work/s5-$r" \
    --output "$work/o5-$r.jsonl" --input "$work/p20k.csv" --base-url "http://127.0.0.1:$port/v1" --model kimi-k2.5 --concurrency 64
  /usr/bin/time -f "%e %U %S" -o "$work/t5peer-$r" node bench/peer.mjs "$work/p20k.csv" "$work/peer5-$r.jsonl" \
    "http://127.0.0.1:$port/v1" kimi-k2.5 64
  read -r e u s < "$work/t5pb-$r"; pb_rps+=("$(echo "$n / $e" | bc -l)"); pb_cpu+=("$(echo "($u + $s) * 1000 / $n" | bc -l)")
  read -r e u s < "$work/t5peer-$r"; peer_rps+=("$(echo "$n / $e" | bc -l)"); peer_cpu+=("$(echo "($u + $s) * 1000 / $n" | bc -l)")
  kill %% 2>/dev/null || true; wait 2>/dev/null || true
done
a=$(printf '%s\n' "${pb_rps[@]}" | median); b=$(printf '%s\n' "${peer_rps[@]}" | median)
c=$(printf '%s\n' "${pb_cpu[@]}" | median); d=$(printf '%s\n' "${peer_cpu[@]}" | median)
printf '5. Zero latency, 20,000 prompts, concurrency 64: promptbatch **%.0f req/s**, **%.3f ms CPU/request** (runs: %s / %s); peer **%.0f req/s**, **%.3f ms CPU/request** (runs: %s / %s); throughput promptbatch/peer **%.2f**, CPU promptbatch/peer **%.2f**\n' \
  "$a" "$c" "$(printf '%.0f ' "${pb_rps[@]}")" "$(printf '%.3f ' "${pb_cpu[@]}")" "$b" "$d" "$(printf '%.0f ' "${peer_rps[@]}")" "$(printf '%.3f ' "${peer_cpu[@]}")" \
  "$(echo "$a / $b" | bc -l)" "$(echo "$c / $d" | bc -l)" >> "$out"
fi
if [[ $only == *6* ]]; then
# 6. Flat memory: 100,000 and 1,000,000 prompts through -Xmx128m at zero latency; peak RSS of each
for n in 100000 1000000; do
  prompts $n "$work/p$n.csv"
  port=$((18600 + n / 100000))
  simulator $port --latency 0ms
  PROMPTBATCH_JAVA_OPTS="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx128m" /usr/bin/time -f "%e %M" -o "$work/t6-$n" ./promptbatch run --quiet --state-dir "$work/s6-$n" \
    --output "$work/o6-$n.jsonl" --input "$work/p$n.csv" --base-url "http://127.0.0.1:$port/v1" --model kimi-k2.5 --concurrency 64 \
    && status=ok || status="exit $?"
  read -r e m < "$work/t6-$n"
  printf '6. %d prompts, -Xmx128m: %s, %d rows written, wall %.0f s, peak RSS **%.0f MB**\n' "$n" "$status" \
    "$(wc -l < "$work/o6-$n.jsonl")" "$e" "$(echo "$m / 1024" | bc -l)" >> "$out"
  kill %% 2>/dev/null || true; wait 2>/dev/null || true
  rm -f "$work/o6-$n.jsonl" "$work/p$n.csv"
done
fi
if [[ $only == *7* ]]; then
# 7. Streaming: client CPU (user + system of the client process) per 1,000 streamed chunks, promptbatch
# (--stream --concurrency 256) against the peer (stream: true, 256 workers), each on a simulator started
# afresh with the same seed. BENCH7_PROMPTS prompts (512: two waves of 256 concurrent answers) of 1,000
# tokens each, one chunk a token, 50 chunks a second (≈ 20 s an answer); the chunks are counted by the
# simulator (role, 1,000 pieces, finish and usage chunks: 1,003 an answer). Then the same with answers of
# 10 tokens: the difference between the two runs is the CPU of the 990 extra chunks an answer, without
# the start-up and the per-request work that both runs share.
n7=${BENCH7_PROMPTS:-512}
prompts "$n7" "$work/p7.csv"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A cpu7 chunks7 rows7
stream7() { # client tokens repeat -> sets cpu7/chunks7/rows7 [client-tokens-repeat]
  local client=$1 tokens=$2 r=$3 port key=$1-$2-$3
  port=$((18700 + r * 10 + (tokens == 10 ? 2 : 0)))
  [[ $client == pb ]] || port=$((port + 1))
  simulator $port --latency 200ms --sigma 0.5 --seed "$r" --answer-tokens "$tokens" --chunk-rate 50
  if [[ $client == pb ]]; then
    /usr/bin/time -f "%e %U %S" -o "$work/t7-$key" ./promptbatch run --quiet --state-dir "$work/s7-$key" \
      --output "$work/o7-$key.jsonl" --input "$work/p7.csv" --base-url "http://127.0.0.1:$port/v1" --model kimi-k2.5 \
      --stream --concurrency 256
  else
    /usr/bin/time -f "%e %U %S" -o "$work/t7-$key" node bench/peer.mjs "$work/p7.csv" "$work/o7-$key.jsonl" \
      "http://127.0.0.1:$port/v1" kimi-k2.5 256 stream
  fi
  local e u s
  read -r e u s < "$work/t7-$key"
  cpu7[$key]=$(echo "$u + $s" | bc -l)
  chunks7[$key]=$(counter $port "['stream_chunks']")
  rows7[$key]=$(grep -c '"status":"ok"' "$work/o7-$key.jsonl" || true)
  kill %% 2>/dev/null || true; wait 2>/dev/null || true
}
pb_all=(); peer_all=(); pb_net=(); peer_net=(); ratio_all=(); ratio_net=(); detail=()
for r in $(seq 1 "$repeats"); do
  for c in pb peer; do stream7 $c 1000 "$r"; done
  for c in pb peer; do stream7 $c 10 "$r"; done
  for c in pb peer; do
    long=$c-1000-$r; short=$c-10-$r
    all=$(echo "${cpu7[$long]} * 1000000 / ${chunks7[$long]}" | bc -l)
    net=$(echo "(${cpu7[$long]} - ${cpu7[$short]}) * 1000000 / (${chunks7[$long]} - ${chunks7[$short]})" | bc -l)
    if [[ $c == pb ]]; then pb_all+=("$all"); pb_net+=("$net"); else peer_all+=("$all"); peer_net+=("$net"); fi
    detail+=("$(printf '%s r%s: CPU %.2f s for %s chunks (%s/%s rows ok), %.2f s for %s chunks (%s/%s ok)' "$c" "$r" \
      "${cpu7[$long]}" "${chunks7[$long]}" "${rows7[$long]}" "$n7" "${cpu7[$short]}" "${chunks7[$short]}" "${rows7[$short]}" "$n7")")
  done
  ratio_all+=("$(echo "${pb_all[-1]} / ${peer_all[-1]}" | bc -l)"); ratio_net+=("$(echo "${pb_net[-1]} / ${peer_net[-1]}" | bc -l)")
done
a=$(printf '%s\n' "${pb_all[@]}" | median); b=$(printf '%s\n' "${peer_all[@]}" | median)
c=$(printf '%s\n' "${pb_net[@]}" | median); d=$(printf '%s\n' "${peer_net[@]}" | median)
printf '7. Streaming, %s prompts, 256 concurrent answers of 1,003 chunks at 50 chunks/s: client CPU per 1,000 chunks, whole process: promptbatch **%.1f ms** (runs: %s), peer **%.1f ms** (runs: %s), promptbatch/peer **%.2f** (per repeat: %s)\n' \
  "$n7" "$a" "$(printf '%.1f ' "${pb_all[@]}")" "$b" "$(printf '%.1f ' "${peer_all[@]}")" "$(echo "$a / $b" | bc -l)" "$(printf '%.2f ' "${ratio_all[@]}")" >> "$out"
printf '   without start-up and per-request work (1,000-token run minus 10-token run, per 1,000 extra chunks): promptbatch **%.1f ms** (runs: %s), peer **%.1f ms** (runs: %s), promptbatch/peer **%.2f** (per repeat: %s)\n' \
  "$c" "$(printf '%.1f ' "${pb_net[@]}")" "$d" "$(printf '%.1f ' "${peer_net[@]}")" "$(echo "$c / $d" | bc -l)" "$(printf '%.2f ' "${ratio_net[@]}")" >> "$out"
printf '   %s\n' "${detail[@]}" >> "$out"
printf '   load average before %s, after %s\n' "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$out"
fi
cat "$out"
