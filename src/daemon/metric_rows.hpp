// Rows of the daemon's self-metric families (self_metrics.cpp,
// grpc_self_metrics.cpp): one series of a counter labelled with one name,
// and a family with one series per value of an enum, written at zero too
// so a dashboard tells "none happened" from "no data".
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "prom/writer.hpp"

namespace mmwatch::daemon {

inline void row(prom::Writer& out, std::string_view label, std::string_view value, uint64_t v) {
    prom::labelled(out, label, value, double(v));
}

// `f` with a series per enum value from `first` (1 leaves out a "none"):
// label=name(E(i)), value counts[i].
template <typename E>
void enum_rows(prom::Writer& out, const prom::Family& f, std::string_view label, std::string_view (*name)(E),
               std::span<const uint64_t> counts, size_t first = 0) {
    prom::head(out, f);
    for (size_t i = first; i < counts.size(); ++i) row(out, label, name(E(i)), counts[i]);
}

}  // namespace mmwatch::daemon
