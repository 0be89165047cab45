#include "history/remote_write.hpp"

#include <snappy.h>

#include <bit>

#include <protozero/exception.hpp>
#include <protozero/pbf_reader.hpp>

#include "base/enum_names.hpp"
#include "history/history_store.hpp"

namespace mmwatch::history {

namespace {

using protozero::pbf_reader;
using WT = protozero::pbf_wire_type;

// prometheus/prompb/remote.proto and types.proto, 1.0.
enum : uint32_t { request_timeseries = 1 };
enum : uint32_t { series_labels = 1, series_samples = 2, series_exemplars = 3, series_histograms = 4 };
enum : uint32_t { label_name = 1, label_value = 2 };
enum : uint32_t { sample_value = 1, sample_timestamp = 2 };

MMWATCH_ENUM_TABLE(WriteError, kWriteErrors) = {
    MMWATCH_ROW(none, "ok"),
    MMWATCH_ROW(body_too_large, "the request body is larger than the limit once decompressed"),
    MMWATCH_ROW(bad_snappy, "the request body is not snappy-compressed (block format)"),
    MMWATCH_ROW(malformed_protobuf, "the request body is not a valid remote-write WriteRequest"),
    MMWATCH_ROW(too_many_series, "the request carries more series than allowed in one request"),
};
static_assert(base::rows_match(kWriteErrors, kWriteErrorCount));

// A scratch buffer larger than this after a request is given back.
constexpr size_t kKeepScratchBytes = 1024 * 1024;

std::string_view view(pbf_reader& r) {
    const protozero::data_view v = r.get_view();
    return {v.data(), v.size()};
}

// One TimeSeries into `labels` and `samples`; throws protozero::exception
// on malformed input, returns false on a known field of the wrong type.
bool read_series(std::string_view bytes, WriteScratch& s, uint32_t& histograms) {
    s.labels.clear();
    s.samples.clear();
    histograms = 0;
    pbf_reader ts(bytes.data(), bytes.size());
    while (ts.next()) {
        const uint32_t tag = ts.tag();
        if (tag == series_labels) {
            if (ts.wire_type() != WT::length_delimited) return false;
            pbf_reader l = ts.get_message();
            LabelView lv;
            while (l.next()) {
                const uint32_t f = l.tag();
                if (f != label_name && f != label_value) {
                    l.skip();
                    continue;
                }
                if (l.wire_type() != WT::length_delimited) return false;
                (f == label_name ? lv.name : lv.value) = view(l);
            }
            s.labels.push_back(lv);
        } else if (tag == series_samples) {
            if (ts.wire_type() != WT::length_delimited) return false;
            pbf_reader p = ts.get_message();
            Sample x;
            while (p.next()) {
                if (p.tag() == sample_value) {
                    if (p.wire_type() != WT::fixed64) return false;
                    x.bits = p.get_fixed64();  // the double's bits, untouched
                } else if (p.tag() == sample_timestamp) {
                    if (p.wire_type() != WT::varint) return false;
                    x.t = p.get_int64();
                } else {
                    p.skip();
                }
            }
            s.samples.push_back(x);
        } else if (tag == series_histograms) {
            ++histograms;
            ts.skip();
        } else {
            ts.skip();  // exemplars, and fields of later versions
        }
    }
    return true;
}

// One pass over the request; calls `visitor` only when `visit`.
WriteError pass(std::string_view proto, size_t max_series, WriteScratch& scratch, WriteRequestVisitor* visitor) {
    pbf_reader r(proto.data(), proto.size());
    size_t series = 0;
    uint32_t histograms = 0;
    while (r.next()) {
        if (r.tag() != request_timeseries) {
            r.skip();  // metadata
            continue;
        }
        if (r.wire_type() != WT::length_delimited) return WriteError::malformed_protobuf;
        if (++series > max_series) return WriteError::too_many_series;
        if (!read_series(view(r), scratch, histograms)) return WriteError::malformed_protobuf;
        if (visitor) visitor->series(scratch.labels, scratch.samples, histograms);
    }
    return WriteError::none;
}

// Appends each series' samples into the store, counting what happened.
class StoreWriter final : public WriteRequestVisitor {
public:
    StoreWriter(Store& store, WriteResult& result, std::vector<LabelView>& canonical)
        : store_(store), result_(result), canonical_(canonical) {}

    void series(std::span<const LabelView> labels, std::span<const Sample> samples, uint32_t histograms) override {
        ++result_.series;
        result_.samples += samples.size();
        result_.histograms += histograms;
        if (samples.empty()) return;
        Store::Lookup found;
        if (is_canonical(labels)) found.id = store_.find(labels);  // the usual case: known and sorted
        if (found.id == kNoSeries) {
            canonical_.assign(labels.begin(), labels.end());
            if (canonicalize(canonical_) != LabelError::none) {
                ++result_.bad_series;
                result_.refused += samples.size();
                store_.count_refused(Refusal::bad_labels, samples.size());
                return;
            }
            found = store_.series(canonical_);
        }
        if (found.id == kNoSeries) {
            result_.refused += samples.size();
            store_.count_refused(found.refusal, samples.size());
            return;
        }
        for (const Sample& x : samples) {
            switch (store_.append(found.id, x.t, x.bits)) {
                case AppendStatus::stored: ++result_.appended; break;
                case AppendStatus::same: break;
                case AppendStatus::refused: ++result_.refused; break;
            }
        }
    }

private:
    Store& store_;
    WriteResult& result_;
    std::vector<LabelView>& canonical_;
};

}  // namespace

std::string_view write_error_name(WriteError e) noexcept { return base::name_of(kWriteErrors, e); }
std::string_view write_error_message(WriteError e) noexcept { return base::message_of(kWriteErrors, e); }

void WriteScratch::trim() {
    if (body.capacity() > kKeepScratchBytes) std::string().swap(body);
    if (samples.capacity() * sizeof(Sample) > kKeepScratchBytes) std::vector<Sample>().swap(samples);
    if (labels.capacity() * sizeof(LabelView) > kKeepScratchBytes) std::vector<LabelView>().swap(labels);
}

WriteError snappy_uncompress_bounded(std::string_view compressed, size_t max_bytes, std::string& out) {
    size_t length = 0;
    if (!snappy::GetUncompressedLength(compressed.data(), compressed.size(), &length)) return WriteError::bad_snappy;
    if (length > max_bytes) return WriteError::body_too_large;
    out.resize(length);
    if (!snappy::RawUncompress(compressed.data(), compressed.size(), out.data())) return WriteError::bad_snappy;
    return WriteError::none;
}

WriteError walk_write_request(std::string_view proto, size_t max_series, WriteScratch& scratch,
                              WriteRequestVisitor& visitor) {
    try {
        // Checked whole first: a request that turns out malformed half way
        // stores nothing.
        if (const WriteError e = pass(proto, max_series, scratch, nullptr); e != WriteError::none) return e;
        return pass(proto, max_series, scratch, &visitor);
    } catch (const protozero::exception&) {
        return WriteError::malformed_protobuf;
    }
}

WriteResult receive_write_request(std::string_view snappy_body, const WriteLimits& limits, Store& store,
                                  WriteScratch& scratch) {
    WriteResult result;
    result.error = snappy_uncompress_bounded(snappy_body, limits.max_body_bytes, scratch.body);
    if (result.error == WriteError::none) {
        std::vector<LabelView> canonical;
        StoreWriter writer(store, result, canonical);
        result.error = walk_write_request(scratch.body, limits.max_series, scratch, writer);
    }
    scratch.trim();
    return result;
}

}  // namespace mmwatch::history
