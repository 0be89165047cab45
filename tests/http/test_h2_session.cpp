#include <doctest/doctest.h>

#include <string>

#include "http/h2_session.hpp"
#include "support/h2_client.hpp"

using namespace mmwatch;
using namespace mmwatch::http;
using test::Fields;
using test::H2Client;

namespace {

constexpr uint64_t kT0 = 1'000'000;

// A server session with its listener's counters and budget.
struct Server {
    H2Counters counters;
    H2Budget budget;
    H2Session session;
    uint64_t now = kT0;
    std::vector<H2Request> seen;  // copies of the requests handed over

    explicit Server(H2Config config = {}, uint64_t budget_bytes = UINT64_MAX)
        : budget{budget_bytes, 0}, session(config, counters, budget, kT0) {}

    uint64_t refused(H2Refusal r) const { return counters.refusals[size_t(r)]; }
    uint64_t refused(H2StreamRefusal r) const { return counters.stream_refusals[size_t(r)]; }

    std::string output() {
        std::string out;
        session.produce(out, SIZE_MAX);
        return out;
    }
};

H2Response echo(const H2Request& r) {
    H2Response a;
    a.headers = {{"content-type", "text/plain"}};
    a.body = "got " + std::to_string(r.body.size()) + " bytes";
    a.trailers = {{"grpc-status", "0"}};
    if (r.refusal != H2StreamRefusal::none) {
        a.body.clear();
        a.trailers = {{"refusal", std::string(h2_stream_refusal_name(r.refusal))}};
    }
    return a;
}

// Bytes both ways until neither side has more; each request answered by echo.
void pump(Server& s, H2Client& c, bool answer = true) {
    for (int turn = 0; turn < 1000; ++turn) {
        const std::string up = c.output();
        if (!up.empty()) s.session.receive(up, s.now);
        while (answer) {
            H2Request* r = s.session.next_request();
            if (!r) break;
            s.seen.push_back(*r);
            s.session.respond(r->stream_id, echo(*r));
        }
        const std::string down = s.output();
        if (!down.empty()) c.input(down);
        if (up.empty() && down.empty()) return;
    }
    FAIL("the exchange never settled");
}

// The frames the server sent on one stream, by type.
std::vector<uint8_t> types_on(std::string_view out, int32_t stream_id) {
    std::vector<uint8_t> types;
    for (const test::RawFrame& f : test::h2_frames(out))
        if (f.stream_id == stream_id) types.push_back(f.type);
    return types;
}

}  // namespace

