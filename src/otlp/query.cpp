#include "otlp/query.hpp"

#include <string>

namespace mmwatch::otlp {

Reply services(const Store& store, int64_t now_unix_nanos) {
    std::string out;
    store.health().render_json(out, now_unix_nanos);
    out += '\n';
    return Reply::json(200, std::move(out));
}

}  // namespace mmwatch::otlp
