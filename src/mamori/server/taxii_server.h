#pragma once
// server/taxii_server: a TAXII 2.1 server (OASIS TAXII 2.1 CS01) over HTTPS — the first cut of
// mamorid (issue 7 item 5). Endpoints:
//   GET  /taxii2/                                                  discovery
//   GET  /{root}/                                                  API root information
//   GET  /{root}/collections/                                      the collections the member sees
//   GET  /{root}/collections/{id}/                                 one collection
//   GET  /{root}/collections/{id}/objects/                         envelope: added_after, limit,
//        next, match[id], match[type], match[version] (last, first, all or timestamps),
//        match[spec_version]; X-TAXII-Date-Added-First/Last headers
//   POST /{root}/collections/{id}/objects/                         an envelope of objects → 202
//        with a status resource; every object is judged by the intel STIX reader and re-checked
//        against the collection's tier (a TLP marking stricter than the tier allows, e.g.
//        TLP:RED in a T3 collection, is a failure naming the object id and the marking), the
//        accepted ones stored with the member as provider ("provider:<name>")
//   GET  /{root}/collections/{id}/objects/{object-id}/             the versions of one object
//   GET  /{root}/collections/{id}/objects/{object-id}/versions/    its version list
//   GET  /{root}/collections/{id}/manifest/                        manifest entries
//   GET  /{root}/status/{status-id}/                               a POST's status (its member's)
// Every response is application/taxii+json;version=2.1; errors are TAXII error message
// resources. Members authenticate with HTTP Basic (TLS only): 401 with WWW-Authenticate without
// valid credentials, 406 for an Accept that excludes TAXII 2.1, 415 for a POST of another
// Content-Type, 413 above max_content_length, 404 for anything the member does not see
// (taxii_config.h explains the tier rule), 403 for a visible but forbidden action, 400 for bad
// parameters, 422 for a body that is JSON but not an envelope of objects. `next` is the
// date_added (microseconds) of the last object served; pagination is exact.
//
// Provisions and deliveries. Putting a product into a collection is a provision to the
// collection's audience — the legal act — made by `mamori intel publish`: the dissemination
// rules decide it and it is recorded on the ledger (provision.made) before any object is stored.
// Each GET of objects (the objects endpoint or one object's) that returns objects is then only
// a delivery: one member fetching what was already provided. Deliveries are not provisions and
// not ledger events; they are logged in the server's own database (TaxiiStore::deliveries:
// member, collection, count, date_added range, time) for the overseer (`mamori intel
// deliveries`). A delivery that cannot be logged is not made (500). Manifests and version lists
// carry no object content and are not deliveries.
//
// A successful password check is remembered as a keyed BLAKE2b digest of the password (key
// random per process) so that argon2id runs once per member and password, not per request.
// Nothing here logs requests, credentials or payloads.

#include <memory>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/server/taxii_config.h"
#include "mamori/server/taxii_store.h"

namespace mamori::server {

inline constexpr std::string_view kTaxiiMediaType = "application/taxii+json;version=2.1";
inline constexpr std::string_view kStixMediaType = "application/stix+json;version=2.1";

class TaxiiServer {
 public:
  // Loads the certificate and key, binds config.address:config.port (port 0: an ephemeral port,
  // see port()) and serves in a background thread; returns once the server accepts requests.
  // `store` and `clock` must outlive the server.
  static Result<std::unique_ptr<TaxiiServer>> start(TaxiiConfig config, TaxiiStore& store,
                                                    const Clock& clock);

  // The port actually bound.
  int port() const;
  // Stops accepting, waits for the handlers running now and closes the connections (answers
  // not yet sent are dropped). Idempotent.
  void stop();

  ~TaxiiServer();
  TaxiiServer(const TaxiiServer&) = delete;
  TaxiiServer& operator=(const TaxiiServer&) = delete;

 private:
  struct Impl;
  explicit TaxiiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mamori::server
