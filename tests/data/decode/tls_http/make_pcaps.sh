#!/usr/bin/env bash
# Regenerates the TLS and HTTP fixtures in this folder (see README.md): genuine ClientHellos
# from openssl s_client, curl and Python's ssl module against a local openssl s_server, and
# HTTP/1.x requests from curl, urllib and a raw socket against python3 -m http.server, all on
# loopback and recorded by tcpdump (lo: Ethernet link type). tshark's reading of the captures
# is the golden file the decoder tests compare against. `--golden-only` keeps the captures and
# rewrites only the golden files.
# Needs root (capture), tcpdump, tshark, openssl, curl, python3, ss (iproute2). Loopback only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

tls_port=44301
http_port=48080

wait_listening() {  # port [sockets]
  for _ in $(seq 50); do
    [[ "$(ss -ltnH "sport = :$1" | wc -l)" -ge "${2:-1}" ]] && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}

capture() {  # file filter; returns once tcpdump listens, its pid in capture_pid
  tcpdump -i lo -U -n -s 65535 -w "$1" "$2" >/dev/null 2>"$work/tcpdump.log" &
  capture_pid=$!
  for _ in $(seq 50); do
    grep -q listening "$work/tcpdump.log" && return 0
    sleep 0.1
  done
  echo "tcpdump did not start" >&2
  return 1
}

