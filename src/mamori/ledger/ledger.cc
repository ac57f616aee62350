#include "mamori/ledger/ledger.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "mamori/ledger/frontier.h"

namespace mamori::ledger {

namespace {

constexpr std::uint64_t kReadChunk = 4096;

Timestamp to_micros(Timestamp t) { return Timestamp::from_micros(t.micros()); }

// Visits stored rows with seq in [from, until) chunk by chunk. A tampered store may have gaps
// or duplicates, so reading goes on past empty chunks up to `until`.
template <class Visit>
Result<void> read_rows(LedgerStorage& storage, std::uint64_t from, std::uint64_t until,
                       Visit&& visit) {
  for (std::uint64_t at = from; at < until; at += kReadChunk) {
    auto rows = storage.read(at, std::min(kReadChunk, until - at));
    if (!rows) return fail("ledger: reading entries from seq {}: {}", at, rows.error().message);
    for (StoredLeaf& row : *rows) visit(row);
  }
  return {};
}

std::uint64_t max_tree_size(const std::vector<SignedTreeHead>& heads) {
  std::uint64_t size = 0;
  for (const auto& head : heads) size = std::max(size, head.tree_size);
  return size;
}

// How many rows to read: everything stored, and at least as far as the heads claim, so that
// the verifier sees both deleted rows and rows appended without a head.
Result<std::uint64_t> rows_to_read(LedgerStorage& storage, std::uint64_t heads_size) {
  auto size = storage.size();
  if (!size) return fail("ledger: reading the size: {}", size.error().message);
  return std::max(*size, heads_size);
}

}  // namespace

std::string describe_problems(std::span<const Problem> problems, std::size_t max_listed) {
  std::string out;
  const std::size_t listed = std::min(problems.size(), max_listed);
  for (std::size_t i = 0; i < listed; ++i) {
    if (i > 0) out += "; ";
    out += problems[i].message;
  }
  if (problems.size() > listed) out += fmt::format("; and {} more", problems.size() - listed);
  return out;
}

struct Ledger::State {
  State(LedgerStorage& storage_in, const PublicKey& key_in, const SigningKey* signer_in)
      : storage(&storage_in),
        signer(signer_in),
        key(key_in),
        checker(key_in, PositionKind::row, /*keep_tree=*/true) {}

  LedgerStorage* storage;
  const SigningKey* signer;
  PublicKey key;
  LedgerChecker checker;
  std::uint64_t heads_seen_up_to = 0;  // largest stored head size given to the checker
  bool any_head_seen = false;

  Result<void> checked(std::string_view what) const {
    if (checker.ok()) return {};
    return fail("ledger: {} does not verify: {}", what, describe_problems(checker.problems()));
  }

  // Gives the checker the stored heads it has not seen, then the rows from its current size
  // on (all stored rows at open, to catch rows appended without a head; only those the heads
  // cover on refresh), then finishes.
  Result<void> read_new(bool all_rows) {
    auto heads = add_new_heads();
    if (!heads) return fail(heads.error());
    std::uint64_t until = *heads;
    if (all_rows) {
      auto rows = rows_to_read(*storage, until);
      if (!rows) return fail(rows.error());
      until = *rows;
    }
    std::uint64_t rows_end = 0;
    auto read = read_rows(*storage, checker.entries_seen(), until, [&](StoredLeaf& row) {
      rows_end = std::max(rows_end, row.seq + 1);
      checker.add_entry(std::move(row.leaf), row.seq);
    });
    if (!read) return read;
    // Rows beyond the heads read first: a writer may have committed meanwhile, and its head
    // is stored by now.
    if (rows_end > heads_seen_up_to) {
      if (auto again = add_new_heads(); !again) return fail(again.error());
    }
    checker.finish();
    return {};
  }

