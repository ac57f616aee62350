#pragma once
// cli/progress: a progress bar on stderr when it is a terminal; silent otherwise (CI, pipes).

#include <chrono>
#include <cstdint>

namespace mamori::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::uint64_t total_bytes);
  ~ProgressBar();
  // Cheap to call per packet: redraws at most every 100 ms.
  void update(std::uint64_t done_bytes, std::uint64_t packets) {
    if (!enabled_ || (++calls_ & 0xfff) != 0) return;
    redraw(done_bytes, packets, false);
  }
  void finish(std::uint64_t done_bytes, std::uint64_t packets);

 private:
  void redraw(std::uint64_t done_bytes, std::uint64_t packets, bool final);

  bool enabled_;
  std::uint64_t total_;
  std::uint64_t calls_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace mamori::cli
