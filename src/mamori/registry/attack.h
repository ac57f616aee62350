#pragma once
// registry/attack: the vendored MITRE ATT&CK Enterprise technique table (data/
// attack-enterprise-techniques.csv, v18.1) and the check every technique id in an incident report
// goes through. An id that is not in the table, or is deprecated there, is rejected with the
// nearest valid ids, so an operator who typed "T1109" or pasted a technique name is told what
// they probably meant instead of just "invalid".

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"

namespace mamori::registry {

struct Technique {
  std::string id;                    // "T1190", "T1059.001"
  std::string name;                  // "Exploit Public-Facing Application"
  std::vector<std::string> tactics;  // tactic shortnames in matrix order, e.g. "initial-access"
  bool subtechnique = false;
  bool deprecated = false;
};

// "T" + 4 digits, optionally "." + 3 digits. Shape only, not membership.
bool is_technique_id_shape(std::string_view text);

class AttackCatalog {
 public:
  // Reads the CSV (header `id,name,tactics,is_subtechnique,deprecated`). Any malformed row makes
  // the load fail with every problem as "FILE:LINE: what" (at most 20 listed): a vendored table
  // that does not parse is corrupt, and validating against half of it would reject good ids.
  static Result<AttackCatalog> load(const std::string& path);
  static Result<AttackCatalog> parse(std::string_view text, const std::string& source_name);

  // Sorted by id.
  const std::vector<Technique>& techniques() const { return techniques_; }
  // Exact id (deprecated ones included), or nullptr.
  const Technique* find(std::string_view id) const;

  // The active technique with this id (surrounding blanks ignored, "t1190" accepted). Otherwise
  // an error that names the reason (unknown, deprecated, not an id) and lists suggest(text).
  Result<const Technique*> validate(std::string_view text) const;

  // Up to `max` active techniques an operator probably meant, best first:
  // - for an id-shaped input: the parent technique of an unknown sub-technique, then ids within
  //   edit distance 2 (transposed neighbours count as one edit; at equal distance an id with the
  //   same digits in another order ranks first, then by id);
  // - for any other text: techniques whose name equals it (ASCII case and blanks folded), then
  //   names containing it, then names within a small edit distance.
  std::vector<const Technique*> suggest(std::string_view text, std::size_t max = 5) const;

 private:
  std::vector<Technique> techniques_;
};

}  // namespace mamori::registry
