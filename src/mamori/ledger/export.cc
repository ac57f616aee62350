#include "mamori/ledger/export.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

namespace mamori::ledger {

namespace {

using nlohmann::json;

constexpr std::string_view kTreeHeadPrefix = R"({"tree_head":)";

// Parses one JSON object without exceptions; the error says which thing was not JSON.
Result<json> parse_object(std::string_view text, std::string_view what) {
  json value = json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return fail("{}: not valid JSON", what);
  if (!value.is_object()) return fail("{}: not a JSON object", what);
  return value;
}

Result<std::string> string_field(const json& object, std::string_view field,
                                 std::string_view what) {
  auto it = object.find(field);
  if (it == object.end()) return fail("{}: field '{}' is missing", what, field);
  if (!it->is_string()) return fail("{}: field '{}' must be a string", what, field);
  return it->get<std::string>();
}

Result<std::uint64_t> unsigned_field(const json& object, std::string_view field,
                                     std::string_view what) {
  auto it = object.find(field);
  if (it == object.end()) return fail("{}: field '{}' is missing", what, field);
  if (!it->is_number_unsigned()) {
    return fail("{}: field '{}' must be a non-negative integer", what, field);
  }
  return it->get<std::uint64_t>();
}

Result<SignedTreeHead> head_field(const json& object, std::string_view field,
                                  std::string_view what) {
  auto it = object.find(field);
  if (it == object.end()) return fail("{}: field '{}' is missing", what, field);
  if (!it->is_object()) return fail("{}: field '{}' must be a tree head object", what, field);
  auto head = tree_head_from_json(*it);
  if (!head) return fail("{}: field '{}': {}", what, field, head.error().message);
  return *head;
}

}  // namespace

std::string export_header_line(const ExportHeader& header) {
  json line = {{"kind", kExportKind},
               {"version", header.version},
               {"key_id", header.key_id},
               {"exported_at", format_rfc3339_micros(header.exported_at)},
               {"entries", header.entries}};
  return line.dump();
}

Result<ExportHeader> parse_export_header(std::string_view line) {
  constexpr std::string_view kWhat = "export header";
  auto object = parse_object(line, kWhat);
  if (!object) return fail(object.error());
  auto kind = string_field(*object, "kind", kWhat);
  if (!kind) return fail(kind.error());
  if (*kind != kExportKind) {
    return fail("{}: kind is '{}', expected '{}'", kWhat, *kind, kExportKind);
  }
  auto version = unsigned_field(*object, "version", kWhat);
  if (!version) return fail(version.error());
  if (*version != static_cast<std::uint64_t>(kExportVersion)) {
    return fail("{}: unsupported version {} (this verifier reads version {})", kWhat, *version,
                kExportVersion);
  }
  ExportHeader header;
  auto key_id = string_field(*object, "key_id", kWhat);
  if (!key_id) return fail(key_id.error());
  header.key_id = *key_id;
  auto exported_at = string_field(*object, "exported_at", kWhat);
  if (!exported_at) return fail(exported_at.error());
  auto at = parse_rfc3339(*exported_at);
  if (!at) return fail("{}: field 'exported_at': {}", kWhat, at.error().message);
  header.exported_at = *at;
  auto entries = unsigned_field(*object, "entries", kWhat);
  if (!entries) return fail(entries.error());
  header.entries = *entries;
  return header;
}

std::string tree_head_line(const SignedTreeHead& head) {
  return json{{"tree_head", tree_head_to_json(head)}}.dump();
}

bool is_tree_head_line(std::string_view line) { return line.starts_with(kTreeHeadPrefix); }

Result<SignedTreeHead> parse_tree_head_line(std::string_view line) {
  auto object = parse_object(line, "tree head line");
  if (!object) return fail(object.error());
  if (object->size() != 1) return fail("tree head line: expected only the field 'tree_head'");
  return head_field(*object, "tree_head", "tree head line");
}

Result<SignedTreeHead> parse_tree_head_text(std::string_view text) {
  auto object = parse_object(text, "tree head");
  if (!object) return fail(object.error());
  if (object->contains("tree_head")) return head_field(*object, "tree_head", "tree head");
  auto head = tree_head_from_json(*object);
  if (!head) return fail("tree head: {}", head.error().message);
  return *head;
}

ExportWriter::ExportWriter(std::ostream& out, const ExportHeader& header,
                           std::vector<SignedTreeHead> heads)
    : out_(&out), expected_entries_(header.entries), heads_(std::move(heads)) {
  std::stable_sort(heads_.begin(), heads_.end(),
                   [](const auto& a, const auto& b) { return a.tree_size < b.tree_size; });
  *out_ << export_header_line(header) << '\n';
  write_heads_up_to(0);
}

void ExportWriter::write_heads_up_to(std::uint64_t tree_size) {
  while (next_head_ < heads_.size() && heads_[next_head_].tree_size <= tree_size) {
    *out_ << tree_head_line(heads_[next_head_]) << '\n';
    ++next_head_;
  }
}

void ExportWriter::write_entry(std::string_view leaf) {
  *out_ << leaf << '\n';
  ++written_;
  write_heads_up_to(written_);
}

Result<void> ExportWriter::finish() {
  // Heads beyond the entries (a store that lost rows) are written too: they are the evidence.
  write_heads_up_to(std::numeric_limits<std::uint64_t>::max());
  out_->flush();
  if (!*out_) return fail("ledger export: writing failed after {} entries", written_);
  if (written_ != expected_entries_) {
    return fail("ledger export: wrote {} entries but the header announced {}", written_,
                expected_entries_);
  }
  return {};
}

std::string consistency_proof_to_json(const ConsistencyProofFile& file) {
  json proof = json::array();
  for (const Hash& hash : file.proof) proof.push_back(hash_to_hex(hash));
  json object = {{"kind", kConsistencyProofKind},
                 {"version", kConsistencyProofVersion},
                 {"old", tree_head_to_json(file.old_head)},
                 {"new", tree_head_to_json(file.new_head)},
                 {"proof", std::move(proof)}};
  return object.dump();
}

Result<ConsistencyProofFile> parse_consistency_proof_json(std::string_view text) {
  constexpr std::string_view kWhat = "consistency proof";
  auto object = parse_object(text, kWhat);
  if (!object) return fail(object.error());
  auto kind = string_field(*object, "kind", kWhat);
  if (!kind) return fail(kind.error());
  if (*kind != kConsistencyProofKind) {
    return fail("{}: kind is '{}', expected '{}'", kWhat, *kind, kConsistencyProofKind);
  }
  auto version = unsigned_field(*object, "version", kWhat);
  if (!version) return fail(version.error());
  if (*version != static_cast<std::uint64_t>(kConsistencyProofVersion)) {
    return fail("{}: unsupported version {} (this verifier reads version {})", kWhat, *version,
                kConsistencyProofVersion);
  }
  ConsistencyProofFile file;
  auto old_head = head_field(*object, "old", kWhat);
  if (!old_head) return fail(old_head.error());
  file.old_head = *old_head;
  auto new_head = head_field(*object, "new", kWhat);
  if (!new_head) return fail(new_head.error());
  file.new_head = *new_head;
  auto proof = object->find("proof");
  if (proof == object->end()) return fail("{}: field 'proof' is missing", kWhat);
  if (!proof->is_array()) return fail("{}: field 'proof' must be an array", kWhat);
  for (std::size_t i = 0; i < proof->size(); ++i) {
    const json& item = (*proof)[i];
    if (!item.is_string()) return fail("{}: proof[{}] must be a hex string", kWhat, i);
    auto hash = hash_from_hex(item.get<std::string>());
    if (!hash) return fail("{}: proof[{}]: {}", kWhat, i, hash.error().message);
    file.proof.push_back(*hash);
  }
  return file;
}

}  // namespace mamori::ledger
