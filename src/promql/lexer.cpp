#include "promql/lexer.hpp"

#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "base/utf8.hpp"

namespace mmwatch::promql {

namespace {

struct Keyword {
    std::string_view word;
    Tok tok;
};

// Every word the lexer turns into a keyword, matched case-insensitively.
constexpr std::array kKeywords = {
    Keyword{"and", Tok::land}, Keyword{"or", Tok::lor}, Keyword{"unless", Tok::lunless},
    Keyword{"atan2", Tok::atan2}, Keyword{"sum", Tok::sum}, Keyword{"avg", Tok::avg},
    Keyword{"count", Tok::count}, Keyword{"min", Tok::min}, Keyword{"max", Tok::max},
    Keyword{"group", Tok::group}, Keyword{"stddev", Tok::stddev}, Keyword{"stdvar", Tok::stdvar},
    Keyword{"topk", Tok::topk}, Keyword{"bottomk", Tok::bottomk},
    Keyword{"count_values", Tok::count_values}, Keyword{"quantile", Tok::quantile},
    Keyword{"limitk", Tok::limitk}, Keyword{"limit_ratio", Tok::limit_ratio},
    Keyword{"offset", Tok::offset}, Keyword{"smoothed", Tok::smoothed},
    Keyword{"anchored", Tok::anchored}, Keyword{"by", Tok::by}, Keyword{"without", Tok::without},
    Keyword{"on", Tok::on}, Keyword{"ignoring", Tok::ignoring}, Keyword{"group_left", Tok::group_left},
    Keyword{"group_right", Tok::group_right}, Keyword{"fill", Tok::fill},
    Keyword{"fill_left", Tok::fill_left}, Keyword{"fill_right", Tok::fill_right},
    Keyword{"bool", Tok::kw_bool}, Keyword{"start", Tok::start}, Keyword{"end", Tok::end},
    Keyword{"step", Tok::step}, Keyword{"range", Tok::range}, Keyword{"max_of", Tok::max_of},
    Keyword{"min_of", Tok::min_of},
};

bool equal_fold(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
    return true;
}

bool find_keyword(std::string_view word, Tok& out) noexcept {
    for (const Keyword& k : kKeywords) {
        if (equal_fold(word, k.word)) {
            out = k.tok;
            return true;
        }
    }
    return false;
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_alpha(char c) noexcept { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) noexcept { return is_alpha(c) || is_digit(c); }
bool contains(std::string_view set, char c) noexcept { return c != '\0' && set.find(c) != std::string_view::npos; }

std::string quote_char(char c) {
    std::string s = "'";
    if (c == '\'') s += "\\'";
    else if (c == '\\') s += "\\\\";
    else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
        static constexpr char kHex[] = "0123456789abcdef";
        s += "\\x";
        s += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
        s += kHex[static_cast<unsigned char>(c) & 0xF];
    } else s += c;
    return s + "'";
}

// Go's %#U of a byte: U+002E '.'.
std::string go_rune(char c) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const auto u = static_cast<unsigned char>(c);
    std::string s = "U+00";
    s += kHex[u >> 4];
    s += kHex[u & 0xF];
    return s + " " + quote_char(c);
}

class Lexer {
public:
    explicit Lexer(std::string_view in) : in_(in) {}
    Lexed run();

private:
    char peek(size_t ahead = 0) const noexcept { return pos_ + ahead < in_.size() ? in_[pos_ + ahead] : '\0'; }
    bool at_end() const noexcept { return pos_ >= in_.size(); }
    bool accept(std::string_view set) noexcept {
        if (!at_end() && contains(set, in_[pos_])) {
            ++pos_;
            return true;
        }
        return false;
    }
    void emit(Tok t) {
        out_.tokens.push_back({t, static_cast<uint32_t>(start_), in_.substr(start_, pos_ - start_)});
        start_ = pos_;
    }
    bool fail(std::string msg) {
        out_.tokens.push_back({Tok::error, static_cast<uint32_t>(start_), {}});
        out_.error = std::move(msg);
        return false;
    }
    // Prometheus's lexer reports some errors in place of the token it has
    // just emitted (an unmatched ')', a misplaced ':').
    bool fail_instead_of_last(std::string msg) {
        out_.tokens.pop_back();
        return fail(std::move(msg));
    }
    bool step();
    bool statement();
    bool inside_braces();
    bool duration_expr();
    bool operator_char(char c);
    bool paren(char c) {
        if (c == '(') {
            emit(Tok::left_paren);
            ++paren_depth_;
            return true;
        }
        emit(Tok::right_paren);
        if (--paren_depth_ < 0) return fail_instead_of_last("unexpected right parenthesis ')'");
        return true;
    }
    bool string(char quote);
    bool escape(char quote);
    bool raw_string();
    bool number_or_duration();
    bool scan_number();
    bool accept_remaining_duration();
    bool keyword_or_identifier();
    bool duration_keyword();
    void skip_spaces() {
        while (!at_end() && is_space(in_[pos_])) ++pos_;
        start_ = pos_;
    }
    void skip_comment() {
        while (!at_end() && in_[pos_] != '\n' && in_[pos_] != '\r') ++pos_;
        start_ = pos_;
    }

