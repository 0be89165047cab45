// One HTTP/2 server connection's framing, over Debian's libnghttp2, with no
// socket and no loop: bytes in through receive() (nghttp2_session_mem_recv),
// complete requests out through next_request(), answers in through
// respond(), bytes out through produce() (nghttp2_session_mem_send) into
// the buffer the connection writes. Time is handed in, never read.
//
// Bounded like an HTTP/1 connection: streams per connection
// (SETTINGS_MAX_CONCURRENT_STREAMS), header lists (decoded size), bodies,
// the request bytes a connection holds (its flow-control window: body bytes
// are given back to the window only when their request is answered) and
// the bytes its listener's sessions hold together (H2Budget). Every attack
// docs/grpc.md lists is refused with a name and counted (H2Counters).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.hpp"
#include "http/h2_guard.hpp"

struct nghttp2_session;

namespace mmwatch::http {

// Why a connection was refused: GOAWAY (with the name as debug data), then
// closed once the GOAWAY is out. stream_ids_exhausted is the one graceful
// end: the last stream is answered first.
enum class H2Refusal : uint8_t {
    none,
    bad_preface,          // not the HTTP/2 client magic (an HTTP/1 request gets a 505)
    preface_timeout,      // magic and SETTINGS not complete within kH2PrefaceDeadlineMs
    rapid_reset,          // streams ended before their answer past kH2ResetBurst
    continuation_flood,   // CONTINUATION past kH2MaxContinuations, or a header block past the list cap
    settings_flood,
    ping_flood,
    window_update_flood,
    empty_data_flood,     // DATA with no payload and no END_STREAM
    priority_flood,       // PRIORITY, PRIORITY_UPDATE and unknown frame types
    outbound_flood,       // control answers (PING and SETTINGS acks) queued, not read
    stalled_window,       // a response held by the peer's window for kH2WindowStallMs
    stream_ids_exhausted, // the client used stream id 2^31-1: GOAWAY after it
    header_compression,   // HPACK that does not decode
    protocol_error,       // any other violation nghttp2 reports
    out_of_memory,
};
inline constexpr size_t kH2RefusalCount = 16;
[[nodiscard]] std::string_view h2_refusal_name(H2Refusal r) noexcept;

// Why one stream was refused. The request is still handed to the owner,
// marked, so the answer speaks its protocol (gRPC: a status in trailers).
enum class H2StreamRefusal : uint8_t {
    none,
    header_list_too_large,  // decoded past SETTINGS_MAX_HEADER_LIST_SIZE (an HPACK bomb)
    body_too_large,         // past max_body_bytes
    memory_budget,          // the listener's request budget is full
    connection_share,       // the connection's window is full of unfinished bodies
};
inline constexpr size_t kH2StreamRefusalCount = 5;
[[nodiscard]] std::string_view h2_stream_refusal_name(H2StreamRefusal r) noexcept;

// What one listener's sessions count, every field exported even at zero.
struct H2Counters {
    uint64_t refusals[kH2RefusalCount] = {};
    uint64_t stream_refusals[kH2StreamRefusalCount] = {};
    uint64_t streams = 0;           // requests begun
    uint64_t requests = 0;          // handed to the owner whole
    uint64_t peer_resets = 0;       // RST_STREAM received
    uint64_t refused_streams = 0;   // past SETTINGS_MAX_CONCURRENT_STREAMS: REFUSED_STREAM
    uint64_t stream_errors = 0;     // streams nghttp2 reset as malformed (pseudo-headers, lengths)
};

// The request bytes one listener's sessions hold together (--request-memory).
struct H2Budget {
    uint64_t limit = UINT64_MAX;
    uint64_t used = 0;
};

struct H2Config {
    // Cap on one request body; past it the stream is refused (body_too_large).
    uint64_t max_body_bytes = base::kDefaultGrpcMaxMessageBytes + base::kGrpcPrefixBytes;
    // The connection's share of request memory: its flow-control window
    // (connection and stream), so the bytes of unanswered requests it holds.
    // Raised to max_body_bytes + 1 if below: one whole body always fits, and
    // a body past the cap shows itself (body_too_large, not a peer stalled
    // on a full window: connection_share, which a client would retry).
    uint32_t window_bytes = uint32_t(base::kDefaultGrpcMaxMessageBytes + base::kGrpcPrefixBytes + 1);
    uint32_t max_concurrent_streams = base::kH2MaxConcurrentStreams;
    uint32_t max_header_list_bytes = base::kH2MaxHeaderListBytes;
};

struct H2Field {
    std::string_view name;   // lower case; pseudo-headers keep their ':'
    std::string_view value;
};

// A request as its stream received it: its header fields in one buffer,
// its body. Views returned stay valid until the stream is answered.
struct H2Request {
    int32_t stream_id = 0;
    H2StreamRefusal refusal = H2StreamRefusal::none;
    std::string body;

