#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "files/event_log.hpp"
#include "support/temp_dir.hpp"

using namespace mmwatch;

TEST_CASE("event_log_lines_are_tab_separated_and_sanitized") {
    test::TempDir dir;
    files::EventLog log;
    REQUIRE(log.open(dir.file("events.tsv")) == 0);
    log.record(files::EventKind::rejected, "we\tird\nname", "bad_magic", 1'700'000'000'123);
    log.record(files::EventKind::ready, "app", "app.rezl", 1'700'000'001'000);
    REQUIRE(log.flush() == 0);
    std::ifstream in(dir.file("events.tsv"));
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str() ==
          "2023-11-14T22:13:20.123Z\trejected\twe ird name\tbad_magic\n"
          "2023-11-14T22:13:21.000Z\tready\tapp\tapp.rezl\n");
    CHECK(log.recorded(files::EventKind::rejected) == 1);
}

TEST_CASE("event_log_write_error_is_counted_not_fatal") {
    files::EventLog log;
    REQUIRE(log.open("/dev/full") == 0);
    log.record(files::EventKind::ready, "a", "b", 0);
    CHECK(log.flush() != 0);
    CHECK(log.write_errors() == 1);
    CHECK(log.lines_lost() == 1);
    log.record(files::EventKind::ready, "a", "b", 0);
    CHECK(log.flush() != 0);
    CHECK(log.write_errors() == 2);
}

TEST_CASE("event_kinds_have_names_and_out_of_range_is_unknown") {
    CHECK(files::event_kind_name(files::EventKind::discovered) == "discovered");
    CHECK(files::event_kind_name(files::EventKind::limit) == "limit");
    CHECK(files::event_kind_name(files::EventKind(200)) == "unknown");
}

TEST_CASE("event_log_without_a_file_counts_and_writes_nothing") {
    files::EventLog log;
    log.record(files::EventKind::stale, "a", "a.rezl", 0);
    CHECK(log.flush() == 0);
    CHECK(log.recorded(files::EventKind::stale) == 1);
    CHECK(log.write_errors() == 0);
}
