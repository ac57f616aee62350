// Fuzzes what the console takes from a request line before any handler runs: the route table's
// matcher (method and path → route and {id} parameters) and the static-file lookup of the built
// console (path → a file inside static_dir, or missing, or forbidden). Properties checked on
// every input: a matched route's method is the request's (HEAD as GET), its parameters are
// non-empty single segments; a file the lookup returns is inside the directory and never a dot
// file; a path with a ".." segment is never a file. Nothing crashes or reads outside.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "mamori/server/console_rbac.h"
#include "mamori/server/console_static.h"

namespace {

// A small built console: index.html, assets/app.js, a dot file, and a file outside reached by
// a symlink. Made once per process in a temp directory, removed at exit.
std::filesystem::path& fixture_base() {
  static std::filesystem::path base;
  return base;
}

const std::string& static_root() {
  static const std::string root = [] {
    char pattern[] = "/tmp/mamori-console-fuzz-XXXXXX";
    const char* made = mkdtemp(pattern);
    if (made == nullptr) __builtin_trap();
    const std::filesystem::path base(made);
    fixture_base() = base;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(fixture_base(), ignored);
    });
    std::filesystem::create_directories(base / "web" / "assets");
    std::ofstream(base / "web" / "index.html") << "<!doctype html>";
    std::ofstream(base / "web" / "assets" / "app.js") << "export {};";
    std::ofstream(base / "web" / ".env") << "SECRET=1";
    std::ofstream(base / "outside.txt") << "outside";
    std::filesystem::create_symlink(base / "outside.txt", base / "web" / "link.txt");
    return std::filesystem::canonical(base / "web").string();
  }();
  return root;
}

bool has_dot_segment(std::string_view path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    if (path.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // "METHOD PATH": the first space splits them; without one the whole input is a GET path.
  const std::size_t space = input.find(' ');
  const std::string_view method = space == std::string_view::npos ? "GET" : input.substr(0, space);
  const std::string_view path = space == std::string_view::npos ? input : input.substr(space + 1);

  if (const auto match = mamori::server::match_route(method, path)) {
    const std::string_view expected = method == "HEAD" ? "GET" : method;
    if (match->route == nullptr || match->route->method != expected) __builtin_trap();
    for (const auto& param : match->params) {
      if (param.empty() || param.find('/') != std::string::npos) __builtin_trap();
    }
  }
  (void)mamori::server::path_has_route(path);

  const std::string& root = static_root();
  const auto found = mamori::server::find_static_file(root, path);
  if (found.outcome == mamori::server::StaticLookup::file) {
    if (!found.path.starts_with(root + "/")) __builtin_trap();
    if (found.path.find("/.") != std::string::npos) __builtin_trap();
    if (has_dot_segment(path)) __builtin_trap();
  }
  (void)mamori::server::content_type_for(path);
  return 0;
}
