#include "promql/label_set.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "base/utf8.hpp"

namespace mmwatch::promql {

// The shared block: a reference count, the encoded size and its hash
// (computed once), then the encoded bytes.
struct Labels::Rep {
    uint32_t refs;
    uint32_t size;
    uint64_t hash;
    [[nodiscard]] char* bytes() noexcept { return reinterpret_cast<char*>(this + 1); }
};

namespace {

size_t encoded_size_of(size_t n) noexcept { return n < 255 ? 1 : 4; }

char* put_string(char* p, std::string_view s) noexcept {
    const size_t n = s.size();
    if (n < 255) {
        *p++ = static_cast<char>(n);
    } else {
        *p++ = static_cast<char>(0xFF);
        *p++ = static_cast<char>(n & 0xFF);
        *p++ = static_cast<char>((n >> 8) & 0xFF);
        *p++ = static_cast<char>((n >> 16) & 0xFF);
    }
    std::memcpy(p, s.data(), n);
    return p + n;
}

const char* get_string(const char* p, std::string_view& out) noexcept {
    size_t n = static_cast<unsigned char>(*p++);
    if (n == 255) {
        n = static_cast<unsigned char>(p[0]) | static_cast<size_t>(static_cast<unsigned char>(p[1])) << 8 |
            static_cast<size_t>(static_cast<unsigned char>(p[2])) << 16;
        p += 3;
    }
    out = std::string_view(p, n);
    return p + n;
}

}  // namespace

bool is_metadata_label(std::string_view name) noexcept {
    return name == kMetricNameLabel || name == "__type__" || name == "__unit__";
}

Labels& Labels::operator=(const Labels& o) noexcept {
    if (rep_ != o.rep_) {
        release();
        rep_ = o.rep_;
        retain();
    }
    return *this;
}

Labels& Labels::operator=(Labels&& o) noexcept {
    if (this != &o) {
        release();
        rep_ = std::exchange(o.rep_, nullptr);
    }
    return *this;
}

void Labels::retain() noexcept {
    if (rep_) ++rep_->refs;
}

void Labels::release() noexcept {
    if (rep_ && --rep_->refs == 0) std::free(rep_);
    rep_ = nullptr;
}

const char* Labels::data() const noexcept { return rep_ ? rep_->bytes() : nullptr; }
size_t Labels::bytes() const noexcept { return rep_ ? rep_->size : 0; }
uint64_t Labels::hash() const noexcept { return rep_ ? rep_->hash : xxhash64({}); }
size_t Labels::memory_bytes() const noexcept { return rep_ ? sizeof(Rep) + rep_->size : 0; }

Labels Labels::from_pairs(std::vector<std::pair<std::string, std::string>> pairs) {
    std::stable_sort(pairs.begin(), pairs.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    // A repeated name keeps its last value; empty values are no label.
    std::vector<std::pair<std::string, std::string>> kept;
    kept.reserve(pairs.size());
    for (auto& p : pairs) {
        if (!kept.empty() && kept.back().first == p.first) kept.pop_back();
        kept.push_back(std::move(p));
    }
    size_t total = 0;
    for (const auto& [n, v] : kept)
        if (!v.empty()) total += encoded_size_of(n.size()) + n.size() + encoded_size_of(v.size()) + v.size();
    if (total == 0) return Labels();
    void* mem = std::malloc(sizeof(Rep) + total);
    if (mem == nullptr) throw std::bad_alloc();
    Rep* r = new (mem) Rep{1, static_cast<uint32_t>(total), 0};
    char* p = r->bytes();
    for (const auto& [n, v] : kept) {
        if (v.empty()) continue;
        p = put_string(p, n);
        p = put_string(p, v);
    }
    r->hash = xxhash64({r->bytes(), total});
    return Labels(r);
}

Label Labels::Iterator::operator*() const noexcept {
    Label l;
    const char* p = get_string(p_, l.name);
    get_string(p, l.value);
    return l;
}

Labels::Iterator& Labels::Iterator::operator++() noexcept {
    std::string_view skip;
    p_ = get_string(get_string(p_, skip), skip);
    return *this;
}

size_t Labels::size() const noexcept {
    size_t n = 0;
    for (auto it = begin(); it != end(); ++it) ++n;
    return n;
}

std::string_view Labels::get(std::string_view name) const noexcept {
    for (const Label l : *this) {
        if (l.name == name) return l.value;
        if (l.name > name) break;
    }
    return {};
}

bool operator==(const Labels& a, const Labels& b) noexcept {
    if (a.rep_ == b.rep_) return true;
    if (a.bytes() != b.bytes() || a.hash() != b.hash()) return false;
    return std::memcmp(a.data(), b.data(), a.bytes()) == 0;
}

int compare(const Labels& a, const Labels& b) noexcept {
    auto ia = a.begin(), ib = b.begin();
    for (; ia != a.end() && ib != b.end(); ++ia, ++ib) {
        const Label la = *ia, lb = *ib;
        if (la.name != lb.name) return la.name < lb.name ? -1 : 1;
        if (la.value != lb.value) return la.value < lb.value ? -1 : 1;
    }
    if (ia != a.end()) return 1;
    if (ib != b.end()) return -1;
    return 0;
}

std::string Labels::to_string() const {
    std::string out = "{";
    bool first = true;
    for (const Label l : *this) {
        if (!first) out += ", ";
        first = false;
        if (is_legacy_label_name(l.name)) out.append(l.name);
        else append_go_quoted(out, l.name);
        out += '=';
        append_go_quoted(out, l.value);
    }
    out += '}';
    return out;
}

void LabelsBuilder::reset(const Labels& base) {
    pairs_.clear();
    for (const Label l : base) pairs_.emplace_back(std::string(l.name), std::string(l.value));
}

void LabelsBuilder::set(std::string_view name, std::string_view value) {
    if (value.empty()) return del(name);
    for (auto& p : pairs_) {
        if (p.first == name) {
            p.second = std::string(value);
            return;
        }
    }
    pairs_.emplace_back(std::string(name), std::string(value));
}

void LabelsBuilder::del(std::string_view name) {
    std::erase_if(pairs_, [&](const auto& p) { return p.first == name; });
}

void LabelsBuilder::drop_metadata() {
    std::erase_if(pairs_, [](const auto& p) { return is_metadata_label(p.first); });
}

void LabelsBuilder::keep(const std::vector<std::string>& names) {
    std::erase_if(pairs_, [&](const auto& p) {
        return std::find(names.begin(), names.end(), p.first) == names.end();
    });
}

void LabelsBuilder::del_all(const std::vector<std::string>& names) {
    for (const auto& n : names) del(n);
}

std::string_view LabelsBuilder::get(std::string_view name) const noexcept {
    for (const auto& p : pairs_)
        if (p.first == name) return p.second;
    return {};
}

Labels LabelsBuilder::labels() const { return Labels::from_pairs(pairs_); }

Labels drop_metadata(const Labels& ls) {
    bool any = false;
    for (const Label l : ls) any = any || is_metadata_label(l.name);
    if (!any) return ls;
    LabelsBuilder b(ls);
    b.drop_metadata();
    return b.labels();
}

bool is_legacy_label_name(std::string_view name) noexcept {
    if (name.empty()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

bool is_valid_label_name(std::string_view name) noexcept { return !name.empty() && base::utf8::valid(name); }

namespace {

// A rune Go's unicode.IsPrint would reject, among those this code sees:
// C0 and C1 controls, DEL and the invisible separators.
bool printable(uint32_t cp) noexcept {
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return false;
    return cp != 0x00AD && cp != 0x2028 && cp != 0x2029 && cp != 0xFEFF;
}

uint32_t decode(std::string_view s, size_t i, size_t n) noexcept {
    const auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    return cp;
}

void append_hex(std::string& out, char kind, uint32_t v, int digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '\\';
    out += kind;
    for (int d = digits - 1; d >= 0; --d) out += kHex[(v >> (4 * d)) & 0xF];
}

}  // namespace

void append_go_quoted(std::string& out, std::string_view s) {
    out += '"';
    for (size_t i = 0; i < s.size();) {
        const size_t n = base::utf8::sequence_length(s, i);
        if (n == 0) {
            append_hex(out, 'x', static_cast<unsigned char>(s[i]), 2);
            ++i;
            continue;
        }
        const uint32_t cp = decode(s, i, n);
        switch (cp) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\a': out += "\\a"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\v': out += "\\v"; break;
        default:
            if (printable(cp)) out.append(s.substr(i, n));
            else if (cp < 0x80) append_hex(out, 'x', cp, 2);
            else if (cp < 0x10000) append_hex(out, 'u', cp, 4);
            else append_hex(out, 'U', cp, 8);
        }
        i += n;
    }
    out += '"';
}

// xxhash64, written from the published algorithm (Yann Collet, XXH64).
namespace {
constexpr uint64_t kP1 = 11400714785074694791ull, kP2 = 14029467366897019727ull,
                   kP3 = 1609587929392839161ull, kP4 = 9650029242287828579ull,
                   kP5 = 2870177450012600261ull;
uint64_t rotl(uint64_t x, int r) noexcept { return (x << r) | (x >> (64 - r)); }
uint64_t read64(const char* p) noexcept {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;  // little endian hosts only; mmwatch targets x86-64 and arm64
}
uint32_t read32(const char* p) noexcept {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
uint64_t round(uint64_t acc, uint64_t in) noexcept { return rotl(acc + in * kP2, 31) * kP1; }
uint64_t merge(uint64_t acc, uint64_t v) noexcept { return (acc ^ round(0, v)) * kP1 + kP4; }
}  // namespace

uint64_t xxhash64(std::string_view bytes) noexcept {
    // Offsets, not pointers past the end: an empty view may hold null.
    const char* p = bytes.data();
    const size_t n = bytes.size();
    size_t i = 0;
    uint64_t h;
    if (n >= 32) {
        uint64_t v1 = kP1 + kP2, v2 = kP2, v3 = 0, v4 = 0 - kP1;
        for (; n - i >= 32; i += 32) {
            v1 = round(v1, read64(p + i));
            v2 = round(v2, read64(p + i + 8));
            v3 = round(v3, read64(p + i + 16));
            v4 = round(v4, read64(p + i + 24));
        }
        h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
        h = merge(merge(merge(merge(h, v1), v2), v3), v4);
    } else {
        h = kP5;
    }
    h += n;
    for (; n - i >= 8; i += 8) h = rotl(h ^ round(0, read64(p + i)), 27) * kP1 + kP4;
    if (n - i >= 4) {
        h = rotl(h ^ (uint64_t(read32(p + i)) * kP1), 23) * kP2 + kP3;
        i += 4;
    }
    for (; i < n; ++i) h = rotl(h ^ (uint64_t(static_cast<unsigned char>(p[i])) * kP5), 11) * kP1;
    h ^= h >> 33;
    h *= kP2;
    h ^= h >> 29;
    h *= kP3;
    h ^= h >> 32;
    return h;
}

}  // namespace mmwatch::promql
