#include "mamori/ledger/verify.h"

#include <algorithm>
#include <deque>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "mamori/ledger/entry.h"
#include "mamori/ledger/export.h"

namespace mamori::ledger {

std::string_view to_string(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::malformed:
      return "malformed";
    case ProblemKind::not_canonical:
      return "not canonical";
    case ProblemKind::altered:
      return "altered";
    case ProblemKind::prev_altered:
      return "prev altered";
    case ProblemKind::seq_altered:
      return "seq altered";
    case ProblemKind::missing:
      return "missing";
    case ProblemKind::inserted:
      return "inserted";
    case ProblemKind::reordered:
      return "reordered";
    case ProblemKind::head_signature:
      return "bad signature";
    case ProblemKind::uncovered:
      return "unsigned";
    case ProblemKind::forked:
      return "forked";
    case ProblemKind::header:
      return "header";
  }
  return "unknown";
}

std::string_view to_japanese(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::malformed:
      return "形式不正";
    case ProblemKind::not_canonical:
      return "正規形でない";
    case ProblemKind::altered:
      return "改ざん";
    case ProblemKind::prev_altered:
      return "prev改ざん";
    case ProblemKind::seq_altered:
      return "seq改ざん";
    case ProblemKind::missing:
      return "欠落";
    case ProblemKind::inserted:
      return "挿入";
    case ProblemKind::reordered:
      return "順序入替";
    case ProblemKind::head_signature:
      return "署名不正";
    case ProblemKind::uncovered:
      return "未署名";
    case ProblemKind::forked:
      return "分岐";
    case ProblemKind::header:
      return "ヘッダ";
  }
  return "不明";
}

namespace {

// One entry waiting to be decided; parsed once on arrival.
struct Buffered {
  std::uint64_t position = 0;
  std::string raw;
  std::optional<LedgerEntry> entry;
  std::string parse_error;
  bool canonical = false;
  Hash hash = {};  // leaf hash of the raw bytes: what the entry contributes if accepted
};

struct HeldOrStoredHead {
  SignedTreeHead head;
  std::uint64_t position = 0;       // stored heads
  std::optional<std::size_t> held;  // held heads: 1-based number
};

std::string range_text(std::uint64_t first, std::uint64_t last, std::string_view one,
                       std::string_view many) {
  if (first == last) return fmt::format("{} {}", one, first);
  return fmt::format("{} {}–{}", many, first, last);
}

}  // namespace

struct LedgerChecker::State {
  PublicKey key;
  PositionKind positions = PositionKind::line;
  bool keep_tree = false;

  Frontier frontier;
  MerkleTree tree;
  std::deque<Buffered> buffer;
  std::uint64_t expected = 0;              // seq of the next entry = entries decided
  std::optional<std::uint64_t> broken_at;  // history unverifiable from this seq on
  std::uint64_t last_position = 0;         // position of the last entry in the frontier

  std::multimap<std::uint64_t, HeldOrStoredHead> pending;  // signed, waiting for their size
  std::map<std::uint64_t, Hash> signed_roots;              // fork detection
  std::optional<SignedTreeHead> latest_head;
  std::uint64_t heads_checked = 0;
  std::uint64_t signed_up_to = 0;          // largest tree_size any valid head covers
  std::uint64_t last_match_size = 0;       // largest size whose head matched (0: empty tree)
  std::uint64_t position_after_match = 0;  // position of entry `last_match_size`
  bool diverged = false;                   // a head mismatch was reported
  std::size_t held_count = 0;
  // (seq, position) of entries no valid head covers yet, to name them if none ever does.
  std::deque<std::pair<std::uint64_t, std::uint64_t>> unsigned_entries;
  std::uint64_t uncovered_reported = 0;

  std::vector<Problem> problems;

  // --- naming -----------------------------------------------------------------------------
  std::string where(std::uint64_t position) const {
    return fmt::format("{} {}", positions == PositionKind::line ? "line" : "row", position);
  }
  std::string entry_at(std::uint64_t seq, std::uint64_t position) const {
    return fmt::format("entry {} ({})", seq, where(position));
  }
  std::string head_name(const HeldOrStoredHead& h) const {
    if (h.held) return fmt::format("held tree head #{} (size {})", *h.held, h.head.tree_size);
    if (positions == PositionKind::line) {
      return fmt::format("the signed tree head for size {} (line {})", h.head.tree_size,
                         h.position);
    }
    return fmt::format("the stored tree head for size {}", h.head.tree_size);
  }
  void report(std::uint64_t position, std::optional<std::uint64_t> seq, ProblemKind kind,
              std::string message) {
    problems.push_back(Problem{position, seq, kind, std::move(message)});
  }