  // Returns the largest stored tree size.
  Result<std::uint64_t> add_new_heads() {
    auto heads = storage->tree_heads();
    if (!heads) return fail("ledger: reading tree heads: {}", heads.error().message);
    for (const SignedTreeHead& head : *heads) {
      if (head.tree_size > heads_seen_up_to || (!any_head_seen && head.tree_size == 0)) {
        checker.add_head(head, head.tree_size);
      }
    }
    any_head_seen = any_head_seen || !heads->empty();
    heads_seen_up_to = std::max(heads_seen_up_to, max_tree_size(*heads));
    return max_tree_size(*heads);
  }
};

Ledger::Ledger(std::unique_ptr<State> state) : state_(std::move(state)) {}
Ledger::Ledger(Ledger&&) noexcept = default;
Ledger& Ledger::operator=(Ledger&&) noexcept = default;
Ledger::~Ledger() = default;

Result<Ledger> Ledger::open(LedgerStorage& storage, const SigningKey& signer,
                            std::span<const SignedTreeHead> held_heads) {
  return open_with(storage, signer.public_key(), &signer, held_heads);
}

Result<Ledger> Ledger::open(LedgerStorage& storage, const SigningKey* signer,
                            std::span<const SignedTreeHead> held_heads) {
  if (signer == nullptr) {
    return fail(
        "ledger: opening read-only needs the ledger's public key to check its heads "
        "(Ledger::open(storage, public_key))");
  }
  return open(storage, *signer, held_heads);
}

Result<Ledger> Ledger::open(LedgerStorage& storage, const PublicKey& key,
                            std::span<const SignedTreeHead> held_heads) {
  return open_with(storage, key, nullptr, held_heads);
}

Result<Ledger> Ledger::open_with(LedgerStorage& storage, const PublicKey& key,
                                 const SigningKey* signer,
                                 std::span<const SignedTreeHead> held_heads) {
  auto state = std::make_unique<State>(storage, key, signer);
  for (const SignedTreeHead& head : held_heads) state->checker.add_held_head(head);
  if (auto read = state->read_new(/*all_rows=*/true); !read) return fail(read.error());
  if (auto ok = state->checked("the stored ledger"); !ok) {
    return fail("{} — refusing to open it", ok.error().message);
  }
  return Ledger(std::move(state));
}

Result<void> Ledger::refresh() {
  if (auto read = state_->read_new(/*all_rows=*/false); !read) return read;
  return state_->checked("what another writer appended to the ledger");
}

Result<LedgerEntry> Ledger::append(std::string type, nlohmann::json body, Timestamp at) {
  std::vector<NewEntry> one;
  one.push_back(NewEntry{std::move(type), std::move(body), at});
  auto written = append_batch(std::move(one));
  if (!written) return fail(written.error());
  return std::move(written->front());
}

Result<std::vector<LedgerEntry>> Ledger::append_batch(std::vector<NewEntry> batch) {
  if (state_->signer == nullptr) return fail("ledger: opened read-only (no signing key)");
  if (batch.empty()) return std::vector<LedgerEntry>{};
  if (auto ok = state_->checked("the ledger"); !ok) return fail(ok.error());
  Timestamp newest = {};
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].type.empty()) return fail("ledger: entry {} of the batch has an empty type", i);
    if (!batch[i].body.is_object()) {
      return fail("ledger: entry {} of the batch ('{}'): body must be a JSON object", i,
                  batch[i].type);
    }
    batch[i].at = to_micros(batch[i].at);
    newest = std::max(newest, batch[i].at);
  }
  for (int attempt = 0; attempt < kMaxAppendAttempts; ++attempt) {
    const std::uint64_t base = state_->checker.size();
    Frontier frontier = state_->checker.frontier();
    std::vector<LedgerEntry> entries;
    std::vector<StoredLeaf> leaves;
    std::vector<Hash> hashes;
    entries.reserve(batch.size());
    leaves.reserve(batch.size());
    hashes.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      LedgerEntry entry{base + i, batch[i].at, batch[i].type, batch[i].body, frontier.root()};
      std::string leaf;
      try {
        leaf = canonical_leaf(entry);
      } catch (const nlohmann::json::exception&) {
        return fail("ledger: entry {} of the batch ('{}'): body is not valid UTF-8", i, entry.type);
      }
      hashes.push_back(hash_leaf(leaf));
      frontier.push(hashes.back());
      leaves.push_back(StoredLeaf{entry.seq, std::move(leaf)});
      entries.push_back(std::move(entry));
    }
    Timestamp signed_at = newest;
    if (const auto& latest = latest_head(); latest && latest->timestamp > signed_at) {
      signed_at = latest->timestamp;
    }
    const SignedTreeHead head =
        sign_tree_head(*state_->signer, frontier.size(), frontier.root(), signed_at);
    auto written = state_->storage->append(base, leaves, &head);
    if (!written) {
      return fail("ledger: appending entries {}–{}: {}", base, base + batch.size() - 1,
                  written.error().message);
    }
    if (*written) {
      state_->checker.add_head(head, head.tree_size);
      for (std::size_t i = 0; i < leaves.size(); ++i) {
        state_->checker.add_built_entry(std::move(leaves[i].leaf), entries[i], hashes[i],
                                        leaves[i].seq);
      }
      state_->checker.finish();
      state_->heads_seen_up_to = head.tree_size;
      state_->any_head_seen = true;
      if (auto ok = state_->checked("the ledger after appending"); !ok) return fail(ok.error());
      return entries;
    }
    // Another writer appended first: verify what it wrote, then build on it.
    if (auto fresh = refresh(); !fresh) return fail(fresh.error());
  }
  return fail("ledger: other writers kept appending first; gave up after {} attempts",
              kMaxAppendAttempts);
}

