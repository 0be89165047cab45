// C++ RAII wrapper over the producer C API (producer.h): the file is
// removed when the Producer goes out of scope (unless keep_file).
//
//     mmwatch::Producer p("/run/mmwatch", "myapp");
//     auto reqs = p.counter("requests_total");
//     auto lat = p.histogram("latency_nanoseconds", 4, 32);
//     if (auto st = p.publish(); !st.ok()) { std::cerr << st.message() << '\n'; return 1; }
//     reqs.add();
//     lat.record(1234);
//
// Declaration errors are sticky: the first one is kept in status() and
// returned by publish(), which then creates no file; the handle of a failed
// declaration ignores updates. Updates are lock-free and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "mmwatch/producer.h"

namespace mmwatch {

struct [[nodiscard]] Status {
    mmw_error code = MMW_OK;
    std::string detail;  // what failed, with path and OS error when known
    [[nodiscard]] bool ok() const noexcept { return code == MMW_OK; }
    [[nodiscard]] std::string_view name() const noexcept { return mmw_error_name(code); }
    [[nodiscard]] std::string message() const {
        return detail.empty() ? std::string(name()) + ": " + mmw_error_message(code) : detail;
    }
};

// Handles: cheap to copy, valid while their Producer lives; updates before
// publish() or after close() are dropped (the C calls return not_published).
class ProducerCounter {
public:
    ProducerCounter() = default;
    ProducerCounter(mmw_producer* p, mmw_metric m) : p_(p), m_(m) {}
    void add(uint64_t n = 1) const noexcept { (void)mmw_counter_add(p_, m_, n); }
    [[nodiscard]] uint64_t value() const noexcept { return mmw_counter_value(p_, m_); }
private:
    mmw_producer* p_ = nullptr;
    mmw_metric m_ = 0;
};

class ProducerGauge {
public:
    ProducerGauge() = default;
    ProducerGauge(mmw_producer* p, mmw_metric m) : p_(p), m_(m) {}
    void set(int64_t v) const noexcept { (void)mmw_gauge_set(p_, m_, v); }
    void add(int64_t delta) const noexcept { (void)mmw_gauge_add(p_, m_, delta); }
    [[nodiscard]] int64_t value() const noexcept { return mmw_gauge_value(p_, m_); }
private:
    mmw_producer* p_ = nullptr;
    mmw_metric m_ = 0;
};

class ProducerHistogram {
public:
    ProducerHistogram() = default;
    ProducerHistogram(mmw_producer* p, mmw_metric m) : p_(p), m_(m) {}
    // Values above the max (2^m - 1) are counted in the last bucket.
    void record(uint64_t value, uint64_t count = 1) const noexcept {
        (void)mmw_histogram_record_n(p_, m_, value, count);
    }
    [[nodiscard]] uint64_t bucket(uint64_t index) const noexcept { return mmw_histogram_bucket(p_, m_, index); }
private:
    mmw_producer* p_ = nullptr;
    mmw_metric m_ = 0;
};

struct ProducerOptions {
    bool keep_file = false;  // leave the file on close
    bool in_place = false;   // build under the final name instead of a dot-name + rename
};

class Producer {
public:
    using Options = ProducerOptions;

    Producer(const std::string& dir, const std::string& name, Options opts = {}) {
        const unsigned flags = (opts.keep_file ? unsigned(MMW_KEEP_FILE) : 0u) |
                               (opts.in_place ? unsigned(MMW_CREATE_IN_PLACE) : 0u);
        if (mmw_error e = mmw_producer_create(dir.c_str(), name.c_str(), flags, &p_); e != MMW_OK) {
            status_ = Status{e, std::string(mmw_error_name(e)) + ": " + mmw_error_message(e) + " (" + name + ")"};
        }
    }
    ~Producer() { mmw_producer_destroy(p_); }
    Producer(const Producer&) = delete;
    Producer& operator=(const Producer&) = delete;
    Producer(Producer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), status_(std::move(o.status_)) {}
    Producer& operator=(Producer&& o) noexcept {
        if (this != &o) {
            mmw_producer_destroy(p_);
            p_ = std::exchange(o.p_, nullptr);
            status_ = std::move(o.status_);
        }
        return *this;
    }

    ProducerCounter counter(const std::string& name) {
        mmw_metric m = 0;
        return note(mmw_declare_counter(p_, name.c_str(), &m)) ? ProducerCounter(p_, m) : ProducerCounter();
    }
    ProducerGauge gauge(const std::string& name) {
        mmw_metric m = 0;
        return note(mmw_declare_gauge(p_, name.c_str(), &m)) ? ProducerGauge(p_, m) : ProducerGauge();
    }
    ProducerHistogram histogram(const std::string& name, uint8_t grouping_power, uint8_t max_value_power) {
        mmw_metric m = 0;
        const mmw_error e = mmw_declare_histogram(p_, name.c_str(), grouping_power, max_value_power, &m);
        return note(e) ? ProducerHistogram(p_, m) : ProducerHistogram();
    }

    // Creates the file; returns the first declaration error instead if any.
    Status publish() {
        if (!status_.ok()) return status_;
        if (!note(mmw_publish(p_))) return status_;
        return {};
    }
    void close() noexcept { mmw_producer_close(p_); }

    [[nodiscard]] const Status& status() const noexcept { return status_; }
    [[nodiscard]] std::string_view path() const noexcept { return mmw_producer_path(p_); }
    [[nodiscard]] mmw_producer* c_handle() const noexcept { return p_; }

private:
    bool note(mmw_error e) {
        if (e == MMW_OK) return true;
        if (status_.ok()) status_ = Status{e, p_ ? std::string(mmw_producer_error(p_)) : std::string()};
        return false;
    }

    mmw_producer* p_ = nullptr;
    Status status_;
};

}  // namespace mmwatch
