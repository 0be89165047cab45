// One HTTP/2 server connection (h2_session.hpp); nghttp2's callbacks and
// the session's making are in h2_nghttp2.cpp.
#include "http/h2_session.hpp"

#include <algorithm>
#include <iterator>

#include "http/h2_nghttp2.hpp"
#include "http/response.hpp"

namespace mmwatch::http {

namespace {

constexpr std::string_view kClientMagic = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr int32_t kLastStreamId = 0x7fffffff;
constexpr uint64_t kMaxWindowBytes = 0x7fffffff;  // RFC 9113 6.9.1

// An HTTP/1 request line's start: a method token, then a space.
bool looks_like_http1(std::string_view seen) noexcept {
    const size_t sp = seen.find(' ');
    if (sp == 0 || sp == std::string_view::npos || sp > 16) return false;
    return std::all_of(seen.begin(), seen.begin() + ptrdiff_t(sp), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace

// --- streams --------------------------------------------------------------
// Each stream's record (H2Session::Stream, h2_nghttp2.hpp) is nghttp2's
// stream user data and owned by streams_.

H2Session::Stream* H2Session::find(int32_t stream_id) const noexcept {
    if (!session_) return nullptr;
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session_, stream_id));
}

void H2Session::erase(int32_t stream_id) {
    std::erase_if(streams_, [stream_id](const std::unique_ptr<Stream>& s) { return s->id == stream_id; });
    std::erase(ready_, stream_id);
}

// --- the session ----------------------------------------------------------

H2Session::H2Session(const H2Config& config, H2Counters& counters, H2Budget& budget, uint64_t now_ms)
    : config_(config), counters_(counters), budget_(budget), buckets_(now_ms), now_ms_(now_ms), start_ms_(now_ms) {
    config_.window_bytes = uint32_t(std::min(std::max<uint64_t>(config_.window_bytes, config_.max_body_bytes + 1),
                                             kMaxWindowBytes));
    session_ = new_server_session(this, &library_bytes_);
    if (!session_) {
        refuse(H2Refusal::out_of_memory);
        return;
    }
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, config_.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, config_.window_bytes},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, config_.max_header_list_bytes},
        {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
    };
    if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0 ||
        nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, int32_t(config_.window_bytes)) != 0)
        refuse(H2Refusal::out_of_memory);
}

H2Session::~H2Session() {
    for (auto& s : streams_) {
        budget_.used -= s->charged;
        held_ -= s->charged;
        s->charged = 0;
    }
    if (session_) nghttp2_session_del(session_);
}

bool H2Session::magic_done() const noexcept { return magic_bytes_ == kClientMagic.size(); }

// The client magic, checked as its bytes arrive so a wrong one is refused
// at its first wrong byte. An HTTP/1 request gets an HTTP/1 answer.
bool H2Session::take_magic(std::string_view& in) {
    const size_t n = std::min(in.size(), kClientMagic.size() - magic_bytes_);
    if (in.substr(0, n) == kClientMagic.substr(magic_bytes_, n)) {
        magic_bytes_ += n;
        in.remove_prefix(n);
        return true;
    }
    std::string seen(kClientMagic.substr(0, magic_bytes_));
    seen.append(in.substr(0, 32));
    if (looks_like_http1(seen)) {
        const Response r = error_response(505, "this port speaks HTTP/2 only (gRPC, prior knowledge); "
                                               "OTLP/HTTP is served on --listen and --otlp-listen");
        refusal_out_ = render_head(r, false) + *r.body;
    }
    refuse(H2Refusal::bad_preface);
    return false;
}

