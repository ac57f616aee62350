// Candidate indicators: which values an analysis proposes (add_candidates, part of finish())
// and their ruleset fragment. Proposals are conservative by construction: never a pseudonym
// (it is not a real address, I5), never a value a rule already matched on those records, a
// name only when every server it was seen on is suspicious, a fingerprint only when shared by
// several servers with known C2 among them and nearly all its records go to suspicious ones.

#include "mamori/analysis/candidates.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "mamori/analysis/scoring.h"
#include "mamori/sieve/digest.h"
#include "mamori/sieve/rule_value.h"

namespace mamori::analysis {
namespace detail {
namespace {

std::string rationale(const ServerScore& ss) {
  std::vector<std::string> parts;
  if (ss.known) parts.emplace_back("matched an indicator rule by name or content");
  if (ss.implant) parts.emplace_back("contacted with a listed implant fingerprint");
  if (ss.infected > 0) {
    parts.push_back(fmt::format("{} of {} clients also talk to known C2", ss.infected, ss.clients));
  }
  if (ss.shared_fingerprint > 0) parts.emplace_back("shares a TLS fingerprint with known C2");
  if (ss.shared_prefix > 0) parts.emplace_back("in a prefix with other C2 servers");
  if (ss.shared_name > 0) parts.emplace_back("shares a name or parent domain with known C2");
  if (ss.periodic >= 0.5) {
    parts.push_back(fmt::format("periodic (period {:.0f} s, cv {:.2f})", ss.period_s, ss.cv));
  }
  if (ss.tls > 0) parts.emplace_back("TLS without SNI or on a non-TLS port");
  std::string out = fmt::format("c2 score {:.1f}, confidence {:.2f}", ss.score, ss.confidence);
  for (const std::string& part : parts) out += "; " + part;
  return out;
}

double max_score(const Scoring& sc, const std::vector<std::uint32_t>& servers) {
  double best = 0;
  for (std::uint32_t i : servers) best = std::max(best, sc.servers[i].score);
  return best;
}

// By the final score (the links raised some servers after the groups were formed).
bool suspicious(const Scoring& sc, std::uint32_t server) {
  const ServerScore& ss = sc.servers[server];
  return ss.known || ss.implant || ss.score >= sc.options.suspicious_score;
}

bool all_suspicious(const Scoring& sc, const std::vector<std::uint32_t>& servers) {
  return !servers.empty() && std::all_of(servers.begin(), servers.end(),
                                         [&](std::uint32_t i) { return suspicious(sc, i); });
}

// A name or fingerprint seen only on servers that rules already select adds nothing the rules
// do not catch, and such values are often shared with benign traffic (a C2 beacon's "cover"
// SNI, a browser's fingerprint) that selected records never show. Proposed are only values
// that reach a suspicious server no rule selects.
bool reaches_unlisted(const Scoring& sc, const std::vector<std::uint32_t>& servers) {
  return std::any_of(servers.begin(), servers.end(), [&](std::uint32_t i) {
    const ServerScore& ss = sc.servers[i];
    return !ss.known && !ss.implant && suspicious(sc, i);
  });
}

}  // namespace

void add_candidates(const Scoring& sc, std::vector<CandidateIndicator>& out) {
  const Analyzer::State& s = sc.state;
  const AnalysisOptions& o = sc.options;
  for (std::uint32_t i = 0; i < sc.servers.size(); ++i) {
    const ServerScore& ss = sc.servers[i];
    if (ss.score < o.candidate_min_score) continue;
    if (s.server_index.key(i).epoch != 0) continue;  // a pseudonym is not an address
    if (s.servers[i].ip_rule_records > 0) continue;  // an ip rule already selects it
    auto value = sieve::normalize_value(sieve::RuleKind::ip, ss.subject);
    if (!value) continue;
    CandidateIndicator c{
        "ip", *value, ss.score, {finding_id(FindingKind::c2_server, ss.subject)}, rationale(ss)};
    for (const std::string& link : ss.links) {
      if (std::find(c.finding_ids.begin(), c.finding_ids.end(), link) == c.finding_ids.end()) {
        c.finding_ids.push_back(link);
      }
    }
    out.push_back(std::move(c));
  }

  std::set<std::uint32_t> proposed_names;
  for (const auto& [suffix, sg] : sc.suffixes) {
    if (sg.names.size() < 3 || sg.covered_names > 0 || !all_suspicious(sc, sg.servers) ||
        !reaches_unlisted(sc, sg.servers)) {
      continue;
    }
    const double score = max_score(sc, sg.servers);
    if (score < o.candidate_min_score) continue;
    auto value = sieve::normalize_value(sieve::RuleKind::domain, "." + suffix);
    if (!value) continue;
    out.push_back({"domain",
                   *value,
                   score,
                   {finding_id(FindingKind::shared_domain_suffix, "." + suffix)},
                   fmt::format("{} names under one parent domain, all on suspicious servers "
                               "(best c2 score {:.1f})",
                               sg.names.size(), score)});
    proposed_names.insert(sg.names.begin(), sg.names.end());
  }

  for (std::uint32_t id = 0; id < sc.strings.size(); ++id) {
    const std::string& key = s.string_index.key(id);
    const StringGroup& g = sc.strings[id];
    if (s.strings[id].covered || g.servers.empty() || !reaches_unlisted(sc, g.servers)) continue;
    const double best = max_score(sc, g.servers);
    if (best < o.candidate_min_score) continue;
    const std::string_view text = string_text(s, id);
    if (key[0] == 'n') {
      if (proposed_names.contains(id) || !all_suspicious(sc, g.servers)) continue;
      auto value = sieve::normalize_value(sieve::RuleKind::domain, text);
      if (!value) continue;
      CandidateIndicator c{"domain",
                           *value,
                           best,
                           {},
                           fmt::format("name seen only on suspicious servers (best c2 score "
                                       "{:.1f}, {} servers)",
                                       best, g.servers.size())};
      for (std::size_t k = 0; k < g.servers.size() && k < 4; ++k) {
        c.finding_ids.push_back(
            finding_id(FindingKind::c2_server, sc.servers[g.servers[k]].subject));
      }
      out.push_back(std::move(c));
      continue;
    }
    if (g.servers.size() < 2 || g.known_servers == 0) continue;
    std::uint64_t suspicious_records = 0;
    std::size_t suspicious_servers = 0;
    for (std::size_t k = 0; k < g.servers.size(); ++k) {
      if (!suspicious(sc, g.servers[k])) continue;
      suspicious_records += g.counts[k];
      ++suspicious_servers;
    }
    const double specificity =
        static_cast<double>(suspicious_records) / static_cast<double>(g.records);
    if (specificity < o.fingerprint_min_specificity) continue;
    const bool ja3 = key[0] == '3';
    auto value = sieve::normalize_value(ja3 ? sieve::RuleKind::ja3 : sieve::RuleKind::ja4, text);
    if (!value) continue;
    const std::string subject = std::string(ja3 ? "ja3:" : "ja4:") + std::string(text);
    const double known_share =
        static_cast<double>(g.known_records) / static_cast<double>(g.records);
    out.push_back({ja3 ? "ja3" : "ja4",
                   *value,
                   50.0 * known_share + 50.0 * static_cast<double>(suspicious_servers) /
                                            static_cast<double>(g.servers.size()),
                   {finding_id(FindingKind::shared_fingerprint, subject)},
                   fmt::format("client fingerprint towards {} servers, {} of them known C2; "
                               "{:.0f}% of its records go to suspicious servers",
                               g.servers.size(), g.known_servers, 100.0 * specificity)});
  }

  std::sort(out.begin(), out.end(), [](const CandidateIndicator& a, const CandidateIndicator& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.value < b.value;
  });
  if (out.size() > o.max_candidates) out.resize(o.max_candidates);
}

}  // namespace detail

namespace {

// A TOML basic string.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\u{:04x}", byte);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::optional<sieve::RuleKind> candidate_kind(std::string_view kind) {
  if (kind == "ip") return sieve::RuleKind::ip;
  if (kind == "domain") return sieve::RuleKind::domain;
  if (kind == "ja3") return sieve::RuleKind::ja3;
  if (kind == "ja4") return sieve::RuleKind::ja4;
  return std::nullopt;
}

// Whether a canonical domain value `candidate` is selected by the canonical `rule` value.
bool domain_covers(std::string_view rule, std::string_view candidate) {
  if (!sieve::is_domain_suffix(rule)) return rule == candidate;
  // A suffix rule ".s" matches names strictly below s; a candidate ".x.s" or ".s" selects a
  // subset of that.
  const std::string_view below = candidate.front() == '.' ? candidate.substr(1) : candidate;
  if (sieve::is_domain_suffix(candidate) && below == rule.substr(1)) return true;
  return below.size() > rule.size() && below.ends_with(rule);
}

bool covered(const sieve::Ruleset& ruleset, sieve::RuleKind kind, const std::string& value) {
  std::optional<Prefix> candidate_prefix;
  if (kind == sieve::RuleKind::ip) {
    auto parsed = Prefix::parse(value);
    if (parsed) candidate_prefix = *parsed;
  }
  for (const sieve::Rule& rule : ruleset.rules) {
    if (rule.kind != kind) continue;
    for (const std::string& existing : rule.values) {
      switch (kind) {
        case sieve::RuleKind::ip: {
          auto prefix = Prefix::parse(existing);
          if (prefix && candidate_prefix &&
              prefix->address().is_v4() == candidate_prefix->address().is_v4() &&
              prefix->length() <= candidate_prefix->length() &&
              prefix->contains(candidate_prefix->address())) {
            return true;
          }
          break;
        }
        case sieve::RuleKind::domain:
          if (domain_covers(existing, value)) return true;
          break;
        case sieve::RuleKind::ja3:
          if (existing == value ||
              (!sieve::is_ja3_hash(existing) && sieve::md5_hex(existing) == value)) {
            return true;
          }
          break;
        default:
          if (existing == value) return true;
      }
    }
  }
  return false;
}

}  // namespace