  // --- heads ------------------------------------------------------------------------------
  void add_head(HeldOrStoredHead h) {
    if (auto valid = verify_tree_head(h.head, key); !valid) {
      report(h.position, std::nullopt, ProblemKind::head_signature,
             fmt::format("{} does not verify with the ledger's key {}: forged or altered ({})",
                         head_name(h), key.key_id(), valid.error().message));
      return;
    }
    auto [known, inserted] = signed_roots.emplace(h.head.tree_size, h.head.root);
    if (!inserted && known->second != h.head.root) {
      report(h.position, std::nullopt, ProblemKind::forked,
             fmt::format("{} and another validly signed head for the same size have different "
                         "roots: the ledger's key signed two different histories",
                         head_name(h)));
    }
    if (h.head.tree_size > signed_up_to) {
      signed_up_to = h.head.tree_size;
      while (!unsigned_entries.empty() && unsigned_entries.front().first < signed_up_to) {
        unsigned_entries.pop_front();
      }
    }
    const std::uint64_t size = h.head.tree_size;
    if (size > frontier.size()) {
      pending.emplace(size, std::move(h));
    } else if (size == frontier.size()) {
      check_head(h, frontier.root());
    } else if (keep_tree) {
      check_head(h, *tree.root_at(size));
    } else if (!broken_at) {
      report(h.position, std::nullopt, ProblemKind::malformed,
             fmt::format("{} is out of place: it must follow entry {}", head_name(h), size - 1));
    }
  }

  void check_head(const HeldOrStoredHead& h, const Hash& root) {
    const std::uint64_t size = h.head.tree_size;
    if (root == h.head.root) {
      ++heads_checked;
      if (!latest_head || size > latest_head->tree_size ||
          (size == latest_head->tree_size && h.head.timestamp > latest_head->timestamp)) {
        latest_head = h.head;
      }
      if (!diverged && size == frontier.size()) last_match_size = size;
      return;
    }
    if (diverged || broken_at) return;  // a consequence of a problem already reported
    diverged = true;
    // Every entry before the last one is committed to by the next entry's prev, which
    // matched: so the last entry the head covers differs from what was signed, or — if the
    // attacker recomputed the prev fields — any entry since the last matching head.
    const std::uint64_t first = last_match_size;
    const std::uint64_t last = size - 1;
    if (first == last) {
      report(last_position, last, ProblemKind::altered,
             fmt::format("{} is not the entry the ledger signed: {} does not match the "
                         "recomputed tree, the head before it does — it was altered (or an entry "
                         "inserted or removed there and the later entries rewritten)",
                         entry_at(last, last_position), head_name(h)));
      return;
    }
    report(last_position, last, ProblemKind::altered,
           fmt::format("{} is not the entry the ledger signed: {} does not match the recomputed "
                       "tree and no later entry commits to it — or entries {}–{} ({}–{}) were "
                       "altered, removed, inserted or reordered and the later prev fields "
                       "recomputed to hide it (the head for size {} matches)",
                       entry_at(last, last_position), head_name(h), first, last,
                       where(position_after_match), last_position, first));
  }

  void check_pending_at(std::uint64_t size) {
    auto [begin, end] = pending.equal_range(size);
    if (begin == end) return;
    const Hash root = frontier.root();
    for (auto it = begin; it != end; ++it) check_head(it->second, root);
    pending.erase(begin, end);
  }

  const HeldOrStoredHead* pending_head(std::uint64_t size) const {
    auto it = pending.find(size);
    return it == pending.end() ? nullptr : &it->second;
  }

  // --- the tree ---------------------------------------------------------------------------
  void accept(const Hash& hash, std::uint64_t position) {
    if (frontier.size() == last_match_size) position_after_match = position;
    frontier.push(hash);
    if (keep_tree) tree.append_leaf_hash(hash);
    last_position = position;
    note_decided(position);
    check_pending_at(frontier.size());
  }
  // Every decided entry takes the next seq, accepted into the tree or not.
  void note_decided(std::uint64_t position) {
    if (expected >= signed_up_to) unsigned_entries.emplace_back(expected, position);
    ++expected;
  }
  void break_history(std::uint64_t seq) {
    if (!broken_at) broken_at = seq;
  }

