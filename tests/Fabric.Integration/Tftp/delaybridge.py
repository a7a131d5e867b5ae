#!/usr/bin/env python3
"""Forwards every Ethernet frame between two interfaces, unchanged, after a fixed delay.

The TFTP integration tests use it to emulate `tc qdisc add ... netem delay` on kernels built without
sch_netem: run it in a namespace that holds one end of each of two veth pairs and has no addresses.
Each direction is delayed on its own and keeps its order. Prints READY once both interfaces are bound,
stops on SIGTERM or SIGINT and then prints how many frames went each way to stderr.

Usage: delaybridge.py IF_A IF_B --delay-ms 2
"""
import argparse
import collections
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
BUFFER = 4 << 20
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
SO_SNDBUFFORCE = getattr(socket, "SO_SNDBUFFORCE", 32)
PACKET_OUTGOING = getattr(socket, "PACKET_OUTGOING", 4)
SOL_PACKET = 263
PACKET_VNET_HDR = 15


class Stop(Exception):
    pass


def stop(_signum, _frame):
    raise Stop()


def open_socket(interface):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    for option, forced in ((socket.SO_RCVBUF, SO_RCVBUFFORCE), (socket.SO_SNDBUF, SO_SNDBUFFORCE)):
        sock.setsockopt(socket.SOL_SOCKET, option, BUFFER)
        try:
            sock.setsockopt(socket.SOL_SOCKET, forced, BUFFER)
        except PermissionError:
            pass
    # A frame sent by a local socket over veth usually carries only a partial UDP checksum (the sender's stack
    # leaves the rest to the "hardware"). With a virtio-net header in front of every frame the kernel tells us
    # so on receipt and finishes the checksum when we send the frame on, header included, unchanged.
    sock.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    sock.bind((interface, ETH_P_ALL))
    return sock


def main():
    parser = argparse.ArgumentParser(description="Delaying L2 forwarder between two interfaces.")
    parser.add_argument("if_a")
    parser.add_argument("if_b")
    parser.add_argument("--delay-ms", type=float, required=True)
    args = parser.parse_args()
    delay = args.delay_ms / 1000

    a, b = open_socket(args.if_a), open_socket(args.if_b)
    forwarded = {a: 0, b: 0}
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("READY", flush=True)
    try:
        forward(a, b, delay, forwarded)
    except Stop:
        pass
    print(f"{args.if_a} -> {args.if_b}: {forwarded[a]} frames; {args.if_b} -> {args.if_a}: {forwarded[b]} frames",
          file=sys.stderr)


def forward(a, b, delay, forwarded):
    peer = {a: b, b: a}
    queued = {a: collections.deque(), b: collections.deque()}  # frames read from a socket: (due, frame)
    while True:
        now = time.monotonic()
        for sock, queue in queued.items():
            while queue and queue[0][0] <= now:
                peer[sock].send(queue.popleft()[1])
                forwarded[sock] += 1
        due = [queue[0][0] for queue in queued.values() if queue]
        timeout = max(0.0, min(due) - now) if due else None
        readable, _, _ = select.select([a, b], [], [], timeout)
        now = time.monotonic()
        for sock in readable:
            while True:
                try:
                    frame, address = sock.recvfrom(1 << 17, socket.MSG_DONTWAIT)  # room for a 64 KiB GSO frame and its header
                except BlockingIOError:
                    break
                if address[2] != PACKET_OUTGOING:
                    queued[sock].append((now + delay, frame))


if __name__ == "__main__":
    main()
