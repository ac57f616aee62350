#pragma once
// server/taxii_store: the TAXII server's own SQLite file — the objects of every collection and
// the status resources of POST requests. Each stored object keeps its STIX JSON text exactly as
// it was accepted (served byte for byte), indexed by id, type, spec_version and version (its
// `modified`, else `created`), with the provider label of whoever contributed it ("" for
// mamori's own products) and a date_added: server time in microseconds, unique and increasing
// across the file, so that pagination by date_added is exact (the `next` cursor is the last
// date_added served; adds read the file's latest date_added under the write lock, so another
// process — `mamori intel publish` beside a running mamorid — may add too). It also logs
// deliveries: every GET of objects that returned objects to a member (who, which collection,
// how many, the date_added range), for the overseer. Thread-safe: one connection behind a
// mutex.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/intel/stix.h"

namespace mamori::server {

// One object ready to be stored.
struct NewObject {
  std::string id = {};
  std::string type = {};
  std::string spec_version = "2.1";
  Timestamp version = {};
  std::string version_text = {};  // the timestamp as it appears in the object
  std::string json = {};          // compact STIX JSON of the object
  // The strictest TLP among its object_marking_refs (TLP 2.0 ids, and TLP 1.0 ids read as 2.0);
  // none when it references no TLP marking definition.
  std::optional<intel::stix::Tlp> tlp = {};
};

// From mamori's own model, written by the intel STIX writer.
Result<NewObject> new_object(const intel::stix::StixObject& object);
// From an object's JSON text (already validated by the intel STIX reader): reads id, type,
// spec_version, modified/created and the TLP of object_marking_refs. Errors name the property,
// never its value.
Result<NewObject> new_object_from_json(std::string_view json);

// The strictest TLP among marking references; none when none is a TLP marking definition.
std::optional<intel::stix::Tlp> strictest_tlp(std::span<const std::string> marking_refs);

// The re-check of every object stored into a collection (members' POSTs and `mamori intel
// publish`): its TLP marking may be no stricter than the collection's tier allows
// (intel::stix::max_tlp_for_tier). An object without a TLP marking takes the collection's.
// The error names the object id and the marking, never the object's content.
Result<void> check_collection_tier(const NewObject& object, int collection_tier);

// A member's GET of a collection's objects that returned objects: one member fetching what
// was already provided (the provision itself, `mamori intel publish`, is on the ledger).
struct Delivery {
  std::int64_t seq = 0;  // assigned by the store
  Timestamp at = {};     // server time of the response
  std::string member = {};
  std::string collection_id = {};
  std::size_t objects = 0;
  std::int64_t first_date_added = 0;  // microseconds: the range of date_added served
  std::int64_t last_date_added = 0;
};

// Empty/none fields match everything; `until` is exclusive.
struct DeliveryFilter {
  std::string collection_id = {};
  std::string member = {};
  std::optional<Timestamp> since = {};
  std::optional<Timestamp> until = {};
};

struct StoredObject {
  std::string id;
  std::string type;
  std::string spec_version;
  Timestamp version;
  std::string version_text;
  std::int64_t date_added = 0;  // microseconds since the epoch
  std::string provider;
  std::string json;  // empty unless asked for
};

enum class VersionMatch { kLast, kFirst, kAll, kListed };

// The TAXII filters; empty lists match everything.
struct ObjectFilter {
  std::vector<std::string> ids = {};
  std::vector<std::string> types = {};
  std::vector<std::string> spec_versions = {};
  VersionMatch version = VersionMatch::kLast;
  std::vector<Timestamp> versions = {};               // with kListed
  std::optional<std::int64_t> added_after = {};       // microseconds, exclusive
  std::optional<std::int64_t> after_date_added = {};  // the `next` cursor, exclusive
  std::size_t limit = 1000;
  // When set, only mamori's own objects (provider "") and those of these provider labels:
  // a contribution reaches others only within its provider's consent.
  std::optional<std::vector<std::string>> providers = {};
};

struct ObjectPage {
  std::vector<StoredObject> objects;
  bool more = false;
};

enum class AddOutcome { kAdded, kAlreadyPresent };

struct StatusRecord {
  std::string id = {};  // UUID
  std::string member = {};
  std::string collection_id = {};
  std::string json = {};  // the TAXII status resource
};

class TaxiiStore {
 public:
  // ":memory:" for a private in-memory database.
  static Result<std::unique_ptr<TaxiiStore>> open(const std::string& path, const Clock& clock);

  // Adds the objects in one transaction; an object whose (id, version) is already in the
  // collection is kept as it was (TAXII: the same version of an object is the same object).
  Result<std::vector<AddOutcome>> add(std::string_view collection_id,
                                      std::span<const NewObject> objects,
                                      std::string_view provider);

  // Objects in date_added order. `with_json` false leaves StoredObject::json empty (manifest,
  // versions).
  Result<ObjectPage> objects(std::string_view collection_id, const ObjectFilter& filter,
                             bool with_json);
  // Number of stored object versions in a collection.
  Result<std::size_t> count(std::string_view collection_id);

  Result<void> put_status(const StatusRecord& status);
  Result<std::optional<StatusRecord>> status(std::string_view id);

  // Records a delivery (`seq` is ignored) and returns its seq.
  Result<std::int64_t> record_delivery(const Delivery& delivery);
  // Deliveries in the order they were recorded.
  Result<std::vector<Delivery>> deliveries(const DeliveryFilter& filter);

  ~TaxiiStore();
  TaxiiStore(const TaxiiStore&) = delete;
  TaxiiStore& operator=(const TaxiiStore&) = delete;

 private:
  struct Impl;
  explicit TaxiiStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::mutex mutex_;
};

}  // namespace mamori::server
