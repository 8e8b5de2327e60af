#!/usr/bin/env python3
"""Little's-law efficiency of an ideal client on benchmark 1's workload.

The client has no start-up, no overhead and sends the next prompt the instant a slot frees up: 64 slots,
10,000 prompts whose latencies are lognormal (median 100 ms, sigma 1.0). Its efficiency
(sum of latencies / 64) / wall time is below 1 only because of the drain at the end, when fewer than 64
requests are left. Prints the figure for 21 latency draws: the ceiling any client can reach.
Usage: bench/ideal_efficiency.py [prompts] [concurrency]
"""
import heapq
import math
import random
import statistics
import sys

prompts = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
slots = int(sys.argv[2]) if len(sys.argv) > 2 else 64
figures = []
for seed in range(1, 22):
    rng = random.Random(seed)
    latencies = [100 * math.exp(rng.gauss(0, 1.0)) for _ in range(prompts)]
    free_at = [0.0] * slots
    for latency in latencies:
        heapq.heappush(free_at, heapq.heappop(free_at) + latency)
    figures.append(sum(latencies) / slots / max(free_at))
figures.sort()
print(f"ideal client, {prompts} prompts, concurrency {slots}, 21 draws: median {statistics.median(figures):.3f}, "
      f"min {figures[0]:.3f}, max {figures[-1]:.3f}, draws at or above 0.95: {sum(f >= 0.95 for f in figures)} of 21")
