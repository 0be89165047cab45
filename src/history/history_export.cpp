#include "history/history_export.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "base/json.hpp"
#include "history/iterator.hpp"

namespace mmwatch::history {

namespace {

// Series looked at per write_some() at most, however many have no sample
// in the range: each costs a lookup, so a piece stays short.
constexpr size_t kExportSeriesPerPiece = 1000;

}  // namespace

void append_export_value(std::string& out, uint64_t bits) {
    const double v = std::bit_cast<double>(bits);
    if (is_stale_marker(bits)) {
        out += "null";
    } else if (std::isnan(v)) {
        out += "NaN";
    } else if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
    } else if (v == 0 && std::signbit(v)) {
        out += "-0.0";
    } else {
        char buf[32];
        out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    }
}

ExportCursor::ExportCursor(const Store& store, std::vector<SeriesId> series, int64_t start_ms, int64_t end_ms)
    : from_(start_ms), start_(start_ms), end_(end_ms) {
    series_.reserve(series.size());
    for (const SeriesId id : series)
        if (store.live(id)) series_.push_back({id, store.generation(id)});
}

// One line of up to kExportSamplesPerLine samples from from_; from_ moves
// past them, or to the next series when this one has no more.
void ExportCursor::write_line(const Store& store, SeriesId id, std::string& out) {
    buf_.clear();
    SampleIterator it = store.samples(id, from_, end_);
    while (buf_.size() < kExportSamplesPerLine && it.next()) buf_.push_back(it.sample());
    const bool more = buf_.size() == kExportSamplesPerLine && it.next();
    if (more) {
        from_ = it.t();  // the first sample of the next line
    } else {
        ++next_;
        from_ = start_;
    }
    if (buf_.empty()) return;
    store.labels(id, labels_);
    out += R"({"metric":{)";
    for (size_t i = 0; i < labels_.size(); ++i) {
        if (i) out += ',';
        base::json::append_string(out, labels_[i].name);
        out += ':';
        base::json::append_string(out, labels_[i].value);
    }
    out += R"(},"values":[)";
    for (size_t i = 0; i < buf_.size(); ++i) {
        if (i) out += ',';
        append_export_value(out, buf_[i].bits);
    }
    out += R"(],"timestamps":[)";
    for (size_t i = 0; i < buf_.size(); ++i) {
        if (i) out += ',';
        base::json::append_number(out, buf_[i].t);
    }
    out += "]}\n";
    samples_ += buf_.size();
    ++lines_;
}

bool ExportCursor::write_some(const Store& store, std::string& out, size_t max_bytes) {
    const size_t before = out.size();
    for (size_t looked = 0; next_ < series_.size() && looked < kExportSeriesPerPiece; ++looked) {
        const auto [id, generation] = series_[next_];
        if (!store.live(id) || store.generation(id) != generation) {
            ++next_;
            from_ = start_;
            continue;
        }
        write_line(store, id, out);
        if (out.size() - before >= max_bytes) break;
    }
    return next_ >= series_.size();
}

}  // namespace mmwatch::history