Result<SignedTreeHead> Ledger::sign_head_now(Timestamp at) {
  if (state_->signer == nullptr) return fail("ledger: opened read-only (no signing key)");
  if (auto ok = state_->checked("the ledger"); !ok) return fail(ok.error());
  for (int attempt = 0; attempt < kMaxAppendAttempts; ++attempt) {
    // One head per tree size (the storage keeps them by size): a tree that already has a
    // signed head is answered with it.
    if (const auto& latest = latest_head(); latest && latest->tree_size == size()) {
      if (auto fresh = refresh(); !fresh) return fail(fresh.error());
      if (latest_head() && latest_head()->tree_size == size()) return *latest_head();
      continue;
    }
    Timestamp signed_at = to_micros(at);
    if (const auto& latest = latest_head(); latest && latest->timestamp > signed_at) {
      signed_at = latest->timestamp;
    }
    const SignedTreeHead head = sign_tree_head(*state_->signer, size(), root(), signed_at);
    auto written = state_->storage->append(size(), {}, &head);
    if (!written) return fail("ledger: storing a tree head: {}", written.error().message);
    if (*written) {
      state_->checker.add_head(head, head.tree_size);
      state_->checker.finish();
      state_->heads_seen_up_to = std::max(state_->heads_seen_up_to, head.tree_size);
      state_->any_head_seen = true;
      if (auto ok = state_->checked("the ledger after signing"); !ok) return fail(ok.error());
      return head;
    }
    if (auto fresh = refresh(); !fresh) return fail(fresh.error());
  }
  return fail("ledger: other writers kept appending first; gave up after {} attempts",
              kMaxAppendAttempts);
}

std::uint64_t Ledger::size() const { return state_->checker.size(); }
Hash Ledger::root() const { return state_->checker.root(); }
const std::optional<SignedTreeHead>& Ledger::latest_head() const {
  return state_->checker.latest_head();
}
const PublicKey& Ledger::public_key() const { return state_->key; }
bool Ledger::read_only() const { return state_->signer == nullptr; }

