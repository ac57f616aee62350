#!/usr/bin/env bash
# Regenerates the DNS fixtures in this folder (see README.md): genuine dig <-> responder traffic
# on loopback plus one ICMP and one ICMPv6 echo, recorded by tcpdump three times (lo as Ethernet, "any" as Linux SLL and SLL2),
# and tshark's reading of it as the golden file the decoder tests compare against.
# Needs root (port 53, capture), tcpdump, dig (dnsutils), tshark, python3. Loopback only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
filter='(port 53 or icmp or icmp6) and (host 127.0.0.1 or host ::1)'

captures=()
start_capture() {  # file interface [link type]
  tcpdump -i "$2" ${3:+-y "$3"} -U -n -s 65535 -w "$1" "$filter" 2>/dev/null &
  captures+=($!)
}
start_capture dns.pcap lo
start_capture dns_sll.pcap any LINUX_SLL
start_capture dns_sll2.pcap any LINUX_SLL2
sleep 1

coproc responder { python3 "$here/dns_responder.py"; }
read -r ready <&"${responder[0]}"
[[ "$ready" == ready ]]

q() { dig +tries=1 +time=2 "$@" >/dev/null || true; }
q @127.0.0.1 www.example.com A
q @127.0.0.1 WWW.Example.COM AAAA          # mixed case: the decoder lower-cases
q @127.0.0.1 alias.example.com A           # CNAME chain, compressed owner inside rdata
q @127.0.0.1 mail.example.com MX           # answer skipped (not A/AAAA)
q @127.0.0.1 txt.example.com TXT
q @127.0.0.1 nx.example.com A              # NXDOMAIN
q @127.0.0.1 host.example.org A            # REFUSED
q @127.0.0.1 'a\032b.example.com' A        # a space inside a label
q @::1 dual.example.net AAAA               # DNS over IPv6
q @127.0.0.1 +tcp www.example.com A        # DNS over TCP
q @127.0.0.1 +tcp txt.example.com TXT
q @::1 +tcp www.example.com AAAA

# One echo request each way; the kernel answers them (no ping binary needed).
python3 - <<'PY'
import socket, struct
def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xffff)
    return ~(total + (total >> 16)) & 0xffff
echo = bytes.fromhex("0800000000010001") + b"mamori"
echo = echo[:2] + struct.pack("!H", checksum(echo)) + echo[4:]
with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
    s.sendto(echo, ("127.0.0.1", 0))
with socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as s:
    s.sendto(bytes.fromhex("8000000000010001") + b"mamori", ("::1", 0))  # kernel sums
PY

sleep 1
kill "${captures[@]}"
wait "${captures[@]}" 2>/dev/null || true
exec {responder[1]}>&-
wait "$responder_PID" 2>/dev/null || true

# Goldens: tshark's reading of every frame (network and transport fields, first occurrence so
# that ICMP-quoted headers do not count) and of every DNS message.
for pcap in dns.pcap dns_sll.pcap dns_sll2.pcap; do
  tshark -r "$pcap" -T fields -E separator=/t -E occurrence=f \
    -e frame.number -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst -e ip.proto -e ipv6.nxt \
    -e tcp.srcport -e tcp.dstport -e tcp.flags -e tcp.seq_raw -e tcp.len \
    -e udp.srcport -e udp.dstport -e udp.length -e icmp.type -e icmp.code \
    -e icmpv6.type -e icmpv6.code >"${pcap%.pcap}.frames.tsv" 2>/dev/null
  tshark -r "$pcap" -Y dns -T fields -E separator=/t -E occurrence=a -E aggregator=, \
    -e frame.number -e dns.id -e dns.flags.response -e dns.flags.rcode -e dns.qry.name \
    -e dns.qry.type -e dns.a -e dns.aaaa >"${pcap%.pcap}.dns.tsv" 2>/dev/null
done
