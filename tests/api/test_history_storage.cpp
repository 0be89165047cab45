#include <doctest/doctest.h>

#include <bit>
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "api/history_storage.hpp"
#include "api/live_storage.hpp"
#include "history/history_store.hpp"
#include "history/labels.hpp"
#include "history/sample.hpp"
#include "promql/engine.hpp"
#include "promql/memory_storage.hpp"

using namespace mmwatch;

namespace {

constexpr int64_t kStepMs = 15'000;
constexpr int64_t kHourMs = 3'600'000;

history::StoreConfig big_store() {
    history::StoreConfig c;
    c.max_bytes = 256ull << 20;
    for (auto& r : c.retention_ms) r = 0;
    return c;
}

// The same series in both stores.
struct Twin {
    history::Store history{big_store()};
    promql::MemoryStorage memory;

    void add(std::vector<std::pair<std::string, std::string>> pairs, const std::vector<std::pair<int64_t, double>>& pts) {
        std::vector<history::LabelView> views;
        for (const auto& [n, v] : pairs) views.push_back({n, v});
        REQUIRE(history::canonicalize(views) == history::LabelError::none);
        const auto id = history.series(views).id;
        REQUIRE(id != history::kNoSeries);
        const promql::Labels ls = promql::Labels::from_pairs(pairs);
        for (const auto& [t, v] : pts) {
            REQUIRE(history.append(id, t, std::bit_cast<uint64_t>(v)) == history::AppendStatus::stored);
            memory.append(ls, t, v);
        }
    }
};

// Counters with resets, gauges with gaps, NaN, a staleness marker, and
// classic histogram buckets, every 15 s for three hours.
void fill(Twin& w) {
    std::mt19937_64 rng(7);
    const int64_t n = 3 * kHourMs / kStepMs;
    for (int job = 0; job < 3; ++job) {
        for (int inst = 0; inst < 4; ++inst) {
            std::vector<std::pair<int64_t, double>> counter, gauge;
            double c = 0;
            for (int64_t i = 0; i < n; ++i) {
                c = (i % 300 == 299 && inst == 1) ? 0 : c + double(rng() % 100);
                counter.push_back({i * kStepMs, c});
                if (i % 97 < 80) gauge.push_back({i * kStepMs + inst, double(int64_t(rng() % 2001) - 1000) / 8});
            }
            if (inst == 2) gauge.push_back({n * kStepMs, std::bit_cast<double>(history::kStaleNaNBits)});
            if (inst == 3) gauge.back().second = std::nan("");
            const std::string j = "job" + std::to_string(job), in = "i" + std::to_string(inst);
            w.add({{"__name__", "req_total"}, {"job", j}, {"instance", in}}, counter);
            w.add({{"__name__", "temp"}, {"job", j}, {"instance", in}}, gauge);
        }
    }
    for (const char* le : {"0.1", "0.5", "1", "+Inf"}) {
        std::vector<std::pair<int64_t, double>> b;
        for (int64_t i = 0; i < n; ++i) b.push_back({i * kStepMs, double(i) * (le[0] == '+' ? 10 : std::stod(le) * 7)});
        w.add({{"__name__", "lat_bucket"}, {"le", le}, {"job", "job0"}}, b);
    }
}

struct Run {
    promql::QueryResult result;
    std::string error;
};

Run run(promql::Storage& s, const std::string& q, int64_t start, int64_t end, int64_t step, int64_t slice) {
    promql::EngineOptions o;
    o.work_per_slice = slice;
    promql::QueryError err;
    auto query = start == end ? promql::Query::instant(s, q, start, o, &err)
                              : promql::Query::range(s, q, start, end, step, o, &err);
    if (!query) return {{}, err.message};
    query->run_to_end(0);
    return {query->result(), query->error() ? query->error()->message : ""};
}

void same_series(const promql::Series& a, const promql::Series& b) {
    CHECK(a.metric.to_string() == b.metric.to_string());
    REQUIRE(a.floats.size() == b.floats.size());
    for (size_t k = 0; k < a.floats.size(); ++k) {
        CHECK(a.floats[k].t == b.floats[k].t);
        CHECK(std::bit_cast<uint64_t>(a.floats[k].f) == std::bit_cast<uint64_t>(b.floats[k].f));
    }
}

void same(const Run& a, const Run& b) {
    CHECK(a.error == b.error);
    CHECK(int(a.result.kind) == int(b.result.kind));
    CHECK(std::bit_cast<uint64_t>(a.result.scalar) == std::bit_cast<uint64_t>(b.result.scalar));
    REQUIRE(a.result.vector.size() == b.result.vector.size());
    for (size_t i = 0; i < a.result.vector.size(); ++i) {
        CHECK(a.result.vector[i].metric.to_string() == b.result.vector[i].metric.to_string());
        CHECK(std::bit_cast<uint64_t>(a.result.vector[i].f) == std::bit_cast<uint64_t>(b.result.vector[i].f));
    }
    REQUIRE(a.result.matrix.size() == b.result.matrix.size());
    for (size_t i = 0; i < a.result.matrix.size(); ++i) same_series(a.result.matrix[i], b.result.matrix[i]);
}

const char* const kQueries[] = {
    "req_total",
    "req_total{job=\"job1\"}",
    "req_total{job!=\"job1\",instance=~\"i[12]\"}",
    "{__name__=~\"req_total|temp\",instance!~\"i0|i3\"}",
    "{job=\"job2\"}",
    "temp{instance=\"\"}",
    "temp{nothere=\"\"}",
    "rate(req_total[5m])",
    "sum by (job) (rate(req_total[5m]))",
    "increase(req_total{instance=\"i1\"}[1h])",
    "resets(req_total[3h])",
    "avg_over_time(temp[10m])",
    "max_over_time(temp[7m] offset 3m)",
    "temp @ 3600",
    "count_over_time(temp[20m:1m])",
    "histogram_quantile(0.9, sum by (le) (rate(lat_bucket[5m])))",
    "absent(nothing{job=\"x\"})",
    "topk(2, temp)",
    "temp > 50",
    "sum(req_total) / count(req_total)",
    "timestamp(temp)",
    "last_over_time(temp[1h])",
};

}  // namespace

