#include "mamori/cli/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace mamori::cli {

ProgressBar::ProgressBar(std::uint64_t total_bytes)
    : enabled_(isatty(STDERR_FILENO) == 1 && total_bytes > 0),
      total_(total_bytes),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() = default;

void ProgressBar::finish(std::uint64_t done_bytes, std::uint64_t packets) {
  if (enabled_) redraw(done_bytes, packets, true);
}

void ProgressBar::redraw(std::uint64_t done_bytes, std::uint64_t packets, bool final) {
  const auto now = std::chrono::steady_clock::now();
  if (!final && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double fraction =
      total_ ? static_cast<double>(done_bytes) / static_cast<double>(total_) : 0;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kWidth, '.');
  const double mb = static_cast<double>(done_bytes) / 1e6;
  std::fputs(
      fmt::format("\r[{}] {:5.1f}%  {:.0f} MB  {} packets  {:.1f} MB/s{}", bar, fraction * 100, mb,
                  packets, seconds > 0 ? mb / seconds : 0.0, final ? "\n" : "")
          .c_str(),
      stderr);
  std::fflush(stderr);
}

}  // namespace mamori::cli
