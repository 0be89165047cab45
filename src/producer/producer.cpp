// The producer library: declares metrics, creates a REZL v1.0 file by the
// format's lifecycle, and updates values in place with atomic operations.
// C++ inside, C at the boundary (include/mmwatch/producer.h).
#include "mmwatch/producer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <new>
#include <string>
#include <unordered_set>
#include <vector>

#include "mmwatch/h2.hpp"
#include "base/enum_names.hpp"
#include "base/utf8.hpp"
#include "rezl/rezl.hpp"

// Values are stored in native order and updated with atomic read-modify-write
// instructions; the format is little-endian, so a big-endian port would have
// to give up atomic adds. Refuse to build rather than write wrong files.
static_assert(std::endian::native == std::endian::little, "REZL values are little-endian");
// Lock-free is what makes the words shareable with mmwatch's process: a
// lock-based fallback (libatomic, on CPUs without 64-bit atomics) would lock
// in this process only. On 32-bit ARM these are LDREXD/STREXD (docs/format.md).
static_assert(std::atomic_ref<uint64_t>::is_always_lock_free);

// Memory order: every value is one single-copy-atomic word, updated and read
// relaxed (the format orders no metric after another). The one ordering the
// file needs is the ready flag: a release store after everything else
// (write_contents), which the consumer pairs with an acquire.

namespace {

using mmwatch::rezl::MetricType;

// A file name leaves room for the dot, the extension, a pid and ".tmp"
// within the 255-byte NAME_MAX of common filesystems.
constexpr size_t kMaxFileNameBytes = 200;
constexpr uint8_t kMinorVersion = 0;
constexpr mode_t kFileMode = 0644;  // consumers need only read permission

struct Decl {
    MetricType type;
    uint8_t g = 0;
    uint8_t m = 0;
    std::string name;
    uint64_t offset = 0;  // bytes from the start of the file
    uint64_t words = 1;
};

// Names are NUL-terminated literals: the C API hands out their data().
constexpr mmwatch::base::EnumRow<mmw_error> kErrors[] = {
    {MMW_OK, "ok", "success"},
    {MMW_ERR_NULL_ARGUMENT, "null_argument", "a required pointer argument was NULL"},
    {MMW_ERR_BAD_FILE_NAME, "bad_file_name", "file name must be 1..200 bytes, without '/', and must not start with '.'"},
    {MMW_ERR_NAME_EMPTY, "name_empty", "metric name is empty"},
    {MMW_ERR_NAME_TOO_LONG, "name_too_long", "metric name is longer than 255 bytes"},
    {MMW_ERR_NAME_NOT_UTF8, "name_not_utf8", "metric name is not valid UTF-8"},
    {MMW_ERR_DUPLICATE_NAME, "duplicate_name", "a metric with this name is already declared in this file"},
    {MMW_ERR_TOO_MANY_METRICS, "too_many_metrics", "a file holds at most 1024 metrics"},
    {MMW_ERR_BAD_HISTOGRAM_CONFIG, "bad_histogram_config", "histogram needs grouping power g < max value power m <= 64 and at most 65536 buckets"},
    {MMW_ERR_ALREADY_PUBLISHED, "already_published", "the metric set is fixed once the file is published; declare every metric before publish"},
    {MMW_ERR_NOT_PUBLISHED, "not_published", "the file is not published (publish first; closed producers take no updates)"},
    {MMW_ERR_BAD_METRIC, "bad_metric", "no metric of that type with that id in this producer"},
    {MMW_ERR_CREATE_FAILED, "create_failed", "the file could not be created: is the directory there and writable?"},
    {MMW_ERR_NO_SPACE, "no_space", "no space for the file: the disk is full or the file exceeds the size limit"},
    {MMW_ERR_ALLOCATE_FAILED, "allocate_failed", "allocating the file's blocks failed"},
    {MMW_ERR_MAP_FAILED, "map_failed", "mapping the file into memory failed"},
    {MMW_ERR_RENAME_FAILED, "rename_failed", "renaming the finished file into place failed"},
    {MMW_ERR_OUT_OF_MEMORY, "out_of_memory", "out of memory"},
};
static_assert(mmwatch::base::rows_match(kErrors, size_t(MMW_ERR_OUT_OF_MEMORY) + 1));

}  // namespace

