#include "promqltest_compare.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "promql/format.hpp"
#include "promql/go_compat.hpp"
#include "promql/value.hpp"

namespace mmwatch::promql::test {

namespace {

constexpr double kEpsilon = 0.000001;

bool matches(const Expect& e, const std::string& text) {
    if (e.any) return true;
    if (e.regex) return re2::RE2::PartialMatch(text, re2::RE2(e.text));
    return e.text == text;
}

std::string check_kind(const EvalCmd& cmd, Expect::Kind kind, const std::vector<std::string>& actual,
                       const char* name) {
    std::vector<const Expect*> expected;
    for (const Expect& e : cmd.expects)
        if (e.kind == kind) expected.push_back(&e);
    if (expected.empty()) return {};
    if (actual.empty()) return std::string("expected ") + name + " annotations but none were found";
    for (const Expect* e : expected)
        if (std::none_of(actual.begin(), actual.end(), [&](const std::string& a) { return matches(*e, a); }))
            return std::string("expected ") + name + " annotation matching \"" + e->text + "\", not found";
    for (const std::string& a : actual)
        if (std::none_of(expected.begin(), expected.end(), [&](const Expect* e) { return matches(*e, a); }))
            return std::string("unexpected ") + name + " annotation \"" + a + "\"";
    return {};
}

const Expected* find_expected(const EvalCmd& cmd, const Labels& ls) {
    for (const Expected& e : cmd.expected)
        if (e.labels == ls) return &e;
    return nullptr;
}

std::string fmt(double v) { return format_go_g(v); }

std::string compare_matrix(const EvalCmd& cmd, const Matrix& m) {
    if (cmd.ordered()) return "expected ordered result, but query returned a matrix";
    if (cmd.expect_scalar) return "expected scalar result, but got matrix";
    for (size_t i = 1; i < m.size(); ++i)
        if (compare(m[i - 1].metric, m[i].metric) > 0) return "matrix results should always be sorted by labels";
    for (const Series& s : m) {
        const Expected* e = find_expected(cmd, s.metric);
        if (!e) return "unexpected metric " + s.metric.to_string() + " in result";
        std::vector<FPoint> want;
        for (size_t i = 0; i < e->values.size(); ++i) {
            const int64_t ts = cmd.start + static_cast<int64_t>(i) * cmd.step;
            if (ts > cmd.end) return "expected more points than the time range can return";
            if (!e->values[i].omitted) want.push_back({ts, e->values[i].value});
        }
        if (want.size() != s.floats.size())
            return "expected " + std::to_string(want.size()) + " points for " + s.metric.to_string() + ", got " +
                   std::to_string(s.floats.size());
        for (size_t i = 0; i < want.size(); ++i) {
            if (want[i].t != s.floats[i].t)
                return "point " + std::to_string(i) + " of " + s.metric.to_string() + " at " +
                       std::to_string(s.floats[i].t) + ", expected at " + std::to_string(want[i].t);
            if (!almost_equal(s.floats[i].f, want[i].f))
                return "point " + std::to_string(i) + " of " + s.metric.to_string() + ": expected " + fmt(want[i].f) +
                       ", got " + fmt(s.floats[i].f);
        }
    }
    for (const Expected& e : cmd.expected)
        if (std::none_of(m.begin(), m.end(), [&](const Series& s) { return s.metric == e.labels; }))
            return "expected metric " + e.labels.to_string() + " not found";
    return {};
}

std::string compare_vector(const EvalCmd& cmd, const Vector& v) {
    if (cmd.expect_scalar) return "expected scalar result, but got a vector";
    for (size_t pos = 0; pos < v.size(); ++pos) {
        const Expected* e = find_expected(cmd, v[pos].metric);
        if (!e) return "unexpected metric " + v[pos].metric.to_string() + " in result, value " + fmt(v[pos].f);
        if (cmd.ordered() && e->pos != static_cast<int>(pos) + 1)
            return "expected metric " + v[pos].metric.to_string() + " at position " + std::to_string(e->pos) +
                   " but was at " + std::to_string(pos + 1);
        if (e->values.empty() || !almost_equal(e->values[0].value, v[pos].f))
            return "expected " + (e->values.empty() ? std::string("?") : fmt(e->values[0].value)) + " for " +
                   v[pos].metric.to_string() + " but got " + fmt(v[pos].f);
    }
    for (const Expected& e : cmd.expected)
        if (std::none_of(v.begin(), v.end(), [&](const Sample& s) { return s.metric == e.labels; }))
            return "expected metric " + e.labels.to_string() + " not found";
    return {};
}

}  // namespace

bool almost_equal(double a, double b) { return promql::almost_equal(a, b, kEpsilon); }

std::string check_expected_failure(const EvalCmd& cmd, const std::string& message) {
    if (cmd.fail_message && *cmd.fail_message != message)
        return "expected error \"" + *cmd.fail_message + "\", got: " + message;
    if (cmd.fail_regexp && !re2::RE2::PartialMatch(message, re2::RE2(*cmd.fail_regexp)))
        return "expected error matching \"" + *cmd.fail_regexp + "\", got: " + message;
    for (const Expect& e : cmd.expects)
        if (e.kind == Expect::fail) return matches(e, message) ? "" : "expected error matching \"" + e.text + "\", got: " + message;
    return {};
}

std::string check_annotations(const EvalCmd& cmd, const std::vector<Annotation>& annotations) {
    std::vector<std::string> warnings, infos;
    for (const Annotation& a : annotations) (a.warning ? warnings : infos).push_back(a.message);
    if (cmd.legacy_warn && warnings.empty()) return "expected warnings but got none";
    if (cmd.legacy_info && infos.empty()) return "expected info annotations but got none";
    if (std::string w = check_kind(cmd, Expect::warn, warnings, "warn"); !w.empty()) return w;
    if (std::string i = check_kind(cmd, Expect::info, infos, "info"); !i.empty()) return i;
    for (const Expect& e : cmd.expects) {
        if (e.kind == Expect::no_warn && !warnings.empty()) return "unexpected warning: " + warnings[0];
        if (e.kind == Expect::no_info && !infos.empty()) return "unexpected info: " + infos[0];
    }
    return {};
}

std::string compare_result(const EvalCmd& cmd, const QueryResult& r) {
    switch (r.kind) {
    case QueryResult::Kind::matrix: return compare_matrix(cmd, r.matrix);
    case QueryResult::Kind::vector: return compare_vector(cmd, r.vector);
    case QueryResult::Kind::scalar:
        if (!cmd.expect_scalar) return "expected vector or matrix result, but got scalar " + fmt(r.scalar);
        if (!almost_equal(cmd.scalar, r.scalar)) return "expected scalar " + fmt(cmd.scalar) + " but got " + fmt(r.scalar);
        return {};
    case QueryResult::Kind::string:
        if (!cmd.expected_string || *cmd.expected_string != r.string)
            return "expected string \"" + cmd.expected_string.value_or("") + "\" but got \"" + r.string + "\"";
        return {};
    }
    return "unknown result";
}

std::string compare_range_mode(const EvalCmd& cmd, const QueryResult& instant, const QueryResult& range, int64_t t) {
    for (size_t i = 1; i < range.matrix.size(); ++i)
        if (compare(range.matrix[i - 1].metric, range.matrix[i].metric) > 0) return "matrix results should always be sorted by labels";
    QueryResult at_t;
    at_t.kind = QueryResult::Kind::vector;
    for (const Series& s : range.matrix)
        for (const FPoint& p : s.floats)
            if (p.t == t) {
                at_t.vector.push_back({s.metric, p.t, p.f, false});
                break;
            }
    if (instant.kind == QueryResult::Kind::scalar) {
        if (at_t.vector.empty()) return "range mode returned no value for the scalar";
        at_t.kind = QueryResult::Kind::scalar;
        at_t.scalar = at_t.vector[0].f;
    }
    return compare_result(cmd, at_t);
}

}  // namespace mmwatch::promql::test