  // Does the history continue from `after`? Asks the next entry (its prev must be after's
  // root) or, failing that, a signed head of exactly after's size.
  enum class Evidence { yes, no, unknown };
  Evidence continues(const Frontier& after, const Buffered* next) const {
    if (next != nullptr && next->entry && next->entry->seq == after.size()) {
      return next->entry->prev == after.root() ? Evidence::yes : Evidence::no;
    }
    if (const auto* head = pending_head(after.size())) {
      return head->head.root == after.root() ? Evidence::yes : Evidence::no;
    }
    return Evidence::unknown;
  }
  Frontier with(const Hash& hash) const {
    Frontier next = frontier;
    next.push(hash);
    return next;
  }
  bool fits(const Buffered& b) const {
    return b.entry && b.canonical && b.entry->seq == expected && b.entry->prev == frontier.root();
  }

  // --- deciding entries -------------------------------------------------------------------
  void process(bool at_end) {
    while (!buffer.empty() && (at_end || buffer.size() >= 3)) {
      const Buffered* n1 = buffer.size() > 1 ? &buffer[1] : nullptr;
      const Buffered* n2 = buffer.size() > 2 ? &buffer[2] : nullptr;
      const std::size_t consumed = broken_at ? decide_unverifiable(n1) : decide(n1, n2);
      for (std::size_t i = 0; i < consumed; ++i) buffer.pop_front();
    }
  }

  // Returns how many buffered entries were consumed (1 or 2).
  std::size_t decide(const Buffered* n1, const Buffered* n2) {
    const Buffered& c = buffer.front();
    const std::uint64_t x = expected;
    if (!c.entry) return decide_unparsable(n1);
    const LedgerEntry& e = *c.entry;
    if (fits(c)) return decide_fitting(n1, n2);
    if (e.seq == x) return decide_wrong_prev_or_form(n1);
    if (e.seq > x) return decide_seq_jump(n1);
    report(c.position, e.seq, ProblemKind::inserted,
           fmt::format("{}: entry inserted — seq {} appears again where {} was expected (a "
                       "copy or a moved entry)",
                       where(c.position), e.seq, x));
    return 1;
  }

  std::size_t decide_unparsable(const Buffered* n1) {
    const Buffered& c = buffer.front();
    if (n1 != nullptr && n1->entry && n1->entry->seq == expected &&
        n1->entry->prev == frontier.root()) {
      report(c.position, std::nullopt, ProblemKind::inserted,
             fmt::format("{}: line inserted that is not a ledger entry ({}); the next line "
                         "continues the history",
                         where(c.position), c.parse_error));
      return 1;
    }
    report(c.position, expected, ProblemKind::malformed,
           fmt::format("{}: not a valid ledger entry: {}", entry_at(expected, c.position),
                       c.parse_error));
    break_history(expected);
    note_decided(c.position);
    return 1;
  }

  // The front entry fits the history so far. It may still have been altered (content) or
  // be a forged duplicate: the entries after it tell.
  std::size_t decide_fitting(const Buffered* n1, const Buffered* n2) {
    const Buffered& c = buffer.front();
    const std::uint64_t x = expected;
    if (n1 != nullptr && n1->entry && n1->entry->seq == x) return decide_duplicate(n1, n2);
    const Hash root_after = frontier.root_with(c.hash);
    // n2 with seq x+1 committing to the front entry means n1 is the odd one out.
    const bool n2_commits =
        n2 != nullptr && n2->entry && n2->entry->seq == x + 1 && n2->entry->prev == root_after;
    if (n1 != nullptr && n1->entry && n1->entry->seq == x + 1 && n1->entry->prev != root_after &&
        !n2_commits && !next_prev_alone_altered(n1, n2)) {
      report(c.position, x, ProblemKind::altered,
             fmt::format("{} was altered: its prev matches the history before it, but entry "
                         "{} ({}) commits to a different entry {}",
                         entry_at(x, c.position), x + 1, where(n1->position), x));
      break_history(x);
      note_decided(c.position);
      return 1;
    }
    accept(c.hash, c.position);
    return 1;
  }

