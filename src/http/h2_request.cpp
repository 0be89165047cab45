// The names of the HTTP/2 refusals, and a request's header fields.
#include "base/enum_names.hpp"
#include "http/h2_session.hpp"

namespace mmwatch::http {

namespace {

MMWATCH_ENUM_TABLE(H2Refusal, kRefusalNames) = {
    MMWATCH_ROW(none), MMWATCH_ROW(bad_preface), MMWATCH_ROW(preface_timeout),
    MMWATCH_ROW(rapid_reset), MMWATCH_ROW(continuation_flood), MMWATCH_ROW(settings_flood),
    MMWATCH_ROW(ping_flood), MMWATCH_ROW(window_update_flood), MMWATCH_ROW(empty_data_flood),
    MMWATCH_ROW(priority_flood), MMWATCH_ROW(outbound_flood), MMWATCH_ROW(stalled_window),
    MMWATCH_ROW(stream_ids_exhausted), MMWATCH_ROW(header_compression), MMWATCH_ROW(protocol_error),
    MMWATCH_ROW(out_of_memory),
};
static_assert(base::rows_match(kRefusalNames, kH2RefusalCount));

// The second table of this file, so its rows name their enum in full.
constexpr base::EnumRow<H2StreamRefusal> kStreamRefusalNames[] = {
    {H2StreamRefusal::none, "none"},
    {H2StreamRefusal::header_list_too_large, "header_list_too_large"},
    {H2StreamRefusal::body_too_large, "body_too_large"},
    {H2StreamRefusal::memory_budget, "memory_budget"},
    {H2StreamRefusal::connection_share, "connection_share"},
};
static_assert(base::rows_match(kStreamRefusalNames, kH2StreamRefusalCount));

// HPACK's per-field overhead (RFC 7541 4.1), as SETTINGS_MAX_HEADER_LIST_SIZE counts.
constexpr size_t kFieldOverheadBytes = 32;

}  // namespace

std::string_view h2_refusal_name(H2Refusal r) noexcept { return base::name_of(kRefusalNames, r); }
std::string_view h2_stream_refusal_name(H2StreamRefusal r) noexcept { return base::name_of(kStreamRefusalNames, r); }

bool H2Request::count_field(std::string_view name, std::string_view value, size_t cap_bytes) {
    list_bytes_ += name.size() + value.size() + kFieldOverheadBytes;
    return list_bytes_ <= cap_bytes;
}

bool H2Request::add_field(std::string_view name, std::string_view value, size_t cap_bytes) {
    if (!count_field(name, value, cap_bytes)) return false;
    const auto at = uint32_t(text_.size());
    text_.append(name).append(value);
    fields_.push_back({at, uint32_t(name.size()), at + uint32_t(name.size()), uint32_t(value.size())});
    return true;
}

H2Field H2Request::field(size_t i) const noexcept {
    const Span& f = fields_[i];
    const std::string_view t(text_);
    return {t.substr(f.name_at, f.name_len), t.substr(f.value_at, f.value_len)};
}

std::string_view H2Request::header(std::string_view name) const noexcept {
    for (size_t i = 0; i < fields_.size(); ++i) {
        const H2Field f = field(i);
        if (f.name == name) return f.value;
    }
    return {};
}

}  // namespace mmwatch::http
