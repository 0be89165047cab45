#include "otlp/export_response.hpp"

#include <protozero/pbf_writer.hpp>

namespace mmwatch::otlp {

std::string partial_success_message(const IngestResult& ir) {
    std::string msg(reject_name(ir.first_reason));
    msg += ": ";
    msg += reject_message(ir.first_reason);
    msg += " (counted per reason in mmwatch_otlp_points_rejected_total)";
    return msg;
}

std::string undecodable_message(const DecodeResult& dr) {
    std::string msg = "undecodable ExportMetricsServiceRequest: ";
    msg += decode_error_name(dr.error);
    msg += " at ";
    msg += dr.where;
    return msg;
}

void append_export_response(std::string& out, const IngestResult& ir) {
    if (ir.rejected == 0) return;
    // ExportMetricsServiceResponse { 1: ExportMetricsPartialSuccess {
    // 1: rejected_data_points (int64), 2: error_message } }
    const std::string msg = partial_success_message(ir);
    protozero::pbf_writer w(out);
    protozero::pbf_writer partial(w, 1);
    partial.add_int64(1, int64_t(ir.rejected));
    partial.add_string(2, msg.data(), msg.size());
}

}  // namespace mmwatch::otlp
