// The ExportMetricsServiceResponse protobuf, shared by OTLP/HTTP and gRPC:
// empty when every point was stored, a partial_success with the count and
// the first reason when some were refused.
#pragma once

#include <string>

#include "otlp/store.hpp"

namespace mmwatch::otlp {

// The error_message of a partial success: the first reason, by name and
// sentence, and where the rest are counted.
[[nodiscard]] std::string partial_success_message(const IngestResult& ir);

// Appends the protobuf answer for `ir` (nothing when all was stored).
void append_export_response(std::string& out, const IngestResult& ir);

}  // namespace mmwatch::otlp
