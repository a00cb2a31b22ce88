/// The stream tool that ``Lab/startStreamSender(in:to:port:rate:count:flows:sourcePortBase:size:)``
/// and ``Lab/startStreamReceiver(in:port:seconds:)`` run inside namespaces, with Debian's
/// `/usr/bin/python3`. Kept here rather than as a resource so that every target that uses
/// NetLab (tests, benchmarks, `moat lab`) finds it without a bundle.
enum UDPStreamScript {
    static let fileName = "udp_stream.py"

    static let source = #"""
"""A bounded UDP test stream: numbered datagrams out, what arrived (and its DSCP) in.

send:    udp_stream.py send DST PORT --rate PPS --count N [--flows F --sport-base P]
         Datagrams carry a sequence number and the send time. With --flows, round r sends
         one datagram from each of F source ports (P, P+1, ...), so every flow spans the run.
receive: udp_stream.py receive PORT OUT --seconds S
         Writes one line per datagram, "seq sport tos sent_ns received_ns", when it stops
         (SIGTERM, SIGINT or after S seconds).
Both stop by themselves: nothing runs past --count datagrams or --seconds.
"""
import argparse, signal, socket, struct, sys, time

MAGIC = 0x4D4F4154  # "MOAT"
HEADER = struct.Struct("!IQQ")  # magic, sequence, send time (ns since the epoch)
stopping = False


def stop(*_):
    global stopping
    stopping = True


def send(args):
    payload_pad = b"\0" * max(0, args.size - HEADER.size)
    flows = max(1, args.flows)
    sockets = []
    if args.flows == 0:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if args.sport_base:
            s.bind(("0.0.0.0", args.sport_base))
        sockets = [s]
    start = time.monotonic()
    sent = 0
    for seq in range(args.count):
        if stopping:
            break
        due = start + seq / args.rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        data = HEADER.pack(MAGIC, seq, time.time_ns()) + payload_pad
        try:
            if sockets:
                sockets[0].sendto(data, (args.dst, args.port))
            else:
                # One short-lived socket per datagram: flow `seq % flows` keeps its source port.
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(("0.0.0.0", args.sport_base + seq % flows))
                    s.sendto(data, (args.dst, args.port))
            sent += 1
        except OSError:
            pass  # no route for a moment: the receiver sees the gap
    print(f"sent {sent} in {time.monotonic() - start:.3f}s", flush=True)


def receive(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_RECVTOS", 13), 1)
    s.bind(("0.0.0.0", args.port))
    s.settimeout(0.2)
    deadline = time.monotonic() + args.seconds
    lines = []
    print("receiving", flush=True)
    while not stopping and time.monotonic() < deadline:
        try:
            data, ancillary, _, source = s.recvmsg(2048, socket.CMSG_SPACE(1))
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        received = time.time_ns()
        if len(data) < HEADER.size:
            continue
        magic, seq, sent = HEADER.unpack_from(data)
        if magic != MAGIC:
            continue
        tos = 0
        for level, kind, value in ancillary:
            if level == socket.IPPROTO_IP and kind == socket.IP_TOS and value:
                tos = value[0]
        lines.append(f"{seq} {source[1]} {tos} {sent} {received}\n")
    with open(args.out, "w") as out:
        out.writelines(lines)
    print(f"received {len(lines)}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    sender = commands.add_parser("send")
    sender.add_argument("dst")
    sender.add_argument("port", type=int)
    sender.add_argument("--rate", type=float, required=True)
    sender.add_argument("--count", type=int, required=True)
    sender.add_argument("--size", type=int, default=64)
    sender.add_argument("--flows", type=int, default=0)
    sender.add_argument("--sport-base", type=int, default=0)
    receiver = commands.add_parser("receive")
    receiver.add_argument("port", type=int)
    receiver.add_argument("out")
    receiver.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    (send if args.command == "send" else receive)(args)


if __name__ == "__main__":
    main()
"""#
}
