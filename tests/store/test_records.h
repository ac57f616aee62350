#pragma once
// tests/store/test_records: deterministic record fixtures and temporary directories shared by
// the store tests and the conformance suite.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "mamori/sieve/record.h"
#include "support/temp_dir.h"

namespace mamori::store::testing {

// 32 hex digits encoding `sequence`, so a test can tell which record it got back.
std::string flow_id_for(std::uint64_t sequence);
// Inverse of flow_id_for; UINT64_MAX if the id was not made by it.
std::uint64_t sequence_of(const sieve::Record& record);

// The rule ids and address blocks the generated records draw from.
inline constexpr const char* kRules[] = {"c2-ip-1", "c2-domain", "exploit-bytes", "ja3-bad"};

// Records with sequences first..first+count-1, varied but reproducible from `seed`: IPv4 and
// IPv6 endpoints from a few documentation blocks, all categories but DD, 0–3 matches, optional
// DNS, TLS (sometimes with a unicode SNI) and HTTP, µs-aligned times increasing with sequence.
// Record i is the same whatever range it is made in.
std::vector<sieve::Record> make_records(std::uint64_t first, std::size_t count, std::uint64_t seed);

// A fresh directory under the system temp dir (support/temp_dir.h), named mamori-store-*.
struct TempDir : test_support::TempDir {
  TempDir() : test_support::TempDir("mamori-store") {}
};

}  // namespace mamori::store::testing
