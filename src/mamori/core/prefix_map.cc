#include "mamori/core/prefix_map.h"

#include "mamori/core/table_memory.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <utility>

// The structure is a Poptrie (Asai and Ohara, "Poptrie: A Compressed Trie with Population Count
// for Fast and Scalable Software IP Routing Table Lookup", SIGCOMM 2015), built here from our
// own reading of the paper:
//
// - a direct-pointing array indexed by the top `direct_bits` of the key; each entry is either a
//   leaf (an index into `leaves`) or the index of a node;
// - nodes of 64 children (6 key bits each). A node keeps two bitmaps: `vector` marks the
//   children that are nodes, `leafvec` marks where a run of equal leaves begins. Children that
//   are nodes sit contiguously from `base1`, leaf runs contiguously from `base0`, so the slot of
//   child v is a base plus a population count of the bits up to v. Runs of equal leaves are
//   stored once, which is what keeps the structure a few bytes per prefix.
//
// One change of ours: a node fills a cache line (IPv4) or half of one (IPv6) and carries its
// first leaf runs itself, so a lookup ending in a small node reads one line instead of two.
// With random addresses over 1M prefixes that is most lookups, and it is worth more than the
// memory it costs (about 19 bytes per IPv4 prefix instead of 15).
//
// Building goes through a flat form first: the prefixes are resolved into sorted, disjoint
// ranges with the value of their longest covering prefix. A block of the key space becomes a
// leaf when one range covers all of it, otherwise a node. That keeps nesting and duplicates out
// of the trie builder entirely.

namespace mamori {
namespace {

__extension__ typedef unsigned __int128 U128;

// The key space of one family, as sorted disjoint ranges: range i is [starts[i], starts[i+1]).
template <class Key>
struct Ranges {
  std::vector<Key> starts{Key{0}};
  std::vector<std::uint32_t> values{PrefixMap::kNoValue};
  std::size_t prefixes = 0;
};

template <class Key>
struct KeyedPrefix {
  Key start;
  Key end;  // inclusive
  int length;
  std::size_t order;
  std::uint32_t value;
};

template <class Key>
Ranges<Key> flatten(std::vector<KeyedPrefix<Key>> prefixes) {
  // Containing prefixes sort before the prefixes they contain; equal prefixes by insert order.
  std::sort(prefixes.begin(), prefixes.end(), [](const auto& a, const auto& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.length != b.length) return a.length < b.length;
    return a.order < b.order;
  });
  std::vector<std::pair<Key, std::uint32_t>> marks{{Key{0}, PrefixMap::kNoValue}};
  std::vector<const KeyedPrefix<Key>*> open;  // the chain of prefixes containing the cursor
  std::size_t unique = 0;
  const auto close_before = [&](const KeyedPrefix<Key>* next) {
    while (!open.empty() && (next == nullptr || open.back()->end < next->start)) {
      const Key end = open.back()->end;
      open.pop_back();
      if (end == static_cast<Key>(~Key{0})) continue;
      marks.emplace_back(end + 1, open.empty() ? PrefixMap::kNoValue : open.back()->value);
    }
  };
  for (std::size_t i = 0; i < prefixes.size(); ++i) {
    const auto& prefix = prefixes[i];
    if (i + 1 < prefixes.size() && prefixes[i + 1].start == prefix.start &&
        prefixes[i + 1].length == prefix.length) {
      continue;  // a later insert of the same prefix replaces this one
    }
    ++unique;
    close_before(&prefix);
    open.push_back(&prefix);
    marks.emplace_back(prefix.start, prefix.value);
  }
  close_before(nullptr);

