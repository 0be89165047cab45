#include "push/push_stream.hpp"

#include <snappy.h>

#include <algorithm>
#include <functional>
#include <iterator>
#include <new>
#include <string_view>

#include <protozero/pbf_reader.hpp>

namespace mmwatch::push {

namespace {

// prometheus/prompb: WriteRequest.timeseries, TimeSeries.labels.
constexpr protozero::pbf_tag_type kTimeseries = 1;
constexpr protozero::pbf_tag_type kLabels = 1;

// A series' identity: the hash of its label set as the batch holds it
// ("name\0value\0..."), the one the batch made (SeriesSet::hash). Two of
// 100,000 series share one with odds near 1 in 3.7 billion; the cost would
// be a staleness marker missed, or one sent for a live series (its next
// sample revives it).
uint64_t identity(std::string_view labels) noexcept { return prom::SeriesSet::hash(labels); }

// The identities in push order, folded into one number: the same for the
// same series in the same order, as push after push mostly are.
uint64_t fold(uint64_t sum, uint64_t id) noexcept { return (sum ^ id) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull; }

}  // namespace

void PushStream::begin(std::shared_ptr<const prom::SampleBatch> batch) {
    batch_ = std::move(batch);
    t_ms_ = batch_->t_ms();
    next_series_ = 0;
    ids_.reserve(batch_->size());
    order_ = 0;
    sort_next_ = sort_width_ = 0;
    phase_ = batch_->size() ? Phase::series : Phase::gone;
}

// A turn stops once it has done kPushSliceSeries series' work: at scale
// one full request, or the sort, or one old request decoded; a small push
// is done in one turn.
bool PushStream::step(std::vector<Request>& out) {
    size_t work = 0;
    while (active() && work < kPushSliceSeries) {
        switch (phase_) {
            case Phase::series: work += encode_series(out); break;
            case Phase::sort: work += sort_step(); break;
            case Phase::gone: work += find_gone(); break;
            case Phase::stale: work += decode_stale(out); break;
            case Phase::idle: break;
        }
    }
    ++counters_.slices;
    return active();
}

// The next request of the batch's series, in order: kMaxBatchSamples
// series or kMaxBatchBytes of labels. When memory runs out making it, its
// series are skipped (counted) and left out of this push's identities, so
// that those the last push had get a staleness marker like any series
// gone: a receiver then sees a gap, never a value held over.
size_t PushStream::encode_series(std::vector<Request>& out) {
    const prom::SampleBatch& b = *batch_;
    const size_t first = next_series_, ids_before = ids_.size();
    const uint64_t order_before = order_;
    try {
        samples_.clear();
        size_t bytes = 0;
        while (next_series_ < b.size() && samples_.size() < kMaxBatchSamples &&
               (samples_.empty() || bytes < kMaxBatchBytes)) {
            const std::string_view labels = b.labels(next_series_);
            samples_.push_back({labels, b.value(next_series_), t_ms_});
            ids_.push_back(b.hash(next_series_));
            order_ = fold(order_, ids_.back());
            bytes += labels.size() + 16;
            ++next_series_;
        }
        make_request(out);
    } catch (const std::bad_alloc&) {
        ids_.resize(ids_before);
        order_ = order_before;
        if (next_series_ == first) ++next_series_;  // not even one fitted: that one is skipped
        counters_.series_skipped[size_t(SkipReason::out_of_memory)] += next_series_ - first;
    }
    if (next_series_ == b.size()) phase_ = Phase::gone;
    return next_series_ - first;
}

// samples_ as one request, sent, and kept for the next push's staleness
// markers while under kMaxKeptRequestBytes. Failing to keep it costs only
// those markers (counted as skipped when needed); the request still goes.
void PushStream::make_request(std::vector<Request>& out) {
    Request r = compress(samples_.size());
    const size_t bytes = r.body.size();
    out.push_back(std::move(r));
    sent_bytes_ += bytes;
    if (sent_bytes_ > kMaxKeptRequestBytes) return;
    try {
        sent_.push_back(out.back().body);
    } catch (const std::bad_alloc&) {
        // Not kept: a series of it that goes away gets no marker (counted).
    }
}

// One piece of sorting this push's identities: the next run of
// kPushSortRunIds sorted, or, once all are, the next two adjacent runs
// merged (bottom-up, the runs doubling), until one run is all. The work
// is the identities sorted or merged: at scale one piece fills a slice.
size_t PushStream::sort_step() {
    const size_t n = ids_.size(), first = sort_next_;
    const auto at = [&](size_t i) { return ids_.begin() + std::ptrdiff_t(std::min(i, n)); };
    if (sort_width_ == 0) {
        std::sort(at(sort_next_), at(sort_next_ + kPushSortRunIds));
        sort_next_ += kPushSortRunIds;
    } else {
        std::inplace_merge(at(sort_next_), at(sort_next_ + sort_width_), at(sort_next_ + 2 * sort_width_));
        sort_next_ += 2 * sort_width_;
    }
    const size_t work = std::min(sort_next_, n) - first;
    if (sort_next_ >= n) {
        sort_width_ = sort_width_ == 0 ? kPushSortRunIds : 2 * sort_width_;
        sort_next_ = 0;
    }
    if (sort_width_ >= n) phase_ = Phase::gone;
    return std::max<size_t>(work, 1);  // a small push's, in the turn it began
}

// The series the last push had and this one does not. When this push's
// identities came in the last one's order (the fold of each is the same),
// none is gone and the last push's sorted identities stand as they are:
// no sort (that was 7% of a push's CPU at 100,000 series). Otherwise they
// are sorted first, in slices (sort_step()).
size_t PushStream::find_gone() {
    gone_.clear();
    const bool same = order_ == last_order_ && ids_.size() == last_ids_.size();
    if (!same && sort_width_ < ids_.size()) {
        phase_ = Phase::sort;
        return 1;
    }
    if (!same) {
        std::set_difference(last_ids_.begin(), last_ids_.end(), ids_.begin(), ids_.end(), std::back_inserter(gone_));
    }
    next_request_ = 0;
    gone_found_ = 0;
    const size_t work = same ? 1 : std::min(ids_.size() + last_ids_.size(), kPushSliceSeries);
    if (same) ids_.swap(last_ids_);  // finish() keeps the sorted ones
    phase_ = gone_.empty() ? Phase::idle : Phase::stale;
    if (phase_ == Phase::idle) finish();
    return work;
}

// One of the last push's requests decoded: a staleness marker for each of
// its series that is gone, in one request.
size_t PushStream::decode_stale(std::vector<Request>& out) {
    size_t series = 0;
    if (next_request_ < last_sent_.size()) {
        const std::string& body = last_sent_[next_request_++];
        size_t n = 0;
        if (snappy::GetUncompressedLength(body.data(), body.size(), &n)) {
            if (decoded_.size() < n) decoded_.resize(n);
            if (!snappy::RawUncompress(body.data(), body.size(), decoded_.data())) n = 0;
        }
        series = collect_gone(std::string_view(decoded_.data(), n));
        if (!stale_spans_.empty()) {
            samples_.clear();
            for (const auto& [begin, size] : stale_spans_)
                samples_.push_back({std::string_view(stale_labels_).substr(begin, size), prom::stale_marker(), t_ms_});
            counters_.stale_markers += samples_.size();
            gone_found_ += samples_.size();
            out.push_back(compress(samples_.size()));
        }
    }
    if (next_request_ == last_sent_.size()) {
        counters_.stale_markers_skipped += gone_.size() - gone_found_;  // their requests were not kept
        finish();
    }
    return std::max<size_t>(series, 1);
}

// The series of one decoded request whose identity is in gone_: their
// label sets into stale_labels_, as spans. Returns the series read.
size_t PushStream::collect_gone(std::string_view request) {
    stale_labels_.clear();
    stale_spans_.clear();
    size_t series = 0;
    protozero::pbf_reader r(request.data(), request.size());
    while (r.next(kTimeseries)) {
        ++series;
        protozero::pbf_reader ts = r.get_message();
        const size_t begin = stale_labels_.size();
        while (ts.next(kLabels)) {
            protozero::pbf_reader label = ts.get_message();
            while (label.next()) {  // name, then value: as encode_write_request writes them
                const protozero::data_view v = label.get_view();
                stale_labels_.append(v.data(), v.size());
                stale_labels_.push_back('\0');
            }
        }
        const size_t size = stale_labels_.size() - begin;
        if (std::binary_search(gone_.begin(), gone_.end(), identity(std::string_view(stale_labels_).substr(begin, size))))
            stale_spans_.emplace_back(begin, size);
        else
            stale_labels_.resize(begin);
    }
    return series;
}

namespace {

// Gives back `v`'s memory (`v = {}` would keep it: that assigns an empty
// initializer list).
template <typename T>
void release(T& v) noexcept {
    T().swap(v);
}

}  // namespace

// What the next push needs stays (identities, requests); the rest goes.
void PushStream::finish() {
    last_order_ = order_;
    last_ids_ = std::move(ids_);
    release(ids_);
    last_sent_ = std::move(sent_);
    release(sent_);
    sent_bytes_ = 0;
    batch_.reset();
    release(gone_);
    release(samples_);
    release(raw_);
    release(compressed_);
    release(decoded_);
    release(stale_labels_);
    release(stale_spans_);
    phase_ = Phase::idle;
    ++counters_.pushes;
}

Request PushStream::compress(size_t samples) {
    const size_t n = encode_write_request(samples_, raw_);
    return {snappy_compress(std::string_view(raw_.data(), n), compressed_), samples};
}

size_t PushStream::working_bytes() const noexcept {
    size_t bytes = (batch_ ? batch_->memory_bytes() : 0) + (ids_.capacity() + last_ids_.capacity() + gone_.capacity()) * 8;
    for (const auto* kept : {&sent_, &last_sent_}) {
        bytes += kept->capacity() * sizeof(std::string);
        for (const std::string& s : *kept) bytes += s.capacity();
    }
    bytes += samples_.capacity() * sizeof(TimedSample) + stale_spans_.capacity() * sizeof(stale_spans_[0]);
    return bytes + raw_.capacity() + compressed_.capacity() + decoded_.capacity() + stale_labels_.capacity();
}

}  // namespace mmwatch::push
