// `mamori records`: queries the store. Output formats: jsonl (one record per line, the record
// JSON of sieve/record_json.h), table (one line per record for people) and summary (what was
// selected and why: records per rule).

#include <cstdio>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mamori/cli/commands.h"
#include "mamori/sieve/record_json.h"
#include "mamori/site/access_gate.h"
#include "mamori/site/installation.h"
#include "mamori/store/store.h"

namespace mamori::cli {
namespace {

Result<store::RecordQuery> make_query(const RecordsArgs& args) {
  store::RecordQuery query;
  query.limit = args.limit;
  query.rule = args.rule;
  if (args.address) {
    auto prefix = sieve::parse_prefix_text(*args.address);
    if (!prefix) return fail("--address: {}", prefix.error().message);
    query.address = prefix->prefix;
    query.address_epoch = prefix->pseudonym_epoch;
  }
  if (auto range = site::apply_time_range(args.since, args.until, query); !range) {
    return fail(range.error());
  }
  if (args.category) {
    auto category = scope::parse_category(*args.category);
    if (!category || *category == scope::Category::DD) {
      return fail("--category: '{}' is not one of FF, FD, DF", *args.category);
    }
    query.category = *category;
  }
  return query;
}

std::string endpoint_text(const sieve::Endpoint& endpoint) {
  const auto country = endpoint.country.to_string();
  // A pseudonym keeps its "p<epoch>:" mark: without it, it reads as a real host's address.
  const auto text = sieve::address_text(endpoint.ip, endpoint.pseudonym_epoch);
  const auto ip = endpoint.ip.is_v4() ? text : "[" + text + "]";
  return fmt::format("{}:{} ({})", ip, endpoint.port, country.empty() ? "--" : country);
}

// The most telling name of a record: TLS SNI, HTTP Host, or the first DNS query.
std::string name_of(const sieve::Record& record) {
  if (record.tls && !record.tls->sni.empty()) return record.tls->sni;
  if (!record.http.empty() && !record.http.front().host.empty()) return record.http.front().host;
  if (!record.dns.empty()) return record.dns.front().name;
  return "-";
}

std::string rules_of(const sieve::Record& record) {
  std::string out;
  for (const auto& match : record.matches) {
    if (!out.empty()) out += ',';
    out += match.rule;
  }
  return out;
}

void print_table(const std::vector<store::StoredRecord>& records) {
  fmt::print("{:<27} {:<3} {:<5} {:<44} {:<44} {:>9} {:>12} {:<28} {}\n", "first_seen / 初観測",
             "cat", "proto", "src / 送信元", "dst / 宛先", "packets", "bytes", "name / 名前",
             "rules / 条件");
  for (const auto& stored : records) {
    const auto& r = stored.record;
    fmt::print("{:<27} {:<3} {:<5} {:<44} {:<44} {:>9} {:>12} {:<28} {}\n",
               format_rfc3339_micros(r.first_seen), scope::to_string(r.category),
               sieve::protocol_name(r.protocol), endpoint_text(r.src), endpoint_text(r.dst),
               r.packets[0] + r.packets[1], r.bytes[0] + r.bytes[1], name_of(r), rules_of(r));
  }
}

void print_summary(const std::vector<store::StoredRecord>& records) {
  struct PerRule {
    std::string kind;
    std::uint64_t records = 0;
    std::map<std::string, std::uint64_t> categories;
    std::string example;
  };
  std::map<std::string, PerRule> by_rule;
  for (const auto& stored : records) {
    for (const auto& match : stored.record.matches) {
      auto& entry = by_rule[match.rule];
      entry.kind = std::string(sieve::to_string(match.kind));
      ++entry.records;
      ++entry.categories[std::string(scope::to_string(stored.record.category))];
      if (entry.example.empty()) {
        entry.example = fmt::format("{} → {} {}", endpoint_text(stored.record.src),
                                    endpoint_text(stored.record.dst), name_of(stored.record));
        if (!match.command.empty()) {
          entry.example += fmt::format(" command_hex={:02x}", fmt::join(match.command, ""));
        }
      }
    }
  }
  fmt::print("What was selected and why / 何がなぜ選別されたか ({} records / 件)\n",
             records.size());
  fmt::print("{:<24} {:<8} {:>8}  {:<18} {}\n", "rule / 条件", "kind", "records", "categories",
             "example / 例");
  for (const auto& [rule, entry] : by_rule) {
    std::string categories;
    for (const auto& [name, n] : entry.categories) {
      categories += fmt::format("{}{}={}", categories.empty() ? "" : " ", name, n);
    }
    fmt::print("{:<24} {:<8} {:>8}  {:<18} {}\n", rule, entry.kind, entry.records, categories,
               entry.example);
  }
}

}  // namespace

int run_records(const RecordsArgs& args) {
  auto installation = site::open_installation(args.config);
  if (!installation) {
    std::fprintf(stderr, "mamori records: %s\n", installation.error().message.c_str());
    return 1;
  }
  auto query = make_query(args);
  if (!query) {
    std::fprintf(stderr, "mamori records: %s\n", query.error().message.c_str());
    return 1;
  }
  auto credentials = site::gather_credentials(args.user, args.password_file, args.token_file);
  if (!credentials) {
    std::fprintf(stderr, "mamori records: %s\n", credentials.error().message.c_str());
    return 1;
  }
  auto store = store::open_store((*installation)->sieve.store);
  if (!store) {
    std::fprintf(stderr, "mamori records: %s\n", store.error().message.c_str());
    return 1;
  }
  auto grant = site::authorize_read(**installation, **store, *credentials, args.purpose, *query);
  if (!grant) {
    std::fprintf(stderr, "mamori records: %s\n", grant.error().message.c_str());
    return 1;
  }
  auto records = (*store)->query(*query);
  if (!records) {
    std::fprintf(stderr, "mamori records: %s\n", records.error().message.c_str());
    return 1;
  }
  // Recorded before anything is shown: a read the ledger does not know of never happens.
  if (auto recorded = site::record_read(**installation, *grant, *query, records->size());
      !recorded) {
    std::fprintf(stderr, "mamori records: %s\n", recorded.error().message.c_str());
    return 1;
  }
  if (args.format == "table") {
    print_table(*records);
  } else if (args.format == "summary") {
    print_summary(*records);
  } else {
    for (const auto& stored : *records)
      std::cout << sieve::record_to_json_line(stored.record) << '\n';
  }
  return 0;
}

}  // namespace mamori::cli
