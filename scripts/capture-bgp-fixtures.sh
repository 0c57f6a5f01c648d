#!/usr/bin/env bash
# Captures real BGP messages from BIRD 2, GoBGP, FRR bgpd and ExaBGP peering
# with each other inside throw-away network namespaces, with tshark, and
# extracts each BGP message as hex into test/fixtures/bgp/captured/.
#
#   sudo scripts/capture-bgp-fixtures.sh [outdir]
#   PAIRS="3" sudo scripts/capture-bgp-fixtures.sh   # only some pairs (default: 1 2 3)
#
# Needs: root, iproute2, bird2, gobgpd + gobgp, frr (bgpd, vtysh), exabgp, tshark, python3.
# Pair 1: BIRD (AS 65001)       <-> GoBGP (AS 4200000002), IPv4 session, IPv4+IPv6 unicast.
# Pair 2: FRR  (AS 4200000003)  <-> ExaBGP (AS 65010, 4-octet AS capability disabled),
#         so FRR must send AS_TRANS + AS4_PATH (RFC 6793 4.2.2).
# Pair 3: BIRD (AS 65003)       <-> FRR (AS 65004), both with enhanced route refresh, for
#         RFC 7313 BoRR/EoRR around a refresh each way.
# Only addresses inside the namespaces made here are used (10.255.x, fd00:255:x::).
set -euo pipefail

OUT=${1:-"$(cd "$(dirname "$0")/.." && pwd)/test/fixtures/bgp/captured"}
WORK=$(mktemp -d /tmp/bgpcap.XXXXXX)
PAIRS=${PAIRS:-"1 2 3"}
NS=(bfx1a bfx1b bfx2a bfx2b bfx3a bfx3b)
PIDS=()
TSHARK=()
want() { [[ " $PAIRS " == *" $1 "* ]]; }

cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  for n in "${NS[@]}"; do ip netns del "$n" 2>/dev/null; done
}
trap cleanup EXIT INT TERM

for tool in ip bird birdc gobgpd gobgp /usr/lib/frr/bgpd vtysh exabgp tshark python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 2; }

mkpair() { # nsA nsB idx
  local a=$1 b=$2 i=$3
  ip netns add "$a"; ip netns add "$b"
  ip link add "v${i}a" netns "$a" type veth peer name "v${i}b" netns "$b"
  ip -n "$a" link set lo up; ip -n "$b" link set lo up
  ip -n "$a" addr add "10.255.$i.1/24" dev "v${i}a"
  ip -n "$b" addr add "10.255.$i.2/24" dev "v${i}b"
  ip -n "$a" addr add "fd00:255:$i::1/64" dev "v${i}a" nodad
  ip -n "$b" addr add "fd00:255:$i::2/64" dev "v${i}b" nodad
  ip -n "$a" link set "v${i}a" up; ip -n "$b" link set "v${i}b" up
}
for i in $PAIRS; do mkpair "bfx${i}a" "bfx${i}b" "$i"; done

