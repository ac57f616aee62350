#include "mamori/scope/mmdb_walk.h"

#include <maxminddb.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

namespace mamori::scope::detail {
namespace {

class Database {
 public:
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database() {
    if (open_) MMDB_close(&mmdb_);
  }

  Result<void> open(const std::filesystem::path& path) {
    errno = 0;
    const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &mmdb_);
    if (status != MMDB_SUCCESS) {
      const bool io = status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR;
      return fail("country database '{}': cannot open: {}{}{}", path.string(),
                  MMDB_strerror(status), io && errno != 0 ? ": " : "",
                  io && errno != 0 ? std::strerror(errno) : "");
    }
    open_ = true;
    return {};
  }
  MMDB_s& get() { return mmdb_; }

 private:
  MMDB_s mmdb_{};
  bool open_ = false;
};

// Reads the country of one data record, cached by offset: a country database has a few hundred
// distinct records shared by hundreds of thousands of networks.
class CountryReader {
 public:
  explicit CountryReader(const std::filesystem::path& path) : path_(path) {}

  Result<CountryCode> read(MMDB_entry_s entry) {
    const auto cached = cache_.find(entry.offset);
    if (cached != cache_.end()) return cached->second;
    auto code = decode(entry);
    if (!code) return code;
    cache_.emplace(entry.offset, *code);
    return code;
  }

 private:
  Result<CountryCode> decode(MMDB_entry_s entry) const {
    // ip-location-db layout first, then the GeoIP2/GeoLite2 one.
    MMDB_entry_data_s data{};
    int status = MMDB_get_value(&entry, &data, "country_code", nullptr);
    if (status == MMDB_SUCCESS && !data.has_data) {
      status = MMDB_get_value(&entry, &data, "country", "iso_code", nullptr);
    }
    if (status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ||
        (status == MMDB_SUCCESS && !data.has_data)) {
      return CountryCode{};
    }
    if (status != MMDB_SUCCESS) {
      return fail("country database '{}': data record at offset {}: {}", path_.string(),
                  entry.offset, MMDB_strerror(status));
    }
    if (data.type != MMDB_DATA_TYPE_UTF8_STRING || data.data_size != 2) {
      return fail(
          "country database '{}': data record at offset {}: country code is not a "
          "two-letter string",
          path_.string(), entry.offset);
    }
    const auto code = parse_letters(data.utf8_string[0], data.utf8_string[1]);
    if (!code.known()) {
      return fail(
          "country database '{}': data record at offset {}: country code is not two "
          "letters",
          path_.string(), entry.offset);
    }
    return code;
  }

  static CountryCode parse_letters(char first, char second) {
    const auto upper = [](char c) -> char {
      if (c >= 'a' && c <= 'z') return static_cast<char>(c - 'a' + 'A');
      return (c >= 'A' && c <= 'Z') ? c : '\0';
    };
    const char a = upper(first);
    const char b = upper(second);
    if (a == '\0' || b == '\0') return {};
    return CountryCode::from(std::string_view(std::array{a, b}.data(), 2));
  }

  const std::filesystem::path& path_;
  std::unordered_map<std::uint32_t, CountryCode> cache_;
};

struct Frame {
  std::uint32_t node;
  int depth;                          // bits of the path so far
  std::array<std::uint8_t, 16> path;  // network order, bits past `depth` zero
};

// Turns a tree path into a prefix of our own address model, or nothing for paths we skip.
// In an IPv6 tree IPv4 lives at ::/96; a record above that depth on the all-zero path also
// covers all of IPv4.
struct PathPrefixes {
  std::optional<Prefix> v6;
  std::optional<Prefix> v4;
};

bool zero_bits(const std::array<std::uint8_t, 16>& path, int bits) {
  for (int bit = 0; bit < bits; ++bit) {
    if (path[bit / 8] & (0x80u >> (bit % 8))) return false;
  }
  return true;
}

PathPrefixes path_prefixes(const std::array<std::uint8_t, 16>& path, int depth, int width) {
  PathPrefixes out;
  if (width == 32) {
    out.v4 = Prefix(IpAddress::v4_bytes(std::span<const std::uint8_t, 4>(path.data(), 4)), depth);
    return out;
  }
  const IpAddress address = IpAddress::v6(path);
  if (depth >= 96 && address.is_v4()) return out;  // ::ffff:0:0/96, an alias at most
  if (zero_bits(path, std::min(depth, 96))) {
    const int v4_length = std::max(depth - 96, 0);
    out.v4 = Prefix(IpAddress::v4_bytes(std::span<const std::uint8_t, 4>(path.data() + 12, 4)),
                    v4_length);
    if (depth >= 96) return out;
  }
  out.v6 = Prefix(address, depth);
  return out;
}

}  // namespace

