#!/usr/bin/env python3
"""Loopback-only traffic for the capture fixtures (see capture_loopback.sh).

Three rounds of: an HTTP GET over IPv4 and over IPv6 to a local server, and one UDP datagram
to a closed port over each family (which adds ICMP/ICMPv6 port-unreachable replies).
Nothing leaves 127.0.0.1 / ::1.
"""
import http.server
import socket
import threading
import time
import urllib.request

PORT = 18080
UDP_PORT = 15353


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = b"mamori capture fixture\n" * 8
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


def main():
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler),
               Server6(("::1", PORT), Handler)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    time.sleep(0.3)
    for round_ in range(3):
        urllib.request.urlopen(f"http://127.0.0.1:{PORT}/a?x=1").read()
        urllib.request.urlopen(f"http://[::1]:{PORT}/b").read()
        for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            with socket.socket(family, socket.SOCK_DGRAM) as udp:
                udp.sendto(b"udp fixture %d" % round_ + b"." * (100 * round_),
                           (address, UDP_PORT))
        time.sleep(0.05)
    for server in servers:
        server.shutdown()


if __name__ == "__main__":
    main()