    // The value of the first field named `name` (lower case), empty if none.
    [[nodiscard]] std::string_view header(std::string_view name) const noexcept;
    [[nodiscard]] size_t field_count() const noexcept { return fields_.size(); }
    [[nodiscard]] H2Field field(size_t i) const noexcept;
    // Decoded size as SETTINGS_MAX_HEADER_LIST_SIZE counts it.
    [[nodiscard]] size_t header_list_bytes() const noexcept { return list_bytes_; }
    // Adds a field unless the list would pass `cap_bytes`: false then, and
    // nothing stored (the size still counts, so a bomb is seen whole).
    bool add_field(std::string_view name, std::string_view value, size_t cap_bytes);
    // Counts a field toward the list without keeping it (trailers).
    bool count_field(std::string_view name, std::string_view value, size_t cap_bytes);

private:
    struct Span {
        uint32_t name_at, name_len, value_at, value_len;
    };
    std::string text_;
    std::vector<Span> fields_;
    size_t list_bytes_ = 0;
};

struct H2Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // Sent in a HEADERS frame after the body; with an empty body, in the
    // one HEADERS frame that opens and ends the answer (gRPC's Trailers-Only).
    std::vector<std::pair<std::string, std::string>> trailers;
};

class H2Session {
public:
    H2Session(const H2Config& config, H2Counters& counters, H2Budget& budget, uint64_t now_ms);
    ~H2Session();
    H2Session(const H2Session&) = delete;
    H2Session& operator=(const H2Session&) = delete;

    // Feeds bytes read from the peer. False once the connection is refused
    // (refusal() says why); what is left to send is the GOAWAY.
    bool receive(std::string_view in, uint64_t now_ms);
    // The oldest request ready to answer (whole, or refused at the stream
    // level), or null. Valid until it is answered or receive() is called.
    [[nodiscard]] H2Request* next_request();
    // Answers stream `stream_id` (ignored if the peer has reset it since).
    void respond(int32_t stream_id, H2Response response);
    // Appends frames to `out` until it holds `max_bytes` or nothing waits.
    void produce(std::string& out, size_t max_bytes);
    // Deadlines on the caller's clock: the preface, responses held by the
    // peer's window. False once the connection is refused.
    bool check(uint64_t now_ms);
    // Stop taking new streams (daemon stopping, or shedding): GOAWAY
    // NO_ERROR; the streams begun are still answered.
    void shutdown();

    [[nodiscard]] bool want_write() const noexcept;
    // Nothing more to read or send: the connection may close.
    [[nodiscard]] bool finished() const noexcept;
    [[nodiscard]] H2Refusal refusal() const noexcept { return refusal_; }
    // No stream open: between requests (for idle timeouts and shedding).
    [[nodiscard]] bool idle() const noexcept { return streams_.empty(); }
    [[nodiscard]] size_t open_streams() const noexcept { return streams_.size(); }
    // When the oldest request still arriving began (its HEADERS), or
    // UINT64_MAX when every request begun is whole or refused: what the
    // connection's request deadline is measured from.
    [[nodiscard]] uint64_t oldest_unfinished_ms() const noexcept;
    // Request body bytes held, and what nghttp2 itself holds (HPACK tables,
    // stream state, queued frames), for the budget and the benchmark.
    [[nodiscard]] uint64_t held_bytes() const noexcept { return held_; }
    [[nodiscard]] uint64_t library_bytes() const noexcept { return library_bytes_; }

    struct Stream;
    struct Callbacks;

private:
    // What nghttp2's callbacks (h2_nghttp2.cpp) hand on.
    int begin_stream(int32_t stream_id);
    void take_body(int32_t stream_id, std::string_view data);
    void frame_received(uint8_t type, uint8_t flags, int32_t stream_id);
    void frame_sent(uint8_t type, uint8_t flags, int32_t stream_id, uint32_t error);

    bool take_magic(std::string_view& in);
    [[nodiscard]] H2Refusal guard(const FrameHead& head);
    void refuse(H2Refusal why);
    void refuse_stream(Stream& s, H2StreamRefusal why);
    void queue(Stream& s);
    void complete(Stream& s);
    void release(Stream& s);
    void give_back(uint64_t bytes);
    void drop(int32_t stream_id, size_t bytes);
    void relieve_window();
    [[nodiscard]] Stream* find(int32_t stream_id) const noexcept;
    void erase(int32_t stream_id);
    [[nodiscard]] bool magic_done() const noexcept;

    H2Config config_;
    H2Counters& counters_;
    H2Budget& budget_;
    nghttp2_session* session_ = nullptr;
    FrameBuckets buckets_;
    FrameScanner scanner_;
    uint64_t now_ms_;
    uint64_t start_ms_;
    uint64_t held_ = 0;
    uint64_t library_bytes_ = 0;
    std::vector<std::unique_ptr<Stream>> streams_;
    std::vector<int32_t> ready_;     // streams to hand to the owner, oldest first
    size_t magic_bytes_ = 0;         // of the client magic seen so far
    bool settings_seen_ = false;     // the client's first SETTINGS: the preface is whole
    uint32_t continuations_ = 0;     // CONTINUATION frames of the header block being read
    uint64_t block_bytes_ = 0;       // its encoded size so far
    H2Refusal refusal_ = H2Refusal::none;
    bool goaway_sent_ = false;
    bool broken_ = false;            // nghttp2 failed while sending: nothing more to send
    std::string refusal_out_;        // an HTTP/1 answer to an HTTP/1 request, sent instead of frames
};

}  // namespace mmwatch::http