  Ranges<Key> ranges;
  ranges.starts.clear();
  ranges.values.clear();
  ranges.prefixes = unique;
  for (std::size_t i = 0; i < marks.size(); ++i) {
    // Of several marks at one position the last is the innermost; equal neighbours merge.
    if (i + 1 < marks.size() && marks[i + 1].first == marks[i].first) continue;
    if (!ranges.values.empty() && ranges.values.back() == marks[i].second) continue;
    ranges.starts.push_back(marks[i].first);
    ranges.values.push_back(marks[i].second);
  }
  return ranges;
}

// One node per cache line (or half line): the first `kInline` leaf runs live in the node itself,
// so a lookup that ends in a small node costs one memory access instead of two.
template <int kInline>
struct alignas(kInline >= 10 ? 64 : 32) Node {
  std::uint64_t vector = 0;   // bit v: child v is a node
  std::uint64_t leafvec = 0;  // bit v: a run of equal leaves starts at child v
  std::uint32_t base0 = 0;    // leaf runs past the inline ones, from here in `leaves`
  std::uint32_t base1 = 0;    // first child node in `nodes`
  std::uint32_t inline_leaves[kInline] = {};
};
static_assert(sizeof(Node<10>) == 64 && sizeof(Node<2>) == 32);

constexpr int kStride = 6;
constexpr std::uint32_t kNodeFlag = 0x80000000u;

// Bits 0..v of x, counted. Shifting instead of masking keeps v == 63 well defined.
[[gnu::always_inline]] inline int count_through(std::uint64_t x, unsigned v) {
  return __builtin_popcountll(x << (63 - v));
}

template <class Key, int kInline>
class Poptrie {
 public:
  static constexpr int kWidth = static_cast<int>(sizeof(Key) * 8);

  using Node = mamori::Node<kInline>;

  Poptrie() : Poptrie(Ranges<Key>{}) {}
  explicit Poptrie(const Ranges<Key>& ranges);

  [[gnu::always_inline]] std::uint32_t find(Key key) const {
    std::uint32_t entry = direct_[static_cast<std::size_t>(key >> (kWidth - direct_bits_))];
    if (!(entry & kNodeFlag)) return leaves_[entry];
    const Node* node = &nodes_[entry & ~kNodeFlag];
    Key rest = static_cast<Key>(key << direct_bits_);
    for (;;) {
      const auto v = static_cast<unsigned>(rest >> (kWidth - kStride));
      if (!((node->vector >> v) & 1)) {
        const auto run = static_cast<std::uint32_t>(count_through(node->leafvec, v)) - 1;
        if (run < kInline) return node->inline_leaves[run];
        return leaves_[node->base0 + run - kInline];
      }
      node = &nodes_[node->base1 + static_cast<std::uint32_t>(count_through(node->vector, v)) - 1];
      rest = static_cast<Key>(rest << kStride);
    }
  }

  std::size_t memory_bytes() const { return memory_.size(); }

 private:
  class Filler;

  // The three arrays, built as vectors and then packed into one block (see TableMemory).
  TableMemory memory_;
  int direct_bits_ = 1;
  const std::uint32_t* direct_ = nullptr;
  const Node* nodes_ = nullptr;
  const std::uint32_t* leaves_ = nullptr;
};

// Walks the key space in order. `cursor` is the index of the range containing the current
// block's first key; it only moves forward while one node's children are scanned.
template <class Key, int kInline>
class Poptrie<Key, kInline>::Filler {
 public:
  Filler(const Ranges<Key>& ranges, int direct_bits) : ranges_(ranges), direct_bits_(direct_bits) {}

  std::vector<std::uint32_t> direct;
  std::vector<Node> nodes;
  std::vector<std::uint32_t> leaves;

  // Whether one range covers [low, low + 2^bits); `value` is the value at `low` either way.
  bool uniform(Key low, int bits, std::size_t& cursor, std::uint32_t& value) const {
    const auto& starts = ranges_.starts;
    while (cursor + 1 < starts.size() && starts[cursor + 1] <= low) ++cursor;
    value = ranges_.values[cursor];
    if (cursor + 1 == starts.size()) return true;
    const Key last = static_cast<Key>(low + ((Key{1} << bits) - 1));
    return starts[cursor + 1] > last;
  }

  void fill_direct() {
    const int bits = kWidth - direct_bits_;
    const std::size_t count = std::size_t{1} << direct_bits_;
    direct.resize(count);
    std::size_t cursor = 0;
    std::size_t last_leaf = 0;  // blocks in a row with one value share their leaf
    for (std::size_t i = 0; i < count; ++i) {
      const Key low = static_cast<Key>(Key(i) << bits);
      std::uint32_t value;
      if (uniform(low, bits, cursor, value)) {
        if (leaves.empty() || leaves[last_leaf] != value) {
          last_leaf = leaves.size();
          leaves.push_back(value);
        }
        direct[i] = static_cast<std::uint32_t>(last_leaf);
      } else {
        const auto slot = static_cast<std::uint32_t>(nodes.size());
        nodes.emplace_back();
        fill_node(slot, low, direct_bits_, cursor);
        direct[i] = kNodeFlag | slot;
      }
    }
  }