struct mmw_producer {
    std::string dir;
    std::string path;      // final name
    std::string tmp_path;  // dot-name while building
    unsigned flags = 0;
    std::vector<Decl> decls;
    std::unordered_set<std::string> names;
    std::byte* base = nullptr;  // the shared mapping once published
    size_t size = 0;
    bool closed = false;
    std::string error_text;
};

namespace {

mmw_error fail(mmw_producer* p, mmw_error e, const std::string& what = {}, int os_error = 0) {
    if (p == nullptr) return e;
    std::string t = std::string(kErrors[e].name) + ": " + std::string(kErrors[e].message);
    if (!what.empty()) t += " (" + what + (os_error ? std::string(": ") + std::strerror(os_error) : "") + ")";
    p->error_text = std::move(t);
    return e;
}

bool valid_file_name(const char* name) {
    const size_t n = std::strlen(name);
    return n > 0 && n <= kMaxFileNameBytes && name[0] != '.' && std::strchr(name, '/') == nullptr;
}

mmw_error declare(mmw_producer* p, const char* name, Decl d, mmw_metric* out) {
    if (p == nullptr || name == nullptr || out == nullptr) return fail(p, MMW_ERR_NULL_ARGUMENT);
    if (p->base != nullptr || p->closed) return fail(p, MMW_ERR_ALREADY_PUBLISHED, name);
    d.name = name;
    if (d.name.empty()) return fail(p, MMW_ERR_NAME_EMPTY);
    if (d.name.size() > mmwatch::rezl::kMaxNameBytes) return fail(p, MMW_ERR_NAME_TOO_LONG, d.name.substr(0, 40) + "...");
    if (!mmwatch::base::utf8::valid(d.name)) return fail(p, MMW_ERR_NAME_NOT_UTF8);
    if (p->names.count(d.name)) return fail(p, MMW_ERR_DUPLICATE_NAME, d.name);
    if (p->decls.size() >= mmwatch::rezl::kMaxMetrics) return fail(p, MMW_ERR_TOO_MANY_METRICS, d.name);
    if (d.type == MetricType::histogram) {
        if (!mmwatch::h2::valid_config(d.g, d.m)) {
            return fail(p, MMW_ERR_BAD_HISTOGRAM_CONFIG,
                        d.name + ": g=" + std::to_string(d.g) + " m=" + std::to_string(d.m));
        }
        d.words = mmwatch::h2::bucket_count(d.g, d.m);
    }
    try {
        p->names.insert(d.name);
        p->decls.push_back(std::move(d));
    } catch (const std::bad_alloc&) {
        return fail(p, MMW_ERR_OUT_OF_MEMORY);
    }
    *out = mmw_metric(p->decls.size() - 1);
    return MMW_OK;
}

// Catalog bytes per the format, and each metric's data offset; returns the
// total file size.
uint64_t lay_out(std::vector<Decl>& decls, std::vector<std::byte>& catalog) {
    for (const auto& d : decls) {
        catalog.push_back(std::byte(d.type));
        if (d.type == MetricType::histogram) {
            catalog.push_back(std::byte(d.g));
            catalog.push_back(std::byte(d.m));
        }
        catalog.push_back(std::byte(d.name.size()));
        for (char c : d.name) catalog.push_back(std::byte(c));
    }
    uint64_t at = (mmwatch::rezl::kHeaderBytes + catalog.size() + 7) & ~uint64_t{7};
    for (auto& d : decls) {
        d.offset = at;
        at += d.words * 8;
    }
    return at;
}

void put_le32(std::byte* at, uint32_t v) {
    for (int i = 0; i < 4; ++i) at[i] = std::byte(v >> (8 * i));
}

// Opens a fresh file to build in. A stale file under the same name (a
// crashed producer's) is replaced, never truncated: a consumer may still
// have it mapped, and truncating would fault its reads.
mmw_error create_file(mmw_producer* p, const std::string& at, int& fd) {
    if (::unlink(at.c_str()) != 0 && errno != ENOENT) return fail(p, MMW_ERR_CREATE_FAILED, at, errno);
    fd = ::open(at.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode);
    if (fd < 0) return fail(p, MMW_ERR_CREATE_FAILED, at, errno);
    return MMW_OK;
}

mmw_error allocate_and_map(mmw_producer* p, int fd, const std::string& at, uint64_t size) {
    // posix_fallocate returns the error instead of setting errno.
    if (const int err = ::posix_fallocate(fd, 0, off_t(size)); err != 0) {
        const bool full = err == ENOSPC || err == EFBIG || err == EDQUOT;
        return fail(p, full ? MMW_ERR_NO_SPACE : MMW_ERR_ALLOCATE_FAILED, at, err);
    }
    void* m = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) return fail(p, MMW_ERR_MAP_FAILED, at, errno);
    p->base = static_cast<std::byte*>(m);
    p->size = size_t(size);
    return MMW_OK;
}

