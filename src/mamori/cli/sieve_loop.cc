#include "mamori/cli/sieve_loop.h"

namespace mamori::cli {

SieveLoopResult run_sieve_loop(capture::PacketSource& packets, sieve::Sieve& sieve,
                               store::StoreSink& sink, ProgressBar& progress, const Clock& clock,
                               Timestamp not_after, std::uint64_t check_every) {
  SieveLoopResult result;
  if (check_every == 0) check_every = 1;
  if (const Timestamp now = clock.now(); now >= not_after) {
    sieve.stop_selection();
    result.selection_stopped_at = now;
    return result;
  }
  capture::RawPacket packet;
  while ((result.status = packets.next(packet)) == capture::NextStatus::packet) {
    sieve.process(packet);
    if (++result.packets % check_every != 0) continue;
    sink.tick();
    if (sink.error()) break;
    progress.update(packets.bytes_read(), result.packets);
    if (const Timestamp now = clock.now(); now >= not_after) {
      sieve.stop_selection();
      result.selection_stopped_at = now;
      break;
    }
  }
  return result;
}

}  // namespace mamori::cli
