// Response helpers: status texts and the serialized head.
#include "http/response.hpp"

#include <charconv>

namespace mmwatch::http {

Response Response::text(int status, std::string body_text) {
    Response r;
    r.status = status;
    r.body = std::make_shared<const std::string>(std::move(body_text));
    return r;
}

Response Response::json(int status, std::string body_text) {
    Response r = text(status, std::move(body_text));
    r.content_type = "application/json";
    return r;
}

Response Response::later(std::shared_ptr<Deferred> d) {
    Response r;
    r.deferred = std::move(d);
    return r;
}

Response error_response(int status, std::string_view message) {
    std::string body(message);
    body += '\n';
    return Response::text(status, std::move(body));
}

// RFC 9110's reason phrase for every status mmwatch answers with (and the
// ones the Prometheus HTTP API uses: 406, 422); tests/http/test_response.cpp
// lists the senders. A status missing here shows as "Unknown".
std::string_view status_text(int status) noexcept {
    switch (status) {
        case 200: return "OK";
        case 204: return "No Content";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 406: return "Not Acceptable";
        case 408: return "Request Timeout";
        case 411: return "Length Required";
        case 413: return "Content Too Large";
        case 415: return "Unsupported Media Type";
        case 422: return "Unprocessable Content";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 499: return "Client Closed Request";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
    }
}

std::string render_head(const Response& r, bool keep_alive) {
    std::string h;
    h.reserve(160 + r.extra_headers.size());
    char num[24];
    h += "HTTP/1.1 ";
    h.append(num, std::to_chars(num, num + sizeof num, r.status).ptr);
    h += ' ';
    h += status_text(r.status);
    h += "\r\nContent-Type: ";
    h += r.content_type;
    h += "\r\nContent-Length: ";
    const size_t len = r.body ? r.body->size() : 0;
    h.append(num, std::to_chars(num, num + sizeof num, len).ptr);
    h += keep_alive ? "\r\nConnection: keep-alive\r\n" : "\r\nConnection: close\r\n";
    h += r.extra_headers;
    h += "\r\n";
    return h;
}

}  // namespace mmwatch::http
