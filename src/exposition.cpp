// Renders file metrics as Prometheus text. The plan (families, series,
// escaped labels) is rebuilt only when the set of files changes; a render
// is then one pass of integer formatting over the snapshots.
#include "exposition.hpp"

#include <charconv>

#include "mmwatch/h2.hpp"

namespace mmwatch::expo {

namespace {

bool name_char(char c, bool first) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
}

// Length of the UTF-8 sequence starting at s[i] if valid, else 0.
size_t utf8_sequence(std::string_view s, size_t i) noexcept {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    return rezl::valid_utf8(s.substr(i, n)) ? n : 0;
}

void append_u64(std::string& out, uint64_t v) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void append_i64(std::string& out, int64_t v) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void append_type_line(std::string& out, std::string_view name, rezl::MetricType t) {
    out += "# TYPE ";
    out += name;
    out += ' ';
    out += rezl::type_name(t);
    out += '\n';
}

}  // namespace

void append_sanitized_name(std::string_view raw, std::string& out) {
    if (!raw.empty() && raw[0] >= '0' && raw[0] <= '9') out += '_';
    for (size_t i = 0; i < raw.size();) {
        const char c = raw[i];
        if (name_char(c, false)) {
            out += c;
            ++i;
            continue;
        }
        out += '_';
        const size_t n = utf8_sequence(raw, i);
        i += n ? n : 1;
    }
}

void append_escaped_label_value(std::string_view raw, std::string& out) {
    for (size_t i = 0; i < raw.size();) {
        const char c = raw[i];
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else if (static_cast<unsigned char>(c) < 0x80) out += c;
        else {
            const size_t n = utf8_sequence(raw, i);
            if (n) out.append(raw.substr(i, n));
            else out += "\xEF\xBF\xBD";
            i += n ? n : 1;
            continue;
        }
        ++i;
    }
}

std::string exposed_name(const rezl::Metric& m) {
    std::string name;
    name.reserve(m.name.size() + 7);
    append_sanitized_name(m.name, name);
    if (m.type == rezl::MetricType::counter &&
        !(name.size() >= 6 && std::string_view(name).substr(name.size() - 6) == "_total")) {
        name += "_total";
    }
    return name;
}

void FilePlan::note_drop(DropKind kind, const FileView& f, uint32_t metric, std::string detail) {
    if (!reported_.insert(f.source_id << 11 | metric).second) return;
    new_drops_.push_back({kind, f.source_id, std::string(f.label), f.layout->metrics[metric].name, std::move(detail)});
}

void FilePlan::forget_source(uint64_t source_id) {
    for (uint32_t m = 0; m < rezl::kMaxMetrics; ++m) reported_.erase(source_id << 11 | m);
}

bool FilePlan::has_family(std::string_view name) const {
    return claims_.find(std::string(name)) != claims_.end();
}

void FilePlan::rebuild(std::span<const FileView> files, const std::unordered_set<std::string>& reserved,
                       size_t max_series) {
    families_.clear();
    claims_.clear();
    file_labels_.clear();
    series_count_ = 0;
    static constexpr std::string_view kHistogramSuffixes[] = {"_bucket", "_count", "_sum"};
    std::unordered_map<std::string, uint32_t> label_owner;  // escaped label -> file
    for (uint32_t fi = 0; fi < files.size(); ++fi) {
        const FileView& f = files[fi];
        std::string label = "{name=\"";
        append_escaped_label_value(f.label, label);
        label += '"';
        file_labels_.push_back(label);
        const bool label_taken = !label_owner.emplace(label, fi).second;
        for (uint32_t mi = 0; mi < f.layout->metrics.size(); ++mi) {
            const rezl::Metric& m = f.layout->metrics[mi];
            std::string name = exposed_name(m);
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
                // A histogram also claims its sample names, so no other family
                // can emit a colliding x_count or x_bucket.
                const bool hist = m.type == rezl::MetricType::histogram;
                bool collides = false;
                for (auto sfx : kHistogramSuffixes) {
                    if (hist && claims_.count(name + std::string(sfx))) collides = true;
                }
                if (collides) {
                    note_drop(DropKind::type_conflict, f, mi, "histogram sample names collide with another family: " + name);
                    continue;
                }
                const auto idx = uint32_t(families_.size());
                families_.push_back({name, m.type, {}});
                claims_.emplace(name, idx);
                for (auto sfx : kHistogramSuffixes) {
                    if (hist) claims_.emplace(name + std::string(sfx), idx);
                }
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
            fam.series.push_back({fi, mi});
            ++series_count_;
        }
    }
}

void FilePlan::render_histogram(const Family& fam, const Series& s, const FileView& f, unsigned grouping_power,
                                std::string& out) const {
    const rezl::Metric& m = f.layout->metrics[s.metric];
    const unsigned g = m.grouping_power, mp = m.max_power;
    const unsigned cg = grouping_power < g ? grouping_power : g;
    const uint64_t base = (m.data_offset - f.layout->data_offset) / 8;
    const auto buckets = f.words.subspan(base, m.words);
    auto& sticky = (*f.sticky)[s.metric];
    if (sticky.empty()) sticky.assign((h2::bucket_count(cg, mp) + 63) / 64, 0);
    const std::string& label = file_labels_[s.file];
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
        if (!(word >> (ci % 64) & 1)) continue;
        out += fam.name;
        out += "_bucket";
        out += label;
        out += ",le=\"";
        append_u64(out, upper);
        out += "\"} ";
        append_u64(out, cumulative);
        out += '\n';
    }
    out += fam.name;
    out += "_bucket";
    out += label;
    out += ",le=\"+Inf\"} ";
    append_u64(out, cumulative);
    out += '\n';
    out += fam.name;
    out += "_count";
    out += label;
    out += "} ";
    append_u64(out, cumulative);
    out += '\n';
}

bool FilePlan::render(std::span<const FileView> files, unsigned grouping_power, std::string& out,
                      size_t max_bytes) const {
    for (const Family& fam : families_) {
        if (fam.series.empty()) continue;
        if (out.size() >= max_bytes) return false;
        append_type_line(out, fam.name, fam.type);
        for (const Series& s : fam.series) {
            const FileView& f = files[s.file];
            if (fam.type == rezl::MetricType::histogram) {
                render_histogram(fam, s, f, grouping_power, out);
                continue;
            }
            const uint64_t word = f.words[(f.layout->metrics[s.metric].data_offset - f.layout->data_offset) / 8];
            out += fam.name;
            out += file_labels_[s.file];
            out += "} ";
            if (fam.type == rezl::MetricType::gauge) append_i64(out, int64_t(word));
            else append_u64(out, word);
            out += '\n';
        }
    }
    return true;
}

}  // namespace mmwatch::expo
