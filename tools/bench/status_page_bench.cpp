// The status page's render cost at scale (docs/status-page.md, "Bounds";
// docs/benchmarks.md, "Status page"): a history store of N series (default
// 100,000), each with 15 minutes of samples at the default 15 s interval
// plus a day at one minute for one series, then "/" unfiltered, "/" with a
// filter that keeps a few series, "/" with a filter that keeps none (the
// full scan), the last page, and one series' 24h chart. Prints each
// render's time (best of 5) and size.
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "history/history_store.hpp"
#include "ui/status_page.hpp"

using namespace mmwatch;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;

template <typename F>
void measure(const char* what, F&& render) {
    double best_ms = 1e18;
    size_t bytes = 0;
    for (int i = 0; i < 5; ++i) {
        std::string out;
        const auto t0 = std::chrono::steady_clock::now();
        render(out);
        const auto t1 = std::chrono::steady_clock::now();
        best_ms = std::min(best_ms, std::chrono::duration<double, std::milli>(t1 - t0).count());
        bytes = out.size();
    }
    std::printf("%-44s %9.2f ms %9zu bytes\n", what, best_ms, bytes);
}

}  // namespace

int main(int argc, char** argv) {
    const size_t n = argc > 1 ? size_t(std::strtoull(argv[1], nullptr, 10)) : 100'000;
    history::StoreConfig config;
    config.max_bytes = uint64_t(4) << 30;
    config.max_series = n + 10;
    history::Store store(config);
    std::vector<history::LabelView> labels;
    std::vector<std::string> values(n);
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < n; ++i) {
        values[i] = std::to_string(i);
        labels = {{"__name__", i % 10 == 0 ? "requests_total" : "temperature_celsius"},
                  {"instance", "device-" + values[i].substr(0, 2)},
                  {"series", values[i]}};
        if (history::canonicalize(labels) != history::LabelError::none) return 1;
        const history::SeriesId id = store.series(labels).id;
        if (id == history::kNoSeries) return 1;
        for (int s = 0; s < 60; ++s) {
            const double v = i % 10 == 0 ? double(s * 30 + i) : double(i % 100) + s * 0.1;
            (void)store.append(id, kNow - int64_t(59 - s) * 15'000, std::bit_cast<uint64_t>(v));
        }
    }
    const auto t1 = std::chrono::steady_clock::now();
    std::printf("%zu series, 60 samples each, loaded in %.0f ms; store %.1f MiB\n", n,
                std::chrono::duration<double, std::milli>(t1 - t0).count(), double(store.bytes()) / (1 << 20));
    ui::StatusInput in;
    in.now_unix_ms = kNow;
    in.daemon.version = "bench";
    for (int f = 0; f < 100; ++f) in.files.push_back({"f", "file.rezl", "active", "", "", 10, 4096, kNow, false});
    in.files_total = 100;
    measure("/ (first page of 50)", [&](std::string& o) { ui::render_status(in, &store, {}, o); });
    measure("/?match=device-42 (a filter keeping 1,111)",
            [&](std::string& o) { ui::render_status(in, &store, {"device-42", 0, 0}, o); });
    measure("/?match=nothing&from=80000 (the last scan)",
            [&](std::string& o) { ui::render_status(in, &store, {"nothing", 0, 80'000}, o); });
    measure("/?match=nothing (a filter keeping none)",
            [&](std::string& o) { ui::render_status(in, &store, {"nothing", 0, 0}, o); });
    measure("/?page=1999 (the last page)",
            [&](std::string& o) { ui::render_status(in, &store, {"", n / ui::kSeriesRowsPerPage - 1, 0}, o); });
    measure("/ui/series range=24h", [&](std::string& o) {
        (void)ui::render_series_page(store, 0, store.generation(0), "24h", kNow, "bench", o);
    });
    return 0;
}
