#pragma once
// intel/stix_writer: STIX 2.1 JSON for the objects of stix.h. Output validates against the
// OASIS STIX 2.1 JSON schemas (tests run tools/stix-validate.mjs on it); properties come in a
// fixed order (type, spec_version, id, created, modified, ...) and empty optional properties
// are left out. The writer checks what the schemas and the specification require before it
// writes (id form and type, required properties, modified >= created, references that are ids,
// UTF-8) and fails naming the object's index, id and property, never its values.

#include <span>
#include <string>

#include "mamori/core/error.h"
#include "mamori/intel/stix.h"

namespace mamori::intel::stix {

struct BundleOptions {
  std::string bundle_id;    // "bundle--<uuid>"; a new random one when empty
  RandomBytes random = {};  // for the new bundle id; libsodium when empty
  // Add the TLP 2.0 marking-definition of every TLP marking an object references, ahead of the
  // objects, unless the objects already hold it.
  bool include_tlp_definitions = true;
};

// {"type":"bundle","id":...,"objects":[...]}. At least one object in the result.
Result<std::string> write_bundle(std::span<const StixObject> objects,
                                 const BundleOptions& options = {});
// One object, e.g. for a TAXII objects response.
Result<std::string> write_object(const StixObject& object);

}  // namespace mamori::intel::stix
