#pragma once
// server/taxii_config: the [taxii] section of mamori.toml — where the TAXII 2.1 server listens,
// its TLS certificate, its database, its one API root, the collections (one per audience, each
// with the tier of intelligence it holds) and the members allowed in (HTTP Basic over TLS; only
// libsodium crypto_pwhash_str hashes are stored, never passwords). Paths are relative to the
// configuration file.
//   [taxii]
//   address = "127.0.0.1"                 # loopback unless deliberately exposed
//   port = 9443                           # 0: an ephemeral port (tests)
//   certificate = "tls/server.crt"        # PEM
//   private_key = "tls/server.key"        # PEM, unencrypted
//   database = "taxii.db"                 # the server's own SQLite file (taxii_store.h)
//   title = "mamori TAXII"                # discovery title
//   api_root = "intel"                    # path segment of the API root: /intel/
//   api_root_title = "mamori intelligence"
//   max_content_length = 10485760         # bytes; larger POSTs get 413
//   max_page_size = 1000                  # objects per page at most (limit is clamped)
//   threads = 16                          # requests handled at once (1..1024); open
//                                         # connections are not limited by it
//   [[taxii.collections]]
//   id = "3a1f…-…"                        # a UUID (TAXII identifier)
//   title = "council members (T2)"
//   tier = 2                              # 1, 2 or 3: the tier of the products it holds
//   can_read = true                       # default true
//   can_write = true                      # members may contribute (default false)
//   audience = "council_member"           # who the collection is for: a recipient class
//                                         # (intel/recipient.h) of tiered provisions — agency,
//                                         # council_member, designated_operator or public.
//                                         # Without it `mamori intel publish` refuses the
//                                         # collection (publishing is a provision to this
//                                         # audience; it is never guessed from the tier)
//   confidentiality_obligation = "council-rules-2026"  # council_member, designated_operator:
//                                         # the 守秘義務 the audience accepted (the rules refuse
//                                         # T2 without it)
//   council_member = true                 # designated_operator only: the operators reading it
//                                         # are council members (may receive T2)
//   [[taxii.members]]
//   name = "council-a"                    # also the provider label of its contributions
//   password_hash = "$argon2id$v=19$…"    # `mamori users`-style crypto_pwhash_str string
//   tier = 2                              # sees collections of this tier and less sensitive
//   can_write = true
//   share_contributions = false           # consent: other readers get what it contributes
//                                         # (without it: only tier-1 members and itself)
//
// Publishing (`mamori intel publish`, cli/intel_commands.h) makes a provision to the collection's
// audience, recipient id "taxii:<collection id>" (collection_recipient): the dissemination rules
// decide it, with the collection's tier as the tier asked for, and it is on the ledger before
// any object is stored. A foreign government is not an audience: its provisions need a
// confirmation of equivalent protection for each product (`mamori intel provide`).
//
// Visibility (decided here, tested in tests/server): tier 1 is the most sensitive. A member of
// tier t sees the collections of tier >= t (a T2 member sees T2 and T3 collections). Collections
// it does not see are 404 for it, exactly like collections that do not exist, so their
// existence is not revealed; an action on a visible collection that is not allowed (POST to a
// collection without can_write, or by a member without can_write; GET on a write-only
// collection) is 403.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/config.h"
#include "mamori/core/error.h"
#include "mamori/intel/recipient.h"

namespace mamori::server {

struct TaxiiCollection {
  std::string id = {};  // UUID
  std::string title = {};
  std::string description = {};
  int tier = 3;
  bool can_read = true;
  bool can_write = false;
  // The audience publishing provides to; none: the collection cannot be published to.
  std::optional<intel::RecipientClass> audience = {};
  std::string confidentiality_obligation = {};  // the audience's 守秘義務 reference, or empty
  bool council_member = false;                  // designated operators that are council members
};

// The recipient a publication into `collection` is provided to: id "taxii:<collection id>",
// name the title, and the audience's facts. Fails when the collection has no audience.
Result<intel::Recipient> collection_recipient(const TaxiiCollection& collection);

struct TaxiiMember {
  std::string name = {};
  std::string password_hash = {};  // crypto_pwhash_str output; never logged or echoed
  int tier = 3;
  bool can_write = false;
  // Its consent that the other members who can read a collection receive what it contributes
  // there; without it only tier-1 members (the government) and itself see its contributions.
  bool share_contributions = false;
};

struct TaxiiConfig {
  std::string address = "127.0.0.1";
  int port = 9443;
  std::string certificate = {};
  std::string private_key = {};
  std::string database = {};
  std::string title = "mamori TAXII";
  std::string description = {};
  std::string contact = {};
  std::string api_root = "intel";
  std::string api_root_title = "mamori intelligence";
  std::size_t max_content_length = std::size_t{10} * 1024 * 1024;
  std::size_t max_page_size = 1000;
  int threads = 16;
  std::vector<TaxiiCollection> collections = {};
  std::vector<TaxiiMember> members = {};

  const TaxiiCollection* collection(std::string_view id) const;
  const TaxiiMember* member(std::string_view name) const;
};

// A member sees a collection when its tier allows the collection's tier.
constexpr bool tier_allows(int member_tier, int collection_tier) {
  return member_tier <= collection_tier;
}

// True for a canonical 8-4-4-4-12 hex UUID (TAXII identifiers: collections, status resources).
bool is_uuid(std::string_view text);

// The section is required, and in it certificate, private_key and database. Errors name
// FILE:LINE and the key ("mamori.toml:12: key 'taxii.members[0].tier': …"), all at once;
// password hashes are never quoted.
Result<TaxiiConfig> load_taxii_config(const ConfigFile& file);

// What load_taxii_config checks beyond types, for configs built in code (tests, benches): api
// root a single path segment, collection ids UUIDs and unique, tiers 1..3, audiences classes of
// tiered provisions other than foreign governments, council_member only for designated
// operators and an obligation only for council members and designated operators, member names
// unique and non-empty, hashes of crypto_pwhash_str form, limits positive.
Result<void> check_taxii_config(const TaxiiConfig& config);

}  // namespace mamori::server
