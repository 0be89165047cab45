#include "promql/sample_window.hpp"

#include <algorithm>

namespace mmwatch::promql {

size_t SampleWindow::move(int64_t mint, int64_t maxt, bool& complete) {
    // Drop what fell out of the window; compact once the dead prefix is big.
    while (head_ < buf_.size() && buf_[head_].t <= mint) ++head_;
    if (head_ > 0 && head_ * 2 >= buf_.size()) {
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
    complete = true;
    if (maxt <= read_until_) return 0;
    // Samples between the last window and this one are never read.
    const int64_t from = std::max(read_until_ == INT64_MIN ? INT64_MIN : read_until_ + 1, mint + 1);
    const size_t n = fetch(from, maxt, kReadBatchSamples);
    if (n == kReadBatchSamples) {
        complete = false;
    } else {
        read_until_ = maxt;
    }
    return n;
}

size_t SampleWindow::fetch(int64_t from, int64_t maxt, size_t max) {
    const size_t before = buf_.size();
    size_t n = 0;
    if (memory_) {
        const auto& m = *memory_;
        auto it = std::lower_bound(m.begin(), m.end(), from, [](const FPoint& p, int64_t t) { return p.t < t; });
        for (; it != m.end() && it->t <= maxt && n < max; ++it, ++n) buf_.push_back(*it);
    } else {
        n = storage_->read(ref_, from, maxt, buf_, max);
    }
    if (n > 0) read_until_ = buf_.back().t;
    if (!keep_stale_) {
        auto first = buf_.begin() + static_cast<std::ptrdiff_t>(before);
        buf_.erase(std::remove_if(first, buf_.end(), [](const FPoint& p) { return is_stale_nan(p.f); }), buf_.end());
    }
    return n;
}

}  // namespace mmwatch::promql
