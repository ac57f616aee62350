// intel/provision: decide, build, record on the ledger, store.

#include "mamori/intel/provision.h"

#include <string>
#include <utility>

#include "mamori/intel/events.h"

namespace mamori::intel {
namespace {

nlohmann::json recipient_summary(const Recipient& recipient) {
  return {{"id", recipient.id},
          {"class", to_string(recipient.recipient_class)},
          {"name", recipient.name}};
}

nlohmann::json product_reference(const Product& product) {
  return {{"id", product.id}, {"version", product.version}};
}

nlohmann::json text_or_null(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

std::string provision_name(const Product& product, const Recipient& recipient) {
  return fmt::format("provision of {} to {} '{}'", describe(product),
                     to_string(recipient.recipient_class), recipient.id);
}

// Records the refusal and returns it as the error.
Result<Provision> refused(const Product& product, const ProvisionRequest& request,
                          const ProvisionDecision& decision, ProvisionServices& services) {
  nlohmann::json body = {{"recipient", recipient_summary(request.recipient)},
                         {"product", product_reference(product)},
                         {"type", to_string(decision.type)},
                         {"requested_tier", request.tier ? nlohmann::json(to_string(*request.tier))
                                                         : nlohmann::json(nullptr)},
                         {"legal_basis", request.legal_basis},
                         {"purpose", request.purpose},
                         {"by", request.requested_by},
                         {"refusal", to_string(*decision.refusal)},
                         {"message", decision.reason}};
  std::string name = provision_name(product, request.recipient);
  auto entry = services.ledger.append(std::string(events::kProvisionRefused), std::move(body),
                                      services.clock.now());
  if (!entry) {
    return fail("{} refused ({}): {}; recording the refusal failed: ledger: {}", name,
                to_string(*decision.refusal), decision.reason, entry.error().message);
  }
  return fail("{} refused ({}): {}", name, to_string(*decision.refusal), decision.reason);
}

}  // namespace

nlohmann::json provision_made_body(const Product& product, const ProvisionRequest& request,
                                   const ProvisionDecision& decision,
                                   const ProvisionContent& content) {
  return {
      {"recipient", recipient_summary(request.recipient)},
      {"product", product_reference(product)},
      {"type", to_string(decision.type)},
      {"tier", to_string(decision.tier)},
      {"content_tier", to_string(content.product.tier)},
      {"legal_basis", request.legal_basis},
      {"purpose", request.purpose},
      {"by", request.requested_by},
      {"confidentiality_obligation", text_or_null(request.recipient.confidentiality_obligation)},
      {"protection_confirmation", request.protection_confirmation
                                      ? confirmation_to_json(*request.protection_confirmation)
                                      : nlohmann::json(nullptr)},
      {"measure_id", text_or_null(request.measure_id)},
      {"selected_parts", request.selected_parts},
      {"via", text_or_null(request.via)},
      {"embargo_until", content.embargo_until
                            ? nlohmann::json(format_rfc3339_micros(*content.embargo_until))
                            : nlohmann::json(nullptr)},
      {"derivation", content.report.to_json()}};
}

Result<Provision> provide(const Product& product, const ProvisionRequest& request,
                          ProvisionServices& services) {
  Timestamp now = services.clock.now();
  ProvisionDecision decision = decide(product, request, now);
  if (!decision.allowed()) return refused(product, request, decision, services);

  auto content = build_content(product, request, decision, services.rules);
  if (!content) {
    ProvisionDecision failed = decision;
    failed.refusal = ProvisionRefusal::derivation_failed;
    failed.reason = content.error().message;
    return refused(product, request, failed, services);
  }

  if (services.release_check) {
    if (auto refusal = services.release_check(decision, *content)) {
      ProvisionDecision failed = decision;
      failed.refusal = refusal->refusal;
      failed.reason = std::move(refusal->reason);
      return refused(product, request, failed, services);
    }
  }

  std::string name = provision_name(product, request.recipient);
  nlohmann::json body = provision_made_body(product, request, decision, *content);
  // The ledger first: a provision is recorded before its content is released.
  auto entry = services.ledger.append(std::string(events::kProvisionMade), body, now);
  if (!entry) return fail("{}: recording it failed: ledger: {}", name, entry.error().message);

  Provision provision;
  ProvisionRecord& record = provision.record;
  record.ledger_seq = entry->seq;
  record.at = entry->at;
  record.recipient_id = request.recipient.id;
  record.recipient_class = request.recipient.recipient_class;
  record.product_id = product.id;
  record.product_version = product.version;
  record.type = decision.type;
  record.tier = decision.tier;
  record.legal_basis = request.legal_basis;
  record.purpose = request.purpose;
  record.provided_by = request.requested_by;
  record.details = std::move(body);
  record.content = product_to_json(content->product);
  if (auto stored = services.storage.record_provision(record); !stored) {
    return fail("{}: recorded as ledger entry {} but not stored: {}", name, entry->seq,
                stored.error().message);
  }
  provision.content = std::move(*content);
  return provision;
}

}  // namespace mamori::intel
