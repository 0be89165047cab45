// libFuzzer target: content negotiation over arbitrary Accept and
// Accept-Encoding values. Checks that the answer is always a format
// mmwatch serves, that a range refused with q=0 appended never changes it,
// and that the first line of input read as a gzip decision is stable.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "prom/negotiate.hpp"

using namespace mmwatch;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const prom::Format f = prom::negotiate_format(in);
    FUZZ_CHECK(f == prom::Format::text || f == prom::Format::openmetrics || f == prom::Format::protobuf);
    FUZZ_CHECK(!prom::content_type(f).empty());
    // A refused range adds nothing (unless the input ends inside a
    // parameter or quote that would swallow the comma).
    if (in.find_first_of(";\"") == std::string_view::npos) {
        FUZZ_CHECK(prom::negotiate_format(std::string(in) + ",application/vnd.google.protobuf;"
                                                              "proto=io.prometheus.client.MetricFamily;q=0") == f);
    }
    const bool gz = prom::accepts_gzip(in);
    FUZZ_CHECK(prom::accepts_gzip(in) == gz);
    (void)prom::format_from_name(in);
    return 0;
}
