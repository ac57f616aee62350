#include "mamori/governance/signed_document.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "mamori/governance/json_fields.h"

namespace mamori::governance::detail {

bool is_identifier(std::string_view text, std::size_t max_length) {
  return !text.empty() && text.size() <= max_length &&
         text.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
             "._:-") == std::string_view::npos;
}

bool is_lower_hex(std::string_view text, std::size_t length) {
  return text.size() == length && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool has_control_characters(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

std::string_view printable(std::string_view text) {
  if (text.size() > 64 || !is_valid_utf8(text) || has_control_characters(text)) {
    return "(unprintable)";
  }
  return text;
}

std::string shown_id(std::string_view id) {
  return is_identifier(id, 128) ? std::string(id) : std::string("(invalid id)");
}

std::string shown_time(Timestamp t) {
  return t.nanos % 1'000'000'000 == 0 ? format_rfc3339_seconds(t) : format_rfc3339_micros(t);
}

Timestamp to_micros(Timestamp t) {
  std::int64_t rest = t.nanos % 1000;
  if (rest < 0) rest += 1000;
  return {t.nanos - rest};
}

std::string domain_message(std::string_view domain, std::string_view canonical) {
  std::string message(domain);
  message.push_back('\0');
  message += canonical;
  return message;
}

Result<void> require_overseer_key(const ledger::SigningKey& key, std::string_view action) {
  const ledger::PublicKey& public_key = key.public_key();
  if (public_key.role == ledger::KeyRole::overseer) return {};
  return fail("key {} is a {} key; only the overseer's key can {} / 監理委員会の鍵ではありません",
              public_key.key_id(), ledger::to_string(public_key.role), action);
}

SignerCheck check_signer(const ledger::PublicKey& trusted, std::string_view overseer_key_id,
                         std::string_view message, const ledger::Signature& signature) {
  if (!is_lower_hex(overseer_key_id, 16)) return SignerCheck::bad_key_id;
  if (trusted.role != ledger::KeyRole::overseer) return SignerCheck::untrusted_role;
  const std::string trusted_id = trusted.key_id();
  if (!ledger::verify_signature(trusted, message, signature)) {
    return overseer_key_id != trusted_id ? SignerCheck::signer : SignerCheck::signature;
  }
  if (overseer_key_id != trusted_id) return SignerCheck::key_id_mismatch;
  return SignerCheck::ok;
}

Result<nlohmann::json> read_json_document(const std::string& path, std::string_view what,
                                          std::uintmax_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail("{}: cannot read the {} file: {}", path, what, ec.message());
  if (size > max_bytes) return fail("{}: {} bytes is too large for the {} file", path, size, what);
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("{}: cannot open the {} file", path, what);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return fail("{}: error while reading the {} file", path, what);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // The position only: the message of a parse error quotes the text it stopped at.
    const auto* parse_error = dynamic_cast<const nlohmann::json::parse_error*>(&e);
    return fail("{}: not valid JSON (at byte {})", path, parse_error ? parse_error->byte : 0);
  }
}

}  // namespace mamori::governance::detail
