// See export_index.hpp.
#include "checks/export_index.hpp"

#include <algorithm>
#include <bit>

#include "checks/stage.hpp"
#include "checks/symbol_rules.hpp"

namespace dldoctor {

ImageExports::ImageExports(const elf::Image& image) : image_(image) {
  const std::vector<elf::Symbol>& symbols = image.dynamic_symbols;
  next_.assign(symbols.size(), kNone);
  slots_.resize(std::bit_ceil(std::max<std::size_t>(16, symbols.size() * 2)));
  const std::size_t mask = slots_.size() - 1;
  std::vector<std::uint32_t> last;  // by slot: the chain's last entry, to append in order
  last.assign(slots_.size(), kNone);
  for (std::uint32_t entry = 0; entry < symbols.size(); ++entry) {
    const elf::Symbol& symbol = symbols[entry];
    if (!exportable(symbol.binding, symbol.type, symbol.visibility, symbol.defined())) continue;
    const std::uint64_t name_hash = hash(symbol.name);
    for (std::size_t at = name_hash & mask;; at = (at + 1) & mask) {
      Slot& slot = slots_[at];
      if (slot.entry == kNone) {
        slot = Slot{static_cast<std::uint32_t>(name_hash), entry};
        last[at] = entry;
        break;
      }
      if (slot.hash == static_cast<std::uint32_t>(name_hash) &&
          symbols[slot.entry].name == symbol.name) {
        next_[last[at]] = entry;
        last[at] = entry;
        break;
      }
    }
  }
}

std::uint32_t ImageExports::first(std::string_view name, std::uint64_t name_hash) const noexcept {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t at = name_hash & mask;; at = (at + 1) & mask) {
    const Slot& slot = slots_[at];
    if (slot.entry == kNone) return kNone;
    if (slot.hash == static_cast<std::uint32_t>(name_hash) &&
        image_.dynamic_symbols[slot.entry].name == name)
      return slot.entry;
  }
}

const ImageExports& ScopeImage::exports() const {
  std::call_once(exports_made_, [&] { exports_ = std::make_unique<const ImageExports>(image); });
  return *exports_;
}

}  // namespace dldoctor
