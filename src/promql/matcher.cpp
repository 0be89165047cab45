#include "promql/matcher.hpp"

#include <re2/re2.h>

#include <vector>

#include "promql/label_set.hpp"

namespace mmwatch::promql {

namespace {

std::unique_ptr<re2::RE2> compile_anchored(std::string_view pattern, std::string* error) {
    re2::RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_encoding(re2::RE2::Options::EncodingUTF8);
    std::string full = "^(?s:";
    full.append(pattern);
    full += ")$";
    auto re = std::make_unique<re2::RE2>(full, opts);
    if (!re->ok()) {
        // RE2's message about the pattern as written, not as wrapped.
        const re2::RE2 bare(pattern, opts);
        if (error) *error = "error parsing regexp: " + (bare.ok() ? re->error() : bare.error());
        return nullptr;
    }
    return re;
}

}  // namespace

std::string_view match_type_text(MatchType t) noexcept {
    switch (t) {
    case MatchType::equal: return "=";
    case MatchType::not_equal: return "!=";
    case MatchType::regexp: return "=~";
    case MatchType::not_regexp: return "!~";
    }
    return "?";
}

Matcher::Matcher() = default;
Matcher::Matcher(const Matcher& o) = default;
Matcher& Matcher::operator=(const Matcher& o) = default;
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;
Matcher::~Matcher() = default;

Matcher Matcher::make(MatchType type, std::string name, std::string value, std::string* error) {
    Matcher m;
    m.type_ = type;
    m.name_ = std::move(name);
    m.value_ = std::move(value);
    if (type == MatchType::regexp || type == MatchType::not_regexp) {
        auto re = compile_anchored(m.value_, error);
        if (!re) return m;
        m.re_ = std::move(re);
    }
    return m;
}

bool Matcher::matches(std::string_view value) const {
    switch (type_) {
    case MatchType::equal: return value == value_;
    case MatchType::not_equal: return value != value_;
    case MatchType::regexp: return re_ && re2::RE2::FullMatch(value, *re_);
    case MatchType::not_regexp: return !re_ || !re2::RE2::FullMatch(value, *re_);
    }
    return false;
}

std::string Matcher::to_string() const {
    std::string out;
    if (is_legacy_label_name(name_)) out = name_;
    else append_go_quoted(out, name_);
    out.append(match_type_text(type_));
    append_go_quoted(out, value_);
    return out;
}

AnchoredRegex::AnchoredRegex() = default;
AnchoredRegex::~AnchoredRegex() = default;
AnchoredRegex::AnchoredRegex(AnchoredRegex&&) noexcept = default;
AnchoredRegex& AnchoredRegex::operator=(AnchoredRegex&&) noexcept = default;

bool AnchoredRegex::compile(std::string_view pattern, std::string* error) {
    re_ = compile_anchored(pattern, error);
    return re_ != nullptr;
}

bool AnchoredRegex::full_match(std::string_view text) const { return re_ && re2::RE2::FullMatch(text, *re_); }

namespace {

bool name_char(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Go's regexp.extract: a group reference after '$', as a number or a name.
// Returns false when malformed (the '$' is then kept as text).
bool extract(std::string_view s, std::string_view& name, long& num, std::string_view& rest) {
    if (s.empty()) return false;
    const bool brace = s[0] == '{';
    if (brace) s.remove_prefix(1);
    size_t i = 0;
    while (i < s.size() && name_char(s[i])) ++i;
    if (i == 0) return false;
    name = s.substr(0, i);
    if (brace) {
        if (i >= s.size() || s[i] != '}') return false;
        ++i;
    }
    num = 0;
    for (const char c : name) {
        if (c < '0' || c > '9' || num >= 100'000'000) {
            num = -1;
            break;
        }
        num = num * 10 + (c - '0');
    }
    if (name[0] == '0' && name.size() > 1) num = -1;
    rest = s.substr(i);
    return true;
}

}  // namespace

bool AnchoredRegex::expand(std::string_view text, std::string_view tmpl, std::string& out) const {
    if (!re_) return false;
    const int groups = re_->NumberOfCapturingGroups() + 1;
    std::vector<re2::StringPiece> match(static_cast<size_t>(groups));
    if (!re_->Match(text, 0, text.size(), re2::RE2::ANCHOR_BOTH, match.data(), groups)) return false;
    const auto& names = re_->NamedCapturingGroups();
    auto append_group = [&](long g) {
        if (g >= 0 && g < groups && match[static_cast<size_t>(g)].data() != nullptr)
            out.append(match[static_cast<size_t>(g)].data(), match[static_cast<size_t>(g)].size());
    };
    // The whole pattern is wrapped in ^(?s:...)$, which adds no group.
    while (!tmpl.empty()) {
        const size_t dollar = tmpl.find('$');
        if (dollar == std::string_view::npos) break;
        out.append(tmpl.substr(0, dollar));
        tmpl.remove_prefix(dollar + 1);
        if (!tmpl.empty() && tmpl[0] == '$') {
            out += '$';
            tmpl.remove_prefix(1);
            continue;
        }
        std::string_view name, rest;
        long num = -1;
        if (!extract(tmpl, name, num, rest)) {
            out += '$';
            continue;
        }
        tmpl = rest;
        if (num >= 0) {
            append_group(num);
        } else if (auto it = names.find(std::string(name)); it != names.end()) {
            append_group(it->second);
        }
    }
    out.append(tmpl);
    return true;
}

}  // namespace mmwatch::promql