TEST_CASE("history_storage_answers_queries_as_memory_storage_does") {
    Twin w;
    fill(w);
    w.history.seal_all();  // every sample in sealed chunks but those appended next
    w.add({{"__name__", "temp"}, {"job", "late"}}, {{3 * kHourMs + 1, 1.5}, {3 * kHourMs + 2, 2.5}});
    api::HistoryStorage hs(w.history);
    for (const char* q : kQueries) {
        CAPTURE(q);
        for (const int64_t t : {int64_t(0), kHourMs, kHourMs + 7'000, 3 * kHourMs, 3 * kHourMs + 10 * 60'000}) {
            CAPTURE(t);
            same(run(hs, q, t, t, 0, 1 << 30), run(w.memory, q, t, t, 0, 1 << 30));
        }
        same(run(hs, q, 0, 3 * kHourMs, 60'000, 1 << 30), run(w.memory, q, 0, 3 * kHourMs, 60'000, 1 << 30));
        // Sliced finely: selects answer pending, reads come in batches.
        same(run(hs, q, kHourMs, 2 * kHourMs, 30'000, 13), run(w.memory, q, kHourMs, 2 * kHourMs, 30'000, 13));
    }
}

TEST_CASE("a_select_over_many_batches_hands_out_its_series_in_label_order") {
    // Stored in an order unlike the labels' (ids descending by label), more
    // series than three batches: the sorted batches are merged.
    history::Store store(big_store());
    const size_t n = 3 * api::HistoryStorage::kSelectBatchSeries + 7;
    std::vector<std::string> names;
    for (size_t i = 0; i < n; ++i) names.push_back(std::to_string((i * 7919) % n));
    for (const std::string& v : names) {
        std::vector<history::LabelView> views = {{"__name__", "m"}, {"k", v}};
        REQUIRE(history::canonicalize(views) == history::LabelError::none);
        const auto id = store.series(views).id;
        REQUIRE(store.append(id, 1000, std::bit_cast<uint64_t>(1.0)) == history::AppendStatus::stored);
    }
    api::HistoryStorage hs(store);
    const std::vector<promql::Matcher> ms = {promql::Matcher::make(promql::MatchType::equal, "__name__", "m", nullptr)};
    auto set = hs.select(ms, 0, 2000);
    std::vector<std::string> got;
    size_t pendings = 0;
    for (promql::SeriesSet::Next r; (r = set->next()) != promql::SeriesSet::Next::end;) {
        if (r == promql::SeriesSet::Next::pending) ++pendings;
        else got.emplace_back(set->labels().get("k"));
    }
    std::sort(names.begin(), names.end());
    CHECK(got == names);
    CHECK(pendings >= 4);  // a batch a call
}

