#pragma once
// governance/signed_document: what every document the overseer signs has in common (approvals,
// re-identification grants): the domain-separated signed message, the signer check that tells
// a foreign signer from a document changed after signing, reading the small JSON file, and the
// text rules for ids and values shown in messages. Each document keeps its own fields, its own
// checks and its own bilingual messages; only the mechanics live here, so they are written once.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/ledger/keys.h"

namespace mamori::governance::detail {

// 1..max_length characters of A-Z a-z 0-9 . _ : -
bool is_identifier(std::string_view text, std::size_t max_length);
bool is_lower_hex(std::string_view text, std::size_t length);
bool has_control_characters(std::string_view text);
// Text from a file shown in a message: itself if short, printable UTF-8, else "(unprintable)".
std::string_view printable(std::string_view text);
// An id read from a file may be anything; messages show it only when it is a plain id.
std::string shown_id(std::string_view id);
// Whole seconds when the time has no fraction, else microseconds.
std::string shown_time(Timestamp t);
// Drops what the JSON form cannot carry (sub-microsecond time), so a signed document in memory
// is exactly what its file will say.
Timestamp to_micros(Timestamp t);

// `domain` NUL ‖ `canonical`: the domain keeps a signature over one kind of document from ever
// verifying as another.
std::string domain_message(std::string_view domain, std::string_view canonical);

// An error unless `key` is the overseer's; `action` completes "only the overseer's key can …".
Result<void> require_overseer_key(const ledger::SigningKey& key, std::string_view action);

enum class SignerCheck {
  ok,
  bad_key_id,       // overseer_key_id is not 16 lowercase hex digits
  untrusted_role,   // the key trusted to check is not an overseer key
  signer,           // does not verify, and names another key: a foreign signer
  signature,        // does not verify, and names the trusted key: changed after signing
  key_id_mismatch,  // verifies, but overseer_key_id (outside the signed message) is wrong
};
// Only the trusted key is used to verify; the key id the document names only explains a failure.
SignerCheck check_signer(const ledger::PublicKey& trusted, std::string_view overseer_key_id,
                         std::string_view message, const ledger::Signature& signature);

// Reads and parses one small JSON document. Errors start with the path and say what it should
// have been ("PATH: cannot read the approval file: …", "PATH: not valid JSON (at byte N)");
// they never quote the file's text.
Result<nlohmann::json> read_json_document(const std::string& path, std::string_view what,
                                          std::uintmax_t max_bytes);

}  // namespace mamori::governance::detail
