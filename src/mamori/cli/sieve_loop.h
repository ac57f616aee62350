#pragma once
// cli/sieve_loop: the packet loop of one sieve run, bounded by the approval's window (I4).
// The wall clock is checked every `check_every` packets; when it reaches the approval's
// not_after, open flows are decided (records of flows already selected are kept), selection
// stops and no further packet is read. Factored out of `mamori sieve` so that tests can drive
// it with a clock of their own.

#include <cstdint>
#include <optional>

#include "mamori/capture/packet_source.h"
#include "mamori/cli/progress.h"
#include "mamori/core/time.h"
#include "mamori/sieve/sieve.h"
#include "mamori/store/store_sink.h"

namespace mamori::cli {

struct SieveLoopResult {
  capture::NextStatus status = capture::NextStatus::end;
  std::uint64_t packets = 0;
  std::optional<Timestamp> selection_stopped_at;  // set when the approval expired mid-run
};

SieveLoopResult run_sieve_loop(capture::PacketSource& packets, sieve::Sieve& sieve,
                               store::StoreSink& sink, ProgressBar& progress, const Clock& clock,
                               Timestamp not_after, std::uint64_t check_every = 1024);

}  // namespace mamori::cli
