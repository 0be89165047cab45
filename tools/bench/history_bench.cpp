// The history store on real data: numbers, never pass/fail
// (docs/benchmarks.md, "History store"). Release build:
//
//   tools/bench/history_capture.py --seconds 1200 --out /tmp/node.rw
//   build-rel/tools/bench/history_bench /tmp/node.rw [rounds]
//
// The input is what Prometheus remote-wrote while scraping Debian's
// prometheus-node-exporter once a second (history_capture.py: a u32
// little-endian length and a snappy WriteRequest, repeated). Prints:
// 1. bytes per sample of each encoding on the same samples, by chunk
//    length: Gorilla as Prometheus writes it (the head's encoding), the
//    sealed chunk codec, and zstd over sealed pages;
// 2. the store itself: bytes per sample held (chunks only, and with
//    heads, index and strings), memory per series, zstd over its pages;
// 3. on disk: segment bytes per sample, flush CPU and its longest step, a
//    reload, reading every sample back;
// 4. ingest cost per sample, in CPU time of the thread (best of `rounds`):
//    Store::append alone (series resolved before), and the whole
//    remote-write path (snappy, protobuf, labels, lookups, appends).
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/limits.hpp"
#include "history/bits.hpp"
#include "history/chunk_codec.hpp"
#include "history/gorilla.hpp"
#include "history/remote_write.hpp"
#include "history/flush.hpp"
#include "history/iterator.hpp"
#include "history/segment_file.hpp"
#include "history/history_store.hpp"

using namespace mmwatch;
using namespace mmwatch::history;

namespace {

std::vector<std::string> read_requests(const char* path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> out;
    unsigned char len[4];
    while (in.read(reinterpret_cast<char*>(len), 4)) {
        const uint32_t n = uint32_t(len[0]) | uint32_t(len[1]) << 8 | uint32_t(len[2]) << 16 | uint32_t(len[3]) << 24;
        std::string body(n, '\0');
        if (!in.read(body.data(), n)) break;
        out.push_back(std::move(body));
    }
    return out;
}

// Every series' samples, keyed by its canonical label set; and the appends
// in arrival order as (series index, sample).
struct Collected final : WriteRequestVisitor {
    std::map<std::string, size_t> index;
    std::vector<std::vector<LabelView>> labels;   // views into `bodies`
    std::vector<std::vector<Sample>> samples;
    std::vector<std::pair<uint32_t, Sample>> order;
    std::vector<LabelView> canonical;

