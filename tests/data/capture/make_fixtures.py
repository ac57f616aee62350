#!/usr/bin/env python3
"""Derives the synthetic capture fixtures from the tcpdump captures in this folder.

Deterministic: the same inputs give byte-identical outputs. Standard library only.
Format facts: draft-ietf-opsawg-pcap (classic pcap) and draft-ietf-opsawg-pcapng.

Outputs (see README.md):
  lo_eth_us_be.pcap, lo_eth_ns_be.pcap   lo_eth_*.pcap rewritten big-endian
  raw_ns.pcap                            lo_eth_ns.pcap without Ethernet headers, LINKTYPE_RAW
  ipv4_us.pcap, ipv6_us_be.pcap          the IPv4 / IPv6 packets only, LINKTYPE_IPV4 / _IPV6
  lo_eth_fcs.pcap                        lo_eth_us.pcap with a 4-byte FCS per frame, declared
                                         in the link-type field (FCS bits)
  lo_eth_be.pcapng                       lo_eth_us.pcap as big-endian pcapng
  lo_eth_spb.pcapng                      Simple Packet Blocks only, snaplen 96
  lo_eth_bin_be.pcapng                   big-endian, if_tsresol 2^-20, if_tsoffset 1000 s
  mixed.pcapng + mixed.pcapng.expected   three sections (LE, BE, LE), six interfaces with
                                         different link types and resolutions, EPB, SPB,
                                         obsolete PB, unknown/skippable blocks; .expected lists
                                         each packet: ts_ns wire captured link_type source index
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6 = 1, 101, 228, 229
LINKTYPE_SLL2, LINKTYPE_USER0 = 276, 147


class Packet:
    def __init__(self, ts_ns, wire, data):
        self.ts_ns, self.wire, self.data = ts_ns, wire, data


def read_pcap(name):
    """Returns (link_type, nanosecond, packets) of a classic pcap in either byte order."""
    with open(os.path.join(HERE, name), "rb") as f:
        blob = f.read()
    magic = struct.unpack("<I", blob[:4])[0]
    order = "<" if magic in (PCAP_MAGIC_US, PCAP_MAGIC_NS) else ">"
    magic = struct.unpack(order + "I", blob[:4])[0]
    nano = magic == PCAP_MAGIC_NS
    link = struct.unpack(order + "I", blob[20:24])[0] & 0xFFFF
    packets, pos = [], 24
    while pos < len(blob):
        sec, frac, cap, wire = struct.unpack(order + "IIII", blob[pos:pos + 16])
        data = blob[pos + 16:pos + 16 + cap]
        packets.append(Packet(sec * 10**9 + frac * (1 if nano else 1000), wire, data))
        pos += 16 + cap
    return link, nano, packets


def write_pcap(name, order, nano, link_field, packets):
    out = [struct.pack(order + "IHHiIII", PCAP_MAGIC_NS if nano else PCAP_MAGIC_US, 2, 4, 0, 0,
                       262144, link_field)]
    for p in packets:
        sec, ns = divmod(p.ts_ns, 10**9)
        out.append(struct.pack(order + "IIII", sec, ns if nano else ns // 1000, len(p.data),
                               p.wire))
        out.append(p.data)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(b"".join(out))


def pad4(data):
    return data + b"\0" * (-len(data) % 4)


class Pcapng:
    """A pcapng writer for one byte order per section; blocks appended in file order."""

    def __init__(self):
        self.blocks = []
        self.order = "<"

    def block(self, block_type, body):
        body = pad4(body)
        total = 12 + len(body)
        o = self.order
        self.blocks.append(struct.pack(o + "II", block_type, total) + body +
                           struct.pack(o + "I", total))

    def option(self, code, value):
        return struct.pack(self.order + "HH", code, len(value)) + pad4(value)

    def end_of_options(self):
        return struct.pack(self.order + "HH", 0, 0)

    def section(self, order, application):
        self.order = order
        opts = self.option(4, application) + self.end_of_options()  # shb_userappl
        self.block(0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1) + opts)

    def interface(self, link_type, snaplen, tsresol=None, tsoffset=None, name=None):
        opts = b""
        if name is not None:
            opts += self.option(2, name)  # if_name
        if tsresol is not None:
            opts += self.option(9, bytes([tsresol]))
        if tsoffset is not None:
            opts += self.option(14, struct.pack(self.order + "q", tsoffset))
        if opts:
            opts += self.end_of_options()
        self.block(1, struct.pack(self.order + "HHI", link_type, 0, snaplen) + opts)

    def epb(self, interface, units, data, wire, flags=None):
        o = self.order
        body = struct.pack(o + "IIIII", interface, units >> 32, units & 0xFFFFFFFF, len(data),
                           wire) + pad4(data)
        if flags is not None:  # epb_flags: inbound, so options follow the data
            body += self.option(2, struct.pack(o + "I", flags)) + self.end_of_options()
        self.block(6, body)

    def obsolete_pb(self, interface, units, data, wire):
        o = self.order
        self.block(2, struct.pack(o + "HHIIII", interface, 0, units >> 32, units & 0xFFFFFFFF,
                                  len(data), wire) + pad4(data))

    def spb(self, wire, data):
        self.block(3, struct.pack(self.order + "I", wire) + pad4(data))

    def save(self, name):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(b"".join(self.blocks))


def units_of(ts_ns, tsresol):
    """Timestamp units for an if_tsresol byte, rounding down as a capturing tool would."""
    if tsresol & 0x80:
        return (ts_ns << (tsresol & 0x7F)) // 10**9
    return ts_ns * 10**tsresol // 10**9


def nanos_of(units, tsresol, offset_s=0):
    """What a reader must report: floor(units * 10^9 / resolution) plus the offset."""
    if tsresol & 0x80:
        ns = (units * 10**9) >> (tsresol & 0x7F)
    else:
        ns = units * 10**9 // 10**tsresol
    return ns + offset_s * 10**9


def classic_variants(eth_us, eth_ns):
    _, _, us = eth_us
    _, _, ns = eth_ns
    write_pcap("lo_eth_us_be.pcap", ">", False, LINKTYPE_ETHERNET, us)
    write_pcap("lo_eth_ns_be.pcap", ">", True, LINKTYPE_ETHERNET, ns)
    raw = [Packet(p.ts_ns, p.wire - 14, p.data[14:]) for p in ns]
    write_pcap("raw_ns.pcap", "<", True, LINKTYPE_RAW, raw)
    v4 = [Packet(p.ts_ns, p.wire - 14, p.data[14:]) for p in us if p.data[14] >> 4 == 4]
    v6 = [Packet(p.ts_ns, p.wire - 14, p.data[14:]) for p in us if p.data[14] >> 4 == 6]
    write_pcap("ipv4_us.pcap", "<", False, LINKTYPE_IPV4, v4)
    write_pcap("ipv6_us_be.pcap", ">", False, LINKTYPE_IPV6, v6)
    fcs_field = LINKTYPE_ETHERNET | 0x04000000 | (2 << 28)  # FCS known, 2 x 16-bit words
    with_fcs = [Packet(p.ts_ns, p.wire + 4, p.data + struct.pack("<I", zlib.crc32(p.data)))
                for p in us]
    write_pcap("lo_eth_fcs.pcap", "<", False, fcs_field, with_fcs)
    return raw, v4, v6


def single_interface_pcapng(us):
    ng = Pcapng()
    ng.section(">", b"mamori make_fixtures.py")
    ng.interface(LINKTYPE_ETHERNET, 262144)
    for p in us:
        ng.epb(0, p.ts_ns // 1000, p.data, p.wire)
    ng.save("lo_eth_be.pcapng")

    ng = Pcapng()
    ng.section("<", b"mamori make_fixtures.py")
    ng.interface(LINKTYPE_ETHERNET, 96)
    for p in us:
        ng.spb(p.wire, p.data[:96])
    ng.save("lo_eth_spb.pcapng")

    ng = Pcapng()
    ng.section(">", b"mamori make_fixtures.py")
    tsresol, offset = 0x80 | 20, 1000
    ng.interface(LINKTYPE_ETHERNET, 0, tsresol=tsresol, tsoffset=offset)
    for p in us:
        ng.epb(0, units_of(p.ts_ns - offset * 10**9, tsresol), p.data, p.wire)
    ng.save("lo_eth_bin_be.pcapng")


def mixed_pcapng(sources):
    """Three sections; `sources` maps a fixture name to its packets."""
    ng = Pcapng()
    expected = []
    last_ts = 0

    def packet(kind, interface, source, index, tsresol=6, offset=0, snaplen=0, sub_ns=0):
        nonlocal last_ts
        p = sources[source][index]
        data = p.data
        if kind == "spb":
            captured = min(p.wire, snaplen) if snaplen else p.wire
            data = data[:captured]
            ng.spb(p.wire, data)
            ts = last_ts
        else:
            data = data[:snaplen] if snaplen else data
            units = units_of(p.ts_ns - offset * 10**9, tsresol) + sub_ns
            if kind == "epb":
                ng.epb(interface, units, data, p.wire, flags=1 if index % 2 else None)
            else:
                ng.obsolete_pb(interface, units, data, p.wire)
            ts = nanos_of(units, tsresol, offset)
        last_ts = ts
        link = link_types[(len(sections), interface)]
        expected.append(f"{ts} {p.wire} {len(data)} {link} {source} {index}")

    link_types = {}
    sections = []

    # Section 1, little-endian: Ethernet us, raw IP ns with an offset, SLL2 at 2^-30 s.
    sections.append("le")
    ng.section("<", b"mamori make_fixtures.py section 1")
    ng.interface(LINKTYPE_ETHERNET, 0, name=b"lo")
    link_types[(1, 0)] = LINKTYPE_ETHERNET
    ng.block(4, struct.pack("<HH", 0, 0))  # name resolution block, empty
    ng.interface(LINKTYPE_RAW, 65535, tsresol=9, tsoffset=-3600)
    link_types[(1, 1)] = LINKTYPE_RAW
    ng.block(0x00000BAD, struct.pack("<I", 32473) + b"custom block payload")
    ng.interface(LINKTYPE_SLL2, 262144, tsresol=0x80 | 30)
    link_types[(1, 2)] = LINKTYPE_SLL2
    for i in range(4):
        packet("epb", 0, "lo_eth_us.pcap", i)
        packet("epb", 1, "raw_ns.pcap", i, tsresol=9, offset=-3600)
        packet("epb", 2, "any_sll2_us.pcap", i, tsresol=0x80 | 30)
    packet("spb", 0, "lo_eth_us.pcap", 4)
    packet("pb", 1, "raw_ns.pcap", 5, tsresol=9, offset=-3600)
    ng.block(5, struct.pack("<III", 0, 0, 0))  # interface statistics block
    ng.block(0x0000000A, struct.pack("<II", 0x544C534B, 8) + b"\0" * 8)  # decryption secrets
    ng.block(0x80000001, b"local use block")
    packet("epb", 2, "any_sll2_us.pcap", 6, tsresol=0x80 | 30)

    # Section 2, big-endian: its own interfaces (IDs restart at 0).
    sections.append("be")
    ng.section(">", b"mamori make_fixtures.py section 2")
    ng.interface(LINKTYPE_IPV6, 64, tsresol=3)
    link_types[(2, 0)] = LINKTYPE_IPV6
    # Picoseconds overflow 64 bits for today's dates: if_tsoffset carries the whole seconds.
    pico_offset = sources["ipv4_us.pcap"][0].ts_ns // 10**9
    ng.interface(LINKTYPE_IPV4, 0, tsresol=12, tsoffset=pico_offset)
    link_types[(2, 1)] = LINKTYPE_IPV4
    ng.interface(LINKTYPE_USER0, 0)  # not decoded by mamori: read and passed on
    link_types[(2, 2)] = LINKTYPE_USER0
    for i in range(3):
        packet("epb", 0, "ipv6_us_be.pcap", i, tsresol=3, snaplen=64)
        packet("epb", 1, "ipv4_us.pcap", i, tsresol=12, offset=pico_offset, sub_ns=789)
        packet("spb", 0, "ipv6_us_be.pcap", i + 3, snaplen=64)
    packet("epb", 2, "lo_eth_us.pcap", 7)
    packet("pb", 1, "ipv4_us.pcap", 5, tsresol=12, offset=pico_offset, sub_ns=999)

    # Section 3, little-endian again, one interface.
    sections.append("le")
    ng.section("<", b"mamori make_fixtures.py section 3")
    ng.interface(LINKTYPE_ETHERNET, 0, tsresol=9)
    link_types[(3, 0)] = LINKTYPE_ETHERNET
    for i in range(8, 12):
        packet("epb", 0, "lo_eth_ns.pcap", i, tsresol=9)

    ng.save("mixed.pcapng")
    with open(os.path.join(HERE, "mixed.pcapng.expected"), "w") as f:
        f.write("# ts_ns wire_length captured_length link_type source_fixture source_index\n")
        f.write("\n".join(expected) + "\n")


def main():
    eth_us = read_pcap("lo_eth_us.pcap")
    eth_ns = read_pcap("lo_eth_ns.pcap")
    raw, v4, v6 = classic_variants(eth_us, eth_ns)
    single_interface_pcapng(eth_us[2])
    mixed_pcapng({
        "lo_eth_us.pcap": eth_us[2],
        "lo_eth_ns.pcap": eth_ns[2],
        "raw_ns.pcap": raw,
        "ipv4_us.pcap": v4,
        "ipv6_us_be.pcap": v6,
        "any_sll2_us.pcap": read_pcap("any_sll2_us.pcap")[2],
    })


if __name__ == "__main__":
    main()
