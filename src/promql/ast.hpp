// The syntax tree of a PromQL expression, shaped like Prometheus's
// parser.Expr nodes so the evaluator can follow Prometheus's engine node by
// node. Times are kept as Prometheus keeps them: durations in nanoseconds
// (time.Duration), timestamps in milliseconds.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "promql/functions.hpp"
#include "promql/lexer.hpp"
#include "promql/matcher.hpp"

namespace mmwatch::promql {

struct PosRange {
    uint32_t start = 0;
    uint32_t end = 0;
};

enum class NodeKind : uint8_t {
    aggregate, binary, call, matrix_selector, subquery, number, paren, string, unary,
    vector_selector, step_invariant, duration,
};

struct Expr {
    explicit Expr(NodeKind k) noexcept : kind(k) {}
    virtual ~Expr() = default;
    Expr(const Expr&) = delete;
    Expr& operator=(const Expr&) = delete;
    [[nodiscard]] ValueType type() const noexcept;
    [[nodiscard]] PosRange pos() const noexcept;
    const NodeKind kind;
};
using ExprPtr = std::unique_ptr<Expr>;

// The selected series of a selector, filled in once per query on first use
// (Prometheus's VectorSelector.Series); owned by the evaluator.
struct SelectedSeries;

struct VectorSelector final : Expr {
    VectorSelector() noexcept : Expr(NodeKind::vector_selector) {}
    std::string name;
    std::vector<Matcher> matchers;
    int64_t original_offset_ns = 0;
    ExprPtr original_offset_expr;  // a DurationExpr, evaluated by preprocessing
    int64_t offset_ns = 0;         // after @ adjustment (setOffsetForAtModifier)
    std::optional<int64_t> timestamp_ms;
    Tok start_or_end = Tok::eof;   // Tok::start or Tok::end for @ start()/end()
    bool anchored = false;
    bool smoothed = false;
    bool bypass_empty_matcher_check = false;
    PosRange range;
    // Set by preprocessing: the time range its series are selected over
    // (Prometheus's getTimeRangesForSelector), then the selection itself.
    int64_t select_mint = 0;
    int64_t select_maxt = 0;
    SelectedSeries* series = nullptr;
};

struct MatrixSelector final : Expr {
    MatrixSelector() noexcept : Expr(NodeKind::matrix_selector) {}
    ExprPtr vector_selector;  // a VectorSelector once the tree is valid
    int64_t range_ns = 0;
    ExprPtr range_expr;
    uint32_t end_pos = 0;
    [[nodiscard]] VectorSelector& vs() const noexcept { return static_cast<VectorSelector&>(*vector_selector); }
};

struct SubqueryExpr final : Expr {
    SubqueryExpr() noexcept : Expr(NodeKind::subquery) {}
    ExprPtr expr;
    int64_t range_ns = 0;
    ExprPtr range_expr;
    int64_t step_ns = 0;
    ExprPtr step_expr;
    int64_t original_offset_ns = 0;
    ExprPtr original_offset_expr;
    int64_t offset_ns = 0;
    std::optional<int64_t> timestamp_ms;
    Tok start_or_end = Tok::eof;
    uint32_t end_pos = 0;
};

struct AggregateExpr final : Expr {
    AggregateExpr() noexcept : Expr(NodeKind::aggregate) {}
    Tok op = Tok::sum;
    ExprPtr expr;
    ExprPtr param;
    std::vector<std::string> grouping;
    bool without = false;
    PosRange range;
};

enum class Card : uint8_t { one_to_one, many_to_one, one_to_many, many_to_many };

struct VectorMatching {
    Card card = Card::one_to_one;
    std::vector<std::string> matching_labels;
    bool on = false;
    std::vector<std::string> include;
    std::optional<double> fill_lhs;
    std::optional<double> fill_rhs;
};

struct BinaryExpr final : Expr {
    BinaryExpr() noexcept : Expr(NodeKind::binary) {}
    Tok op = Tok::add;
    ExprPtr lhs;
    ExprPtr rhs;
    std::optional<VectorMatching> matching;  // only between two instant vectors
    bool return_bool = false;
};

struct Call final : Expr {
    Call() noexcept : Expr(NodeKind::call) {}
    const Function* func = nullptr;
    std::vector<ExprPtr> args;
    PosRange range;
};

struct NumberLiteral final : Expr {
    NumberLiteral() noexcept : Expr(NodeKind::number) {}
    double val = 0;
    bool duration = false;
    PosRange range;
};

struct StringLiteral final : Expr {
    StringLiteral() noexcept : Expr(NodeKind::string) {}
    std::string val;
    PosRange range;
};

struct ParenExpr final : Expr {
    ParenExpr() noexcept : Expr(NodeKind::paren) {}
    ExprPtr expr;
    PosRange range;
};

struct UnaryExpr final : Expr {
    UnaryExpr() noexcept : Expr(NodeKind::unary) {}
    Tok op = Tok::sub;
    ExprPtr expr;
    uint32_t start = 0;
};

// Marks a subtree whose value does not change from step to step (an @
// modifier): evaluated once, repeated for every step.
struct StepInvariantExpr final : Expr {
    StepInvariantExpr() noexcept : Expr(NodeKind::step_invariant) {}
    ExprPtr expr;
};

// Arithmetic on durations inside [] and after offset (experimental in
// Prometheus): op is add/sub/mul/div/mod/pow, step, range, max_of, min_of.
struct DurationExpr final : Expr {
    DurationExpr() noexcept : Expr(NodeKind::duration) {}
    Tok op = Tok::add;
    ExprPtr lhs;  // null for unary and step()/range()
    ExprPtr rhs;
    bool wrapped = false;
    uint32_t start = 0;
    uint32_t end = 0;
};

template <class T>
[[nodiscard]] T& as(Expr& e) noexcept { return static_cast<T&>(e); }
template <class T>
[[nodiscard]] const T& as(const Expr& e) noexcept { return static_cast<const T&>(e); }

// Calls `fn(node, path)` for every node, parents first; `path` holds the
// ancestors, outermost first (Prometheus's parser.Inspect).
template <class Fn>
void inspect(Expr& e, Fn&& fn, std::vector<Expr*>& path);
template <class Fn>
void inspect(Expr& e, Fn&& fn) {
    std::vector<Expr*> path;
    inspect(e, fn, path);
}

// The children of a node in Prometheus's order.
[[nodiscard]] std::vector<Expr*> children(Expr& e);

template <class Fn>
void inspect(Expr& e, Fn&& fn, std::vector<Expr*>& path) {
    fn(e, path);
    path.push_back(&e);
    for (Expr* c : children(e)) inspect(*c, fn, path);
    path.pop_back();
}

// The expression printed back as PromQL (Prometheus's String()), for
// messages and tests.
[[nodiscard]] std::string to_string(const Expr& e);

}  // namespace mmwatch::promql
