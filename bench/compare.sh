#!/usr/bin/env bash
# Two builds side by side: rounds of bench/run.sh with one repeat each, this checkout's jar then the other's,
# so that both see the same machine state and the same latency draws (seed 1).
# Usage: bench/compare.sh OTHER_CHECKOUT [rounds] [which]   (default 3 rounds, benchmarks 145)
# OTHER_CHECKOUT is another clone or worktree (e.g. `git worktree add /tmp/old COMMIT`); its jar is built when
# missing, and it runs this checkout's bench/run.sh and bench/peer.mjs. Each round's figures go to
# bench/results/compare-{this,other}-ROUND.md.
set -euo pipefail
cd "$(dirname "$0")/.."
other=$(cd "$1" && pwd)
rounds=${2:-3}
which=${3:-145}
here=$(pwd)
cp bench/run.sh bench/peer.mjs bench/package.json "$other/bench/"
mkdir -p bench/results
for r in $(seq 1 "$rounds"); do
  for side in this other; do
    dir=$here; [ "$side" = other ] && dir=$other
    echo "round $r, $side ($dir), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    (cd "$dir" && bench/run.sh 1 "$which" > /dev/null)
    cp "$dir/bench/results/latest.md" "bench/results/compare-$side-$r.md"
  done
done
grep -H '' bench/results/compare-*.md
