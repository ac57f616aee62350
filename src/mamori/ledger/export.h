#pragma once
// ledger/export: the file formats the overseer receives — a ledger export and a consistency
// proof — and the tree head files both sides pass around. Written by the Ledger, read by the
// verifier (verify.h) and by mamori-verify, which has no access to any store.
//
// Ledger export, version 1 (JSON lines, UTF-8, each line ends with "\n"):
//   line 1   {"entries":N,"exported_at":"RFC 3339 µs","key_id":"…","kind":"mamori-ledger-export",
//             "version":1}
//   then     every entry's canonical leaf (entry.h), byte for byte as stored, in seq order;
//            a verifier hashes these lines exactly (only the trailing "\n" is not part of a leaf)
//   and      {"tree_head":{…tree_head_to_json…}} right after the entry that completes the head's
//            tree_size (a head of size 0 right after the header), ascending tree_size; heads
//            of a larger size than there are entries (a store that lost rows) at the end.
// The header is not signed: it only says what the exporter meant to write (key, entry count)
// so that a truncated file is noticed. Everything the verifier trusts comes from the entries
// themselves and from signed tree heads.
//
// Consistency proof file, version 1 (one JSON object):
//   {"kind":"mamori-consistency-proof","version":1,"old":{head},"new":{head},
//    "proof":["<64 hex>",…]}   proof = RFC 9162 §2.1.4.1 PROOF(old.tree_size, D[0:new.tree_size])
//
// Tree head file (mamori-verify --head/--old/--new): a head object as tree_head_to_json writes
// it, or an export's {"tree_head":{…}} line.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/ledger/merkle.h"
#include "mamori/ledger/tree_head.h"

namespace mamori::ledger {

inline constexpr std::string_view kExportKind = "mamori-ledger-export";
inline constexpr int kExportVersion = 1;
inline constexpr std::string_view kConsistencyProofKind = "mamori-consistency-proof";
inline constexpr int kConsistencyProofVersion = 1;

struct ExportHeader {
  int version = kExportVersion;
  std::string key_id = {};
  Timestamp exported_at = {};
  std::uint64_t entries = 0;
};

std::string export_header_line(const ExportHeader& header);  // no trailing "\n"
// Errors name the field; a version other than kExportVersion is an error.
Result<ExportHeader> parse_export_header(std::string_view line);

std::string tree_head_line(const SignedTreeHead& head);  // {"tree_head":{…}}, no "\n"
// True for lines that claim to be tree heads (start with {"tree_head":); everything else in
// the body of an export claims to be an entry.
bool is_tree_head_line(std::string_view line);
Result<SignedTreeHead> parse_tree_head_line(std::string_view line);
// A head file: a bare head object or a {"tree_head":{…}} line; surrounding whitespace is fine.
Result<SignedTreeHead> parse_tree_head_text(std::string_view text);

// Streams an export: the header and size-0 heads at construction, then each entry followed
// by the heads whose tree_size it completes. Heads are taken in any order.
class ExportWriter {
 public:
  ExportWriter(std::ostream& out, const ExportHeader& header, std::vector<SignedTreeHead> heads);
  void write_entry(std::string_view leaf);
  // Writes the heads no written entry completed (a store that lost rows: they are the
  // evidence). Error if the stream failed or the entry count differs from the header.
  Result<void> finish();

 private:
  void write_heads_up_to(std::uint64_t tree_size);

  std::ostream* out_;
  std::uint64_t expected_entries_;
  std::vector<SignedTreeHead> heads_;  // ascending tree_size
  std::size_t next_head_ = 0;
  std::uint64_t written_ = 0;
};

struct ConsistencyProofFile {
  SignedTreeHead old_head = {};
  SignedTreeHead new_head = {};
  std::vector<Hash> proof = {};
};

std::string consistency_proof_to_json(const ConsistencyProofFile& file);  // one line, no "\n"
// Errors name the field (e.g. "proof[3]: hash: expected 64 hex digits").
Result<ConsistencyProofFile> parse_consistency_proof_json(std::string_view text);

}  // namespace mamori::ledger
