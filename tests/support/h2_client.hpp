// For the HTTP/2 tests: frames built by hand (for the attacks a real client
// would never send), HPACK blocks, and an in-process nghttp2 client whose
// bytes are fed to an H2Session and whose input is the session's output.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <algorithm>
#include <utility>
#include <vector>

#include "http/h2_session.hpp"

namespace mmwatch::test {

using Fields = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kH2Magic = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

inline std::string h2_frame(uint8_t type, uint8_t flags, int32_t stream_id, std::string_view payload = {}) {
    std::string f;
    const auto n = uint32_t(payload.size());
    f += char(n >> 16);
    f += char(n >> 8);
    f += char(n);
    f += char(type);
    f += char(flags);
    f += char(uint32_t(stream_id) >> 24 & 0x7f);
    f += char(uint32_t(stream_id) >> 16);
    f += char(uint32_t(stream_id) >> 8);
    f += char(uint32_t(stream_id));
    f.append(payload);
    return f;
}

inline std::string h2_settings(const std::vector<std::pair<uint16_t, uint32_t>>& entries = {}) {
    std::string p;
    for (auto [id, v] : entries) {
        p += char(id >> 8);
        p += char(id);
        for (int shift = 24; shift >= 0; shift -= 8) p += char(v >> shift);
    }
    return h2_frame(NGHTTP2_SETTINGS, 0, 0, p);
}

// The client preface: the magic and an (empty by default) SETTINGS frame.
inline std::string h2_preface(const std::vector<std::pair<uint16_t, uint32_t>>& entries = {}) {
    return std::string(kH2Magic) + h2_settings(entries);
}

inline std::string u32_payload(uint32_t v) {
    std::string p;
    for (int shift = 24; shift >= 0; shift -= 8) p += char(v >> shift);
    return p;
}

// An HPACK integer with an N-bit prefix whose high bits are `first`.
inline void hpack_int(std::string& out, uint8_t first, int prefix_bits, size_t v) {
    const size_t max = (size_t(1) << prefix_bits) - 1;
    if (v < max) {
        out += char(first | v);
        return;
    }
    out += char(first | max);
    v -= max;
    while (v >= 128) {
        out += char(v % 128 + 128);
        v /= 128;
    }
    out += char(v);
}

// A literal field without indexing, no Huffman (RFC 7541 6.2.2).
inline std::string hpack_literal(std::string_view name, std::string_view value) {
    std::string b;
    b += '\0';
    hpack_int(b, 0, 7, name.size());
    b.append(name);
    hpack_int(b, 0, 7, value.size());
    b.append(value);
    return b;
}

// A literal with incremental indexing: it enters the dynamic table (index 62).
inline std::string hpack_indexed_literal(std::string_view name, std::string_view value) {
    std::string b;
    b += char(0x40);
    hpack_int(b, 0, 7, name.size());
    b.append(name);
    hpack_int(b, 0, 7, value.size());
    b.append(value);
    return b;
}

inline std::string hpack_block(const Fields& fields) {
    std::string b;
    for (const auto& [n, v] : fields) b += hpack_literal(n, v);
    return b;
}

inline Fields grpc_request_fields(std::string_view path = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export") {
    return {{":method", "POST"}, {":scheme", "http"}, {":path", std::string(path)},
            {":authority", "localhost"}, {"content-type", "application/grpc"}, {"te", "trailers"}};
}

// A whole request's HEADERS frame (END_HEADERS, and END_STREAM if asked).
inline std::string h2_headers(int32_t stream_id, const Fields& fields, bool end_stream) {
    return h2_frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | (end_stream ? NGHTTP2_FLAG_END_STREAM : 0), stream_id,
                    hpack_block(fields));
}

// The frames of a server's output, split by hand (for raw-byte tests, where
// no client session opened the streams being answered).
struct RawFrame {
    uint8_t type;
    uint8_t flags;
    int32_t stream_id;
    std::string payload;
};

inline std::vector<RawFrame> h2_frames(std::string_view out) {
    std::vector<RawFrame> frames;
    while (out.size() >= 9) {
        const auto b = [&out](size_t i) { return uint32_t(uint8_t(out[i])); };
        const uint32_t len = b(0) << 16 | b(1) << 8 | b(2);
        if (out.size() < 9 + len) break;
        frames.push_back({uint8_t(b(3)), uint8_t(b(4)), int32_t((b(5) & 0x7f) << 24 | b(6) << 16 | b(7) << 8 | b(8)),
                          std::string(out.substr(9, len))});
        out.remove_prefix(9 + len);
    }
    return frames;
}

struct Goaway {
    bool sent = false;
    int32_t last_stream_id = 0;
    uint32_t code = 0;
    std::string debug;
};

