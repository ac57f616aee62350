#include "mamori/server/console_static.h"

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <system_error>

namespace mamori::server {
namespace {

bool acceptable_segment(std::string_view segment) {
  if (segment.empty()) return true;          // "//" and a trailing "/" add nothing
  if (segment.front() == '.') return false;  // ".", "..", dot files and dot directories
  return segment.find('\\') == std::string_view::npos &&
         segment.find('\0') == std::string_view::npos;
}

}  // namespace

StaticFile find_static_file(const std::string& root, std::string_view request_path) {
  StaticFile out;
  if (request_path.empty() || request_path.front() != '/') {
    out.outcome = StaticLookup::forbidden;
    return out;
  }
  std::string relative;
  std::size_t start = 1;
  while (start <= request_path.size()) {
    std::size_t end = request_path.find('/', start);
    if (end == std::string_view::npos) end = request_path.size();
    const std::string_view segment = request_path.substr(start, end - start);
    if (!acceptable_segment(segment)) {
      out.outcome = StaticLookup::forbidden;
      return out;
    }
    if (!segment.empty()) {
      if (!relative.empty()) relative += '/';
      relative += segment;
    }
    start = end + 1;
  }
  if (root.empty()) return out;  // no console built: nothing is a file
  const std::string candidate = relative.empty() ? root + "/index.html" : root + "/" + relative;
  // realpath follows every symlink on the way; what it resolves to must still be inside root.
  std::unique_ptr<char, decltype(&std::free)> resolved(realpath(candidate.c_str(), nullptr),
                                                       &std::free);
  if (!resolved) return out;
  const std::string real = resolved.get();
  if (real.size() <= root.size() || real.compare(0, root.size(), root) != 0 ||
      real[root.size()] != '/') {
    out.outcome = StaticLookup::forbidden;
    return out;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(real, ec)) {
    // A directory (or anything else) is not served; a directory path is a client route.
    return out;
  }
  out.outcome = StaticLookup::file;
  out.path = real;
  return out;
}

std::string content_type_for(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json; charset=utf-8";
  if (ext == "webmanifest") return "application/manifest+json; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "woff") return "font/woff";
  if (ext == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace mamori::server
