#!/usr/bin/env python3
"""Latency at a fixed request rate, to the microsecond.

Usage: latency.py RATE SECONDS CONNECTIONS BODY_FILE NAME=URL|KEY[|Header: value...] ...

Each target gets RATE requests a second, spread over CONNECTIONS keep-alive connections (one thread each, each
sending on its own schedule of RATE/CONNECTIONS a second), for SECONDS. A request's latency runs from the first byte
sent to the last byte of the answer, read with its Content-Length or to the end of its chunks. hey, which the
benchmark used before, prints latencies rounded to 0.1 ms and adds its own scheduling to each; at a few hundred
microseconds a request that hides what is being measured. Prints p50, p90 and p99 per target; any answer but a 200
is counted and reported.
"""
import os
import socket
import sys
import threading
import time
from urllib.parse import urlparse


def read_answer(sock, pending):
    buf = pending
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    length = next((int(l.split(b":", 1)[1]) for l in lines if l.lower().startswith(b"content-length:")), None)
    if length is not None:
        while len(rest) < length:
            rest += sock.recv(65536)
        return lines[0], rest[length:]
    while b"0\r\n\r\n" not in rest:  # chunked: good enough for single answers, which end with the last chunk
        rest += sock.recv(65536)
    end = rest.index(b"0\r\n\r\n") + 5
    return lines[0], rest[end:]


SLOW = float(os.environ.get("SLOW", "0"))  # report answers slower than this many ms, with when they started
slow = []


def run(url, key, headers, body, rate, seconds, connections):
    target = urlparse(url)
    extra = "".join(f"{h}\r\n" for h in headers)
    request = (f"POST {target.path} HTTP/1.1\r\nHost: {target.hostname}:{target.port}\r\nAuthorization: Bearer {key}\r\n"
               f"Content-Type: application/json\r\n{extra}Content-Length: {len(body)}\r\n\r\n").encode() + body
    latencies, failures, lock = [], [0], threading.Lock()

    def worker(offset):
        sock = socket.create_connection((target.hostname, target.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        interval = connections / rate
        start = time.perf_counter() + offset * interval / connections
        mine, pending, n = [], b"", 0
        while True:
            due = start + n * interval
            if due - start > seconds:
                break
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            t0 = time.perf_counter()
            sock.sendall(request)
            status, pending = read_answer(sock, pending)
            mine.append((time.perf_counter() - t0) * 1000)
            if SLOW and mine[-1] > SLOW:
                with lock:
                    slow.append((time.time(), mine[-1]))
            if b" 200 " not in status + b" ":
                with lock:
                    failures[0] += 1
            n += 1
        sock.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))]
    return pick(0.5), pick(0.9), pick(0.99), len(latencies), failures[0]


def main():
    rate, seconds, connections = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    body = open(sys.argv[4], "rb").read()
    for spec in sys.argv[5:]:
        name, rest = spec.split("=", 1)
        url, key, *headers = rest.split("|")
        p50, p90, p99, n, failed = run(url, key, headers, body, rate, seconds, connections)
        print(f"{name:9s} p50 {p50:7.3f} ms   p90 {p90:7.3f} ms   p99 {p99:7.3f} ms   ({n} requests, {failed} not 200)", flush=True)
        if SLOW:
            for at, ms in sorted(slow):
                print(f"          slow: {time.strftime('%H:%M:%S', time.gmtime(at))}.{int(at % 1 * 1000):03d} {ms:8.3f} ms", flush=True)
            slow.clear()


if __name__ == "__main__":
    main()
