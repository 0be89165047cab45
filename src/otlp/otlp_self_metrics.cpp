#include "otlp/otlp_self_metrics.hpp"

#include "otlp/decoded.hpp"
#include "prom/writer.hpp"

namespace mmwatch::otlp {

namespace {

using prom::Kind;

void header(prom::Writer& out, std::string_view name, Kind kind, std::string_view help) { out.family(name, kind, help); }

void sample(prom::Writer& out, std::string_view, std::string_view label, std::string_view value, double v) {
    prom::labelled(out, label, value, v);
}
using prom::single;

}  // namespace

void write_self_metrics(const Store& store, const ReceiverCounters& rc, const ExpositionSkips& skips,
                        prom::Writer& out) {
    const StoreCounters& sc = store.counters();

    constexpr std::string_view kRequests = "mmwatch_otlp_requests_total";
    header(out, kRequests, Kind::counter, "OTLP export requests (POST /v1/metrics) by result.");
    for (size_t i = 0; i < kExportResultCount; ++i) sample(out, kRequests, "result", export_result_name(ExportResult(i)), double(rc.requests[i]));

    constexpr std::string_view kDecode = "mmwatch_otlp_decode_errors_total";
    header(out, kDecode, Kind::counter, "OTLP bodies refused with 400, by decode error.");
    for (size_t i = 1; i < kDecodeErrorCount; ++i)
        sample(out, kDecode, "reason", decode_error_name(DecodeError(i)), double(rc.decode_errors[i]));
    sample(out, kDecode, "reason", "bad_gzip", double(rc.gzip_errors));

    single(out, "mmwatch_otlp_body_bytes_total", Kind::counter, "OTLP request body bytes decoded, after decompression.",
           double(rc.body_bytes));
    single(out, "mmwatch_otlp_points_accepted_total", Kind::counter, "OTLP data points stored.", double(sc.points_accepted));

    constexpr std::string_view kRejected = "mmwatch_otlp_points_rejected_total";
    header(out, kRejected, Kind::counter, "OTLP data points refused (reported in partialSuccess), by reason.");
    for (size_t i = 0; i < kRejectCount; ++i)
        sample(out, kRejected, "reason", reject_name(Reject(i)), double(sc.points_rejected[i]));

    single(out, "mmwatch_otlp_points_no_recorded_value_total", Kind::counter,
           "OTLP data points flagged NO_RECORDED_VALUE, skipped.", double(sc.points_no_recorded_value));

    constexpr std::string_view kSkipped = "mmwatch_otlp_exposition_skipped_families";
    header(out, kSkipped, Kind::gauge, "OTLP metric families left out of the latest /metrics, by reason.");
    sample(out, kSkipped, "reason", "family_taken", double(skips.family_taken));
    sample(out, kSkipped, "reason", "name_collision", double(skips.name_collision));
    sample(out, kSkipped, "reason", "response_bytes", double(skips.response_bytes));
    sample(out, kSkipped, "reason", "cut_short", double(skips.cut_short));

    constexpr std::string_view kSkippedSeries = "mmwatch_otlp_exposition_skipped_series";
    header(out, kSkippedSeries, Kind::gauge,
           "OTLP points left out of the latest /metrics because their labels render like another's.");
    sample(out, kSkippedSeries, "reason", "duplicate_labels", double(skips.duplicate_labels));
    single(out, "mmwatch_otlp_exposition_classic_histograms", Kind::gauge,
           "Exponential histograms in this protobuf body sent as classic +Inf, _sum and _count: scale below -4.",
           double(skips.native_scale));

    constexpr std::string_view kSkew = "mmwatch_otlp_points_clock_skewed_total";
    header(out, kSkew, Kind::counter,
           "OTLP points stamped over 10 minutes from the receiver's clock, stored at receipt time, by direction.");
    sample(out, kSkew, "direction", "past", double(sc.clock_skew_past));
    sample(out, kSkew, "direction", "future", double(sc.clock_skew_future));
    single(out, "mmwatch_otlp_descriptions_cut_total", Kind::counter,
           "OTLP metric descriptions cut to 1024 bytes for HELP.", double(sc.descriptions_cut));

    single(out, "mmwatch_otlp_series", Kind::gauge, "OTLP series in the store.", double(store.series().size()));
    single(out, "mmwatch_otlp_series_limit", Kind::gauge, "Cap on OTLP series (--otlp-max-series).",
           double(store.limits().max_series));
    single(out, "mmwatch_otlp_services", Kind::gauge, "Services (service.namespace, service.name) seen.",
           double(store.health().size()));
    single(out, "mmwatch_otlp_store_bytes", Kind::gauge, "Memory held by the OTLP store (series identities and latest values; the points are in the history store).",
           double(store.memory_bytes()));
    single(out, "mmwatch_otlp_store_bytes_limit", Kind::gauge, "Cap on the OTLP store's memory (--otlp-max-bytes).",
           double(store.limits().max_bytes));
}

}  // namespace mmwatch::otlp
