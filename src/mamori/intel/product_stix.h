#pragma once
// intel/product_stix: a product (usually a T2/T3 derivation, sanitizer.h) as a STIX 2.1
// bundle, and imported STIX indicators as a product of provider-labelled parts.
//
// Export maps each part to the object STIX has for it:
//   indicator         → indicator with a pattern of the subset in stix_pattern.h
//   attack_technique  → attack-pattern with the ATT&CK external reference
//   vulnerability     → vulnerability with the CVE external reference
//   finding, incident_summary, text → a note on the report (abstract: kind and part id)
// plus the audience notes as notes (abstract "strategic (ja)", …), an identity for the
// producing agency (created_by_ref of every object), "indicates" relationships from each
// indicator to each attack-pattern, and a report referencing everything, whose description is
// the strategic notes in English and Japanese. Every object carries one TLP 2.0 marking:
// stix::tlp_for_tier(product tier, the strictest wish of the providers whose data is in it).
//
// The product is checked against its own tier (check_tier) before anything is written: the
// bundle can hold nothing the tier forbids (I8), whatever the caller passed.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/intel/product.h"
#include "mamori/intel/stix.h"
#include "mamori/intel/stix_reader.h"

namespace mamori::intel {

struct StixExportOptions {
  // The producing agency (an identity object, created_by_ref of everything).
  std::string agency_id = "nco";  // organisation id; the identity's id is derived from it
  std::string agency_name = "National Cybersecurity Office (NCO) / 国家サイバー統括室";
  // TLP a provider asked for its data; the strictest among the providers present applies.
  std::map<std::string, stix::Tlp> provider_wishes = {};
  stix::RandomBytes random = {};  // object and bundle ids; libsodium when empty
};

// The identity id of an agency: the same for the same agency id in every export, so that
// recipients see one producer.
std::string agency_identity_id(std::string_view agency_id);

// The TLP the product's objects are marked with.
stix::Tlp product_tlp(const Product& product, const StixExportOptions& options);

// The objects of the bundle (identity first, report last). Errors: the product holds what its
// tier forbids, or a part value cannot be expressed (names the part, never the value).
Result<std::vector<stix::StixObject>> product_to_stix(const Product& product, const Clock& clock,
                                                      const StixExportOptions& options = {});
// The bundle JSON (stix_writer.h), with the TLP marking definitions.
Result<std::string> product_to_bundle(const Product& product, const Clock& clock,
                                      const StixExportOptions& options = {});

// Imported indicators as a T1 product of indicator parts labelled provider:<org> (with the
// consent scope given) — there is no other store for partner indicators yet. Only indicators
// whose pattern parses (stix_pattern.h) and compares a single value become parts; one part per
// compared value. `skipped` receives a line per accepted object that did not become a part.
struct ImportedProduct {
  Product product;
  std::vector<std::string> skipped;
};
Result<ImportedProduct> product_from_import(const stix::ImportResult& import,
                                            std::string_view provider_org,
                                            const ConsentScope& scope, std::string product_id,
                                            Timestamp now, std::string author);

}  // namespace mamori::intel
