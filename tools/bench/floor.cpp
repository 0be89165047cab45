// The floor: the least work any observer must do per scrape of a workload,
// measured on the real files while the producer updates them.
//
//   floor --dir D --workload 100,1000 [--seconds 2]
//
// Maps the workload's .rezl files, then repeatedly (1) copies every data
// section with memcpy into preallocated buffers, and (2) formats the same
// series mmwatch exposes (same names, labels, cumulative histogram buckets
// with sticky `le` sets) into one preallocated buffer: every series' text
// up to its value is precomputed, so per series it is one memcpy, one
// std::to_chars and a newline. No HTTP, no self-metrics, no checks. Prints
// the median copy and format times (ms) and the bytes formatted.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "scale_workload.hpp"

namespace {

using Clock = std::chrono::steady_clock;

enum class Op : uint8_t { type_line, counter, gauge, hist_bucket, hist_inf, hist_count };

// One output line: `text` is everything before the value.
struct Line {
    Op op;
    uint32_t file;
    uint32_t word;       // counter/gauge: the word; bucket: first fine bucket
    uint32_t end;        // bucket: one past the last fine bucket
    uint32_t sticky;     // bucket: bit index in the file's sticky set
    uint32_t text_off, text_len;
};

struct Plan {
    std::string text;
    std::vector<Line> lines;
    void add(Line l, const std::string& s) {
        l.text_off = uint32_t(text.size());
        l.text_len = uint32_t(s.size());
        text += s;
        lines.push_back(l);
    }
};

Plan make_plan(const bench::Workload& w, const bench::FileLayout& layout) {
    Plan p;
    const auto coarse = bench::coarse_buckets(w);
    for (unsigned e = 0; e < w.entries(); ++e) {
        const std::string name = bench::family_name(w, e);
        p.add({Op::type_line, 0, 0, 0, 0, 0, 0}, "# TYPE " + name + " " + bench::family_type(w, e) + "\n");
        for (unsigned f = 0; f < w.files; ++f) {
            const std::string label = "{name=\"" + bench::file_label(f) + "\"";
            const auto word = uint32_t(layout.word_offset[e]);
            if (e < w.metrics) {
                p.add({e < w.counters() ? Op::counter : Op::gauge, f, word, 0, 0, 0, 0}, name + label + "} ");
                continue;
            }
            const uint32_t hist_base = (e - w.metrics) * uint32_t(coarse.size());
            for (uint32_t c = 0; c < coarse.size(); ++c) {
                p.add({Op::hist_bucket, f, word + coarse[c].begin, word + coarse[c].end, hist_base + c, 0, 0},
                      name + "_bucket" + label + ",le=\"" + std::to_string(coarse[c].le) + "\"} ");
            }
            p.add({Op::hist_inf, f, 0, 0, 0, 0, 0}, name + "_bucket" + label + ",le=\"+Inf\"} ");
            p.add({Op::hist_count, f, 0, 0, 0, 0, 0}, name + "_count" + label + "} ");
        }
    }
    return p;
}

// Formats the copied values; returns the bytes written.
size_t format(const Plan& p, const std::vector<std::vector<uint64_t>>& data,
              std::vector<std::vector<uint64_t>>& sticky, char* out) {
    char* o = out;
    uint64_t cumulative = 0;
    for (const Line& l : p.lines) {
        uint64_t v = 0;
        switch (l.op) {
            case Op::type_line:
                std::memcpy(o, p.text.data() + l.text_off, l.text_len);
                o += l.text_len;
                continue;
            case Op::counter:
            case Op::gauge: v = data[l.file][l.word]; break;
            case Op::hist_bucket: {
                const uint64_t* d = data[l.file].data();
                uint64_t sum = 0;
                for (uint32_t i = l.word; i < l.end; ++i) sum += d[i];
                cumulative += sum;
                uint64_t& bits = sticky[l.file][l.sticky / 64];
                if (sum) bits |= uint64_t{1} << (l.sticky % 64);
                if (!(bits >> (l.sticky % 64) & 1)) continue;
                v = cumulative;
                break;
            }
            case Op::hist_inf: v = cumulative; break;
            case Op::hist_count:
                v = cumulative;
                cumulative = 0;  // the next histogram starts
                break;
        }
        std::memcpy(o, p.text.data() + l.text_off, l.text_len);
        o += l.text_len;
        o = l.op == Op::gauge ? std::to_chars(o, o + 24, int64_t(v)).ptr : std::to_chars(o, o + 24, v).ptr;
        *o++ = '\n';
    }
    return size_t(o - out);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir;
    bench::Workload w;
    bool have_workload = false;
    double seconds = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--dir") dir = argv[i + 1];
        else if (a == "--workload") have_workload = bench::parse_workload(argv[i + 1], w);
        else if (a == "--seconds") seconds = std::stod(argv[i + 1]);
    }
    if (dir.empty() || !have_workload) {
        std::fprintf(stderr, "usage: floor --dir D --workload F,M[,H[,G,M]] [--seconds S]\n");
        return 2;
    }
    const bench::FileLayout layout = bench::file_layout(w);
    std::vector<const uint64_t*> maps;
    for (unsigned f = 0; f < w.files; ++f) {
        const std::string path = dir + "/" + bench::file_label(f) + ".rezl";
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || ::fstat(fd, &st) != 0 || uint64_t(st.st_size) != layout.file_bytes()) {
            std::fprintf(stderr, "floor: %s missing or not the workload's size\n", path.c_str());
            return 1;
        }
        void* m = ::mmap(nullptr, layout.file_bytes(), PROT_READ, MAP_SHARED, fd, 0);
        ::close(fd);
        if (m == MAP_FAILED) return 1;
        maps.push_back(reinterpret_cast<const uint64_t*>(static_cast<const char*>(m) + layout.data_offset));
    }
    const Plan plan = make_plan(w, layout);
    std::vector<std::vector<uint64_t>> data(w.files, std::vector<uint64_t>(layout.data_words));
    std::vector<std::vector<uint64_t>> sticky(
        w.files, std::vector<uint64_t>((size_t(w.histograms) * bench::coarse_buckets(w).size() + 63) / 64 + 1));
    size_t series = 0;
    for (const Line& l : plan.lines) series += l.op != Op::type_line;
    // Worst case per line: the precomputed text, 20 digits and a newline.
    std::vector<char> out(plan.text.size() + 22 * plan.lines.size());
    std::vector<double> copy_ms, format_ms;
    size_t bytes = 0;
    const auto start = Clock::now();
    do {
        const auto t0 = Clock::now();
        for (unsigned f = 0; f < w.files; ++f) std::memcpy(data[f].data(), maps[f], layout.data_words * 8);
        const auto t1 = Clock::now();
        bytes = format(plan, data, sticky, out.data());
        const auto t2 = Clock::now();
        copy_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        format_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    } while (std::chrono::duration<double>(Clock::now() - start).count() < seconds || copy_ms.size() < 50);
    std::printf("{\"iterations\": %zu, \"series_max\": %zu, \"copy_ms\": %.4f, \"format_ms\": %.4f, "
                "\"floor_ms\": %.4f, \"bytes\": %zu}\n",
                copy_ms.size(), series, median(copy_ms), median(format_ms), median(copy_ms) + median(format_ms),
                bytes);
    return 0;
}
