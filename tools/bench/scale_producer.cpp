// The benchmark's producer: keeps one workload's values changing and
// publishes them either as .rezl files (for mmwatch) or as .prom files (for
// node_exporter's textfile collector), from the same update logic.
//
//   scale_producer --dir D --workload 100,1000 --format rezl [--rate 10]
//   scale_producer --dir D --workload 10,0,20,4,40 --format prom [--rewrite-ms 1000]
//
// rezl: each file is built under a dot-name (ready set last) and renamed into
// place, then every value is updated `--rate` times a second with one 8-byte
// store each. prom: the same updates go to memory, and every file is
// rewritten every `--rewrite-ms` as a real textfile producer would: written
// to a dot-name temp file, then renamed over the old one. Runs until SIGTERM
// or SIGINT, then removes its files. Prints "ready" on stdout once every file
// is in place.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "scale_workload.hpp"

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Rng {
    uint64_t s;
    uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    double unit() { return double(next() >> 11) * 0x1.0p-53; }
};

// A latency-like value: log-uniform-ish between 2^4 and 2^28, peaked at 2^16
// (the exponent is the mean of two uniforms), so about 190 of the exposed
// coarse buckets fill up.
uint64_t sample(Rng& r) { return uint64_t(std::exp2(4.0 + 12.0 * (r.unit() + r.unit()))); }

struct File {
    std::string label;
    uint64_t* words = nullptr;         // rezl: the mapping's data section
    std::vector<uint64_t> memory;      // prom: the values
    std::vector<uint64_t> sticky;      // prom: coarse buckets ever non-empty, per histogram
};

class Producer {
public:
    Producer(std::string dir, bench::Workload w, bool rezl)
        : dir_(std::move(dir)), w_(w), rezl_(rezl), layout_(bench::file_layout(w)),
          coarse_(bench::coarse_buckets(w)) {}

    bool start() {
        Rng rng{0x9E3779B97F4A7C15ull};
        for (unsigned k = 0; k < w_.files; ++k) {
            File f;
            f.label = bench::file_label(k);
            if (rezl_) {
                if (!publish_rezl(f)) return false;
            } else {
                f.memory.assign(layout_.data_words, 0);
                f.words = f.memory.data();
                f.sticky.assign(size_t(w_.histograms) * ((coarse_.back().coarse + 64) / 64), 0);
            }
            files_.push_back(std::move(f));
        }
        // Histograms start with history, so their bucket set is stable from
        // the first scrape on.
        for (File& f : files_) update(f, rng, 5000);
        if (!rezl_) {
            for (File& f : files_) {
                if (!write_prom(f)) return false;
            }
        }
        return true;
    }

    void run(unsigned rate_hz, unsigned rewrite_ms) {
        Rng rng{0xD1B54A32D192ED03ull};
        using clock = std::chrono::steady_clock;
        const auto period = std::chrono::microseconds(1'000'000 / rate_hz);
        auto next = clock::now() + period;
        auto next_write = clock::now() + std::chrono::milliseconds(rewrite_ms);
        while (!g_stop) {
            for (File& f : files_) update(f, rng, 20);
            if (!rezl_ && clock::now() >= next_write) {
                for (File& f : files_) (void)write_prom(f);
                next_write += std::chrono::milliseconds(rewrite_ms);
            }
            std::this_thread::sleep_until(next);
            next += period;
        }
    }

    void remove_files() {
        for (File& f : files_) ::unlink(path(f, rezl_ ? ".rezl" : ".prom").c_str());
    }

private:
    std::string path(const File& f, const char* ext, bool tmp = false) const {
        return dir_ + "/" + (tmp ? "." : "") + f.label + ext + (tmp ? ".tmp" : "");
    }

