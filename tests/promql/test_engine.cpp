#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdio>

#include "promql/engine.hpp"
#include "promql/memory_storage.hpp"

using namespace mmwatch::promql;

namespace {

constexpr int64_t kMinute = 60'000;

Labels L(std::vector<std::pair<std::string, std::string>> p) { return Labels::from_pairs(std::move(p)); }

// A series with `values` every `step_ms` from 0.
void load(MemoryStorage& s, const Labels& l, int64_t step_ms, const std::vector<double>& values) {
    for (size_t i = 0; i < values.size(); ++i) s.append(l, static_cast<int64_t>(i) * step_ms, values[i]);
}

struct Answer {
    QueryResult result;
    std::optional<QueryError> error;
    uint64_t slices = 0;
};

Answer run(std::unique_ptr<Query> q, const QueryError& create_error) {
    Answer a;
    if (!q) {
        a.error = create_error;
        return a;
    }
    q->run_to_end(0);
    if (q->error()) a.error = *q->error();
    a.result = q->result();
    a.slices = q->slices();
    return a;
}

Answer instant(MemoryStorage& s, std::string_view q, int64_t t, EngineOptions o = {}) {
    QueryError err;
    return run(Query::instant(s, q, t, o, &err), err);
}

Answer range(MemoryStorage& s, std::string_view q, int64_t start, int64_t end, int64_t step, EngineOptions o = {}) {
    QueryError err;
    return run(Query::range(s, q, start, end, step, o, &err), err);
}

double value_of(const Answer& a, const Labels& l) {
    for (const Sample& s : a.result.vector)
        if (s.metric == l) return s.f;
    return -12345;
}

}  // namespace

