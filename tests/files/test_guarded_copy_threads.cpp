// The daemon's read of a producer file (guarded_copy over a read-only
// mapping of its own, as files/source.cpp makes) against a producer thread
// updating the same words through the producer library: every value read
// is one that was written, never a mix of two writes' halves. Part of the
// thread tests (ThreadSanitizer on x86_64; qemu-aarch64 and qemu-arm in
// CI), since a torn 64-bit access is what 32-bit ARM risks.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "files/guarded_copy.hpp"
#include "mmwatch/producer.hpp"
#include "support/producer_testing.hpp"
#include "support/torn_check.hpp"

using namespace mmwatch;

namespace {

// Enough value changes seen by the reader for reads and writes to overlap
// many times, few enough to stay quick under ThreadSanitizer and qemu.
constexpr uint64_t kChangesSeen = 10'000;

// The file mapped read-only, as the daemon maps it.
class ReadOnlyMap {
public:
    explicit ReadOnlyMap(const std::string& path) {
        const auto r = test::read_back(path);
        REQUIRE(r.layout.ok());
        layout_ = r.layout.value;
        size_ = r.bytes.size();
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        base_ = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
        ::close(fd);
        REQUIRE(base_ != MAP_FAILED);
    }
    ~ReadOnlyMap() { ::munmap(base_, size_); }
    ReadOnlyMap(const ReadOnlyMap&) = delete;
    ReadOnlyMap& operator=(const ReadOnlyMap&) = delete;

    // One metric's first word, copied as a tick copies it.
    [[nodiscard]] uint64_t read(size_t metric) const {
        const auto* at = reinterpret_cast<const uint64_t*>(static_cast<const char*>(base_) +
                                                           layout_.offset_of(layout_.metrics.at(metric)));
        uint64_t v = 0;
        REQUIRE(files::guarded_copy(&v, at, 1));
        return v;
    }

private:
    rezl::Layout layout_;
    size_t size_ = 0;
    void* base_ = nullptr;
};

}  // namespace

TEST_CASE("guarded_copy_never_reads_a_torn_counter_while_a_producer_adds") {
    REQUIRE(files::install_fault_handler());
    test::ScratchDir dir;
    Producer p(dir.path(), "torn");
    auto c = p.counter("c_total");
    REQUIRE(p.publish().ok());
    const ReadOnlyMap map{std::string(p.path())};
    const auto r = test::hammer(
        kChangesSeen, [&](uint32_t) { c.add(test::kBothHalvesOne); }, [&] { return map.read(0); },
        test::halves_equal);
    MESSAGE("reads ", r.reads, ", changes seen ", r.changes);
    CHECK(r.torn == 0);
    CHECK(r.backwards == 0);
}

TEST_CASE("guarded_copy_never_reads_a_torn_gauge_while_a_producer_stores") {
    REQUIRE(files::install_fault_handler());
    test::ScratchDir dir;
    Producer p(dir.path(), "torn");
    auto g = p.gauge("g");
    REQUIRE(p.publish().ok());
    const ReadOnlyMap map{std::string(p.path())};
    const auto r = test::hammer(
        kChangesSeen, [&](uint32_t k) { g.set(int64_t(test::tied(k))); }, [&] { return map.read(0); },
        [](uint64_t v) { return v == 0 || test::is_tied(v); });
    MESSAGE("reads ", r.reads, ", changes seen ", r.changes);
    CHECK(r.torn == 0);
    CHECK(r.backwards == 0);
}
