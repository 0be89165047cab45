// Running promqltest commands against mmwatch's engine (test.go's exec,
// execInstantEval, runInstantQuery, execRangeEval, atModifierTestCases).
#include <re2/re2.h>

#include <cmath>

#include "promql/ast.hpp"
#include "promql/memory_storage.hpp"
#include "promql/parser.hpp"
#include "promqltest.hpp"
#include "promqltest_compare.hpp"

namespace mmwatch::promql::test {

EngineOptions test_engine_options() {
    EngineOptions o;
    o.max_samples = 10'000;  // promqltest.DefaultMaxSamplesPerQuery
    o.timeout_ms = 100'000;
    o.lookback_delta_ms = 5 * 60 * 1000;
    o.default_subquery_step_ms = 60'000;
    o.delayed_name_removal = true;
    // Small slices, so that every case also exercises suspending and
    // resuming the evaluator.
    o.work_per_slice = 97;
    o.parse = {true, true, true, true};
    return o;
}

namespace {

constexpr std::string_view kUnsupported = "unsupported: ";

struct Fail {
    std::string reason;
    bool skip = false;
};

class Runner {
public:
    std::vector<CaseResult> run(const std::vector<Command>& commands);
    void set_delayed_name_removal(bool on) { opts_.delayed_name_removal = on; }

private:
    void load(const LoadCmd& cmd);
    std::optional<Fail> eval(const EvalCmd& cmd);
    std::optional<Fail> instant(const EvalCmd& cmd, ExprPtr tree, int64_t t, const std::string& text);
    std::optional<Fail> range(const EvalCmd& cmd);
    std::optional<Fail> outcome_error(const EvalCmd& cmd, const QueryError& err);
    bool touches(Expr& e, const std::vector<Labels>& sets);

