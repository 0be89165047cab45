#include "daemon/history_select.hpp"

#include <algorithm>
#include <iterator>

#include "promql/parser.hpp"

namespace mmwatch::daemon {

using history::SeriesId;

bool parse_export_selector(std::string_view text, std::vector<promql::Matcher>& out, std::string& error) {
    if (!promql::parse_selector(text, out, error)) return false;
    if (std::all_of(out.begin(), out.end(), [](const promql::Matcher& m) { return m.matches(""); })) {
        error = "a selector needs at least one matcher that does not match the empty string";
        return false;
    }
    return true;
}

namespace {

// The series every equality matcher with a value holds for (from the
// postings), or every series when the selector has none.
void candidates(history::Store& store, const std::vector<promql::Matcher>& matchers, std::vector<SeriesId>& out) {
    bool first = true;
    for (const promql::Matcher& m : matchers) {
        if (m.type() != promql::MatchType::equal || m.value().empty()) continue;
        const std::span<const SeriesId> p = store.postings(m.name(), m.value());
        if (first) {
            out.assign(p.begin(), p.end());
            first = false;
            continue;
        }
        std::vector<SeriesId> both;
        std::set_intersection(out.begin(), out.end(), p.begin(), p.end(), std::back_inserter(both));
        out.swap(both);
    }
    if (first) store.all_series(out);
}

bool matches_all(const std::vector<history::LabelView>& labels, const std::vector<promql::Matcher>& matchers) {
    return std::all_of(matchers.begin(), matchers.end(), [&](const promql::Matcher& m) {
        const auto it = std::find_if(labels.begin(), labels.end(),
                                     [&](const history::LabelView& l) { return l.name == m.name(); });
        return m.matches(it == labels.end() ? std::string_view{} : it->value);
    });
}

}  // namespace

void select_history(history::Store& store, const std::vector<std::vector<promql::Matcher>>& selectors,
                    std::vector<SeriesId>& out) {
    out.clear();
    std::vector<SeriesId> ids;
    std::vector<history::LabelView> labels;
    for (const auto& matchers : selectors) {
        candidates(store, matchers, ids);
        for (const SeriesId id : ids) {
            if (!store.live(id)) continue;
            store.labels(id, labels);
            if (matches_all(labels, matchers)) out.push_back(id);
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
}

}  // namespace mmwatch::daemon
