// The glue between H2Session (h2_session.hpp) and libnghttp2, shared by
// h2_session.cpp and h2_nghttp2.cpp only: the session's record of one
// stream, nghttp2's callbacks (each hands on to the session), the server
// session made with its allocations counted, and refusals in HTTP/2's
// error codes.
#pragma once

#include <nghttp2/nghttp2.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/h2_session.hpp"

namespace mmwatch::http {

struct H2Session::Stream {
    int32_t id = 0;
    H2Request request;
    H2Response response;
    size_t sent = 0;              // response body bytes handed to nghttp2
    uint64_t window_held = 0;     // body bytes not yet given back to the connection window
    uint64_t charged = 0;         // body capacity charged to held_ and the budget
    bool request_done = false;    // END_STREAM received
    bool queued = false;          // in ready_, or handed to the owner
    bool answered = false;        // respond() was called
    bool response_done = false;   // the answer's last frame was sent
    uint64_t begun_ms = 0;        // its HEADERS arrived
    bool stalled = false;         // the answer waits on the peer's window...
    uint64_t stalled_since_ms = 0;  // ...since then
};

struct H2Session::Callbacks {
    static H2Session& self(void* user);
    // Runs f(session); an exception refuses the connection (out_of_memory)
    // and fails the callback.
    template <typename F>
    static int guarded(void* user, F&& f) noexcept;

    static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user);
    static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                         const uint8_t* value, size_t valuelen, uint8_t, void* user);
    static int on_data_chunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
                             void* user);
    static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user);
    static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user);
    static int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t, void* user);
    // A response body for nghttp2's DATA frames; its trailers after the last.
    static ssize_t read_body(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length,
                             uint32_t* data_flags, nghttp2_data_source* source, void* user);
};

// A server session whose callbacks hand on to `self`, every allocation of
// it counted in *library_bytes (H2Session::library_bytes()); null when
// memory ran out.
[[nodiscard]] nghttp2_session* new_server_session(H2Session* self, uint64_t* library_bytes);

// Header fields as nghttp2 takes them (views of `fields`), `:status` first
// when given.
[[nodiscard]] std::vector<nghttp2_nv> to_nv(const std::vector<std::pair<std::string, std::string>>& fields,
                                            std::string_view status = {});

// The GOAWAY error code a refusal is sent with, and the refusal an nghttp2
// error is counted as.
[[nodiscard]] uint32_t goaway_code(H2Refusal r) noexcept;
[[nodiscard]] H2Refusal refusal_of(ssize_t lib_error) noexcept;

}  // namespace mmwatch::http
