// The budgets an HTTP/2 connection spends on frames that carry no request:
// a token bucket per frame kind on the caller's clock (milliseconds handed
// in, so tests run on a clock of their own). Pure, header-only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/limits.hpp"

namespace mmwatch::http {

// `burst` tokens to start with, `per_sec` more each second up to `burst`;
// each frame takes one. take() is false once the bucket is empty: the peer
// sent more of that kind than any client needs (limits.hpp says how many).
class FrameBucket {
public:
    FrameBucket(uint32_t burst, uint32_t per_sec, uint64_t now_ms) noexcept
        : burst_(burst), per_sec_(per_sec), tokens_(burst), last_ms_(now_ms) {}

    [[nodiscard]] bool take(uint64_t now_ms) noexcept {
        refill(now_ms);
        if (tokens_ == 0) return false;
        --tokens_;
        return true;
    }
    // Work the server did for the peer earns it a frame back (a response
    // read earns a WINDOW_UPDATE, a request a PING), never past the burst.
    void credit(uint32_t n = 1) noexcept { tokens_ = std::min(burst_, tokens_ + n); }
    [[nodiscard]] uint32_t tokens() const noexcept { return tokens_; }

private:
    void refill(uint64_t now_ms) noexcept {
        if (now_ms <= last_ms_ || per_sec_ == 0) return;
        const uint64_t earned = (now_ms - last_ms_) * per_sec_ / 1000;
        if (earned == 0) return;
        tokens_ = uint32_t(std::min<uint64_t>(burst_, tokens_ + earned));
        // Keep the fraction of a token not yet earned for next time.
        last_ms_ = tokens_ == burst_ ? now_ms : last_ms_ + earned * 1000 / per_sec_;
    }

    uint32_t burst_;
    uint32_t per_sec_;
    uint32_t tokens_;
    uint64_t last_ms_;
};

// One bucket per kind of frame a peer can flood with.
struct FrameBuckets {
    FrameBucket ping;
    FrameBucket settings;
    FrameBucket window_update;
    FrameBucket empty_data;
    FrameBucket priority;
    FrameBucket resets;  // streams that ended before their answer

    explicit FrameBuckets(uint64_t now_ms) noexcept
        : ping(base::kH2PingBurst, base::kH2PingsPerSec, now_ms),
          settings(base::kH2SettingsBurst, base::kH2SettingsPerSec, now_ms),
          window_update(base::kH2WindowUpdateBurst, base::kH2WindowUpdatesPerSec, now_ms),
          empty_data(base::kH2EmptyDataBurst, base::kH2EmptyDataPerSec, now_ms),
          priority(base::kH2PriorityBurst, base::kH2PrioritiesPerSec, now_ms),
          resets(base::kH2ResetBurst, base::kH2ResetsPerSec, now_ms) {}
};

// A frame header as it crossed the wire, seen before nghttp2 acts on the
// frame: a flood is refused before any of it is processed, and frames
// nghttp2 skips without a callback (on closed streams, unknown types) are
// counted too.
struct FrameHead {
    uint32_t length = 0;      // payload bytes, padding included
    uint8_t type = 0;
    uint8_t flags = 0;
    int32_t stream_id = 0;
    uint32_t data_bytes = 0;  // DATA: payload less padding
};

// RFC 9113 frame types and flags the guard looks at.
inline constexpr uint8_t kFrameData = 0x0;
inline constexpr uint8_t kFrameHeaders = 0x1;
inline constexpr uint8_t kFramePriority = 0x2;
inline constexpr uint8_t kFrameRstStream = 0x3;
inline constexpr uint8_t kFrameSettings = 0x4;
inline constexpr uint8_t kFramePushPromise = 0x5;
inline constexpr uint8_t kFramePing = 0x6;
inline constexpr uint8_t kFrameGoaway = 0x7;
inline constexpr uint8_t kFrameWindowUpdate = 0x8;
inline constexpr uint8_t kFrameContinuation = 0x9;
inline constexpr uint8_t kFlagEndStream = 0x1;
inline constexpr uint8_t kFlagPadded = 0x8;

// Splits the bytes after the client magic into frame headers, however the
// bytes are cut into reads; payloads are skipped, not kept.
class FrameScanner {
public:
    // Takes bytes from the front of `in` up to the end of the next frame
    // header (for padded DATA, its pad length too): true with it in `out`;
    // false when `in` ran out first (the state is kept for the next bytes).
    bool next(std::string_view& in, FrameHead& out) noexcept {
        while (!in.empty()) {
            if (skip_ > 0) {
                const size_t n = std::min<size_t>(skip_, in.size());
                skip_ -= uint32_t(n);
                in.remove_prefix(n);
                continue;
            }
            if (want_pad_) {
                want_pad_ = false;
                const uint32_t pad = uint8_t(in.front());
                in.remove_prefix(1);
                head_.data_bytes = pad + 1 <= head_.length ? head_.length - 1 - pad : 0;
                skip_ = head_.length - 1;
                out = head_;
                return true;
            }
            head_bytes_[have_++] = uint8_t(in.front());
            in.remove_prefix(1);
            if (have_ < sizeof head_bytes_) continue;
            have_ = 0;
            head_ = parse(head_bytes_);
            if (head_.type == kFrameData && (head_.flags & kFlagPadded) && head_.length > 0) {
                want_pad_ = true;
                continue;
            }
            skip_ = head_.length;
            out = head_;
            return true;
        }
        return false;
    }

private:
    static FrameHead parse(const uint8_t (&b)[9]) noexcept {
        FrameHead h;
        h.length = uint32_t(b[0]) << 16 | uint32_t(b[1]) << 8 | b[2];
        h.type = b[3];
        h.flags = b[4];
        h.stream_id = int32_t((uint32_t(b[5] & 0x7f) << 24) | uint32_t(b[6]) << 16 | uint32_t(b[7]) << 8 | b[8]);
        h.data_bytes = h.type == kFrameData ? h.length : 0;
        return h;
    }

    uint8_t head_bytes_[9] = {};
    uint8_t have_ = 0;
    bool want_pad_ = false;
    uint32_t skip_ = 0;  // payload bytes of the current frame still to pass
    FrameHead head_;
};

}  // namespace mmwatch::http