 private:
  // Fills node `slot` for the block starting at `low` whose first `offset` key bits are spent.
  void fill_node(std::uint32_t slot, Key low, int offset, std::size_t cursor) {
    // Near the end of the key only `real` bits remain; the stride's low bits are then zero,
    // so only every 2^(6-real)-th child can be reached.
    const int real = std::min(kStride, kWidth - offset);
    const int pad = kStride - real;
    const int child_bits = kWidth - offset - real;
    struct Pending {
      Key low;
      std::size_t cursor;
    };
    std::array<Pending, 64> pending;
    std::size_t pending_count = 0;
    Node node;
    node.base0 = static_cast<std::uint32_t>(leaves.size());
    bool have_leaf = false;
    int runs = 0;
    std::uint32_t run_value = 0;
    for (unsigned index = 0; index < (1u << real); ++index) {
      const unsigned child = index << pad;
      const Key child_low = static_cast<Key>(low + (Key(index) << child_bits));
      std::uint32_t value;
      if (uniform(child_low, child_bits, cursor, value)) {
        if (!have_leaf || value != run_value) {
          node.leafvec |= std::uint64_t{1} << child;
          if (runs < kInline) {
            node.inline_leaves[runs] = value;
          } else {
            leaves.push_back(value);
          }
          ++runs;
          run_value = value;
          have_leaf = true;
        }
      } else {
        node.vector |= std::uint64_t{1} << child;
        pending[pending_count++] = {child_low, cursor};
      }
    }
    node.base1 = static_cast<std::uint32_t>(nodes.size());
    nodes.resize(nodes.size() + pending_count);
    nodes[slot] = node;
    for (std::size_t i = 0; i < pending_count; ++i) {
      fill_node(node.base1 + static_cast<std::uint32_t>(i), pending[i].low, offset + kStride,
                pending[i].cursor);
    }
  }

  const Ranges<Key>& ranges_;
  int direct_bits_;
};

// The direct array trades memory for one level less: tiny maps need no 1 MiB table.
int direct_bits_for(std::size_t prefixes, int width) {
  if (prefixes < 64) return 4;
  if (prefixes < 2048) return 10;
  if (prefixes < 32768 || width > 32) return 16;
  return 18;
}

template <class Key, int kInline>
Poptrie<Key, kInline>::Poptrie(const Ranges<Key>& ranges)
    : direct_bits_(direct_bits_for(ranges.prefixes, kWidth)) {
  Filler filler(ranges, direct_bits_);
  filler.fill_direct();
  const auto line = [](std::size_t bytes) { return (bytes + 63) / 64 * 64; };
  const std::size_t direct_bytes = line(filler.direct.size() * sizeof(std::uint32_t));
  const std::size_t node_bytes = filler.nodes.size() * sizeof(Node);
  const std::size_t leaf_bytes = filler.leaves.size() * sizeof(std::uint32_t);
  memory_ = TableMemory(direct_bytes + node_bytes + leaf_bytes);
  std::byte* at = memory_.data();
  const auto copy = [](std::byte* to, const auto& from) {
    if (!from.empty()) std::memcpy(to, from.data(), from.size() * sizeof(from[0]));
  };
  copy(at, filler.direct);
  copy(at + direct_bytes, filler.nodes);
  copy(at + direct_bytes + node_bytes, filler.leaves);
  direct_ = reinterpret_cast<const std::uint32_t*>(at);
  nodes_ = reinterpret_cast<const Node*>(at + direct_bytes);
  leaves_ = reinterpret_cast<const std::uint32_t*>(at + direct_bytes + node_bytes);
}

// IPv4 tables are mostly /24s one node below the direct array: whole-line nodes answer most
// lookups from one line. IPv6 paths are longer and sparser, so half-line nodes save memory.
using V4Trie = Poptrie<std::uint32_t, 10>;
using V6Trie = Poptrie<U128, 2>;

// The address as a 128-bit number, in two loads rather than sixteen byte steps.
U128 key_of(const IpAddress& address) {
  std::uint64_t high;
  std::uint64_t low;
  std::memcpy(&high, address.bytes().data(), 8);
  std::memcpy(&low, address.bytes().data() + 8, 8);
  if constexpr (std::endian::native == std::endian::little) {
    high = __builtin_bswap64(high);
    low = __builtin_bswap64(low);
  }
  return (U128{high} << 64) | low;
}

// ::ffff:a.b.c.d, the form IpAddress gives IPv4 (same test as is_v4(), on the loaded key).
bool is_v4_key(U128 key) { return (key >> 32) == 0xffff; }

// Population counts compile to one instruction only where the target has it; the baseline
// x86-64 target does not, so without -mpopcnt the lookups exist twice and each map picks one
// for the CPU it runs on. Both are out of line, so the choice costs a test and a jump.
#if defined(__x86_64__) && !defined(__POPCNT__)
#define MAMORI_POPCNT_DISPATCH 1
bool cpu_has_popcnt() { return __builtin_cpu_supports("popcnt"); }

[[gnu::target("popcnt")]] std::uint32_t find_v4_popcnt(const V4Trie& trie, std::uint32_t key) {
  return trie.find(key);
}
[[gnu::target("popcnt")]] std::uint32_t find_v6_popcnt(const V6Trie& trie, U128 key) {
  return trie.find(key);
}
[[gnu::noinline]] std::uint32_t find_v4_portable(const V4Trie& trie, std::uint32_t key) {
  return trie.find(key);
}
[[gnu::noinline]] std::uint32_t find_v6_portable(const V6Trie& trie, U128 key) {
  return trie.find(key);
}
#else
#define MAMORI_POPCNT_DISPATCH 0
bool cpu_has_popcnt() { return true; }
#endif

}  // namespace

