// h2_guard.hpp: the frame scanner that sees every frame header before
// nghttp2 does, and the token buckets that refuse floods.
#include <doctest/doctest.h>

#include <nghttp2/nghttp2.h>

#include <string>
#include <vector>

#include "http/h2_guard.hpp"
#include "support/h2_client.hpp"

using namespace mmwatch;
using namespace mmwatch::http;

TEST_CASE("flood_buckets_refill_with_time_not_past_their_burst") {
    FrameBucket b(3, 2, 0);
    CHECK(b.take(0));
    CHECK(b.take(0));
    CHECK(b.take(0));
    CHECK_FALSE(b.take(0));
    CHECK_FALSE(b.take(499));  // half a second earns one token at 2/s... not yet
    CHECK(b.take(500));
    CHECK_FALSE(b.take(500));
    CHECK(b.take(10'000));  // a long quiet refills to the burst, not past it
    CHECK(b.tokens() == 2);
    b.credit(10);
    CHECK(b.tokens() == 3);
}

TEST_CASE("frame_scanner_finds_the_same_frames_however_the_bytes_are_cut") {
    const std::string frames = test::h2_settings({{3, 100}}) + test::h2_frame(NGHTTP2_PING, 0, 0, std::string(8, 'x')) +
                               test::h2_frame(NGHTTP2_DATA, NGHTTP2_FLAG_PADDED, 1, std::string("\2abc\0\0", 6)) +
                               test::h2_frame(NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1);
    for (size_t cut = 1; cut <= frames.size(); ++cut) {
        FrameScanner sc;
        std::vector<FrameHead> seen;
        for (size_t at = 0; at < frames.size(); at += cut) {
            std::string_view piece = std::string_view(frames).substr(at, cut);
            FrameHead h;
            while (sc.next(piece, h)) seen.push_back(h);
        }
        REQUIRE(seen.size() == 4);
        CHECK(seen[0].type == kFrameSettings);
        CHECK(seen[0].length == 6);
        CHECK(seen[1].type == kFramePing);
        CHECK(seen[2].data_bytes == 3);
        CHECK(seen[3].data_bytes == 0);
        CHECK(seen[3].flags == kFlagEndStream);
    }
}
