#include "mamori/privacy/share_config.h"

namespace mamori::privacy {

Result<ShareOptions> load_share_options(const ConfigFile& file) {
  ShareOptions options;
  ConfigTable share(file, "share");
  if (auto k = share.integer("k", 2, 1'000'000)) options.k = static_cast<std::uint32_t>(*k);
  if (auto window = share.duration("window")) options.window = *window;
  share.reject_unknown_keys();
  if (auto ok = share.result(); !ok) return fail(ok.error());
  if (auto valid = validate_share_options(options); !valid) {
    return fail("{}: [share]: {}", file.path(), valid.error().message);
  }
  return options;
}

}  // namespace mamori::privacy