inline Goaway h2_goaway(std::string_view out) {
    Goaway g;
    for (const RawFrame& f : h2_frames(out)) {
        if (f.type != NGHTTP2_GOAWAY || f.payload.size() < 8) continue;
        const auto b = [&f](size_t i) { return uint32_t(uint8_t(f.payload[i])); };
        g.sent = true;
        g.last_stream_id = int32_t(b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3));
        g.code = b(4) << 24 | b(5) << 16 | b(6) << 8 | b(7);
        g.debug = f.payload.substr(8);
    }
    return g;
}

// An nghttp2 client in memory.
class H2Client {
public:
    struct Reply {
        Fields headers;
        std::string body;
        Fields trailers;
        bool closed = false;
        uint32_t close_code = 0;
        [[nodiscard]] std::string header(std::string_view name) const {
            for (const auto& [n, v] : headers)
                if (n == name) return v;
            return {};
        }
        [[nodiscard]] std::string trailer(std::string_view name) const {
            for (const auto& [n, v] : trailers)
                if (n == name) return v;
            return {};
        }
    };

    explicit H2Client(const std::vector<nghttp2_settings_entry>& settings = {}) {
        nghttp2_session_callbacks* cbs;
        nghttp2_session_callbacks_new(&cbs);
        nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
        nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_close);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame);
        nghttp2_session_client_new(&session_, cbs, this);
        nghttp2_session_callbacks_del(cbs);
        nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
    }
    ~H2Client() { nghttp2_session_del(session_); }
    H2Client(const H2Client&) = delete;
    H2Client& operator=(const H2Client&) = delete;

    // Submits a request; the body is sent in full, then END_STREAM.
    int32_t request(const Fields& fields, std::string body) {
        std::vector<nghttp2_nv> nv;
        for (const auto& [n, v] : fields)
            nv.push_back({(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
        bodies_.push_back({std::move(body), 0});
        nghttp2_data_provider dp{};
        dp.source.ptr = &bodies_.back();
        dp.read_callback = read_body;
        const int32_t id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(), &dp, this);
        replies[id];
        return id;
    }

    std::string output() {
        std::string out;
        for (;;) {
            const uint8_t* data;
            const ssize_t n = nghttp2_session_mem_send(session_, &data);
            if (n <= 0) break;
            out.append(reinterpret_cast<const char*>(data), size_t(n));
        }
        return out;
    }
    // Feeds the server's bytes; false when the client finds them invalid.
    bool input(std::string_view in) {
        return nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(in.data()), in.size()) ==
               ssize_t(in.size());
    }
    nghttp2_session* session() { return session_; }

    std::map<int32_t, Reply> replies;
    bool goaway = false;
    uint32_t goaway_code = 0;
    int32_t goaway_last_stream = 0;
    std::string goaway_debug;

private:
    struct Body {
        std::string data;
        size_t sent;
    };

    static H2Client& self(void* u) { return *static_cast<H2Client*>(u); }
    static int on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl, const uint8_t* v,
                         size_t vl, uint8_t, void* u) {
        Reply& r = self(u).replies[f->hd.stream_id];
        const bool trailer = f->headers.cat == NGHTTP2_HCAT_HEADERS;
        (trailer ? r.trailers : r.headers).emplace_back(std::string((const char*)n, nl), std::string((const char*)v, vl));
        return 0;
    }
    static int on_data(nghttp2_session*, uint8_t, int32_t id, const uint8_t* d, size_t n, void* u) {
        self(u).replies[id].body.append((const char*)d, n);
        return 0;
    }
    static int on_close(nghttp2_session*, int32_t id, uint32_t code, void* u) {
        Reply& r = self(u).replies[id];
        r.closed = true;
        r.close_code = code;
        return 0;
    }
    static int on_frame(nghttp2_session*, const nghttp2_frame* f, void* u) {
        if (f->hd.type != NGHTTP2_GOAWAY) return 0;
        H2Client& c = self(u);
        c.goaway = true;
        c.goaway_code = f->goaway.error_code;
        c.goaway_last_stream = f->goaway.last_stream_id;
        c.goaway_debug.assign((const char*)f->goaway.opaque_data, f->goaway.opaque_data_len);
        return 0;
    }
    static ssize_t read_body(nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags,
                             nghttp2_data_source* src, void*) {
        auto* b = static_cast<Body*>(src->ptr);
        const size_t n = std::min(len, b->data.size() - b->sent);
        std::memcpy(buf, b->data.data() + b->sent, n);
        b->sent += n;
        if (b->sent == b->data.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
        return ssize_t(n);
    }

    nghttp2_session* session_ = nullptr;
    std::deque<Body> bodies_;  // a deque: submitted requests keep pointers to theirs
};

}  // namespace mmwatch::test
