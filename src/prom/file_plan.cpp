// Renders file metrics as Prometheus text. The plan (families, series,
// escaped labels) is rebuilt only when the set of files changes; a render
// is then one pass of integer formatting over the snapshots.
#include "prom/file_plan.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "base/names.hpp"
#include "base/utf8.hpp"
#include "mmwatch/h2.hpp"
#include "prom/text.hpp"
#include "prom/writer.hpp"

namespace mmwatch::prom {

namespace {

char* put(char* p, std::string_view s) noexcept {
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
}

// Room for a u64 or i64 in decimal.
constexpr size_t kMaxDigits = 20;

}  // namespace

// Writes lines through a raw pointer into room made a block at a time: one
// bounds check per line instead of one capacity check and one memcpy call
// per piece (std::string's +=), which was most of a render. At most one
// block of zero-filled slack, trimmed when the writer goes away.
class LineWriter {
public:
    explicit LineWriter(std::string& out) : out_(out), p_(out.data() + out.size()), end_(p_) {}
    LineWriter(const LineWriter&) = delete;
    LineWriter& operator=(const LineWriter&) = delete;
    ~LineWriter() { out_.resize(size()); }

    // Where a line of at most `bytes` starts; pass its end to done().
    char* line(size_t bytes) {
        if (size_t(end_ - p_) < bytes) {
            const size_t used = size();
            out_.resize(used + std::max(bytes, kBlockBytes));
            p_ = out_.data() + used;
            end_ = out_.data() + out_.size();
        }
        return p_;
    }
    void done(char* end) noexcept { p_ = end; }
    [[nodiscard]] size_t size() const noexcept { return size_t(p_ - out_.data()); }

private:
    static constexpr size_t kBlockBytes = 64 * 1024;
    std::string& out_;
    char* p_;
    char* end_;
};

void append_sanitized_name(std::string_view raw, std::string& out) {
    if (!raw.empty() && raw[0] >= '0' && raw[0] <= '9') out += '_';
    for (size_t i = 0; i < raw.size();) {
        const char c = raw[i];
        if (base::metric_name_char(c, false)) {
            out += c;
            ++i;
            continue;
        }
        out += '_';
        const size_t n = base::utf8::sequence_length(raw, i);
        i += n ? n : 1;
    }
}

std::string exposed_name(std::string_view raw, rezl::MetricType type) {
    std::string name;
    name.reserve(raw.size() + 7);
    append_sanitized_name(raw, name);
    if (type == rezl::MetricType::counter &&
        !(name.size() >= 6 && std::string_view(name).substr(name.size() - 6) == "_total")) {
        name += "_total";
    }
    return name;
}

std::vector<std::string> other_sample_names(const std::string& name, rezl::MetricType type) {
    std::vector<std::string> out;
    if (type == rezl::MetricType::histogram) {
        for (std::string_view sfx : {"_bucket", "_count", "_sum"}) out.push_back(name + std::string(sfx));
    }
    if (type == rezl::MetricType::counter && name.ends_with("_total")) {
        const std::string base = name.substr(0, name.size() - 6);
        out.push_back(base);
        out.push_back(base + "_created");
    }
    return out;
}

void FilePlan::note_drop(DropKind kind, const FileView& f, uint32_t metric, std::string detail) {
    if (!reported_.insert(key(f.source_id, metric)).second) return;
    new_drops_.push_back({kind, f.source_id, std::string(f.label), std::string(f.layout->name(f.layout->metrics[metric])),
                          std::move(detail)});
}

void FilePlan::forget_source(uint64_t source_id) {
    for (uint32_t m = 0; m < rezl::kMaxMetrics; ++m) {
        reported_.erase(key(source_id, m));
        sticky_.erase(key(source_id, m));
    }
}

bool FilePlan::has_family(std::string_view name) const {
    return claims_.find(std::string(name)) != claims_.end();
}

void FilePlan::rebuild(std::span<const FileView> files, const std::unordered_set<std::string>& reserved,
                       size_t max_series) {
    families_.clear();
    claims_.clear();
    file_labels_.clear();
    max_label_bytes_ = 0;
    series_count_ = 0;
    std::unordered_map<std::string, uint32_t> label_owner;  // escaped label -> file
    for (uint32_t fi = 0; fi < files.size(); ++fi) {
        const FileView& f = files[fi];
        std::string label = "{name=\"";
        append_label_value(label, f.label);
        label += '"';
        max_label_bytes_ = std::max(max_label_bytes_, label.size());
        file_labels_.push_back(label);
        const bool label_taken = !label_owner.emplace(label, fi).second;
        for (uint32_t mi = 0; mi < f.layout->metrics.size(); ++mi) {
            const rezl::Metric& m = f.layout->metrics[mi];
            std::string name = exposed_name(f.layout->name(m), m.type);
            if (label_taken) {
                note_drop(DropKind::duplicate_series, f, mi, "another file has the same name label");
                continue;
            }
            if (reserved.count(name)) {
                note_drop(DropKind::type_conflict, f, mi, "name is reserved for mmwatch's own metrics: " + name);
                continue;
            }
            auto it = claims_.find(name);
            if (it == claims_.end()) {
                // A family also claims every other sample name it writes, so
                // no other family can emit a colliding x_count or x_bucket,
                // nor, for a counter, the x and x_created of OpenMetrics.
                const std::vector<std::string> others = other_sample_names(name, m.type);
                const bool collides = std::any_of(others.begin(), others.end(),
                                                  [&](const std::string& n) { return claims_.count(n) > 0; });
                if (collides) {
                    note_drop(DropKind::type_conflict, f, mi,
                              std::string(rezl::type_name(m.type)) + " sample names collide with another family: " + name);
                    continue;
                }
                const auto idx = uint32_t(families_.size());
                families_.push_back({name, m.type, {}});
                claims_.emplace(name, idx);
                for (const std::string& n : others) claims_.emplace(n, idx);
                it = claims_.find(name);
            }
            Family& fam = families_[it->second];
            if (fam.name != name || fam.type != m.type) {
                note_drop(DropKind::type_conflict, f, mi,
                          std::string(rezl::type_name(m.type)) + " " + name + " conflicts with the " +
                              std::string(rezl::type_name(fam.type)) + " family " + fam.name);
                continue;
            }
            if (!fam.series.empty() && fam.series.back().file == fi) {
                note_drop(DropKind::duplicate_series, f, mi, "the file declares " + name + " more than once");
                continue;
            }
            if (series_count_ >= max_series) {
                note_drop(DropKind::series_limit, f, mi, "over --max-series");
                continue;
            }
            Sticky* sticky = nullptr;
            if (m.type == rezl::MetricType::histogram) {
                sticky = &sticky_[key(f.source_id, mi)];
                if (sticky->activation != f.activation) *sticky = {f.activation, {}};
            }
            fam.series.push_back({fi, mi, sticky});
            ++series_count_;
        }
    }
}

template <typename Emit>
uint64_t FilePlan::walk_histogram(const Series& s, const FileView& f, unsigned grouping_power, Emit emit) const {
    const rezl::Metric& m = f.layout->metrics[s.metric];
    const unsigned g = m.grouping_power, mp = m.max_power;
    const unsigned cg = grouping_power < g ? grouping_power : g;
    const auto buckets = f.words.subspan(m.word, m.words);
    auto& sticky = s.sticky->bits;
    if (sticky.empty()) sticky.assign((h2::bucket_count(cg, mp) + 63) / 64, 0);
    uint64_t cumulative = 0;
    // Fine buckets map to coarse ones monotonically: accumulate a coarse
    // bucket's count until its index changes, then emit it.
    for (uint64_t i = 0; i < buckets.size();) {
        const uint64_t ci = h2::index_of(h2::lower_bound(i, g), cg, mp);
        const uint64_t upper = h2::upper_bound(ci, cg, mp);
        uint64_t sum = 0;
        for (; i < buckets.size() && h2::lower_bound(i, g) <= upper; ++i) sum += buckets[i];
        cumulative += sum;
        uint64_t& word = sticky[ci / 64];
        if (sum) word |= uint64_t{1} << (ci % 64);
        if (word >> (ci % 64) & 1) emit(upper, cumulative);
    }
    return cumulative;
}

void FilePlan::render_histogram(const Family& fam, const Series& s, const FileView& f, unsigned grouping_power,
                                bool openmetrics, LineWriter& out) const {
    const std::string& label = file_labels_[s.file];
    // name, "_bucket", label, ",le=\"", bound, "\"} ", count, '\n'
    const size_t line_bytes = fam.name.size() + 7 + label.size() + 5 + kMaxDigits + 3 + kMaxDigits + 1;
    const uint64_t total = walk_histogram(s, f, grouping_power, [&](uint64_t upper, uint64_t cumulative) {
        char* p = out.line(line_bytes);
        p = put(p, fam.name);
        p = put(p, "_bucket");
        p = put(p, label);
        p = put(p, ",le=\"");
        p = std::to_chars(p, p + kMaxDigits, upper).ptr;
        p = put(p, "\"} ");
        p = std::to_chars(p, p + kMaxDigits, cumulative).ptr;
        *p++ = '\n';
        out.done(p);
    });
    char* p = out.line(2 * line_bytes);
    p = put(p, fam.name);
    p = put(p, "_bucket");
    p = put(p, label);
    p = put(p, ",le=\"+Inf\"} ");
    p = std::to_chars(p, p + kMaxDigits, total).ptr;
    *p++ = '\n';
    // OpenMetrics allows _count only beside a _sum, which H2 files do not
    // keep: there the +Inf bucket alone carries the count.
    if (openmetrics) {
        out.done(p);
        return;
    }
    p = put(p, fam.name);
    p = put(p, "_count");
    p = put(p, label);
    p = put(p, "} ");
    p = std::to_chars(p, p + kMaxDigits, total).ptr;
    *p++ = '\n';
    out.done(p);
}

bool FilePlan::render(std::span<const FileView> files, unsigned grouping_power, std::string& text,
                      size_t max_bytes, bool openmetrics) {
    LineWriter out(text);
    for (const Family& fam : families_) {
        if (fam.series.empty()) continue;
        if (out.size() >= max_bytes) return false;
        const std::string_view type = rezl::type_name(fam.type);
        // OpenMetrics names a counter's family without its _total.
        std::string_view family = fam.name;
        if (openmetrics && fam.type == rezl::MetricType::counter && family.ends_with("_total"))
            family.remove_suffix(6);
        char* p = out.line(7 + fam.name.size() + 1 + type.size() + 1);
        p = put(p, "# TYPE ");
        p = put(p, family);
        *p++ = ' ';
        p = put(p, type);
        *p++ = '\n';
        out.done(p);
        if (fam.type == rezl::MetricType::histogram) {
            for (const Series& s : fam.series) render_histogram(fam, s, files[s.file], grouping_power, openmetrics, out);
            continue;
        }
        // name, label, "} ", value, '\n'
        const size_t line_bytes = fam.name.size() + max_label_bytes_ + 2 + kMaxDigits + 1;
        for (const Series& s : fam.series) {
            const FileView& f = files[s.file];
            const uint64_t word = f.words[f.layout->metrics[s.metric].word];
            p = out.line(line_bytes);
            p = put(p, fam.name);
            p = put(p, file_labels_[s.file]);
            *p++ = '}';
            *p++ = ' ';
            p = fam.type == rezl::MetricType::gauge ? std::to_chars(p, p + kMaxDigits, int64_t(word)).ptr
                                                    : std::to_chars(p, p + kMaxDigits, word).ptr;
            *p++ = '\n';
            out.done(p);
        }
    }
    return true;
}

bool FilePlan::render(std::span<const FileView> files, unsigned grouping_power, Writer& w, size_t max_bytes,
                      RenderCursor& at, size_t budget_samples) {
    // Every series here is distinct: one per family and file, the file
    // labels unique, no sample name in two families (rebuild()), and a
    // histogram's coarse bounds distinct as doubles too (buckets at the
    // top are 2^32 or more wide for any valid grouping power, doubles there
    // 2^11 apart). The writer is told for as long as this slice writes.
    struct Distinct {
        Writer& w;
        explicit Distinct(Writer& writer) : w(writer) { w.distinct_series(true); }
        ~Distinct() { w.distinct_series(false); }
        Distinct(const Distinct&) = delete;
        Distinct& operator=(const Distinct&) = delete;
    } distinct(w);
    std::vector<std::string> labels(files.size());
    for (size_t i = 0; i < files.size(); ++i) w.label(labels[i], "name", files[i].label);
    size_t written = 0;
    for (; at.family < families_.size(); ++at.family, at.series = 0) {
        const Family& fam = families_[at.family];
        if (fam.series.empty()) continue;
        const Kind kind = fam.type == rezl::MetricType::counter     ? Kind::counter
                          : fam.type == rezl::MetricType::histogram ? Kind::histogram
                                                                    : Kind::gauge;
        if (at.series == 0) {  // a family's head goes with its first series, in one slice
            if (written >= budget_samples) return true;
            if (w.size() >= max_bytes) return false;
            w.family(fam.name, kind, {});
        }
        for (; at.series < fam.series.size(); ++at.series) {
            if (written >= budget_samples) return true;
            const Series& s = fam.series[at.series];
            const FileView& f = files[s.file];
            w.metric(labels[s.file]);
            if (kind == Kind::histogram) {
                const uint64_t total = walk_histogram(s, f, grouping_power, [&](uint64_t upper, uint64_t cumulative) {
                    w.bucket(double(upper), double(cumulative));
                    ++written;
                });
                w.bucket(HUGE_VAL, double(total));  // protobuf leaves it implied
                // OpenMetrics has no _count without _sum (H2 keeps no sum).
                if (w.format() != Format::openmetrics) w.count(double(total));
                written += 2;
                continue;
            }
            const uint64_t word = f.words[f.layout->metrics[s.metric].word];
            w.value(kind == Kind::gauge ? double(int64_t(word)) : double(word));
            ++written;
        }
    }
    return true;
}

}  // namespace mmwatch::prom
