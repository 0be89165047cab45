// A runner for Prometheus's PromQL test scripts (promql/promqltest: load,
// clear, eval instant/range, expect fail/warn/info/ordered/string/range
// vector, the legacy eval_fail/eval_warn/eval_info/eval_ordered), run
// against mmwatch's engine as Prometheus's own test engine runs them:
// every instant eval is also run with @ pinned at other times and as a
// range query around its time. Cases mmwatch cannot run (native
// histograms, start timestamps, what the engine refuses as unsupported)
// are skipped with their reason, never passed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "promql/engine.hpp"
#include "promql/label_set.hpp"

namespace mmwatch::promql::test {

struct SeqValue {
    bool omitted = false;
    bool histogram = false;  // a native histogram ({{...}}): not loaded
    double value = 0;
};

struct SeriesLine {
    Labels labels;
    std::vector<SeqValue> values;
    bool start_timestamps = false;  // an @st line preceded it
};

struct LoadCmd {
    int line = 0;
    int64_t gap_ms = 0;
    bool with_nhcb = false;
    std::vector<SeriesLine> series;
};

struct Expect {
    enum Kind { ordered, fail, warn, no_warn, info, no_info } kind;
    bool any = true;        // no message given
    bool regex = false;
    std::string text;
};

struct Expected {
    Labels labels;
    std::vector<SeqValue> values;
    int pos = 0;
};

struct EvalCmd {
    int line = 0;
    std::string expr;
    bool range = false;
    int64_t start = 0, end = 0, step = 0, eval_time = 0;
    bool legacy_fail = false, legacy_warn = false, legacy_info = false, legacy_ordered = false;
    std::optional<std::string> fail_message;
    std::optional<std::string> fail_regexp;
    std::vector<Expect> expects;
    bool expect_scalar = false;
    double scalar = 0;
    std::vector<Expected> expected;
    std::optional<std::string> expected_string;
    bool exclude_from_range = false;
    bool expects_histogram = false;

    [[nodiscard]] bool ordered() const;
    [[nodiscard]] bool fails() const;
};

struct Command {
    enum Kind { load, clear, eval } kind;
    LoadCmd load_cmd;
    EvalCmd eval_cmd;
};

// A Prometheus duration ("5m", "1h30m", "0") in milliseconds.
[[nodiscard]] bool duration_ms(const std::string& s, int64_t& ms);

// The commands of a script, or false with a message naming the line.
[[nodiscard]] bool parse_script(const std::string& text, std::vector<Command>& out, std::string& error);

// A Prometheus series description: `name{a="b"} 1+2x3 _ stale {{...}}`.
[[nodiscard]] bool parse_series_line(const std::string& line, SeriesLine& out, std::string& error);

enum class Outcome { pass, fail, skip };

struct CaseResult {
    int line = 0;
    std::string expr;
    Outcome outcome = Outcome::pass;
    std::string reason;  // why it failed or was skipped
};

// Runs a parsed script; one result per eval command. Prometheus runs its
// files with delayed name removal; mmwatch's default (and Prometheus's)
// is eager removal, which a few files' expectations do not hold for.
[[nodiscard]] std::vector<CaseResult> run_script(const std::vector<Command>& commands, bool delayed_name_removal = true);

// The engine options Prometheus's test engine uses (promqltest.NewTestEngine).
[[nodiscard]] EngineOptions test_engine_options();

}  // namespace mmwatch::promql::test
