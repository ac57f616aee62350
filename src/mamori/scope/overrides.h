#pragma once
// scope/overrides: operator-configured prefixes that are domestic or foreign regardless of the
// country database (e.g. a foreign carrier's block that serves Japanese customers). Read from a
// text file, one entry per line:
//
//   # comment
//   203.0.113.0/24   domestic
//   2001:db8::/32    foreign    # trailing comments too
//
// Overrides win over the database; among overrides the longest prefix wins.

#include <cstddef>
#include <filesystem>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"

namespace mamori::scope {

struct Override {
  Prefix prefix;
  bool domestic = false;
  std::size_t line = 0;  // 1-based line in the file it came from; 0 when added in code
};

class Overrides {
 public:
  Overrides() = default;

  // Reads and parses a file. Every bad line is reported, one "file:line: what" per line of the
  // error message, not only the first.
  static Result<Overrides> load(const std::filesystem::path& path);
  // Parses text; `source` names it in error messages.
  static Result<Overrides> parse(std::string_view text, std::string_view source);

  // Adds one entry; false if the prefix is already present.
  bool add(const Prefix& prefix, bool domestic);

  const std::vector<Override>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Override> entries_;
};

}  // namespace mamori::scope
