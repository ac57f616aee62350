// Tests for registry/storage through the SQLite backend: round trips of every entity, computer
// history as revisions, incidents with appended reports, vulnerabilities whose embargo and
// exploitation mark survive a later entry, the per-organisation audit trail of submissions,
// refused calls leaving earlier data intact, reopening, and files that are not (or are newer)
// registries. Written against RegistryStorage so that a PostgreSQL backend can reuse it.

#include "mamori/registry/storage.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "mamori/registry/sqlite_registry.h"
#include "mamori/registry/storage_json.h"
#include "mamori/store/sqlite_db.h"
#include "support/temp_dir.h"

namespace mamori::registry {
namespace {

// A fresh directory under the system temp dir (support/temp_dir.h), named mamori-registry-*.
struct TempDir : test_support::TempDir {
  TempDir() : test_support::TempDir("mamori-registry") {}
};

const Timestamp kT0 = Timestamp::from_seconds(1'790'000'000);
Timestamp later(std::int64_t seconds) { return kT0 + Duration::seconds(seconds); }

Organisation organisation(const char* id, const char* name) {
  Organisation o;
  o.id = id;
  o.name = name;
  o.name_en = std::string(name) + " Co.";
  o.kinds = {OrganisationKind::designated_operator, OrganisationKind::council_member};
  o.ci_sectors = {"electricity"};
  o.key_infrastructure = {"electricity"};
  o.contacts = {{"山田", "csirt@example.jp", "03-0000-0000", "CSIRT"}};
  return o;
}

ImportantComputer vpn(const char* organisation_id, const char* version) {
  ImportantComputer c;
  c.id = std::string(organisation_id) + "/vpn-1";
  c.organisation_id = organisation_id;
  c.category = DeviceCategory::vpn_gateway;
  c.vendor = "フォーティネット";
  c.product = "FortiGate";
  c.version = version;
  c.cpe = "cpe:2.3:o:fortinet:fortios:7.2.0:*:*:*:*:*:*:*";
  c.internet_facing = true;
  c.managed_by = ManagedBy::contractor;
  c.contractor = "保守会社";
  c.note = "本社";
  return c;
}

IncidentReport report(ReportPhase phase, const char* organisation_id) {
  IncidentReport r;
  r.phase = phase;
  r.reporter = "CSIRT duty officer";
  r.organisation_id = organisation_id;
  r.detected_at = kT0;
  r.known = "logins from an unknown address";
  return r;
}

Vulnerability kev_entry(const char* id) {
  Vulnerability v;
  v.cve_id = id;
  v.vendor = "Fortinet";
  v.product = "FortiOS";
  v.name = "FortiOS out-of-bounds write";
  v.date_added = "2024-02-09";
  v.required_action = "Apply updates";
  v.due_date = "2024-02-16";
  v.known_ransomware = true;
  v.cwes = {"CWE-787"};
  return v;
}

class RegistryStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    open();
    ASSERT_TRUE(storage_->put_organisation(organisation("org-0001", "東京電力")));
    ASSERT_TRUE(storage_->put_organisation(organisation("org-0002", "関西電力")));
  }

  void open() {
    storage_.reset();
    auto opened = open_sqlite_registry(path_);
    ASSERT_TRUE(opened) << opened.error().message;
    storage_ = std::move(*opened);
  }

  void file(const ImportantComputer& c, const char* by, Timestamp at) {
    auto ok = storage_->file_computer(c, first_filing(c, at, by));
    ASSERT_TRUE(ok) << ok.error().message;
  }

  RegistryStorage& storage() { return *storage_; }

