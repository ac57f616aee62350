#pragma once
// Shared fixtures of the intel tests: a T1 product with parts under every label, recipients of
// every class, a temporary directory, and a ledger in an in-memory store.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "mamori/core/ip.h"
#include "mamori/core/time.h"
#include "mamori/intel/dissemination.h"
#include "mamori/intel/product.h"
#include "mamori/intel/provenance.h"
#include "mamori/ledger/keys.h"
#include "mamori/ledger/ledger.h"
#include "mamori/store/ledger_storage.h"
#include "support/temp_dir.h"

namespace mamori::intel::testing {

inline const Timestamp kT0 = Timestamp::from_seconds(1'790'000'000);
// Pre-disclosure embargo of the sample's vulnerability: 90 days after kT0.
inline constexpr std::int64_t kEmbargoSeconds = 90LL * 86400;
inline Timestamp later(std::int64_t seconds) { return kT0 + Duration::seconds(seconds); }

// Values that must never leave T1 in the clear (documentation ranges, RFC 5737 / 3849).
inline constexpr const char* kCommInfoAddress = "203.0.113.45";
inline constexpr const char* kVictimAddress = "198.51.100.7";
inline constexpr const char* kFindingRef = "finding-comm-4711";
inline constexpr const char* kSecretIncident = "Operator Kanto Power reported intrusion INC-SECRET";
inline constexpr const char* kSecretActivity = "ATTACKER-DETAIL: lateral movement via jump host";
inline constexpr const char* kEmbargoedCve = "CVE-2026-12345";
inline constexpr const char* kCommInfoNote = "NOTE-COMMINFO beacon seen every 60s";

inline Labels labels(std::string_view text) {
  auto parsed = parse_labels(text);
  if (!parsed) throw std::runtime_error(parsed.error().message);
  return *parsed;
}

inline Part part(std::string id, PartKind kind, std::string value, std::string_view label_text) {
  Part p;
  p.id = std::move(id);
  p.kind = kind;
  p.value = std::move(value);
  p.labels = labels(label_text);
  return p;
}

inline Part indicator(std::string id, IndicatorType type, std::string value,
                      std::string_view label_text) {
  Part p = part(std::move(id), PartKind::indicator, std::move(value), label_text);
  p.indicator_type = type;
  return p;
}

inline AudienceNote note(Audience audience, std::string language, std::string text,
                         std::string_view label_text = "") {
  return {audience, std::move(language), std::move(text), labels(label_text)};
}

// A T1 product with parts under every label; nothing essential (tests mark what they need).
inline Product sample_product() {
  Product product;
  product.id = "apt-sample";
  product.title = "Beaconing to a C2 server in 203.0.113.0/24";
  product.author = "analyst-1";
  product.created_at = kT0;
  Part c2 = indicator("c2-address", IndicatorType::ip, kCommInfoAddress, "comm_info");
  c2.generalisable = true;
  product.parts.push_back(c2);
  product.parts.push_back(
      indicator("victim-address", IndicatorType::ip, kVictimAddress, "comm_info"));
  product.parts.push_back(
      indicator("shared-c2", IndicatorType::ip, "192.0.2.10", "comm_info,shareable"));
  product.parts.push_back(indicator("c2-domain", IndicatorType::domain, "c2.example.net", ""));
  product.parts.push_back(
      indicator("payload-hash", IndicatorType::hash,
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", ""));
  product.parts.push_back(
      indicator("c2-url", IndicatorType::url, "https://c2.example.net/gate", ""));
  product.parts.push_back(part("technique", PartKind::attack_technique, "T1071.001", ""));
  product.parts.push_back(part("finding", PartKind::finding, kFindingRef, "comm_info"));
  product.parts.push_back(part("incident", PartKind::incident_summary, kSecretIncident, "secret"));
  Part embargoed = part("cve-embargoed", PartKind::vulnerability, kEmbargoedCve, "secret");
  embargoed.vendor = "acme-routers";
  embargoed.embargo_until = later(kEmbargoSeconds);
  product.parts.push_back(embargoed);
  Part published = part("cve-public", PartKind::vulnerability, "CVE-2024-3400", "");
  published.vendor = "acme-routers";
  product.parts.push_back(published);
  product.parts.push_back(
      indicator("partner-ioc", IndicatorType::ip, "2001:db8:1:2::5",
                "provider:jpcert(to=agency|council_member;for=attack-analysis)"));
  product.parts.push_back(part("activity", PartKind::text, kSecretActivity, "secret"));
  product.notes.push_back(note(Audience::technical, "en", "Indicators and T1071.001 beaconing."));
  product.notes.push_back(note(Audience::technical, "ja", "指標と T1071.001 のビーコン通信。"));
  product.notes.push_back(note(Audience::technical, "en", kCommInfoNote, "comm_info"));
  product.notes.push_back(note(Audience::strategic, "en", "A campaign against power utilities."));
  product.notes.push_back(note(Audience::strategic, "ja", "電力事業者を狙った攻撃活動。"));
  return product;
}

// The product as if stored (storage numbers versions from 1).
inline Product stored_sample() {
  Product product = sample_product();
  product.version = 1;
  return product;
}

inline Recipient recipient(std::string id, RecipientClass recipient_class) {
  Recipient r;
  r.id = std::move(id);
  r.name = r.id;
  r.recipient_class = recipient_class;
  return r;
}

inline ProvisionRequest request_for(Recipient r) {
  ProvisionRequest request;
  request.recipient = std::move(r);
  request.legal_basis = "重要電子計算機不正行為被害防止法 (provision of integrated analysis)";
  request.purpose = "attack-analysis";
  request.requested_by = "official-1";
  return request;
}

using TempDir = test_support::TempDir;

// A signed ledger in an in-memory store.
class TestLedger {
 public:
  TestLedger() : key_(ledger::SigningKey::generate(ledger::KeyRole::sensor)) {
    auto storage = store::open_ledger_storage("sqlite::memory:");
    if (!storage) throw std::runtime_error(storage.error().message);
    storage_ = std::move(*storage);
    auto opened = ledger::Ledger::open(*storage_, key_);
    if (!opened) throw std::runtime_error(opened.error().message);
    ledger_ = std::make_unique<ledger::Ledger>(std::move(*opened));
  }
  ledger::Ledger& ledger() { return *ledger_; }
  std::vector<ledger::LedgerEntry> entries() {
    auto all = ledger_->entries(0, ledger_->size());
    if (!all) throw std::runtime_error(all.error().message);
    return *all;
  }

 private:
  ledger::SigningKey key_;
  std::unique_ptr<ledger::LedgerStorage> storage_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

}  // namespace mamori::intel::testing
