/// A GRE peer written with scapy (`/usr/bin/python3`, Debian's python3-scapy): an
/// implementation of RFC 2784 that shares nothing with Moat's codec, to talk to
/// `moat gre-endpoint` in ``GREInteropTests``.
///
/// - `ping ENDPOINT LOCAL INNER_SRC INNER_DST COUNT`: sends COUNT GRE-encapsulated ICMP echo
///   requests from LOCAL to ENDPOINT and reports every GRE packet that comes back.
/// - `answer ENDPOINT LOCAL SECONDS COUNT`: answers GRE-encapsulated echo requests from
///   ENDPOINT with GRE-encapsulated echo replies, until COUNT are answered or SECONDS pass.
///
/// Both print one line `RESULT {json}` with, for each packet received, the outer addresses
/// and TTL, the GRE header's fields, the inner ICMP message, and whether every checksum holds.
enum GREPeerScript {
    static let source = #"""
import json, socket, sys, time
from scapy.layers.inet import IP, ICMP
from scapy.layers.l2 import GRE
from scapy.packet import Raw

GRE_PROTOCOL = 47


def checksums_hold(raw):
    """The IPv4 header and ICMP checksums of `raw` are what scapy computes afresh."""
    packet = IP(raw)
    fresh = packet.copy()
    del fresh.chksum
    if fresh.haslayer(ICMP):
        del fresh[ICMP].chksum
    fresh = IP(bytes(fresh))
    if packet.chksum != fresh.chksum:
        return False
    return not packet.haslayer(ICMP) or packet[ICMP].chksum == fresh[ICMP].chksum


def describe(raw):
    outer = IP(raw)
    seen = {"outer_src": outer.src, "outer_dst": outer.dst, "outer_ttl": outer.ttl,
            "outer_proto": outer.proto, "outer_checksum_ok": checksums_hold(raw[:outer.ihl * 4])}
    if outer.proto != GRE_PROTOCOL or not outer.haslayer(GRE):
        return seen
    gre = outer[GRE]
    seen.update({"gre_version": gre.version, "gre_proto": gre.proto, "gre_checksum_present": gre.chksum_present,
                 "gre_key_present": gre.key_present, "gre_seq_present": gre.seqnum_present,
                 "gre_routing_present": gre.routing_present})
    inner_raw = bytes(gre.payload)
    if gre.proto != 0x0800 or not inner_raw:
        return seen
    inner = IP(inner_raw)
    seen.update({"inner_src": inner.src, "inner_dst": inner.dst, "inner_proto": inner.proto,
                 "inner_length_ok": inner.len == len(inner_raw), "inner_checksums_ok": checksums_hold(inner_raw)})
    if inner.haslayer(ICMP):
        icmp = inner[ICMP]
        seen.update({"icmp_type": icmp.type, "icmp_code": icmp.code, "icmp_id": icmp.id, "icmp_seq": icmp.seq,
                     "icmp_payload": bytes(icmp.payload).hex()})
    return seen


def encapsulate(local, endpoint, inner):
    return bytes(IP(src=local, dst=endpoint, ttl=64) / GRE(proto=0x0800) / inner)


def sockets():
    receiver = socket.socket(socket.AF_INET, socket.SOCK_RAW, GRE_PROTOCOL)
    receiver.settimeout(0.2)
    sender = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    return receiver, sender


def ping(endpoint, local, inner_src, inner_dst, count):
    receiver, sender = sockets()
    received = []
    for seq in range(count):
        payload = b"scapy-gre-%04d" % seq + bytes(range(32))
        inner = IP(src=inner_src, dst=inner_dst, ttl=64) / ICMP(type=8, id=0x5ca9, seq=seq) / Raw(payload)
        sender.sendto(encapsulate(local, endpoint, inner), (endpoint, 0))
        time.sleep(0.1)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and len(received) < count:
        try:
            raw = receiver.recv(65535)
        except socket.timeout:
            continue
        outer = IP(raw)
        if outer.src == endpoint and not (GRE in outer and outer[GRE].proto != 0x0800):
            received.append(describe(raw))
    print("RESULT " + json.dumps({"sent": count, "received": received}), flush=True)


def answer(endpoint, local, seconds, count):
    receiver, sender = sockets()
    requests = []
    deadline = time.monotonic() + seconds
    print("answering", flush=True)
    while time.monotonic() < deadline and len(requests) < count:
        try:
            raw = receiver.recv(65535)
        except socket.timeout:
            continue
        outer = IP(raw)
        if outer.src != endpoint:
            continue
        if GRE in outer and outer[GRE].proto != 0x0800:
            # The tunnel device's own IPv6 chatter (router solicitations, MLD) when it comes up.
            continue
        seen = describe(raw)
        requests.append(seen)
        if seen.get("icmp_type") != 8:
            continue
        request = IP(bytes(outer[GRE].payload))
        reply = IP(src=request.dst, dst=request.src, ttl=64) / ICMP(type=0, id=request[ICMP].id, seq=request[ICMP].seq) \
            / Raw(bytes(request[ICMP].payload))
        sender.sendto(encapsulate(local, endpoint, reply), (endpoint, 0))
    print("RESULT " + json.dumps({"requests": requests}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "ping":
        ping(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    else:
        answer(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
"""#
}
