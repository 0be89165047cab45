#include "http/gzip.hpp"

#include <libdeflate.h>

#include <new>

namespace mmwatch::http {

GzipEncoder::~GzipEncoder() {
    if (compressor_) libdeflate_free_compressor(compressor_);
}

std::shared_ptr<const std::string> GzipEncoder::encode(std::string_view body) {
    if (!compressor_) compressor_ = libdeflate_alloc_compressor(kGzipLevel);
    if (!compressor_) return nullptr;
    libdeflate_compressor* c = compressor_;
    try {
        auto out = std::make_shared<std::string>();
        out->resize(libdeflate_gzip_compress_bound(c, body.size()));
        const size_t n = libdeflate_gzip_compress(c, body.data(), body.size(), out->data(), out->size());
        if (n == 0) return nullptr;
        out->resize(n);
        out->shrink_to_fit();
        return out;
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}

}  // namespace mmwatch::http
