#include "mamori/sieve/run_summary.h"

#include <algorithm>

#include <fmt/format.h>

namespace mamori::sieve {

namespace {

void add(CategoryCounters& into, const CategoryCounters& from) {
  into.packets += from.packets;
  into.bytes += from.bytes;
  into.flows += from.flows;
  into.selected_flows += from.selected_flows;
}

void add(BehaviourRuleSummary& into, const BehaviourRuleSummary& from) {
  into.capacity += from.capacity;
  into.admitted += from.admitted;
  into.refused += from.refused;
  into.evicted += from.evicted;
  into.flagged += from.flagged;
  into.selections += from.selections;
}

}  // namespace

void RunSummary::merge(const RunSummary& other) {
  if (other.packets > 0) {
    if (packets == 0 || other.first_packet < first_packet) first_packet = other.first_packet;
    if (packets == 0 || last_packet < other.last_packet) last_packet = other.last_packet;
  }
  packets += other.packets;
  bytes += other.bytes;
  for (std::size_t i = 0; i < by_category.size(); ++i) add(by_category[i], other.by_category[i]);
  dropped_domestic_packets += other.dropped_domestic_packets;
  dropped_unauthorized_packets += other.dropped_unauthorized_packets;
  dropped_undecodable_packets += other.dropped_undecodable_packets;
  dropped_outside_agreement_packets += other.dropped_outside_agreement_packets;
  for (std::size_t i = 0; i < decode.by_status.size(); ++i) {
    decode.by_status[i] += other.decode.by_status[i];
  }
  flows += other.flows;
  selected_flows += other.selected_flows;
  records += other.records;
  flows_evicted += other.flows_evicted;
  flows_recalled += other.flows_recalled;
  truncated_inspections += other.truncated_inspections;
  behaviour_memory_bytes += other.behaviour_memory_bytes;
  if (behaviour.empty()) {
    behaviour = other.behaviour;
  } else {
    for (std::size_t i = 0; i < std::min(behaviour.size(), other.behaviour.size()); ++i) {
      add(behaviour[i], other.behaviour[i]);
    }
  }
  wall_seconds = std::max(wall_seconds, other.wall_seconds);
  if (input_error.empty()) input_error = other.input_error;
}

nlohmann::json RunSummary::to_json() const {
  nlohmann::json categories = nlohmann::json::object();
  for (int i = 0; i < scope::kCategoryCount; ++i) {
    const auto category = static_cast<scope::Category>(i);
    if (category == scope::Category::DD) continue;
    const auto& c = by_category[i];
    categories[std::string(scope::to_string(category))] = {{"packets", c.packets},
                                                           {"bytes", c.bytes},
                                                           {"flows", c.flows},
                                                           {"selected_flows", c.selected_flows}};
  }
  nlohmann::json decode_errors = nlohmann::json::object();
  for (std::size_t i = 0; i < decode.by_status.size(); ++i) {
    const auto status = static_cast<decode::DecodeStatus>(i);
    if (status == decode::DecodeStatus::ok || decode.by_status[i] == 0) continue;
    decode_errors[std::string(decode::to_string(status))] = decode.by_status[i];
  }
  nlohmann::json out = {
      {"packets", packets},
      {"bytes", bytes},
      {"categories", categories},
      {"dropped",
       {{"domestic_DD", dropped_domestic_packets},
        {"unauthorized_category", dropped_unauthorized_packets},
        {"undecodable", dropped_undecodable_packets},
        {"outside_agreement", dropped_outside_agreement_packets}}},
      {"decode", decode_errors},
      {"flows", flows},
      {"selected_flows", selected_flows},
      {"records", records},
      {"flows_evicted", flows_evicted},
      {"flows_recalled", flows_recalled},
      {"truncated_inspections", truncated_inspections},
      {"wall_seconds", wall_seconds},
      {"gbit_per_second", gbit_per_second()},
  };
  if (packets > 0) {
    out["first_packet"] = format_rfc3339_micros(first_packet);
    out["last_packet"] = format_rfc3339_micros(last_packet);
  }
  if (!input_error.empty()) out["input_error"] = input_error;
  if (!behaviour.empty()) {
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& rule : behaviour) {
      rules.push_back({{"rule", rule.rule},
                       {"kind", rule.kind},
                       {"capacity", rule.capacity},
                       {"admitted", rule.admitted},
                       {"refused", rule.refused},
                       {"evicted", rule.evicted},
                       {"flagged", rule.flagged},
                       {"selections", rule.selections}});
    }
    out["behaviour"] = {{"memory_bytes", behaviour_memory_bytes}, {"rules", std::move(rules)}};
  }
  return out;
}

std::string RunSummary::to_text() const {
  std::string text;
  auto line = [&text](std::string_view label, auto value) {
    text += fmt::format("  {:<44} {:>16}\n", label, value);
  };
  text += "Run summary / 実行結果\n";
  line("packets / パケット数", packets);
  line("bytes / バイト数", bytes);
  for (int i = 0; i < scope::kCategoryCount; ++i) {
    const auto category = static_cast<scope::Category>(i);
    if (category == scope::Category::DD) continue;
    const auto& c = by_category[i];
    line(fmt::format("{} packets / {} パケット", scope::to_string(category),
                     scope::to_string(category)),
         c.packets);
    line(fmt::format("{} flows (selected) / {} フロー (選別)", scope::to_string(category),
                     scope::to_string(category)),
         fmt::format("{} ({})", c.flows, c.selected_flows));
  }
  line("dropped DD / 内内通信 (破棄)", dropped_domestic_packets);
  line("dropped, category not authorized / 対象外区分", dropped_unauthorized_packets);
  line("dropped, undecodable / 復号不能", dropped_undecodable_packets);
  if (dropped_outside_agreement_packets > 0) {
    line("dropped, outside the agreement / 協定範囲外", dropped_outside_agreement_packets);
  }
  for (std::size_t i = 0; i < decode.by_status.size(); ++i) {
    const auto status = static_cast<decode::DecodeStatus>(i);
    if (status == decode::DecodeStatus::ok || decode.by_status[i] == 0) continue;
    line(fmt::format("decode: {}", decode::to_string(status)), decode.by_status[i]);
  }
  line("flows / フロー数", flows);
  line("selected flows / 選別フロー数", selected_flows);
  line("records stored / 保存レコード数", records);
  line("flows evicted early / 早期退避フロー", flows_evicted);
  if (!behaviour.empty()) {
    line("behaviour memory (MiB) / 挙動状態メモリ",
         fmt::format("{:.1f}", static_cast<double>(behaviour_memory_bytes) / (1 << 20)));
    for (const auto& rule : behaviour) {
      line(fmt::format("{} ({}) flagged / 検知", rule.rule, rule.kind), rule.flagged);
      if (rule.refused + rule.evicted > 0) {
        line(fmt::format("{} at the memory bound / 上限到達", rule.rule),
             fmt::format("{} refused, {} evicted", rule.refused, rule.evicted));
      }
    }
  }
  line("wall time (s) / 所要時間 (秒)", fmt::format("{:.3f}", wall_seconds));
  line("throughput (Gbit/s) / 処理速度", fmt::format("{:.3f}", gbit_per_second()));
  if (!input_error.empty()) text += fmt::format("  input error / 入力エラー: {}\n", input_error);
  return text;
}

}  // namespace mamori::sieve