    std::string_view in_;
    size_t pos_ = 0, start_ = 0;
    int paren_depth_ = 0;
    bool brace_open_ = false, bracket_open_ = false, got_colon_ = false, got_duration_ = false;
    bool in_duration_expr_ = false;  // just after '[' or an operator inside it
    Lexed out_;
};

Lexed Lexer::run() {
    while (step()) {
        if (!out_.tokens.empty() && out_.tokens.back().type == Tok::eof) break;
    }
    return std::move(out_);
}

bool Lexer::step() {
    if (brace_open_) return inside_braces();
    if (bracket_open_ && in_duration_expr_) return duration_expr();
    return statement();
}

bool Lexer::statement() {
    if (peek() == '#') {
        skip_comment();
        return true;
    }
    if (at_end()) {
        if (paren_depth_ != 0) return fail("unclosed left parenthesis");
        if (bracket_open_) return fail("unclosed left bracket");
        emit(Tok::eof);
        return true;
    }
    const char c = in_[pos_++];
    if (is_space(c)) {
        skip_spaces();
        return true;
    }
    if (is_digit(c) || (c == '.' && is_digit(peek()))) {
        --pos_;
        return number_or_duration();
    }
    if (c == '"' || c == '\'') return string(c);
    if (c == '`') return raw_string();
    if (is_alpha(c) || c == ':') {
        if (!bracket_open_) {
            --pos_;
            return keyword_or_identifier();
        }
        if (c == ':') {
            if (got_colon_) return fail("unexpected colon ':'");
            emit(Tok::colon);
            got_colon_ = true;
            return true;
        }
        --pos_;
        if (duration_keyword()) return true;
        ++pos_;
        return fail("unexpected character: " + quote_char(c) + ", expected ':'");
    }
    switch (c) {
    case '(':
    case ')': return paren(c);
    case '{':
        emit(Tok::left_brace);
        brace_open_ = true;
        return true;
    case '[':
        if (bracket_open_) return fail("unexpected left bracket '['");
        got_colon_ = false;
        got_duration_ = false;
        emit(Tok::left_bracket);
        skip_spaces();
        bracket_open_ = true;
        in_duration_expr_ = true;
        return true;
    case ']':
        if (!bracket_open_) return fail("unexpected right bracket ']'");
        emit(Tok::right_bracket);
        bracket_open_ = false;
        return true;
    case '@': emit(Tok::at); return true;
    case ',': emit(Tok::comma); return true;
    default: return operator_char(c);
    }
}

bool Lexer::operator_char(char c) {
    switch (c) {
    case '*': emit(Tok::mul); return true;
    case '/': emit(Tok::div); return true;
    case '%': emit(Tok::mod); return true;
    case '+': emit(Tok::add); return true;
    case '-': emit(Tok::sub); return true;
    case '^': emit(Tok::pow); return true;
    case '=':
        if (peek() == '=') {
            ++pos_;
            emit(Tok::eqlc);
            return true;
        }
        if (peek() == '~') return fail("unexpected character after '=': '~'");
        emit(Tok::eql);
        return true;
    case '!':
        if (peek() != '=') {
            const char n = peek();
            ++pos_;
            return fail("unexpected character after '!': " + (n == '\0' ? std::string("U+FFFFFFFFFFFFFFFF") : quote_char(n)));
        }
        ++pos_;
        emit(Tok::neq);
        return true;
    case '<':
    case '>': {
        const bool less = c == '<';
        if (accept("=")) emit(less ? Tok::lte : Tok::gte);
        else if (accept("/")) emit(less ? Tok::trim_upper : Tok::trim_lower);
        else emit(less ? Tok::lss : Tok::gtr);
        return true;
    }
    default: return fail("unexpected character: " + quote_char(c));
    }
}

// Inside [ ] before a duration or after an operator: numbers, durations,
// arithmetic, parentheses and the duration keywords.
bool Lexer::duration_expr() {
    if (at_end()) return fail("unexpected end of input in duration expression");
    const char c = in_[pos_++];
    switch (c) {
    case ']':
        emit(Tok::right_bracket);
        bracket_open_ = false;
        got_colon_ = false;
        in_duration_expr_ = false;
        return true;
    case ':':
        emit(Tok::colon);
        if (!got_duration_) return fail_instead_of_last("unexpected colon before duration in duration expression");
        if (got_colon_) return fail_instead_of_last("unexpected repeated colon in duration expression");
        got_colon_ = true;
        return true;
    case '(':
    case ')': return paren(c);
    case ',': emit(Tok::comma); return true;
    case '+': emit(Tok::add); return true;
    case '-': emit(Tok::sub); return true;
    case '*': emit(Tok::mul); return true;
    case '/': emit(Tok::div); return true;
    case '%': emit(Tok::mod); return true;
    case '^': emit(Tok::pow); return true;
    default: break;
    }
    if (is_space(c)) {
        skip_spaces();
        return true;
    }
    if (is_digit(c) || (c == '.' && is_digit(peek()))) {
        --pos_;
        got_duration_ = true;
        in_duration_expr_ = false;
        return number_or_duration();
    }
    if (is_alpha(c)) {
        --pos_;
        if (duration_keyword()) return true;
        ++pos_;
    }
    return fail("unexpected character in duration expression: " + quote_char(c));
}

bool Lexer::duration_keyword() {
    size_t end = pos_;
    while (end < in_.size() && is_alpha(in_[end])) ++end;
    Tok t;
    const std::string_view word = in_.substr(pos_, end - pos_);
    if (find_keyword(word, t) && (t == Tok::step || t == Tok::range || t == Tok::max_of || t == Tok::min_of)) {
        pos_ = end;
        emit(t);
        return true;
    }
    return false;
}

bool Lexer::inside_braces() {
    if (peek() == '#') {
        skip_comment();
        return true;
    }
    if (at_end()) return fail("unexpected end of input inside braces");
    const char c = in_[pos_++];
    if (is_space(c)) {
        skip_spaces();
        return true;
    }
    if (is_alpha(c)) {
        while (!at_end() && is_alnum(in_[pos_])) ++pos_;
        emit(Tok::identifier);
        return true;
    }
    switch (c) {
    case ',': emit(Tok::comma); return true;
    case '"':
    case '\'': return string(c);
    case '`': return raw_string();
    case '=':
        emit(accept("~") ? Tok::eql_regex : Tok::eql);
        return true;
    case '!':
        if (accept("~")) emit(Tok::neq_regex);
        else if (accept("=")) emit(Tok::neq);
        else {
            const char n = peek();
            ++pos_;
            return fail("unexpected character after '!' inside braces: " + quote_char(n));
        }
        return true;
    case '{': return fail("unexpected left brace '{'");
    case '}':
        emit(Tok::right_brace);
        brace_open_ = false;
        return true;
    default: return fail("unexpected character inside braces: " + quote_char(c));
    }
}

bool Lexer::string(char quote) {
    while (true) {
        if (at_end()) return fail("unterminated quoted string");
        const char c = in_[pos_];
        if (c == '\\') {
            ++pos_;
            if (!escape(quote)) return false;
            continue;
        }
        if (c == '\n') return fail("unterminated quoted string");
        const size_t n = base::utf8::sequence_length(in_, pos_);
        if (n == 0) return fail("invalid UTF-8 rune");
        pos_ += n;
        if (c == quote) break;
    }
    emit(Tok::string);
    return true;
}

bool Lexer::escape(char quote) {
    if (at_end()) return fail("escape sequence not terminated");
    const char c = in_[pos_++];
    int digits = 0, base = 0;
    uint32_t max = 0;
    switch (c) {
    case 'a': case 'b': case 'f': case 'n': case 'r': case 't': case 'v': case '\\': return true;
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        --pos_;
        digits = 3, base = 8, max = 255;
        break;
    case 'x': digits = 2, base = 16, max = 255; break;
    case 'u': digits = 4, base = 16, max = 0x10FFFF; break;
    case 'U': digits = 8, base = 16, max = 0x10FFFF; break;
    default:
        if (c == quote) return true;
        return fail("unknown escape sequence " + go_rune(c));
    }
    uint32_t x = 0;
    for (int i = 0; i < digits; ++i) {
        if (at_end()) return fail("escape sequence not terminated");
        const char d = in_[pos_++];
        int v = is_digit(d) ? d - '0' : (d >= 'a' && d <= 'f') ? d - 'a' + 10 : (d >= 'A' && d <= 'F') ? d - 'A' + 10 : 16;
        if (v >= base) return fail("illegal character " + go_rune(d) + " in escape sequence");
        x = x * static_cast<uint32_t>(base) + static_cast<uint32_t>(v);
    }
    if (x > max || (x >= 0xD800 && x < 0xE000)) return fail("escape sequence is an invalid Unicode code point");
    return true;
}

bool Lexer::raw_string() {
    while (true) {
        if (at_end()) return fail("unterminated raw string");
        const size_t n = base::utf8::sequence_length(in_, pos_);
        if (n == 0) return fail("invalid UTF-8 rune");
        const char c = in_[pos_];
        pos_ += n;
        if (c == '`') break;
    }
    emit(Tok::string);
    return true;
}

bool Lexer::number_or_duration() {
    if (scan_number()) {
        emit(Tok::number);
        return true;
    }
    if (accept_remaining_duration()) {
        emit(Tok::duration);
        return true;
    }
    return fail("bad number or duration syntax: \"" + std::string(in_.substr(start_, pos_ - start_)) + "\"");
}

// Prometheus's scanNumber: digits with at most one dot and one exponent,
// underscores between digits, 0x hex; the number must not run into a letter.
bool Lexer::scan_number() {
    const size_t initial = pos_;
    std::string_view digits = "0123456789";
    if (accept("0") && accept("xX")) {
        accept("_");
        digits = "0123456789abcdefABCDEF";
    }
    accept(".");
    accept(digits);
    bool dot = false, exponent = false;
    const std::string set = std::string(digits) + "._eE";
    while (contains(set, peek())) {
        if (peek() == '.' && dot) {
            accept(".");
            return false;
        }
        if ((peek() == 'e' || peek() == 'E') && exponent) {
            accept("eE");
            return false;
        }
        if (accept(".")) {
            dot = true;
            if (accept("_.")) return false;
            if (digits.size() > 10) return false;
            continue;
        }
        if (accept("eE")) {
            exponent = true;
            accept("+-");
            if (accept("._eE") || at_end()) return false;
            continue;
        }
        if (accept("_")) {
            if (accept("._eE") || at_end()) return false;
            continue;
        }
        while (accept(digits)) {
        }
    }
    if (pos_ == initial) return false;
    return !is_alnum(peek());
}

bool Lexer::accept_remaining_duration() {
    if (!accept("smhdwy")) return false;
    accept("s");
    while (accept("0123456789")) {
        while (accept("0123456789")) {
        }
        if (!accept("smhdw")) return false;
        accept("s");
    }
    if (is_alnum(peek())) {
        ++pos_;
        return false;
    }
    return true;
}

bool Lexer::keyword_or_identifier() {
    while (!at_end() && (is_alnum(in_[pos_]) || in_[pos_] == ':')) ++pos_;
    const std::string_view word = in_.substr(start_, pos_ - start_);
    if (equal_fold(word, "inf") || equal_fold(word, "nan")) {
        emit(Tok::number);
        return true;
    }
    Tok kw;
    if (find_keyword(word, kw)) {
        if (kw == Tok::fill || kw == Tok::fill_left || kw == Tok::fill_right) {
            size_t p = pos_;
            while (p < in_.size() && is_space(in_[p])) ++p;
            if (p >= in_.size() || in_[p] != '(') kw = Tok::identifier;
        }
        emit(kw);
        return true;
    }
    emit(word.find(':') == std::string_view::npos ? Tok::identifier : Tok::metric_identifier);
    return true;
}

}  // namespace

