// A label matcher: name, operator (=, !=, =~, !~) and value, the regex
// compiled once with RE2 and fully anchored with "." matching newlines
// (^(?s:...)$), the syntax and anchoring Prometheus uses. An absent label
// matches as the empty string.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace mmwatch::promql {

enum class MatchType { equal, not_equal, regexp, not_regexp };

[[nodiscard]] std::string_view match_type_text(MatchType t) noexcept;

class Matcher {
public:
    // A matcher, or an error message (RE2's) when the regex does not compile.
    [[nodiscard]] static Matcher make(MatchType type, std::string name, std::string value, std::string* error);
    Matcher();
    Matcher(const Matcher& o);
    Matcher& operator=(const Matcher& o);
    Matcher(Matcher&&) noexcept;
    Matcher& operator=(Matcher&&) noexcept;
    ~Matcher();

    [[nodiscard]] bool matches(std::string_view value) const;
    [[nodiscard]] MatchType type() const noexcept { return type_; }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] const std::string& value() const noexcept { return value_; }
    // name op "value", as Prometheus prints a matcher.
    [[nodiscard]] std::string to_string() const;

private:
    MatchType type_ = MatchType::equal;
    std::string name_;
    std::string value_;
    std::shared_ptr<const re2::RE2> re_;  // immutable, shared by copies
};

// A compiled, fully anchored regular expression for label_replace and the
// test runner: RE2 with Prometheus's anchoring.
class AnchoredRegex {
public:
    // Compiles ^(?s:pattern)$; false with RE2's message when it does not.
    bool compile(std::string_view pattern, std::string* error);
    [[nodiscard]] bool full_match(std::string_view text) const;
    // label_replace's expansion of `tmpl` ($1, ${name}, $$) over the groups
    // of a full match of `text`; false when `text` does not match.
    [[nodiscard]] bool expand(std::string_view text, std::string_view tmpl, std::string& out) const;
    AnchoredRegex();
    ~AnchoredRegex();
    AnchoredRegex(AnchoredRegex&&) noexcept;
    AnchoredRegex& operator=(AnchoredRegex&&) noexcept;

private:
    std::unique_ptr<re2::RE2> re_;
};

}  // namespace mmwatch::promql