  TempDir dir_;
  std::string path_ = dir_.file("registry.db");
  std::unique_ptr<RegistryStorage> storage_;
};

TEST_F(RegistryStorageTest, OrganisationsRoundTripAndReplace) {
  auto got = storage().organisation("org-0001");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(organisation_to_json(**got),
            organisation_to_json(organisation("org-0001", "東京電力")));

  Organisation renamed = organisation("org-0001", "東京電力パワーグリッド");
  ASSERT_TRUE(storage().put_organisation(renamed));
  auto all = storage().organisations();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "東京電力パワーグリッド");
  EXPECT_EQ((*all)[1].id, "org-0002");
  auto missing = storage().organisation("org-9999");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST_F(RegistryStorageTest, VersionUpgradeIsRevisionTwoWithFullHistory) {
  const ImportantComputer v1 = vpn("org-0001", "7.2.0");
  file(v1, "operator-a", kT0);
  const ImportantComputer v2 = vpn("org-0001", "7.2.7");
  const ComputerChange change = diff_computer(v1, v2, later(60), "operator-a", 2);
  ASSERT_EQ(change.changed.size(), 1u);
  auto ok = storage().apply_change(v2, change);
  ASSERT_TRUE(ok) << ok.error().message;

  auto current = storage().computer(v1.id);
  ASSERT_TRUE(current && *current);
  EXPECT_EQ(computer_to_json(**current), computer_to_json(v2));

  auto history = storage().history(v1.id);
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].revision, 1u);
  EXPECT_EQ((*history)[1].revision, 2u);
  EXPECT_EQ(change_to_json((*history)[0]), change_to_json(first_filing(v1, kT0, "operator-a")));
  EXPECT_EQ(change_to_json((*history)[1]), change_to_json(change));
  EXPECT_EQ((*history)[1].changed,
            (std::vector<std::pair<std::string, std::string>>{{"version", "7.2.7"}}));

  auto mine = storage().computers("org-0001");
  auto theirs = storage().computers("org-0002");
  auto all = storage().all_computers();
  ASSERT_TRUE(mine && theirs && all);
  EXPECT_EQ(mine->size(), 1u);
  EXPECT_TRUE(theirs->empty());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(RegistryStorageTest, RefusedChangesLeaveEarlierDataIntact) {
  const ImportantComputer v1 = vpn("org-0001", "7.2.0");
  file(v1, "operator-a", kT0);
  const ImportantComputer v2 = vpn("org-0001", "7.2.7");

  // A stale revision (two operators changing the same computer at once).
  auto stale = storage().apply_change(v2, diff_computer(v1, v2, later(1), "operator-a", 1));
  ASSERT_FALSE(stale);
  EXPECT_NE(stale.error().message.find("revision 1"), std::string::npos) << stale.error().message;
  EXPECT_NE(stale.error().message.find("org-0001/vpn-1"), std::string::npos);

  // A change whose field list does not match what differs.
  ComputerChange wrong = diff_computer(v1, v2, later(1), "operator-a", 2);
  wrong.changed = {{"note", "x"}};
  EXPECT_FALSE(storage().apply_change(v2, wrong));

  // Moving a computer to another organisation.
  ImportantComputer moved = v1;
  moved.organisation_id = "org-0002";
  auto move = storage().apply_change(moved, diff_computer(v1, moved, later(1), "operator-b", 2));
  ASSERT_FALSE(move);
  EXPECT_NE(move.error().message.find("cannot move"), std::string::npos);

  // Filing twice, and filing for an organisation that is not registered.
  EXPECT_FALSE(storage().file_computer(v1, first_filing(v1, later(2), "operator-a")));
  const ImportantComputer stranger = vpn("org-0404", "1.0");
  auto unknown = storage().file_computer(stranger, first_filing(stranger, kT0, "x"));
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("org-0404"), std::string::npos);

  auto history = storage().history(v1.id);
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), 1u);
  auto current = storage().computer(v1.id);
  ASSERT_TRUE(current && *current);
  EXPECT_EQ((*current)->version, "7.2.0");
  auto trail = storage().submissions("org-0001");
  ASSERT_TRUE(trail);
  EXPECT_EQ(trail->size(), 1u);  // only the accepted filing
}