Result<MmdbSummary> walk_mmdb(const std::filesystem::path& path,
                              const std::function<void(const Prefix&, CountryCode)>& emit) {
  Database database;
  if (auto opened = database.open(path); !opened) return fail(opened.error());
  MMDB_s& mmdb = database.get();
  const std::uint32_t node_count = mmdb.metadata.node_count;
  const int width = mmdb.metadata.ip_version == 4 ? 32 : 128;
  if (mmdb.metadata.ip_version != 4 && mmdb.metadata.ip_version != 6) {
    return fail("country database '{}': unsupported ip_version {}", path.string(),
                mmdb.metadata.ip_version);
  }
  // Where the tree's ::/96 node is, so that aliases pointing back at it can be skipped.
  const std::uint32_t v4_start = width == 128 ? mmdb.ipv4_start_node.node_value : 0;

  MmdbSummary summary;
  summary.database_type = mmdb.metadata.database_type ? mmdb.metadata.database_type : "";
  summary.build_epoch = mmdb.metadata.build_epoch;
  CountryReader reader(path);
  // Every node must be reached once, except the IPv4 subtree, which aliases may point at again
  // once it has been reached at ::/96. The walk goes left first, so ::/96 comes before them.
  std::vector<bool> seen(node_count);
  if (!seen.empty()) seen[0] = true;
  bool v4_start_seen = false;
  std::vector<Frame> stack{{0, 0, {}}};
  while (!stack.empty()) {
    const Frame frame = stack.back();
    stack.pop_back();
    MMDB_search_node_s node{};
    if (const int status = MMDB_read_node(&mmdb, frame.node, &node); status != MMDB_SUCCESS) {
      return fail("country database '{}': search tree node {}: {}", path.string(), frame.node,
                  MMDB_strerror(status));
    }
    for (const int side : {1, 0}) {  // left is pushed last, so it is walked first
      const std::uint64_t record = side ? node.right_record : node.left_record;
      const std::uint8_t type = side ? node.right_record_type : node.left_record_type;
      Frame child{static_cast<std::uint32_t>(record), frame.depth + 1, frame.path};
      if (side) {
        child.path[frame.depth / 8] |= static_cast<std::uint8_t>(0x80u >> (frame.depth % 8));
      }
      if (type == MMDB_RECORD_TYPE_SEARCH_NODE) {
        if (child.depth >= width) {
          return fail("country database '{}': search tree deeper than {} bits at node {}",
                      path.string(), width, frame.node);
        }
        const bool is_v4_start = width == 128 && child.node == v4_start;
        if (seen[child.node]) {
          if (is_v4_start && v4_start_seen) continue;  // an alias of the IPv4 subtree
          return fail("country database '{}': search tree reaches node {} twice (corrupt tree)",
                      path.string(), child.node);
        }
        seen[child.node] = true;
        v4_start_seen |= is_v4_start && child.depth == 96 && zero_bits(child.path, 96);
        stack.push_back(child);
      } else if (type == MMDB_RECORD_TYPE_DATA) {
        ++summary.networks;
        const auto country = reader.read(side ? node.right_record_entry : node.left_record_entry);
        if (!country) return fail(country.error());
        if (!country->known()) {
          ++summary.without_country;
          continue;
        }
        const auto prefixes = path_prefixes(child.path, child.depth, width);
        if (prefixes.v4) emit(*prefixes.v4, *country);
        if (prefixes.v6) emit(*prefixes.v6, *country);
      } else if (type == MMDB_RECORD_TYPE_INVALID) {
        return fail("country database '{}': search tree node {} has an invalid record",
                    path.string(), frame.node);
      }
    }
  }
  return summary;
}

}  // namespace mamori::scope::detail
