#include "mamori/registry/model.h"

#include <array>

#include "mamori/registry/normalize.h"

namespace mamori::registry {
namespace {

constexpr std::array<std::string_view, 5> kOrganisationKinds = {
    "designated-operator", "operator", "council-member", "agency", "vendor"};

constexpr std::array<std::string_view, 11> kDeviceCategories = {
    "vpn-gateway", "firewall",      "router",        "load-balancer", "mail-server", "web-server",
    "server",      "ot-controller", "cloud-service", "endpoint",      "other"};

template <std::size_t N>
std::optional<std::size_t> index_of(const std::array<std::string_view, N>& names,
                                    std::string_view text) {
  const std::string key = normalize_text(text);
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == key) return i;
    // "vpn gateway" and "vpn_gateway" are the same category as "vpn-gateway".
    std::string spaced(names[i]);
    for (char& c : spaced) {
      if (c == '-') c = ' ';
    }
    std::string underscored = key;
    for (char& c : underscored) {
      if (c == '_') c = ' ';
    }
    if (spaced == underscored) return i;
  }
  return std::nullopt;
}

const Sector* find_in(const std::vector<Sector>& sectors, std::string_view text) {
  const std::string key = normalize_text(text);
  for (const Sector& sector : sectors) {
    if (key == sector.code || key == normalize_text(sector.name_ja) ||
        key == normalize_text(sector.name_en)) {
      return &sector;
    }
  }
  return nullptr;
}

}  // namespace

// Source: NISC 重要インフラのサイバーセキュリティに係る行動計画 (15 sectors since the revision of
// 2024-03-08), as in data/ci-sectors.csv.
const std::vector<Sector>& ci_sectors() {
  static const std::vector<Sector> kSectors = {
      {"information_communication", "情報通信", "Information and Communication Services"},
      {"finance", "金融", "Financial Services"},
      {"aviation", "航空", "Aviation Services"},
      {"airport", "空港", "Airport Services"},
      {"railway", "鉄道", "Railway Services"},
      {"electricity", "電力", "Electric Power Supply Services"},
      {"gas", "ガス", "Gas Supply Services"},
      {"government", "政府・行政サービス", "Government and Administrative Services"},
      {"medical", "医療", "Medical Services"},
      {"water", "水道", "Water Services"},
      {"logistics", "物流", "Logistics Services"},
      {"chemical", "化学", "Chemical Industries"},
      {"credit_card", "クレジット", "Credit Card Services"},
      {"petroleum", "石油", "Petroleum Industries"},
      {"port", "港湾", "Port Services"},
  };
  return kSectors;
}

// Source: 経済施策を一体的に講ずることによる安全保障の確保の推進に関する法律 (2022) 第50条 and its
// cabinet order: the 15 key-infrastructure businesses (基幹インフラ事業) from which
// 特別社会基盤事業者 are designated.
const std::vector<Sector>& key_infrastructure_businesses() {
  static const std::vector<Sector> kBusinesses = {
      {"electricity", "電気", "Electricity"},
      {"gas", "ガス", "Gas"},
      {"petroleum", "石油", "Petroleum"},
      {"water", "水道", "Water supply"},
      {"railway", "鉄道", "Railway"},
      {"trucking", "貨物自動車運送", "Freight motor transport"},
      {"ocean_cargo", "外航貨物", "International ocean cargo"},
      {"aviation", "航空", "Aviation"},
      {"airport", "空港", "Airport"},
      {"telecommunications", "電気通信", "Telecommunications"},
      {"broadcasting", "放送", "Broadcasting"},
      {"postal", "郵便", "Postal service"},
      {"finance", "金融", "Finance"},
      {"credit_card", "クレジットカード", "Credit card"},
      {"port_cargo", "港湾運送", "Port cargo handling"},
  };
  return kBusinesses;
}

const Sector* find_ci_sector(std::string_view text) { return find_in(ci_sectors(), text); }

const Sector* find_key_infrastructure_business(std::string_view text) {
  return find_in(key_infrastructure_businesses(), text);
}

std::string_view to_string(OrganisationKind kind) {
  return kOrganisationKinds[static_cast<std::size_t>(kind)];
}

Result<OrganisationKind> parse_organisation_kind(std::string_view text) {
  if (auto index = index_of(kOrganisationKinds, text)) return static_cast<OrganisationKind>(*index);
  if (normalize_text(text) == "特別社会基盤事業者") return OrganisationKind::designated_operator;
  return fail(
      "unknown organisation kind: expected designated-operator, operator, council-member, agency "
      "or vendor");
}

std::string_view to_string(DeviceCategory category) {
  return kDeviceCategories[static_cast<std::size_t>(category)];
}

Result<DeviceCategory> parse_device_category(std::string_view text) {
  if (auto index = index_of(kDeviceCategories, text)) return static_cast<DeviceCategory>(*index);
  return fail(
      "unknown device category: expected one of vpn-gateway, firewall, router, load-balancer, "
      "mail-server, web-server, server, ot-controller, cloud-service, endpoint, other");
}

std::string_view to_string(ManagedBy managed_by) {
  return managed_by == ManagedBy::operator_ ? "operator" : "contractor";
}

}  // namespace mamori::registry
