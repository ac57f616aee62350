#pragma once
// privacy/field_policy: de-identification of every record before it leaves the sieve process,
// to the store or the network (I5, 非識別化措置). Applied by DeidentifyingSink, which sits
// between the sieve and whatever takes its records.
//
// What is pseudonymized (prefix-preserving Crypto-PAn under the key file's current epoch; the
// record then carries the epoch, see sieve/record_json.h):
//   - every domestic address, under every setting: the record's category names the domestic
//     side (FD: dst, DF: src), and the classifier is asked about every address as well;
//   - every other address unless the setting keeps it clear:
//       clear = "infrastructure" (default): foreign addresses that are themselves matched
//               attack infrastructure stay clear, everything else is pseudonymized;
//       clear = "foreign":  every foreign address stays clear (e.g. FF-only research links);
//       clear = "none":     every address is pseudonymized.
//   "Matched infrastructure" is decided by asking the approved compiled ruleset which of its
//   rules the endpoint or name matches, and keeping those the record matched too, never
//   guessed: an endpoint an ip rule lists; the responder of a flow whose TLS SNI or HTTP Host
//   a domain rule matched (the server the name named); the initiator of a flow a ja3/ja4 rule
//   matched (the client software is the attack tool); the actor a behaviour rule observed: a
//   scan's source, a beacon's server, an amplification's reflector (the side on one of the
//   rule's service ports, never the victim). Port and bytes matches name no endpoint.
//   DNS answers stay clear only when none is domestic and the entry's name matched a domain
//   rule of the record (the answers are the attack domain's servers) or an ip rule lists
//   every answer; otherwise all answers of the entry are pseudonymized together.
//   Addresses hiding in text are pseudonymized too: an IP literal as HTTP Host or TLS SNI
//   (with or without port, IPv6 in brackets) and a full reverse-lookup name
//   (d.c.b.a.in-addr.arpa, 32 nibbles.ip6.arpa), written "p<epoch>:<pseudonym>.in-addr.arpa".
// What stays clear: ports, times, volumes, protocol, countries (of the real addresses),
// domain names, TLS/HTTP client facts and matches (the machine information of I2).
//
// The domestic rule has no switch: there is no ClearAddresses value, configuration key or
// code path that keeps a domestic address clear (Invariant_I5 tests pin this).

#include <cstdint>
#include <string_view>

#include "mamori/core/error.h"
#include "mamori/privacy/pseudonymizer.h"
#include "mamori/scope/classifier.h"
#include "mamori/sieve/matchers.h"
#include "mamori/sieve/record.h"
#include "mamori/sieve/sieve.h"

namespace mamori::privacy {

enum class ClearAddresses { infrastructure, foreign, none };
std::string_view to_string(ClearAddresses clear);  // "infrastructure", "foreign", "none"
Result<ClearAddresses> parse_clear_addresses(std::string_view text);

struct FieldPolicyStats {
  std::uint64_t records = 0;
  std::uint64_t pseudonymized = 0;         // addresses (endpoints, answers, text) replaced
  std::uint64_t clear_infrastructure = 0;  // endpoints kept clear as matched infrastructure
  std::uint64_t clear_foreign = 0;         // endpoints kept clear under clear = "foreign"
};

// Not thread-safe (the pseudonymizer's cache): one per sieve thread.
class FieldPolicy {
 public:
  // The classifier and ruleset must outlive the policy; the ruleset is the approved one the
  // sieve runs (the same compiled matchers, so nothing is built twice).
  static FieldPolicy create(ClearAddresses clear, const sieve::CompiledRuleset& rules,
                            const scope::Classifier& classifier, Pseudonymizer pseudonymizer);

  // Pseudonymizes the record in place. Addresses already pseudonymized are left alone, so
  // applying twice changes nothing.
  void apply(sieve::Record& record);

  std::uint32_t epoch() const { return pseudonymizer_.current_epoch(); }
  ClearAddresses clear() const { return clear_; }
  const FieldPolicyStats& stats() const { return stats_; }

 private:
  FieldPolicy(ClearAddresses clear, const sieve::CompiledRuleset& rules,
              const scope::Classifier& classifier, Pseudonymizer pseudonymizer);

  // Whether a rule the record matched (by id and kind) is among `candidates`.
  bool record_matched_any(const sieve::Record& record, const sieve::MatchSet& candidates) const;

  bool is_infrastructure(const sieve::Record& record, const sieve::Endpoint& endpoint,
                         bool responder) const;
  // Whether a behaviour rule of this ruleset that the record matched names this side as the
  // actor: a scan's source, a beacon's server, an amplification's reflector.
  bool behaviour_subject(const sieve::Record& record, bool responder) const;
  bool answers_stay_clear(const sieve::Record& record, const sieve::DnsEntry& entry) const;
  void pseudonymize_endpoint(sieve::Endpoint& endpoint);
  void pseudonymize_text_address(std::string& text, const sieve::Endpoint& dst);
  void pseudonymize_reverse_name(std::string& name);

  ClearAddresses clear_;
  const sieve::CompiledRuleset* rules_;
  const scope::Classifier* classifier_;
  Pseudonymizer pseudonymizer_;
  FieldPolicyStats stats_;
};

// The sieve's RecordSink that de-identifies each record and passes it on.
class DeidentifyingSink final : public sieve::RecordSink {
 public:
  DeidentifyingSink(FieldPolicy& policy, sieve::RecordSink& next) : policy_(policy), next_(next) {}
  void emit(sieve::Record&& record) override {
    policy_.apply(record);
    next_.emit(std::move(record));
  }

 private:
  FieldPolicy& policy_;
  sieve::RecordSink& next_;
};

}  // namespace mamori::privacy
