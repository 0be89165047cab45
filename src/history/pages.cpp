#include "history/pages.hpp"

#include <cstring>

#include "history/chunk_codec.hpp"

namespace mmwatch::history {

namespace {
constexpr size_t kMaxVarintBytes = 10;
}  // namespace

uint64_t PageLog::growth_bytes(size_t chunk_bytes) const noexcept {
    const size_t need = chunk_bytes + kMaxVarintBytes;
    const uint64_t owner = 2 * sizeof(SeriesId);  // owners may double, about
    if (!pages_.empty() && pages_.back().capacity - pages_.back().size >= need) return owner;
    return std::max<uint64_t>(page_bytes_, need) + sizeof(Page) + owner;
}

// A full page keeps only what it uses: the last page's slack is given back
// when the next one opens.
void PageLog::close_open_page() {
    Page& p = pages_.back();
    if (p.size == p.capacity) return;
    memory_bytes_ -= page_memory(p);
    auto exact = std::make_unique<char[]>(p.size);
    std::memcpy(exact.get(), p.bytes.get(), p.size);
    p.bytes = std::move(exact);
    p.capacity = p.size;
    p.owners.shrink_to_fit();
    memory_bytes_ += page_memory(p);
}

ChunkRef PageLog::append(SeriesId owner, std::string_view chunk, int64_t mint, int64_t maxt, uint32_t samples) {
    std::string head;
    put_varint(head, chunk.size());
    const size_t need = head.size() + chunk.size();
    if (pages_.empty() || pages_.back().capacity - pages_.back().size < need) {
        if (!pages_.empty()) close_open_page();
        Page p;
        p.capacity = uint32_t(std::max<size_t>(page_bytes_, need));
        p.bytes = std::make_unique<char[]>(p.capacity);
        pages_.push_back(std::move(p));
        memory_bytes_ += page_memory(pages_.back());
    }
    Page& p = pages_.back();
    memory_bytes_ -= page_memory(p);
    const ChunkRef ref{mint, first_ + uint32_t(pages_.size() - 1), p.size};
    std::memcpy(p.bytes.get() + p.size, head.data(), head.size());
    std::memcpy(p.bytes.get() + p.size + head.size(), chunk.data(), chunk.size());
    p.size += uint32_t(need);
    p.owners.push_back(owner);
    p.maxt = std::max(p.maxt, maxt);
    p.samples += samples;
    memory_bytes_ += page_memory(p);
    samples_ += samples;
    ++chunks_;
    return ref;
}

std::string_view PageLog::chunk(const ChunkRef& ref) const noexcept {
    const Page& p = pages_[ref.page - first_];
    const std::string_view rest(p.bytes.get() + ref.offset, p.size - ref.offset);
    size_t pos = 0;
    uint64_t len = 0;
    if (!get_varint(rest, pos, len) || len > rest.size() - pos) return {};
    return rest.substr(pos, size_t(len));
}

void PageLog::drop_oldest() {
    const Page& p = pages_.front();
    memory_bytes_ -= page_memory(p);
    samples_ -= p.samples;
    chunks_ -= p.owners.size();
    pages_.pop_front();
    ++first_;
}

}  // namespace mmwatch::history
