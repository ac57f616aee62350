#include "mamori/synth/payload_fill.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace mamori::synth {
namespace {

constexpr std::size_t kTextBlock = 64 * 1024;

constexpr std::string_view kWords[] = {
    "the",     "network", "service",  "update",  "news",     "weather", "market",  "tokyo",
    "osaka",   "train",   "delay",    "report",  "photo",    "video",   "music",   "shop",
    "price",   "cart",    "order",    "account", "login",    "profile", "search",  "result",
    "page",    "content", "article",  "comment", "share",    "follow",  "event",   "ticket",
    "travel",  "hotel",   "flight",   "food",    "recipe",   "sushi",   "ramen",   "sakura",
    "season",  "autumn",  "forecast", "sports",  "baseball", "soccer",  "score",   "team",
    "player",  "season",  "game",     "anime",   "manga",    "episode", "release", "review",
    "station", "line",    "map",      "route",   "guide",    "help",    "support", "contact",
};

constexpr std::string_view kTags[] = {"<div class=\"item\">",
                                      "</div>\n",
                                      "<p>",
                                      "</p>\n",
                                      "<span>",
                                      "</span>",
                                      "<li>",
                                      "</li>\n",
                                      "{\"id\":",
                                      ",\"title\":\"",
                                      "\"},\n"};

}  // namespace

std::uint64_t tls_records_size(std::uint64_t plaintext) {
  if (plaintext == 0) plaintext = 1;
  const std::uint64_t records = (plaintext + 16383) / 16384;
  return plaintext + records * (5 + 17);
}

FillContext::FillContext(std::uint64_t seed) {
  Rng rng(seed ^ hash_label("fill-text"));
  text.reserve(kTextBlock);
  while (text.size() < kTextBlock) {
    std::string_view piece;
    const auto roll = rng.below(10);
    if (roll < 2) {
      piece = kTags[rng.below(std::size(kTags))];
    } else {
      piece = kWords[rng.below(std::size(kWords))];
    }
    text.insert(text.end(), piece.begin(), piece.end());
    text.push_back(roll == 9 ? '\n' : ' ');
  }
  text.resize(kTextBlock);
}

void write_fill(const FillContext& context, FillKind kind, std::uint64_t total,
                std::uint64_t offset, std::span<std::uint8_t> out, Rng& rng,
                std::span<const std::uint8_t> canary) {
  if (out.empty()) return;
  if (kind == FillKind::text) {
    std::size_t done = 0;
    std::uint64_t at = (offset * 7 + 13) % context.text.size();
    while (done < out.size()) {
      const std::size_t chunk = std::min<std::size_t>(out.size() - done, context.text.size() - at);
      std::memcpy(out.data() + done, context.text.data() + at, chunk);
      done += chunk;
      at = 0;
    }
  } else {
    rng.fill(out);
  }
  // Where TLS record headers fall in this slice: [first, first + 5) of every record span.
  const auto header_overlaps = [&](std::uint64_t begin, std::uint64_t end) {
    if (kind != FillKind::tls_records) return false;
    for (std::uint64_t record = begin / kTlsRecordSpan * kTlsRecordSpan; record < end;
         record += kTlsRecordSpan) {
      if (record + 5 > begin && record < end) return true;
    }
    return false;
  };
  if (kind == FillKind::tls_records) {
    std::uint64_t record = offset / kTlsRecordSpan * kTlsRecordSpan;
    for (; record < offset + out.size(); record += kTlsRecordSpan) {
      const std::uint64_t body = std::min(kTlsRecordBody, total - record - 5);
      const std::array<std::uint8_t, 5> header = {
          0x17, 0x03, 0x03, static_cast<std::uint8_t>(body >> 8), static_cast<std::uint8_t>(body)};
      for (std::uint64_t i = 0; i < 5; ++i) {
        const std::uint64_t position = record + i;
        if (position >= offset && position < offset + out.size()) {
          out[position - offset] = header[i];
        }
      }
    }
  }
  if (!canary.empty() && out.size() >= canary.size()) {
    std::size_t at = static_cast<std::size_t>(rng.below(out.size() - canary.size() + 1));
    if (header_overlaps(offset + at, offset + at + canary.size())) {
      // Records are far longer than a segment, so this slice holds one header: the canary
      // goes right after it, or else right before it.
      const std::uint64_t record = (offset + at + canary.size()) / kTlsRecordSpan * kTlsRecordSpan;
      if (record + 5 - offset + canary.size() <= out.size()) {
        at = static_cast<std::size_t>(record + 5 - offset);
      } else if (record >= offset + canary.size()) {
        at = static_cast<std::size_t>(record - offset - canary.size());
      } else {
        return;  // slice too short on both sides of the header
      }
    }
    std::memcpy(out.data() + at, canary.data(), canary.size());
  }
}

}  // namespace mamori::synth