TEST_CASE("history_storage_reads_in_batches_and_resumes_where_it_stopped") {
    Twin w;
    fill(w);
    api::HistoryStorage hs(w.history);
    std::vector<promql::Matcher> m;
    std::string err;
    m.push_back(promql::Matcher::make(promql::MatchType::equal, "__name__", "temp", &err));
    m.push_back(promql::Matcher::make(promql::MatchType::equal, "instance", "i2", &err));
    m.push_back(promql::Matcher::make(promql::MatchType::equal, "job", "job0", &err));
    auto set = hs.select(m, 0, INT64_MAX);
    auto next = [&] {
        promql::SeriesSet::Next n;
        while ((n = set->next()) == promql::SeriesSet::Next::pending) {}
        return n;
    };
    REQUIRE(next() == promql::SeriesSet::Next::series);
    const uint64_t ref = set->ref();
    CHECK(set->labels().to_string() == "{__name__=\"temp\", instance=\"i2\", job=\"job0\"}");
    CHECK(next() == promql::SeriesSet::Next::end);

    std::vector<promql::FPoint> whole, pieces;
    const size_t n = hs.read(ref, INT64_MIN, INT64_MAX, whole, SIZE_MAX);
    CHECK(n == whole.size());
    REQUIRE(n > 500);
    CHECK(promql::is_stale_nan(whole.back().f));
    // Forward in batches of 7 with growing maxt, as a sample window reads.
    int64_t from = INT64_MIN;
    for (int64_t maxt = 0; maxt <= 4 * kHourMs; maxt += 45'000) {
        while (hs.read(ref, from, maxt, pieces, 7) == 7) from = pieces.back().t + 1;
        if (!pieces.empty()) from = pieces.back().t + 1;
    }
    REQUIRE(pieces.size() == whole.size());
    for (size_t i = 0; i < whole.size(); ++i) {
        CHECK(pieces[i].t == whole[i].t);
        CHECK(std::bit_cast<uint64_t>(pieces[i].f) == std::bit_cast<uint64_t>(whole[i].f));
    }
    // Going back, or jumping far ahead, reads the right samples too.
    std::vector<promql::FPoint> back;
    CHECK(hs.read(ref, whole[3].t, whole[5].t, back, 100) == 3);
    CHECK(back.front().t == whole[3].t);
    back.clear();
    CHECK(hs.read(ref, whole[600].t, whole[600].t, back, 100) == 1);
    CHECK(back.front().t == whole[600].t);
    // A reference of another generation reads as empty.
    back.clear();
    CHECK(hs.read(ref + (uint64_t(1) << 32), INT64_MIN, INT64_MAX, back, 100) == 0);
}

