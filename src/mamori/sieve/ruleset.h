#pragma once
// sieve/ruleset: a selection-condition ruleset (選別条件) as the overseer approves it: loading
// and validating the TOML file and its list files, and the ruleset hash that an approval
// covers (I4). Matching is matchers.h; this file never sees traffic.
//
// File format (TOML):
//
//   format = 1                 # optional; only 1 exists
//   name = "campaign-x"        # optional
//   [[rule]]
//   id = "c2-ips"              # unique, [A-Za-z0-9._:-]+, at most 128 bytes
//   kind = "ip"                # ip | domain | port | ja3 | ja4 | bytes
//   values_file = "c2.txt"     # or: value = "192.0.2.0/24" (a string, an array of strings,
//   description = "..."        #     or for `port` an integer); exactly one of the two
//
// Behaviour rules (kind scan | amplification | beacon) take thresholds instead of values
// (behaviour_rule.h); the loader stores them as canonical "name=value" values, defaults
// filled in, so the hash below covers them unchanged.
//
// Value syntax per kind and its canonical form: rule_value.h. A values_file path is relative
// to the ruleset file's directory; it holds one value per line. Blank lines and lines whose
// first non-blank character is '#' are skipped; leading and trailing blanks are trimmed. For
// every kind but `bytes` a '#' also starts a trailing comment; a `bytes` line is the pattern
// up to its trimmed end (write patterns with '#' at the start, or edge blanks, as hex:).
// Unknown keys are errors: a misspelt key must not silently widen or narrow selection.
//
// Every problem is reported, each on its own line as
//   FILE:LINE: rule 'ID': field 'FIELD': what is wrong
// (FILE is the list file for list entries); at most kMaxReportedErrors are listed.
//
// Ruleset hash, version 1 (an approval contract: changing it needs a new version tag).
// SHA-256, lower-case hex, over this byte string; `str` is a u32 big-endian length then the
// bytes, `u32` is big-endian:
//
//   "mamori-ruleset-v1\n"                     18 bytes, the version tag
//   str name                                  "" when absent
//   u32 rule count
//   per rule, in file order:
//     str id
//     str kind                                "ip", "domain", "port", "ja3", "ja4", "bytes",
//                                             "scan", "amplification", "beacon"
//     str description                         "" when absent
//     str values_file                         as written in the ruleset; "" for inline values
//     u32 value count
//     str value  (× value count)              canonical form (rule_value.h), in source order
//   u32 source count
//   per source file: the ruleset file first, then each distinct values_file in order of
//   first reference:
//     str name                                "" for the ruleset file; else as written
//     32 bytes SHA-256 of the file's raw bytes
//
// So the hash binds both what is selected (canonical values, independent of the parser's
// tolerance for spelling variants) and the exact approved files: changing any byte of the
// ruleset or of a list file, comments and whitespace included, changes the hash. Moving the
// files to another directory does not.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/sieve/record.h"

namespace mamori::sieve {

inline constexpr std::string_view kRulesetHashTag = "mamori-ruleset-v1\n";
inline constexpr std::size_t kMaxRuleIdLength = 128;
inline constexpr std::size_t kMaxReportedErrors = 100;

struct Rule {
  std::string id;
  RuleKind kind = RuleKind::ip;
  std::string description;
  std::string values_file;                 // as written; empty when the values are inline
  std::string file;                        // display path of the file holding the values
  std::uint32_t line = 0;                  // line of the [[rule]] table in the ruleset file
  std::vector<std::string> values;         // canonical form, in source order
  std::vector<std::uint32_t> value_lines;  // line of each value in `file`
};

struct SourceDigest {
  std::string name;  // "" for the ruleset file, else the values_file as written
  std::array<std::uint8_t, 32> sha256{};
};

struct Ruleset {
  std::string path;  // display path of the ruleset file
  std::string name;
  std::vector<Rule> rules;
  std::vector<SourceDigest> sources;
  std::string hash;  // see the layout above

  std::size_t value_count() const;
};

// Reads a list file; the default reads from disk. Tests and the fuzzer substitute their own.
using ReadFile = std::function<Result<std::string>(const std::filesystem::path& path)>;
Result<std::string> read_file_bytes(const std::filesystem::path& path);

// Loads, validates and hashes the ruleset at `path`.
Result<Ruleset> load_ruleset(const std::filesystem::path& path);

// Same for ruleset text; `display_path` names it in messages and list files are resolved
// against `base_dir` through `read_file`.
Result<Ruleset> parse_ruleset(std::string_view text, std::string_view display_path,
                              const std::filesystem::path& base_dir,
                              const ReadFile& read_file = read_file_bytes);

// The byte string the hash is computed over (documented above), and its hash.
std::string canonical_form(const Ruleset& ruleset);
std::string ruleset_hash(const Ruleset& ruleset);

}  // namespace mamori::sieve
