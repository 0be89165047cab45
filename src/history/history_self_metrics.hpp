// mmwatch_history_* self-metrics as plain rows (name, type, help, up to two
// labels, value) for the daemon to render on /metrics: every row is written on
// every scrape, zero or not, so a dashboard never has to tell "no data"
// from "none happened". docs/history.md, "Self-metrics", lists them.
#pragma once

#include <string_view>
#include <vector>

#include "history/flush.hpp"
#include "history/remote_write.hpp"
#include "history/segment_file.hpp"
#include "history/history_store.hpp"

namespace mmwatch::history {

struct MetricRow {
    std::string_view name;
    std::string_view type;   // "counter" or "gauge"
    std::string_view help;
    std::string_view label;  // empty: no label
    std::string_view label_value;
    std::string_view label2;  // empty: at most one label
    std::string_view label2_value;
    double value = 0;
};

// What the rows are made from; the parts the daemon does not run (no
// --history-dir: no flush, disk or load) stay null and read as zeros.
struct MetricSources {
    const Store* store = nullptr;
    const FlushCounters* flush = nullptr;
    const DiskCounters* disk = nullptr;
    const LoadCounters* load = nullptr;
    const RemoteWriteCounters* remote_write = nullptr;
    uint64_t disk_bytes = 0;
};

// Every row, in a fixed order; the rows of one name are consecutive.
void metric_rows(const MetricSources& in, std::vector<MetricRow>& out);

}  // namespace mmwatch::history
