#include <doctest/doctest.h>

#include <uv.h>

#include <fstream>
#include <memory>
#include <string>

#include "prom/samples.hpp"
#include "push/pusher.hpp"
#include "support/temp_dir.hpp"

using namespace mmwatch;

namespace {

std::shared_ptr<const prom::SampleBatch> batch_of(std::initializer_list<const char*> series, int64_t t_ms) {
    prom::SampleCollector c({{"job", "mmwatch"}}, {});
    c.family("g", prom::Kind::gauge, "", "");
    for (const char* k : series) {
        std::string labels;
        c.label(labels, "k", k);
        c.metric(labels);
        c.value(1);
    }
    return std::make_shared<const prom::SampleBatch>(std::move(c), t_ms);
}

}  // namespace

TEST_CASE("each_push_is_every_series_then_a_staleness_marker_for_each_series_gone") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    test::TempDir spool;
    {
        push::PusherConfig config;
        // Nothing listens on port 9 (discard): nothing is delivered while the loop does not run.
        config.urls = {"http://127.0.0.1:9/api/v1/write"};
        config.timeout_ms = 1000;
        config.queue_bytes = 1 << 20;
        config.spool_dir = spool.path() + "/spool";
        config.spool_bytes = 1 << 20;
        push::Pusher pusher(config);
        std::string error;
        REQUIRE(pusher.start(&loop, error));
        REQUIRE(pusher.enabled());
        const push::Sender& sender = *pusher.senders().front();
        pusher.consume(batch_of({"a", "b", "c"}, 1000));
        CHECK(sender.counters().samples_in == 3);
        pusher.consume(batch_of({"b", "d"}, 2000));
        CHECK(sender.counters().samples_in == 3 + 2 + 2);  // b, d, and markers for a and c
        pusher.consume(batch_of({"b", "d"}, 3000));
        CHECK(sender.counters().samples_in == 7 + 2);  // nothing gone: no marker
        // Written ahead: all of it on disk, none only in memory.
        CHECK(sender.spool()->samples() == 9);
        CHECK(sender.counters().pending_samples == 0);
        CHECK(pusher.take_refusals().empty());
        // The spool directory is named for the URL, which is written inside for people.
        const std::string dir = push::spool_dir_for(config.spool_dir, config.urls[0]);
        CHECK(dir.size() == config.spool_dir.size() + 1 + 16);
        std::ifstream url_file(dir + "/url");
        std::string url;
        std::getline(url_file, url);
        CHECK(url == config.urls[0]);
        pusher.close();
        // The handles are the pusher's members: their close callbacks run
        // before it goes (libuv touches a closing handle until then).
        uv_run(&loop, UV_RUN_DEFAULT);
    }
    CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("without_a_url_the_pusher_is_off_and_still_writes_every_family_empty") {
    push::Pusher pusher(push::PusherConfig{});
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    std::string error;
    REQUIRE(pusher.start(&loop, error));
    CHECK_FALSE(pusher.enabled());
    pusher.consume(batch_of({"a"}, 1));  // nowhere to go: nothing happens
    std::string out;
    const auto w = prom::make_writer(prom::Format::text, out);
    pusher.write_self_metrics(*w);
    for (const prom::Family& f : push::Pusher::self_metric_families()) {
        CAPTURE(f.name);
        CHECK(out.find("# TYPE " + std::string(f.name) + " ") != std::string::npos);
    }
    CHECK(out.find("url=") == std::string::npos);
    CHECK(uv_loop_close(&loop) == 0);
}