wait_for() { # seconds command...
  local t=$1; shift
  for _ in $(seq 1 $((t * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  echo "timeout waiting for: $*" >&2; return 1
}

# ---------------------------------------------------------------- captures
for i in $PAIRS; do
  ip netns exec "bfx${i}a" tshark -q -i "v${i}a" -w "$WORK/pair$i.pcap" -f "tcp port 179" 2>"$WORK/tshark$i.log" & PIDS+=($!); TSHARK+=($!)
done
sleep 2

# ---------------------------------------------------------------- pair 1: BIRD <-> GoBGP
if want 1; then
cat >"$WORK/bird.conf" <<CONF
router id 10.255.1.1;
protocol device {}
protocol static s4 {
  ipv4;
  route 10.10.0.0/24 blackhole { bgp_community.add((65001,100)); bgp_large_community.add((65001,1,2)); bgp_med = 10; };
  route 10.10.1.0/24 blackhole { bgp_community.add((65001,100)); bgp_large_community.add((65001,1,2)); bgp_med = 10; };
  route 10.10.2.128/25 blackhole { bgp_community.add((65001,100)); bgp_large_community.add((65001,1,2)); bgp_med = 10; };
}
protocol static s6 {
  ipv6;
  route 2001:db8:10::/48 blackhole;
  route 2001:db8:11::/48 blackhole;
}
protocol static s4w { ipv4; route 10.10.9.0/24 blackhole; }
protocol bgp gobgp {
  local 10.255.1.1 as 65001;
  neighbor 10.255.1.2 as 4200000002;
  hold time 90;
  enable extended messages on;
  long lived graceful restart off;
  graceful restart on;
  ipv4 { import all; export all; add paths rx; };
  ipv6 { import all; export all; next hop address fd00:255:1::1; };
}
CONF
ip netns exec bfx1a bird -f -c "$WORK/bird.conf" -s "$WORK/bird.ctl" 2>"$WORK/bird.log" & PIDS+=($!)

cat >"$WORK/gobgp.toml" <<CONF
[global.config]
  as = 4200000002
  router-id = "10.255.1.2"
  port = 179
  local-address-list = ["10.255.1.2"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.255.1.1"
    peer-as = 65001
  [neighbors.timers.config]
    hold-time = 90
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.add-paths.config]
      send-max = 8
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
CONF
ip netns exec bfx1b gobgpd -f "$WORK/gobgp.toml" --api-hosts 127.0.0.1:50051 >"$WORK/gobgpd.log" 2>&1 & PIDS+=($!)
wait_for 20 ip netns exec bfx1b gobgp global
ip netns exec bfx1b gobgp global rib add -a ipv4 10.20.0.0/24 origin igp med 20 community 4200:1,no-export aigp metric 5 >/dev/null 2>&1 || \
  ip netns exec bfx1b gobgp global rib add -a ipv4 10.20.0.0/24 origin igp med 20 community 4200:1,no-export
ip netns exec bfx1b gobgp global rib add -a ipv4 10.20.1.0/24 origin incomplete aspath 4200000009,65099 nexthop 10.255.1.2 large-community 4200000002:7:8
ip netns exec bfx1b gobgp global rib add -a ipv6 2001:db8:20::/48 nexthop fd00:255:1::2
wait_for 40 sh -c "birdc -s '$WORK/bird.ctl' show protocols gobgp | grep -q Established"
sleep 3
# Withdrawals, a route refresh each way, then an administrative shutdown with a message.
ip netns exec bfx1b gobgp global rib del -a ipv4 10.20.1.0/24
ip netns exec bfx1b gobgp global rib del -a ipv6 2001:db8:20::/48
birdc -s "$WORK/bird.ctl" disable s4w >/dev/null
birdc -s "$WORK/bird.ctl" disable s6 >/dev/null
sleep 2
ip netns exec bfx1b gobgp neighbor 10.255.1.1 softresetin -a ipv4 || true
sleep 1
birdc -s "$WORK/bird.ctl" reload in gobgp >/dev/null || true
sleep 2
birdc -s "$WORK/bird.ctl" 'disable gobgp "maintenance: BIRD going away"' || echo "birdc disable failed" >&2
sleep 2

fi

# ---------------------------------------------------------------- pair 2: FRR <-> ExaBGP
if want 2; then
mkdir -p "$WORK/frr"; chmod 777 "$WORK/frr"
cat >"$WORK/frr/bgpd.conf" <<CONF
hostname frrcap
router bgp 4200000003
 bgp router-id 10.255.2.1
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp graceful-restart
 neighbor 10.255.2.2 remote-as 65010
 neighbor 10.255.2.2 timers 30 90
 neighbor 10.255.2.2 capability extended-nexthop
 address-family ipv4 unicast
  network 10.30.0.0/24
  network 10.30.1.0/24
  network 10.30.99.0/24
  neighbor 10.255.2.2 activate
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:30::/48
  neighbor 10.255.2.2 activate
 exit-address-family
CONF
ip netns exec bfx2a /usr/lib/frr/bgpd -S -Z -n -f "$WORK/frr/bgpd.conf" --vty_socket "$WORK/frr" -i "$WORK/frr/bgpd.pid" \
  -p 179 --log "file:$WORK/frr/bgpd.log" >/dev/null 2>&1 & PIDS+=($!)

cat >"$WORK/exabgp.conf" <<CONF
neighbor 10.255.2.1 {
  router-id 10.255.2.2;
  local-address 10.255.2.2;
  local-as 65010;
  peer-as 23456;  # with asn4 disabled ExaBGP compares My AS, which FRR sets to AS_TRANS
  hold-time 90;
  capability {
    asn4 disable;
    route-refresh enable;
    graceful-restart 120;
  }
  family {
    ipv4 unicast;
    ipv6 unicast;
  }
  static {
    route 10.40.0.0/24 next-hop 10.255.2.2 origin egp as-path [ 65010 65020 ] med 50 local-preference 200 community [ 65010:1 65010:2 ] extended-community [ target:65010:7 ] atomic-aggregate aggregator ( 65010:10.255.2.2 );
    route 2001:db8:40::/48 next-hop fd00:255:2::2 as-path [ 65010 ];
  }
}
CONF
ip netns exec bfx2b env exabgp.daemon.user=root exabgp.log.destination="$WORK/exabgp.log" exabgp.daemon.daemonize=false \
  exabgp "$WORK/exabgp.conf" >"$WORK/exabgp.out" 2>&1 & PIDS+=($!)
vty() { ip netns exec bfx2a vtysh --vty_socket "$WORK/frr" -c "$@"; }
wait_for 60 sh -c "ip netns exec bfx2a vtysh --vty_socket '$WORK/frr' -c 'show bgp summary' | grep -E '10.255.2.2 .* [0-9]+ +[0-9]+ +N/A' || ip netns exec bfx2a vtysh --vty_socket '$WORK/frr' -c 'show bgp neighbors 10.255.2.2' | grep -q 'BGP state = Established'"
sleep 3
vty "configure terminal" -c "router bgp 4200000003" -c "address-family ipv4 unicast" -c "no network 10.30.99.0/24" >/dev/null
vty "configure terminal" -c "router bgp 4200000003" -c "address-family ipv6 unicast" -c "no network 2001:db8:30::/48" >/dev/null
sleep 2
vty "clear bgp 10.255.2.2 soft in" >/dev/null || true
sleep 2
vty "configure terminal" -c "router bgp 4200000003" -c "neighbor 10.255.2.2 shutdown message FRR maintenance" >/dev/null
sleep 2

fi

# ---------------------------------------------------------------- pair 3: BIRD <-> FRR (enhanced route refresh)
if want 3; then
cat >"$WORK/bird3.conf" <<CONF
router id 10.255.3.1;
protocol device {}
protocol static s4 { ipv4; route 10.50.0.0/24 blackhole; route 10.50.1.0/24 blackhole; }
protocol bgp frr3 {
  local 10.255.3.1 as 65003;
  neighbor 10.255.3.2 as 65004;
  enable route refresh on;
  ipv4 { import all; export all; };
}
CONF
ip netns exec bfx3a bird -f -c "$WORK/bird3.conf" -s "$WORK/bird3.ctl" 2>"$WORK/bird3.log" & PIDS+=($!)
mkdir -p "$WORK/frr3"; chmod 777 "$WORK/frr3"
cat >"$WORK/frr3/bgpd.conf" <<CONF
hostname frrerr
router bgp 65004
 bgp router-id 10.255.3.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.255.3.1 remote-as 65003
 address-family ipv4 unicast
  network 10.60.0.0/24
  neighbor 10.255.3.1 activate
 exit-address-family
CONF
ip netns exec bfx3b /usr/lib/frr/bgpd -S -Z -n -f "$WORK/frr3/bgpd.conf" --vty_socket "$WORK/frr3" -i "$WORK/frr3/bgpd.pid" \
  -p 179 --log "file:$WORK/frr3/bgpd.log" >/dev/null 2>&1 & PIDS+=($!)
wait_for 60 sh -c "birdc -s '$WORK/bird3.ctl' show protocols frr3 | grep -q Established"
sleep 3
# Each side asks the other for a refresh; with enhanced route refresh negotiated the
# answer is wrapped in BoRR / EoRR (RFC 7313 4).
birdc -s "$WORK/bird3.ctl" reload in frr3 >/dev/null || echo "birdc reload failed" >&2
sleep 3
ip netns exec bfx3b vtysh --vty_socket "$WORK/frr3" -c "clear bgp 10.255.3.1 soft in" >/dev/null || echo "vtysh clear failed" >&2
sleep 3
ip netns exec bfx3b vtysh --vty_socket "$WORK/frr3" -c "clear bgp 10.255.3.1 soft out" >/dev/null || true
sleep 3
fi

# ---------------------------------------------------------------- extract
for p in "${TSHARK[@]}"; do kill -INT "$p" 2>/dev/null || true; done
sleep 2
mkdir -p "$OUT"
for pair in $PAIRS; do
  tshark -r "$WORK/pair$pair.pcap" -Y "tcp.len > 0" -T fields -e tcp.stream -e ip.src -e tcp.seq_raw -e tcp.payload \
    >"$WORK/pair$pair.tsv"
done
python3 - "$WORK" "$OUT" $PAIRS <<'PY'
import sys, collections
work, out = sys.argv[1], sys.argv[2]
names = {'10.255.1.1': 'bird', '10.255.1.2': 'gobgp', '10.255.2.1': 'frr', '10.255.2.2': 'exabgp',
         '10.255.3.1': 'bird-err', '10.255.3.2': 'frr-err'}
types = {1: 'open', 2: 'update', 3: 'notification', 4: 'keepalive', 5: 'route-refresh'}
for pair in [int(x) for x in sys.argv[3:]]:
    segs = collections.defaultdict(dict)
    for line in open(f'{work}/pair{pair}.tsv'):
        f = line.rstrip('\n').split('\t')
        if len(f) < 4 or not f[3]:
            continue
        segs[(f[0], f[1])][int(f[2])] = bytes.fromhex(f[3].replace(':', ''))
    for (stream, src), by_seq in segs.items():
        data = b''
        nxt = None
        for seq in sorted(by_seq):
            chunk = by_seq[seq]
            if nxt is not None and seq < nxt:  # retransmission overlap
                chunk = chunk[nxt - seq:]
            data += chunk
            nxt = seq + len(by_seq[seq]) if nxt is None or seq + len(by_seq[seq]) > nxt else nxt
        who = names.get(src, src)
        with open(f'{out}/{who}.hex', 'a') as fh:
            o = 0
            while o + 19 <= len(data):
                ln = int.from_bytes(data[o + 16:o + 18], 'big')
                if ln < 19 or o + ln > len(data):
                    break
                msg = data[o:o + ln]
                fh.write(f'# {who} stream {stream} {types.get(msg[18], msg[18])} length {ln}\n{msg.hex()}\n')
                o += ln
PY
cp "$WORK"/pair*.pcap "$OUT/" 2>/dev/null || true
echo "captured into $OUT:"; grep -c '^#' "$OUT"/*.hex || true
echo "logs in $WORK"
