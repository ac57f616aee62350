#pragma once
// server/console_static: which file of the built web console (static_dir) a GET path names,
// refusing everything that could reach outside it: ".." and "." segments, dot files and dot
// directories (".env", ".git/"), backslashes and NUL bytes, and files (or directories on the
// way) that are symlinks leading out of the directory (the resolved path must stay inside the
// resolved static_dir). The path given is the server's (http_parser.h), already percent-decoded,
// so "%2e%2e" arrives here as "..".

#include <optional>
#include <string>
#include <string_view>

namespace mamori::server {

enum class StaticLookup {
  file,       // `path` is a regular file inside the directory
  missing,    // a well-formed path naming nothing: the console's client-side routes
  forbidden,  // a traversal attempt or a dot file: 404, never the index
};

struct StaticFile {
  StaticLookup outcome = StaticLookup::missing;
  std::string path;  // resolved, when outcome is file
};

// `root` must be the canonical (realpath) form of static_dir.
StaticFile find_static_file(const std::string& root, std::string_view request_path);

// Content-Type by file extension (text types with charset=utf-8); application/octet-stream
// when unknown.
std::string content_type_for(std::string_view path);

}  // namespace mamori::server
