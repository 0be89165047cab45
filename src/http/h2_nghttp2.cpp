// The glue between an H2Session and libnghttp2 (h2_nghttp2.hpp): nghttp2's
// callbacks, the server session with its allocations counted, and the
// translations between the two.
#include "http/h2_nghttp2.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace mmwatch::http {

uint32_t goaway_code(H2Refusal r) noexcept {
    switch (r) {
        case H2Refusal::bad_preface:
        case H2Refusal::protocol_error: return NGHTTP2_PROTOCOL_ERROR;
        case H2Refusal::header_compression: return NGHTTP2_COMPRESSION_ERROR;
        case H2Refusal::stream_ids_exhausted: return NGHTTP2_NO_ERROR;
        case H2Refusal::out_of_memory: return NGHTTP2_INTERNAL_ERROR;
        default: return NGHTTP2_ENHANCE_YOUR_CALM;
    }
}

H2Refusal refusal_of(ssize_t lib_error) noexcept {
    switch (lib_error) {
        case NGHTTP2_ERR_BAD_CLIENT_MAGIC:
        case NGHTTP2_ERR_SETTINGS_EXPECTED: return H2Refusal::bad_preface;
        case NGHTTP2_ERR_FLOODED: return H2Refusal::outbound_flood;
        case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS: return H2Refusal::continuation_flood;
        case NGHTTP2_ERR_HEADER_COMP: return H2Refusal::header_compression;
        case NGHTTP2_ERR_NOMEM: return H2Refusal::out_of_memory;
        default: return H2Refusal::protocol_error;
    }
}

std::vector<nghttp2_nv> to_nv(const std::vector<std::pair<std::string, std::string>>& fields,
                              std::string_view status) {
    std::vector<nghttp2_nv> nv;
    nv.reserve(fields.size() + 1);
    auto add = [&nv](std::string_view name, std::string_view value) {
        nv.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                      NGHTTP2_NV_FLAG_NONE});
    };
    if (!status.empty()) add(":status", status);
    for (const auto& [name, value] : fields) add(name, value);
    return nv;
}

// --- nghttp2's callbacks --------------------------------------------------
// Each finds the session in user_data and does a bounded amount of work; an
// allocation failure refuses the connection (no exception enters nghttp2).

H2Session& H2Session::Callbacks::self(void* user) { return *static_cast<H2Session*>(user); }

template <typename F>
int H2Session::Callbacks::guarded(void* user, F&& f) noexcept {
    try {
        return f(self(user));
    } catch (...) {
        self(user).refuse(H2Refusal::out_of_memory);
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
}

int H2Session::Callbacks::on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    return guarded(user, [frame](H2Session& s) { return s.begin_stream(frame->hd.stream_id); });
}

int H2Session::Callbacks::on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                                    const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    return guarded(user, [&](H2Session& s) {
        Stream* st = s.find(frame->hd.stream_id);
        if (!st || st->queued) return 0;
        const std::string_view n(reinterpret_cast<const char*>(name), namelen);
        const std::string_view v(reinterpret_cast<const char*>(value), valuelen);
        // Trailers from the client count toward the list but are not kept.
        const size_t cap = s.config_.max_header_list_bytes;
        const bool fits = frame->headers.cat == NGHTTP2_HCAT_REQUEST ? st->request.add_field(n, v, cap)
                                                                     : st->request.count_field(n, v, cap);
        if (!fits) st->request.refusal = H2StreamRefusal::header_list_too_large;
        return 0;
    });
}

int H2Session::Callbacks::on_data_chunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
                                        void* user) {
    return guarded(user, [&](H2Session& s) {
        s.take_body(stream_id, std::string_view(reinterpret_cast<const char*>(data), len));
        return 0;
    });
}

int H2Session::Callbacks::on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    return guarded(user, [frame](H2Session& s) {
        s.frame_received(frame->hd.type, frame->hd.flags, frame->hd.stream_id);
        return 0;
    });
}

int H2Session::Callbacks::on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    return guarded(user, [frame](H2Session& s) {
        uint32_t error = 0;
        if (frame->hd.type == NGHTTP2_RST_STREAM) error = frame->rst_stream.error_code;
        if (frame->hd.type == NGHTTP2_GOAWAY) error = frame->goaway.error_code;
        s.frame_sent(frame->hd.type, frame->hd.flags, frame->hd.stream_id, error);
        return 0;
    });
}