TEST_F(RegistryStorageTest, ImportIsOneSubmissionAndAFailedImportStoresNothing) {
  const ImportantComputer a1 = vpn("org-0001", "7.2.0");
  file(a1, "operator-a", kT0);
  ImportantComputer fw = vpn("org-0001", "1.0");
  fw.id = "org-0001/fw-1";
  fw.category = DeviceCategory::firewall;
  const std::vector<ImportantComputer> imported = {vpn("org-0001", "7.4.1"), fw};

  auto existing = storage().all_computers();
  auto history = storage().history(a1.id);
  ASSERT_TRUE(existing && history);
  const ImportPlan plan = apply_import(*existing, *history, imported, later(10), "operator-a");
  ASSERT_EQ(plan.new_filings.size(), 1u);
  ASSERT_EQ(plan.changes.size(), 1u);

  // Submitted as if by the other organisation: refused as a whole.
  auto foreign = storage().file_import(plan, {"org-0002", "operator-b", later(10), "x.csv"});
  ASSERT_FALSE(foreign);
  auto after_refusal = storage().all_computers();
  ASSERT_TRUE(after_refusal);
  EXPECT_EQ(after_refusal->size(), 1u);

  auto ok = storage().file_import(plan, {"org-0001", "operator-a", later(10), "computers.csv"});
  ASSERT_TRUE(ok) << ok.error().message;
  auto all = storage().all_computers();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  auto vpn_history = storage().history(a1.id);
  ASSERT_TRUE(vpn_history);
  EXPECT_EQ(vpn_history->size(), 2u);

  // The same file again changes nothing.
  auto again_history = storage().history(a1.id);
  ASSERT_TRUE(again_history);
  const ImportPlan again = apply_import(*all, *again_history, imported, later(20), "operator-a");
  EXPECT_TRUE(again.new_filings.empty());
  EXPECT_TRUE(again.changes.empty());
  EXPECT_EQ(again.unchanged.size(), 2u);

  auto trail = storage().submissions("org-0001");
  ASSERT_TRUE(trail);
  ASSERT_EQ(trail->size(), 2u);
  EXPECT_EQ((*trail)[1].kind, SubmissionKind::import);
  EXPECT_EQ((*trail)[1].subject, "computers.csv");
  EXPECT_EQ((*trail)[1].summary, "1 new, 1 changed, 0 unchanged, 0 conflicts not applied");
  auto theirs = storage().submissions("org-0002");
  ASSERT_TRUE(theirs);
  EXPECT_TRUE(theirs->empty());
}

TEST_F(RegistryStorageTest, IncidentsOpenAppendAndListByOrganisation) {
  const AttackCatalog catalog;
  auto opened = open_incident("inc-2026-0001", "ppc-leak", report(ReportPhase::first, "org-0001"),
                              catalog, "operator-a", later(100));
  ASSERT_TRUE(opened) << opened.error().message;
  auto ok = storage().open_incident(*opened);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_FALSE(storage().open_incident(*opened));  // same id twice

  Incident working = *opened;
  ASSERT_TRUE(submit_report(working, report(ReportPhase::interim, "org-0001"), catalog,
                            "operator-a", later(200)));
  ok = storage().append_report(working.id, working.reports.back());
  ASSERT_TRUE(ok) << ok.error().message;

  // Another organisation's report, and a second first report, are refused.
  IncidentReport foreign = report(ReportPhase::interim, "org-0002");
  foreign.submitted_by = "operator-b";
  EXPECT_FALSE(storage().append_report(working.id, foreign));
  IncidentReport second_first = report(ReportPhase::first, "org-0001");
  second_first.submitted_by = "operator-a";
  EXPECT_FALSE(storage().append_report(working.id, second_first));
  EXPECT_FALSE(storage().append_report("inc-missing", working.reports.back()));

  auto stored = storage().incident("inc-2026-0001");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ(incident_to_json(**stored), incident_to_json(working));
  ASSERT_EQ((*stored)->reports.size(), 2u);
  EXPECT_EQ((*stored)->reports[1].submitted_at, later(200));

  auto mine = storage().incidents("org-0001");
  auto theirs = storage().incidents("org-0002");
  auto all = storage().incidents();
  ASSERT_TRUE(mine && theirs && all);
  EXPECT_EQ(mine->size(), 1u);
  EXPECT_TRUE(theirs->empty());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(RegistryStorageTest, VulnerabilitiesKeepEmbargoAndExploitationMark) {
  Vulnerability gov = kev_entry("CVE-2024-21762");
  gov.source = VulnerabilitySource::government;
  gov.confidential = true;
  gov.patch_available = false;
  gov.affected = {{"", "Fortinet", "FortiOS", "7.2.0", "7.2.7"}};
  const std::vector<Vulnerability> first = {gov, kev_entry("CVE-2023-27997")};
  ASSERT_TRUE(storage().put_vulnerabilities(first));
  auto marked = storage().mark_exploited_in_japan("CVE-2024-21762", "inc-2026-0001");
  ASSERT_TRUE(marked) << marked.error().message;
  auto unknown = storage().mark_exploited_in_japan("CVE-1999-0001", "inc-2026-0001");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("CVE-1999-0001"), std::string::npos);

  // A later public entry for the same id does not lift the embargo or the mark.
  const std::vector<Vulnerability> public_entry = {kev_entry("CVE-2024-21762")};
  ASSERT_TRUE(storage().put_vulnerabilities(public_entry));

  auto all = storage().vulnerabilities();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].cve_id, "CVE-2023-27997");
  EXPECT_EQ(vulnerability_to_json((*all)[0]), vulnerability_to_json(kev_entry("CVE-2023-27997")));
  const Vulnerability& v = (*all)[1];
  EXPECT_TRUE(v.confidential);
  EXPECT_TRUE(v.exploited_in_japan);
  EXPECT_EQ(v.exploited_in_japan_basis, std::vector<std::string>{"inc-2026-0001"});
}