// Spends the frame's bucket; names the flood when it is empty.
H2Refusal H2Session::guard(const FrameHead& head) {
    switch (head.type) {
        case kFrameData:
            if (head.data_bytes == 0 && !(head.flags & kFlagEndStream) && !buckets_.empty_data.take(now_ms_))
                return H2Refusal::empty_data_flood;
            return H2Refusal::none;
        case kFrameHeaders:
            continuations_ = 0;
            block_bytes_ = head.length;
            return H2Refusal::none;
        case kFrameContinuation:
            block_bytes_ += head.length;
            if (++continuations_ > base::kH2MaxContinuations || block_bytes_ > config_.max_header_list_bytes)
                return H2Refusal::continuation_flood;
            return H2Refusal::none;
        case kFrameRstStream: return buckets_.resets.take(now_ms_) ? H2Refusal::none : H2Refusal::rapid_reset;
        case kFrameSettings: return buckets_.settings.take(now_ms_) ? H2Refusal::none : H2Refusal::settings_flood;
        case kFramePing: return buckets_.ping.take(now_ms_) ? H2Refusal::none : H2Refusal::ping_flood;
        case kFrameWindowUpdate:
            return buckets_.window_update.take(now_ms_) ? H2Refusal::none : H2Refusal::window_update_flood;
        case kFramePushPromise:
        case kFrameGoaway: return H2Refusal::none;  // nghttp2 refuses the first; the second ends the peer
        default:  // PRIORITY, PRIORITY_UPDATE, and types nghttp2 skips unseen
            return buckets_.priority.take(now_ms_) ? H2Refusal::none : H2Refusal::priority_flood;
    }
}

bool H2Session::receive(std::string_view in, uint64_t now_ms) {
    now_ms_ = now_ms;
    if (refusal_ != H2Refusal::none || !session_) return false;
    try {
        std::string_view frames = in;
        if (!magic_done() && !take_magic(frames)) return false;
        FrameHead head;
        while (scanner_.next(frames, head)) {
            const H2Refusal why = guard(head);
            if (why != H2Refusal::none) {
                refuse(why);
                return false;
            }
        }
    } catch (...) {  // the HTTP/1 answer could not be made
        refuse(H2Refusal::out_of_memory);
        return false;
    }
    const ssize_t rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(in.data()), in.size());
    if (rv < 0) refuse(refusal_of(rv));
    if (refusal_ != H2Refusal::none) return false;
    if (ready_.empty()) relieve_window();
    return true;
}

void H2Session::refuse(H2Refusal why) {
    if (refusal_ != H2Refusal::none) return;
    refusal_ = why;
    ++counters_.refusals[size_t(why)];
    // Before the magic the peer does not speak HTTP/2: no GOAWAY (RFC 9113 3.4).
    if (!session_ || !magic_done()) return;
    const std::string_view name = h2_refusal_name(why);
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                          goaway_code(why), reinterpret_cast<const uint8_t*>(name.data()), name.size());
}

int H2Session::begin_stream(int32_t stream_id) {
    ++counters_.streams;
    // A request earns its client a PING and a PRIORITY (gRPC's BDP pings
    // come with requests).
    buckets_.ping.credit();
    buckets_.priority.credit();
    auto st = std::make_unique<Stream>();
    st->id = stream_id;
    st->request.stream_id = stream_id;
    st->begun_ms = now_ms_;
    nghttp2_session_set_stream_user_data(session_, stream_id, st.get());
    streams_.push_back(std::move(st));
    if (stream_id == kLastStreamId) {
        // No id is left for another stream: answer this one, then part.
        ++counters_.refusals[size_t(H2Refusal::stream_ids_exhausted)];
        const std::string_view name = h2_refusal_name(H2Refusal::stream_ids_exhausted);
        nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_NO_ERROR,
                              reinterpret_cast<const uint8_t*>(name.data()), name.size());
    }
    return 0;
}

// A body's bytes: kept (charged to the listener's budget) until its request
// is answered; bytes of a refused stream are dropped and their window given
// back at once.
void H2Session::take_body(int32_t stream_id, std::string_view data) {
    Stream* st = find(stream_id);
    if (st && !st->queued && st->request.body.size() + data.size() > config_.max_body_bytes)
        refuse_stream(*st, H2StreamRefusal::body_too_large);
    if (!st || st->queued) {
        drop(stream_id, data.size());
        return;
    }
    std::string& body = st->request.body;
    const size_t need = body.size() + data.size();
    if (need > body.capacity()) {
        const size_t old = body.capacity();
        const size_t want = std::min<uint64_t>(std::max(need, 2 * old), config_.max_body_bytes);
        if (budget_.used + (want - old) > budget_.limit) {
            refuse_stream(*st, H2StreamRefusal::memory_budget);
            drop(stream_id, data.size());
            return;
        }
        body.reserve(want);
        st->charged += body.capacity() - old;
        held_ += body.capacity() - old;
        budget_.used += body.capacity() - old;
    }
    body.append(data);
    st->window_held += data.size();
    // The stream's own window never holds a body back: the connection's does.
    nghttp2_session_consume_stream(session_, stream_id, data.size());
}

