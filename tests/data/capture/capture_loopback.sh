#!/bin/sh
# Re-creates the tcpdump and editcap fixtures in this folder (needs root for tcpdump, Debian
# packages tcpdump and wireshark-common). Captures loopback only: the filter admits 127.0.0.1
# and ::1 and nothing else, so no other traffic of the machine can end up in a fixture.
# The packets are those of loopback_traffic.py; timestamps and ports differ on every run, so
# re-running changes the files (the tests read whatever is here).
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
filter='host 127.0.0.1 or host ::1'
timeout 15 tcpdump -i lo -w "$tmp/lo_eth_us.pcap" -c 40 "$filter" &
timeout 15 tcpdump -i lo --time-stamp-precision=nano -w "$tmp/lo_eth_ns.pcap" -c 40 "$filter" &
timeout 15 tcpdump -i lo -s 96 -w "$tmp/lo_eth_snap96.pcap" -c 40 "$filter" &
timeout 15 tcpdump -i any -y LINUX_SLL -w "$tmp/any_sll_us.pcap" -c 40 "$filter" &
timeout 15 tcpdump -i any -y LINUX_SLL2 -w "$tmp/any_sll2_us.pcap" -c 40 "$filter" &
sleep 2
python3 loopback_traffic.py
sleep 1
python3 loopback_traffic.py
wait
cp "$tmp"/*.pcap .
editcap -F pcapng lo_eth_us.pcap lo_eth_us.pcapng
editcap -F pcapng lo_eth_ns.pcap lo_eth_ns.pcapng
editcap -F pcapng any_sll2_us.pcap any_sll2_us.pcapng
editcap -F nsecpcap any_sll_us.pcap any_sll_ns.pcap
rm -r "$tmp"
python3 make_fixtures.py
