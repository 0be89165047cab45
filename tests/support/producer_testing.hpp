// Helpers for tests that write producer files and check them with the
// reader: a scratch directory, and a file read back through parse_layout.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "rezl/rezl.hpp"

namespace mmwatch::test {

// A fresh directory under $TMPDIR, removed with everything in it.
class ScratchDir {
public:
    ScratchDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "mmwatch-test-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path_ = tmpl;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] std::vector<std::string> entries() const {
        std::vector<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename().string());
        return out;
    }

private:
    std::string path_;
};

// A whole file read with plain reads and validated by the reader, as
// mmwatch would see it.
struct ReadBack {
    std::vector<std::byte> bytes;
    rezl::Result<rezl::Layout> layout;

    [[nodiscard]] uint64_t word(uint64_t offset) const {
        uint64_t v = 0;
        std::memcpy(&v, bytes.data() + offset, 8);
        return v;
    }
    [[nodiscard]] uint64_t value(size_t metric, uint64_t index = 0) const {
        return word(layout.value.offset_of(layout.value.metrics.at(metric)) + index * 8);
    }
};

inline ReadBack read_back(const std::string& path) {
    ReadBack r;
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot open ", path);
    std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    r.bytes.resize(raw.size());
    if (!raw.empty()) std::memcpy(r.bytes.data(), raw.data(), raw.size());
    r.layout = rezl::parse_layout(r.bytes, r.bytes.size());
    return r;
}

}  // namespace mmwatch::test
