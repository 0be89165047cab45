// Every label name and value the store holds, each kept once: series and
// the postings index refer to strings by a 32-bit symbol. Reference
// counted, so the strings of series that are gone are given back: their
// bytes become garbage in the arena, which is compacted when it is more
// than half garbage (ids never change).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/id_index.hpp"

namespace mmwatch::history {

class SymbolTable {
public:
    static constexpr uint32_t kNone = base::IdIndex::kMissing;

    // The symbol of `s`, added if new; one more reference either way.
    uint32_t intern(std::string_view s);
    // One reference fewer; the symbol is forgotten at zero.
    void release(uint32_t id);
    // The symbol of `s` if held, kNone if not; no reference taken.
    [[nodiscard]] uint32_t find(std::string_view s) const noexcept;
    [[nodiscard]] std::string_view str(uint32_t id) const noexcept {
        const Entry& e = entries_[id];
        return {arena_.data() + e.offset, e.length};
    }
    [[nodiscard]] size_t size() const noexcept { return live_; }
    [[nodiscard]] size_t memory_bytes() const noexcept;
    // What interning `s` as a new symbol would add, at most (budget checks).
    [[nodiscard]] static size_t cost_bytes(std::string_view s) noexcept { return s.size() + sizeof(Entry) + 16; }

private:
    struct Entry {
        uint32_t offset = 0;
        uint32_t length = 0;
        uint32_t refs = 0;  // 0: free, on free_
        uint32_t hash = 0;
    };
    static uint64_t hash(std::string_view s) noexcept;
    void compact();

    std::string arena_;
    std::vector<Entry> entries_;
    std::vector<uint32_t> free_;
    base::IdIndex index_;
    size_t live_ = 0;
    size_t garbage_bytes_ = 0;
};

}  // namespace mmwatch::history
