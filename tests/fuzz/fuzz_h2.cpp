// libFuzzer target: the HTTP/2 server session (http/h2_session) over
// nghttp2, fed the input as a peer's bytes in pieces, every request
// answered as it becomes ready. The first byte picks: a valid preface
// prepended or not (bit 0), answers with a body and trailers or
// Trailers-Only (bit 1), and the piece size (bits 2-7). Small limits so the
// fuzzer reaches them. Checks: the body budget matches what is held and
// never passes its limit, no stream past the concurrency cap, bodies and
// header lists within their caps or refused, a refusal is final and the
// session finishes once its output is taken, and output stays bounded.
// Each body is also read as a gRPC message (grpc/message): a message read
// lies inside its body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "grpc/message.hpp"
#include "http/h2_session.hpp"

using namespace mmwatch;
using namespace mmwatch::http;

namespace {

// The client magic and an empty SETTINGS frame.
constexpr char kPrefaceBytes[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4\0\0\0\0\0";
constexpr std::string_view kPreface(kPrefaceBytes, sizeof kPrefaceBytes - 1);
constexpr size_t kMaxOutPerTurnBytes = 64 * 1024;

H2Config small_config() {
    H2Config c;
    c.max_body_bytes = 4096;
    c.window_bytes = 8192;
    c.max_concurrent_streams = 8;
    c.max_header_list_bytes = 1024;
    return c;
}

void answer_all(H2Session& s, bool with_body, const H2Config& config) {
    while (H2Request* r = s.next_request()) {
        FUZZ_CHECK(r->body.size() <= config.max_body_bytes);
        FUZZ_CHECK(r->refusal != H2StreamRefusal::none || r->header_list_bytes() <= config.max_header_list_bytes);
        FUZZ_CHECK(r->refusal == H2StreamRefusal::none || r->body.empty());
        for (size_t i = 0; i < r->field_count(); ++i) FUZZ_CHECK(!r->field(i).name.empty());
        grpc::Message m;
        if (grpc::read_unary_message(r->body, config.max_body_bytes, m) == grpc::FrameError::none)
            FUZZ_CHECK(fuzz::within(m.bytes, r->body) && m.bytes.size() + base::kGrpcPrefixBytes == r->body.size());
        H2Response a;
        a.headers = {{"content-type", "application/grpc"}};
        if (with_body) a.body.assign(r->body.size() % 300, 'b');
        a.trailers = {{"grpc-status", "0"}};
        s.respond(r->stream_id, std::move(a));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t mode = data[0];
    std::string input;
    if (mode & 1) input.assign(kPreface);
    input.append(reinterpret_cast<const char*>(data + 1), size - 1);
    const size_t piece = size_t(mode >> 2) + 1;

    const H2Config config = small_config();
    H2Counters counters;
    H2Budget budget{16 * 1024, 0};
    uint64_t now = 1'000'000;
    {
        H2Session s(config, counters, budget, now);
        bool refused = false;
        std::string out;
        for (size_t at = 0; at < input.size(); at += piece) {
            const bool ok = s.receive(std::string_view(input).substr(at, piece), now);
            FUZZ_CHECK(!refused || !ok);  // a refusal is final
            refused = refused || !ok;
            FUZZ_CHECK(ok == (s.refusal() == H2Refusal::none));
            answer_all(s, mode & 2, config);
            FUZZ_CHECK(budget.used == s.held_bytes() && budget.used <= budget.limit);
            FUZZ_CHECK(s.open_streams() <= config.max_concurrent_streams);
            out.clear();
            s.produce(out, kMaxOutPerTurnBytes);
            FUZZ_CHECK(out.size() <= kMaxOutPerTurnBytes + 16384 + 9);
            now += 7;
            if (!s.check(now)) refused = true;
        }
        // A refused session sends its GOAWAY, then is finished.
        if (s.refusal() != H2Refusal::none) {
            for (int i = 0; i < 64 && !s.finished(); ++i) {
                out.clear();
                s.produce(out, kMaxOutPerTurnBytes);
            }
            FUZZ_CHECK(s.finished());
        }
    }
    FUZZ_CHECK(budget.used == 0);  // everything held was given back
    return 0;
}
