// Fuzz target for the flow export decoder (IPFIX and NetFlow v9). The input is a sequence of
// datagrams, each framed as [control byte][2-byte big-endian length][bytes], so that templates
// and the data using them arrive in order, as a collector sees them. The control byte picks
// one of two exporters (bit 0) and advances the receive time by (control >> 1) minutes, which
// with the small limits below exercises expiry, eviction and the per-exporter scoping.
// Beyond the sanitizers it checks the decoder's contract: problems name an offset inside the
// datagram in their text, records never outnumber what the datagram could hold, and the
// counters agree with what decode() returned.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include <fmt/format.h>

#include "mamori/flowexport/flow_export_decoder.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mamori;
  using namespace mamori::flowexport;
  DecoderLimits limits;
  limits.max_templates = 8;
  limits.template_timeout = Duration::seconds(600);
  limits.max_template_fields = 32;
  limits.max_sessions = 4;
  FlowExportDecoder decoder(limits);
  const ExporterId exporters[2] = {{IpAddress::v4(0xc0000201), 4739},
                                   {IpAddress::v4(0xc0000202), 2055}};
  const std::span<const std::uint8_t> input(data, size);
  Timestamp now = Timestamp::from_seconds(1'700'000'000);
  std::uint64_t records = 0;
  std::uint64_t messages = 0;
  std::size_t at = 0;
  while (size - at >= 3) {
    const std::uint8_t control = input[at];
    const std::size_t length = (std::size_t{input[at + 1]} << 8) | input[at + 2];
    at += 3;
    const std::span<const std::uint8_t> datagram = input.subspan(at, std::min(length, size - at));
    at += datagram.size();
    now = now + Duration::seconds(std::int64_t{60} * (control >> 1));
    const DecodeResult result = decoder.decode(exporters[control & 1], datagram, now);
    ++messages;
    records += result.records.size();
    check(result.records.size() <= datagram.size() / 8);
    for (const DecodeProblem& p : result.problems) {
      check(p.offset <= datagram.size());
      check(p.message.find(fmt::format(" at byte {}: ", p.offset)) != std::string::npos);
    }
  }
  const DecoderStats stats = decoder.stats();
  check(stats.messages == messages);
  check(stats.records == records);
  check(stats.templates <= limits.max_templates);
  check(decoder.sequence_status().size() <= limits.max_sessions);
  return 0;
}
