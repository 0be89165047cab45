// /api/v1/export's body: raw samples as JSON lines in VictoriaMetrics'
// export format, one object per line,
//   {"metric":{"__name__":"up","job":"node"},"values":[1,1],"timestamps":[1700000000000,1700000015000]}
// written in bounded pieces from a cursor so a large export is paced like
// every large answer (the HTTP glue asks for a piece per writable event).
//
// Values: a finite value in the shortest form that reads back to the same
// double (std::to_chars), -0 as -0.0 so it keeps its sign; what JSON
// cannot hold is written as VictoriaMetrics writes and reads it back:
// Prometheus' staleness marker as null, +Inf and -Inf bare, any other NaN
// as NaN (VictoriaMetrics' importer accepts NaN and +Inf/-Inf; strict
// JSON parsers do not). NaN payloads other than the staleness marker's are
// not kept. A series with more samples than kExportSamplesPerLine takes
// several lines, as VictoriaMetrics writes one per block; a series with no
// sample in the range takes none.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "history/history_store.hpp"

namespace mmwatch::history {

// Samples per line at most: bounds one line (about 40 bytes a sample).
inline constexpr size_t kExportSamplesPerLine = 1000;

// Appends `bits` as an export value.
void append_export_value(std::string& out, uint64_t bits);

class ExportCursor {
public:
    // The series to export (as the selector found them) and the range.
    ExportCursor(const Store& store, std::vector<SeriesId> series, int64_t start_ms, int64_t end_ms);
    // Appends whole lines to `out` until it has grown by `max_bytes` (one
    // line may end past it) or every series is done; true when done. A
    // series removed in between (its slot reused) is skipped.
    bool write_some(const Store& store, std::string& out, size_t max_bytes);
    [[nodiscard]] uint64_t samples() const noexcept { return samples_; }
    [[nodiscard]] uint64_t lines() const noexcept { return lines_; }

private:
    void write_line(const Store& store, SeriesId id, std::string& out);

    std::vector<std::pair<SeriesId, uint32_t>> series_;  // with generations
    size_t next_ = 0;
    int64_t from_;   // where the current series resumes
    int64_t start_;
    int64_t end_;
    std::vector<Sample> buf_;
    std::vector<LabelView> labels_;
    uint64_t samples_ = 0;
    uint64_t lines_ = 0;
};

}  // namespace mmwatch::history
