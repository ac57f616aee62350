#include "mamori/registry/storage.h"

namespace mamori::registry {

std::string_view to_string(SubmissionKind kind) {
  switch (kind) {
    case SubmissionKind::filing:
      return "filing";
    case SubmissionKind::change:
      return "change";
    case SubmissionKind::import:
      return "import";
    case SubmissionKind::incident_report:
      return "incident-report";
  }
  return "unknown";
}

Result<SubmissionKind> parse_submission_kind(std::string_view text) {
  for (SubmissionKind kind : {SubmissionKind::filing, SubmissionKind::change,
                              SubmissionKind::import, SubmissionKind::incident_report}) {
    if (text == to_string(kind)) return kind;
  }
  return fail("unknown submission kind '{}'", text);
}

}  // namespace mamori::registry
