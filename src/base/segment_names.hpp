// The numbered files of mmwatch's on-disk logs (history segments in
// --history-dir, the remote_write spool): "segment-", the id in 18 digits
// (so names sort as their ids do), a suffix naming the format.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace mmwatch::base {

inline constexpr std::string_view kSegmentPrefix = "segment-";
// An id has at most 18 digits: it fits in an int64 and the name sorts.
inline constexpr size_t kMaxSegmentIdDigits = 18;

[[nodiscard]] inline std::string segment_path(std::string_view dir, uint64_t id, std::string_view suffix) {
    char digits[24];
    std::snprintf(digits, sizeof digits, "%018llu", static_cast<unsigned long long>(id));
    std::string path(dir);
    path += '/';
    path += kSegmentPrefix;
    path += digits;
    path += suffix;
    return path;
}

// The id of a file named as segment_path names one with `suffix`, or
// nothing for any other name.
[[nodiscard]] inline std::optional<uint64_t> segment_id(std::string_view name, std::string_view suffix) {
    if (!name.starts_with(kSegmentPrefix) || !name.ends_with(suffix)) return std::nullopt;
    const std::string_view digits =
        name.substr(kSegmentPrefix.size(), name.size() - kSegmentPrefix.size() - suffix.size());
    if (digits.empty() || digits.size() > kMaxSegmentIdDigits ||
        digits.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    uint64_t id = 0;
    for (char c : digits) id = id * 10 + uint64_t(c - '0');
    return id;
}

}  // namespace mmwatch::base
