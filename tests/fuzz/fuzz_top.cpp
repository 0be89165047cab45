// libFuzzer target: what a server (or whatever answers at the URL given to
// `mmwatch top`) can send it: an answer body through each of top's JSON
// parsers, the rows laid out at a width and height taken from the input.
// Every frame has exactly its height in lines of exactly its width.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "top/layout.hpp"
#include "top/model.hpp"

using namespace mmwatch::top;

namespace {

size_t code_points(const std::string& t) {
    size_t n = 0;
    for (char c : t)
        n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 3)
        return 0;
    const size_t width = 1 + data[0] % 160, height = 1 + data[1] % 60;
    const std::string_view body(reinterpret_cast<const char*>(data + 3), size - 3);
    Snapshot snap;
    snap.connected = true;
    State state;
    std::vector<RangeSeries> ranges;
    switch (data[2] % 5) {
    case 0: state.view = View::series; (void)parse_vector(body, snap.series); break;
    case 1: state.view = View::files; (void)parse_sources(body, snap.sources); break;
    case 2: state.view = View::otlp; (void)parse_services(body, snap.services); break;
    case 3: state.view = View::push; (void)parse_vector(body, snap.series); snap.push = push_targets(snap.series); break;
    default:
        state.view = View::series;
        state.focused = true;
        (void)parse_matrix(body, ranges);
        if (!ranges.empty())
            snap.focus = ranges[0];
        break;
    }
    const auto lines = layout(state, snap, width, height, (data[2] / 5) % 2 ? Glyphs::utf8 : Glyphs::ascii, 1e9);
    FUZZ_CHECK(lines.size() == height);
    for (const auto& l : lines)
        FUZZ_CHECK(code_points(l.text) == width);
    (void)plain_table(state, snap, 1e9);
    return 0;
}
