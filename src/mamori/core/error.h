#pragma once
// core/error: the one error model above the packet path. Recoverable failures are values
// (std::expected), carrying a message that says what failed and where (file, line/offset,
// field). Messages must never contain payload bytes or unselected identifiers (I1).

#include <expected>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace mamori {

struct Error {
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

// fail("bad {} at offset {}", what, offset) -> std::unexpected<Error>
template <class... Args>
[[nodiscard]] std::unexpected<Error> fail(fmt::format_string<Args...> format, Args&&... args) {
  return std::unexpected(Error{fmt::format(format, std::forward<Args>(args)...)});
}

[[nodiscard]] inline std::unexpected<Error> fail(Error error) {
  return std::unexpected(std::move(error));
}

}  // namespace mamori
