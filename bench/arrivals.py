#!/usr/bin/env python3
"""A TCP relay in front of the simulator that notes when each prompt reaches it.

Usage: arrivals.py UPSTREAM_PORT PORT_FILE LOG_FILE

Listens on a free port of 127.0.0.1 (written to PORT_FILE), relays every connection to 127.0.0.1:UPSTREAM_PORT
byte for byte, and for each read from a client that holds a prompt written by bench/partitions.sh
("Prompt N: ...") appends "EPOCH_SECONDS N" to LOG_FILE: the moment that request's body reached the server side.
Used by bench/partitions.sh to time a partition's first prompt; not in the throughput measurements.
"""
import asyncio
import re
import sys
import time

PROMPT = re.compile(rb"Prompt (\d+):")


async def pipe(reader, writer, log):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if log is not None:
                now = time.time()
                for n in PROMPT.findall(data):
                    log.write(f"{now:.6f} {int(n)}\n")
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    upstream, port_file, log_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    log = open(log_file, "a", buffering=1)

    async def relay(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", upstream)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer, log), pipe(server_reader, client_writer, None))

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    with open(port_file, "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    async with server:
        await server.serve_forever()


asyncio.run(main())
