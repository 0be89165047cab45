// One tier's sealed chunks, in the order they were sealed, packed into
// pages of kPageBytes. A page is the unit of eviction: when the budget or
// the retention says so, the oldest page goes whole, and every chunk in it
// is the oldest of its series (a series' chunks are sealed in time order),
// so each owner loses the front of its chunk list.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>
#include <vector>

#include "history/postings.hpp"

namespace mmwatch::history {

// Where a sealed chunk is: its first timestamp, its page (a sequence
// number, counted per tier from the first page ever made) and its offset.
struct ChunkRef {
    int64_t mint = 0;
    uint32_t page = 0;
    uint32_t offset = 0;
};

struct Page {
    std::unique_ptr<char[]> bytes;
    uint32_t size = 0;
    uint32_t capacity = 0;
    std::vector<SeriesId> owners;  // one per chunk, in order
    int64_t maxt = INT64_MIN;      // the latest sample in any of its chunks
    uint64_t samples = 0;
};

class PageLog {
public:
    explicit PageLog(uint32_t page_bytes) noexcept : page_bytes_(page_bytes) {}

    // Stores `chunk` (its bytes as encoded) for `owner`; returns where.
    ChunkRef append(SeriesId owner, std::string_view chunk, int64_t mint, int64_t maxt, uint32_t samples);
    // The encoded bytes of the chunk at `ref`.
    [[nodiscard]] std::string_view chunk(const ChunkRef& ref) const noexcept;
    [[nodiscard]] bool holds(uint32_t page) const noexcept { return page - first_ < pages_.size(); }
    // A page's bytes as used (benchmarks).
    [[nodiscard]] std::string_view page_bytes(uint32_t page) const noexcept {
        const Page& p = pages_[page - first_];
        return {p.bytes.get(), p.size};
    }

    [[nodiscard]] bool empty() const noexcept { return pages_.empty(); }
    [[nodiscard]] const Page& oldest() const noexcept { return pages_.front(); }
    [[nodiscard]] uint32_t oldest_seq() const noexcept { return first_; }
    void drop_oldest();

    [[nodiscard]] size_t pages() const noexcept { return pages_.size(); }
    [[nodiscard]] uint64_t samples() const noexcept { return samples_; }
    [[nodiscard]] uint64_t chunks() const noexcept { return chunks_; }
    [[nodiscard]] uint64_t memory_bytes() const noexcept { return memory_bytes_; }
    // What the next append of `chunk_bytes` may add to memory_bytes().
    [[nodiscard]] uint64_t growth_bytes(size_t chunk_bytes) const noexcept;

private:
    void close_open_page();
    static uint64_t page_memory(const Page& p) noexcept {
        return p.capacity + p.owners.capacity() * sizeof(SeriesId) + sizeof(Page);
    }

    uint32_t page_bytes_;
    std::deque<Page> pages_;
    uint32_t first_ = 0;   // sequence number of pages_.front()
    uint64_t samples_ = 0;
    uint64_t chunks_ = 0;
    uint64_t memory_bytes_ = 0;
};

}  // namespace mmwatch::history
