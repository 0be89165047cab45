// The one HTTP client of `mmwatch top`: libcurl's easy interface (Debian
// libcurl4-openssl-dev, which push/ uses too), one handle kept across
// requests so a poll reuses its connection. Every request has a deadline
// (base::kTopRequestTimeoutMs) and an answer cap (kTopMaxResponseBytes).
#pragma once

#include <string>
#include <string_view>

#include "top/top_options.hpp"

namespace mmwatch::top {

struct Answer {
    bool reached = false;  // an HTTP answer came back (any status)
    long status = 0;
    std::string body;
    std::string error;     // why not reached, as curl says it
};

class Client {
public:
    explicit Client(const Options& options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // GET url + path_and_query.
    Answer get(const std::string& path_and_query);

    // Percent-encodes a query parameter's value.
    std::string escape(std::string_view text);

private:
    Options options_;
    void* curl_ = nullptr;
};

}  // namespace mmwatch::top