    MemoryStorage store_;
    std::vector<Labels> native_;
    std::vector<Labels> start_times_;
    EngineOptions opts_ = test_engine_options();
};

void Runner::load(const LoadCmd& cmd) {
    for (const SeriesLine& s : cmd.series) {
        bool histogram = false;
        for (const SeqValue& v : s.values) histogram = histogram || v.histogram;
        if (histogram) {
            native_.push_back(s.labels);
            continue;
        }
        if (s.start_timestamps) start_times_.push_back(s.labels);
        for (size_t i = 0; i < s.values.size(); ++i)
            if (!s.values[i].omitted) store_.append(s.labels, static_cast<int64_t>(i) * cmd.gap_ms, s.values[i].value);
        if (!cmd.with_nhcb) continue;
        // load_with_nhcb also stores the classic histogram as a native one
        // under the base name: queries reading it need native histograms.
        const std::string name(s.labels.get(kMetricNameLabel));
        for (std::string_view suffix : {"_bucket", "_count", "_sum"}) {
            if (!name.ends_with(suffix)) continue;
            LabelsBuilder b(s.labels);
            b.del(kBucketLabel);
            b.set(kMetricNameLabel, name.substr(0, name.size() - suffix.size()));
            native_.push_back(b.labels());
        }
    }
}

bool Runner::touches(Expr& e, const std::vector<Labels>& sets) {
    bool hit = false;
    inspect(e, [&](Expr& n, const std::vector<Expr*>&) {
        if (hit || n.kind != NodeKind::vector_selector) return;
        for (const Labels& ls : sets) {
            bool all = true;
            for (const Matcher& m : as<VectorSelector>(n).matchers) all = all && m.matches(ls.get(m.name()));
            hit = hit || all;
        }
    });
    return hit;
}

bool is_unsupported(const QueryError& err) {
    return err.type == ErrorType::bad_data && err.message.compare(0, kUnsupported.size(), kUnsupported) == 0;
}

std::optional<Fail> Runner::outcome_error(const EvalCmd& cmd, const QueryError& err) {
    if (is_unsupported(err)) return Fail{err.message, true};
    if (!cmd.fails()) return Fail{"error evaluating: " + err.message};
    if (std::string why = check_expected_failure(cmd, err.message); !why.empty()) return Fail{why};
    return std::nullopt;
}

// One instant query, then the same as a range query around its time.
std::optional<Fail> Runner::instant(const EvalCmd& cmd, ExprPtr tree, int64_t t, const std::string& text) {
    QueryError err;
    auto q = Query::from_tree(store_, std::move(tree), t, t, 0, opts_, &err);
    if (!q) return cmd.fails() && check_expected_failure(cmd, err.message).empty() ? std::nullopt
                                                                                : outcome_error(cmd, err);
    q->run_to_end(0);
    if (q->error()) {
        if (auto f = outcome_error(cmd, *q->error())) return f;
        return std::nullopt;
    }
    if (cmd.fails()) return Fail{"expected an error, got none (at " + std::to_string(t) + ")"};
    if (std::string why = check_annotations(cmd, q->result().annotations); !why.empty()) return Fail{why};
    if (std::string why = compare_result(cmd, q->result()); !why.empty())
        return Fail{why + " (instant at " + std::to_string(t) + ": " + text + ")"};
    static const re2::RE2 kContext(R"((start|end|range|step)\(\))");
    if (cmd.exclude_from_range || re2::RE2::PartialMatch(text, kContext)) return std::nullopt;
    auto rq = Query::range(store_, text, t - 60'000, t + 60'000, 60'000, opts_, &err);
    if (!rq) return Fail{"range mode: " + err.message};
    rq->run_to_end(0);
    if (rq->error()) return is_unsupported(*rq->error()) ? Fail{rq->error()->message, true}
                                                         : Fail{"range mode: " + rq->error()->message};
    if (cmd.ordered()) return std::nullopt;
    if (std::string why = compare_range_mode(cmd, q->result(), rq->result(), t); !why.empty())
        return Fail{why + " (range mode at " + std::to_string(t) + ": " + text + ")"};
    return std::nullopt;
}

// atModifierTestCases: the same query with every top-level selector and
// subquery pinned to the eval time by @, evaluated at other times.
void pin_at(Expr& root, int64_t ts) {
    inspect(root, [&](Expr& n, const std::vector<Expr*>& path) {
        for (Expr* p : path)
            if (p->kind == NodeKind::subquery && as<SubqueryExpr>(*p).timestamp_ms) return;
        auto pin = [&](std::optional<int64_t>& t, Tok& start_or_end) {
            if (!t) {
                t = ts;
                start_or_end = Tok::eof;
            }
        };
        if (n.kind == NodeKind::vector_selector) pin(as<VectorSelector>(n).timestamp_ms, as<VectorSelector>(n).start_or_end);
        else if (n.kind == NodeKind::subquery) pin(as<SubqueryExpr>(n).timestamp_ms, as<SubqueryExpr>(n).start_or_end);
    });
}

bool at_modifier_unsafe_anywhere(Expr& root) {
    bool unsafe = false;
    inspect(root, [&](Expr& n, const std::vector<Expr*>&) {
        unsafe = unsafe || (n.kind == NodeKind::call && at_modifier_unsafe(as<Call>(n).func->id));
    });
    return unsafe;
}

std::optional<Fail> Runner::eval(const EvalCmd& cmd) {
    if (cmd.expects_histogram) return Fail{"the expected result holds native histograms", true};
    Parsed p = parse(cmd.expr, opts_.parse);
    if (!p.ok()) return Fail{"does not parse: " + p.error.to_string(cmd.expr)};
    if (touches(*p.expr, native_)) return Fail{"reads series holding native histograms", true};
    if (touches(*p.expr, start_times_)) return Fail{"reads series with start timestamps (@st)", true};
    if (cmd.range) return range(cmd);
    if (auto f = instant(cmd, std::move(p.expr), cmd.eval_time, cmd.expr)) return f;
    Parsed probe = parse(cmd.expr, opts_.parse);
    if (at_modifier_unsafe_anywhere(*probe.expr)) return std::nullopt;
    const int64_t ts = cmd.eval_time;
    const std::vector<int64_t> times = ts == 0 ? std::vector<int64_t>{-1000, 0, 1000}
                                               : std::vector<int64_t>{-10 * ts, 0, ts / 5, ts, 10 * ts};
    for (const int64_t t : times) {
        Parsed v = parse(cmd.expr, opts_.parse);
        pin_at(*v.expr, ts);
        const std::string text = to_string(*v.expr);
        if (auto f = instant(cmd, std::move(v.expr), t, text)) return f;
    }
    return std::nullopt;
}

std::optional<Fail> Runner::range(const EvalCmd& cmd) {
    QueryError err;
    auto q = Query::range(store_, cmd.expr, cmd.start, cmd.end, cmd.step, opts_, &err);
    if (!q) return cmd.fails() && check_expected_failure(cmd, err.message).empty() ? std::nullopt
                                                                                : outcome_error(cmd, err);
    q->run_to_end(0);
    if (q->error()) return outcome_error(cmd, *q->error());
    if (cmd.fails()) return Fail{"expected an error, got none"};
    if (std::string why = check_annotations(cmd, q->result().annotations); !why.empty()) return Fail{why};
    if (std::string why = compare_result(cmd, q->result()); !why.empty()) return Fail{why};
    return std::nullopt;
}

std::vector<CaseResult> Runner::run(const std::vector<Command>& commands) {
    std::vector<CaseResult> out;
    for (const Command& c : commands) {
        if (c.kind == Command::clear) {
            store_.clear();
            native_.clear();
            start_times_.clear();
        } else if (c.kind == Command::load) {
            load(c.load_cmd);
        } else {
            CaseResult r{c.eval_cmd.line, c.eval_cmd.expr, Outcome::pass, {}};
            if (auto f = eval(c.eval_cmd)) {
                r.outcome = f->skip ? Outcome::skip : Outcome::fail;
                r.reason = f->reason;
            }
            out.push_back(std::move(r));
        }
    }
    return out;
}

}  // namespace

std::vector<CaseResult> run_script(const std::vector<Command>& commands, bool delayed_name_removal) {
    Runner r;
    r.set_delayed_name_removal(delayed_name_removal);
    return r.run(commands);
}

}  // namespace mmwatch::promql::test
