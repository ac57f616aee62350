#pragma once
// intel/stix_reader: imports STIX 2.1 bundles from council members and foreign partners into
// the model of stix.h. Each object is judged on its own: a bad object becomes an error naming
// its index, id and the JSON pointer of the failing property, and everything else in the
// bundle is still accepted. Object types mamori does not model (campaigns, cyber-observables,
// custom x- objects, ...) are skipped and listed. Every accepted object carries the provenance
// label "provider:<org>" of the organisation the caller says sent it. Untrusted input: nothing
// here throws or crashes, and messages never quote property values.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/intel/stix.h"

namespace mamori::intel::stix {

struct ImportError {
  std::size_t index = 0;  // position in "objects"
  std::string id;         // the object's id when it is a well-formed STIX id, else empty
  std::string path;       // JSON pointer of the failing property, e.g. "/objects/3/valid_from"
  std::string message;    // "<path> (<id>): <what is wrong>"
};

struct SkippedObject {
  std::size_t index = 0;
  std::string type;  // the object's type when well-formed, else empty
  std::string id;
  std::string note;  // why it was not imported
};

struct ImportResult {
  std::string bundle_id;
  std::vector<StixObject> objects;  // accepted, in bundle order
  std::vector<ImportError> errors;
  std::vector<SkippedObject> skipped;
  // Indicators whose pattern is outside stix_pattern.h's subset: kept, parsed_pattern empty.
  std::size_t opaque_patterns = 0;
};

// The provenance label put on every object imported from `org`.
std::string provider_label(std::string_view org);

// Fails only when the input as a whole is not a bundle (bad JSON, not an object, type not
// "bundle", bad bundle id, "objects" not an array) or `org` is empty or has control characters.
Result<ImportResult> read_bundle(std::string_view json, std::string_view provider_org);

}  // namespace mamori::intel::stix