stop_capture() {
  sleep 1  # let tcpdump drain the last packets before it is told to stop
  kill -INT "$capture_pid"
  wait "$capture_pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- golden files
# One line per ClientHello / request frame, tab-separated, in the column order below; lists
# joined by ','. tshark 4.0 has no JA4 field: the TLS test derives JA4 from these columns.
write_golden() {
  tshark -r tls.pcap -d "tcp.port==$tls_port,tls" -Y 'tls.handshake.type == 1' -T fields \
    -E separator=/t -E occurrence=a -E aggregator=, -e frame.number \
    -e tls.handshake.extensions_server_name -e tls.handshake.ja3_full -e tls.handshake.ja3 \
    -e tls.handshake.extensions_alpn_str -e tls.handshake.sig_hash_alg \
    -e tls.handshake.extensions.supported_version 2>/dev/null >tls.tshark.tsv
  tshark -r http.pcap -d "tcp.port==$http_port,http" -Y http.request -T fields \
    -E separator=/t -E occurrence=f -e frame.number -e http.request.method -e http.host \
    -e http.user_agent 2>/dev/null >http.tshark.tsv
  # A client that failed to connect would silently shrink the fixture: insist on all of them.
  [[ "$(wc -l <tls.tshark.tsv)" -eq 13 ]] || { echo "expected 13 ClientHellos" >&2; exit 1; }
  [[ "$(wc -l <http.tshark.tsv)" -eq 11 ]] || { echo "expected 11 HTTP requests" >&2; exit 1; }
}
if [[ "${1:-}" == --golden-only ]]; then  # re-read the committed captures only
  write_golden
  exit 0
fi

# ---------------------------------------------------------------- TLS
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=tls.example -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
for address in "127.0.0.1" "[::1]"; do  # s_server binds IPv6 sockets v6-only
  openssl s_server -accept "$address:$tls_port" -cert "$work/cert.pem" -key "$work/key.pem" \
    -www -cipher 'DEFAULT:@SECLEVEL=0' >/dev/null 2>&1 </dev/null &
  pids+=($!)
done
wait_listening "$tls_port" 2
capture tls.pcap "tcp port $tls_port"

sc() {  # s_client over IPv4 unless -connect is given; the handshake may fail, the hello counts
  timeout 5 openssl s_client -connect "127.0.0.1:$tls_port" "$@" </dev/null >/dev/null 2>&1 || true
}
sc -servername X.Example -alpn h2,http/1.1                       # TLS 1.3, mixed-case SNI
sc -tls1_2 -servername tls12.example -no_ticket                  # TLS 1.2 only
sc -noservername -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305 \
  -curves X25519:P-256 -sigalgs 'ECDSA+SHA256:RSA-PSS+SHA256'    # no SNI, short lists
sc -tls1 -cipher 'DEFAULT:@SECLEVEL=0' -servername old.example   # TLS 1.0
sc -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -servername tls11.example
sc -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 -groups P-384 -alpn 'spdy/3,x' \
  -servername chacha.example
long_alpn="h2,http/1.1$(printf ',x-proto-%02d-padding-for-fragmentation' $(seq 12))"
sc -servername frag.example -max_send_frag 512 -alpn "$long_alpn" # hello in two TLS records
timeout 5 openssl s_client -connect "[::1]:$tls_port" -servername v6.example -alpn http/1.1 \
  </dev/null >/dev/null 2>&1 || true                             # over IPv6
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 openssl s_client -connect "127.0.0.1:$tls_port" \
  -servername resume.example -sess_out "$work/session.pem" -ign_eof >/dev/null 2>&1 || true
sc -servername resume.example -sess_in "$work/session.pem"       # resumption: pre_shared_key
curl -sk -m 5 --resolve "curl.example:$tls_port:127.0.0.1" "https://curl.example:$tls_port/" \
  -o /dev/null || true
curl -sk -m 5 --tlsv1.2 --tls-max 1.2 --http1.1 --resolve "curl12.example:$tls_port:127.0.0.1" \
  "https://curl12.example:$tls_port/" -o /dev/null || true
timeout 10 python3 - "$tls_port" <<'EOF' || true
import socket, ssl, sys
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.set_alpn_protocols(["http/1.1"])
with socket.create_connection(("127.0.0.1", int(sys.argv[1]))) as raw:
    with context.wrap_socket(raw, server_hostname="py.example"):
        pass
EOF
stop_capture

# ---------------------------------------------------------------- HTTP
python3 -m http.server --bind :: --directory "$work" "$http_port" >/dev/null 2>&1 &
pids+=($!)
wait_listening "$http_port"
capture http.pcap "tcp port $http_port"

hc() { curl -s -m 5 -o /dev/null "$@" || true; }
hc -H 'Host: WWW.Example.COM' -A 'mamori-test/1.0 (curl)' \
  "http://127.0.0.1:$http_port/index.html?secret=canary-query"
hc "http://127.0.0.1:$http_port/"                                 # curl's own Host and UA
hc -H 'Host: post.example' -A 'poster/1.0' -d 'user=alice&password=canary-body' \
  "http://127.0.0.1:$http_port/login"
hc -I -A 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' \
  -H 'Host: head.example' "http://127.0.0.1:$http_port/"
hc -g "http://[::1]:$http_port/v6?q=canary"                       # Host: [::1]:port
timeout 20 python3 - "$http_port" <<'EOF'
import socket, sys, urllib.request
port = int(sys.argv[1])
urllib.request.urlopen(urllib.request.Request(
    f"http://127.0.0.1:{port}/", headers={"User-Agent": "urllib-test/3"})).read()

def raw(request, family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.connect((host, port))
        s.sendall(request)
        while s.recv(65536):
            pass

raw(b"GET /search?q=canary HTTP/1.1\r\nhost: Lower.Example:8080\r\n"
    b"user-agent: raw-lowercase/1.0\r\naccept: */*\r\nconnection: close\r\n\r\n")
raw(b"GET http://abs.example/path?token=canary HTTP/1.1\r\nHost: abs.example\r\n"
    b"User-Agent: absolute-form/2.0\r\nConnection: close\r\n\r\n")
raw(b"GET / HTTP/1.0\r\nUser-Agent: no-host/0.9\r\n\r\n")
raw(b"OPTIONS * HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: ipv6-literal\r\n"
    b"Connection: close\r\n\r\n", socket.AF_INET6, "::1")
raw(b"GET / HTTP/1.1\r\nX-Padding: " + b"a" * 3000 + b"\r\nHost: long.example\r\n"
    b"User-Agent: after-long-header\r\nConnection: close\r\n\r\n")
EOF
stop_capture


write_golden
