#include "history/iterator.hpp"

#include <algorithm>
#include <limits>

#include "history/chunk_codec.hpp"
#include "history/history_store.hpp"

namespace mmwatch::history {

namespace {

template <class Row>
int64_t time_of(const Row& r) noexcept {
    return r.t;
}

// Keeps the rows of `buf` (sorted by time) within [from, maxt].
template <class Row>
void keep_range(std::vector<Row>& buf, int64_t from, int64_t maxt) {
    const auto lo = std::lower_bound(buf.begin(), buf.end(), from,
                                     [](const Row& r, int64_t t) { return time_of(r) < t; });
    const auto hi = std::upper_bound(lo, buf.end(), maxt, [](int64_t t, const Row& r) { return t < time_of(r); });
    buf.erase(hi, buf.end());
    buf.erase(buf.begin(), lo);
}

// The shared walk of both iterators: the chunk that may hold `from`, the
// later ones, then the head; the first with rows in range fills `buf`.
// `decode_chunk(ref, buf)` and `decode_head(buf)` return false when they
// could not decode (counted, skipped).
template <class Row, class DecodeChunk, class DecodeHead>
bool walk(const Store& store, std::span<const ChunkRef> refs, bool head_open, int64_t head_mint, int64_t& from,
          int64_t maxt, bool& done, std::vector<Row>& buf, DecodeChunk&& decode_chunk, DecodeHead&& decode_head) {
    const auto after = std::upper_bound(refs.begin(), refs.end(), from,
                                        [](int64_t t, const ChunkRef& r) { return t < r.mint; });
    size_t i = size_t(after - refs.begin());
    if (i > 0) --i;
    const auto finish = [&]() {
        keep_range(buf, from, maxt);
        if (buf.empty()) return false;
        if (time_of(buf.back()) == std::numeric_limits<int64_t>::max()) done = true;
        else from = time_of(buf.back()) + 1;
        return true;
    };
    for (; i < refs.size(); ++i) {
        if (refs[i].mint > maxt) break;
        if (!decode_chunk(refs[i], buf)) {
            store.count_corrupt_chunk();
            continue;
        }
        if (finish()) return true;
    }
    if (head_open && head_mint <= maxt && decode_head(buf) && finish()) return true;
    done = true;
    return false;
}

}  // namespace

SampleIterator::SampleIterator(const Store& store, SeriesId id, int64_t mint, int64_t maxt)
    : store_(&store), id_(id), generation_(store.live(id) ? store.generation(id) : 0), from_(mint), maxt_(maxt),
      done_(!store.live(id) || mint > maxt) {}

bool SampleIterator::next() {
    if (started_ && pos_ + 1 < buf_.size()) {
        ++pos_;
        return true;
    }
    started_ = true;
    return refill();
}

bool SampleIterator::refill() {
    buf_.clear();
    pos_ = 0;
    if (done_ || !store_->live(id_) || store_->generation(id_) != generation_) {
        done_ = true;
        return false;
    }
    const Store& st = *store_;
    const Series& s = st.at(id_);
    const PageLog& pages = st.pages(Tier::raw);
    return walk(
        st, s.chunks[0].live(), !s.head.empty(), s.head.mint(), from_, maxt_, done_, buf_,
        [&](const ChunkRef& ref, std::vector<Sample>& out) { return decode_raw_chunk(st, pages.chunk(ref), out); },
        [&](std::vector<Sample>& out) {
            std::vector<int64_t> t;
            std::vector<uint64_t> v;
            if (!s.head.decode(t, v)) return false;
            out.resize(t.size());
            for (size_t i = 0; i < t.size(); ++i) out[i] = {t[i], v[i]};
            return true;
        });
}

TierIterator::TierIterator(const Store& store, SeriesId id, Tier tier, int64_t mint, int64_t maxt)
    : store_(&store), id_(id), tier_(size_t(tier)), generation_(store.live(id) ? store.generation(id) : 0),
      from_(mint), maxt_(maxt), done_(!store.live(id) || mint > maxt || tier == Tier::raw) {}

bool TierIterator::next() {
    if (started_ && pos_ + 1 < buf_.size()) {
        ++pos_;
        return true;
    }
    started_ = true;
    return refill();
}

bool TierIterator::refill() {
    buf_.clear();
    pos_ = 0;
    if (done_ || !store_->live(id_) || store_->generation(id_) != generation_ || !store_->at(id_).tiers) {
        done_ = true;
        return false;
    }
    const Store& st = *store_;
    const Series& s = st.at(id_);
    const TierHead& head = s.tiers->head[tier_ - 1];
    const PageLog& pages = st.pages(Tier(tier_));
    return walk(
        st, s.chunks[tier_].live(), !head.empty(), head.mint(), from_, maxt_, done_, buf_,
        [&](const ChunkRef& ref, std::vector<TierRow>& out) {
            return decode_tier_chunk(pages.chunk(ref), out, column_);
        },
        [&](std::vector<TierRow>& out) {
            std::vector<int64_t> t;
            std::vector<uint64_t> v;
            if (!head.decode(t, v)) return false;
            out.resize(t.size());
            for (size_t i = 0; i < t.size(); ++i) out[i] = tier_row_from_bits(t[i], &v[i * kTierColumns]);
            return true;
        });
}

bool decode_raw_chunk(const Store& store, std::string_view bytes, std::vector<Sample>& out) {
    size_t pos = 0;
    uint64_t id = 0;
    if (!get_varint(bytes, pos, id) || id >= UINT32_MAX) return false;
    return decode_times(store.times(uint32_t(id)), out) == ChunkError::none &&
           decode_values(bytes.substr(pos), out) == ChunkError::none;
}

}  // namespace mmwatch::history
