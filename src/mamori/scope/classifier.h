#pragma once
// scope/classifier: decides the scope category (FF/FD/DF/DD) of a communication from where its
// two endpoints are, and whether the active authorization admits it. Domestic means: a
// configured override says so, else the country table's country is in the domestic set, else
// (no country: private, reserved or unlisted space) the unknown-address policy. Built once from
// configuration and immutable afterwards; classify() is a few table lookups, no allocation.
// DD is never admitted, whatever the configuration (invariant I3).

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/core/prefix_map.h"
#include "mamori/scope/category.h"
#include "mamori/scope/country.h"
#include "mamori/scope/country_table.h"
#include "mamori/scope/overrides.h"

namespace mamori::scope {

// What an address without a country counts as: `unknown_addresses = "domestic" | "foreign"`.
// Domestic is the default because it is the protective choice: unknown↔domestic is DD, which
// is never processed.
enum class UnknownAddresses : std::uint8_t { Domestic, Foreign };

std::optional<UnknownAddresses> parse_unknown_addresses(std::string_view text);
constexpr std::string_view to_string(UnknownAddresses policy) {
  return policy == UnknownAddresses::Domestic ? "domestic" : "foreign";
}

struct ClassifierOptions {
  std::vector<CountryCode> domestic_countries{kJapan};
  UnknownAddresses unknown_addresses = UnknownAddresses::Domestic;
  CategorySet authorized;  // categories the active authorization covers
  // Under a party agreement (当事者協定) only communications with an endpoint inside the
  // party's prefixes are in scope (I3). Empty: no such restriction.
  std::vector<Prefix> party_prefixes;
};

struct Classification {
  Category category = Category::DD;
  CountryCode initiator_country;  // unknown for private, reserved and unlisted addresses
  CountryCode responder_country;
};

// The same pair seen from the other end: FD ↔ DF; FF and DD stay.
constexpr Category reversed(Category category) {
  if (category == Category::FD) return Category::DF;
  if (category == Category::DF) return Category::FD;
  return category;
}

class Classifier {
 public:
  Classifier(std::shared_ptr<const CountryTable> countries, const Overrides& overrides,
             const ClassifierOptions& options);

  // `initiator` opened the communication (the flow's first packet's source).
  Classification classify(const IpAddress& initiator, const IpAddress& responder) const {
    const Endpoint a = endpoint(initiator);
    const Endpoint b = endpoint(responder);
    return {category_of(a.domestic, b.domestic), a.country, b.country};
  }
  bool is_domestic(const IpAddress& address) const { return endpoint(address).domestic; }

  // Whether the authorization covers the category. Never DD.
  bool admits(Category category) const {
    return category != Category::DD && authorized_.contains(category);
  }

  const CategorySet& authorized() const { return authorized_; }
  // Whether a communication between `a` and `b` is within the agreement party's prefixes
  // (always true when the authorization is not a party agreement).
  bool within_agreement(const IpAddress& a, const IpAddress& b) const {
    return !has_party_ || party_.lookup(a) != PrefixMap::kNoValue ||
           party_.lookup(b) != PrefixMap::kNoValue;
  }
  bool restricted_to_party() const { return has_party_; }
  UnknownAddresses unknown_addresses() const {
    return unknown_domestic_ ? UnknownAddresses::Domestic : UnknownAddresses::Foreign;
  }
  const CountryTable& countries() const { return *countries_; }

 private:
  struct Endpoint {
    CountryCode country;
    bool domestic;
  };

  Endpoint endpoint(const IpAddress& address) const {
    const CountryCode country = countries_->lookup(address);
    if (has_overrides_) {
      const std::uint32_t forced = overrides_.lookup(address);
      if (forced != PrefixMap::kNoValue) return {country, forced != 0};
    }
    if (!country.known()) return {country, unknown_domestic_};
    return {country, ((domestic_[country.packed >> 6] >> (country.packed & 63)) & 1) != 0};
  }

  std::shared_ptr<const CountryTable> countries_;
  PrefixMap overrides_;  // value 1: domestic, 0: foreign
  bool has_overrides_ = false;
  PrefixMap party_;  // the agreement party's prefixes (value unused)
  bool has_party_ = false;
  bool unknown_domestic_ = true;
  CategorySet authorized_;
  std::array<std::uint64_t, 1024> domestic_{};  // one bit per packed country code
};

}  // namespace mamori::scope
