#include "mamori/oversight/report_data.h"

namespace mamori::oversight {

namespace {
std::optional<double> ratio(std::uint64_t selected, std::uint64_t flows) {
  if (flows == 0) return std::nullopt;
  return static_cast<double>(selected) / static_cast<double>(flows);
}
}  // namespace

std::optional<double> CategoryVolume::selection_ratio() const {
  return ratio(selected_flows, flows);
}

std::optional<double> RunTotals::selection_ratio() const { return ratio(selected_flows, flows); }

std::string_view to_string(ApprovalState state) {
  switch (state) {
    case ApprovalState::pending:
      return "pending";
    case ApprovalState::not_yet_valid:
      return "not-yet-valid";
    case ApprovalState::active:
      return "active";
    case ApprovalState::expired:
      return "expired";
  }
  return "unknown";
}

}  // namespace mamori::oversight