TEST_CASE("request_with_body_answered_with_headers_body_and_trailers") {
    Server s;
    H2Client c;
    const int32_t id = c.request(test::grpc_request_fields(), std::string(100'000, 'x'));
    pump(s, c);
    REQUIRE(s.seen.size() == 1);
    CHECK(s.seen[0].header(":path") == "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export");
    CHECK(s.seen[0].header("content-type") == "application/grpc");
    CHECK(s.seen[0].body.size() == 100'000);
    const auto& r = c.replies[id];
    CHECK(r.header(":status") == "200");
    CHECK(r.body == "got 100000 bytes");
    CHECK(r.trailer("grpc-status") == "0");
    CHECK(r.closed);
    CHECK(r.close_code == NGHTTP2_NO_ERROR);
    CHECK(s.counters.requests == 1);
    // The body was given back: nothing held, the budget whole again.
    CHECK(s.session.held_bytes() == 0);
    CHECK(s.budget.used == 0);
    CHECK(s.session.idle());
}

TEST_CASE("empty_body_answer_is_one_headers_frame_with_the_trailers") {
    Server s;
    H2Client c;
    const int32_t id = c.request(test::grpc_request_fields(), "");
    for (int i = 0; i < 3; ++i) {
        s.session.receive(c.output(), s.now);
        if (H2Request* r = s.session.next_request()) {
            H2Response a;
            a.trailers = {{"grpc-status", "12"}, {"grpc-message", "nope"}};
            s.session.respond(r->stream_id, a);
        }
        c.input(s.output());
    }
    const auto& r = c.replies[id];
    CHECK(r.header(":status") == "200");
    CHECK(r.header("grpc-status") == "12");  // in the headers: Trailers-Only
    CHECK(r.header("grpc-message") == "nope");
    CHECK(r.trailers.empty());
    CHECK(r.closed);
}

TEST_CASE("concurrent_streams_on_one_connection_each_get_their_answer") {
    Server s;
    H2Client c;
    std::vector<int32_t> ids;
    for (int i = 0; i < 20; ++i) ids.push_back(c.request(test::grpc_request_fields(), std::string(size_t(i) * 1000, 'a')));
    pump(s, c);
    CHECK(s.counters.requests == 20);
    for (int i = 0; i < 20; ++i) CHECK(c.replies[ids[size_t(i)]].body == "got " + std::to_string(i * 1000) + " bytes");
}

TEST_CASE("streams_past_max_concurrent_are_refused_with_refused_stream") {
    Server s;
    std::string in = test::h2_preface();
    for (int32_t id = 1; id <= 2 * 33; id += 2) in += test::h2_headers(id, test::grpc_request_fields(), false);
    CHECK(s.session.receive(in, s.now));
    CHECK(types_on(s.output(), 65) == std::vector<uint8_t>{NGHTTP2_RST_STREAM});
    CHECK(s.counters.streams == base::kH2MaxConcurrentStreams);
    CHECK(s.counters.refused_streams == 1);
    CHECK(s.session.open_streams() == base::kH2MaxConcurrentStreams);
    CHECK(s.session.refusal() == H2Refusal::none);
}

TEST_CASE("body_past_max_body_is_refused_at_the_stream_and_the_connection_lives_on") {
    H2Config cfg;
    cfg.max_body_bytes = 1000;
    Server s(cfg);
    H2Client c;
    const int32_t big = c.request(test::grpc_request_fields(), std::string(1001, 'x'));
    const int32_t fine = c.request(test::grpc_request_fields(), std::string(1000, 'x'));
    pump(s, c);
    CHECK(s.refused(H2StreamRefusal::body_too_large) == 1);
    CHECK(c.replies[big].header("refusal") == "body_too_large");
    CHECK(c.replies[big].closed);  // answered early, the rest of its body is declined (RST_STREAM NO_ERROR)
    CHECK(c.replies[big].close_code == NGHTTP2_NO_ERROR);
    CHECK(c.replies[fine].body == "got 1000 bytes");
    CHECK(s.budget.used == 0);
    CHECK(s.session.refusal() == H2Refusal::none);
}

TEST_CASE("a_body_one_byte_past_the_cap_is_too_large_even_when_the_window_is_the_cap") {
    // The window holds a whole body and one byte more: the byte over the cap
    // arrives and names the refusal, instead of the peer stalling on a full
    // window (connection_share: UNAVAILABLE, retried for ever). Above
    // 65,535 bytes: the connection window's initial size is its floor.
    H2Config cfg;
    cfg.max_body_bytes = 100'000;
    cfg.window_bytes = 100'000;
    Server s(cfg);
    H2Client c;
    // A small call first: its bytes go back to the window when it is
    // answered, not some time later.
    const int32_t small = c.request(test::grpc_request_fields(), "abc");
    pump(s, c);
    CHECK(c.replies[small].body == "got 3 bytes");
    const int32_t big = c.request(test::grpc_request_fields(), std::string(100'001, 'x'));
    pump(s, c);
    CHECK(c.replies[big].header("refusal") == "body_too_large");
    CHECK(s.refused(H2StreamRefusal::connection_share) == 0);
}

TEST_CASE("request_past_the_listener_budget_is_refused_memory_budget") {
    Server s({}, 100'000);
    H2Client c;
    const int32_t big = c.request(test::grpc_request_fields(), std::string(200'000, 'x'));
    pump(s, c);
    CHECK(s.refused(H2StreamRefusal::memory_budget) == 1);
    CHECK(c.replies[big].header("refusal") == "memory_budget");
    CHECK(s.budget.used == 0);
    // A body that fits is served on the same connection.
    const int32_t small = c.request(test::grpc_request_fields(), std::string(10'000, 'x'));
    pump(s, c);
    CHECK(c.replies[small].body == "got 10000 bytes");
}

TEST_CASE("budget_is_shared_by_the_sessions_of_a_listener") {
    H2Counters counters;
    H2Budget budget{100'000, 0};
    H2Session a({}, counters, budget, kT0);
    H2Session b({}, counters, budget, kT0);
    H2Client ca, cb;
    // Each sends the first 64 KiB of a 200 KB body: the second does not fit.
    ca.request(test::grpc_request_fields(), std::string(200'000, 'x'));
    cb.request(test::grpc_request_fields(), std::string(200'000, 'x'));
    a.receive(ca.output().substr(0, 120'000), kT0);
    CHECK(budget.used > 0);
    const uint64_t after_a = budget.used;
    b.receive(cb.output().substr(0, 120'000), kT0);
    CHECK(counters.stream_refusals[size_t(H2StreamRefusal::memory_budget)] == 1);
    CHECK(budget.used == after_a);
}

TEST_CASE("connection_window_bounds_what_a_connection_holds") {
    H2Config cfg;
    cfg.max_body_bytes = 100'000;
    cfg.window_bytes = 100'000;
    Server s(cfg);
    H2Client c;
    // Two bodies of 80 KB: both cannot be held; the peer stalls with the
    // window full of halves, so the larger is refused and the other completes.
    const int32_t a = c.request(test::grpc_request_fields(), std::string(80'000, 'a'));
    const int32_t b = c.request(test::grpc_request_fields(), std::string(80'000, 'b'));
    pump(s, c);
    CHECK(s.refused(H2StreamRefusal::connection_share) == 1);
    const bool a_ok = c.replies[a].body == "got 80000 bytes";
    const bool b_ok = c.replies[b].body == "got 80000 bytes";
    CHECK(a_ok != b_ok);
    CHECK(s.session.held_bytes() == 0);
}

TEST_CASE("hpack_bomb_refuses_the_stream_not_the_connection") {
    Server s;
    // One 4000-byte value enters the dynamic table; 1000 one-byte references
    // to it decode to 4 MB of header list from a 5 KB block.
    Fields f = test::grpc_request_fields();
    std::string block = test::hpack_block(f) + test::hpack_indexed_literal("x-bomb", std::string(4000, 'b'));
    block += std::string(1000, char(0x80 | 62));
    std::string in = test::h2_preface();
    in += test::h2_frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 1, block.substr(0, 4000));
    in += test::h2_frame(NGHTTP2_CONTINUATION, NGHTTP2_FLAG_END_HEADERS, 1, block.substr(4000));
    CHECK(s.session.receive(in, s.now));
    H2Request* r = s.session.next_request();
    REQUIRE(r != nullptr);
    CHECK(r->refusal == H2StreamRefusal::header_list_too_large);
    CHECK(r->header_list_bytes() > base::kH2MaxHeaderListBytes);
    s.session.respond(r->stream_id, echo(*r));
    CHECK(s.refused(H2StreamRefusal::header_list_too_large) == 1);
    CHECK(types_on(s.output(), 1) == std::vector<uint8_t>{NGHTTP2_HEADERS});
    // The next request on the connection is served.
    CHECK(s.session.receive(test::h2_headers(3, f, true), s.now));
    REQUIRE(s.session.next_request() != nullptr);
    CHECK(s.session.next_request()->refusal == H2StreamRefusal::none);
}

TEST_CASE("header_list_exactly_at_the_cap_is_accepted_and_one_byte_over_refused") {
    const Fields base = test::grpc_request_fields();
    size_t base_bytes = 0;
    for (const auto& [n, v] : base) base_bytes += n.size() + v.size() + 32;
    for (size_t extra : {size_t(0), size_t(1)}) {
        Server s;
        Fields f = base;
        const size_t value = base::kH2MaxHeaderListBytes - base_bytes - 32 - 1 + extra;  // name "x" is 1 byte
        f.push_back({"x", std::string(value, 'v')});
        s.session.receive(test::h2_preface() + test::h2_frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 1,
                                                              test::hpack_block(f).substr(0, 16000)) +
                              test::h2_frame(NGHTTP2_CONTINUATION, NGHTTP2_FLAG_END_HEADERS, 1,
                                             test::hpack_block(f).substr(16000)),
                          s.now);
        H2Request* r = s.session.next_request();
        REQUIRE(r != nullptr);
        CHECK(r->header_list_bytes() == base::kH2MaxHeaderListBytes + extra);
        CHECK(r->refusal == (extra ? H2StreamRefusal::header_list_too_large : H2StreamRefusal::none));
    }
}

TEST_CASE("rapid_reset_is_refused_with_goaway_enhance_your_calm") {
    Server s;
    std::string in = test::h2_preface();
    for (int32_t id = 1; id < 2 * 1000; id += 2) {
        in += test::h2_headers(id, test::grpc_request_fields(), false);
        in += test::h2_frame(NGHTTP2_RST_STREAM, 0, id, test::u32_payload(NGHTTP2_CANCEL));
    }
    CHECK_FALSE(s.session.receive(in, s.now));
    CHECK(s.session.refusal() == H2Refusal::rapid_reset);
    CHECK(s.refused(H2Refusal::rapid_reset) == 1);
    CHECK(s.counters.streams <= base::kH2ResetBurst);
    const test::Goaway g = test::h2_goaway(s.output());
    CHECK(g.code == NGHTTP2_ENHANCE_YOUR_CALM);
    CHECK(g.debug == "rapid_reset");
    CHECK(s.session.finished());
    // Nothing more is read.
    CHECK_FALSE(s.session.receive(test::h2_headers(5001, test::grpc_request_fields(), true), s.now));
}

TEST_CASE("resets_below_the_burst_and_at_the_refill_rate_are_fine") {
    Server s;
    std::string in = test::h2_preface();
    int32_t id = 1;
    auto reset_one = [&]() {
        std::string b = test::h2_headers(id, test::grpc_request_fields(), false);
        b += test::h2_frame(NGHTTP2_RST_STREAM, 0, id, test::u32_payload(NGHTTP2_CANCEL));
        id += 2;
        return b;
    };
    for (uint32_t i = 0; i < base::kH2ResetBurst; ++i) in += reset_one();
    CHECK(s.session.receive(in, s.now));
    // One more second brings kH2ResetsPerSec more, and no more than that.
    s.now += 1000;
    in.clear();
    for (uint32_t i = 0; i < base::kH2ResetsPerSec; ++i) in += reset_one();
    CHECK(s.session.receive(in, s.now));
    CHECK_FALSE(s.session.receive(reset_one(), s.now));
    CHECK(s.session.refusal() == H2Refusal::rapid_reset);
}

TEST_CASE("continuation_without_end_headers_is_a_continuation_flood") {
    Server s;
    std::string in = test::h2_preface();
    in += test::h2_frame(NGHTTP2_HEADERS, 0, 1, test::hpack_block(test::grpc_request_fields()));
    for (int i = 0; i < 100; ++i) in += test::h2_frame(NGHTTP2_CONTINUATION, 0, 1, test::hpack_literal("a", "b"));
    CHECK_FALSE(s.session.receive(in, s.now));
    CHECK(s.session.refusal() == H2Refusal::continuation_flood);
    CHECK(test::h2_goaway(s.output()).debug == "continuation_flood");
}

TEST_CASE("continuations_within_the_cap_complete_the_header_block") {
    Server s;
    const std::string block = test::hpack_block(test::grpc_request_fields());
    std::string in = test::h2_preface();
    in += test::h2_frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 1, block.substr(0, 10));
    size_t at = 10;
    for (uint32_t i = 1; i <= base::kH2MaxContinuations; ++i) {
        const bool last = i == base::kH2MaxContinuations;
        const size_t n = last ? block.size() - at : 5;
        in += test::h2_frame(NGHTTP2_CONTINUATION, last ? NGHTTP2_FLAG_END_HEADERS : 0, 1, block.substr(at, n));
        at += n;
    }
    CHECK(s.session.receive(in, s.now));
    REQUIRE(s.session.next_request() != nullptr);
    CHECK(s.session.next_request()->header(":method") == "POST");
}

TEST_CASE("control_frame_floods_are_refused_by_name") {
    struct Case {
        std::string frame;
        uint32_t burst;
        H2Refusal why;
    };
    const Case cases[] = {
        {test::h2_frame(NGHTTP2_PING, 0, 0, std::string(8, 'p')), base::kH2PingBurst, H2Refusal::ping_flood},
        {test::h2_settings(), base::kH2SettingsBurst, H2Refusal::settings_flood},
        {test::h2_frame(NGHTTP2_WINDOW_UPDATE, 0, 0, test::u32_payload(1)), base::kH2WindowUpdateBurst,
         H2Refusal::window_update_flood},
        {test::h2_frame(NGHTTP2_PRIORITY, 0, 3, std::string(5, '\0')), base::kH2PriorityBurst, H2Refusal::priority_flood},
        {test::h2_frame(0xfa, 0, 0, "grease"), base::kH2PriorityBurst, H2Refusal::priority_flood},
    };
    for (const Case& c : cases) {
        CAPTURE(h2_refusal_name(c.why));
        Server s;
        std::string in = test::h2_preface();
        // The preface's SETTINGS is one of the burst.
        const uint32_t allowed = c.why == H2Refusal::settings_flood ? c.burst - 1 : c.burst;
        for (uint32_t i = 0; i < allowed; ++i) in += c.frame;
        CHECK(s.session.receive(in, s.now));
        CHECK_FALSE(s.session.receive(c.frame, s.now));
        CHECK(s.session.refusal() == c.why);
        CHECK(s.refused(c.why) == 1);
        const test::Goaway g = test::h2_goaway(s.output());
        CHECK(g.code == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(g.debug == h2_refusal_name(c.why));
    }
}

TEST_CASE("empty_data_flood_is_refused_and_empty_data_with_end_stream_is_not") {
    Server s;
    std::string in = test::h2_preface() + test::h2_headers(1, test::grpc_request_fields(), false);
    for (uint32_t i = 0; i < base::kH2EmptyDataBurst; ++i) in += test::h2_frame(NGHTTP2_DATA, 0, 1);
    // Padding only is empty too: 1 byte pad length, 3 bytes of padding.
    CHECK(s.session.receive(in, s.now));
    CHECK_FALSE(s.session.receive(test::h2_frame(NGHTTP2_DATA, NGHTTP2_FLAG_PADDED, 1, std::string("\3\0\0\0", 4)),
                                  s.now));
    CHECK(s.session.refusal() == H2Refusal::empty_data_flood);

    Server t;
    in = test::h2_preface() + test::h2_headers(1, test::grpc_request_fields(), false);
    in += test::h2_frame(NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1);
    CHECK(t.session.receive(in, t.now));
    REQUIRE(t.session.next_request() != nullptr);
    CHECK(t.session.next_request()->body.empty());
}

TEST_CASE("peer_that_never_opens_its_window_is_refused_stalled_window") {
    Server s;
    // The client allows no DATA on its streams.
    H2Client c({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0}});
    const int32_t id = c.request(test::grpc_request_fields(), "x");
    pump(s, c);
    CHECK(c.replies[id].body.empty());
    CHECK(s.session.check(s.now));
    CHECK(s.session.check(s.now + base::kH2WindowStallMs - 1));
    CHECK_FALSE(s.session.check(s.now + base::kH2WindowStallMs + 1000));
    CHECK(s.session.refusal() == H2Refusal::stalled_window);
    c.input(s.output());
    CHECK(c.goaway_debug == "stalled_window");
}

TEST_CASE("a_slow_window_that_opens_is_not_stalled") {
    Server s;
    H2Client c({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0}});
    const int32_t id = c.request(test::grpc_request_fields(), "x");
    pump(s, c);
    CHECK(s.session.check(s.now));
    nghttp2_submit_window_update(c.session(), NGHTTP2_FLAG_NONE, id, 1000);
    s.now += base::kH2WindowStallMs - 1;
    pump(s, c);
    CHECK(s.session.check(s.now + base::kH2WindowStallMs));
    CHECK(c.replies[id].body == "got 1 bytes");
}

TEST_CASE("stream_id_2_pow_31_minus_1_is_answered_then_goaway") {
    Server s;
    CHECK(s.session.receive(test::h2_preface() + test::h2_headers(0x7fffffff, test::grpc_request_fields(), true), s.now));
    H2Request* r = s.session.next_request();
    REQUIRE(r != nullptr);
    s.session.respond(r->stream_id, echo(*r));
    const std::string out = s.output();
    const test::Goaway g = test::h2_goaway(out);
    CHECK(g.code == NGHTTP2_NO_ERROR);
    CHECK(g.last_stream_id == 0x7fffffff);
    CHECK(g.debug == "stream_ids_exhausted");
    CHECK(types_on(out, 0x7fffffff) == std::vector<uint8_t>{NGHTTP2_HEADERS, NGHTTP2_DATA, NGHTTP2_HEADERS});
    CHECK(s.refused(H2Refusal::stream_ids_exhausted) == 1);
    CHECK(s.session.refusal() == H2Refusal::none);
    CHECK(s.session.finished());
}

TEST_CASE("wrong_preface_is_refused_without_a_frame") {
    Server s;
    CHECK_FALSE(s.session.receive(std::string("\x16\x03\x01\x02\x00", 5), s.now));  // a TLS ClientHello
    CHECK(s.session.refusal() == H2Refusal::bad_preface);
    CHECK(s.output().empty());
    CHECK(s.session.finished());
}

TEST_CASE("http1_request_on_the_h2_port_gets_a_505_it_can_read") {
    Server s;
    CHECK_FALSE(s.session.receive("POST /v1/metrics HTTP/1.1\r\nHost: x\r\n\r\n", s.now));
    CHECK(s.session.refusal() == H2Refusal::bad_preface);
    const std::string out = s.output();
    CHECK(out.starts_with("HTTP/1.1 505 "));
    CHECK(out.find("--otlp-listen") != std::string::npos);
    CHECK(s.session.finished());
}

TEST_CASE("preface_dribbled_a_byte_at_a_time_is_fine_within_the_deadline") {
    Server s;
    H2Client c;
    c.request(test::grpc_request_fields(), "abc");
    const std::string up = c.output();
    for (char ch : up) CHECK(s.session.receive(std::string_view(&ch, 1), s.now));
    CHECK(s.session.check(s.now + base::kH2PrefaceDeadlineMs + 1));
    REQUIRE(s.session.next_request() != nullptr);
    CHECK(s.session.next_request()->body == "abc");
}

TEST_CASE("preface_not_whole_by_the_deadline_is_refused_preface_timeout") {
    for (size_t sent : {size_t(0), size_t(10), test::kH2Magic.size()}) {
        Server s;
        CHECK(s.session.receive(test::h2_preface().substr(0, sent), s.now));
        CHECK(s.session.check(s.now + base::kH2PrefaceDeadlineMs - 1));
        CHECK_FALSE(s.session.check(s.now + base::kH2PrefaceDeadlineMs));
        CHECK(s.refused(H2Refusal::preface_timeout) == 1);
        (void)s.output();
        CHECK(s.session.finished());
    }
}

TEST_CASE("frames_nghttp2_finds_invalid_end_the_connection_counted") {
    SUBCASE("DATA on stream 0 is a protocol error") {
        Server s;
        s.session.receive(test::h2_preface() + test::h2_frame(NGHTTP2_DATA, 0, 0, "x"), s.now);
        (void)s.output();
        CHECK(s.session.refusal() == H2Refusal::protocol_error);
        CHECK(s.refused(H2Refusal::protocol_error) == 1);
        CHECK(s.session.finished());
    }
    SUBCASE("an HPACK index past the tables is a compression error") {
        Server s;
        s.session.receive(test::h2_preface() + test::h2_frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1,
                                                              std::string(1, char(0x80 | 100))),
                          s.now);
        (void)s.output();
        CHECK(s.session.refusal() == H2Refusal::header_compression);
        CHECK(s.session.finished());
    }
    SUBCASE("a request without :path is reset as malformed, the connection lives") {
        Server s;
        s.session.receive(test::h2_preface() + test::h2_headers(1, {{":method", "POST"}, {":scheme", "http"}}, true),
                          s.now);
        (void)s.output();
        CHECK(s.counters.stream_errors == 1);
        CHECK(s.session.refusal() == H2Refusal::none);
        CHECK(s.session.next_request() == nullptr);
    }
}

TEST_CASE("peer_reset_mid_body_gives_its_bytes_back") {
    Server s({}, 1'000'000);
    std::string in = test::h2_preface() + test::h2_headers(1, test::grpc_request_fields(), false);
    in += test::h2_frame(NGHTTP2_DATA, 0, 1, std::string(10'000, 'x'));
    CHECK(s.session.receive(in, s.now));
    CHECK(s.budget.used > 0);
    CHECK(s.session.held_bytes() == s.budget.used);
    CHECK(s.session.receive(test::h2_frame(NGHTTP2_RST_STREAM, 0, 1, test::u32_payload(NGHTTP2_CANCEL)), s.now));
    CHECK(s.budget.used == 0);
    CHECK(s.counters.peer_resets == 1);
    CHECK(s.session.idle());
}

TEST_CASE("destroying_a_session_mid_body_gives_the_budget_back") {
    H2Counters counters;
    H2Budget budget;
    {
        H2Session s({}, counters, budget, kT0);
        s.receive(test::h2_preface() + test::h2_headers(1, test::grpc_request_fields(), false) +
                      test::h2_frame(NGHTTP2_DATA, 0, 1, std::string(5000, 'x')),
                  kT0);
        CHECK(budget.used > 0);
    }
    CHECK(budget.used == 0);
}

TEST_CASE("shutdown_answers_the_streams_begun_then_finishes") {
    Server s;
    H2Client c;
    const int32_t id = c.request(test::grpc_request_fields(), "x");
    s.session.receive(c.output(), s.now);
    s.session.shutdown();
    H2Request* r = s.session.next_request();
    REQUIRE(r != nullptr);
    s.session.respond(r->stream_id, echo(*r));
    c.input(s.output());
    CHECK(c.goaway);
    CHECK(c.goaway_code == NGHTTP2_NO_ERROR);
    CHECK(c.replies[id].body == "got 1 bytes");
    CHECK(s.session.finished());
}

TEST_CASE("an_idle_session_holds_a_few_kib_in_nghttp2") {
    Server s;
    H2Client c;
    pump(s, c);
    CHECK(s.session.library_bytes() > 0);
    CHECK(s.session.library_bytes() < 64 * 1024);
    MESSAGE("nghttp2 bytes for an idle server session: " << s.session.library_bytes());
}

TEST_CASE("client_trailers_count_toward_the_header_list_and_are_not_kept") {
    Server s;
    const Fields f = test::grpc_request_fields();
    std::string in = test::h2_preface() + test::h2_headers(1, f, false);
    in += test::h2_frame(NGHTTP2_DATA, 0, 1, "abc");
    in += test::h2_headers(1, {{"x-trailer", "v"}}, true);
    CHECK(s.session.receive(in, s.now));
    H2Request* r = s.session.next_request();
    REQUIRE(r != nullptr);
    CHECK(r->field_count() == f.size());
    CHECK(r->header("x-trailer").empty());
    size_t listed = 0;
    for (const auto& [n, v] : f) listed += n.size() + v.size() + 32;
    CHECK(r->header_list_bytes() == listed + 9 + 1 + 32);
    CHECK(r->body == "abc");
}

TEST_CASE("oldest_unfinished_is_when_the_oldest_request_still_arriving_began") {
    Server s;
    CHECK(s.session.oldest_unfinished_ms() == UINT64_MAX);
    s.session.receive(test::h2_preface() + test::h2_headers(1, test::grpc_request_fields(), false), kT0);
    CHECK(s.session.oldest_unfinished_ms() == kT0);
    s.session.receive(test::h2_headers(3, test::grpc_request_fields(), false), kT0 + 500);
    CHECK(s.session.oldest_unfinished_ms() == kT0);
    // Stream 1 whole: stream 3 is the oldest still arriving.
    s.session.receive(test::h2_frame(NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1, "x"), kT0 + 900);
    CHECK(s.session.oldest_unfinished_ms() == kT0 + 500);
    s.session.receive(test::h2_frame(NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 3, "y"), kT0 + 900);
    CHECK(s.session.oldest_unfinished_ms() == UINT64_MAX);
}
