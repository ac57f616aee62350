#pragma once
// intel/events: the ledger event types intel writes and the shape of their bodies (the
// "provision.made" that governance/events.h leaves to this module). The inspection report
// reads them; adding a field is compatible, renaming or removing one is not. Bodies hold ids,
// classes, tiers and part ids, never part values (addresses, indicators): the ledger is
// exported to verifiers.

#include <string_view>

namespace mamori::intel::events {

// A product (or the selected parts of one) was handed to a recipient, recorded before the
// content is released.
// body: {"recipient": {"id", "class", "name"}, "product": {"id", "version"},
//        "type": to_string(ProvisionType), "tier": "T1"|"T2"|"T3" (the rules applied),
//        "content_tier": the strictest tier the content meets, "legal_basis", "purpose", "by",
//        "confidentiality_obligation" (or null), "protection_confirmation": {…} (or null),
//        "measure_id" (or null), "selected_parts": [part ids], "via" (or null),
//        "embargo_until": RFC 3339 (or null), "derivation": DerivationReport::to_json()}
inline constexpr std::string_view kProvisionMade = "provision.made";
// A provision was refused (by the dissemination rules or because the content could not be
// made clean). body: {"recipient": {…}, "product": {"id", "version"}, "type",
//        "requested_tier" (or null), "legal_basis", "purpose", "by",
//        "refusal": to_string(ProvisionRefusal), "message"}
inline constexpr std::string_view kProvisionRefused = "provision.refused";

}  // namespace mamori::intel::events
