#include <doctest/doctest.h>

#include "prom/negotiate.hpp"

using namespace mmwatch;
using prom::Format;

TEST_CASE("what_prometheus_2_sends_gets_openmetrics") {
    CHECK(prom::negotiate_format("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                                 "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1") ==
          Format::openmetrics);
}

TEST_CASE("what_prometheus_sends_with_native_histograms_gets_protobuf") {
    CHECK(prom::negotiate_format("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                                 "encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,"
                                 "application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"
                                 "*/*;q=0.1") == Format::protobuf);
}

TEST_CASE("what_prometheus_3_sends_with_escaping_and_text_1_0_0") {
    CHECK(prom::negotiate_format("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
                                 "application/openmetrics-text;version=0.0.1;q=0.5,"
                                 "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
                                 "text/plain;version=0.0.4;q=0.3,*/*;q=0.2") == Format::openmetrics);
    CHECK(prom::negotiate_format("text/plain;version=1.0.0;escaping=underscores") == Format::text);
}

TEST_CASE("curl_and_empty_and_unknown_get_text") {
    CHECK(prom::negotiate_format("") == Format::text);
    CHECK(prom::negotiate_format("*/*") == Format::text);
    CHECK(prom::negotiate_format("image/png") == Format::text);
    CHECK(prom::negotiate_format("application/json") == Format::text);
}

TEST_CASE("q_values_order_and_zero_refuses") {
    CHECK(prom::negotiate_format("text/plain;q=0.9, application/openmetrics-text;q=0.8") == Format::text);
    CHECK(prom::negotiate_format("text/plain;q=0.5, application/openmetrics-text") == Format::openmetrics);
    CHECK(prom::negotiate_format("application/openmetrics-text;q=0, text/plain;q=0.1") == Format::text);
    CHECK(prom::negotiate_format("application/openmetrics-text ; q=0.7 , text/plain ; q=0.70") ==
          Format::openmetrics);  // equal q: the earlier one
    CHECK(prom::negotiate_format("application/openmetrics-text;q=2") == Format::text);  // malformed q
    CHECK(prom::negotiate_format("APPLICATION/OpenMetrics-Text") == Format::openmetrics);
}

TEST_CASE("versions_and_protobuf_parameters_must_match") {
    CHECK(prom::negotiate_format("application/openmetrics-text;version=2.0.0") == Format::text);
    CHECK(prom::negotiate_format("application/openmetrics-text;version=\"1.0.0\"") == Format::openmetrics);
    CHECK(prom::negotiate_format("text/plain;version=9.9") == Format::text);
    CHECK(prom::negotiate_format("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                                 "encoding=text") == Format::text);
    CHECK(prom::negotiate_format("application/vnd.google.protobuf;proto=other.Message") == Format::text);
    CHECK(prom::negotiate_format("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily") ==
          Format::protobuf);
}

TEST_CASE("accept_encoding") {
    CHECK(prom::accepts_gzip("gzip"));
    CHECK(prom::accepts_gzip("deflate, gzip;q=0.5"));
    CHECK(prom::accepts_gzip("*"));
    CHECK(prom::accepts_gzip("GZIP"));
    CHECK_FALSE(prom::accepts_gzip(""));
    CHECK_FALSE(prom::accepts_gzip("identity"));
    CHECK_FALSE(prom::accepts_gzip("gzip;q=0"));
    CHECK_FALSE(prom::accepts_gzip("*, gzip;q=0"));
    // RFC 9110: the explicit q=0 wins over *, in either order.
    CHECK_FALSE(prom::accepts_gzip("gzip;q=0, *"));
    CHECK_FALSE(prom::accepts_gzip("x-gzip;q=0, *;q=1"));
    CHECK(prom::accepts_gzip("br;q=0, *"));        // * covers gzip when gzip is not named
    CHECK_FALSE(prom::accepts_gzip("*;q=0"));
    CHECK(prom::accepts_gzip("gzip;q=0.001, *;q=0"));
    CHECK(prom::accepts_gzip("gzip;q=bogus, *"));  // a malformed element is ignored
    CHECK_FALSE(prom::accepts_gzip("br, deflate"));
}

TEST_CASE("format_parameter_names") {
    CHECK(prom::format_from_name("openmetrics") == Format::openmetrics);
    CHECK(prom::format_from_name("protobuf") == Format::protobuf);
    CHECK(prom::format_from_name("text") == Format::text);
    CHECK_FALSE(prom::format_from_name("json").has_value());
}
