// Builds REZL files byte by byte for tests, including deliberately broken
// ones: every field can be overridden after the fact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "mmwatch/h2.hpp"

namespace mmwatch::test {

struct Entry {
    uint8_t type;
    std::string name;
    uint8_t g = 0;
    uint8_t m = 0;
};

struct Built {
    std::vector<std::byte> bytes;
    uint64_t data_offset = 0;
    std::vector<uint64_t> offsets;  // per entry: byte offset of its data
};

inline void put_le32(std::vector<std::byte>& b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = std::byte(v >> (8 * i));
}

inline void put_u64(std::vector<std::byte>& b, size_t at, uint64_t v) {
    std::memcpy(b.data() + at, &v, 8);  // tests run on little-endian hosts
}

inline Built build(const std::vector<Entry>& entries, bool ready = true) {
    std::vector<std::byte> catalog;
    uint64_t words = 0;
    for (const auto& e : entries) {
        catalog.push_back(std::byte(e.type));
        if (e.type == 3) {
            catalog.push_back(std::byte(e.g));
            catalog.push_back(std::byte(e.m));
        }
        catalog.push_back(std::byte(e.name.size()));
        for (char c : e.name) catalog.push_back(std::byte(c));
    }
    Built out;
    out.data_offset = (16 + catalog.size() + 7) & ~size_t{7};
    for (const auto& e : entries) {
        out.offsets.push_back(out.data_offset + words * 8);
        words += e.type == 3 && h2::valid_config(e.g, e.m) ? h2::bucket_count(e.g, e.m) : 1;
    }
    out.bytes.assign(out.data_offset + words * 8, std::byte{0});
    std::memcpy(out.bytes.data(), "REZL", 4);
    out.bytes[4] = std::byte{1};
    out.bytes[6] = std::byte(ready ? 1 : 0);
    put_le32(out.bytes, 8, uint32_t(entries.size()));
    put_le32(out.bytes, 12, uint32_t(catalog.size()));
    if (!catalog.empty()) std::memcpy(out.bytes.data() + 16, catalog.data(), catalog.size());
    return out;
}

}  // namespace mmwatch::test
