#include <doctest/doctest.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "history/history_export.hpp"
#include "support/history_samples.hpp"

using namespace mmwatch;
using namespace mmwatch::history;

namespace {

std::string value_text(double v) {
    std::string s;
    append_export_value(s, value_bits(v));
    return s;
}

SeriesId add_series(Store& store, std::string name) {
    std::vector<LabelView> l = {{"__name__", name}, {"quote", "a\"b\\c"}};
    REQUIRE(canonicalize(l) == LabelError::none);
    return store.series(l).id;
}

// Parses one export line's two arrays (values as their text).
void parse_line(std::string_view line, std::vector<std::string>& values, std::vector<int64_t>& times) {
    const auto array = [&](std::string_view key) {
        const size_t at = line.find(key);
        REQUIRE(at != std::string_view::npos);
        const size_t open = at + key.size(), close = line.find(']', open);
        std::vector<std::string> out;
        std::string_view body = line.substr(open, close - open);
        while (!body.empty()) {
            const size_t comma = body.find(',');
            out.emplace_back(body.substr(0, comma));
            body = comma == std::string_view::npos ? std::string_view() : body.substr(comma + 1);
        }
        return out;
    };
    values = array(R"("values":[)");
    times.clear();
    for (const std::string& t : array(R"("timestamps":[)")) {
        int64_t v = 0;
        REQUIRE(std::from_chars(t.data(), t.data() + t.size(), v).ec == std::errc());
        times.push_back(v);
    }
}

}  // namespace

TEST_CASE("export_values_round_trip_where_json_allows_and_as_victoria_metrics_writes_the_rest") {
    CHECK(value_text(1) == "1");
    CHECK(value_text(0.1) == "0.1");
    CHECK(value_text(-0.0) == "-0.0");
    CHECK(value_text(1e-300) == "1e-300");
    CHECK(value_text(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(value_text(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(value_text(std::nan("")) == "NaN");
    std::string stale;
    append_export_value(stale, kStaleNaNBits);
    CHECK(stale == "null");
    // Every finite double reads back to its own bits.
    std::mt19937_64 rng(2);
    for (int i = 0; i < 100'000; ++i) {
        const uint64_t bits = rng();
        const double v = std::bit_cast<double>(bits);
        if (!std::isfinite(v)) continue;
        std::string s;
        append_export_value(s, bits);
        double back = 0;
        if (s == "-0.0") back = -0.0;
        else REQUIRE(std::from_chars(s.data(), s.data() + s.size(), back).ec == std::errc());
        REQUIRE(value_bits(back) == bits);
    }
}

TEST_CASE("export_cursor_writes_lines_in_bounded_pieces_and_every_sample_once") {
    StoreConfig config;
    config.max_bytes = 1ull << 30;
    Store store(config);
    std::mt19937_64 rng(8);
    std::vector<SeriesId> ids;
    std::map<SeriesId, std::vector<Sample>> want;
    for (int i = 0; i < 30; ++i) {
        const SeriesId id = add_series(store, "m" + std::to_string(i));
        ids.push_back(id);
        for (const Sample& x : test::random_series(rng, i == 7 ? 0 : 1 + rng() % 3500, 1'000'000)) {
            store.append(id, x.t, x.bits);
            want[id].push_back(x);
        }
    }
    const int64_t start = 1'000'000, end = INT64_MAX;
    ExportCursor cursor(store, ids, start, end);
    std::string body;
    size_t pieces = 0;
    for (bool done = false; !done; ++pieces) {
        const size_t before = body.size();
        done = cursor.write_some(store, body, 16 * 1024);
        // A piece ends at a line's end, at most one line past the bound.
        CHECK((body.empty() || body.back() == '\n'));
        CHECK(body.size() - before <= 16 * 1024 + kExportSamplesPerLine * 48 + 100);
    }
    CHECK(pieces > 10);
    // Every line parses back to the samples, in order, series after series.
    std::map<std::string, std::vector<std::pair<std::string, int64_t>>> got;
    size_t at = 0;
    while (at < body.size()) {
        const size_t nl = body.find('\n', at);
        const std::string_view line(body.data() + at, nl - at);
        CHECK(line.starts_with(R"({"metric":{"__name__":")"));
        CHECK(line.find(R"("quote":"a\"b\\c")") != std::string_view::npos);
        const size_t name_end = line.find('"', 23);
        std::vector<std::string> values;
        std::vector<int64_t> times;
        parse_line(line, values, times);
        REQUIRE(values.size() == times.size());
        CHECK(values.size() <= kExportSamplesPerLine);
        auto& series = got[std::string(line.substr(23, name_end - 23))];
        for (size_t i = 0; i < values.size(); ++i) series.push_back({values[i], times[i]});
        at = nl + 1;
    }
    CHECK(got.count("m7") == 0);  // no sample in range: no line
    for (size_t i = 0; i < ids.size(); ++i) {
        const auto& w = want[ids[i]];
        const auto& g = got["m" + std::to_string(i)];
        REQUIRE(g.size() == w.size());
        for (size_t k = 0; k < w.size(); ++k) {
            CHECK(g[k].second == w[k].t);
            std::string text;
            append_export_value(text, w[k].bits);
            CHECK(g[k].first == text);
        }
    }
    CHECK(cursor.samples() == [&] {
        size_t n = 0;
        for (const auto& [id, s] : want) n += s.size();
        return n;
    }());
}
