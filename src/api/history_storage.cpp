#include "api/history_storage.hpp"

#include "api/live_storage.hpp"

#include <algorithm>
#include <iterator>

namespace mmwatch::api {

namespace {

using history::SeriesId;
using promql::MatchType;
using promql::Matcher;

// Keeps in `acc` the ids also in `ids` (both ascending).
void intersect(std::vector<SeriesId>& acc, std::span<const SeriesId> ids) {
    std::vector<SeriesId> both;
    std::set_intersection(acc.begin(), acc.end(), ids.begin(), ids.end(), std::back_inserter(both));
    acc.swap(both);
}

}  // namespace

bool matches_all(const promql::Labels& ls, std::span<const Matcher> matchers) {
    for (const Matcher& m : matchers)
        if (!m.matches(ls.get(m.name()))) return false;
    return true;
}

// The matches of a select, found in batches, each batch sorted by labels
// as it is found, then handed out in label order by merging the sorted
// batches one series a call: no call sorts them all (10,000 series' labels
// sorted at once held the loop 14 ms).
class HistorySeriesSet final : public promql::SeriesSet {
public:
    HistorySeriesSet(HistoryStorage& storage, history::Store& store, std::span<const Matcher> matchers,
                     int64_t mint, int64_t maxt, const LivePoints* live)
        : storage_(storage), store_(store), matchers_(matchers.begin(), matchers.end()), mint_(mint), maxt_(maxt),
          live_(live) {
        storage_.candidates(matchers_, candidates_);
    }

    Next next() override {
        if (merging_) return take_smallest();
        const size_t run_begin = found_.size();
        const size_t stop = std::min(candidates_.size(), scanned_ + HistoryStorage::kSelectBatchSeries);
        for (; scanned_ < stop; ++scanned_) {
            const SeriesId id = candidates_[scanned_];
            if (!store_.live(id)) continue;
            const uint64_t ref = HistoryStorage::make_ref(id, store_.generation(id));
            if (!storage_.overlaps(id, mint_, maxt_) && !(live_ && live_->find(ref))) continue;
            promql::Labels ls = storage_.labels_of(id);
            if (!matches_all(ls, matchers_)) continue;
            found_.push_back({std::move(ls), ref});
        }
        std::sort(found_.begin() + std::ptrdiff_t(run_begin), found_.end(),
                  [](const Found& a, const Found& b) { return promql::compare(a.labels, b.labels) < 0; });
        if (found_.size() > run_begin) runs_.push_back({run_begin, found_.size()});
        if (scanned_ < candidates_.size()) return Next::pending;
        std::vector<SeriesId>().swap(candidates_);
        std::make_heap(runs_.begin(), runs_.end(), later_first());
        merging_ = true;
        return Next::pending;
    }
    const promql::Labels& labels() const override { return found_[at_].labels; }
    uint64_t ref() const override { return found_[at_].ref; }

private:
    struct Found {
        promql::Labels labels;
        uint64_t ref;
    };
    struct Run {
        size_t next, end;  // the run's series not handed out yet: found_[next, end)
    };
    // For a heap whose top is the run with the smallest next series.
    struct LaterFirst {
        const std::vector<Found>* found;
        bool operator()(const Run& a, const Run& b) const {
            return promql::compare((*found)[a.next].labels, (*found)[b.next].labels) > 0;
        }
    };
    LaterFirst later_first() const { return {&found_}; }
    Next take_smallest() {
        if (runs_.empty()) return Next::end;
        std::pop_heap(runs_.begin(), runs_.end(), later_first());
        Run& r = runs_.back();
        at_ = r.next++;
        if (r.next == r.end) runs_.pop_back();
        else std::push_heap(runs_.begin(), runs_.end(), later_first());
        return Next::series;
    }

