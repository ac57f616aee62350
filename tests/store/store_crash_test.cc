// Crash safety of the SQLite store: a child process appends and flushes in a loop and reports
// each completed flush through a pipe; the parent kills it with SIGKILL at a random report and
// checks that every reported record survived, that what survived is a gap-free prefix of what
// was appended, and that the file passes integrity_check. Synchronisation is only the pipe.

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "mamori/store/store.h"
#include "test_records.h"

namespace mamori::store::testing {
namespace {

constexpr std::size_t kChunk = 10;            // records per append() + flush()
constexpr std::uint64_t kMaxChunks = 20'000;  // the child stops on its own after this

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, bytes, size);
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Reads one 8-byte progress report; false at end of stream.
bool read_report(int fd, std::uint64_t& value) {
  char buffer[sizeof value];
  std::size_t have = 0;
  while (have < sizeof buffer) {
    const ssize_t n = ::read(fd, buffer + have, sizeof buffer - have);
    if (n <= 0) return false;
    have += static_cast<std::size_t>(n);
  }
  std::memcpy(&value, buffer, sizeof value);
  return true;
}

// The child: never returns. Batch 7 against chunks of 10 makes the store also commit on its
// own in the middle of append(), so the kill lands in every phase.
[[noreturn]] void child(const std::string& path, int fd) {
  auto store = open_store("sqlite:" + path + "?batch=7");
  if (!store) _exit(2);
  auto run = (*store)->begin_run({.sensor = "gw-crash",
                                  .started_at = Timestamp::from_seconds(1795305600),
                                  .config_hash = "c",
                                  .ruleset_hash = "r",
                                  .input = "x"});
  if (!run) _exit(3);
  for (std::uint64_t chunk = 0; chunk < kMaxChunks; ++chunk) {
    const auto records = make_records(chunk * kChunk, kChunk, 99);
    if (!(*store)->append(*run, records) || !(*store)->flush()) _exit(4);
    const std::uint64_t flushed = (chunk + 1) * kChunk;
    if (!write_all(fd, &flushed, sizeof flushed)) _exit(5);
  }
  _exit(0);
}

std::string integrity(const std::string& path) {
  sqlite3* db = nullptr;
  std::string result = "<cannot open>";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close_v2(db);
  return result;
}

std::uint64_t crash_seed() {
  if (const char* text = std::getenv("MAMORI_CRASH_SEED")) return std::strtoull(text, nullptr, 10);
  return std::random_device{}();
}

TEST(SqliteStoreCrash, KillNineKeepsEveryFlushedRecord) {
  const std::uint64_t seed = crash_seed();
  SCOPED_TRACE(::testing::Message() << "MAMORI_CRASH_SEED=" << seed);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE(::testing::Message() << "round " << round);
    TempDir dir;
    const std::string path = dir.file("crash.db");
    const auto kill_after = std::uniform_int_distribution<int>(1, 80)(rng);

    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      child(path, fds[1]);
    }
    close(fds[1]);
    std::uint64_t flushed = 0;
    std::uint64_t report = 0;
    for (int seen = 0; seen < kill_after && read_report(fds[0], report); ++seen) flushed = report;
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    // Reports written before the kill are flushes that completed too.
    while (read_report(fds[0], report)) flushed = report;
    close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child ended on its own with status " << status;
    ASSERT_GT(flushed, 0u);

    EXPECT_EQ(integrity(path), "ok");
    auto store = open_store("sqlite:" + path);
    ASSERT_TRUE(store) << store.error().message;
    auto stored = (*store)->query({.limit = 0});
    ASSERT_TRUE(stored) << stored.error().message;
    EXPECT_GE(stored->size(), flushed) << "a flushed record was lost";
    for (std::size_t i = 0; i < stored->size(); ++i) {
      ASSERT_EQ(sequence_of((*stored)[i].record), i) << "survivors are not a gap-free prefix";
    }
    const auto expected = make_records(0, stored->size(), 99);
    for (std::size_t i = 0; i < stored->size(); ++i) {
      ASSERT_EQ((*stored)[i].record, expected[i]) << "record " << i << " differs";
    }
    auto runs = (*store)->runs();
    ASSERT_TRUE(runs);
    ASSERT_EQ(runs->size(), 1u);
    EXPECT_EQ(runs->front().ended_at, std::nullopt);
  }
}

}  // namespace
}  // namespace mamori::store::testing
