#pragma once
// privacy/share_config: the [share] section of mamori.toml — the thresholds of shareable
// aggregates (提供用選別後情報). Why these defaults: docs/compliance.md (I5).
//   [share]
//   k = 5            # distinct peers behind every aggregate and every value in it (>= 2)
//   window = "1h"    # time bucket; nothing finer is emitted

#include "mamori/core/config.h"
#include "mamori/privacy/share.h"

namespace mamori::privacy {

// Missing section: the defaults of ShareOptions. Errors name FILE:LINE and the key.
Result<ShareOptions> load_share_options(const ConfigFile& file);

}  // namespace mamori::privacy
