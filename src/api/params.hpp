// The API's parameters: the query string and a form body
// (application/x-www-form-urlencoded) decoded into one list, and
// Prometheus's rules for times (float seconds or RFC 3339) and durations
// (float seconds or a Prometheus duration such as "1m30s").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mmwatch::api {

class Params {
public:
    // Appends the pairs of `encoded` ("a=1&b=x%20y"); false when an escape
    // is malformed.
    bool add(std::string_view encoded);
    // The first value of `name`, or null.
    [[nodiscard]] const std::string* get(std::string_view name) const;
    // Every value of `name` (match[] repeats).
    [[nodiscard]] std::vector<std::string> all(std::string_view name) const;

private:
    std::vector<std::pair<std::string, std::string>> pairs_;
};

// Prometheus's parseTime; `error` as it words it ("cannot parse \"x\" to a
// valid timestamp").
[[nodiscard]] bool parse_time_ms(std::string_view s, int64_t& ms, std::string& error);
// Prometheus's parseDuration.
[[nodiscard]] bool parse_duration_ms(std::string_view s, int64_t& ms, std::string& error);

}  // namespace mmwatch::api
