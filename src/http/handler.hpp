// What answers an HTTP server's requests (the daemon's routes): called on
// the loop with a complete request, it returns the response, whose body
// may be shared. No libuv here: a handler is tested by calling it.
#pragma once

#include "http/request.hpp"
#include "http/response.hpp"

namespace mmwatch::http {

class Handler {
public:
    [[nodiscard]] virtual Response respond(const Request& req) = 0;

protected:
    ~Handler() = default;
};

}  // namespace mmwatch::http
