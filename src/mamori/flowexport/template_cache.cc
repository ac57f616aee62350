#include "mamori/flowexport/template_cache.h"

#include <iterator>
#include <utility>

namespace mamori::flowexport {

TemplateCache::TemplateCache(std::size_t max_templates, Duration timeout)
    : max_templates_(max_templates == 0 ? 1 : max_templates), timeout_(timeout) {}

bool TemplateCache::is_expired(const Entry& entry, Timestamp now) const {
  // A receive time earlier than the refresh (clock steps, reordering) never expires anything.
  return timeout_.nanos > 0 && now - entry.refreshed > timeout_;
}

void TemplateCache::erase(Entries::iterator it) {
  by_age_.erase(it->second.age);
  entries_.erase(it);
}

const FlowTemplate* TemplateCache::find(const TemplateKey& key, Timestamp now) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  if (is_expired(it->second, now)) {
    erase(it);
    ++expired_;
    return nullptr;
  }
  return &it->second.plan;
}

void TemplateCache::put(const TemplateKey& key, FlowTemplate plan, Timestamp now) {
  const auto it = entries_.find(key);
  if (it != entries_.end()) {
    it->second.plan = std::move(plan);
    it->second.refreshed = now;
    by_age_.splice(by_age_.end(), by_age_, it->second.age);
    return;
  }
  while (entries_.size() >= max_templates_) {
    erase(entries_.find(by_age_.front()));
    ++evicted_;
  }
  by_age_.push_back(key);
  entries_.emplace(key, Entry{std::move(plan), now, std::prev(by_age_.end())});
}

bool TemplateCache::withdraw(const TemplateKey& key) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  erase(it);
  return true;
}

std::size_t TemplateCache::withdraw_all(const TemplateKey& key, TemplateKind kind) {
  // Keys of one exporter/protocol/domain are contiguous in the map, ordered by template id.
  TemplateKey first = key;
  first.template_id = 0;
  std::size_t removed = 0;
  for (auto it = entries_.lower_bound(first); it != entries_.end();) {
    const TemplateKey& k = it->first;
    if (k.exporter != key.exporter || k.protocol != key.protocol || k.domain != key.domain) break;
    if (it->second.plan.kind == kind) {
      by_age_.erase(it->second.age);
      it = entries_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

void TemplateCache::expire(Timestamp now) {
  while (!by_age_.empty()) {
    const auto it = entries_.find(by_age_.front());
    if (!is_expired(it->second, now)) break;
    erase(it);
    ++expired_;
  }
}

}  // namespace mamori::flowexport
