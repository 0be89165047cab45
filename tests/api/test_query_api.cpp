#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <string>
#include <vector>

#include "api/query_api.hpp"
#include "history/history_store.hpp"
#include "history/labels.hpp"
#include "http/deferred.hpp"
#include "http/server.hpp"

using namespace mmwatch;

namespace {

history::StoreConfig config() {
    history::StoreConfig c;
    c.max_bytes = 64ull << 20;
    for (auto& r : c.retention_ms) r = 0;
    return c;
}

void add(history::Store& store, std::vector<history::LabelView> labels, int64_t from_ms, int64_t step_ms,
         const std::vector<double>& values) {
    REQUIRE(history::canonicalize(labels) == history::LabelError::none);
    const auto id = store.series(labels).id;
    REQUIRE(id != history::kNoSeries);
    for (size_t i = 0; i < values.size(); ++i)
        REQUIRE(store.append(id, from_ms + int64_t(i) * step_ms, std::bit_cast<uint64_t>(values[i])) ==
                history::AppendStatus::stored);
}

// up{job="a"} and up{job="b",instance="x"} every 15 s from 0 to 10 min,
// req_total{job="a"} a counter.
void fill(history::Store& s) {
    std::vector<double> ones(41, 1), twos(41, 2), counter;
    for (int i = 0; i < 41; ++i) counter.push_back(i * 3);
    add(s, {{"__name__", "up"}, {"job", "a"}}, 0, 15'000, ones);
    add(s, {{"__name__", "up"}, {"job", "b"}, {"instance", "x"}}, 0, 15'000, twos);
    add(s, {{"__name__", "req_total"}, {"job", "a"}}, 0, 15'000, counter);
}

struct Catch final : http::Deferred::Waiter {
    std::optional<http::Response> got;
    void resolved(http::Response r) override { got = std::move(r); }
};

struct Answer {
    int status = 0;
    std::string body;
    bool deferred = false;
};

// A request as http/ would hand it over.
struct Req {
    std::string target, body, content_type;
    std::string method = "GET";
    http::Request make() const {
        http::Request r;
        r.method = method;
        r.target = target;
        const size_t q = target.find('?');
        r.path = std::string_view(target).substr(0, q);
        r.query = q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1);
        r.body = body;
        if (!content_type.empty()) {
            r.headers[0] = {"Content-Type", content_type};
            r.header_count = 1;
        }
        return r;
    }
};

// Sends a request and steps the API until the answer comes.
Answer ask(api::QueryApi& a, const Req& req, uint64_t now_ms = 0) {
    http::Response r = a.respond(req.make());
    Answer out;
    if (r.deferred) {
        out.deferred = true;
        Catch c;
        r.deferred->wait(&c);
        for (int i = 0; i < 1'000'000 && !c.got; ++i) a.step_all(now_ms);
        REQUIRE(c.got);
        r = std::move(*c.got);
    }
    out.status = r.status;
    out.body = r.body ? *r.body : "";
    return out;
}

Answer get(api::QueryApi& a, std::string target) { return ask(a, Req{std::move(target), "", ""}); }

}  // namespace

TEST_CASE("query_answers_an_instant_vector_in_prometheus_json") {
    history::Store s(config());
    fill(s);
    api::QueryApi a(s, nullptr, {});
    const Answer r = get(a, "/api/v1/query?query=up&time=300");
    CHECK(r.deferred);
    CHECK(r.status == 200);
    CHECK(r.body ==
          R"({"status":"success","data":{"resultType":"vector","result":[)"
          R"({"metric":{"__name__":"up","instance":"x","job":"b"},"value":[300,"2"]},)"
          R"({"metric":{"__name__":"up","job":"a"},"value":[300,"1"]}]}})");
    CHECK(get(a, "/api/v1/query?query=rate(req_total%5B1m%5D)&time=300.5").body ==
          R"({"status":"success","data":{"resultType":"vector","result":[)"
          R"({"metric":{"job":"a"},"value":[300.500,"0.19999999999999998"]}]}})");
    CHECK(get(a, "/api/v1/query?query=1%2F3&time=1.001").body ==
          R"({"status":"success","data":{"resultType":"scalar","result":[1.001,"0.3333333333333333"]}})");
    CHECK(get(a, "/api/v1/query?query=%22hi%22&time=2").body ==
          R"({"status":"success","data":{"resultType":"string","result":[2,"hi"]}})");
    CHECK(get(a, "/api/v1/query?query=1e-7%2Bup*0&time=2").body.find(R"("value":[2,"1e-07"])") != std::string::npos);
    CHECK(get(a, "/api/v1/query?query=-1%2F0&time=2").body ==
          R"({"status":"success","data":{"resultType":"scalar","result":[2,"-Inf"]}})");
    CHECK(get(a, "/api/v1/query?query=up%5B30s%5D&time=30").body ==
          R"({"status":"success","data":{"resultType":"matrix","result":[)"
          R"({"metric":{"__name__":"up","instance":"x","job":"b"},"values":[[15,"2"],[30,"2"]]},)"
          R"({"metric":{"__name__":"up","job":"a"},"values":[[15,"1"],[30,"1"]]}]}})");
    // Without time=, the query runs at the API's clock.
    a.set_clock_for_tests(120'000);
    CHECK(get(a, "/api/v1/query?query=time()").body ==
          R"({"status":"success","data":{"resultType":"scalar","result":[120,"120"]}})");
}

TEST_CASE("query_range_answers_a_matrix_and_warnings") {
    history::Store s(config());
    fill(s);
    api::QueryApi a(s, nullptr, {});
    CHECK(get(a, "/api/v1/query_range?query=sum(up)&start=0&end=60&step=30").body ==
          R"({"status":"success","data":{"resultType":"matrix","result":[)"
          R"({"metric":{},"values":[[0,"3"],[30,"3"],[60,"3"]]}]}})");
    CHECK(get(a, "/api/v1/query_range?query=up%7Bjob%3D%22a%22%7D&start=0&end=1m&step=1m").status == 400);
    CHECK(get(a, "/api/v1/query_range?query=up%7Bjob%3D%22a%22%7D&start=1970-01-01T00:00:00Z&end=1970-01-01T00:01:00.000Z&step=1m").body ==
          R"({"status":"success","data":{"resultType":"matrix","result":[)"
          R"({"metric":{"__name__":"up","job":"a"},"values":[[0,"1"],[60,"1"]]}]}})");
    const Answer w = get(a, "/api/v1/query_range?query=rate(up%5B1m%5D)&start=60&end=60&step=15");
    CHECK(w.body ==
          R"({"status":"success","data":{"resultType":"matrix","result":[)"
          R"({"metric":{"instance":"x","job":"b"},"values":[[60,"0"]]},{"metric":{"job":"a"},"values":[[60,"0"]]}]},)"
          R"("infos":["PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"up\""]})");
}

TEST_CASE("query_parameters_are_refused_as_prometheus_refuses_them") {
    history::Store s(config());
    fill(s);
    api::QueryApi a(s, nullptr, {});
    const auto bad = [](std::string msg) { return R"({"status":"error","errorType":"bad_data","error":)" + msg + "}"; };
    Answer r = get(a, "/api/v1/query?query=sum(&time=1");
    CHECK(r.status == 400);
    CHECK(!r.deferred);
    CHECK(r.body == bad(R"("invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis")"));
    CHECK(get(a, "/api/v1/query?query=up&time=yesterday").body ==
          bad(R"("invalid parameter \"time\": cannot parse \"yesterday\" to a valid timestamp")"));
    CHECK(get(a, "/api/v1/query_range?query=up&start=10&end=5&step=1").body ==
          bad(R"("invalid parameter \"end\": end timestamp must not be before start time")"));
    CHECK(get(a, "/api/v1/query_range?query=up&start=0&end=5&step=0").body ==
          bad(R"("invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer")"));
    CHECK(get(a, "/api/v1/query_range?query=up&start=0&end=5&step=x").body ==
          bad(R"("invalid parameter \"step\": cannot parse \"x\" to a valid duration")"));
    CHECK(get(a, "/api/v1/query_range?query=up&start=0&end=100000&step=1").body ==
          bad(R"x("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")x"));
    CHECK(get(a, "/api/v1/query_range?query=up&end=5&step=1").status == 400);
    CHECK(get(a, "/api/v1/query?query=up&time=%zz").body == bad(R"("malformed form encoding")"));
    CHECK(a.counters().refused[size_t(api::Refusal::bad_request)] == 8);
    CHECK(get(a, "/api/v1/nothing").status == 404);
    Req del{"/api/v1/query?query=up", "", ""};
    del.method = "DELETE";
    CHECK(ask(a, del).status == 405);
}

TEST_CASE("query_reads_a_form_post") {
    history::Store s(config());
    fill(s);
    api::QueryApi a(s, nullptr, {});
    Req post{"/api/v1/query_range", "query=count(up)&start=0&end=30&step=15s", "application/x-www-form-urlencoded"};
    post.method = "POST";
    CHECK(ask(a, post).body ==
          R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[0,"2"],[15,"2"],[30,"2"]]}]}})");
}