  // Front fits, n1 fails to commit to it: is n1's prev the only thing changed (its original,
  // with the right prev, is confirmed by what follows), or was the front entry altered?
  bool next_prev_alone_altered(const Buffered* n1, const Buffered* n2) const {
    const Buffered& c = buffer.front();
    const Frontier after_c = with(c.hash);
    LedgerEntry original = *n1->entry;
    original.prev = after_c.root();
    Frontier after_n1 = after_c;
    after_n1.push(hash_leaf(canonical_leaf(original)));
    switch (continues(after_n1, n2)) {
      case Evidence::yes:
        return true;
      case Evidence::no:
        return false;
      case Evidence::unknown:
        break;
    }
    // Nothing after n1: a head of size x+1 tells whether the front entry is original.
    if (const auto* head = pending_head(after_c.size())) return head->head.root == after_c.root();
    return false;
  }

  // Front fits and n1 claims the same seq: one of them is inserted.
  std::size_t decide_duplicate(const Buffered* n1, const Buffered* n2) {
    const Buffered& c = buffer.front();
    const std::uint64_t x = expected;
    const bool n1_fits = fits(*n1);
    const Evidence front_original = continues(with(c.hash), n2);
    const Evidence n1_original = n1_fits ? continues(with(n1->hash), n2) : Evidence::no;
    if (front_original == Evidence::yes || (!n1_fits && front_original != Evidence::no)) {
      report(n1->position, x, ProblemKind::inserted,
             fmt::format("{}: entry inserted — seq {} appears twice ({} and {}); the history "
                         "continues from the one at {}",
                         where(n1->position), x, where(c.position), where(n1->position),
                         where(c.position)));
      accept(c.hash, c.position);
      buffer.erase(buffer.begin() + 1);
      return 1;
    }
    if (n1_original == Evidence::yes) {
      report(c.position, x, ProblemKind::inserted,
             fmt::format("{}: entry inserted — seq {} appears twice ({} and {}); the history "
                         "continues from the one at {}",
                         where(c.position), x, where(c.position), where(n1->position),
                         where(n1->position)));
      return 1;  // n1 is decided next, on its own
    }
    report(c.position, x, ProblemKind::inserted,
           fmt::format("{}: entry inserted — seq {} appears twice ({} and {}) and nothing after "
                       "them tells which one is original",
                       where(c.position), x, where(c.position), where(n1->position)));
    break_history(x);
    note_decided(c.position);
    return 2;
  }

  // Front has the expected seq but a wrong prev, or is not canonical.
  std::size_t decide_wrong_prev_or_form(const Buffered* n1) {
    const Buffered& c = buffer.front();
    const LedgerEntry& e = *c.entry;
    const std::uint64_t x = expected;
    if (n1 != nullptr && fits(*n1)) {
      report(c.position, x, ProblemKind::inserted,
             fmt::format("{}: entry inserted — seq {} appears twice ({} and {}) and this one "
                         "does not continue the history",
                         where(c.position), x, where(c.position), where(n1->position)));
      return 1;
    }
    const bool prev_ok = e.prev == frontier.root();
    LedgerEntry original = e;
    original.prev = frontier.root();
    const Hash original_hash = hash_leaf(canonical_leaf(original));
    const Evidence repaired = continues(with(original_hash), n1);
    if (repaired != Evidence::no && (repaired == Evidence::yes || prev_ok)) {
      if (!prev_ok) {
        report(c.position, x, ProblemKind::prev_altered,
               fmt::format("{}: prev field altered — it does not match the history before it, "
                           "and the entry with the right prev is what the next entry commits to",
                           entry_at(x, c.position)));
      } else {
        report(c.position, x, ProblemKind::not_canonical,
               fmt::format("{}: not in canonical form — the line was edited (the content is "
                           "unchanged: the next entry commits to its canonical form)",
                           entry_at(x, c.position)));
      }
      accept(original_hash, c.position);
      return 1;
    }
    if (!prev_ok && n1 == nullptr && x >= signed_up_to) {
      // Past every signed head, and not even fitting the history: added by someone else.
      report(c.position, x, ProblemKind::inserted,
             fmt::format("{}: entry inserted at the end — no signed tree head covers it and its "
                         "prev does not match the history",
                         entry_at(x, c.position)));
      return 1;
    }
    if (prev_ok) {
      report(
          c.position, x, ProblemKind::not_canonical,
          fmt::format("{}: not in canonical form — the line was edited", entry_at(x, c.position)));
    } else {
      report(c.position, x, ProblemKind::altered,
             fmt::format("{}: prev does not match the history before it — this entry was altered",
                         entry_at(x, c.position)));
    }
    break_history(x);
    note_decided(c.position);
    return 1;
  }

