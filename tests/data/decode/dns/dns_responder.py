#!/usr/bin/env python3
"""A tiny authoritative DNS responder for fixture generation only (make_dns_pcap.sh).

Answers a fixed table of documentation names/addresses (RFC 2606 names, RFC 5737 and
RFC 3849 addresses) over UDP and TCP on 127.0.0.1 and ::1, port 53. It exists to give dig a
peer on loopback so that tcpdump records genuine client/server DNS traffic; it is not a DNS
implementation (one question per query, no EDNS, no authority section).
"""
import socket
import struct
import sys
import threading

A, AAAA, CNAME, MX, TXT = 1, 28, 5, 15, 16
NOERROR, NXDOMAIN, REFUSED = 0, 3, 5


def encode_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode("latin-1")
    return out + b"\x00"


def rr(owner, rtype, rdata, ttl=300):
    # owner: wire bytes (a name or a compression pointer)
    return owner + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


QUESTION_POINTER = b"\xc0\x0c"  # the question name always starts at offset 12


def answers_for(name, qtype, question_length):
    """Returns (rcode, answer records). Owner names are compression pointers."""
    n = name.lower()
    v4 = socket.inet_aton
    def v6(text):
        return socket.inet_pton(socket.AF_INET6, text)
    if n == "www.example.com" and qtype == A:
        return NOERROR, [rr(QUESTION_POINTER, A, v4("192.0.2.1")),
                         rr(QUESTION_POINTER, A, v4("192.0.2.2"))]
    if n == "www.example.com" and qtype == AAAA:
        return NOERROR, [rr(QUESTION_POINTER, AAAA, v6("2001:db8::1"))]
    if n == "dual.example.net" and qtype == AAAA:
        return NOERROR, [rr(QUESTION_POINTER, AAAA, v6("2001:db8::10")),
                         rr(QUESTION_POINTER, AAAA, v6("2001:db8::11"))]
    if n == "alias.example.com" and qtype == A:
        # CNAME www.example.com ("www" + pointer to "example.com" inside the question at
        # offset 18), then an A record whose owner is a pointer to that CNAME rdata.
        cname_rdata_offset = 12 + question_length + 2 + 10
        return NOERROR, [rr(QUESTION_POINTER, CNAME, b"\x03www\xc0\x12"),
                         rr(struct.pack("!H", 0xC000 | cname_rdata_offset), A, v4("192.0.2.1"))]
    if n == "mail.example.com" and qtype == MX:
        # exchange "mx" + pointer to "example.com" inside the question at offset 17
        return NOERROR, [rr(QUESTION_POINTER, MX, struct.pack("!H", 10) + b"\x02mx\xc0\x11")]
    if n == "txt.example.com" and qtype == TXT:
        text = b"machine information only"
        return NOERROR, [rr(QUESTION_POINTER, TXT, bytes([len(text)]) + text)]
    if n == "a b.example.com" and qtype == A:
        return NOERROR, [rr(QUESTION_POINTER, A, v4("192.0.2.3"))]
    if n.endswith("example.org"):
        return REFUSED, []
    return NXDOMAIN, []


def respond(query):
    if len(query) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", query[:6])
    if qdcount != 1:
        return None
    pos, labels = 12, []
    while query[pos] != 0:
        length = query[pos]
        labels.append(query[pos + 1:pos + 1 + length].decode("latin-1"))
        pos += 1 + length
    question = query[12:pos + 5]
    qtype = struct.unpack("!H", query[pos + 1:pos + 3])[0]
    rcode, answers = answers_for(".".join(labels), qtype, len(question))
    out_flags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode  # QR AA RD RA rcode
    header = struct.pack("!HHHHHH", qid, out_flags, 1, len(answers), 0, 0)
    return header + question + b"".join(answers)


def serve_udp(family, address):
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((address, 53))
    while True:
        data, peer = sock.recvfrom(4096)
        reply = respond(data)
        if reply:
            sock.sendto(reply, peer)


def serve_tcp(family, address):
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, 53))
    sock.listen(4)
    while True:
        conn, _ = sock.accept()
        with conn:
            data = b""
            while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            reply = respond(data[2:])
            if reply:
                conn.sendall(struct.pack("!H", len(reply)) + reply)


def main():
    threads = [threading.Thread(target=f, args=a, daemon=True) for f, a in [
        (serve_udp, (socket.AF_INET, "127.0.0.1")), (serve_tcp, (socket.AF_INET, "127.0.0.1")),
        (serve_udp, (socket.AF_INET6, "::1")), (serve_tcp, (socket.AF_INET6, "::1"))]]
    for t in threads:
        t.start()
    print("ready", flush=True)
    sys.stdin.read()  # runs until the generator closes our stdin


if __name__ == "__main__":
    main()
