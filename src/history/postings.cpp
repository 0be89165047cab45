#include "history/postings.hpp"

#include <algorithm>

namespace mmwatch::history {

namespace {

// An unordered_map node: the pair, the next pointer and the cached hash.
template <class Map>
size_t node_bytes(const Map& m) noexcept {
    return m.size() * (sizeof(typename Map::value_type) + 2 * sizeof(void*)) + m.bucket_count() * sizeof(void*);
}

template <class T>
size_t capacity_bytes(const std::vector<T>& v) noexcept {
    return v.capacity() * sizeof(T);
}

}  // namespace

void Postings::add(SeriesId id, std::span<const Label> labels) {
    for (const Label& l : labels) {
        auto [it, fresh] = lists_.try_emplace(key(l.name, l.value));
        List& list = it->second;
        if (fresh) {
            std::vector<uint32_t>& vals = values_[l.name];
            memory_bytes_ -= capacity_bytes(vals);
            list.slot = uint32_t(vals.size());
            vals.push_back(l.value);
            memory_bytes_ += capacity_bytes(vals);
        }
        memory_bytes_ -= capacity_bytes(list.ids);
        // Ids are reused, so a new series may sort anywhere.
        if (list.ids.empty() || list.ids.back() < id) list.ids.push_back(id);
        else list.ids.insert(std::lower_bound(list.ids.begin(), list.ids.end(), id), id);
        memory_bytes_ += capacity_bytes(list.ids);
    }
}

void Postings::remove_later(SeriesId id, std::span<const Label> labels) {
    dead_.push_back(id);
    for (const Label& l : labels) dead_keys_.push_back(key(l.name, l.value));
}

void Postings::flush_removals() {
    if (dead_.empty()) return;
    std::sort(dead_.begin(), dead_.end());
    std::sort(dead_keys_.begin(), dead_keys_.end());
    dead_keys_.erase(std::unique(dead_keys_.begin(), dead_keys_.end()), dead_keys_.end());
    for (const uint64_t k : dead_keys_) {
        auto it = lists_.find(k);
        if (it == lists_.end()) continue;
        std::vector<SeriesId>& ids = it->second.ids;
        memory_bytes_ -= capacity_bytes(ids);
        std::erase_if(ids, [&](SeriesId id) { return std::binary_search(dead_.begin(), dead_.end(), id); });
        if (ids.empty()) {
            drop_list(k);
            continue;
        }
        if (ids.capacity() > 2 * ids.size() + 8) ids.shrink_to_fit();
        memory_bytes_ += capacity_bytes(ids);
    }
    dead_.clear();
    dead_keys_.clear();
    if (dead_.capacity() > 4096) {
        std::vector<SeriesId>().swap(dead_);
        std::vector<uint64_t>().swap(dead_keys_);
    }
}

// The list is empty: its value leaves its name's values (the last value
// takes its slot), and the name goes with its last value.
void Postings::drop_list(uint64_t k) {
    const uint32_t name = uint32_t(k >> 32);
    const uint32_t slot = lists_[k].slot;
    lists_.erase(k);
    auto vit = values_.find(name);
    std::vector<uint32_t>& vals = vit->second;
    memory_bytes_ -= capacity_bytes(vals);
    if (slot + 1 < vals.size()) {
        vals[slot] = vals.back();
        lists_[key(name, vals[slot])].slot = slot;
    }
    vals.pop_back();
    if (vals.empty()) {
        values_.erase(vit);
        return;
    }
    memory_bytes_ += capacity_bytes(vals);
}

std::span<const SeriesId> Postings::series(uint32_t name, uint32_t value) const noexcept {
    const auto it = lists_.find(key(name, value));
    if (it == lists_.end()) return {};
    return it->second.ids;
}

std::span<const uint32_t> Postings::values(uint32_t name) const noexcept {
    const auto it = values_.find(name);
    if (it == values_.end()) return {};
    return it->second;
}

void Postings::names(std::vector<uint32_t>& out) const {
    out.clear();
    out.reserve(values_.size());
    for (const auto& [name, vals] : values_) out.push_back(name);
}

size_t Postings::table_bytes() const noexcept {
    return node_bytes(lists_) + node_bytes(values_) + capacity_bytes(dead_) + capacity_bytes(dead_keys_);
}

}  // namespace mmwatch::history
