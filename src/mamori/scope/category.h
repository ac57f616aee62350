#pragma once
// scope/category: the four scope categories of the Act by where each endpoint is.
// FF foreign↔foreign (外外), FD foreign→domestic (外内), DF domestic→foreign (内外),
// DD domestic↔domestic (内内, never processed). Direction is the initiator's.

#include <cstdint>
#include <optional>
#include <string_view>

namespace mamori::scope {

enum class Category : std::uint8_t { FF = 0, FD = 1, DF = 2, DD = 3 };
inline constexpr int kCategoryCount = 4;

constexpr std::string_view to_string(Category category) {
  constexpr std::string_view names[] = {"FF", "FD", "DF", "DD"};
  return names[static_cast<int>(category)];
}

constexpr std::optional<Category> parse_category(std::string_view text) {
  if (text == "FF") return Category::FF;
  if (text == "FD") return Category::FD;
  if (text == "DF") return Category::DF;
  if (text == "DD") return Category::DD;
  return std::nullopt;
}

constexpr Category category_of(bool initiator_domestic, bool responder_domestic) {
  if (initiator_domestic) return responder_domestic ? Category::DD : Category::DF;
  return responder_domestic ? Category::FD : Category::FF;
}

// A set of categories, e.g. the ones an authorization covers. DD can never be added.
class CategorySet {
 public:
  constexpr CategorySet() = default;
  constexpr bool add(Category category) {
    if (category == Category::DD) return false;
    bits_ = static_cast<std::uint8_t>(bits_ | (1u << static_cast<int>(category)));
    return true;
  }
  constexpr bool contains(Category category) const {
    return (bits_ >> static_cast<int>(category)) & 1u;
  }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr std::uint8_t bits() const { return bits_; }
  constexpr bool operator==(const CategorySet&) const = default;

 private:
  std::uint8_t bits_ = 0;
};

}  // namespace mamori::scope