void H2Session::frame_received(uint8_t type, uint8_t flags, int32_t stream_id) {
    if (type == NGHTTP2_SETTINGS && !(flags & NGHTTP2_FLAG_ACK)) settings_seen_ = true;
    if (type == NGHTTP2_RST_STREAM) ++counters_.peer_resets;
    Stream* st = find(stream_id);
    if (!st || (type != NGHTTP2_HEADERS && type != NGHTTP2_DATA)) return;
    if (type == NGHTTP2_HEADERS && st->request.refusal == H2StreamRefusal::header_list_too_large && !st->queued)
        refuse_stream(*st, H2StreamRefusal::header_list_too_large);
    if (flags & NGHTTP2_FLAG_END_STREAM) complete(*st);
}

void H2Session::frame_sent(uint8_t type, uint8_t flags, int32_t stream_id, uint32_t error) {
    switch (type) {
        case NGHTTP2_DATA: buckets_.window_update.credit(2); break;  // its reader owes a WINDOW_UPDATE or two
        case NGHTTP2_RST_STREAM:
            if (error == NGHTTP2_REFUSED_STREAM) ++counters_.refused_streams;
            else if (error != NGHTTP2_NO_ERROR) ++counters_.stream_errors;
            // Streams the peer makes the server reset cost like its own resets.
            if (error != NGHTTP2_NO_ERROR && !buckets_.resets.take(now_ms_)) refuse(H2Refusal::rapid_reset);
            return;
        case NGHTTP2_GOAWAY:
            goaway_sent_ = true;
            // nghttp2 ended the connection itself (a flow-control or frame error).
            if (refusal_ == H2Refusal::none && error != NGHTTP2_NO_ERROR) {
                refusal_ = error == NGHTTP2_COMPRESSION_ERROR ? H2Refusal::header_compression : H2Refusal::protocol_error;
                ++counters_.refusals[size_t(refusal_)];
            }
            return;
        default: break;
    }
    if ((type != NGHTTP2_DATA && type != NGHTTP2_HEADERS) || !(flags & NGHTTP2_FLAG_END_STREAM)) return;
    Stream* st = find(stream_id);
    if (!st) return;
    st->response_done = true;
    // Answered before its body was all sent (refused early): stop the rest.
    if (!st->request_done) nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_NO_ERROR);
}

void H2Session::queue(Stream& s) {
    if (s.queued) return;
    s.queued = true;
    ready_.push_back(s.id);
}

void H2Session::complete(Stream& s) {
    s.request_done = true;
    if (s.queued) return;
    ++counters_.requests;
    queue(s);
}

void H2Session::refuse_stream(Stream& s, H2StreamRefusal why) {
    ++counters_.stream_refusals[size_t(why)];
    s.request.refusal = why;
    release(s);
    queue(s);
}

// Bytes go back to the peer's connection window at once: a WINDOW_UPDATE
// now, not when half the window is consumed (nghttp2_session_consume's
// batching), so a connection whose bodies are all answered has its whole
// window again, and a body one byte past the cap always shows itself.
void H2Session::give_back(uint64_t bytes) {
    if (bytes > 0) nghttp2_submit_window_update(session_, NGHTTP2_FLAG_NONE, 0, int32_t(bytes));
}

// Bytes of a stream that is not kept (refused, or gone).
void H2Session::drop(int32_t stream_id, size_t bytes) {
    nghttp2_session_consume_stream(session_, stream_id, bytes);
    give_back(bytes);
}

// Gives a stream's body back: its bytes to the connection window, its
// capacity to the budget.
void H2Session::release(Stream& s) {
    give_back(s.window_held);
    s.window_held = 0;
    budget_.used -= s.charged;
    held_ -= s.charged;
    s.charged = 0;
    std::string().swap(s.request.body);
}

// The connection window is full and every byte in it belongs to a body
// not yet whole: no request can finish. The largest is refused, and so on
// until the peer can send again.
void H2Session::relieve_window() {
    while (nghttp2_session_get_local_window_size(session_) <= 0) {
        Stream* largest = nullptr;
        for (const auto& s : streams_) {
            if (!s->queued && s->window_held > 0 && (!largest || s->window_held > largest->window_held))
                largest = s.get();
        }
        if (!largest) return;
        refuse_stream(*largest, H2StreamRefusal::connection_share);
    }
}