Result<std::vector<LedgerEntry>> Ledger::entries(std::uint64_t from, std::uint64_t count) {
  std::vector<LedgerEntry> out;
  if (from >= size() || count == 0) return out;
  const std::uint64_t until = from + std::min(count, size() - from);
  const MerkleTree& tree = state_->checker.tree();
  std::optional<Error> error;
  auto read = read_rows(*state_->storage, from, until, [&](StoredLeaf& row) {
    if (error) return;
    if (row.seq < from || row.seq >= until || row.seq != from + out.size() ||
        hash_leaf(row.leaf) != tree.leaf_hash(row.seq)) {
      error =
          Error{fmt::format("ledger: stored row {} no longer matches the ledger verified "
                            "when it was opened (altered since)",
                            row.seq)};
      return;
    }
    auto entry = parse_leaf(row.leaf);
    if (!entry) {
      error = Error{fmt::format("ledger: entry {}: {}", row.seq, entry.error().message)};
      return;
    }
    out.push_back(std::move(*entry));
  });
  if (!read) return fail(read.error());
  if (error) return fail(std::move(*error));
  if (out.size() != until - from) {
    return fail(
        "ledger: entries {}–{} are no longer all stored (removed since the ledger was "
        "opened)",
        from, until - 1);
  }
  return out;
}

Result<std::vector<Hash>> Ledger::inclusion_proof(std::uint64_t seq,
                                                  std::uint64_t tree_size) const {
  return state_->checker.tree().inclusion_proof(seq, tree_size);
}

Result<std::vector<Hash>> Ledger::consistency_proof(std::uint64_t old_size,
                                                    std::uint64_t new_size) const {
  if (old_size == 0 && new_size <= size()) return std::vector<Hash>{};
  return state_->checker.tree().consistency_proof(old_size, new_size);
}

Result<ConsistencyProofFile> Ledger::consistency_proof_json(std::uint64_t old_size) {
  const auto& latest = latest_head();
  if (!latest) return fail("ledger: no signed tree head yet");
  auto heads = state_->storage->tree_heads();
  if (!heads) return fail("ledger: reading tree heads: {}", heads.error().message);
  const SignedTreeHead* old_head = nullptr;
  for (const SignedTreeHead& head : *heads) {
    if (head.tree_size == old_size) old_head = &head;  // the latest head of that size
  }
  if (old_head == nullptr) {
    return fail("ledger: no signed tree head of size {} is stored (the latest covers {})", old_size,
                latest->tree_size);
  }
  if (old_size > latest->tree_size) {
    return fail("ledger: the stored head of size {} is beyond the verified ledger (size {})",
                old_size, latest->tree_size);
  }
  auto proof = consistency_proof(old_size, latest->tree_size);
  if (!proof) return fail(proof.error());
  return ConsistencyProofFile{*old_head, *latest, std::move(*proof)};
}

Result<std::uint64_t> export_storage(LedgerStorage& storage, const PublicKey& key,
                                     std::ostream& out, Timestamp exported_at) {
  auto heads = storage.tree_heads();
  if (!heads) return fail("ledger: reading tree heads: {}", heads.error().message);
  auto until = rows_to_read(storage, max_tree_size(*heads));
  if (!until) return fail(until.error());
  // Rows are exported exactly as stored, tampered or not: judging them is the verifier's job.
  std::vector<StoredLeaf> rows;
  auto read =
      read_rows(storage, 0, *until, [&](StoredLeaf& row) { rows.push_back(std::move(row)); });
  if (!read) return fail(read.error());
  if (rows.size() > max_tree_size(*heads)) {
    // A writer may have committed between reading the heads and the rows.
    auto again = storage.tree_heads();
    if (!again) return fail("ledger: reading tree heads: {}", again.error().message);
    heads = std::move(again);
  }
  ExportHeader header{kExportVersion, key.key_id(), exported_at, rows.size()};
  ExportWriter writer(out, header, std::move(*heads));
  for (const StoredLeaf& row : rows) writer.write_entry(row.leaf);
  if (auto finished = writer.finish(); !finished) return fail(finished.error());
  return rows.size();
}

Result<void> Ledger::export_jsonl(std::ostream& out, Timestamp exported_at) {
  auto exported = export_storage(*state_->storage, state_->key, out, exported_at);
  if (!exported) return fail(exported.error());
  return {};
}

}  // namespace mamori::ledger