struct PrefixMap::Impl {
  V4Trie v4;
  V6Trie v6;
  std::size_t prefix_count = 0;
  bool popcnt = cpu_has_popcnt();
};

void PrefixMap::Builder::insert(const Prefix& prefix, std::uint32_t value) {
  entries_.push_back({prefix, value});
}

PrefixMap PrefixMap::Builder::build() && {
  std::vector<KeyedPrefix<std::uint32_t>> v4;
  std::vector<KeyedPrefix<U128>> v6;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto& [prefix, value] = entries_[i];
    const int length = prefix.length();
    if (prefix.address().is_v4()) {
      const std::uint32_t start = prefix.address().v4_value();
      const std::uint32_t host = length == 0 ? ~0u : (length == 32 ? 0u : ~0u >> length);
      v4.push_back({start, start | host, length, i, value});
    } else {
      const U128 start = key_of(prefix.address());
      const U128 host = length == 0 ? ~U128{0} : (length == 128 ? U128{0} : ~U128{0} >> length);
      v6.push_back({start, start | host, length, i, value});
    }
  }
  entries_.clear();
  entries_.shrink_to_fit();
  const Ranges<std::uint32_t> ranges_v4 = flatten(std::move(v4));
  const Ranges<U128> ranges_v6 = flatten(std::move(v6));
  PrefixMap map;
  map.impl_->v4 = V4Trie(ranges_v4);
  map.impl_->v6 = V6Trie(ranges_v6);
  map.impl_->prefix_count = ranges_v4.prefixes + ranges_v6.prefixes;
  return map;
}

PrefixMap::PrefixMap() : impl_(std::make_unique<Impl>()) {}
PrefixMap::PrefixMap(PrefixMap&&) noexcept = default;
PrefixMap& PrefixMap::operator=(PrefixMap&&) noexcept = default;
PrefixMap::~PrefixMap() = default;

std::uint32_t PrefixMap::lookup(const IpAddress& address) const {
  const U128 key = key_of(address);
  if (is_v4_key(key)) return lookup_v4(static_cast<std::uint32_t>(key));
#if MAMORI_POPCNT_DISPATCH
  return impl_->popcnt ? find_v6_popcnt(impl_->v6, key) : find_v6_portable(impl_->v6, key);
#else
  return impl_->v6.find(key);
#endif
}

std::uint32_t PrefixMap::lookup_v4(std::uint32_t address) const {
#if MAMORI_POPCNT_DISPATCH
  return impl_->popcnt ? find_v4_popcnt(impl_->v4, address) : find_v4_portable(impl_->v4, address);
#else
  return impl_->v4.find(address);
#endif
}

std::size_t PrefixMap::prefix_count() const { return impl_->prefix_count; }

std::size_t PrefixMap::memory_bytes() const {
  return sizeof(Impl) + impl_->v4.memory_bytes() + impl_->v6.memory_bytes();
}

}  // namespace mamori