Result<CandidateRuleset> candidate_ruleset(std::span<const CandidateIndicator> candidates,
                                           const sieve::Ruleset* existing) {
  CandidateRuleset out;
  std::set<std::string> ids;
  if (existing != nullptr) {
    for (const sieve::Rule& rule : existing->rules) ids.insert(rule.id);
  }
  std::string text =
      "# Candidate indicators proposed by `mamori analyze`. NOT APPROVED: submit them as a\n"
      "# ruleset change through the approval request; the sieve never reads this file as is.\n"
      "format = 1\n"
      "name = \"analysis-candidates\"\n";
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const CandidateIndicator& c = candidates[i];
    const auto kind = candidate_kind(c.kind);
    if (!kind) return fail("candidate {}: kind '{}' cannot be proposed", i + 1, c.kind);
    auto value = sieve::normalize_value(*kind, c.value);
    // The value may be a real address: the message names the candidate, not the value.
    if (!value) return fail("candidate {}: not a valid {} value", i + 1, c.kind);
    if (!seen.emplace(c.kind, *value).second) continue;
    if (existing != nullptr && covered(*existing, *kind, *value)) {
      out.covered.push_back(c);
      continue;
    }
    const std::string base =
        fmt::format("cand-{}-{}", c.kind, sieve::to_hex(sieve::sha256(*value)).substr(0, 10));
    std::string id = base;
    for (int n = 2; ids.contains(id); ++n) id = fmt::format("{}-{}", base, n);
    ids.insert(id);
    std::string description = fmt::format("score {:.1f}: {}", c.score, c.rationale);
    if (!c.finding_ids.empty()) {
      description += " [";
      for (std::size_t k = 0; k < c.finding_ids.size(); ++k) {
        description += (k == 0 ? "" : " ") + c.finding_ids[k];
      }
      description += "]";
    }
    text += fmt::format("\n[[rule]]\nid = {}\nkind = {}\nvalue = {}\ndescription = {}\n",
                        toml_string(id), toml_string(c.kind), toml_string(*value),
                        toml_string(description));
    ++out.rules;
  }
  // The fragment must be a ruleset the sieve accepts; anything else is a bug here.
  auto parsed = sieve::parse_ruleset(text, "candidates.toml", ".",
                                     [](const std::filesystem::path&) -> Result<std::string> {
                                       return fail("a candidate fragment has no list files");
                                     });
  if (!parsed) return fail("the candidate ruleset does not parse: {}", parsed.error().message);
  out.text = std::move(text);
  return out;
}

Result<CandidateRuleset> write_candidate_ruleset(
    std::span<const CandidateIndicator> candidates,
    const std::optional<std::filesystem::path>& existing_ruleset_path,
    const std::filesystem::path& out_path) {
  std::optional<sieve::Ruleset> existing;
  if (existing_ruleset_path) {
    auto loaded = sieve::load_ruleset(*existing_ruleset_path);
    if (!loaded) {
      return fail("cannot read the existing ruleset '{}': {}", existing_ruleset_path->string(),
                  loaded.error().message);
    }
    existing = std::move(*loaded);
  }
  auto fragment = candidate_ruleset(candidates, existing ? &*existing : nullptr);
  if (!fragment) return fail(fragment.error());
  const std::filesystem::path temp = out_path.string() + ".tmp";
  {
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    file << fragment->text;
    file.flush();
    if (!file) return fail("cannot write '{}'", temp.string());
  }
  std::error_code error;
  std::filesystem::rename(temp, out_path, error);
  if (error) {
    std::filesystem::remove(temp, error);
    return fail("cannot write '{}': rename failed", out_path.string());
  }
  return fragment;
}

}  // namespace mamori::analysis
