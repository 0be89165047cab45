// The content codings a body can arrive in, as mmwatch reads them (RFC
// 9110 section 8.4.1): http/ parses Content-Encoding into one, and the
// reader of the body decodes it (otlp/inflate for gzip). A value both
// sides share, so the reader needs nothing of HTTP.
#pragma once

#include <cstdint>

namespace mmwatch::base {

enum class ContentCoding : uint8_t {
    identity,     // no Content-Encoding, or "identity"
    gzip,
    unsupported,  // any other coding: the reader refuses the body (415)
};

}  // namespace mmwatch::base
