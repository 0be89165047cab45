// libFuzzer target: what anyone can send the Prometheus API: a request
// target (path and query string) and a form body, through api::QueryApi
// over a small history store, stepped until it answers (queries in slices
// of a few units). Every answer is a status the API gives and a JSON body
// of Prometheus's envelope; a query still running after its allowance is
// abandoned as a client that left, and must stop and be counted.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/query_api.hpp"
#include "fuzz_check.hpp"
#include "history/history_store.hpp"
#include "history/labels.hpp"
#include "http/deferred.hpp"

using namespace mmwatch;

namespace {

constexpr int kMaxTurns = 20'000;

history::Store& store() {
    static history::Store* s = [] {
        history::StoreConfig c;
        c.max_bytes = 4ull << 20;
        auto* st = new history::Store(c);
        const char* jobs[] = {"api", "db"};
        for (int i = 0; i < 4; ++i) {
            std::vector<history::LabelView> l = {{"__name__", i < 2 ? "req_total" : "temp"}, {"job", jobs[i % 2]}};
            (void)history::canonicalize(l);
            const auto id = st->series(l).id;
            for (int k = 0; k < 100; ++k)
                (void)st->append(id, int64_t(k) * 15'000, std::bit_cast<uint64_t>(double(k * (i + 1))));
        }
        return st;
    }();
    return *s;
}

struct Catch final : http::Deferred::Waiter {
    bool got = false;
    http::Response r;
    void resolved(http::Response x) override {
        got = true;
        r = std::move(x);
    }
};

void check_answer(const http::Response& r) {
    FUZZ_CHECK(r.status == 200 || r.status == 400 || r.status == 404 || r.status == 405 || r.status == 422 ||
               r.status == 503);
    FUZZ_CHECK(r.body);
    if (r.status == 404 || r.status == 405) return;
    FUZZ_CHECK(r.body->starts_with(r.status == 200 ? "{\"status\":\"success\"" : "{\"status\":\"error\""));
    FUZZ_CHECK(r.body->ends_with("}"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Byte 0: method and slice size; then the target, a NUL, the form body.
    if (size < 1 || size > 4096) return 0;
    const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    const size_t nul = in.find('\0');
    std::string target(in.substr(0, nul));
    const std::string body(nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1));
    static const char* const kPaths[] = {"/api/v1/query?", "/api/v1/query_range?", "/api/v1/series?",
                                         "/api/v1/labels?", "/api/v1/label/job/values?", "/api/v1/status/buildinfo?"};
    if (target.empty() || target[0] != '/') target = kPaths[data[0] % 6] + target;
    api::ApiOptions o;
    o.work_per_slice = 1 + (data[0] >> 3);
    o.max_samples = 20'000;
    api::QueryApi a(store(), nullptr, o);
    http::Request req;
    req.method = (data[0] & 0x80) ? "POST" : "GET";
    req.target = target;
    const size_t q = target.find('?');
    req.path = std::string_view(target).substr(0, q);
    req.query = q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1);
    req.body = body;
    req.headers[0] = {"Content-Type", "application/x-www-form-urlencoded"};
    req.header_count = 1;
    http::Response r = a.respond(req);
    if (!r.deferred) {
        check_answer(r);
        return 0;
    }
    Catch c;
    r.deferred->wait(&c);
    for (int i = 0; i < kMaxTurns && !c.got; ++i) a.step_all(0);
    if (!c.got) {
        r.deferred->abandon();
        a.step_all(0);
        FUZZ_CHECK(a.running() == 0);
        FUZZ_CHECK(a.counters().refused[size_t(api::Refusal::client_gone)] == 1);
        return 0;
    }
    check_answer(c.r);
    return 0;
}
