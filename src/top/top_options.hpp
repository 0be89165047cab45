// `mmwatch top`'s command line: the URL of a running mmwatch, the refresh
// interval, --once, and TLS and basic auth as curl names them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mmwatch::top {

struct Options {
    std::string url = "http://127.0.0.1:9479";
    uint64_t interval_ms = 0;  // set from base::kTopDefaultIntervalMs
    bool once = false;
    std::string view = "series";
    std::string filter;
    std::string cacert, cert, key, user;
    bool insecure = false;
    bool help = false;
};

// Parses what follows `mmwatch top`; nullopt with `error` set on a bad one.
std::optional<Options> parse_options(const std::vector<std::string_view>& args, std::string& error);

std::string usage();

}  // namespace mmwatch::top
