#!/usr/bin/env python3
"""Little's-law efficiency of an ideal client on benchmark 1's workload.

The client has no start-up, no overhead and sends the next prompt the instant a slot frees up: 64 slots,
10,000 prompts whose latencies are lognormal (median 100 ms, sigma 1.0). Its efficiency
(sum of latencies / 64) / wall time is below 1 only because of the drain at the end, when fewer than 64
requests are left. The latencies are the simulator's own draws for each seed (it draws them in the order
requests arrive, from Java's SplittableRandom, as this script does), so the figure for seed N is the ceiling
of benchmark 1's repeat N (simulator --seed N).
Usage: bench/ideal_efficiency.py [prompts] [concurrency] [seed ...]   (default: seeds 1 to 21, summarized)
"""
import heapq
import math
import statistics
import sys

MASK = (1 << 64) - 1


class SplittableRandom:
    """java.util.SplittableRandom(seed): the same sequence of doubles."""

    def __init__(self, seed):
        self.seed = seed & MASK
        self.gamma = 0x9E3779B97F4A7C15

    def next_double(self):
        self.seed = (self.seed + self.gamma) & MASK
        z = self.seed
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z = z ^ (z >> 31)
        return (z >> 11) * 2.0 ** -53


def latencies(seed, prompts):
    """The simulator's latencies (ms) for lognormal(100 ms, 1.0): per request one draw for the fault rates,
    then two for the Box-Muller transform (Latency.drawNanos)."""
    rng = SplittableRandom(seed)
    out = []
    for _ in range(prompts):
        rng.next_double()
        u1, u2 = rng.next_double(), rng.next_double()
        gauss = math.sqrt(-2 * math.log(1 - u1)) * math.cos(2 * math.pi * u2)
        out.append(min(100 * math.exp(gauss), 100_000))
    return out


def ideal(seed, prompts, slots):
    draws = latencies(seed, prompts)
    free_at = [0.0] * slots
    for latency in draws:
        heapq.heappush(free_at, heapq.heappop(free_at) + latency)
    return sum(draws) / slots / max(free_at)


prompts = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
slots = int(sys.argv[2]) if len(sys.argv) > 2 else 64
if len(sys.argv) > 3:
    print(' '.join(f"{ideal(int(s), prompts, slots):.3f}" for s in sys.argv[3:]))
else:
    figures = sorted(ideal(seed, prompts, slots) for seed in range(1, 22))
    print(f"ideal client, {prompts} prompts, concurrency {slots}, seeds 1 to 21: median {statistics.median(figures):.3f}, "
          f"min {figures[0]:.3f}, max {figures[-1]:.3f}, seeds at or above 0.95: {sum(f >= 0.95 for f in figures)} of 21")
