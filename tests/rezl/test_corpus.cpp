// The malformed-file corpus (tests/corpus/make_corpus.py, generated into
// the build directory by meson) run through the reader: every file gets
// exactly the reason its manifest names, read whole and read as the daemon
// reads it (header, then header + catalog by pread, beside the real size).
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "rezl/rezl.hpp"

#ifndef MMWATCH_REZL_CORPUS
#error "MMWATCH_REZL_CORPUS must name the generated corpus directory (tests/meson.build)"
#endif

using namespace mmwatch;

namespace {

struct Entry {
    std::string file;
    std::string reason;
};

std::vector<Entry> read_manifest(const std::string& dir) {
    std::vector<Entry> out;
    std::ifstream in(dir + "/MANIFEST.tsv");
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        Entry e;
        std::getline(fields, e.file, '\t');
        std::getline(fields, e.reason, '\t');
        out.push_back(e);
    }
    return out;
}

std::vector<std::byte> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> out(chars.size());
    std::transform(chars.begin(), chars.end(), out.begin(), [](char c) { return std::byte(c); });
    return out;
}

// What Source::activate does before mapping: the header first, then only
// header + catalog (never more than the file holds), with the real size.
rezl::Reason read_as_daemon(const std::vector<std::byte>& b) {
    if (b.size() < rezl::kHeaderBytes) return rezl::Reason::truncated;
    const auto h = rezl::parse_header(std::span(b).first(rezl::kHeaderBytes));
    if (!h.ok()) return h.reason;
    const uint64_t want = std::min<uint64_t>({rezl::prefix_bytes(h.value), b.size(),
                                              rezl::kHeaderBytes + rezl::kMaxCatalogBytes});
    return rezl::parse_layout(std::span(b).first(size_t(want)), b.size()).reason;
}

}  // namespace

TEST_CASE("every_corpus_file_gets_its_manifest_reason") {
    const std::string dir = MMWATCH_REZL_CORPUS;
    const auto manifest = read_manifest(dir);
    REQUIRE_MESSAGE(!manifest.empty(), "no corpus at " << dir);
    size_t malformed = 0;
    std::set<std::string> reasons;
    for (const auto& e : manifest) {
        CAPTURE(e.file);
        const auto bytes = read_file(dir + "/" + e.file);
        const auto whole = rezl::parse_layout(bytes, bytes.size());
        CHECK(rezl::reason_name(whole.reason) == e.reason);
        CHECK(rezl::reason_name(read_as_daemon(bytes)) == e.reason);
        if (whole.ok()) CHECK(whole.value.expected_size() == bytes.size());
        if (e.reason != "none") ++malformed;
        reasons.insert(e.reason);
    }
    CHECK(malformed >= 40);
    // Every reason the format itself can give is in the corpus.
    for (auto r : {rezl::Reason::none, rezl::Reason::truncated, rezl::Reason::bad_magic,
                   rezl::Reason::byte_swapped_magic, rezl::Reason::bad_version, rezl::Reason::not_ready,
                   rezl::Reason::too_many_metrics, rezl::Reason::bad_type, rezl::Reason::bad_histogram_config,
                   rezl::Reason::bad_name_length, rezl::Reason::bad_name_utf8, rezl::Reason::catalog_overrun,
                   rezl::Reason::size_mismatch}) {
        CHECK_MESSAGE(reasons.count(std::string(rezl::reason_name(r))), rezl::reason_name(r));
    }
}
