#include "mamori/privacy/privacy_config.h"

#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace mamori::privacy {

Result<PrivacyConfig> load_privacy_config(const ConfigFile& file) {
  PrivacyConfig config;
  ConfigTable privacy(file, "privacy");
  config.key_file = privacy.path("key_file");
  if (auto clear = privacy.string("clear")) {
    auto parsed = parse_clear_addresses(*clear);
    if (parsed) {
      config.clear = *parsed;
    } else {
      privacy.error("clear", parsed.error().message);
    }
  }
  // A key about domestic addresses gets the reason, not just "unknown key".
  std::vector<std::string_view> domestic_keys;
  const toml::node* section = file.root().get("privacy");
  if (const auto* table = section != nullptr ? section->as_table() : nullptr) {
    for (const auto& [key, node] : *table) {
      if (key.str().find("domestic") == std::string_view::npos) continue;
      domestic_keys.push_back(key.str());
      privacy.error(key.str(),
                    "domestic addresses are always pseudonymized (I5): this cannot be "
                    "configured / 国内のアドレスは常に仮名化されます（設定不可）");
    }
  }
  privacy.reject_unknown_keys(domestic_keys);  // already reported above, with the reason
  if (auto ok = privacy.result(); !ok) return fail(ok.error());
  return config;
}

Result<std::string> require_key_file(const PrivacyConfig& config, std::string_view config_path) {
  if (config.key_file) return *config.key_file;
  return fail(
      "{}: [privacy] key_file is missing: records are always de-identified (I5); create a key "
      "file with `mamori keys pseudonym --out keys/pseudonym.keys` and name it there / "
      "仮名化鍵ファイルが設定されていません",
      config_path);
}

}  // namespace mamori::privacy