    bool publish_rezl(File& f) {
        const std::string tmp = path(f, ".rezl", true);
        const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || ::ftruncate(fd, off_t(layout_.file_bytes())) != 0) return false;
        void* m = ::mmap(nullptr, layout_.file_bytes(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ::close(fd);
        if (m == MAP_FAILED) return false;
        auto* bytes = static_cast<uint8_t*>(m);
        std::memcpy(bytes, layout_.head.data(), layout_.head.size());
        std::atomic_ref<uint8_t>(bytes[6]).store(1, std::memory_order_release);
        f.words = reinterpret_cast<uint64_t*>(bytes + layout_.data_offset);
        return ::rename(tmp.c_str(), path(f, ".rezl").c_str()) == 0;
    }

    static void store(uint64_t* p, uint64_t v) { std::atomic_ref<uint64_t>(*p).store(v, std::memory_order_relaxed); }

    void update(File& f, Rng& rng, unsigned records) {
        uint64_t* w = f.words;
        for (unsigned e = 0; e < w_.metrics; ++e) {
            uint64_t* p = w + layout_.word_offset[e];
            if (e < w_.counters()) store(p, *p + 1 + rng.next() % 16);
            else store(p, uint64_t(int64_t(rng.next() % 2001) - 1000));
        }
        for (unsigned h = 0; h < w_.histograms; ++h) {
            uint64_t* b = w + layout_.word_offset[w_.metrics + h];
            for (unsigned r = 0; r < records; ++r) {
                uint64_t* p = b + mmwatch::h2::index_of(sample(rng), w_.g, w_.m);
                store(p, *p + 1);
            }
        }
    }

    static void append_u64(std::string& out, uint64_t v) {
        char buf[24];
        out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    }

    // The text node_exporter reads: the same families and series mmwatch
    // exposes for this file (no _sum, which the mapped format does not have).
    bool write_prom(File& f) {
        std::string& out = text_;
        out.clear();
        const std::string label = "{name=\"" + f.label + "\"";
        const size_t words_per_hist = (coarse_.back().coarse + 64) / 64;
        for (unsigned e = 0; e < w_.entries(); ++e) {
            const std::string name = bench::family_name(w_, e);
            out += "# TYPE " + name + " " + bench::family_type(w_, e) + "\n";
            const uint64_t* p = f.words + layout_.word_offset[e];
            if (e < w_.metrics) {
                out += name + label + "} ";
                if (e < w_.counters()) append_u64(out, *p);
                else out += std::to_string(int64_t(*p));
                out += '\n';
                continue;
            }
            uint64_t* sticky = f.sticky.data() + size_t(e - w_.metrics) * words_per_hist;
            uint64_t cumulative = 0;
            for (const bench::CoarseBucket& c : coarse_) {
                uint64_t sum = 0;
                for (uint32_t i = c.begin; i < c.end; ++i) sum += p[i];
                cumulative += sum;
                if (sum) sticky[c.coarse / 64] |= uint64_t{1} << (c.coarse % 64);
                if (!(sticky[c.coarse / 64] >> (c.coarse % 64) & 1)) continue;
                out += name + "_bucket" + label + ",le=\"";
                append_u64(out, c.le);
                out += "\"} ";
                append_u64(out, cumulative);
                out += '\n';
            }
            out += name + "_bucket" + label + ",le=\"+Inf\"} ";
            append_u64(out, cumulative);
            out += '\n' + name + "_count" + label + "} ";
            append_u64(out, cumulative);
            out += '\n';
        }
        const std::string tmp = path(f, ".prom", true);
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return false;
        const bool ok = ::write(fd, out.data(), out.size()) == ssize_t(out.size());
        ::close(fd);
        return ok && ::rename(tmp.c_str(), path(f, ".prom").c_str()) == 0;
    }

    std::string dir_;
    bench::Workload w_;
    bool rezl_;
    bench::FileLayout layout_;
    std::vector<bench::CoarseBucket> coarse_;
    std::vector<File> files_;
    std::string text_;
};

}  // namespace

int main(int argc, char** argv) {
    std::string dir, format = "rezl";
    bench::Workload w;
    bool have_workload = false;
    unsigned rate = 10, rewrite_ms = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--dir") dir = argv[i + 1];
        else if (a == "--workload") have_workload = bench::parse_workload(argv[i + 1], w);
        else if (a == "--format") format = argv[i + 1];
        else if (a == "--rate") rate = unsigned(std::stoul(argv[i + 1]));
        else if (a == "--rewrite-ms") rewrite_ms = unsigned(std::stoul(argv[i + 1]));
    }
    if (dir.empty() || !have_workload || (format != "rezl" && format != "prom") || rate == 0 || rewrite_ms == 0) {
        std::fprintf(stderr, "usage: scale_producer --dir D --workload F,M[,H[,G,M]] --format rezl|prom "
                             "[--rate HZ] [--rewrite-ms MS]\n");
        return 2;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    Producer p(dir, w, format == "rezl");
    if (!p.start()) {
        std::perror("scale_producer");
        p.remove_files();
        return 1;
    }
    std::printf("ready\n");
    std::fflush(stdout);
    p.run(rate, rewrite_ms);
    p.remove_files();
    return 0;
}
