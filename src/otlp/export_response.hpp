// What OTLP/HTTP and gRPC both answer: the ExportMetricsServiceResponse
// protobuf (empty when every point was stored, a partial_success with the
// count and the first reason when some were refused) and the texts of a
// partial success and of a request that does not decode.
#pragma once

#include <string>

#include "otlp/decoded.hpp"
#include "otlp/store.hpp"

namespace mmwatch::otlp {

// The error_message of a partial success: the first reason, by name and
// sentence, and where the rest are counted.
[[nodiscard]] std::string partial_success_message(const IngestResult& ir);

// The message of a request that does not decode: the error's name and where.
[[nodiscard]] std::string undecodable_message(const DecodeResult& dr);

// Appends the protobuf answer for `ir` (nothing when all was stored).
void append_export_response(std::string& out, const IngestResult& ir);

}  // namespace mmwatch::otlp
