#include "top/client.hpp"

#include <curl/curl.h>

#include "base/limits.hpp"

namespace mmwatch::top {
namespace {

size_t collect(char* data, size_t size, size_t count, void* user) {
    auto* body = static_cast<std::string*>(user);
    const size_t n = size * count;
    if (body->size() + n > base::kTopMaxResponseBytes)
        return 0;  // curl fails the transfer: CURLE_WRITE_ERROR
    body->append(data, n);
    return n;
}

}  // namespace

Client::Client(const Options& options) : options_(options) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl_ = curl_easy_init();
}

Client::~Client() {
    if (curl_)
        curl_easy_cleanup(static_cast<CURL*>(curl_));
    curl_global_cleanup();
}

std::string Client::escape(std::string_view text) {
    char* e = curl_easy_escape(static_cast<CURL*>(curl_), text.data(), int(text.size()));
    std::string out = e ? e : "";
    curl_free(e);
    return out;
}

Answer Client::get(const std::string& path_and_query) {
    Answer a;
    CURL* c = static_cast<CURL*>(curl_);
    if (!c) {
        a.error = "curl could not start";
        return a;
    }
    const std::string url = options_.url + path_and_query;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, long(base::kTopConnectTimeoutMs));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(base::kTopRequestTimeoutMs));
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a.body);
    if (!options_.cacert.empty())
        curl_easy_setopt(c, CURLOPT_CAINFO, options_.cacert.c_str());
    if (!options_.cert.empty())
        curl_easy_setopt(c, CURLOPT_SSLCERT, options_.cert.c_str());
    if (!options_.key.empty())
        curl_easy_setopt(c, CURLOPT_SSLKEY, options_.key.c_str());
    if (!options_.user.empty()) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, long(CURLAUTH_BASIC));
        curl_easy_setopt(c, CURLOPT_USERPWD, options_.user.c_str());
    }
    if (options_.insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        a.error = rc == CURLE_WRITE_ERROR ? "answer larger than 16 MiB" : curl_easy_strerror(rc);
        a.body.clear();
        return a;
    }
    a.reached = true;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
    return a;
}

}  // namespace mmwatch::top
