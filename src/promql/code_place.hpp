// A place in the source: where a query's budget tick suspended it. Names
// the part of a query a long slice was in (tools/bench/promql_slices).
#pragma once

namespace mmwatch::promql {

// File and line, from __builtin_FILE and __builtin_LINE as default
// arguments (gcc and clang 14, which builds the fuzzers, have them;
// std::source_location needs clang 15).
struct CodePlace {
    const char* file = "";
    unsigned line = 0;
};

}  // namespace mmwatch::promql
