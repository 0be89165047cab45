#include <doctest/doctest.h>

#include <sys/inotify.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "files/guarded_copy.hpp"
#include "support/rezl_builder.hpp"
#include "support/temp_dir.hpp"
#include "files/watcher.hpp"

using namespace mmwatch;

namespace {

// A watcher on a temp dir driven by a fake clock: no loop, no sleeps.
struct Rig {
    test::TempDir dir;
    files::EventLog events;
    std::unique_ptr<files::Watcher> w;
    uint64_t t = 1000;

    explicit Rig(uint64_t ready_timeout_ms = 500, uint64_t stale_after_ms = 0, size_t max_files = 100,
                 int (*add_watch)(int, const char*, uint32_t) = nullptr) {
        REQUIRE(files::install_fault_handler());
        files::WatcherConfig c{dir.path(), ready_timeout_ms, stale_after_ms, max_files, {1 << 20, 1 << 30}, add_watch};
        w = std::make_unique<files::Watcher>(c, events);
    }
    base::Now now() const { return {t, int64_t(t) * 1'000'000}; }
    const files::FileCounters& metrics() const { return w->counters(); }
    void open() { REQUIRE(w->open(now()) == 0); }
    void events_in() { w->on_readable(now()); }
    void tick(uint64_t advance_ms = 100) {
        t += advance_ms;
        w->tick(now());
    }
    const files::Source* src(const std::string& name) const {
        auto it = w->sources().find(name);
        return it == w->sources().end() ? nullptr : it->second.get();
    }
};

std::vector<std::byte> gauge_file(int64_t v) {
    auto b = test::build({{2, "g"}});
    test::put_u64(b.bytes, b.offsets[0], uint64_t(v));
    return b.bytes;
}

}  // namespace

TEST_CASE("files_present_at_start_and_created_later_become_active") {
    Rig r;
    r.dir.write("a.rezl", gauge_file(1));
    r.open();
    REQUIRE(r.src("a.rezl"));
    CHECK(r.src("a.rezl")->state() == files::SourceState::active);
    CHECK(r.src("a.rezl")->data()[0] == 1);
    r.dir.write("b.rezl", gauge_file(-2));
    r.events_in();
    REQUIRE(r.src("b.rezl"));
    CHECK(r.src("b.rezl")->state() == files::SourceState::active);
    CHECK(int64_t(r.src("b.rezl")->data()[0]) == -2);
    CHECK(r.metrics().sources[size_t(files::SourceState::active)] == 2);
}

TEST_CASE("not_ready_file_is_pending_then_rejected_at_the_timeout") {
    Rig r(500);
    r.open();
    auto b = test::build({{1, "c"}}, false);
    r.dir.write("slow.rezl", b.bytes);
    r.events_in();
    CHECK(r.src("slow.rezl")->state() == files::SourceState::pending);
    CHECK(r.src("slow.rezl")->reason() == rezl::Reason::not_ready);
    r.tick(400);
    CHECK(r.src("slow.rezl")->state() == files::SourceState::pending);
    r.tick(200);
    CHECK(r.src("slow.rezl")->state() == files::SourceState::rejected);
    CHECK(r.metrics().rejections[size_t(rezl::Reason::not_ready)] == 1);
}