  // Front's seq is ahead of the expected one: a swap, an insertion, an altered seq field, or
  // missing entries.
  std::size_t decide_seq_jump(const Buffered* n1) {
    const Buffered& c = buffer.front();
    const LedgerEntry& e = *c.entry;
    const std::uint64_t x = expected;
    if (n1 != nullptr && fits(*n1)) {
      if (e.seq == x + 1 && c.canonical && e.prev == frontier.root_with(n1->hash)) {
        report(c.position, x, ProblemKind::reordered,
               fmt::format("entries {} and {} are swapped: seq {} ({}) comes before seq {} ({})", x,
                           x + 1, x + 1, where(c.position), x, where(n1->position)));
        const Buffered first = *n1;
        const Buffered second = c;
        accept(first.hash, first.position);
        accept(second.hash, second.position);
        return 2;
      }
      report(c.position, e.seq, ProblemKind::inserted,
             fmt::format("{}: entry inserted — seq {} where {} was expected, and the next entry "
                         "continues the history without it",
                         where(c.position), e.seq, x));
      return 1;
    }
    if (e.prev == frontier.root()) {
      // It sits exactly where entry x belongs: only its seq was changed?
      LedgerEntry original = e;
      original.seq = x;
      const Hash original_hash = hash_leaf(canonical_leaf(original));
      const Evidence repaired = continues(with(original_hash), n1);
      if (repaired != Evidence::no) {
        report(c.position, x, ProblemKind::seq_altered,
               fmt::format("{}: seq field altered to {}", entry_at(x, c.position), e.seq));
        accept(original_hash, c.position);
        return 1;
      }
      report(c.position, x, ProblemKind::altered,
             fmt::format("{}: altered (its seq says {})", entry_at(x, c.position), e.seq));
      break_history(x);
      note_decided(c.position);
      return 1;
    }
    report_missing(c, e.seq);
    return 1;
  }

  void report_missing(const Buffered& c, std::uint64_t seq) {
    const std::uint64_t x = expected;
    report(c.position, x, ProblemKind::missing,
           fmt::format("{} missing (removed): {} has seq {} where {} was expected",
                       seq - x == 1 ? fmt::format("entry {} is", x)
                                    : fmt::format("entries {}–{} are", x, seq - 1),
                       where(c.position), seq, x));
    break_history(x);
    for (std::uint64_t s = x; s < seq; ++s) ++expected;  // the missing ones keep their seqs
    note_decided(c.position);
  }

  // After a change that could not be repaired, only seq order and form are checked.
  std::size_t decide_unverifiable(const Buffered* n1) {
    const Buffered& c = buffer.front();
    const std::uint64_t x = expected;
    if (!c.entry) {
      report(
          c.position, x, ProblemKind::malformed,
          fmt::format("{}: not a valid ledger entry: {}", entry_at(x, c.position), c.parse_error));
      note_decided(c.position);
      return 1;
    }
    const LedgerEntry& e = *c.entry;
    if (!c.canonical) {
      report(c.position, e.seq, ProblemKind::not_canonical,
             fmt::format("{}: not in canonical form — the line was edited",
                         entry_at(e.seq, c.position)));
    }
    if (e.seq == x) {
      note_decided(c.position);
      return 1;
    }
    if (e.seq == x + 1 && n1 != nullptr && n1->entry && n1->entry->seq == x) {
      report(c.position, x, ProblemKind::reordered,
             fmt::format("entries {} and {} are swapped: seq {} ({}) comes before seq {} ({})", x,
                         x + 1, x + 1, where(c.position), x, where(n1->position)));
      note_decided(n1->position);
      note_decided(c.position);
      return 2;
    }
    if (e.seq > x) {
      report_missing(c, e.seq);
      return 1;
    }
    report(c.position, e.seq, ProblemKind::inserted,
           fmt::format("{}: entry inserted — seq {} appears again where {} was expected",
                       where(c.position), e.seq, x));
    return 1;
  }