TEST_CASE("query_budgets_refuse_with_prometheus_error_types_and_count") {
    history::Store s(config());
    fill(s);
    api::ApiOptions o;
    o.max_samples = 50;
    o.max_concurrent = 1;
    o.timeout_ms = 1000;
    o.work_per_slice = 3;
    api::QueryApi a(s, nullptr, o);
    // Samples: 41 points of 3 series is more than 50.
    Answer r = get(a, "/api/v1/query_range?query=up%2Breq_total*0&start=0&end=600&step=15");
    CHECK(r.status == 422);
    CHECK(r.body ==
          R"({"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"})");
    CHECK(a.counters().refused[size_t(api::Refusal::max_samples)] == 1);
    // Concurrency: one running, the next refused at once.
    http::Response first = a.respond(Req{"/api/v1/query_range?query=sum(up)&start=0&end=600&step=15", "", ""}.make());
    REQUIRE(first.deferred);
    CHECK(a.running() == 1);
    const Answer second = get(a, "/api/v1/query?query=up&time=1");
    CHECK(second.status == 503);
    CHECK(second.body ==
          R"({"status":"error","errorType":"unavailable","error":"too many concurrent queries (--query-max-concurrency 1): try again"})");
    CHECK(a.counters().refused[size_t(api::Refusal::concurrency)] == 1);
    // Timeout: the first slice starts the clock, a later turn past it ends it.
    Catch c;
    first.deferred->wait(&c);
    CHECK(a.step_all(5'000));
    CHECK(!a.step_all(6'001));
    REQUIRE(c.got);
    CHECK(c.got->status == 503);
    CHECK(*c.got->body == R"({"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"})");
    CHECK(a.counters().refused[size_t(api::Refusal::timeout)] == 1);
    // A client that leaves: its query stops and is counted.
    http::Response gone = a.respond(Req{"/api/v1/query_range?query=sum(up)&start=0&end=600&step=15", "", ""}.make());
    REQUIRE(gone.deferred);
    gone.deferred->abandon();
    CHECK(!a.step_all(0));
    CHECK(a.running() == 0);
    CHECK(a.counters().refused[size_t(api::Refusal::client_gone)] == 1);
}

TEST_CASE("a_query_runs_in_slices_across_turns_and_answers_as_unsliced") {
    history::Store s(config());
    for (int i = 0; i < 40; ++i) {
        std::vector<double> v;
        for (int k = 0; k < 400; ++k) v.push_back(k * (i + 1));
        const std::string inst = std::to_string(i);
        add(s, {{"__name__", "c_total"}, {"i", inst}, {"job", i % 2 ? "odd" : "even"}}, 0, 15'000, v);
    }
    const std::string q = "/api/v1/query_range?query=sum+by+(job)+(rate(c_total%5B5m%5D))&start=0&end=6000&step=60";
    api::ApiOptions fine;
    fine.work_per_slice = 50;
    api::QueryApi sliced(s, nullptr, fine);
    api::ApiOptions whole;
    whole.work_per_slice = int64_t(1) << 50;
    whole.slice_ns = 0;  // units only: one slice whatever the machine
    api::QueryApi unsliced(s, nullptr, whole);
    const Answer a = get(sliced, q), b = get(unsliced, q);
    CHECK(a.status == 200);
    CHECK(a.body == b.body);
    CHECK(sliced.counters().slices > 100);
    CHECK(unsliced.counters().slices == 1);
}

TEST_CASE("series_labels_and_values_answer_prometheus_json") {
    history::Store s(config());
    fill(s);
    add(s, {{"__name__", "late"}, {"job", "c"}}, 1'000'000, 15'000, {5});
    api::QueryApi a(s, nullptr, {.version = "1.2.3"});
    CHECK(get(a, "/api/v1/series?match%5B%5D=up").body ==
          R"({"status":"success","data":[{"__name__":"up","instance":"x","job":"b"},{"__name__":"up","job":"a"}]})");
    CHECK(get(a, "/api/v1/series?match%5B%5D=up%7Bjob%3D%22a%22%7D&match%5B%5D=req_total").body ==
          R"({"status":"success","data":[{"__name__":"req_total","job":"a"},{"__name__":"up","job":"a"}]})");
    CHECK(get(a, "/api/v1/series?match%5B%5D=%7Bjob%3D~%22.%2B%22%7D&start=900").body ==
          R"({"status":"success","data":[{"__name__":"late","job":"c"}]})");
    CHECK(get(a, "/api/v1/series").body ==
          R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");
    CHECK(get(a, "/api/v1/series?match%5B%5D=%7Bjob%3D~%22.*%22%7D").body ==
          R"({"status":"error","errorType":"bad_data","error":"1:1: parse error: vector selector must contain at least one non-empty matcher"})");
    CHECK(get(a, "/api/v1/labels").body == R"({"status":"success","data":["__name__","instance","job"]})");
    CHECK(get(a, "/api/v1/labels?match%5B%5D=req_total").body == R"({"status":"success","data":["__name__","job"]})");
    CHECK(get(a, "/api/v1/label/job/values").body == R"({"status":"success","data":["a","b","c"]})");
    CHECK(get(a, "/api/v1/label/__name__/values?end=700").body == R"({"status":"success","data":["req_total","up"]})");
    CHECK(get(a, "/api/v1/label/job/values?match%5B%5D=up%7Binstance%3D%22x%22%7D").body ==
          R"({"status":"success","data":["b"]})");
    CHECK(get(a, "/api/v1/label/nothing/values").body == R"({"status":"success","data":[]})");
    CHECK(get(a, "/api/v1/status/buildinfo").body ==
          R"({"status":"success","data":{"version":"1.2.3","revision":"","branch":"","buildUser":"","buildDate":"","goVersion":""}})");
    CHECK(get(a, "/api/v1/metadata").body == R"({"status":"success","data":{}})");
}

TEST_CASE("a_series_lookup_over_many_series_takes_several_turns") {
    history::Store s(config());
    for (int i = 0; i < 5000; ++i) add(s, {{"__name__", "m"}, {"i", std::to_string(i)}}, 0, 15'000, {1});
    api::QueryApi a(s, nullptr, {});
    // A regex narrows through the postings: 500 candidates, one turn.
    Answer r = get(a, "/api/v1/series?match%5B%5D=%7Bi%3D~%22.*9%22%7D");
    CHECK(r.deferred);
    CHECK(a.counters().slices == 1);
    CHECK(r.body.starts_with(R"({"status":"success","data":[{"__name__":"m","i":"1009"},{"__name__":"m","i":"1019"},)"));
    const auto count = [](const std::string& body) {
        size_t n = 0;
        for (size_t at = 0; (at = body.find("\"i\"", at)) != std::string::npos; ++at) ++n;
        return n;
    };
    CHECK(count(r.body) == 500);
    // != narrows nothing: all 5,000 named m are checked, 512 a batch, two batches a turn.
    r = get(a, "/api/v1/series?match%5B%5D=m%7Bi!%3D%221%22%7D");
    CHECK(a.counters().slices - 1 >= 3);
    CHECK(r.body.starts_with(R"({"status":"success","data":[{"__name__":"m","i":"0"},{"__name__":"m","i":"10"},)"));
    CHECK(count(r.body) == 4999);
}

TEST_CASE("a_query_still_running_when_the_api_goes_is_answered") {
    history::Store s(config());
    fill(s);
    Catch c;
    {
        api::ApiOptions o;
        o.work_per_slice = 1;
        api::QueryApi a(s, nullptr, o);
        http::Response r = a.respond(Req{"/api/v1/query_range?query=sum(up)&start=0&end=600&step=15", "", ""}.make());
        REQUIRE(r.deferred);
        r.deferred->wait(&c);
        CHECK(a.step_all(0));
    }
    REQUIRE(c.got);
    CHECK(c.got->status == 503);
    CHECK(*c.got->body == R"({"status":"error","errorType":"unavailable","error":"mmwatch is shutting down"})");
}

TEST_CASE("api_counters_start_at_zero_and_count_by_endpoint_and_reason") {
    history::Store s(config());
    api::QueryApi a(s, nullptr, {});
    for (uint64_t n : a.counters().refused) CHECK(n == 0);
    for (uint64_t n : a.counters().requests) CHECK(n == 0);
    CHECK(api::refusal_name(api::Refusal::client_gone) == "client_gone");
    CHECK(api::endpoint_name(api::Endpoint::label_values) == "label_values");
    (void)get(a, "/api/v1/query?query=1&time=1");
    (void)get(a, "/api/v1/query?query=(&time=1");
    CHECK(a.counters().requests[size_t(api::Endpoint::query)] == 2);
    CHECK(a.counters().refused[size_t(api::Refusal::bad_request)] == 1);
}

namespace {

// A client on the same loop: connects, sends one request with
// Connection: close, keeps what comes back until the server closes.
struct LoopClient {
    uv_tcp_t tcp{};
    uv_connect_t connect{};
    uv_write_t write{};
    std::string request, response;
    bool done = false;
    int* finished_order = nullptr;
    int order = 0;

    void start(uv_loop_t* loop, int port, std::string target, int* counter) {
        request = "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        finished_order = counter;
        uv_tcp_init(loop, &tcp);
        tcp.data = this;
        sockaddr_in addr{};
        uv_ip4_addr("127.0.0.1", port, &addr);
        uv_tcp_connect(&connect, &tcp, reinterpret_cast<const sockaddr*>(&addr), on_connect);
    }
    static void on_connect(uv_connect_t* c, int status) {
        auto* self = static_cast<LoopClient*>(c->handle->data);
        REQUIRE(status == 0);
        uv_buf_t b = uv_buf_init(self->request.data(), unsigned(self->request.size()));
        uv_write(&self->write, c->handle, &b, 1, [](uv_write_t*, int) {});
        uv_read_start(
            c->handle,
            [](uv_handle_t*, size_t n, uv_buf_t* buf) { *buf = uv_buf_init(new char[n], unsigned(n)); },
            [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
                auto* me = static_cast<LoopClient*>(s->data);
                if (n > 0) me->response.append(buf->base, size_t(n));
                delete[] buf->base;
                if (n < 0) {
                    me->done = true;
                    me->order = ++*me->finished_order;
                    uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
                }
            });
    }
};

}  // namespace

TEST_CASE("over_a_real_server_a_heavy_query_lets_other_requests_through") {
    history::Store s(config());
    for (int i = 0; i < 30; ++i) {
        std::vector<double> v(400, double(i));
        add(s, {{"__name__", "g"}, {"i", std::to_string(i)}}, 0, 15'000, v);
    }
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    {
        api::ApiOptions o;
        o.work_per_slice = 20;  // many turns for the heavy query
        o.version = "t";
        api::QueryApi a(s, &loop, o);
        http::ServerConfig sc;
        sc.max_connections = 8;
        sc.max_body_bytes = 1 << 20;
        http::Server server(&loop, sc, a);
        std::string bound;
        REQUIRE(server.listen("127.0.0.1", 0, bound) == 0);
        const int port = std::stoi(bound.substr(bound.rfind(':') + 1));
        int finished = 0;
        LoopClient heavy, light;
        heavy.start(&loop, port, "/api/v1/query_range?query=sum(avg_over_time(g%5B10m%5D))&start=0&end=6000&step=15", &finished);
        // The light request is sent once the heavy one is being evaluated.
        uv_timer_t t;
        uv_timer_init(&loop, &t);
        struct Ctx { LoopClient* c; uv_loop_t* loop; int port; int* finished; api::QueryApi* api; } ctx{&light, &loop, port, &finished, &a};
        t.data = &ctx;
        uv_timer_start(&t, [](uv_timer_t* h) {
            auto* c = static_cast<Ctx*>(h->data);
            if (c->api->running() == 0) return;  // not yet started
            uv_timer_stop(h);
            c->c->start(c->loop, c->port, "/api/v1/status/buildinfo", c->finished);
        }, 0, 1);
        while (!(heavy.done && light.done)) uv_run(&loop, UV_RUN_ONCE);
        uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
        CHECK(light.order == 1);  // answered while the heavy query was still running
        CHECK(heavy.order == 2);
        CHECK(light.response.find("\"version\":\"t\"") != std::string::npos);
        CHECK(heavy.response.starts_with("HTTP/1.1 200 OK\r\n"));
        CHECK(heavy.response.find("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[[0,\"435\"],") !=
              std::string::npos);
        CHECK(a.counters().slices > 100);
        server.close();
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("queries_for_one_moment_in_one_turn_share_the_live_values_and_a_bad_query_collects_none") {
    history::Store s(config());
    fill(s);
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    int collected = 0;
    {
        api::ApiOptions o;
        o.live = [&collected](int64_t t_ms) {
            ++collected;
            auto p = std::make_shared<api::LivePoints>();
            p->t_ms = t_ms;
            p->fresh.emplace_back(promql::Labels::from_pairs({{"__name__", "live_only"}}), 5.0);
            return std::shared_ptr<const api::LivePoints>(std::move(p));
        };
        api::QueryApi a(s, &loop, o);
        a.set_clock_for_tests(600'000);
        // The loop has not turned between these requests.
        std::vector<http::Response> rs;
        rs.push_back(a.respond(Req{"/api/v1/query?query=live_only&time=600", "", ""}.make()));
        rs.push_back(a.respond(Req{"/api/v1/query?query=live_only*2&time=600", "", ""}.make()));
        CHECK(collected == 1);
        rs.push_back(a.respond(Req{"/api/v1/query?query=live_only&time=599", "", ""}.make()));
        CHECK(collected == 2);  // another moment
        const http::Response bad = a.respond(Req{"/api/v1/query?query=live_only(&time=600", "", ""}.make());
        CHECK(bad.status == 400);
        CHECK(collected == 2);  // not parsed: nothing collected
        std::vector<Catch> got(rs.size());
        for (size_t i = 0; i < rs.size(); ++i) {
            REQUIRE(rs[i].deferred);
            rs[i].deferred->wait(&got[i]);
        }
        while (a.step_all(0)) {
        }
        REQUIRE(got[0].got);
        REQUIRE(got[1].got);
        CHECK(*got[0].got->body == R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"live_only"},"value":[600,"5"]}]}})");
        CHECK(*got[1].got->body == R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[600,"10"]}]}})");
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("a_written_answer_is_freed_a_part_a_turn") {
    // 10,000 series of 240 points freed with their query took 4 ms in one
    // turn: the answer is freed from its end, kAnswerFreeSeriesPerTurn
    // series (or kAnswerFreePointsPerTurn points) a turn, the first part in
    // the turn that answers.
    history::Store s(config());
    const size_t series = 3 * base::kAnswerFreeSeriesPerTurn + 10;
    for (size_t i = 0; i < series; ++i) add(s, {{"__name__", "g"}, {"i", std::to_string(i)}}, 0, 15'000, {1, 2});
    api::QueryApi a(s, nullptr, {});
    http::Response r = a.respond(Req{"/api/v1/query_range?query=g&start=0&end=15&step=15", "", ""}.make());
    REQUIRE(r.deferred);
    Catch c;
    r.deferred->wait(&c);
    int turns = 0;
    while (!c.got && turns < 100'000) {
        a.step_all(0);
        ++turns;
    }
    REQUIRE(c.got);
    CHECK(c.got->status == 200);
    int freeing = 0;
    while (a.running() > 0 && freeing < 100) {
        a.step_all(0);
        ++freeing;
    }
    CHECK(a.running() == 0);
    // 3 parts of 1,024 series and one of 10: three more turns (the
    // selector's label sets went at the end of the evaluation).
    CHECK(freeing == 3);
}