int H2Session::Callbacks::on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t, void* user) {
    H2Session& s = self(user);
    if (Stream* st = s.find(stream_id)) s.release(*st);
    s.erase(stream_id);
    return 0;
}

ssize_t H2Session::Callbacks::read_body(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length,
                                           uint32_t* data_flags, nghttp2_data_source* source, void* user) {
    auto* st = static_cast<Stream*>(source->ptr);
    const std::string& body = st->response.body;
    const size_t n = std::min(length, body.size() - st->sent);
    std::memcpy(buf, body.data() + st->sent, n);
    st->sent += n;
    if (st->sent < body.size()) return ssize_t(n);
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    if (st->response.trailers.empty()) return ssize_t(n);
    *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    const int rv = guarded(user, [&](H2Session&) {
        const std::vector<nghttp2_nv> nv = to_nv(st->response.trailers);
        return nghttp2_submit_trailer(session, stream_id, nv.data(), nv.size());
    });
    return rv == 0 ? ssize_t(n) : ssize_t(NGHTTP2_ERR_CALLBACK_FAILURE);
}

// --- the session ----------------------------------------------------------

namespace {

// nghttp2's allocations for one session go through these, so the session
// knows what the library holds for it (library_bytes()). Each block carries
// its size in a 16-byte header, which keeps malloc's alignment.
constexpr size_t kAllocHeaderBytes = 16;

void* counted_malloc(size_t size, void* user) {
    auto* p = static_cast<char*>(std::malloc(size + kAllocHeaderBytes));
    if (!p) return nullptr;
    std::memcpy(p, &size, sizeof size);
    *static_cast<uint64_t*>(user) += size;
    return p + kAllocHeaderBytes;
}

void counted_free(void* ptr, void* user) {
    if (!ptr) return;
    char* p = static_cast<char*>(ptr) - kAllocHeaderBytes;
    size_t size;
    std::memcpy(&size, p, sizeof size);
    *static_cast<uint64_t*>(user) -= size;
    std::free(p);
}

void* counted_calloc(size_t n, size_t size, void* user) {
    if (size != 0 && n > (SIZE_MAX - kAllocHeaderBytes) / size) return nullptr;
    void* p = counted_malloc(n * size, user);
    if (p) std::memset(p, 0, n * size);
    return p;
}

void* counted_realloc(void* ptr, size_t size, void* user) {
    if (!ptr) return counted_malloc(size, user);
    char* old = static_cast<char*>(ptr) - kAllocHeaderBytes;
    size_t old_size;
    std::memcpy(&old_size, old, sizeof old_size);
    auto* p = static_cast<char*>(std::realloc(old, size + kAllocHeaderBytes));
    if (!p) return nullptr;
    std::memcpy(p, &size, sizeof size);
    auto& total = *static_cast<uint64_t*>(user);
    total = total - old_size + size;
    return p + kAllocHeaderBytes;
}

}  // namespace

nghttp2_session* new_server_session(H2Session* self, uint64_t* library_bytes) {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_option* opt = nullptr;
    nghttp2_session* session = nullptr;
    if (nghttp2_session_callbacks_new(&cbs) == 0 && nghttp2_option_new(&opt) == 0) {
        using C = H2Session::Callbacks;
        nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, C::on_begin_headers);
        nghttp2_session_callbacks_set_on_header_callback(cbs, C::on_header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, C::on_data_chunk);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, C::on_frame_recv);
        nghttp2_session_callbacks_set_on_frame_send_callback(cbs, C::on_frame_send);
        nghttp2_session_callbacks_set_on_stream_close_callback(cbs, C::on_stream_close);
        // Window updates are ours: a body's bytes go back to the connection
        // window only when its request is answered (release()).
        nghttp2_option_set_no_auto_window_update(opt, 1);
        // Our guard counts CONTINUATION first and names it; this is the backstop.
        nghttp2_option_set_max_continuations(opt, base::kH2MaxContinuations);
        // Closed streams are not kept for RFC 7540 priorities (not used).
        nghttp2_option_set_no_closed_streams(opt, 1);
        nghttp2_mem mem{library_bytes, counted_malloc, counted_free, counted_calloc, counted_realloc};
        if (nghttp2_session_server_new3(&session, cbs, self, opt, &mem) != 0) session = nullptr;
    }
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    return session;
}

}  // namespace mmwatch::http
