// Writes the seed corpora of fuzz_history_segment (segments as a flush
// writes them: series, tier and raw records of random series with odd
// values, some records compressed) and fuzz_history_write (WriteRequest
// protobufs, written here with protozero's writer, independently of the
// decoder). Run by hand after a format change:
//   build-fuzz/tests/fuzz/make_history_seeds tests/fuzz/corpus
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include <protozero/pbf_writer.hpp>

#include "history/flush.hpp"
#include "history/segment.hpp"
#include "history/history_store.hpp"
#include "support/history_samples.hpp"

using namespace mmwatch;
using namespace mmwatch::history;

namespace {

void write(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

// The same records as fuzz_history_segment's framed form: an odd first
// byte, then [type][u16 length][body] with bodies uncompressed.
std::string unframed(std::string_view segment) {
    std::string out(1, '\x01');
    std::string scratch;
    while (!segment.empty()) {
        const Scan s = scan_record(segment);
        if (s.status != ScanStatus::record) break;
        std::string_view body;
        if (record_body(s, scratch, body) && body.size() < 65536) {
            out.push_back(char(s.type & ~kCompressedFlag));
            out.push_back(char(body.size() & 0xff));
            out.push_back(char(body.size() >> 8));
            out.append(body);
        }
        segment.remove_prefix(s.consumed);
    }
    return out;
}

std::string segment(uint64_t seed, size_t series, size_t samples, int64_t step) {
    std::mt19937_64 rng(seed);
    StoreConfig config;
    Store store(config);
    FlushBuilder builder;
    std::string out;
    for (size_t i = 0; i < series; ++i) {
        const std::string name = "m_" + std::to_string(i);
        std::vector<LabelView> labels = {{"__name__", name}, {"job", "j"}};
        (void)canonicalize(labels);
        const SeriesId id = store.series(labels).id;
        int64_t t = 1'700'000'000'000;
        for (size_t k = 0; k < samples; ++k, t += step) {
            uint64_t bits = value_bits(double(k % 7) + 0.25 * double(i));
            if (rng() % 20 == 0) bits = test::odd_value(rng);
            store.append(id, t, bits);
        }
    }
    builder.begin(store, 0);
    while (!builder.step(store, 3, SIZE_MAX, out, 0)) {
    }
    return out;
}

std::string write_request(uint64_t seed, size_t series, size_t samples) {
    std::mt19937_64 rng(seed);
    std::string out;
    protozero::pbf_writer req(out);
    for (size_t i = 0; i < series; ++i) {
        protozero::pbf_writer ts(req, 1);
        for (const auto& [n, v] : {std::pair<std::string, std::string>{"__name__", "metric_" + std::to_string(i)},
                                   {"instance", "127.0.0.1:9100"}, {"job", "node"}}) {
            protozero::pbf_writer l(ts, 1);
            l.add_string(1, n);
            l.add_string(2, v);
        }
        for (size_t k = 0; k < samples; ++k) {
            protozero::pbf_writer s(ts, 2);
            s.add_double(1, rng() % 10 == 0 ? std::bit_cast<double>(test::odd_value(rng)) : double(k));
            s.add_int64(2, 1'700'000'000'000 + int64_t(k) * 15'000);
        }
    }
    protozero::pbf_writer meta(req, 3);  // metadata, skipped
    meta.add_string(2, "metric_0");
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_history_seeds CORPUS_DIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    const std::string few = segment(1, 3, 40, 15'000), hours = segment(2, 2, 400, 60'000),
                      second = segment(3, 5, 300, 1'000);
    write(dir + "/fuzz_history_segment/few_series", few);
    write(dir + "/fuzz_history_segment/hours_of_rows", hours);
    write(dir + "/fuzz_history_segment/one_second", second);
    write(dir + "/fuzz_history_segment/few_series_framed", unframed(few));
    write(dir + "/fuzz_history_segment/hours_of_rows_framed", unframed(hours));
    write(dir + "/fuzz_history_segment/one_second_framed", unframed(second));
    write(dir + "/fuzz_history_write/one_sample_each", write_request(4, 6, 1));
    write(dir + "/fuzz_history_write/many_samples", write_request(5, 2, 60));
    return 0;
}