Lexed lex(std::string_view input) { return Lexer(input).run(); }

std::string_view tok_text(Tok t) noexcept {
    switch (t) {
    case Tok::add: return "+";
    case Tok::sub: return "-";
    case Tok::mul: return "*";
    case Tok::div: return "/";
    case Tok::mod: return "%";
    case Tok::pow: return "^";
    case Tok::eqlc: return "==";
    case Tok::neq: return "!=";
    case Tok::lte: return "<=";
    case Tok::lss: return "<";
    case Tok::gte: return ">=";
    case Tok::gtr: return ">";
    case Tok::trim_upper: return "</";
    case Tok::trim_lower: return ">/";
    case Tok::eql_regex: return "=~";
    case Tok::neq_regex: return "!~";
    case Tok::at: return "@";
    case Tok::left_paren: return "(";
    case Tok::right_paren: return ")";
    case Tok::left_brace: return "{";
    case Tok::right_brace: return "}";
    case Tok::left_bracket: return "[";
    case Tok::right_bracket: return "]";
    case Tok::comma: return ",";
    case Tok::eql: return "=";
    case Tok::colon: return ":";
    default: break;
    }
    for (const Keyword& k : kKeywords)
        if (k.tok == t) return k.word;
    return "";
}

}  // namespace mmwatch::promql