  // --- end of the ledger ------------------------------------------------------------------
  void finish() {
    process(/*at_end=*/true);
    // Heads beyond the entries: rolled back or truncated. Report the largest once.
    auto beyond = pending.upper_bound(expected);
    if (beyond != pending.end()) {
      const HeldOrStoredHead& largest = std::prev(pending.end())->second;
      const std::uint64_t covered = largest.head.tree_size;
      report(largest.position, expected, ProblemKind::missing,
             fmt::format("ledger has {} entries but {} covers {}: {} (rolled back or "
                         "truncated)",
                         expected, head_name(largest), covered,
                         covered - expected == 1
                             ? fmt::format("entry {} is missing", expected)
                             : fmt::format("entries {}–{} are missing", expected, covered - 1)));
      pending.erase(beyond, pending.end());
    }
    // Heads not reached because the history broke earlier say nothing new.
    if (broken_at) pending.clear();
    // Entries no signed head covers.
    while (!unsigned_entries.empty() && unsigned_entries.front().first < uncovered_reported) {
      unsigned_entries.pop_front();
    }
    if (!unsigned_entries.empty()) {
      const auto [first, position] = unsigned_entries.front();
      const auto last = unsigned_entries.back();
      report(position, first, ProblemKind::uncovered,
             fmt::format("{} ({}–{}) not covered by any signed tree head: appended without the "
                         "ledger's key",
                         range_text(first, last.first, "entry", "entries"), where(position),
                         last.second));
      uncovered_reported = expected;
      unsigned_entries.clear();
    }
  }
};

LedgerChecker::LedgerChecker(const PublicKey& key, PositionKind positions, bool keep_tree)
    : state_(std::make_unique<State>()) {
  state_->key = key;
  state_->positions = positions;
  state_->keep_tree = keep_tree;
}
LedgerChecker::LedgerChecker(LedgerChecker&&) noexcept = default;
LedgerChecker& LedgerChecker::operator=(LedgerChecker&&) noexcept = default;
LedgerChecker::~LedgerChecker() = default;

void LedgerChecker::add_held_head(const SignedTreeHead& head) {
  state_->add_head(HeldOrStoredHead{head, 0, ++state_->held_count});
}

void LedgerChecker::add_head(const SignedTreeHead& head, std::uint64_t position) {
  state_->add_head(HeldOrStoredHead{head, position, std::nullopt});
}

void LedgerChecker::add_entry(std::string leaf, std::uint64_t position) {
  Buffered b;
  b.position = position;
  b.hash = hash_leaf(leaf);
  if (auto parsed = parse_leaf(leaf)) {
    b.canonical = canonical_leaf(*parsed) == leaf;
    b.entry = std::move(*parsed);
  } else {
    b.parse_error = parsed.error().message;
  }
  b.raw = std::move(leaf);
  state_->buffer.push_back(std::move(b));
  state_->process(/*at_end=*/false);
}

void LedgerChecker::add_built_entry(std::string leaf, LedgerEntry entry, const Hash& leaf_hash,
                                    std::uint64_t position) {
  Buffered b;
  b.position = position;
  b.hash = leaf_hash;
  b.canonical = true;
  b.entry = std::move(entry);
  b.raw = std::move(leaf);
  state_->buffer.push_back(std::move(b));
  state_->process(/*at_end=*/false);
}

void LedgerChecker::add_problem(Problem problem) { state_->problems.push_back(std::move(problem)); }

void LedgerChecker::finish() { state_->finish(); }

bool LedgerChecker::ok() const { return state_->problems.empty(); }
const std::vector<Problem>& LedgerChecker::problems() const { return state_->problems; }
std::uint64_t LedgerChecker::entries_seen() const { return state_->expected; }
std::uint64_t LedgerChecker::size() const { return state_->frontier.size(); }
Hash LedgerChecker::root() const { return state_->frontier.root(); }
const Frontier& LedgerChecker::frontier() const { return state_->frontier; }
const MerkleTree& LedgerChecker::tree() const { return state_->tree; }
const std::optional<SignedTreeHead>& LedgerChecker::latest_head() const {
  return state_->latest_head;
}
std::uint64_t LedgerChecker::heads_checked() const { return state_->heads_checked; }