// Header with ready = 0, catalog, zeroed data, then ready = 1 with a release
// store, so a consumer that sees the flag sees everything before it.
void write_contents(mmw_producer* p, const std::vector<std::byte>& catalog) {
    std::byte* b = p->base;
    std::memcpy(b, "REZL", 4);
    b[4] = std::byte{mmwatch::rezl::kMajorVersion};
    b[5] = std::byte{kMinorVersion};
    b[6] = std::byte{0};
    b[7] = std::byte{0};
    put_le32(b + 8, uint32_t(p->decls.size()));
    put_le32(b + 12, uint32_t(catalog.size()));
    if (!catalog.empty()) std::memcpy(b + mmwatch::rezl::kHeaderBytes, catalog.data(), catalog.size());
    const size_t data_start = mmwatch::rezl::kHeaderBytes + catalog.size();
    std::memset(b + data_start, 0, p->size - data_start);
    std::atomic_ref<uint8_t>(reinterpret_cast<uint8_t&>(b[6])).store(mmwatch::rezl::kReadyBit, std::memory_order_release);
}

void unmap(mmw_producer* p) {
    if (p->base != nullptr) ::munmap(p->base, p->size);
    p->base = nullptr;
    p->size = 0;
}

const Decl* find(const mmw_producer* p, mmw_metric m, MetricType t) {
    if (p == nullptr || p->base == nullptr || m >= p->decls.size()) return nullptr;
    const Decl& d = p->decls[m];
    return d.type == t ? &d : nullptr;
}

mmw_error update_error(const mmw_producer* p) {
    return p == nullptr || p->base == nullptr ? MMW_ERR_NOT_PUBLISHED : MMW_ERR_BAD_METRIC;
}

std::atomic_ref<uint64_t> word(const mmw_producer* p, const Decl& d, uint64_t index = 0) {
    return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(p->base + d.offset + index * 8));
}

}  // namespace

