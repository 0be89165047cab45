// The command structure of a promqltest script: load blocks, clear, and
// eval blocks with their expectations (test.go's parse and parseEval).
#include <re2/re2.h>

#include <cctype>
#include <sstream>

#include "promql/lexer.hpp"
#include "promqltest.hpp"

namespace mmwatch::promql::test {

namespace {

std::string trim(const std::string& s) {
    size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
    return s.substr(a, b - a);
}

bool starts_with(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }


std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::stringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        line = trim(line);
        if (!line.empty() && line[0] == '#') line.clear();
        lines.push_back(line);
    }
    return lines;
}

bool parse_load(const std::vector<std::string>& lines, size_t& i, LoadCmd& cmd, std::string& error) {
    static const re2::RE2 kLoad(R"(^load(?:_(with_nhcb))?\s+(.+?)$)");
    std::string nhcb, step;
    if (!re2::RE2::FullMatch(lines[i], kLoad, &nhcb, &step) || !duration_ms(step, cmd.gap_ms)) {
        error = "invalid load command";
        return false;
    }
    cmd.line = static_cast<int>(i + 1);
    cmd.with_nhcb = nhcb == "with_nhcb";
    bool pending_start_timestamps = false;
    while (i + 1 < lines.size() && !lines[i + 1].empty()) {
        const std::string& def = lines[++i];
        const size_t space = def.find_first_of(" \t");
        if (space != std::string::npos && def.substr(0, space).ends_with("@st")) {
            pending_start_timestamps = true;
            continue;
        }
        SeriesLine s;
        if (!parse_series_line(def, s, error)) {
            error = "line " + std::to_string(i + 1) + ": " + error;
            return false;
        }
        s.start_timestamps = pending_start_timestamps;
        pending_start_timestamps = false;
        cmd.series.push_back(std::move(s));
    }
    return true;
}

bool parse_expect(const std::string& line, EvalCmd& cmd, std::string& error) {
    static const re2::RE2 kExpect(R"(^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$)");
    std::string kind, match, text;
    if (!re2::RE2::FullMatch(line, kExpect, &kind, &match, &text)) {
        error = "invalid expect statement";
        return false;
    }
    Expect e{Expect::ordered, match.empty(), match == "regex", trim(text)};
    if (kind == "fail") e.kind = Expect::fail;
    else if (kind == "warn") e.kind = Expect::warn;
    else if (kind == "no_warn") e.kind = Expect::no_warn;
    else if (kind == "info") e.kind = Expect::info;
    else if (kind == "no_info") e.kind = Expect::no_info;
    cmd.expects.push_back(std::move(e));
    return true;
}

bool parse_eval_head(const std::string& line, EvalCmd& cmd, std::string& error) {
    static const re2::RE2 kInstant(R"(^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$)");
    static const re2::RE2 kRange(R"(^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$)");
    std::string mod, at, from, to, step;
    if (re2::RE2::FullMatch(line, kInstant, &mod, &at, &cmd.expr)) {
        if (!duration_ms(at, cmd.eval_time)) return error = "invalid timestamp " + at, false;
        cmd.start = cmd.end = cmd.eval_time;
    } else if (re2::RE2::FullMatch(line, kRange, &mod, &from, &to, &step, &cmd.expr)) {
        cmd.range = true;
        if (!duration_ms(from, cmd.start) || !duration_ms(to, cmd.end) || !duration_ms(step, cmd.step))
            return error = "invalid range", false;
    } else {
        return error = "invalid evaluation command", false;
    }
    cmd.legacy_fail = mod == "fail";
    cmd.legacy_warn = mod == "warn";
    cmd.legacy_info = mod == "info";
    cmd.legacy_ordered = mod == "ordered";
    return true;
}

bool parse_eval_line(const std::string& def, EvalCmd& cmd, int& pos, std::string& error) {
    static const re2::RE2 kRangeVector(R"(^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$)");
    std::string from, to, step;
    if (starts_with(def, "expect range vector")) {
        if (!re2::RE2::FullMatch(def, kRangeVector, &from, &to, &step) || !duration_ms(from, cmd.start) ||
            !duration_ms(to, cmd.end) || !duration_ms(step, cmd.step))
            return error = "invalid range vector definition", false;
        cmd.eval_time = cmd.end;
        cmd.exclude_from_range = true;
        ++pos;
        return true;
    }
    if (starts_with(def, "expect string")) {
        std::string s;
        if (def.size() <= 14 || !unquote(def.substr(14), s)) return error = "bad expected string", false;
        cmd.expected_string = s;
        cmd.exclude_from_range = true;
        ++pos;
        return true;
    }
    if (def.substr(0, def.find(' ')) == "expect") return parse_expect(def, cmd, error);
    double v;
    if (parse_go_number(def, v)) {
        cmd.expect_scalar = true;
        cmd.scalar = v;
        return true;
    }
    SeriesLine s;
    if (!parse_series_line(def, s, error)) return false;
    Expected e{s.labels, s.values, pos++};
    for (const SeqValue& x : s.values) cmd.expects_histogram = cmd.expects_histogram || x.histogram;
    std::erase_if(cmd.expected, [&](const Expected& o) { return o.labels == e.labels; });
    cmd.expected.push_back(std::move(e));
    return true;
}

bool parse_eval(const std::vector<std::string>& lines, size_t& i, EvalCmd& cmd, std::string& error) {
    cmd.line = static_cast<int>(i + 1);
    if (!parse_eval_head(lines[i], cmd, error)) return false;
    int pos = 1;
    while (i + 1 < lines.size() && !lines[i + 1].empty()) {
        const std::string& def = lines[++i];
        if (cmd.legacy_fail && starts_with(def, "expected_fail_message")) {
            cmd.fail_message = trim(def.substr(21));
            break;
        }
        if (cmd.legacy_fail && starts_with(def, "expected_fail_regexp")) {
            cmd.fail_regexp = trim(def.substr(20));
            break;
        }
        if (!parse_eval_line(def, cmd, pos, error)) return false;
        if (cmd.expect_scalar) break;
    }
    return true;
}

}  // namespace

bool EvalCmd::ordered() const {
    if (legacy_ordered) return true;
    for (const Expect& e : expects)
        if (e.kind == Expect::ordered) return true;
    return false;
}

bool EvalCmd::fails() const {
    if (legacy_fail) return true;
    for (const Expect& e : expects)
        if (e.kind == Expect::fail) return true;
    return false;
}

bool parse_script(const std::string& text, std::vector<Command>& out, std::string& error) {
    const std::vector<std::string> lines = lines_of(text);
    for (size_t i = 0; i < lines.size(); ++i) {
        const std::string& l = lines[i];
        if (l.empty()) continue;
        std::string word = l.substr(0, l.find_first_of(" \t"));
        for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        Command cmd{};
        bool ok = true;
        if (word == "clear") {
            cmd.kind = Command::clear;
        } else if (starts_with(word, "load")) {
            cmd.kind = Command::load;
            ok = parse_load(lines, i, cmd.load_cmd, error);
        } else if (starts_with(word, "eval")) {
            cmd.kind = Command::eval;
            ok = parse_eval(lines, i, cmd.eval_cmd, error);
        } else {
            ok = false;
            error = "invalid command";
        }
        if (!ok) {
            error = "line " + std::to_string(i + 1) + ": " + error;
            return false;
        }
        out.push_back(std::move(cmd));
    }
    return true;
}

}  // namespace mmwatch::promql::test
