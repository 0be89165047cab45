// OTLP/JSON decoding, one pass in document order. Every object is decoded
// into a slot pushed before its fields are read, so field order does not
// matter (a metric's "name" may follow its "sum"). Unknown fields are
// skipped by simdjson; known fields with the wrong JSON type are errors.
#include "otlp/decoder.hpp"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "base/enum_names.hpp"
#include "base/json.hpp"
#include "otlp/json_read.hpp"
#include "base/limits.hpp"

namespace mmwatch::otlp {

void DecodedRequest::clear() noexcept {
    resources.clear();
    scopes.clear();
    metrics.clear();
    points.clear();
    attrs.clear();
    doubles.clear();
    u64s.clear();
}

size_t DecodedRequest::capacity_bytes() const noexcept {
    return resources.capacity() * sizeof(DecodedResource) + scopes.capacity() * sizeof(DecodedScope) +
           metrics.capacity() * sizeof(DecodedMetric) + points.capacity() * sizeof(DecodedPoint) +
           attrs.capacity() * sizeof(Attr) + doubles.capacity() * sizeof(double) + u64s.capacity() * sizeof(uint64_t);
}

namespace {
MMWATCH_ENUM_TABLE(DecodeError, kErrorNames) = {
    MMWATCH_ROW(none), MMWATCH_ROW(malformed_json), MMWATCH_ROW(wrong_type),
    MMWATCH_ROW(bad_number), MMWATCH_ROW(too_deep),
    MMWATCH_ROW(duplicate_field), MMWATCH_ROW(malformed_protobuf),
};
static_assert(base::rows_match(kErrorNames, kDecodeErrorCount));
}  // namespace

std::string_view decode_error_name(DecodeError e) noexcept { return base::name_of(kErrorNames, e); }

namespace {

using namespace json_read;
namespace od = simdjson::ondemand;
using simdjson::error_code;

DecodeError encode_any_json(od::value v, std::string& buf, unsigned depth, Ctx& ctx);

DecodeError encode_list_json(od::value v, std::string& buf, unsigned depth, Ctx& ctx, bool kvlist) {
    buf += kvlist ? '{' : '[';
    bool first = true;
    MMWATCH_TRY(for_each_field(v, ctx, "AnyValue list", [&](std::string_view key, od::value values) {
        if (key != "values") return DecodeError::none;
        return for_each_element(values, ctx, "AnyValue list values", [&](od::value el) {
            if (!first) buf += ',';
            first = false;
            if (!kvlist) return encode_any_json(el, buf, depth + 1, ctx);
            std::string_view k;
            bool has_value = false;
            MMWATCH_TRY(for_each_field(el, ctx, "KeyValue", [&](std::string_view kk, od::value kv) {
                if (kk == "key") {
                    MMWATCH_TRY(get_string(kv, k, ctx, "KeyValue.key"));
                    base::json::append_string(buf, k);
                    buf += ':';
                    return DecodeError::none;
                }
                if (kk != "value") return DecodeError::none;
                has_value = true;
                return encode_any_json(kv, buf, depth + 1, ctx);
            }));
            if (!has_value) buf += "null";
            return DecodeError::none;
        });
    }));
    buf += kvlist ? '}' : ']';
    return DecodeError::none;
}

// Appends one AnyValue as JSON (nested inside an array or kvlist).
DecodeError encode_any_json(od::value v, std::string& buf, unsigned depth, Ctx& ctx) {
    if (depth > base::kMaxOtlpAnyValueDepth) return fail(ctx, DecodeError::too_deep, "AnyValue");
    const size_t start = buf.size();
    MMWATCH_TRY(for_each_field(v, ctx, "AnyValue", [&](std::string_view key, od::value x) {
        std::string_view s;
        if (key == "stringValue" || key == "bytesValue") {
            MMWATCH_TRY(get_string(x, s, ctx, "AnyValue string"));
            base::json::append_string(buf, s);
        } else if (key == "boolValue") {
            bool b = false;
            MMWATCH_TRY(get_bool(x, b, ctx, "AnyValue.boolValue"));
            buf += b ? "true" : "false";
        } else if (key == "intValue") {
            int64_t n = 0;
            MMWATCH_TRY(get_int(x, n, ctx, "AnyValue.intValue"));
            base::json::append_number(buf, n);
        } else if (key == "doubleValue") {
            double d = 0;
            MMWATCH_TRY(get_double(x, d, ctx, "AnyValue.doubleValue"));
            base::json::append_double(buf, d);
        } else if (key == "arrayValue" || key == "kvlistValue") {
            return encode_list_json(x, buf, depth, ctx, key == "kvlistValue");
        }
        return DecodeError::none;
    }));
    if (buf.size() == start) buf += "null";
    return DecodeError::none;
}

// Decodes an attribute's AnyValue to its canonical label-value string.
DecodeError decode_any(od::value v, std::string_view& out, Ctx& ctx) {
    return for_each_field(v, ctx, "AnyValue", [&](std::string_view key, od::value x) {
        if (key == "stringValue" || key == "bytesValue") return get_string(x, out, ctx, "AnyValue string");
        ctx.tmp.clear();
        if (key == "boolValue") {
            bool b = false;
            MMWATCH_TRY(get_bool(x, b, ctx, "AnyValue.boolValue"));
            out = b ? "true" : "false";
            return DecodeError::none;
        }
        if (key == "intValue") {
            int64_t n = 0;
            MMWATCH_TRY(get_int(x, n, ctx, "AnyValue.intValue"));
            base::json::append_number(ctx.tmp, n);
        } else if (key == "doubleValue") {
            double d = 0;
            MMWATCH_TRY(get_double(x, d, ctx, "AnyValue.doubleValue"));
            base::json::append_number(ctx.tmp, d);
        } else if (key == "arrayValue" || key == "kvlistValue") {
            MMWATCH_TRY(encode_list_json(x, ctx.tmp, 1, ctx, key == "kvlistValue"));
        } else {
            return DecodeError::none;
        }
        out = ctx.arena.copy(ctx.tmp);
        return DecodeError::none;
    });
}

DecodeError decode_attrs(od::value v, Range& range, Ctx& ctx) {
    range.begin = uint32_t(ctx.out.attrs.size());
    MMWATCH_TRY(for_each_element(v, ctx, "attributes", [&](od::value el) {
        const size_t i = ctx.out.attrs.size();
        ctx.out.attrs.push_back({});
        return for_each_field(el, ctx, "attributes[]", [&](std::string_view key, od::value x) {
            if (key == "key") return get_string(x, ctx.out.attrs[i].key, ctx, "attributes[].key");
            if (key == "value") return decode_any(x, ctx.out.attrs[i].value, ctx);
            return DecodeError::none;
        });
    }));
    range.end = uint32_t(ctx.out.attrs.size());
    return DecodeError::none;
}

template <class T>
DecodeError decode_numbers(od::value v, Range& range, std::vector<T>& dst, Ctx& ctx, std::string_view where) {
    range.begin = uint32_t(dst.size());
    MMWATCH_TRY(for_each_element(v, ctx, where, [&](od::value el) {
        T x{};
        if constexpr (std::is_floating_point_v<T>) MMWATCH_TRY(get_double(el, x, ctx, where));
        else MMWATCH_TRY(get_int(el, x, ctx, where));
        dst.push_back(x);
        return DecodeError::none;
    }));
    range.end = uint32_t(dst.size());
    return DecodeError::none;
}

DecodeError decode_buckets(od::value v, Range& counts, int32_t& offset, Ctx& ctx) {
    return for_each_field(v, ctx, "buckets", [&](std::string_view key, od::value x) {
        if (key == "offset") return get_int(x, offset, ctx, "buckets.offset");
        if (key == "bucketCounts") return decode_numbers(x, counts, ctx.out.u64s, ctx, "buckets.bucketCounts");
        return DecodeError::none;
    });
}

DecodeError decode_quantiles(od::value v, DecodedPoint& p, Ctx& ctx) {
    // Quantiles and values go to two ranges of doubles; decode pairs into
    // the tail of `doubles` and split them afterwards to keep both contiguous.
    const size_t base = ctx.out.doubles.size();
    MMWATCH_TRY(for_each_element(v, ctx, "quantileValues", [&](od::value el) {
        double q = 0, val = 0;
        MMWATCH_TRY(for_each_field(el, ctx, "quantileValues[]", [&](std::string_view key, od::value x) {
            if (key == "quantile") return get_double(x, q, ctx, "quantileValues[].quantile");
            if (key == "value") return get_double(x, val, ctx, "quantileValues[].value");
            return DecodeError::none;
        }));
        ctx.out.doubles.push_back(q);
        ctx.out.doubles.push_back(val);
        return DecodeError::none;
    }));
    const size_t n = (ctx.out.doubles.size() - base) / 2;
    for (size_t i = 0; i < n; ++i) ctx.out.doubles.push_back(ctx.out.doubles[base + 2 * i + 1]);
    for (size_t i = 0; i < n; ++i) ctx.out.doubles[base + i] = ctx.out.doubles[base + 2 * i];
    // Now: [base, base+n) quantiles, [base+n, base+2n) garbage, [base+2n, base+3n) values.
    p.bounds = {uint32_t(base), uint32_t(base + n)};
    p.values = {uint32_t(base + 2 * n), uint32_t(base + 3 * n)};
    return DecodeError::none;
}

// Point field bits for duplicate detection.
enum : uint32_t {
    kSeenAttrs = 1, kSeenStart = 2, kSeenTime = 4, kSeenValue = 8, kSeenCount = 16, kSeenSum = 32,
    kSeenBuckets = 64, kSeenBounds = 128, kSeenQuantiles = 256, kSeenPositive = 512, kSeenNegative = 1024,
    kSeenScale = 2048, kSeenZero = 4096, kSeenFlags = 8192,
};

DecodeError decode_bucket_field(std::string_view key, od::value x, DecodedPoint& p, uint32_t& seen, Ctx& ctx);

// The fields every data point kind shares, and the number value.
DecodeError decode_point_field(std::string_view key, od::value x, DecodedPoint& p, uint32_t& seen, Ctx& ctx) {
    if (key == "attributes") {
        MMWATCH_TRY(once(seen, kSeenAttrs, ctx, "dataPoints[].attributes"));
        return decode_attrs(x, p.attrs, ctx);
    }
    if (key == "timeUnixNano") {
        MMWATCH_TRY(once(seen, kSeenTime, ctx, "dataPoints[].timeUnixNano"));
        return get_time(x, p.time_ns, ctx, "dataPoints[].timeUnixNano");
    }
    if (key == "startTimeUnixNano") {
        MMWATCH_TRY(once(seen, kSeenStart, ctx, "dataPoints[].startTimeUnixNano"));
        return get_time(x, p.start_ns, ctx, "dataPoints[].startTimeUnixNano");
    }
    if (key == "asDouble" || key == "asInt") {
        MMWATCH_TRY(once(seen, kSeenValue, ctx, "dataPoints[].asDouble/asInt"));
        p.has_value = true;
        if (key == "asDouble") return get_double(x, p.value, ctx, "dataPoints[].asDouble");
        int64_t n = 0;
        MMWATCH_TRY(get_int(x, n, ctx, "dataPoints[].asInt"));
        p.value = double(n);
        return DecodeError::none;
    }
    if (key == "count") {
        MMWATCH_TRY(once(seen, kSeenCount, ctx, "dataPoints[].count"));
        return get_int(x, p.count, ctx, "dataPoints[].count");
    }
    if (key == "sum") {
        MMWATCH_TRY(once(seen, kSeenSum, ctx, "dataPoints[].sum"));
        p.has_sum = true;
        return get_double(x, p.sum, ctx, "dataPoints[].sum");
    }
    return decode_bucket_field(key, x, p, seen, ctx);
}

// The histogram and summary fields of a data point.
DecodeError decode_bucket_field(std::string_view key, od::value x, DecodedPoint& p, uint32_t& seen, Ctx& ctx) {
    DecodedRequest& out = ctx.out;
    if (key == "bucketCounts") {
        MMWATCH_TRY(once(seen, kSeenBuckets, ctx, "dataPoints[].bucketCounts"));
        return decode_numbers(x, p.counts, out.u64s, ctx, "dataPoints[].bucketCounts");
    }
    if (key == "explicitBounds") {
        MMWATCH_TRY(once(seen, kSeenBounds, ctx, "dataPoints[].explicitBounds"));
        return decode_numbers(x, p.bounds, out.doubles, ctx, "dataPoints[].explicitBounds");
    }
    if (key == "quantileValues") {
        MMWATCH_TRY(once(seen, kSeenQuantiles, ctx, "dataPoints[].quantileValues"));
        return decode_quantiles(x, p, ctx);
    }
    if (key == "positive") {
        MMWATCH_TRY(once(seen, kSeenPositive, ctx, "dataPoints[].positive"));
        return decode_buckets(x, p.counts, p.positive_offset, ctx);
    }
    if (key == "negative") {
        MMWATCH_TRY(once(seen, kSeenNegative, ctx, "dataPoints[].negative"));
        return decode_buckets(x, p.negative_counts, p.negative_offset, ctx);
    }
    if (key == "scale") {
        MMWATCH_TRY(once(seen, kSeenScale, ctx, "dataPoints[].scale"));
        return get_int(x, p.scale, ctx, "dataPoints[].scale");
    }
    if (key == "zeroCount") {
        MMWATCH_TRY(once(seen, kSeenZero, ctx, "dataPoints[].zeroCount"));
        return get_int(x, p.zero_count, ctx, "dataPoints[].zeroCount");
    }
    if (key == "flags") {
        MMWATCH_TRY(once(seen, kSeenFlags, ctx, "dataPoints[].flags"));
        return get_int(x, p.flags, ctx, "dataPoints[].flags");
    }
    if (key == "min") {
        p.has_min = true;
        return get_double(x, p.min, ctx, "dataPoints[].min");
    }
    if (key == "max") {
        p.has_max = true;
        return get_double(x, p.max, ctx, "dataPoints[].max");
    }
    if (key == "zeroThreshold") return get_double(x, p.zero_threshold, ctx, "dataPoints[].zeroThreshold");
    return DecodeError::none;  // exemplars, unknown
}

DecodeError decode_data(od::value v, size_t m, Ctx& ctx) {
    uint32_t seen = 0;
    return for_each_field(v, ctx, "metric data", [&](std::string_view key, od::value x) {
        if (key == "dataPoints") {
            MMWATCH_TRY(once(seen, 1, ctx, "dataPoints"));
            const uint32_t begin = uint32_t(ctx.out.points.size());
            MMWATCH_TRY(for_each_element(x, ctx, "dataPoints", [&](od::value el) {
                const size_t i = ctx.out.points.size();
                ctx.out.points.push_back({});
                uint32_t point_seen = 0;
                return for_each_field(el, ctx, "dataPoints[]", [&](std::string_view k, od::value px) {
                    return decode_point_field(k, px, ctx.out.points[i], point_seen, ctx);
                });
            }));
            ctx.out.metrics[m].points = {begin, uint32_t(ctx.out.points.size())};
            return DecodeError::none;
        }
        if (key == "aggregationTemporality") return get_temporality(x, ctx.out.metrics[m].temporality, ctx);
        if (key == "isMonotonic") return get_bool(x, ctx.out.metrics[m].monotonic, ctx, "isMonotonic");
        return DecodeError::none;
    });
}

MetricKind kind_of_key(std::string_view key) noexcept {
    if (key == "gauge") return MetricKind::gauge;
    if (key == "sum") return MetricKind::sum;
    if (key == "histogram") return MetricKind::histogram;
    if (key == "exponentialHistogram") return MetricKind::exponential_histogram;
    if (key == "summary") return MetricKind::summary;
    return MetricKind::none;
}

DecodeError decode_metric(od::value v, uint32_t scope, Ctx& ctx) {
    const size_t m = ctx.out.metrics.size();
    ctx.out.metrics.push_back({});
    ctx.out.metrics[m].scope = scope;
    uint32_t seen = 0;
    return for_each_field(v, ctx, "metrics[]", [&](std::string_view key, od::value x) {
        DecodedMetric& metric = ctx.out.metrics[m];
        if (key == "name") {
            MMWATCH_TRY(once(seen, 1, ctx, "metrics[].name"));
            return get_string(x, metric.name, ctx, "metrics[].name");
        }
        if (key == "unit") {
            MMWATCH_TRY(once(seen, 2, ctx, "metrics[].unit"));
            return get_string(x, metric.unit, ctx, "metrics[].unit");
        }
        if (key == "description") {
            MMWATCH_TRY(once(seen, 4, ctx, "metrics[].description"));
            return get_string(x, metric.description, ctx, "metrics[].description");
        }
        const MetricKind kind = kind_of_key(key);
        if (kind == MetricKind::none) return DecodeError::none;
        if (metric.kind != MetricKind::none) return fail(ctx, DecodeError::duplicate_field, "metrics[] data");
        metric.kind = kind;
        return decode_data(x, m, ctx);
    });
}

DecodeError decode_scope_metrics(od::value v, uint32_t resource, Ctx& ctx) {
    const uint32_t s = uint32_t(ctx.out.scopes.size());
    ctx.out.scopes.push_back({});
    ctx.out.scopes[s].resource = resource;
    return for_each_field(v, ctx, "scopeMetrics[]", [&](std::string_view key, od::value x) {
        if (key == "metrics")
            return for_each_element(x, ctx, "metrics", [&](od::value el) { return decode_metric(el, s, ctx); });
        if (key != "scope") return DecodeError::none;
        return for_each_field(x, ctx, "scope", [&](std::string_view k, od::value sx) {
            DecodedScope& scope = ctx.out.scopes[s];
            if (k == "name") return get_string(sx, scope.name, ctx, "scope.name");
            if (k == "version") return get_string(sx, scope.version, ctx, "scope.version");
            if (k == "attributes") return decode_attrs(sx, ctx.out.scopes[s].attrs, ctx);
            return DecodeError::none;
        });
    });
}

DecodeError decode_resource_metrics(od::value v, Ctx& ctx) {
    const uint32_t r = uint32_t(ctx.out.resources.size());
    ctx.out.resources.push_back({});
    return for_each_field(v, ctx, "resourceMetrics[]", [&](std::string_view key, od::value x) {
        if (key == "scopeMetrics")
            return for_each_element(x, ctx, "scopeMetrics",
                                    [&](od::value el) { return decode_scope_metrics(el, r, ctx); });
        if (key != "resource") return DecodeError::none;
        return for_each_field(x, ctx, "resource", [&](std::string_view k, od::value rx) {
            if (k == "attributes") return decode_attrs(rx, ctx.out.resources[r].attrs, ctx);
            return DecodeError::none;
        });
    });
}

uint64_t walk(od::value v, unsigned depth) {
    od::json_type t;
    if (depth > 64 || v.type().get(t)) return 0;
    uint64_t n = 1;
    if (t == od::json_type::object) {
        od::object obj;
        if (v.get_object().get(obj)) return n;
        for (auto fr : obj) {
            od::field f;
            if (std::move(fr).get(f)) return n;
            n += walk(f.value(), depth + 1);
        }
    } else if (t == od::json_type::array) {
        od::array arr;
        if (v.get_array().get(arr)) return n;
        for (auto er : arr) {
            od::value el;
            if (std::move(er).get(el)) return n;
            n += walk(el, depth + 1);
        }
    } else if (t == od::json_type::number) {
        double d;
        if (v.get_double().get(d)) return n;
    } else if (t == od::json_type::string) {
        std::string_view s;
        if (v.get_string().get(s)) return n;
    } else if (t == od::json_type::boolean) {
        bool b;
        if (v.get_bool().get(b)) return n;
    }
    return n;
}

}  // namespace

struct Decoder::Impl {
    od::parser parser;
    Arena arena;
    std::string tmp;
    std::vector<double> pairs;
};

Decoder::Decoder() : impl_(std::make_unique<Impl>()) {}
Decoder::~Decoder() = default;

size_t Decoder::scratch_bytes(const DecodedRequest& out) const noexcept {
    return input_.capacity() + impl_->parser.capacity() * 2 + impl_->arena.capacity_bytes() + impl_->tmp.capacity() +
           out.capacity_bytes();
}

void Decoder::release_scratch_over(size_t keep_bytes, DecodedRequest& out) {
    if (scratch_bytes(out) <= keep_bytes) return;
    std::string().swap(input_);
    out = DecodedRequest{};
    impl_ = std::make_unique<Impl>();
}

DecodeResult Decoder::decode_input_protobuf(DecodedRequest& out) {
    return otlp::decode_protobuf(input_, out, impl_->arena, impl_->tmp, impl_->pairs);
}

DecodeResult Decoder::decode_protobuf(std::string_view body, DecodedRequest& out) {
    input_.assign(body.data(), body.size());
    return decode_input_protobuf(out);
}

DecodeResult Decoder::decode(std::string_view body, DecodedRequest& out) {
    input_.assign(body.data(), body.size());
    return decode_input(out);
}

DecodeResult Decoder::decode_input(DecodedRequest& out) {
    out.clear();
    impl_->arena.reset();
    if (input_.capacity() < input_.size() + simdjson::SIMDJSON_PADDING)
        input_.reserve(input_.size() + simdjson::SIMDJSON_PADDING);
    Ctx ctx{out, impl_->arena, impl_->tmp, {}};
    od::document doc;
    if (auto e = impl_->parser.iterate(input_.data(), input_.size(), input_.capacity()).get(doc))
        return {from_simdjson(e), "document"};
    od::object top;
    if (auto e = doc.get_object().get(top)) return {from_simdjson(e), "document"};
    for (auto fr : top) {
        od::field f;
        if (auto e = std::move(fr).get(f)) return {from_simdjson(e), "document"};
        std::string_view key;
        if (auto e = f.unescaped_key().get(key)) return {from_simdjson(e), "document"};
        if (key != "resourceMetrics") continue;
        const DecodeError e = for_each_element(f.value(), ctx, "resourceMetrics",
                                               [&](od::value el) { return decode_resource_metrics(el, ctx); });
        if (e != DecodeError::none) return {e, ctx.where};
    }
    // Only whitespace may follow the document: at its end the location is
    // "out of bounds".
    const char* rest = nullptr;
    if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS)
        return {DecodeError::malformed_json, "content after the document"};
    return {};
}

bool Decoder::parse_only(uint64_t& values_seen) {
    if (input_.capacity() < input_.size() + simdjson::SIMDJSON_PADDING)
        input_.reserve(input_.size() + simdjson::SIMDJSON_PADDING);
    od::document doc;
    if (impl_->parser.iterate(input_.data(), input_.size(), input_.capacity()).get(doc)) return false;
    od::value root;
    if (doc.get_value().get(root)) return false;
    values_seen += walk(root, 0);
    return true;
}

}  // namespace mmwatch::otlp