    HistoryStorage& storage_;
    history::Store& store_;
    std::vector<Matcher> matchers_;
    int64_t mint_, maxt_;
    const LivePoints* live_;  // its time is in [mint_, maxt_]
    std::vector<SeriesId> candidates_;
    size_t scanned_ = 0;
    std::vector<Found> found_;
    std::vector<Run> runs_;  // sorted runs of found_, a heap once merging_
    bool merging_ = false;
    size_t at_ = 0;
};

void HistoryStorage::candidates(std::span<const Matcher> matchers, std::vector<SeriesId>& out) {
    out.clear();
    bool narrowed = false;
    std::vector<std::string_view> values;
    std::vector<SeriesId> joined;
    for (const Matcher& m : matchers) {
        if (m.matches("")) continue;  // also matches series without the label: no narrowing
        joined.clear();
        if (m.type() == MatchType::equal) {
            const auto p = store_.postings(m.name(), m.value());
            joined.assign(p.begin(), p.end());
        } else {
            // != "x" cannot reach here (it matches ""); =~ and !~ that need a value.
            values.clear();
            store_.label_values(m.name(), values);
            for (const std::string_view v : values) {
                if (!m.matches(v)) continue;
                const auto p = store_.postings(m.name(), v);
                joined.insert(joined.end(), p.begin(), p.end());
            }
            std::sort(joined.begin(), joined.end());
            joined.erase(std::unique(joined.begin(), joined.end()), joined.end());
        }
        if (!narrowed) out.swap(joined);
        else intersect(out, joined);
        narrowed = true;
        if (out.empty()) return;
    }
    if (!narrowed) store_.all_series(out);
}

bool HistoryStorage::overlaps(SeriesId id, int64_t mint, int64_t maxt) const {
    const history::Series& s = store_.at(id);
    if (!s.live() || !s.has_last) return false;
    const auto chunks = s.chunks[size_t(history::Tier::raw)].live();
    int64_t first = 0;
    if (!chunks.empty()) first = chunks.front().mint;
    else if (s.head.count() > 0) first = s.head.mint();
    else return false;  // nothing at full resolution left
    return s.last_t >= mint && first <= maxt;
}

promql::Labels HistoryStorage::labels_of(SeriesId id) {
    store_.labels(id, scratch_);
    std::vector<std::pair<std::string, std::string>> pairs;
    pairs.reserve(scratch_.size());
    for (const history::LabelView& l : scratch_) pairs.emplace_back(l.name, l.value);
    return promql::Labels::from_pairs(std::move(pairs));
}

std::unique_ptr<promql::SeriesSet> HistoryStorage::select_with(std::span<const Matcher> matchers, int64_t mint,
                                                               int64_t maxt, const LivePoints* live) {
    return std::make_unique<HistorySeriesSet>(*this, store_, matchers, mint, maxt, live);
}

// Makes cursor_ ready to read `ref` from `mint`: the cached iterator when
// the read continues where the last one stopped, else a fresh one.
void HistoryStorage::position(uint64_t ref, SeriesId id, int64_t mint) {
    if (cursor_.it && cursor_.ref == ref && mint >= cursor_.next_t) return;
    cursor_.ref = ref;
    cursor_.it.emplace(store_, id, mint, INT64_MAX);
    cursor_.has_peek = false;
    cursor_.next_t = mint;
}

size_t HistoryStorage::read(uint64_t ref, int64_t mint, int64_t maxt, std::vector<promql::FPoint>& out,
                            size_t max) {
    const auto id = SeriesId(ref & 0xffffffffu);
    const auto generation = uint32_t(ref >> 32);
    if (!store_.live(id) || store_.generation(id) != generation || mint > maxt) return 0;
    position(ref, id, mint);
    Cursor& c = cursor_;
    size_t n = 0, skipped = 0;
    while (n < max) {
        if (!c.has_peek) {
            if (!c.it->next()) {
                c.it.reset();  // at the end: a later read starts afresh (and sees newer samples)
                return n;
            }
            c.has_peek = true;
        }
        const history::Sample& s = c.it->sample();
        if (s.t > maxt) break;
        c.has_peek = false;
        c.next_t = s.t + 1;
        if (s.t < mint) {
            if (++skipped > kMaxSkipSamples) {  // far ahead: find the chunk by time instead
                c.it.emplace(store_, id, mint, INT64_MAX);
                c.next_t = mint;
                skipped = 0;
            }
            continue;
        }
        out.push_back({s.t, s.value()});
        ++n;
    }
    return n;
}

void HistoryStorage::matching(std::span<const Matcher> matchers, int64_t mint, int64_t maxt,
                              std::vector<promql::Labels>& out) {
    out.clear();
    std::vector<SeriesId> ids;
    candidates(matchers, ids);
    for (const SeriesId id : ids) {
        if (!overlaps(id, mint, maxt)) continue;
        promql::Labels ls = labels_of(id);
        if (matches_all(ls, matchers)) out.push_back(std::move(ls));
    }
}

void HistoryStorage::label_names(std::span<const Matcher> matchers, int64_t mint, int64_t maxt,
                                 std::vector<std::string>& out) {
    out.clear();
    std::vector<promql::Labels> sets;
    matching(matchers, mint, maxt, sets);
    for (const promql::Labels& ls : sets)
        for (const promql::Label l : ls) out.emplace_back(l.name);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
}

void HistoryStorage::label_values(std::string_view name, std::span<const Matcher> matchers, int64_t mint,
                                  int64_t maxt, std::vector<std::string>& out) {
    out.clear();
    std::vector<promql::Labels> sets;
    matching(matchers, mint, maxt, sets);
    for (const promql::Labels& ls : sets)
        if (const auto v = ls.get(name); !v.empty()) out.emplace_back(v);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
}

}  // namespace mmwatch::api
