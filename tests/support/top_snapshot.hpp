// A small top::Snapshot the layout and rows tests share: two series, the
// counter with a known rate and sparkline.
#pragma once

#include "top/rows.hpp"

namespace mmwatch::test {

inline top::Snapshot two_series() {
    using namespace top;
    Snapshot s;
    s.url = "http://127.0.0.1:9479";
    s.connected = true;
    s.series = {Series{"b_total", {{"name", "web"}}, 5}, Series{"a", {{"name", "web"}}, 9}};
    s.sparks["b_total{name=\"web\"}"] = Spark{{1, 2, 3}, 2.5, true, 100};
    return s;
}

}  // namespace mmwatch::test
