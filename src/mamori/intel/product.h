#pragma once
// intel/product: an intelligence product (総合整理分析情報) as labelled parts and audience
// notes, and its three tiers (invariant I8). A product is written once at T1; sanitizer.h
// derives T2/T3 from it. Every part and note carries provenance labels (provenance.h).
//
//   T1 総合整理分析情報          any labels
//   T2 提供用総合整理分析情報    no comm_info unless also shareable
//   T3 周知等用総合整理分析情報  additionally no secret
//
// Part values are validated by kind (an indicator's address, a CVE id, an ATT&CK id); errors
// name the product, the part and the kind, never the value (it may be a real address).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/intel/provenance.h"

namespace mamori::intel {

enum class Tier { t1, t2, t3 };
std::string_view to_string(Tier tier);      // "T1", "T2", "T3"
std::string_view japanese_name(Tier tier);  // "総合整理分析情報", …
Result<Tier> parse_tier(std::string_view text);

enum class PartKind {
  indicator,         // an ip, cidr, domain, url or file hash
  finding,           // a reference to an analysis finding (analysis module), e.g. its id
  incident_summary,  // a summary of a reported incident (registry)
  attack_technique,  // a MITRE ATT&CK technique id, "T1071" or "T1071.001"
  vulnerability,     // a CVE id
  text,              // free text
};
std::string_view to_string(PartKind kind);
Result<PartKind> parse_part_kind(std::string_view text);

enum class IndicatorType { ip, cidr, domain, url, hash };
std::string_view to_string(IndicatorType type);
Result<IndicatorType> parse_indicator_type(std::string_view text);

struct Part {
  std::string id = {};  // unique within the product, e.g. "c2-address"
  PartKind kind = PartKind::text;
  IndicatorType indicator_type = IndicatorType::ip;  // indicators only
  std::string value = {};
  Labels labels = {};
  // The product makes no sense without it: a derivation that would have to drop it fails.
  bool essential = false;
  // The author allows an ip/cidr indicator that may not appear as is to be reduced to its
  // network prefix (/24, /48 by default) instead of being dropped.
  bool generalisable = false;
  // Vulnerabilities: the vendor (organisation id) concerned and, for a pre-disclosure
  // vulnerability, the date until which the vendor must not disclose it.
  std::string vendor = {};
  std::optional<Timestamp> embargo_until = {};
};

enum class Audience { technical, strategic };
std::string_view to_string(Audience audience);
Result<Audience> parse_audience(std::string_view text);

// Technical notes are for analysts (indicators, ATT&CK); strategic notes for executives
// (purpose and background of the attack). Each in English ("en") and Japanese ("ja").
struct AudienceNote {
  Audience audience = Audience::technical;
  std::string language = {};  // "en" or "ja"
  std::string text = {};
  Labels labels = {};
};

struct Product {
  std::string id = {};
  std::uint32_t version = 0;  // 0 until stored; storage numbers versions from 1
  Tier tier = Tier::t1;
  std::string title = {};
  std::string author = {};
  Timestamp created_at = {};
  std::vector<Part> parts = {};
  std::vector<AudienceNote> notes = {};

  const Part* find_part(std::string_view part_id) const;
};

// "product 'apt-x' v2" (or "product 'apt-x'" before it is stored): how errors name a product.
std::string describe(const Product& product);

// Structure and values: ids present and unique, values well-formed for their kind, notes in
// en/ja. A T1 product must have technical and strategic notes in both languages.
Result<void> validate_product(const Product& product);

nlohmann::json part_to_json(const Part& part);
nlohmann::json product_to_json(const Product& product);
// Errors name the field ("product.parts[3].kind: …"); the result is validated.
Result<Product> product_from_json(const nlohmann::json& json);

}  // namespace mamori::intel