TEST_F(RegistryStorageTest, SubmissionsAreListedPerOrganisationOnly) {
  file(vpn("org-0001", "7.2.0"), "operator-a", kT0);
  file(vpn("org-0002", "6.4.0"), "operator-b", later(5));
  const ImportantComputer before = vpn("org-0001", "7.2.0");
  const ImportantComputer after = vpn("org-0001", "7.2.7");
  ASSERT_TRUE(
      storage().apply_change(after, diff_computer(before, after, later(9), "operator-a2", 2)));
  auto incident = open_incident("inc-1", "ppc-leak", report(ReportPhase::first, "org-0002"),
                                AttackCatalog{}, "operator-b", later(11));
  ASSERT_TRUE(incident);
  ASSERT_TRUE(storage().open_incident(*incident));

  auto mine = storage().submissions("org-0001");
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].kind, SubmissionKind::filing);
  EXPECT_EQ((*mine)[0].user, "operator-a");
  EXPECT_EQ((*mine)[0].at, kT0);
  EXPECT_EQ((*mine)[0].subject, "org-0001/vpn-1");
  EXPECT_EQ((*mine)[1].kind, SubmissionKind::change);
  EXPECT_EQ((*mine)[1].user, "operator-a2");
  EXPECT_EQ((*mine)[1].summary, "revision 2: version");
  EXPECT_LT((*mine)[0].sequence, (*mine)[1].sequence);
  for (const Submission& s : *mine) EXPECT_EQ(s.organisation_id, "org-0001");

  auto theirs = storage().submissions("org-0002");
  ASSERT_TRUE(theirs);
  ASSERT_EQ(theirs->size(), 2u);
  EXPECT_EQ((*theirs)[0].subject, "org-0002/vpn-1");
  EXPECT_EQ((*theirs)[1].kind, SubmissionKind::incident_report);
  EXPECT_EQ((*theirs)[1].subject, "inc-1");
  EXPECT_EQ((*theirs)[1].at, later(11));
  for (const Submission& s : *theirs) EXPECT_EQ(s.organisation_id, "org-0002");
}

TEST_F(RegistryStorageTest, ReopenKeepsEverything) {
  const ImportantComputer v1 = vpn("org-0001", "7.2.0");
  file(v1, "operator-a", kT0);
  const ImportantComputer v2 = vpn("org-0001", "7.2.7");
  ASSERT_TRUE(storage().apply_change(v2, diff_computer(v1, v2, later(1), "operator-a", 2)));
  auto incident = open_incident("inc-1", "ppc-leak", report(ReportPhase::first, "org-0001"),
                                AttackCatalog{}, "operator-a", later(2));
  ASSERT_TRUE(incident);
  ASSERT_TRUE(storage().open_incident(*incident));
  const std::vector<Vulnerability> entries = {kev_entry("CVE-2024-21762")};
  ASSERT_TRUE(storage().put_vulnerabilities(entries));

  open();
  auto orgs = storage().organisations();
  auto computer = storage().computer(v1.id);
  auto history = storage().history(v1.id);
  auto stored_incident = storage().incident("inc-1");
  auto vulns = storage().vulnerabilities();
  auto trail = storage().submissions("org-0001");
  ASSERT_TRUE(orgs && computer && *computer && history && stored_incident && *stored_incident &&
              vulns && trail);
  EXPECT_EQ(orgs->size(), 2u);
  EXPECT_EQ((*computer)->version, "7.2.7");
  EXPECT_EQ(history->size(), 2u);
  EXPECT_EQ(incident_to_json(**stored_incident), incident_to_json(*incident));
  EXPECT_EQ(vulns->size(), 1u);
  EXPECT_EQ(trail->size(), 3u);

  // Revisions continue after a reopen.
  const ImportantComputer v3 = vpn("org-0001", "7.4.0");
  EXPECT_TRUE(storage().apply_change(v3, diff_computer(v2, v3, later(3), "operator-a", 3)));
}

