#include <doctest/doctest.h>

#include <optional>

#include "http/deferred.hpp"

using namespace mmwatch::http;

namespace {

struct Catch final : Deferred::Waiter {
    std::optional<Response> got;
    void resolved(Response r) override { got = std::move(r); }
};

}  // namespace

TEST_CASE("deferred_hands_the_answer_to_its_waiter_once") {
    Deferred d;
    Catch c;
    d.wait(&c);
    CHECK(!c.got);
    d.resolve(Response::text(200, "one"));
    REQUIRE(c.got);
    CHECK(*c.got->body == "one");
    d.resolve(Response::text(500, "two"));  // ignored
    CHECK(*c.got->body == "one");
    CHECK(d.resolved());
}

TEST_CASE("deferred_resolved_before_the_wait_answers_at_once") {
    Deferred d;
    d.resolve(Response::text(200, "early"));
    Catch c;
    d.wait(&c);
    REQUIRE(c.got);
    CHECK(*c.got->body == "early");
}

TEST_CASE("deferred_abandoned_drops_the_answer") {
    Deferred d;
    Catch c;
    d.wait(&c);
    d.abandon();
    CHECK(d.abandoned());
    d.resolve(Response::text(200, "late"));
    CHECK(!c.got);
    CHECK(Response::later(std::make_shared<Deferred>()).deferred);
}
