#!/usr/bin/env bash
# Captures the messages BIRD 2 and GoBGP send to a peer, as hex, one message per line:
# the source of the vectors in Tests/BGPTests/PeerCaptureTests.swift. Needs bird2 and
# gobgpd (Debian packages); runs on loopback (127.0.0.1 -> 127.0.0.2:1790), no root needed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 "$here/peer.py" 127.0.0.2 1790 "$work/bird.hex" 6 &
peer=$!
sleep 0.5
bird -c "$here/bird.conf" -s "$work/bird.ctl" -P "$work/bird.pid"
wait "$peer"
kill "$(cat "$work/bird.pid")"
echo "# BIRD $(bird --version 2>&1 | awk '{print $3}')"
cat "$work/bird.hex"

gobgpd -f "$here/gobgpd.toml" --api-hosts=127.0.0.1:50099 >"$work/gobgpd.log" 2>&1 &
gobgpd=$!
sleep 1.5
gobgp -p 50099 global rib add 198.51.100.0/24 nexthop 192.0.2.1 community 65535:0 large-community 4200000001:1:2 med 50 -a ipv4
gobgp -p 50099 global rib add 2001:db8:100::/48 nexthop 2001:db8::1 community 65001:100 -a ipv6
python3 "$here/peer.py" 127.0.0.2 1790 "$work/gobgp.hex" 8
kill "$gobgpd"
echo "# GoBGP $(gobgpd --version | awk '{print $3}')"
cat "$work/gobgp.hex"
