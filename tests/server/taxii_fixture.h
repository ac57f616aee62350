#pragma once
// Shared by the tests/server files: a temporary directory, a self-signed certificate for
// 127.0.0.1, cheap password hashes (libsodium's minimum argon2id cost: tests, not production),
// STIX objects made with the intel writer's model, and HTTPS clients that verify the test's
// certificate.

#include <gtest/gtest.h>

#include <sodium.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <httplib.h>

#include "mamori/intel/stix.h"
#include "mamori/intel/stix_pattern.h"
#include "mamori/server/taxii_config.h"
#include "mamori/server/taxii_store.h"
#include "mamori/server/tls_certificate.h"
#include "support/password_hash.h"
#include "support/temp_dir.h"

namespace mamori::server::testing {

namespace fs = std::filesystem;

using TempDir = test_support::TempDir;

using test_support::cheap_password_hash;

// An indicator of one IPv4 address, created and modified at `at` (millisecond precision).
inline intel::stix::Indicator make_indicator(std::string_view address, Timestamp at,
                                             std::string id = {}) {
  using namespace intel::stix;
  Indicator indicator;
  indicator.common.id = id.empty() ? new_id("indicator") : std::move(id);
  indicator.common.created = truncate_to_millis(at);
  indicator.common.modified = truncate_to_millis(at);
  indicator.name = "C2 address";
  indicator.indicator_types = {"malicious-activity"};
  indicator.pattern =
      render_pattern(any_of(ObservableProperty::kIpv4, {std::string(address)})).value();
  indicator.valid_from = truncate_to_millis(at);
  return indicator;
}

inline intel::stix::Malware make_malware(std::string_view name, Timestamp at) {
  using namespace intel::stix;
  Malware malware;
  malware.common.id = new_id("malware");
  malware.common.created = truncate_to_millis(at);
  malware.common.modified = truncate_to_millis(at);
  malware.name = std::string(name);
  malware.malware_types = {"bot"};
  malware.is_family = true;
  return malware;
}

inline NewObject stored(const intel::stix::StixObject& object) {
  auto result = new_object(object);
  if (!result) {
    ADD_FAILURE() << result.error().message;
    return {};
  }
  return *result;
}

}  // namespace mamori::server::testing
