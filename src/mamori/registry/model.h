#pragma once
// registry/model: what specially designated critical-infrastructure operators (特別社会基盤事業者)
// and the other partners register with the government — organisations with their sectors, and
// important computers (特定重要電子計算機) — as plain values. Storage, import, matching and
// incidents build on these types (import.h, vulnerabilities.h, incidents.h).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/time.h"

namespace mamori::registry {

// Both sector lists, since they differ: the 15 critical-infrastructure sectors of the NISC
// action plan (重要インフラ分野, data/ci-sectors.csv), and the 15 key-infrastructure businesses
// of the Economic Security Promotion Act (基幹インフラ事業) from which 特別社会基盤事業者 are
// designated.
struct Sector {
  std::string_view code;  // machine name, e.g. "electricity"
  std::string_view name_ja;
  std::string_view name_en;
};
const std::vector<Sector>& ci_sectors();                     // NISC 重要インフラ 15 分野
const std::vector<Sector>& key_infrastructure_businesses();  // 経済安全保障推進法 15 事業
// Finds a sector by code, Japanese or English name (width- and case-folded).
const Sector* find_ci_sector(std::string_view text);
const Sector* find_key_infrastructure_business(std::string_view text);

enum class OrganisationKind {
  designated_operator,  // 特別社会基盤事業者
  operator_,            // other critical-infrastructure operator
  council_member,       // 協議会の構成員
  agency,               // 行政機関
  vendor,               // 製品ベンダー
};
std::string_view to_string(OrganisationKind kind);  // "designated-operator", "operator", …
Result<OrganisationKind> parse_organisation_kind(std::string_view text);

struct Contact {
  std::string name;
  std::string email;
  std::string phone;
  std::string role;  // e.g. "CSIRT", "incident contact"
};

struct Organisation {
  std::string id;  // e.g. "org-0001"; unique
  std::string name;
  std::string name_en;
  std::vector<OrganisationKind> kinds;
  std::vector<std::string> ci_sectors;          // Sector::code values
  std::vector<std::string> key_infrastructure;  // Sector::code values
  std::vector<Contact> contacts;
  // The operator users (governance users with the operator role) who may file for and see this
  // organisation's registry entries; set by the government (`mamori registry org members`).
  std::vector<std::string> operator_users = {};
};

enum class DeviceCategory {
  vpn_gateway,
  firewall,
  router,
  load_balancer,
  mail_server,
  web_server,
  server,
  ot_controller,  // PLC, DCS, SCADA
  cloud_service,
  endpoint,
  other,
};
std::string_view to_string(DeviceCategory category);  // "vpn-gateway", "ot-controller", …
Result<DeviceCategory> parse_device_category(std::string_view text);

enum class ManagedBy { operator_, contractor };
std::string_view to_string(ManagedBy managed_by);  // "operator", "contractor"

struct ImportantComputer {
  std::string id;               // unique within the registry, e.g. "org-0001/vpn-1"
  std::string organisation_id;  // Organisation::id
  DeviceCategory category = DeviceCategory::other;
  std::string vendor;  // as filed; matching uses normalize.h
  std::string product;
  std::string version;  // as filed; "" when unknown
  std::string cpe;      // CPE 2.3 formatted string, or ""
  bool internet_facing = false;
  ManagedBy managed_by = ManagedBy::operator_;
  std::string contractor;  // when managed_by == contractor
  std::string note;
};

// One filed change to a computer: a version upgrade is one small change, not a new filing.
struct ComputerChange {
  std::string computer_id;
  std::uint64_t revision = 0;  // 1 = the first filing
  Timestamp at;
  std::string by;                                            // who submitted (operator user)
  std::vector<std::pair<std::string, std::string>> changed;  // field → new value
};

}  // namespace mamori::registry
