#pragma once
// flowexport/template_cache: the templates a collector has learnt, per exporter, observation
// domain (or v9 source id) and template id.
//
// Bounded: at most `max_templates` entries; adding one more evicts the entry least recently
// (re)sent. Templates over UDP expire (RFC 7011 §8.4, RFC 3954 §5.2): an entry not refreshed
// within `timeout` is dropped when it is next looked up or reaches the front of the age list.
// A zero timeout disables expiry. Times are the caller's receive times, never the wall clock.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>

#include "mamori/core/time.h"
#include "mamori/flowexport/flow_export_record.h"
#include "mamori/flowexport/flow_template.h"

namespace mamori::flowexport {

struct TemplateKey {
  ExporterId exporter = {};
  FlowExportProtocol protocol = FlowExportProtocol::ipfix;
  std::uint32_t domain = 0;
  std::uint16_t template_id = 0;

  constexpr auto operator<=>(const TemplateKey&) const = default;
};

class TemplateCache {
 public:
  TemplateCache(std::size_t max_templates, Duration timeout);

  // The template for `key`, or nullptr when unknown or expired (an expired one is removed and
  // counted). The pointer is valid until the next put/withdraw/expire call.
  const FlowTemplate* find(const TemplateKey& key, Timestamp now);
  // Adds or replaces (a re-sent template is refreshed); evicts the oldest entry when full.
  void put(const TemplateKey& key, FlowTemplate plan, Timestamp now);
  // Removes one template; false if it was not known.
  bool withdraw(const TemplateKey& key);
  // Removes every template of one kind for the exporter/protocol/domain of `key` (the
  // template id in `key` is ignored). Returns how many were removed.
  std::size_t withdraw_all(const TemplateKey& key, TemplateKind kind);
  // Drops entries from the front of the age list that have not been refreshed within the
  // timeout.
  void expire(Timestamp now);

  std::size_t size() const { return entries_.size(); }
  std::uint64_t evicted() const { return evicted_; }
  std::uint64_t expired() const { return expired_; }

 private:
  struct Entry {
    FlowTemplate plan;
    Timestamp refreshed;
    std::list<TemplateKey>::iterator age;
  };
  using Entries = std::map<TemplateKey, Entry>;

  bool is_expired(const Entry& entry, Timestamp now) const;
  void erase(Entries::iterator it);

  std::size_t max_templates_;
  Duration timeout_;
  Entries entries_;
  std::list<TemplateKey> by_age_;  // front: least recently (re)sent
  std::uint64_t evicted_ = 0;
  std::uint64_t expired_ = 0;
};

}  // namespace mamori::flowexport