extern "C" {

const char* mmw_error_name(mmw_error e) { return mmwatch::base::name_of(kErrors, e).data(); }

const char* mmw_error_message(mmw_error e) {
    const auto* row = mmwatch::base::enum_row(kErrors, e);
    return row ? row->message.data() : "unknown error code";
}

mmw_error mmw_producer_create(const char* dir, const char* name, unsigned flags, mmw_producer** out) {
    if (dir == nullptr || name == nullptr || out == nullptr) return MMW_ERR_NULL_ARGUMENT;
    *out = nullptr;
    if (!valid_file_name(name)) return MMW_ERR_BAD_FILE_NAME;
    auto* p = new (std::nothrow) mmw_producer;
    if (p == nullptr) return MMW_ERR_OUT_OF_MEMORY;
    try {
        p->dir = *dir ? dir : ".";
        p->flags = flags;
        p->path = p->dir + "/" + name + MMW_FILE_EXTENSION;
        p->tmp_path = p->dir + "/." + name + MMW_FILE_EXTENSION + "." + std::to_string(::getpid()) + ".tmp";
    } catch (const std::bad_alloc&) {
        delete p;
        return MMW_ERR_OUT_OF_MEMORY;
    }
    *out = p;
    return MMW_OK;
}

void mmw_producer_destroy(mmw_producer* p) {
    if (p == nullptr) return;
    mmw_producer_close(p);
    delete p;
}

mmw_error mmw_declare_counter(mmw_producer* p, const char* name, mmw_metric* out) {
    return declare(p, name, Decl{MetricType::counter}, out);
}

mmw_error mmw_declare_gauge(mmw_producer* p, const char* name, mmw_metric* out) {
    return declare(p, name, Decl{MetricType::gauge}, out);
}

mmw_error mmw_declare_histogram(mmw_producer* p, const char* name, uint8_t g, uint8_t m, mmw_metric* out) {
    return declare(p, name, Decl{MetricType::histogram, g, m}, out);
}

mmw_error mmw_publish(mmw_producer* p) {
    if (p == nullptr) return MMW_ERR_NULL_ARGUMENT;
    if (p->base != nullptr || p->closed) return fail(p, MMW_ERR_ALREADY_PUBLISHED, p->path);
    std::vector<std::byte> catalog;
    uint64_t size = 0;
    try {
        size = lay_out(p->decls, catalog);
    } catch (const std::bad_alloc&) {
        return fail(p, MMW_ERR_OUT_OF_MEMORY);
    }
    const bool in_place = p->flags & MMW_CREATE_IN_PLACE;
    const std::string& build_at = in_place ? p->path : p->tmp_path;
    int fd = -1;
    mmw_error e = create_file(p, build_at, fd);
    if (e == MMW_OK) e = allocate_and_map(p, fd, build_at, size);
    if (fd >= 0) ::close(fd);  // the mapping keeps the file open
    if (e == MMW_OK) {
        write_contents(p, catalog);
        if (!in_place && ::rename(p->tmp_path.c_str(), p->path.c_str()) != 0) {
            e = fail(p, MMW_ERR_RENAME_FAILED, p->tmp_path + " -> " + p->path, errno);
        }
    }
    if (e != MMW_OK) {
        unmap(p);
        if (fd >= 0) ::unlink(build_at.c_str());
    }
    return e;
}

void mmw_producer_close(mmw_producer* p) {
    if (p == nullptr || p->base == nullptr) return;
    unmap(p);
    p->closed = true;
    if (!(p->flags & MMW_KEEP_FILE)) ::unlink(p->path.c_str());
}

const char* mmw_producer_path(const mmw_producer* p) { return p ? p->path.c_str() : ""; }

const char* mmw_producer_error(const mmw_producer* p) { return p ? p->error_text.c_str() : ""; }

mmw_error mmw_counter_add(mmw_producer* p, mmw_metric m, uint64_t n) {
    const Decl* d = find(p, m, MetricType::counter);
    if (d == nullptr) return update_error(p);
    word(p, *d).fetch_add(n, std::memory_order_relaxed);
    return MMW_OK;
}

mmw_error mmw_gauge_set(mmw_producer* p, mmw_metric m, int64_t v) {
    const Decl* d = find(p, m, MetricType::gauge);
    if (d == nullptr) return update_error(p);
    word(p, *d).store(uint64_t(v), std::memory_order_relaxed);
    return MMW_OK;
}

mmw_error mmw_gauge_add(mmw_producer* p, mmw_metric m, int64_t delta) {
    const Decl* d = find(p, m, MetricType::gauge);
    if (d == nullptr) return update_error(p);
    // Unsigned addition wraps exactly like two's complement signed addition.
    word(p, *d).fetch_add(uint64_t(delta), std::memory_order_relaxed);
    return MMW_OK;
}

mmw_error mmw_histogram_record_n(mmw_producer* p, mmw_metric m, uint64_t value, uint64_t count) {
    const Decl* d = find(p, m, MetricType::histogram);
    if (d == nullptr) return update_error(p);
    word(p, *d, mmwatch::h2::index_of(value, d->g, d->m)).fetch_add(count, std::memory_order_relaxed);
    return MMW_OK;
}

mmw_error mmw_histogram_record(mmw_producer* p, mmw_metric m, uint64_t value) {
    return mmw_histogram_record_n(p, m, value, 1);
}

uint64_t mmw_counter_value(const mmw_producer* p, mmw_metric m) {
    const Decl* d = find(p, m, MetricType::counter);
    return d ? word(p, *d).load(std::memory_order_relaxed) : 0;
}

int64_t mmw_gauge_value(const mmw_producer* p, mmw_metric m) {
    const Decl* d = find(p, m, MetricType::gauge);
    return d ? int64_t(word(p, *d).load(std::memory_order_relaxed)) : 0;
}

uint64_t mmw_histogram_bucket(const mmw_producer* p, mmw_metric m, uint64_t index) {
    const Decl* d = find(p, m, MetricType::histogram);
    return d && index < d->words ? word(p, *d, index).load(std::memory_order_relaxed) : 0;
}

uint64_t* mmw_metric_data(mmw_producer* p, mmw_metric m) {
    if (p == nullptr || p->base == nullptr || m >= p->decls.size()) return nullptr;
    return reinterpret_cast<uint64_t*>(p->base + p->decls[m].offset);
}

}  // extern "C"