uint64_t H2Session::oldest_unfinished_ms() const noexcept {
    uint64_t oldest = UINT64_MAX;
    for (const auto& s : streams_) {
        if (!s->request_done && !s->queued) oldest = std::min(oldest, s->begun_ms);
    }
    return oldest;
}

H2Request* H2Session::next_request() {
    while (!ready_.empty()) {
        Stream* st = find(ready_.front());
        if (st && !st->answered) return &st->request;
        ready_.erase(ready_.begin());
    }
    return nullptr;
}

void H2Session::respond(int32_t stream_id, H2Response response) {
    std::erase(ready_, stream_id);
    Stream* st = find(stream_id);
    if (!st || st->answered) return;
    st->answered = true;
    release(*st);
    st->response = std::move(response);
    try {
        const H2Response& r = st->response;
        const std::string status = std::to_string(r.status);
        if (r.body.empty()) {
            // Headers and trailers in the one HEADERS frame that ends the stream.
            std::vector<nghttp2_nv> nv = to_nv(r.headers, status);
            const std::vector<nghttp2_nv> trailers = to_nv(r.trailers);
            nv.insert(nv.end(), trailers.begin(), trailers.end());
            nghttp2_submit_response(session_, stream_id, nv.data(), nv.size(), nullptr);
        } else {
            const std::vector<nghttp2_nv> nv = to_nv(r.headers, status);
            nghttp2_data_provider body{};
            body.source.ptr = st;
            body.read_callback = Callbacks::read_body;
            nghttp2_submit_response(session_, stream_id, nv.data(), nv.size(), &body);
        }
    } catch (...) {
        refuse(H2Refusal::out_of_memory);
    }
    if (ready_.empty()) relieve_window();
}

void H2Session::produce(std::string& out, size_t max_bytes) {
    try {
        if (!refusal_out_.empty()) {
            out += refusal_out_;
            refusal_out_.clear();
            return;
        }
        if (!session_ || broken_ || !magic_done()) return;
        while (out.size() < max_bytes) {
            const uint8_t* data = nullptr;
            const ssize_t n = nghttp2_session_mem_send(session_, &data);
            if (n < 0) {
                refuse(refusal_of(n));
                broken_ = true;
            }
            if (n <= 0) return;
            out.append(reinterpret_cast<const char*>(data), size_t(n));
        }
    } catch (...) {  // `out` could not grow: the frame is lost, so is the connection
        refuse(H2Refusal::out_of_memory);
        broken_ = true;
    }
}

bool H2Session::check(uint64_t now_ms) {
    now_ms_ = now_ms;
    if (refusal_ != H2Refusal::none || !session_) return false;
    if (!settings_seen_ && now_ms - start_ms_ >= base::kH2PrefaceDeadlineMs) {
        refuse(H2Refusal::preface_timeout);
        return false;
    }
    const int32_t connection_window = nghttp2_session_get_remote_window_size(session_);
    for (const auto& s : streams_) {
        const bool waiting = s->answered && !s->response_done && s->sent < s->response.body.size();
        if (!waiting || std::min(connection_window, nghttp2_session_get_stream_remote_window_size(session_, s->id)) > 0) {
            s->stalled = false;
            continue;
        }
        if (!s->stalled) {
            s->stalled = true;
            s->stalled_since_ms = now_ms;
        } else if (now_ms - s->stalled_since_ms >= base::kH2WindowStallMs) {
            refuse(H2Refusal::stalled_window);
            return false;
        }
    }
    return true;
}

void H2Session::shutdown() {
    if (!session_ || refusal_ != H2Refusal::none || !magic_done()) return;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                          NGHTTP2_NO_ERROR, nullptr, 0);
}

bool H2Session::want_write() const noexcept {
    if (!refusal_out_.empty()) return true;
    if (!session_ || broken_ || !magic_done()) return false;
    return nghttp2_session_want_write(session_) != 0;
}

bool H2Session::finished() const noexcept {
    if (!refusal_out_.empty()) return false;
    if (!session_ || broken_ || !magic_done()) return refusal_ != H2Refusal::none;
    if (refusal_ != H2Refusal::none) return goaway_sent_;
    return nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0;
}

}  // namespace mmwatch::http