TEST_CASE("instant_selector_uses_the_last_sample_within_the_lookback") {
    MemoryStorage s;
    load(s, L({{"__name__", "x"}}), kMinute, {1, 2, 3});
    auto a = instant(s, "x", 2 * kMinute + 30'000);
    REQUIRE(!a.error);
    REQUIRE(a.result.vector.size() == 1);
    CHECK(a.result.vector[0].f == 3);
    CHECK(a.result.vector[0].t == 2 * kMinute + 30'000);  // stamped at the evaluation time
    CHECK(instant(s, "x", 2 * kMinute + 5 * kMinute).result.vector.empty());  // exactly 5m back: gone
    CHECK(instant(s, "x", 2 * kMinute + 5 * kMinute - 1).result.vector.size() == 1);
}

TEST_CASE("a_staleness_marker_ends_a_series_at_once") {
    MemoryStorage s;
    s.append(L({{"__name__", "x"}}), 0, 1);
    s.append(L({{"__name__", "x"}}), kMinute, stale_nan());
    CHECK(instant(s, "x", 30'000).result.vector.size() == 1);
    CHECK(instant(s, "x", kMinute).result.vector.empty());
    // A range vector never holds the marker.
    auto a = instant(s, "count_over_time(x[5m])", 2 * kMinute);
    REQUIRE(a.result.vector.size() == 1);
    CHECK(a.result.vector[0].f == 1);
}

TEST_CASE("rate_sum_and_binary_operators") {
    MemoryStorage s;
    for (int i = 0; i < 3; ++i)
        load(s, L({{"__name__", "req_total"}, {"job", i < 2 ? "a" : "b"}, {"i", std::to_string(i)}}), 15'000,
             std::vector<double>(41, 0));
    MemoryStorage t;
    std::vector<double> ramp;
    for (int i = 0; i <= 40; ++i) ramp.push_back(i * 15.0);
    load(t, L({{"__name__", "req_total"}, {"job", "a"}}), 15'000, ramp);
    auto r = instant(t, "rate(req_total[5m])", 10 * kMinute);
    REQUIRE(r.result.vector.size() == 1);
    CHECK(r.result.vector[0].f == doctest::Approx(1.0));
    CHECK(r.result.vector[0].metric == L({{"job", "a"}}));  // rate drops the name
    auto sum = instant(s, "sum by (job) (req_total) + 1", 10 * kMinute);
    REQUIRE(sum.result.vector.size() == 2);
    CHECK(value_of(sum, L({{"job", "a"}})) == 1);
    auto cmp = instant(t, "req_total > bool 100", 10 * kMinute);
    REQUIRE(cmp.result.vector.size() == 1);
    CHECK(cmp.result.vector[0].f == 1);
}

TEST_CASE("many_to_many_matching_fails_with_prometheus_message") {
    MemoryStorage s;
    load(s, L({{"__name__", "a"}, {"x", "1"}, {"y", "1"}}), kMinute, {1});
    load(s, L({{"__name__", "b"}, {"x", "1"}, {"y", "1"}}), kMinute, {1});
    load(s, L({{"__name__", "b"}, {"x", "1"}, {"y", "2"}}), kMinute, {1});
    auto a = instant(s, "a + on(x) b", 0);
    REQUIRE(a.error);
    CHECK(a.error->type == ErrorType::execution);
    CHECK(a.error->message ==
          R"(found duplicate series for the match group {x="1"} on the right hand-side of the operation: [{__name__="b", x="1", y="2"}, {__name__="b", x="1", y="1"}];many-to-many matching not allowed: matching labels must be unique on one side)");
}

TEST_CASE("max_samples_refuses_with_prometheus_message") {
    MemoryStorage s;
    for (int i = 0; i < 20; ++i) load(s, L({{"__name__", "x"}, {"i", std::to_string(i)}}), kMinute, std::vector<double>(60, 1));
    EngineOptions o;
    o.max_samples = 100;
    auto a = range(s, "x", 0, 59 * kMinute, kMinute, o);
    REQUIRE(a.error);
    CHECK(a.error->message == "query processing would load too many samples into memory in query execution");
    o.max_samples = 20 * 60;
    CHECK(!range(s, "x", 0, 59 * kMinute, kMinute, o).error);
}

TEST_CASE("result_kinds") {
    MemoryStorage s;
    auto str = instant(s, "(\"hello\")", 5000);
    CHECK(str.result.kind == QueryResult::Kind::string);
    CHECK(str.result.string == "hello");
    auto sc = instant(s, "1 + 2", 5000);
    CHECK(sc.result.kind == QueryResult::Kind::scalar);
    CHECK(sc.result.scalar == 3);
    CHECK(sc.result.t == 5000);
    auto rs = range(s, "time()", 0, 2 * kMinute, kMinute);
    REQUIRE(rs.result.kind == QueryResult::Kind::matrix);
    REQUIRE(rs.result.matrix.size() == 1);
    CHECK(rs.result.matrix[0].floats.size() == 3);
    QueryError err;
    CHECK(!Query::range(s, "x[5m]", 0, kMinute, kMinute, {}, &err));
    CHECK(err.type == ErrorType::bad_data);
    CHECK(err.message == "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector");
}

TEST_CASE("unsupported_features_answer_bad_data_naming_them") {
    MemoryStorage s;
    EngineOptions o;
    o.parse.experimental_functions = true;
    o.parse.extended_range_selectors = true;
    QueryError err;
    CHECK(!Query::instant(s, "info(up)", 0, o, &err));
    CHECK(err.type == ErrorType::bad_data);
    CHECK(err.message.rfind("unsupported: info()", 0) == 0);
    CHECK(!Query::instant(s, "start_timestamp(x)", 0, o, &err));
    CHECK(err.message.rfind("unsupported: start_timestamp()", 0) == 0);
    // anchored and smoothed are evaluated; only where Prometheus allows them.
    auto a = instant(s, "max_over_time(x[5m] anchored)", 0, o);
    REQUIRE(a.error);
    CHECK(a.error->message == "anchored modifier can only be used with: changes, delta, increase, rate, resets - not "
                              "with max_over_time");
}

TEST_CASE("annotations_are_reported") {
    MemoryStorage s;
    load(s, L({{"__name__", "gauge"}}), 15'000, {1, 2, 3, 4, 5});
    auto a = instant(s, "rate(gauge[1m])", kMinute);
    REQUIRE(a.result.annotations.size() == 1);
    CHECK(!a.result.annotations[0].warning);
    CHECK(a.result.annotations[0].message ==
          R"(PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "gauge")");
    auto q = instant(s, "quantile(2, gauge)", kMinute);
    REQUIRE(q.result.annotations.size() == 1);
    CHECK(q.result.annotations[0].warning);
    CHECK(q.result.annotations[0].message == "PromQL warning: quantile value should be between 0 and 1, got 2");
}

TEST_CASE("cancel_and_timeout_end_a_sliced_query") {
    MemoryStorage s;
    for (int i = 0; i < 50; ++i) load(s, L({{"__name__", "x"}, {"i", std::to_string(i)}}), 15'000, std::vector<double>(500, 1));
    EngineOptions o;
    o.work_per_slice = 10;
    QueryError err;
    auto q = Query::range(s, "sum(rate(x[1m]))", 0, 120 * kMinute, 15'000, o, &err);
    REQUIRE(q);
    CHECK(!q->step(1000));
    q->cancel();
    CHECK(q->step(1000));
    REQUIRE(q->error());
    CHECK(q->error()->type == ErrorType::canceled);
    o.timeout_ms = 5000;
    auto t = Query::range(s, "sum(rate(x[1m]))", 0, 120 * kMinute, 15'000, o, &err);
    CHECK(!t->step(1000));
    CHECK(!t->step(5999));
    CHECK(t->step(6000));
    REQUIRE(t->error());
    CHECK(t->error()->type == ErrorType::timeout);
    CHECK(t->error()->message == "query timed out in expression evaluation");
}

TEST_CASE("a_heavy_query_sliced_finely_equals_it_unsliced") {
    MemoryStorage s;
    for (int i = 0; i < 60; ++i) {
        std::vector<double> v;
        for (int k = 0; k < 1000; ++k) v.push_back(k * (i + 1) + (k % 97 == 0 ? -50.0 * k : 0.0));
        load(s, L({{"__name__", "req_total"}, {"job", std::to_string(i % 4)}, {"i", std::to_string(i)}}), 15'000, v);
    }
    const std::string q =
        "sum by (job) (rate(req_total[5m])) / on(job) group_left count by (job) (req_total) "
        "+ on(job) max_over_time(sum by (job) (req_total)[10m:1m])";
    EngineOptions whole;
    whole.work_per_slice = int64_t(1) << 60;
    EngineOptions sliced;
    sliced.work_per_slice = 7;
    const auto a = range(s, q, 0, 250 * kMinute, 30'000, whole);
    const auto b = range(s, q, 0, 250 * kMinute, 30'000, sliced);
    REQUIRE(!a.error);
    REQUIRE(!b.error);
    CHECK(a.slices == 1);
    CHECK(b.slices > 10'000);
    REQUIRE(a.result.matrix.size() == 4);
    REQUIRE(a.result.matrix.size() == b.result.matrix.size());
    for (size_t i = 0; i < a.result.matrix.size(); ++i) {
        CHECK(a.result.matrix[i].metric == b.result.matrix[i].metric);
        REQUIRE(a.result.matrix[i].floats.size() == b.result.matrix[i].floats.size());
        for (size_t k = 0; k < a.result.matrix[i].floats.size(); ++k) {
            CHECK(a.result.matrix[i].floats[k].t == b.result.matrix[i].floats[k].t);
            CHECK(std::bit_cast<uint64_t>(a.result.matrix[i].floats[k].f) ==
                  std::bit_cast<uint64_t>(b.result.matrix[i].floats[k].f));
        }
    }
    MESSAGE("slices: " << b.slices);
}

TEST_CASE("destroying_a_query_mid_evaluation_frees_it") {
    MemoryStorage s;
    for (int i = 0; i < 10; ++i) load(s, L({{"__name__", "x"}, {"i", std::to_string(i)}}), 15'000, std::vector<double>(300, 1));
    EngineOptions o;
    o.work_per_slice = 5;
    QueryError err;
    auto q = Query::range(s, "avg_over_time(sum(x)[30m:1m])", 0, 60 * kMinute, kMinute, o, &err);
    REQUIRE(q);
    for (int i = 0; i < 20; ++i) REQUIRE(!q->step(0));
    q.reset();  // sanitizers check nothing leaks or dangles
    CHECK(true);
}

TEST_CASE("selection_and_long_series_span_many_slices") {
    // More series than one select batch, and a series longer than one read
    // batch: both are read across slices, and the answer is the same.
    MemoryStorage s;
    for (size_t i = 0; i < 3 * MemoryStorage::kSelectBatchSeries; ++i)
        s.append(L({{"__name__", "noise"}, {"i", std::to_string(i)}}), 0, 1);
    std::vector<double> v;
    for (int k = 0; k < 12'000; ++k) v.push_back(k);
    load(s, L({{"__name__", "long_total"}}), 1000, v);
    EngineOptions tiny, unbounded;
    tiny.work_per_slice = 3;
    unbounded.work_per_slice = int64_t(1) << 60;
    const auto sliced = instant(s, "count_over_time(long_total[3h20m])", 11'999'000, tiny);
    const auto whole = instant(s, "count_over_time(long_total[3h20m])", 11'999'000, unbounded);
    REQUIRE(!sliced.error);
    REQUIRE(sliced.result.vector.size() == 1);
    CHECK(sliced.result.vector[0].f == 12'000);  // the whole series, read in three batches
    REQUIRE(whole.result.vector.size() == 1);
    CHECK(whole.result.vector[0].f == 12'000);
    CHECK(whole.slices == 1);
    // One slice at least per batch of the select scan (3) and per batch of
    // samples read (3): a batch is the unit a slice cannot cut.
    CHECK(sliced.slices >= 7);
    auto noisy = instant(s, "sum(count_over_time(noise[1h]))", 30 * kMinute, tiny);
    REQUIRE(noisy.result.vector.size() == 1);
    CHECK(noisy.result.vector[0].f == 3 * MemoryStorage::kSelectBatchSeries);
}

TEST_CASE("one_step_of_a_binary_operator_over_many_series_is_cut_across_slices") {
    // Signing the series for matching and pairing them at one step tick the
    // budget every few hundred series: a step over 100,000 series would
    // otherwise hold the loop for tens of milliseconds in one slice.
    MemoryStorage s;
    for (int i = 0; i < 2000; ++i) s.append(L({{"__name__", "x"}, {"i", std::to_string(i)}}), 0, i);
    EngineOptions o, unbounded;
    o.work_per_slice = 1000;
    unbounded.work_per_slice = int64_t(1) << 60;
    const auto selection = instant(s, "x", 60'000, o);
    const std::pair<std::string, uint64_t> queries[] = {
        {"x / on(i) x", 2}, {"x * on(i) group_left x", 2}, {"x * 2", 1}, {"2 > bool x", 1}};
    for (const auto& [q, selectors] : queries) {
        CAPTURE(q);
        const auto sliced = instant(s, q, 60'000, o);
        const auto whole = instant(s, q, 60'000, unbounded);
        REQUIRE(!sliced.error);
        REQUIRE(!whole.error);
        CHECK(whole.slices == 1);
        // 2,000 pairs of kOutputSampleWork (4) units: 8 slices of 1,000 at least.
        CHECK(sliced.slices >= selectors * selection.slices + 8);
        REQUIRE(sliced.result.vector.size() == whole.result.vector.size());
        for (size_t k = 0; k < whole.result.vector.size(); ++k) {
            CHECK(sliced.result.vector[k].metric == whole.result.vector[k].metric);
            CHECK(std::bit_cast<uint64_t>(sliced.result.vector[k].f) == std::bit_cast<uint64_t>(whole.result.vector[k].f));
        }
    }
}

namespace {

// 2,000 series, one sample a minute for an hour.
void load_many(MemoryStorage& s) {
    for (int i = 0; i < 2000; ++i) load(s, L({{"__name__", "x"}, {"i", std::to_string(i)}}), kMinute, std::vector<double>(60, i));
}

uint64_t range_slices(MemoryStorage& s, std::string_view q, int64_t steps, const EngineOptions& o) {
    const auto a = range(s, q, 0, (steps - 1) * kMinute, kMinute, o);
    REQUIRE(!a.error);
    return a.slices;
}

// The answers of `q` at work_per_slice 100 and unbounded are the same,
// bit for bit (values and order); the sliced one's slices.
uint64_t sliced_equals_whole(MemoryStorage& s, std::string_view q, int64_t steps) {
    EngineOptions o, unbounded;
    o.work_per_slice = 100;
    unbounded.work_per_slice = int64_t(1) << 60;
    const auto a = range(s, q, 0, (steps - 1) * kMinute, kMinute, o);
    const auto b = range(s, q, 0, (steps - 1) * kMinute, kMinute, unbounded);
    REQUIRE(!a.error);
    REQUIRE(!b.error);
    CHECK(b.slices == 1);
    REQUIRE(a.result.matrix.size() == b.result.matrix.size());
    for (size_t k = 0; k < a.result.matrix.size(); ++k) {
        CHECK(a.result.matrix[k].metric == b.result.matrix[k].metric);
        REQUIRE(a.result.matrix[k].floats.size() == b.result.matrix[k].floats.size());
        for (size_t j = 0; j < a.result.matrix[k].floats.size(); ++j)
            CHECK(std::bit_cast<uint64_t>(a.result.matrix[k].floats[j].f) ==
                  std::bit_cast<uint64_t>(b.result.matrix[k].floats[j].f));
    }
    return a.slices;
}

}  // namespace

TEST_CASE("an_aggregation_frees_its_input_in_chunks_across_slices") {
    // Freeing 10,000 series' points at once was one slice of 5 to 9 ms with
    // eight queries at once: an aggregation frees its input 256 series a
    // tick (kReleaseChunkSeries). With one unit a slice every tick ends a
    // slice, so slices count ticks: sum(x) over its selector ticks once per
    // series grouped (2,000), once for its one step's head and once per 256
    // series of it (8), and once per 256 series freed (8).
    MemoryStorage s;
    load_many(s);
    EngineOptions o;
    o.work_per_slice = 1;
    const uint64_t selector = instant(s, "x", 30 * kMinute, o).slices;
    const auto sum = instant(s, "sum(x)", 30 * kMinute, o);
    REQUIRE(sum.result.vector.size() == 1);
    CHECK(sum.result.vector[0].f == 1999.0 * 2000 / 2);
    MESSAGE("sum(x) - x: " << sum.slices - selector);
    CHECK(sum.slices - selector >= 2000 + 1 + 8 + 8);
}

TEST_CASE("one_step_of_an_aggregation_a_binary_operator_an_element_wise_function_or_topk_is_cut_across_slices") {
    // Per step: an aggregation ticks every 256 series (not once for all);
    // range_eval gathers the inputs' samples and adds the results 256 a
    // tick. A step over 10,000 series in one piece was a slice of 2 to 5 ms.
    // Counted as the slices 20 more steps add, beyond the selector's own.
    MemoryStorage s;
    load_many(s);
    EngineOptions o;
    o.work_per_slice = 100;
    const auto extra = [&](std::string_view q) { return range_slices(s, q, 40, o) - range_slices(s, q, 20, o); };
    const uint64_t selector = extra("x");
    // 2,000 series: 8 chunks a step (7 cuts inside it).
    CHECK(extra("sum(x)") - selector >= 20 * 7);
    // 4,000 gathered (15 cuts), 2,000 pairs (8), 2,000 results added (7).
    CHECK(extra("x / on(i) x") - 2 * selector >= 20 * (15 + 8 + 7));
    // Element-wise functions built every series' label set without its
    // name again at every step, in one piece (40 to 60 ms a step over
    // 100,000 series): now each is built once (DerivedLabels) and the step
    // is cut every 256 samples, as topk's is. 2,000 gathered (7 cuts),
    // their results (7), added (7).
    for (const std::string q : {"abs(x)", "clamp(x, 10, 100)", "timestamp(x * 1)", "topk(3, x)"}) {
        CAPTURE(q);
        CHECK(extra(q) - selector >= 20 * 7);
    }
    for (const std::string q : {"sum(x)", "x / on(i) x", "max by (i) (x)", "abs(x - 1000)", "ceil(x / 3)",
                                "clamp(x, 10, 100)", "clamp_max(x, 7)", "round(x / 7, 0.5)", "timestamp(x)",
                                "timestamp(x * 1)", "day_of_month(x * 86400)", "sgn(x - 5)", "topk(3, x)",
                                "bottomk(2, x)", "x * 2", "-x"}) {
        CAPTURE(q);
        sliced_equals_whole(s, q, 40);
    }
    const auto a = range(s, "abs(x)", 0, 39 * kMinute, kMinute, o);
    REQUIRE(a.result.matrix.size() == 2000);
    CHECK(a.result.matrix[0].metric == L({{"i", "0"}}));
}

namespace {
uint64_t fake_now_ns = 0;
uint64_t fake_clock() noexcept { return fake_now_ns += 1000; }  // 1 us a read
}  // namespace

TEST_CASE("a_slice_ends_when_its_time_is_spent_whatever_its_units") {
    // Units are measured with hot caches; eight queries taking turns find
    // theirs cold, where a unit costs several times more. With slice_ns the
    // clock is read every Budget::kClockCheckUnits units and a slice past
    // its time stops at the next tick. A fake clock: no timing here. (200
    // series: a whole query in one slice nests a stack frame per series'
    // range function where no tail call is made, as under ASan.)
    MemoryStorage s;
    for (int i = 0; i < 200; ++i) load(s, L({{"__name__", "x"}, {"i", std::to_string(i)}}), kMinute, std::vector<double>(60, i));
    EngineOptions units_only, timed;
    units_only.work_per_slice = timed.work_per_slice = int64_t(1) << 60;
    timed.slice_ns = 10'000;  // 10 reads of the fake clock
    timed.clock_ns = fake_clock;
    const auto whole = range(s, "sum(rate(x[5m]))", 0, 59 * kMinute, kMinute, units_only);
    QueryError err;
    auto q = Query::range(s, "sum(rate(x[5m]))", 0, 59 * kMinute, kMinute, timed, &err);
    REQUIRE(q);
    q->run_to_end(0);
    REQUIRE(!q->error());
    CHECK(whole.slices == 1);
    // The refill reads the clock once, then every 512 units: a slice does
    // about 10 x 512 units.
    CHECK(q->slices() > 10);
    CHECK(q->timed_out_slices() + 1 == q->slices());
    REQUIRE(q->result().matrix.size() == 1);
    REQUIRE(whole.result.matrix.size() == 1);
    CHECK(q->result().matrix[0].floats.size() == whole.result.matrix[0].floats.size());
    for (size_t k = 0; k < whole.result.matrix[0].floats.size(); ++k)
        CHECK(std::bit_cast<uint64_t>(q->result().matrix[0].floats[k].f) ==
              std::bit_cast<uint64_t>(whole.result.matrix[0].floats[k].f));
}

TEST_CASE("many_to_one_matching_checks_each_step_afresh") {
    // The pairs a step matched are kept in one array emptied by a new
    // generation each step (no hash nodes to free): the same pair at every
    // step is no duplicate, two results with one label set in a step are.
    MemoryStorage s;
    for (int i = 0; i < 300; ++i) {
        load(s, L({{"__name__", "a"}, {"i", std::to_string(i)}, {"k", "x"}}), kMinute, std::vector<double>(10, i));
        load(s, L({{"__name__", "b"}, {"i", std::to_string(i)}}), kMinute, std::vector<double>(10, 2));
    }
    EngineOptions o;
    o.work_per_slice = 50;
    const auto ok = range(s, "a * on(i) group_left b", 0, 9 * kMinute, kMinute, o);
    REQUIRE(!ok.error);
    REQUIRE(ok.result.matrix.size() == 300);
    CHECK(ok.result.matrix[0].floats.size() == 10);
    // a{i="7"} and c{i="7"} both pair with `one` and, their names dropped,
    // make one label set: from the first step on.
    load(s, L({{"__name__", "one"}}), kMinute, std::vector<double>(10, 1));
    load(s, L({{"__name__", "c"}, {"i", "7"}, {"k", "x"}}), kMinute, std::vector<double>(10, 3));
    const auto dup = range(s, "{__name__=~\"a|c\"} * ignoring(i, k) group_left one", 0, 9 * kMinute, kMinute, o);
    REQUIRE(dup.error);
    CHECK(dup.error->message == "multiple matches for labels: grouping labels must ensure unique matches");
}


TEST_CASE("a_range_answer_is_sorted_in_parts") {
    // Sorting 100,000 series' answer at its end held the loop 20 ms: it is
    // sorted 256 series a tick, in runs merged pairwise. The store hands
    // the series out sorted by `a`; without `a` they are in the reverse of
    // their order by `z`.
    MemoryStorage s;
    for (int i = 0; i < 2000; ++i) {
        char a[16], z[16];
        std::snprintf(a, sizeof a, "%04d", 9999 - i);
        std::snprintf(z, sizeof z, "%04d", i);
        load(s, L({{"__name__", "x"}, {"a", a}, {"z", z}}), kMinute, std::vector<double>(3, i));
    }
    const uint64_t reversed = sliced_equals_whole(s, "label_replace(x, \"a\", \"\", \"a\", \".*\")", 3);
    const uint64_t in_order = sliced_equals_whole(s, "label_replace(x, \"b\", \"\", \"b\", \".*\")", 3);
    EngineOptions o;
    const auto r = range(s, "label_replace(x, \"a\", \"\", \"a\", \".*\")", 0, 2 * kMinute, kMinute, o);
    REQUIRE(r.result.matrix.size() == 2000);
    for (size_t k = 0; k < r.result.matrix.size(); ++k) {
        char z[32];
        std::snprintf(z, sizeof z, "%04zu", k);
        CHECK(r.result.matrix[k].metric == L({{"__name__", "x"}, {"z", z}}));
    }
    // 8 runs of 256 sorted, 3 passes of merging 2,000: more slices.
    CHECK(reversed > in_order);
}
