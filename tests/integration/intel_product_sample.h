#pragma once
// A T1 intelligence product for the end-to-end intel tests (intel_test.cc, publish_test.cc):
// parts and notes labelled comm_info or secret carry marker values that must never appear in
// what a T2/T3 provision, export or publication holds.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mamori::testing::intel_sample {

using nlohmann::json;

// Values that may not leave T1 (documentation ranges).
inline constexpr const char* kCommInfoVictim = "198.51.100.77";
inline constexpr const char* kCommInfoC2 = "203.0.113.45";
inline constexpr const char* kCommInfoFinding = "finding-comm-e2e-4711";
inline constexpr const char* kCommInfoNote = "NOTE-COMMINFO-E2E beacon every 60s";
inline constexpr const char* kSecretIncident = "INC-SECRET-E2E Kanto Power intrusion";
inline constexpr const char* kSecretActivity = "ATTACKER-DETAIL-E2E lateral movement via jump host";

// The legal basis every provision in these tests states.
inline const std::string kBasis = "'重要電子計算機に対する不正な行為による被害の防止に関する法律'";

inline json labels(bool comm_info, bool secret = false) {
  return {{"comm_info", comm_info}, {"shareable", false}, {"secret", secret}};
}

inline json part(const std::string& id, const std::string& kind, const std::string& value,
                 json part_labels, const std::string& indicator_type = "") {
  json p = {{"id", id},           {"kind", kind},
            {"value", value},     {"labels", part_labels},
            {"essential", false}, {"generalisable", false}};
  if (!indicator_type.empty()) p["indicator_type"] = indicator_type;
  return p;
}

inline json note(const std::string& audience, const std::string& language, const std::string& text,
                 json note_labels = labels(false)) {
  return {{"audience", audience}, {"language", language}, {"text", text}, {"labels", note_labels}};
}

inline json sample_product(const std::string& id = "apt-e2e") {
  json c2 = part("c2-address", "indicator", kCommInfoC2, labels(true), "ip");
  c2["generalisable"] = true;
  return {{"id", id},
          {"version", 0},
          {"tier", "T1"},
          {"title", "Beaconing to a C2 server"},
          {"author", "analyst"},
          {"created_at", "2026-11-01T00:00:00Z"},
          {"parts",
           {c2, part("victim-address", "indicator", kCommInfoVictim, labels(true), "ip"),
            part("c2-domain", "indicator", "c2.example.net", labels(false), "domain"),
            part("technique", "attack_technique", "T1071.001", labels(false)),
            part("cve", "vulnerability", "CVE-2024-3400", labels(false)),
            part("finding", "finding", kCommInfoFinding, labels(true)),
            part("incident", "incident_summary", kSecretIncident, labels(false, true)),
            part("activity", "text", kSecretActivity, labels(false, true))}},
          {"notes",
           {note("technical", "en", "Indicators and T1071.001 beaconing."),
            note("technical", "ja", "指標と T1071.001 のビーコン通信。"),
            note("technical", "en", kCommInfoNote, labels(true)),
            note("strategic", "en", "A campaign against power utilities."),
            note("strategic", "ja", "電力事業者を狙った攻撃活動。")}}};
}

inline bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

}  // namespace mamori::testing::intel_sample
