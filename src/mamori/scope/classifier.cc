#include "mamori/scope/classifier.h"

#include <utility>

namespace mamori::scope {

std::optional<UnknownAddresses> parse_unknown_addresses(std::string_view text) {
  if (text == "domestic") return UnknownAddresses::Domestic;
  if (text == "foreign") return UnknownAddresses::Foreign;
  return std::nullopt;
}

Classifier::Classifier(std::shared_ptr<const CountryTable> countries, const Overrides& overrides,
                       const ClassifierOptions& options)
    : countries_(countries ? std::move(countries) : std::make_shared<const CountryTable>()),
      has_overrides_(!overrides.empty()),
      unknown_domestic_(options.unknown_addresses == UnknownAddresses::Domestic),
      authorized_(options.authorized) {
  PrefixMap::Builder builder;
  for (const auto& entry : overrides.entries()) builder.insert(entry.prefix, entry.domestic);
  overrides_ = std::move(builder).build();
  PrefixMap::Builder party;
  for (const auto& prefix : options.party_prefixes) party.insert(prefix, 1);
  party_ = std::move(party).build();
  has_party_ = !options.party_prefixes.empty();
  for (const CountryCode country : options.domestic_countries) {
    if (country.known())
      domestic_[country.packed >> 6] |= std::uint64_t{1} << (country.packed & 63);
  }
}

}  // namespace mamori::scope
