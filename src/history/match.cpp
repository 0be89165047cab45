#include "history/match.hpp"

#include <algorithm>

namespace mmwatch::history {

namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

void skip_space(std::string_view& s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
}

std::string_view take_name(std::string_view& s) {
    size_t n = 0;
    if (!s.empty() && name_start(s[0])) {
        while (n < s.size() && name_char(s[n])) ++n;
    }
    const std::string_view name = s.substr(0, n);
    s.remove_prefix(n);
    return name;
}

// A double-quoted string with Prometheus' escapes; false if it is not one.
bool take_string(std::string_view& s, std::string& out) {
    if (s.empty() || s.front() != '"') return false;
    s.remove_prefix(1);
    out.clear();
    while (!s.empty() && s.front() != '"') {
        char c = s.front();
        s.remove_prefix(1);
        if (c == '\\') {
            if (s.empty()) return false;
            const char e = s.front();
            s.remove_prefix(1);
            switch (e) {
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                case '\\': case '"': case '\'': c = e; break;
                default: return false;
            }
        }
        out.push_back(c);
    }
    if (s.empty()) return false;
    s.remove_prefix(1);
    return true;
}

bool fail(std::string& error, std::string_view why) {
    error = std::string(why) + " (only name{label=\"value\",...} is accepted until PromQL selectors land)";
    return false;
}

// The {l="v",...} part, after its '{'.
bool take_matchers(std::string_view& s, std::vector<Equality>& out, std::string& error) {
    for (;;) {
        skip_space(s);
        if (!s.empty() && s.front() == '}') break;
        const std::string_view name = take_name(s);
        if (name.empty()) return fail(error, "a label name was expected");
        skip_space(s);
        if (s.empty() || s.front() != '=' || (s.size() > 1 && s[1] == '~')) return fail(error, "'=' was expected");
        s.remove_prefix(1);
        skip_space(s);
        Equality e{std::string(name), {}};
        if (!take_string(s, e.value)) return fail(error, "a double-quoted label value was expected");
        out.push_back(std::move(e));
        skip_space(s);
        if (!s.empty() && s.front() == ',') {
            s.remove_prefix(1);
            continue;
        }
        if (s.empty() || s.front() != '}') return fail(error, "',' or '}' was expected");
    }
    s.remove_prefix(1);
    return true;
}

}  // namespace

bool parse_equality_selector(std::string_view s, std::vector<Equality>& out, std::string& error) {
    out.clear();
    skip_space(s);
    const std::string_view metric = take_name(s);
    if (!metric.empty()) out.push_back({"__name__", std::string(metric)});
    skip_space(s);
    if (!s.empty() && s.front() == '{') {
        s.remove_prefix(1);
        if (!take_matchers(s, out, error)) return false;
    }
    skip_space(s);
    if (!s.empty()) return fail(error, "unexpected text after the selector");
    const bool any = std::any_of(out.begin(), out.end(), [](const Equality& e) { return !e.value.empty(); });
    if (!any) return fail(error, "a selector needs a metric name or a label with a non-empty value");
    return true;
}

void select_series(Store& store, const std::vector<Equality>& matchers, std::vector<SeriesId>& out) {
    std::vector<SeriesId> hits;
    bool first = true;
    for (const Equality& m : matchers) {
        if (m.value.empty()) continue;
        const std::span<const SeriesId> p = store.postings(m.name, m.value);
        if (first) {
            hits.assign(p.begin(), p.end());
            first = false;
            continue;
        }
        std::vector<SeriesId> both;
        std::set_intersection(hits.begin(), hits.end(), p.begin(), p.end(), std::back_inserter(both));
        hits.swap(both);
    }
    // l="": the series must not have the label.
    std::vector<LabelView> labels;
    for (const SeriesId id : hits) {
        if (!store.live(id)) continue;
        store.labels(id, labels);
        const bool ok = std::all_of(matchers.begin(), matchers.end(), [&](const Equality& m) {
            return !m.value.empty() ||
                   std::none_of(labels.begin(), labels.end(), [&](const LabelView& l) { return l.name == m.name; });
        });
        if (ok) out.push_back(id);
    }
}

void select_union(Store& store, const std::vector<std::vector<Equality>>& selectors, std::vector<SeriesId>& out) {
    out.clear();
    for (const auto& s : selectors) select_series(store, s, out);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
}

}  // namespace mmwatch::history
