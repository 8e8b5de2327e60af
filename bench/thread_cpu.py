#!/usr/bin/env python3
"""CPU time of a command's threads, by thread name (digits folded), read from /proc every 50 ms.

Usage: python3 bench/thread_cpu.py ./promptbatch run --quiet ...   (Linux only; the command's own
process, so a script that execs java, like ./promptbatch, is measured as the JVM). Threads that end
between two reads lose their last 50 ms; the total is within a few percent of /usr/bin/time's.
"""
import collections
import glob
import os
import re
import subprocess
import sys
import time

process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
tick = os.sysconf('SC_CLK_TCK')
last = {}
while process.poll() is None:
    for task in glob.glob(f'/proc/{process.pid}/task/*'):
        try:
            name = open(task + '/comm').read().strip()
            fields = open(task + '/stat').read().rsplit(')', 1)[1].split()
            last[task] = (name, (int(fields[11]) + int(fields[12])) / tick)
        except OSError:
            pass
    time.sleep(0.05)
by_name = collections.Counter()
for name, cpu in last.values():
    by_name[re.sub(r'\d+', 'N', name)] += cpu
total = sum(by_name.values())
print(f'exit {process.returncode}, CPU {total:.2f} s')
for name, cpu in by_name.most_common(12):
    print(f'{cpu:6.2f} s {100 * cpu / max(total, 1e-9):5.1f} %  {name}')
