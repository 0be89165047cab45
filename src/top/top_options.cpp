#include "top/top_options.hpp"

#include <cstdlib>

#include "base/limits.hpp"

namespace mmwatch::top {
namespace {

// "2s", "500ms", "1m" → milliseconds, 1s..1h; 0 when not that.
uint64_t interval_ms(std::string_view text) {
    const std::string s(text);
    char* end = nullptr;
    const double n = std::strtod(s.c_str(), &end);
    const std::string_view unit = end ? std::string_view(end) : std::string_view();
    double ms = unit == "ms" ? n : unit == "s" || unit.empty() ? n * 1000 : unit == "m" ? n * 60'000 : -1;
    if (end == s.c_str() || !(ms >= 1000 && ms <= 3'600'000))
        return 0;
    return uint64_t(ms);
}

bool known_view(std::string_view v) {
    return v == "series" || v == "files" || v == "otlp" || v == "push" || v == "daemon";
}

}  // namespace

std::optional<Options> parse_options(const std::vector<std::string_view>& args, std::string& error) {
    Options o;
    o.interval_ms = base::kTopDefaultIntervalMs;
    bool have_url = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string_view a = args[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= args.size()) {
                error = std::string(a) + " needs a value";
                return false;
            }
            out = args[++i];
            return true;
        };
        std::string v;
        if (a == "-h" || a == "--help") {
            o.help = true;
        } else if (a == "--once" || a == "-b") {
            o.once = true;
        } else if (a == "-k" || a == "--insecure") {
            o.insecure = true;
        } else if (a == "--interval" || a == "-d") {
            if (!value(v))
                return std::nullopt;
            if (!(o.interval_ms = interval_ms(v))) {
                error = "--interval: " + v + " is not a duration of 1s..1h (e.g. 2s, 1m)";
                return std::nullopt;
            }
        } else if (a == "--view") {
            if (!value(o.view))
                return std::nullopt;
            if (!known_view(o.view)) {
                error = "--view: one of series, files, otlp, push, daemon";
                return std::nullopt;
            }
        } else if (a == "--filter") {
            if (!value(o.filter))
                return std::nullopt;
        } else if (a == "--cacert" || a == "--cert" || a == "--key" || a == "--user" || a == "-u") {
            std::string& out = a == "--cacert" ? o.cacert : a == "--cert" ? o.cert : a == "--key" ? o.key : o.user;
            if (!value(out))
                return std::nullopt;
        } else if (!a.empty() && a[0] != '-' && !have_url) {
            o.url = a;
            have_url = true;
            while (!o.url.empty() && o.url.back() == '/')
                o.url.pop_back();
            if (o.url.find("://") == std::string::npos)
                o.url = "http://" + o.url;
        } else {
            error = "unknown argument " + std::string(a) + " (mmwatch top --help)";
            return std::nullopt;
        }
    }
    return o;
}

std::string usage() {
    return "Usage: mmwatch top [URL] [OPTION]...\n"
           "A terminal view of a running mmwatch over its HTTP API (docs/top.md).\n"
           "URL defaults to http://127.0.0.1:9479.\n"
           "\n"
           "  --interval DUR   how often to poll the server, 1s..1h (default 2s; also -d)\n"
           "  --once           print the view once as a plain table and exit (also -b)\n"
           "  --view VIEW      start in series, files, otlp, push or daemon (default series)\n"
           "  --filter TEXT    start with this filter: a selector or a substring\n"
           "  --cacert FILE    CA certificates to verify the server with\n"
           "  --cert FILE      client certificate (mTLS)\n"
           "  --key FILE       its private key\n"
           "  --user U:P       basic auth (also -u)\n"
           "  -k, --insecure   do not verify the server's certificate\n"
           "  -h, --help       this help\n"
           "\n"
           "Keys: 1-5 or Tab views, / filter, s sort, r reverse, p pause, Enter focus, t range, ? help, q quit.\n";
}

}  // namespace mmwatch::top
