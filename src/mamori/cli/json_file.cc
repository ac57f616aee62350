#include "mamori/cli/json_file.h"

#include <cstdio>
#include <fstream>

namespace mamori::cli {

Result<nlohmann::json> read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail("cannot read {}", path);
  auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded()) return fail("{}: not valid JSON", path);
  return json;
}

Result<void> write_json_file(const std::string& path, const nlohmann::json& json) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    if (!out) return fail("cannot write {}", temporary);
    out << json.dump(2) << '\n';
    out.close();
    if (!out) return fail("cannot write {}", temporary);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return fail("cannot replace {}", path);
  }
  return {};
}

}  // namespace mamori::cli