TEST_CASE("history_storage_label_names_and_values_follow_matchers_and_time") {
    Twin w;
    fill(w);
    api::HistoryStorage hs(w.history);
    std::string err;
    std::vector<promql::Matcher> lat = {promql::Matcher::make(promql::MatchType::equal, "__name__", "lat_bucket", &err)};
    for (const auto& ms : {std::vector<promql::Matcher>{}, lat}) {
        for (const int64_t mint : {INT64_MIN, 3 * kHourMs + 1}) {
            std::vector<std::string> a, b;
            hs.label_names(ms, mint, INT64_MAX, a);
            w.memory.label_names(ms, mint, INT64_MAX, b);
            CHECK(a == b);
            hs.label_values("instance", ms, mint, INT64_MAX, a);
            w.memory.label_values("instance", ms, mint, INT64_MAX, b);
            CHECK(a == b);
            hs.label_values("__name__", ms, mint, INT64_MAX, a);
            w.memory.label_values("__name__", ms, mint, INT64_MAX, b);
            CHECK(a == b);
        }
    }
    std::vector<std::string> names;
    hs.label_names(lat, INT64_MIN, INT64_MAX, names);
    CHECK(names == std::vector<std::string>{"__name__", "job", "le"});
}

// The live values: a LiveStorage over the store answers as a store that
// also holds the live points (MemoryStorage with them appended), for
// series stored (one gone stale meanwhile) and series not yet stored.
TEST_CASE("live_storage_answers_as_if_the_live_points_were_stored") {
    Twin w;
    fill(w);
    const int64_t t = 3 * kHourMs + 40'000;  // the stored samples end at 3 h
    api::HistoryStorage hs(w.history);
    auto points = std::make_shared<api::LivePoints>();
    points->t_ms = t;
    auto live = [&](const char* name, const char* job, const char* inst, double v) {
        const auto pairs = std::vector<std::pair<std::string, std::string>>{
            {"__name__", name}, {"instance", inst}, {"job", job}};
        std::vector<history::LabelView> views;
        for (const auto& [n, val] : pairs) views.push_back({n, val});
        const auto id = w.history.find(views);
        const promql::Labels ls = promql::Labels::from_pairs(pairs);
        if (id == history::kNoSeries) points->fresh.emplace_back(ls, v);
        else points->stored.emplace_back(api::HistoryStorage::make_ref(id, w.history.generation(id)), v);
        w.memory.append(ls, t, v);
    };
    live("req_total", "job0", "i0", 1e9);
    live("req_total", "job2", "i3", 7);  // below the last stored: a reset
    live("temp", "job0", "i2", 21.5);    // stored as stale at 3 h: back
    live("temp", "job9", "i0", -3);      // not stored at all
    live("new_total", "job0", "i0", 4);
    std::sort(points->stored.begin(), points->stored.end());
    REQUIRE(points->stored.size() == 3);
    REQUIRE(points->fresh.size() == 2);
    api::LiveStorage ls(hs, points);
    const char* const queries[] = {"req_total", "temp", "{job=\"job0\"}", "new_total", "rate(req_total[2m])",
                                   "sum by (job) (temp)", "last_over_time(temp[1m])", "count({instance=\"i0\"})",
                                   "resets(req_total[10m])", "temp offset 30s"};
    for (const char* q : queries) {
        CAPTURE(q);
        for (const int64_t at : {t - 1, t, t + 1, t + 6 * 60'000}) {
            CAPTURE(at);
            same(run(ls, q, at, at, 0, 1 << 30), run(w.memory, q, at, at, 0, 1 << 30));
        }
        same(run(ls, q, t - 20 * 60'000, t + 60'000, 15'000, 1 << 30),
             run(w.memory, q, t - 20 * 60'000, t + 60'000, 15'000, 1 << 30));
        same(run(ls, q, t - 20 * 60'000, t, 10'000, 11), run(w.memory, q, t - 20 * 60'000, t, 10'000, 11));
    }
    // What the query sees: the live value now, the stored one before.
    CHECK(run(ls, "req_total{job=\"job0\",instance=\"i0\"}", t, t, 0, 1 << 30).result.vector.at(0).f == 1e9);
    CHECK(run(hs, "req_total{job=\"job0\",instance=\"i0\"}", t, t, 0, 1 << 30).result.vector.at(0).f != 1e9);
}