TEST_CASE("ready_flag_flipped_in_place_activates_on_the_next_tick") {
    Rig r(10'000);
    r.open();
    auto b = test::build({{1, "c"}}, false);
    r.dir.write("p.rezl", b.bytes);
    r.events_in();
    REQUIRE(r.src("p.rezl")->state() == files::SourceState::pending);
    const int fd = ::open(r.dir.file("p.rezl").c_str(), O_RDWR);
    const char one = 1;
    REQUIRE(pwrite(fd, &one, 1, 6) == 1);
    ::close(fd);
    r.tick();
    CHECK(r.src("p.rezl")->state() == files::SourceState::active);
}

TEST_CASE("replaced_by_rename_is_a_new_source_and_delete_removes") {
    Rig r;
    r.open();
    r.dir.write("a.rezl", gauge_file(1));
    r.events_in();
    const uint64_t first_id = r.src("a.rezl")->id();
    const uint64_t gen = r.w->generation();
    r.dir.write("a.rezl", gauge_file(2));
    r.events_in();
    REQUIRE(r.src("a.rezl"));
    CHECK(r.src("a.rezl")->id() != first_id);
    CHECK(r.src("a.rezl")->data()[0] == 2);
    CHECK(r.w->generation() != gen);
    CHECK(r.events.recorded(files::EventKind::replaced) == 1);
    ::unlink(r.dir.file("a.rezl").c_str());
    r.events_in();
    CHECK(r.src("a.rezl") == nullptr);
    CHECK(r.events.recorded(files::EventKind::removed) == 1);
}

TEST_CASE("file_truncated_while_active_is_revalidated") {
    Rig r(0);
    r.open();
    r.dir.write("t.rezl", gauge_file(5));
    r.events_in();
    REQUIRE(r.src("t.rezl")->state() == files::SourceState::active);
    REQUIRE(truncate(r.dir.file("t.rezl").c_str(), 20) == 0);
    r.tick();
    CHECK(r.src("t.rezl")->state() == files::SourceState::rejected);
    CHECK(r.src("t.rezl")->reason() == rezl::Reason::size_mismatch);
    CHECK_FALSE(r.src("t.rezl")->mapped());
}

TEST_CASE("stale_after_marks_and_clears") {
    Rig r(500, 1000);
    r.open();
    r.dir.write("s.rezl", gauge_file(1));
    r.events_in();
    const int fd = ::open(r.dir.file("s.rezl").c_str(), O_RDWR);
    const size_t size = gauge_file(0).size();
    auto* map = static_cast<uint64_t*>(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    ::close(fd);
    REQUIRE(map != MAP_FAILED);
    r.tick(600);
    CHECK_FALSE(r.src("s.rezl")->stale());
    r.tick(600);
    CHECK(r.src("s.rezl")->stale());
    CHECK(r.metrics().stale_sources == 1);
    CHECK(r.events.recorded(files::EventKind::stale) == 1);
    map[size / 8 - 1] = 99;  // the one gauge is the last word
    r.tick(100);
    CHECK_FALSE(r.src("s.rezl")->stale());
    CHECK(r.src("s.rezl")->data()[0] == 99);
    CHECK(r.events.recorded(files::EventKind::fresh) == 1);
    munmap(map, size);
}

TEST_CASE("more_files_than_the_limit_serves_the_first_and_rescans_when_room") {
    Rig r(500, 0, 3);
    for (int i = 0; i < 5; ++i) r.dir.write("f" + std::to_string(i) + ".rezl", gauge_file(i));
    r.open();
    CHECK(r.w->sources().size() == 3);
    CHECK(r.metrics().files_limit >= 1);
    // One for the files limit; one more when /tmp is not tmpfs (disk_backed).
    CHECK(r.events.recorded(files::EventKind::limit) == 1 + r.metrics().disk_backed_found);
    ::unlink(r.dir.file("f0.rezl").c_str());
    r.events_in();
    r.tick();
    CHECK(r.w->sources().size() == 3);
    CHECK(r.src("f3.rezl") != nullptr);
}

namespace {

// The seam for inotify_add_watch: fails while failures_left > 0.
int failures_left = 0;
int flaky_add_watch(int fd, const char* path, uint32_t mask) {
    if (failures_left > 0) {
        --failures_left;
        errno = ENOSPC;  // what the kernel says at fs.inotify.max_user_watches
        return -1;
    }
    return inotify_add_watch(fd, path, mask);
}

}  // namespace

TEST_CASE("recovered_directory_whose_watch_fails_is_retried_until_watched") {
    Rig r(500, 0, 100, flaky_add_watch);
    r.dir.write("a.rezl", gauge_file(1));
    r.open();
    std::filesystem::remove_all(r.dir.path());
    r.events_in();
    REQUIRE_FALSE(r.w->directory_present());
    std::filesystem::create_directory(r.dir.path());
    failures_left = 2;
    r.tick();
    CHECK_FALSE(r.w->directory_present());  // not held without a watch
    CHECK(r.metrics().watch_failures == 1);
    r.tick();
    CHECK(r.metrics().watch_failures == 2);
    r.tick();
    REQUIRE(r.w->directory_present());
    CHECK(r.metrics().watch_failures == 2);
    // Events flow again: a file created now is seen without a rescan.
    r.dir.write("late.rezl", gauge_file(7));
    r.events_in();
    REQUIRE(r.src("late.rezl") != nullptr);
    CHECK(r.src("late.rezl")->state() == files::SourceState::active);
}

TEST_CASE("directory_removed_and_recreated_is_recovered") {
    Rig r;
    r.dir.write("a.rezl", gauge_file(1));
    r.open();
    REQUIRE(r.w->directory_present());
    std::filesystem::remove_all(r.dir.path());
    r.events_in();
    CHECK_FALSE(r.w->directory_present());
    CHECK(r.w->sources().empty());
    r.tick();
    CHECK_FALSE(r.w->directory_present());
    std::filesystem::create_directory(r.dir.path());
    r.dir.write("b.rezl", gauge_file(2));
    r.tick();
    REQUIRE(r.w->directory_present());
    REQUIRE(r.src("b.rezl"));
    CHECK(r.src("b.rezl")->state() == files::SourceState::active);
    // And inotify works on the new directory.
    r.dir.write("c.rezl", gauge_file(3));
    r.events_in();
    CHECK(r.src("c.rezl") != nullptr);
}


TEST_CASE("dir_given_as_a_symlink_follows_a_swapped_target") {
    test::TempDir root;
    std::filesystem::create_directory(root.file("a"));
    std::filesystem::create_directory(root.file("b"));
    std::filesystem::create_directory_symlink(root.file("a"), root.file("current"));
    files::EventLog events;
    REQUIRE(files::install_fault_handler());
    files::WatcherConfig c{root.file("current"), 500, 0, 100, {1 << 20, 1 << 30}, nullptr};
    files::Watcher w(c, events);
    auto write = [](const std::string& dir, const std::string& name, int64_t v) {
        auto b = test::build({{2, "g"}});
        test::put_u64(b.bytes, b.offsets[0], uint64_t(v));
        const std::string tmp = dir + "/." + name;
        FILE* f = std::fopen(tmp.c_str(), "wb");
        std::fwrite(b.bytes.data(), 1, b.bytes.size(), f);
        std::fclose(f);
        std::filesystem::rename(tmp, dir + "/" + name);
    };
    write(root.file("a"), "old.rezl", 1);
    write(root.file("b"), "new.rezl", 2);
    uint64_t t = 1000;
    REQUIRE(w.open({t, 0}) == 0);
    REQUIRE(w.sources().count("old.rezl") == 1);
    // The deploy pattern: ln -sfn b current (a new link renamed over the old).
    std::filesystem::create_directory_symlink(root.file("b"), root.file("next"));
    std::filesystem::rename(root.file("next"), root.file("current"));
    w.tick({t += 100, 0});  // noticed: the old target's files are removed
    w.tick({t += 100, 0});  // the new target is picked up
    CHECK(w.sources().count("old.rezl") == 0);
    REQUIRE(w.sources().count("new.rezl") == 1);
    CHECK(w.sources().at("new.rezl")->state() == files::SourceState::active);
    CHECK(events.recorded(files::EventKind::removed) == 1);
}

TEST_CASE("files_past_the_fd_budget_wait_counted_and_are_opened_when_room_frees") {
    test::TempDir dir;
    for (int i = 0; i < 5; ++i) dir.write("f" + std::to_string(i) + ".rezl", gauge_file(i));
    files::EventLog events;
    REQUIRE(files::install_fault_handler());
    files::WatcherConfig c{dir.path(), 500, 0, 100, {1 << 20, 1 << 30}, nullptr, 3};
    files::Watcher w(c, events);
    uint64_t t = 1000;
    REQUIRE(w.open({t, 0}) == 0);
    CHECK(w.sources().size() == 3);
    CHECK(w.counters().waiting_for_fds == 2);
    CHECK(w.counters().fd_exhausted >= 2);
    CHECK(w.counters().files_limit == 0);  // not --max-files: the fd budget
    std::filesystem::remove(dir.file("f0.rezl"));
    w.on_readable({t += 100, 0});
    w.tick({t += 100, 0});  // retried every tick: one of the waiting files takes the slot
    CHECK(w.sources().size() == 3);
    CHECK(w.counters().waiting_for_fds == 1);
}
