// A series' label set as the engine carries it: immutable, shared by
// reference count (one thread), sorted by name, with empty values dropped.
// The bytes are Prometheus's own label encoding (each string prefixed by
// its length: one byte below 255, else 0xFF and three bytes little endian)
// so that hash() is the very xxhash64 Prometheus computes: limit_ratio
// samples series by that hash and must pick the same ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mmwatch::promql {

inline constexpr std::string_view kMetricNameLabel = "__name__";
inline constexpr std::string_view kBucketLabel = "le";

// __name__, __type__ and __unit__: dropped together whenever an operation
// changes what the value means (Prometheus's schema.IsMetadataLabel).
[[nodiscard]] bool is_metadata_label(std::string_view name) noexcept;

struct Label {
    std::string_view name;
    std::string_view value;
};

class Labels {
public:
    Labels() noexcept = default;
    Labels(const Labels& o) noexcept : rep_(o.rep_) { retain(); }
    Labels(Labels&& o) noexcept : rep_(std::exchange(o.rep_, nullptr)) {}
    Labels& operator=(const Labels& o) noexcept;
    Labels& operator=(Labels&& o) noexcept;
    ~Labels() { release(); }

    // From pairs in any order; empty values are dropped, a repeated name
    // keeps its last value.
    [[nodiscard]] static Labels from_pairs(std::vector<std::pair<std::string, std::string>> pairs);

    class Iterator {
    public:
        explicit Iterator(const char* p) noexcept : p_(p) {}
        [[nodiscard]] Label operator*() const noexcept;
        Iterator& operator++() noexcept;
        [[nodiscard]] bool operator!=(const Iterator& o) const noexcept { return p_ != o.p_; }
    private:
        const char* p_;
    };
    [[nodiscard]] Iterator begin() const noexcept { return Iterator(data()); }
    [[nodiscard]] Iterator end() const noexcept { return Iterator(data() + bytes()); }

    [[nodiscard]] bool empty() const noexcept { return rep_ == nullptr; }
    [[nodiscard]] size_t size() const noexcept;
    // The value of `name`, empty when absent.
    [[nodiscard]] std::string_view get(std::string_view name) const noexcept;
    [[nodiscard]] bool has(std::string_view name) const noexcept { return !get(name).empty(); }
    // xxhash64 of the encoding, as Prometheus's Labels.Hash().
    [[nodiscard]] uint64_t hash() const noexcept;
    // The encoded bytes: equal label sets have equal bytes.
    [[nodiscard]] std::string_view encoded() const noexcept { return {data(), bytes()}; }
    // {a="b", "odd.name"="c"} as Prometheus prints a label set.
    [[nodiscard]] std::string to_string() const;
    // The shared block's address: equal for copies of one set, so a cache
    // that holds a copy may key on it (it cannot be reused meanwhile).
    [[nodiscard]] const void* identity() const noexcept { return rep_; }
    // Heap bytes held (shared: counted once per set, by whoever owns it).
    [[nodiscard]] size_t memory_bytes() const noexcept;

    friend bool operator==(const Labels& a, const Labels& b) noexcept;

private:
    struct Rep;
    explicit Labels(Rep* r) noexcept : rep_(r) {}
    [[nodiscard]] const char* data() const noexcept;
    [[nodiscard]] size_t bytes() const noexcept;
    void retain() noexcept;
    void release() noexcept;
    Rep* rep_ = nullptr;
    friend class LabelsBuilder;
};

// Prometheus's labels.Compare: label by label, name then value, a prefix
// first.
[[nodiscard]] int compare(const Labels& a, const Labels& b) noexcept;

// Edits a label set: the operations Prometheus's labels.Builder offers,
// applied in order. An empty value deletes.
class LabelsBuilder {
public:
    LabelsBuilder() = default;
    explicit LabelsBuilder(const Labels& base) { reset(base); }
    void reset(const Labels& base);
    void set(std::string_view name, std::string_view value);
    void del(std::string_view name);
    // Deletes every metadata label (__name__, __type__, __unit__).
    void drop_metadata();
    // Keeps only the labels named in `names`.
    void keep(const std::vector<std::string>& names);
    // Deletes the labels named in `names`.
    void del_all(const std::vector<std::string>& names);
    [[nodiscard]] std::string_view get(std::string_view name) const noexcept;
    [[nodiscard]] Labels labels() const;

private:
    std::vector<std::pair<std::string, std::string>> pairs_;
};

// The label set without its metadata labels.
[[nodiscard]] Labels drop_metadata(const Labels& ls);

// Go's strconv.Quote, which Prometheus uses for label values in messages.
void append_go_quoted(std::string& out, std::string_view s);
// True for names Prometheus's legacy scheme accepts ([a-zA-Z_][a-zA-Z0-9_]*).
[[nodiscard]] bool is_legacy_label_name(std::string_view name) noexcept;
// True for names the UTF-8 scheme accepts: non-empty valid UTF-8.
[[nodiscard]] bool is_valid_label_name(std::string_view name) noexcept;

// xxhash64 (seed 0) of bytes, as github.com/cespare/xxhash computes it.
[[nodiscard]] uint64_t xxhash64(std::string_view bytes) noexcept;

}  // namespace mmwatch::promql