TEST_F(RegistryStorageTest, HistoryAndTrailAreAppendOnlyAndDamageIsNamed) {
  file(vpn("org-0001", "7.2.0"), "operator-a", kT0);
  storage_.reset();
  {
    auto db = store::sqlite::Database::open(path_, false, 1000);
    ASSERT_TRUE(db);
    EXPECT_FALSE(db->exec("DELETE FROM submissions"));
    EXPECT_FALSE(db->exec("UPDATE computer_changes SET by = 'someone else'"));
    ASSERT_TRUE(db->exec("UPDATE computers SET json = '{\"id\": 1' WHERE id = 'org-0001/vpn-1'"));
  }
  open();
  auto trail = storage().submissions("org-0001");
  ASSERT_TRUE(trail);
  EXPECT_EQ(trail->size(), 1u);
  auto damaged = storage().computer("org-0001/vpn-1");
  ASSERT_FALSE(damaged);
  EXPECT_NE(damaged.error().message.find("computer 'org-0001/vpn-1' is stored as invalid JSON"),
            std::string::npos)
      << damaged.error().message;
  EXPECT_NE(damaged.error().message.find(path_), std::string::npos);
}

TEST(SqliteRegistry, CorruptFileIsAClearError) {
  TempDir dir;
  const std::string path = dir.file("garbage.db");
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string(8192, 'x');
  }
  auto opened = open_sqlite_registry(path);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message.find("cannot open registry"), std::string::npos);
  EXPECT_NE(opened.error().message.find(path), std::string::npos);
  EXPECT_NE(opened.error().message.find("not a database"), std::string::npos)
      << opened.error().message;
}

TEST(SqliteRegistry, NewerSchemaIsRefusedAndLeftAlone) {
  TempDir dir;
  const std::string path = dir.file("registry.db");
  ASSERT_TRUE(open_sqlite_registry(path));
  {
    auto db = store::sqlite::Database::open(path, false, 1000);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec(fmt::format("PRAGMA user_version = {}", kRegistrySchemaVersion + 1)));
  }
  auto opened = open_sqlite_registry(path);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message.find("newer than this build"), std::string::npos)
      << opened.error().message;
  auto db = store::sqlite::Database::open(path, false, 1000);
  ASSERT_TRUE(db);
  auto version = db->query_int("PRAGMA user_version");
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, kRegistrySchemaVersion + 1);
}

TEST(SqliteRegistry, OtherSqliteFileIsNotARegistry) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  {
    auto db = store::sqlite::Database::open(path, false, 1000);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE t (x); PRAGMA user_version = 1"));
  }
  auto opened = open_sqlite_registry(path);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message.find("not a mamori registry"), std::string::npos)
      << opened.error().message;
}

TEST(StorageJson, DamagedFormsNameTheField) {
  nlohmann::json value = computer_to_json(vpn("org-0001", "7.2.0"));
  value.erase("managed_by");
  value["extra"] = 1;
  value["internet_facing"] = "yes";
  auto parsed = computer_from_json(value);
  ASSERT_FALSE(parsed);
  const std::string& message = parsed.error().message;
  EXPECT_NE(message.find("computer.managed_by"), std::string::npos) << message;
  EXPECT_NE(message.find("computer.extra: unknown field"), std::string::npos) << message;
  EXPECT_NE(message.find("computer.internet_facing"), std::string::npos) << message;

  auto round = organisation_from_json(organisation_to_json(organisation("org-1", "名前")));
  ASSERT_TRUE(round) << round.error().message;
  EXPECT_EQ(round->contacts.size(), 1u);
}

}  // namespace
}  // namespace mamori::registry