VerifyReport LedgerChecker::report() const {
  VerifyReport out;
  out.ok = ok();
  out.entries_checked = state_->expected;
  out.heads_checked = state_->heads_checked;
  out.root = state_->frontier.root();
  out.latest_head = state_->latest_head;
  out.problems = state_->problems;
  return out;
}

VerifyReport verify_export(std::istream& in, const PublicKey& key,
                           std::span<const SignedTreeHead> held_heads) {
  LedgerChecker checker(key, PositionKind::line, /*keep_tree=*/false);
  for (const SignedTreeHead& head : held_heads) checker.add_held_head(head);
  std::optional<ExportHeader> header;
  std::uint64_t line_number = 0;
  std::uint64_t entry_lines = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++line_number;
    if (line_number == 1) {
      auto parsed = parse_export_header(line);
      if (!parsed) {
        checker.add_problem(
            {1, std::nullopt, ProblemKind::header,
             fmt::format("line 1: not a mamori ledger export header: {}", parsed.error().message)});
        continue;
      }
      header = *parsed;
      if (header->key_id != key.key_id()) {
        checker.add_problem(
            {1, std::nullopt, ProblemKind::header,
             fmt::format("line 1: the export is of the ledger with key {} but the public key "
                         "given is {}",
                         header->key_id, key.key_id())});
      }
      continue;
    }
    if (is_tree_head_line(line)) {
      auto head = parse_tree_head_line(line);
      if (!head) {
        checker.add_problem({line_number, std::nullopt, ProblemKind::malformed,
                             fmt::format("line {}: {}", line_number, head.error().message)});
        continue;
      }
      checker.add_head(*head, line_number);
      continue;
    }
    ++entry_lines;
    checker.add_entry(std::move(line), line_number);
    line.clear();
  }
  if (in.bad()) {
    checker.add_problem({line_number, std::nullopt, ProblemKind::malformed,
                         fmt::format("reading failed after line {}", line_number)});
  }
  if (line_number == 0) {
    checker.add_problem({0, std::nullopt, ProblemKind::header, "the export is empty"});
  }
  checker.finish();
  if (header && header->entries != entry_lines) {
    checker.add_problem({1, std::nullopt, ProblemKind::header,
                         fmt::format("line 1: the header announces {} entries but the export "
                                     "has {} entry lines (truncated or edited)",
                                     header->entries, entry_lines)});
  }
  return checker.report();
}

Result<void> verify_consistency_between(const SignedTreeHead& older, const SignedTreeHead& newer,
                                        std::span<const Hash> proof, const PublicKey& key) {
  if (auto valid = verify_tree_head(older, key); !valid) {
    return fail("old head (size {}): {}", older.tree_size, valid.error().message);
  }
  if (auto valid = verify_tree_head(newer, key); !valid) {
    return fail("new head (size {}): {}", newer.tree_size, valid.error().message);
  }
  if (newer.tree_size < older.tree_size) {
    return fail(
        "rollback: the new tree head covers {} entries, fewer than the {} the old head "
        "covers — entries {}–{} were removed (rolled back){}",
        newer.tree_size, older.tree_size, newer.tree_size, older.tree_size - 1,
        newer.timestamp < older.timestamp ? " or the two heads were given swapped" : "");
  }
  if (newer.tree_size == older.tree_size) {
    if (newer.root != older.root) {
      return fail(
          "fork: two validly signed tree heads for size {} have different roots: the "
          "ledger's key signed two different histories",
          newer.tree_size);
    }
    return {};
  }
  if (older.tree_size == 0) {
    if (older.root != empty_tree_root()) {
      return fail("fork: the old head for size 0 does not carry the empty tree's root");
    }
    return {};
  }
  if (auto consistent =
          verify_consistency(older.tree_size, newer.tree_size, older.root, newer.root, proof);
      !consistent) {
    return fail(
        "fork: the tree of the new head (size {}) does not extend the tree of the old "
        "head (size {}) — a different history, or a corrupted proof ({})",
        newer.tree_size, older.tree_size, consistent.error().message);
  }
  if (newer.timestamp < older.timestamp) {
    return fail("new head (size {}): its timestamp {} is earlier than the old head's {}",
                newer.tree_size, format_rfc3339_micros(newer.timestamp),
                format_rfc3339_micros(older.timestamp));
  }
  return {};
}

}  // namespace mamori::ledger