    void series_of(std::span<const LabelView> ls, std::span<const Sample> in) {
        canonical.assign(ls.begin(), ls.end());
        if (canonicalize(canonical) != LabelError::none) return;
        std::string key;
        for (const LabelView& l : canonical) key.append(l.name).append("=").append(l.value).append(",");
        auto [it, fresh] = index.try_emplace(key, samples.size());
        if (fresh) {
            samples.emplace_back();
            labels.push_back(canonical);
        }
        for (const Sample& x : in) {
            std::vector<Sample>& s = samples[it->second];
            if (!s.empty() && x.t <= s.back().t) continue;
            s.push_back(x);
            order.push_back({uint32_t(it->second), x});
        }
    }
    void series(std::span<const LabelView> ls, std::span<const Sample> in, uint32_t) override { series_of(ls, in); }
};

// CPU time of this thread: the machine is shared, and wall time would count
// the other processes' turns too.
double cpu_seconds() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// Bytes per sample of each encoding with chunks cut at the same moments
// in every series (every `n` samples from the capture's start, as the
// store's aligned windows do): Gorilla; the sealed codec, its times part
// repeated in every chunk and kept once per distinct times part; zstd over
// the sealed chunks.
void codecs(const Collected& c, size_t total, size_t n) {
    size_t gorilla = 0, values = 0, times = 0, times_once = 0;
    std::set<std::string> distinct;
    std::string all_sealed;
    for (const auto& s : c.samples) {
        for (size_t i = 0; i < s.size(); i += n) {
            const size_t k = std::min(n, s.size() - i);
            BitWriter w;
            GorillaState st;
            for (size_t j = 0; j < k; ++j) gorilla_append(w, st, s[i + j].t, s[i + j].bits);
            gorilla += w.byte_size();
            std::string t, v;
            encode_times(std::span(s).subspan(i, k), t);
            encode_values(std::span(s).subspan(i, k), v);
            times += t.size();
            values += v.size();
            if (distinct.insert(t).second) times_once += t.size();
            all_sealed += t;
            all_sealed += v;
        }
    }
    std::string z(ZSTD_compressBound(all_sealed.size()), '\0');
    const size_t z3 = ZSTD_compress(z.data(), z.size(), all_sealed.data(), all_sealed.size(), 3);
    const double d = double(total);
    std::printf("  %5zu | %7.3f | %7.3f %7.3f | %7.3f | %7.3f\n", n, double(gorilla) / d, double(times) / d,
                double(values) / d, double(times_once + values) / d, double(z3) / d);
}


// Sizes in the store after every sample went in: what the raw chunks
// take (each distinct times part counted once), and zstd over its pages as
// a cold tier would compress them.
struct Held {
    uint64_t payload = 0;       // chunk bytes (values part + times id) and distinct times parts
    uint64_t page_bytes = 0;    // raw pages as allocated
    uint64_t zstd_pages = 0;    // each raw page compressed alone
    uint64_t chunks = 0;
};

Held held(const Store& store, size_t series) {
    Held h;
    std::set<uint64_t> times;
    for (SeriesId id = 0; id < series; ++id) {
        for (const ChunkRef& ref : store.at(id).chunks[0].live()) {
            const std::string_view chunk = store.pages(Tier::raw).chunk(ref);
            size_t pos = 0;
            uint64_t times_id = 0;
            (void)get_varint(chunk, pos, times_id);
            h.payload += chunk.size();
            if (times.insert(times_id).second) h.payload += store.times(uint32_t(times_id)).size();
            ++h.chunks;
        }
    }
    const PageLog& pages = store.pages(Tier::raw);
    h.page_bytes = pages.memory_bytes();
    std::string z;
    for (uint32_t seq = pages.oldest_seq(); pages.holds(seq); ++seq) {
        const std::string_view bytes = pages.page_bytes(seq);
        z.resize(ZSTD_compressBound(bytes.size()));
        h.zstd_pages += ZSTD_compress(z.data(), z.size(), bytes.data(), bytes.size(), 3);
    }
    return h;
}

// A store large enough never to evict; the capture's series in it.
StoreConfig roomy() {
    StoreConfig config;
    config.max_bytes = 1ull << 30;
    return config;
}

std::vector<SeriesId> add_series(Store& store, const Collected& c) {
    std::vector<SeriesId> ids;
    for (const auto& ls : c.labels) ids.push_back(store.series(ls).id);
    return ids;
}

// Every sample into `store`, in arrival order; the thread CPU seconds it took.
double append_all(Store& store, const Collected& c, const std::vector<SeriesId>& ids) {
    const double t0 = cpu_seconds();
    for (const auto& [i, x] : c.order) store.append(ids[i], x.t, x.bits);
    return cpu_seconds() - t0;
}

void report_store(const Collected& c, size_t total) {
    Store store(roomy());
    const std::vector<SeriesId> ids = add_series(store, c);
    append_all(store, c, ids);
    const StoreStats open = store.stats();
    const Held before = held(store, ids.size());
    const double d = double(total), n = double(ids.size());
    std::printf("\nstore, every sample in, heads open (as a running daemon holds it):\n");
    std::printf("  raw chunks        %.3f bytes/sample (%llu chunks; samples in them %llu of %zu)\n",
                double(before.payload) / double(store.pages(Tier::raw).samples()), (unsigned long long)before.chunks,
                (unsigned long long)store.pages(Tier::raw).samples(), total);
    std::printf("  raw tier memory   %llu bytes: pages %llu, heads and chunk lists %llu (%.0f per series)\n",
                (unsigned long long)open.bytes[0], (unsigned long long)before.page_bytes,
                (unsigned long long)(open.bytes[0] - before.page_bytes),
                double(open.bytes[0] - before.page_bytes) / n);
    std::printf("  1m tier           %llu rows, %llu bytes; 1h tier %llu rows, %llu bytes\n",
                (unsigned long long)open.samples[1], (unsigned long long)open.bytes[1],
                (unsigned long long)open.samples[2], (unsigned long long)open.bytes[2]);
    std::printf("  index             %llu bytes (%.0f per series: series, tier state, labels, postings)\n",
                (unsigned long long)open.index_bytes, double(open.index_bytes) / n);
    std::printf("  everything        %llu bytes, %.3f bytes/sample\n", (unsigned long long)open.total_bytes,
                double(open.total_bytes) / d);
    store.seal_all();
    const Held after = held(store, ids.size());
    std::printf("store, every head sealed:\n");
    std::printf("  raw chunks        %.3f bytes/sample (%llu bytes: the figure to set beside VictoriaMetrics' "
                "vm_data_size_bytes / vm_rows)\n",
                double(after.payload) / d, (unsigned long long)after.payload);
    std::printf("  raw pages         %.3f bytes/sample as allocated; zstd -3 of each page alone %.3f\n",
                double(after.page_bytes) / d, double(after.zstd_pages) / d);
}

// A flush of everything to a directory, in steps of base::kHistoryFlushStepSamples: bytes on
// disk, CPU per sample, the longest step; then a reload.
void report_disk(const Collected& c, size_t total) {
    Store store(roomy());
    const std::vector<SeriesId> ids = add_series(store, c);
    append_all(store, c, ids);
    char tmpl[] = "/tmp/history-bench-XXXXXX";
    const std::string dir_path = mkdtemp(tmpl);
    std::string error;
    auto dir = SegmentDir::open(dir_path, UINT64_MAX, error);
    FlushBuilder builder;
    if (dir->begin_flush()) builder.new_segment();
    builder.begin(store, 0);
    std::string out;
    double longest = 0, flush_cpu = 0;
    for (bool done = false; !done;) {
        const double t0 = cpu_seconds();
        done = builder.step(store, SIZE_MAX, base::kHistoryFlushStepSamples, out, 0);
        const double step = cpu_seconds() - t0;
        longest = std::max(longest, step);
        flush_cpu += step;
    }
    for (size_t at = 0; at < out.size();) at += dir->write_some(std::string_view(out).substr(at), base::kHistoryIoStepBytes);
    dir->end_flush();
    std::printf("\ndisk, one flush of everything (steps of %zu samples):\n", base::kHistoryFlushStepSamples);
    std::printf("  segment bytes     %.3f bytes/sample (%llu bytes, zstd -3 records)\n",
                double(dir->bytes()) / double(total), (unsigned long long)dir->bytes());
    std::printf("  flush CPU         %.1f ns/sample; longest step %.2f ms\n", flush_cpu * 1e9 / double(total),
                longest * 1e3);
    Store again(roomy());
    Loader loader(again, 0);
    const double t0 = cpu_seconds();
    for (const std::string& p : dir->paths()) {
        SegmentReader r;
        if (!r.open(p)) continue;
        loader.begin_segment();
        while (r.step(loader, base::kHistoryIoStepBytes)) {
        }
    }
    const double load = cpu_seconds() - t0;
    std::printf("  reload            %.1f ns/sample (%llu samples, %llu rows)\n",
                load * 1e9 / double(loader.counters().samples), (unsigned long long)loader.counters().samples,
                (unsigned long long)loader.counters().rows);
    uint64_t read = 0;
    const double r0 = cpu_seconds();
    for (const SeriesId id : ids) {
        SampleIterator it = again.samples(id, INT64_MIN, INT64_MAX);
        while (it.next()) ++read;
    }
    std::printf("  read back         %.1f ns/sample (every series, SampleIterator, %llu samples)\n",
                (cpu_seconds() - r0) * 1e9 / double(read), (unsigned long long)read);
    for (const std::string& p : dir->paths()) ::unlink(p.c_str());
    ::rmdir(dir_path.c_str());
}

void report_ingest(const Collected& c, const std::vector<std::string>& requests, size_t total, int rounds) {
    double best_append = 1e9, best_rw = 1e9;
    for (int round = 0; round < rounds; ++round) {
        Store store(roomy());
        best_append = std::min(best_append, append_all(store, c, add_series(store, c)) * 1e9 / double(total));
    }
    WriteScratch scratch;
    for (int round = 0; round < rounds; ++round) {
        Store store(roomy());
        const WriteLimits limits{64 << 20, 1 << 20};
        const double t0 = cpu_seconds();
        uint64_t appended = 0;
        for (const std::string& r : requests) appended += receive_write_request(r, limits, store, scratch).appended;
        best_rw = std::min(best_rw, (cpu_seconds() - t0) * 1e9 / double(appended));
    }
    std::printf("\ningest, thread CPU time, best of %d:\n", rounds);
    std::printf("  Store::append     %.1f ns/sample (series resolved before)\n", best_append);
    std::printf("  remote write      %.1f ns/sample (snappy, protobuf, labels, lookups, appends)\n", best_rw);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: history_bench CAPTURE.rw [rounds]\n");
        return 2;
    }
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
    const auto requests = read_requests(argv[1]);
    Collected c;
    WriteScratch scratch;
    std::vector<std::string> bodies;
    for (const std::string& r : requests) {
        bodies.emplace_back();
        if (snappy_uncompress_bounded(r, 64 << 20, bodies.back()) != WriteError::none) return 1;
        if (walk_write_request(bodies.back(), 1 << 20, scratch, c) != WriteError::none) return 1;
    }
    const size_t total = c.order.size();
    int64_t mint = INT64_MAX, maxt = INT64_MIN;
    for (const auto& s : c.samples) {
        mint = std::min(mint, s.front().t);
        maxt = std::max(maxt, s.back().t);
    }
    std::printf("capture: %zu requests, %zu series, %zu samples, %.0f s\n\n", requests.size(), c.samples.size(), total,
                double(maxt - mint) / 1000);
    std::printf("bytes per sample by encoding (chunks of n samples, cut at the same moments in every series)\n");
    std::printf("  n     | gorilla | times   values  | times once + values | zstd -3 of times and values\n");
    for (size_t n : {120, 480, 1024, 4096}) codecs(c, total, n);
    report_store(c, total);
    report_disk(c, total);
    report_ingest(c, requests, total, rounds);
    return 0;
}
