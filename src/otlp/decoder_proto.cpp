// OTLP/protobuf ExportMetricsServiceRequest decoding with protozero: a
// zero-copy reader over the body (strings are views into it), into the
// same DecodedRequest the JSON decoder fills, with the same canonical
// attribute values, so the store cannot tell the encodings apart.
// Unknown fields of every wire type are skipped; a known field with the
// wrong wire type is wrong_type; a truncated varint, a key or length that
// does not fit (read in 64 bits: protozero keeps 32), a length past what
// remains or an unknown wire type is malformed_protobuf; a varint too big
// for its field (scale, offset, flags) is bad_number.
#include <protozero/exception.hpp>
#include <protozero/pbf_reader.hpp>

#include <climits>
#include <cmath>
#include <vector>

#include "base/base64.hpp"
#include "base/limits.hpp"
#include "otlp/arena.hpp"
#include "otlp/decoder.hpp"
#include "base/try.hpp"
#include "base/json.hpp"

namespace mmwatch::otlp {

namespace {

using protozero::pbf_reader;
using WT = protozero::pbf_wire_type;

struct PCtx {
    DecodedRequest& out;
    Arena& arena;
    std::string& tmp;
    std::vector<double>& pairs;  // a summary point's (quantile, value) pairs
    std::string_view where;
};

// The next field of `r`, its key and (length-delimited) length read first
// in 64 bits against what remains: protozero reads both into 32 bits, so
// a length of 2^32+n would be taken as n and 2^63 as 0.
bool next(pbf_reader& r) {
    const protozero::data_view rest = r.data();
    const char* p = rest.data();
    const char* const end = p + rest.size();
    if (p == end) return false;
    const uint64_t key = protozero::decode_varint(&p, end);
    if (key > 0xffffffffu) throw protozero::invalid_tag_exception{};
    if ((key & 7) == uint64_t(WT::length_delimited) && protozero::decode_varint(&p, end) > uint64_t(end - p))
        throw protozero::end_of_buffer_exception{};
    return r.next();
}

DecodeError fail(PCtx& c, DecodeError e, std::string_view where) {
    c.where = where;
    return e;
}

DecodeError expect(pbf_reader& r, WT type, PCtx& c, std::string_view where) {
    return r.wire_type() == type ? DecodeError::none : fail(c, DecodeError::wrong_type, where);
}

std::string_view view(pbf_reader& r) {
    const protozero::data_view v = r.get_view();
    return {v.data(), v.size()};
}

DecodeError any_json(std::string_view bytes, std::string& buf, unsigned depth, PCtx& c);

// ArrayValue (1: repeated AnyValue) or KeyValueList (1: repeated KeyValue)
// as compact JSON, as the JSON decoder writes them.
DecodeError list_json(std::string_view bytes, std::string& buf, unsigned depth, PCtx& c, bool kvlist) {
    if (depth > base::kMaxOtlpAnyValueDepth) return fail(c, DecodeError::too_deep, "AnyValue");
    buf += kvlist ? '{' : '[';
    bool first = true;
    pbf_reader r(bytes.data(), bytes.size());
    while (next(r)) {
        if (r.tag() != 1) {
            r.skip();
            continue;
        }
        MMWATCH_TRY(expect(r, WT::length_delimited, c, kvlist ? "KeyValueList.values" : "ArrayValue.values"));
        if (!first) buf += ',';
        first = false;
        const std::string_view el = view(r);
        if (!kvlist) {
            MMWATCH_TRY(any_json(el, buf, depth + 1, c));
            continue;
        }
        std::string_view key, value;
        bool has_value = false;
        pbf_reader kv(el.data(), el.size());
        while (next(kv)) {
            const uint32_t tag = kv.tag();  // read before the value: reading it moves the reader on
            if (tag == 1 || tag == 2) {
                MMWATCH_TRY(expect(kv, WT::length_delimited, c, "KeyValue"));
                (tag == 1 ? key : value) = view(kv);
                has_value = has_value || tag == 2;
            } else {
                kv.skip();
            }
        }
        base::json::append_string(buf, key);
        buf += ':';
        if (has_value) MMWATCH_TRY(any_json(value, buf, depth + 1, c));
        else buf += "null";
    }
    buf += kvlist ? '}' : ']';
    return DecodeError::none;
}

// One AnyValue as JSON, inside an array or kvlist.
DecodeError any_json(std::string_view bytes, std::string& buf, unsigned depth, PCtx& c) {
    if (depth > base::kMaxOtlpAnyValueDepth) return fail(c, DecodeError::too_deep, "AnyValue");
    const size_t start = buf.size();
    pbf_reader r(bytes.data(), bytes.size());
    while (next(r)) {
        switch (r.tag()) {
            case 1:
                MMWATCH_TRY(expect(r, WT::length_delimited, c, "AnyValue.string_value"));
                base::json::append_string(buf, view(r));
                break;
            case 7: {
                MMWATCH_TRY(expect(r, WT::length_delimited, c, "AnyValue.bytes_value"));
                std::string b64;
                base::base64::append(b64, view(r));
                base::json::append_string(buf, b64);
                break;
            }
            case 2:
                MMWATCH_TRY(expect(r, WT::varint, c, "AnyValue.bool_value"));
                buf += r.get_bool() ? "true" : "false";
                break;
            case 3:
                MMWATCH_TRY(expect(r, WT::varint, c, "AnyValue.int_value"));
                base::json::append_number(buf, r.get_int64());
                break;
            case 4:
                MMWATCH_TRY(expect(r, WT::fixed64, c, "AnyValue.double_value"));
                base::json::append_double(buf, r.get_double());
                break;
            case 5:
            case 6: {
                const bool kv = r.tag() == 6;
                MMWATCH_TRY(expect(r, WT::length_delimited, c, "AnyValue list"));
                MMWATCH_TRY(list_json(view(r), buf, depth, c, kv));
                break;
            }
            default: r.skip();
        }
    }
    if (buf.size() == start) buf += "null";
    return DecodeError::none;
}

// An attribute's AnyValue as its canonical label-value string.
DecodeError any_value(std::string_view bytes, std::string_view& out, PCtx& c) {
    pbf_reader r(bytes.data(), bytes.size());
    while (next(r)) {
        c.tmp.clear();
        switch (r.tag()) {
            case 1:
                MMWATCH_TRY(expect(r, WT::length_delimited, c, "AnyValue.string_value"));
                out = view(r);
                continue;
            case 7:
                MMWATCH_TRY(expect(r, WT::length_delimited, c, "AnyValue.bytes_value"));
                base::base64::append(c.tmp, view(r));
                break;
            case 2:
                MMWATCH_TRY(expect(r, WT::varint, c, "AnyValue.bool_value"));
                out = r.get_bool() ? "true" : "false";
                continue;
            case 3:
                MMWATCH_TRY(expect(r, WT::varint, c, "AnyValue.int_value"));
                base::json::append_number(c.tmp, r.get_int64());
                break;
            case 4:
                MMWATCH_TRY(expect(r, WT::fixed64, c, "AnyValue.double_value"));
                base::json::append_number(c.tmp, r.get_double());
                break;
            case 5:
            case 6: {
                const bool kv = r.tag() == 6;
                MMWATCH_TRY(expect(r, WT::length_delimited, c, "AnyValue list"));
                MMWATCH_TRY(list_json(view(r), c.tmp, 1, c, kv));
                break;
            }
            default: r.skip(); continue;
        }
        out = c.arena.copy(c.tmp);
    }
    return DecodeError::none;
}

// One KeyValue (1: key, 2: value) appended to out.attrs.
DecodeError key_value(pbf_reader& field, PCtx& c, std::string_view where) {
    MMWATCH_TRY(expect(field, WT::length_delimited, c, where));
    const std::string_view bytes = view(field);
    Attr a;
    pbf_reader r(bytes.data(), bytes.size());
    while (next(r)) {
        if (r.tag() == 1) {
            MMWATCH_TRY(expect(r, WT::length_delimited, c, "KeyValue.key"));
            a.key = view(r);
        } else if (r.tag() == 2) {
            MMWATCH_TRY(expect(r, WT::length_delimited, c, "KeyValue.value"));
            MMWATCH_TRY(any_value(view(r), a.value, c));
        } else {
            r.skip();
        }
    }
    c.out.attrs.push_back(a);
    return DecodeError::none;
}

// A repeated field's elements, packed or one by one, appended to `dst`.
template <typename T, typename Packed, typename One>
DecodeError repeated(pbf_reader& r, WT scalar, std::vector<T>& dst, Range& range, PCtx& c, std::string_view where,
                     Packed packed, One one) {
    if (range.size() == 0) range = {uint32_t(dst.size()), uint32_t(dst.size())};
    else if (range.end != dst.size()) return fail(c, DecodeError::duplicate_field, where);
    if (r.wire_type() == WT::length_delimited) {
        for (auto v : packed(r)) dst.push_back(T(v));
    } else {
        MMWATCH_TRY(expect(r, scalar, c, where));
        dst.push_back(T(one(r)));
    }
    range.end = uint32_t(dst.size());
    return DecodeError::none;
}

DecodeError fixed64s(pbf_reader& r, std::vector<uint64_t>& dst, Range& range, PCtx& c, std::string_view where) {
    return repeated(r, WT::fixed64, dst, range, c, where, [](pbf_reader& x) { return x.get_packed_fixed64(); },
                    [](pbf_reader& x) { return x.get_fixed64(); });
}

DecodeError doubles(pbf_reader& r, std::vector<double>& dst, Range& range, PCtx& c, std::string_view where) {
    return repeated(r, WT::fixed64, dst, range, c, where, [](pbf_reader& x) { return x.get_packed_double(); },
                    [](pbf_reader& x) { return x.get_double(); });
}

DecodeError varints(pbf_reader& r, std::vector<uint64_t>& dst, Range& range, PCtx& c, std::string_view where) {
    return repeated(r, WT::varint, dst, range, c, where, [](pbf_reader& x) { return x.get_packed_uint64(); },
                    [](pbf_reader& x) { return x.get_uint64(); });
}

// A sint32 read in 64 bits: a value past int32 is bad_number, not cut.
DecodeError int32_field(pbf_reader& r, int32_t& out, PCtx& c, std::string_view where) {
    MMWATCH_TRY(expect(r, WT::varint, c, where));
    const int64_t v = r.get_sint64();
    if (v < INT32_MIN || v > INT32_MAX) return fail(c, DecodeError::bad_number, where);
    out = int32_t(v);
    return DecodeError::none;
}

DecodeError fixed(pbf_reader& r, uint64_t& out, PCtx& c, std::string_view where) {
    MMWATCH_TRY(expect(r, WT::fixed64, c, where));
    out = r.get_fixed64();
    return DecodeError::none;
}

DecodeError dbl(pbf_reader& r, double& out, PCtx& c, std::string_view where) {
    MMWATCH_TRY(expect(r, WT::fixed64, c, where));
    out = r.get_double();
    return DecodeError::none;
}

DecodeError attrs_field(pbf_reader& r, DecodedPoint& p, PCtx& c) {
    if (p.attrs.size() == 0) p.attrs = {uint32_t(c.out.attrs.size()), uint32_t(c.out.attrs.size())};
    else if (p.attrs.end != c.out.attrs.size()) return fail(c, DecodeError::duplicate_field, "attributes");
    MMWATCH_TRY(key_value(r, c, "dataPoints[].attributes"));
    p.attrs.end = uint32_t(c.out.attrs.size());
    return DecodeError::none;
}

// Buckets (1: offset sint32, 2: bucket_counts repeated uint64).
DecodeError buckets(pbf_reader& field, Range& counts, int32_t& offset, PCtx& c) {
    MMWATCH_TRY(expect(field, WT::length_delimited, c, "buckets"));
    if (counts.size() != 0) return fail(c, DecodeError::duplicate_field, "buckets");
    const std::string_view bytes = view(field);
    pbf_reader r(bytes.data(), bytes.size());
    while (next(r)) {
        if (r.tag() == 1) {
            MMWATCH_TRY(int32_field(r, offset, c, "buckets.offset"));
        } else if (r.tag() == 2) {
            MMWATCH_TRY(varints(r, c.out.u64s, counts, c, "buckets.bucket_counts"));
        } else {
            r.skip();
        }
    }
    return DecodeError::none;
}

// Where the four data point messages keep the fields they share; 0: none.
struct PointTags {
    uint32_t attrs, flags, min, max;
    bool count_sum;  // 4: count (fixed64), 5: sum (double)
};
constexpr PointTags kNumberTags{7, 8, 0, 0, false};
constexpr PointTags kHistogramTags{9, 10, 11, 12, true};
constexpr PointTags kExponentialTags{1, 10, 12, 13, true};
constexpr PointTags kSummaryTags{7, 8, 0, 0, true};

// The shared fields: true (with `e`) when `r` is one of them.
bool shared_field(pbf_reader& r, DecodedPoint& p, PCtx& c, const PointTags& t, DecodeError& e) {
    const uint32_t tag = r.tag();
    if (tag == 2) e = fixed(r, reinterpret_cast<uint64_t&>(p.start_ns), c, "start_time_unix_nano");
    else if (tag == 3) e = fixed(r, reinterpret_cast<uint64_t&>(p.time_ns), c, "time_unix_nano");
    else if (tag == t.attrs) e = attrs_field(r, p, c);
    else if (tag == 4 && t.count_sum) e = fixed(r, p.count, c, "count");
    else if (tag == 5 && t.count_sum) {
        p.has_sum = true;
        e = dbl(r, p.sum, c, "sum");
    } else if (tag == t.flags) {
        e = expect(r, WT::varint, c, "flags");
        const uint64_t flags = e == DecodeError::none ? r.get_uint64() : 0;
        if (flags > 0xffffffffu) e = fail(c, DecodeError::bad_number, "flags");
        p.flags = uint32_t(flags);
    } else if (tag == t.min && tag != 0) {
        p.has_min = true;
        e = dbl(r, p.min, c, "min");
    } else if (tag == t.max && tag != 0) {
        p.has_max = true;
        e = dbl(r, p.max, c, "max");
    } else {
        return false;
    }
    return true;
}

DecodeError number_point(pbf_reader& r, DecodedPoint& p, PCtx& c) {
    if (DecodeError e; shared_field(r, p, c, kNumberTags, e)) return e;
    if (r.tag() == 4) {
        p.has_value = true;
        return dbl(r, p.value, c, "as_double");
    }
    if (r.tag() == 6) {
        MMWATCH_TRY(expect(r, WT::fixed64, c, "as_int"));
        p.has_value = true;
        p.value = double(r.get_sfixed64());
        return DecodeError::none;
    }
    r.skip();  // exemplars, unknown
    return DecodeError::none;
}

DecodeError histogram_point(pbf_reader& r, DecodedPoint& p, PCtx& c) {
    if (DecodeError e; shared_field(r, p, c, kHistogramTags, e)) return e;
    if (r.tag() == 6) return fixed64s(r, c.out.u64s, p.counts, c, "bucket_counts");
    if (r.tag() == 7) return doubles(r, c.out.doubles, p.bounds, c, "explicit_bounds");
    r.skip();
    return DecodeError::none;
}

DecodeError exponential_point(pbf_reader& r, DecodedPoint& p, PCtx& c) {
    if (DecodeError e; shared_field(r, p, c, kExponentialTags, e)) return e;
    switch (r.tag()) {
        case 6: return int32_field(r, p.scale, c, "scale");
        case 7: return fixed(r, p.zero_count, c, "zero_count");
        case 8: return buckets(r, p.counts, p.positive_offset, c);
        case 9: return buckets(r, p.negative_counts, p.negative_offset, c);
        case 14: return dbl(r, p.zero_threshold, c, "zero_threshold");
        default: r.skip(); return DecodeError::none;
    }
}

DecodeError summary_point(pbf_reader& r, DecodedPoint& p, PCtx& c) {
    if (DecodeError e; shared_field(r, p, c, kSummaryTags, e)) return e;
    if (r.tag() != 6) {
        r.skip();
        return DecodeError::none;
    }
    MMWATCH_TRY(expect(r, WT::length_delimited, c, "quantile_values"));
    const std::string_view bytes = view(r);
    double q = 0, v = 0;
    pbf_reader qv(bytes.data(), bytes.size());
    while (next(qv)) {
        if (qv.tag() == 1) MMWATCH_TRY(dbl(qv, q, c, "quantile_values.quantile"));
        else if (qv.tag() == 2) MMWATCH_TRY(dbl(qv, v, c, "quantile_values.value"));
        else qv.skip();
    }
    c.pairs.push_back(q);
    c.pairs.push_back(v);
    return DecodeError::none;
}

DecodeError data_points(std::string_view bytes, MetricKind kind, DecodedPoint& p, PCtx& c) {
    pbf_reader r(bytes.data(), bytes.size());
    c.pairs.clear();
    if (kind == MetricKind::summary) p.has_sum = true;  // a plain double: 0 is not sent
    while (next(r)) {
        switch (kind) {
            case MetricKind::gauge:
            case MetricKind::sum: MMWATCH_TRY(number_point(r, p, c)); break;
            case MetricKind::histogram: MMWATCH_TRY(histogram_point(r, p, c)); break;
            case MetricKind::exponential_histogram: MMWATCH_TRY(exponential_point(r, p, c)); break;
            case MetricKind::summary: MMWATCH_TRY(summary_point(r, p, c)); break;
            case MetricKind::none: r.skip(); break;
        }
    }
    if (kind == MetricKind::summary) {
        // Quantiles then values, each contiguous, as the JSON decoder keeps them.
        const size_t n = c.pairs.size() / 2;
        const auto base = uint32_t(c.out.doubles.size());
        for (size_t i = 0; i < n; ++i) c.out.doubles.push_back(c.pairs[2 * i]);
        for (size_t i = 0; i < n; ++i) c.out.doubles.push_back(c.pairs[2 * i + 1]);
        p.bounds = {base, uint32_t(base + n)};
        p.values = {uint32_t(base + n), uint32_t(base + 2 * n)};
    }
    return DecodeError::none;
}

// Gauge, Sum, Histogram, ExponentialHistogram or Summary: 1 data_points,
// 2 aggregation_temporality, 3 is_monotonic (Sum).
DecodeError metric_data(std::string_view bytes, size_t m, PCtx& c) {
    DecodedRequest& out = c.out;
    const MetricKind kind = out.metrics[m].kind;
    const auto begin = uint32_t(out.points.size());
    pbf_reader r(bytes.data(), bytes.size());
    while (next(r)) {
        if (r.tag() == 1) {
            MMWATCH_TRY(expect(r, WT::length_delimited, c, "data_points"));
            if (out.metrics[m].points.size() != 0 && out.metrics[m].points.end != out.points.size())
                return fail(c, DecodeError::duplicate_field, "data_points");
            const std::string_view point = view(r);
            out.points.push_back({});
            MMWATCH_TRY(data_points(point, kind, out.points.back(), c));
            out.metrics[m].points = {begin, uint32_t(out.points.size())};
        } else if (r.tag() == 2 && kind != MetricKind::gauge && kind != MetricKind::summary) {
            MMWATCH_TRY(expect(r, WT::varint, c, "aggregation_temporality"));
            const int64_t t = r.get_int64();  // an enum: 2^32+1 is not 1
            out.metrics[m].temporality = t == 1 ? Temporality::delta : t == 2 ? Temporality::cumulative
                                                                              : Temporality::unspecified;
        } else if (r.tag() == 3 && kind == MetricKind::sum) {
            MMWATCH_TRY(expect(r, WT::varint, c, "is_monotonic"));
            out.metrics[m].monotonic = r.get_bool();
        } else {
            r.skip();
        }
    }
    return DecodeError::none;
}

MetricKind kind_of_tag(uint32_t tag) noexcept {
    switch (tag) {
        case 5: return MetricKind::gauge;
        case 7: return MetricKind::sum;
        case 9: return MetricKind::histogram;
        case 10: return MetricKind::exponential_histogram;
        case 11: return MetricKind::summary;
        default: return MetricKind::none;
    }
}

// Metric: 1 name, 2 description, 3 unit, 5/7/9/10/11 the data.
DecodeError metric(std::string_view bytes, uint32_t scope, PCtx& c) {
    const size_t m = c.out.metrics.size();
    c.out.metrics.push_back({});
    c.out.metrics[m].scope = scope;
    pbf_reader r(bytes.data(), bytes.size());
    while (next(r)) {
        const uint32_t tag = r.tag();
        if (tag == 1 || tag == 2 || tag == 3) {
            MMWATCH_TRY(expect(r, WT::length_delimited, c, "metrics[].name/description/unit"));
            DecodedMetric& dm = c.out.metrics[m];
            (tag == 1 ? dm.name : tag == 2 ? dm.description : dm.unit) = view(r);
            continue;
        }
        const MetricKind kind = kind_of_tag(tag);
        if (kind == MetricKind::none) {
            r.skip();
            continue;
        }
        MMWATCH_TRY(expect(r, WT::length_delimited, c, "metrics[] data"));
        if (c.out.metrics[m].kind != MetricKind::none) return fail(c, DecodeError::duplicate_field, "metrics[] data");
        c.out.metrics[m].kind = kind;
        MMWATCH_TRY(metric_data(view(r), m, c));
    }
    return DecodeError::none;
}

// InstrumentationScope: 1 name, 2 version, 3 attributes.
DecodeError scope(std::string_view bytes, uint32_t s, PCtx& c) {
    pbf_reader r(bytes.data(), bytes.size());
    while (next(r)) {
        const uint32_t tag = r.tag();
        if (tag == 1 || tag == 2) {
            MMWATCH_TRY(expect(r, WT::length_delimited, c, "scope.name/version"));
            (tag == 1 ? c.out.scopes[s].name : c.out.scopes[s].version) = view(r);
        } else if (tag == 3) {
            Range& a = c.out.scopes[s].attrs;
            if (a.size() == 0) a = {uint32_t(c.out.attrs.size()), uint32_t(c.out.attrs.size())};
            MMWATCH_TRY(key_value(r, c, "scope.attributes"));
            c.out.scopes[s].attrs.end = uint32_t(c.out.attrs.size());
        } else {
            r.skip();
        }
    }
    return DecodeError::none;
}

// ResourceMetrics: 1 resource (1: attributes), 2 scope_metrics (1 scope, 2 metrics).
DecodeError resource_metrics(std::string_view bytes, PCtx& c) {
    const auto res = uint32_t(c.out.resources.size());
    c.out.resources.push_back({});
    pbf_reader r(bytes.data(), bytes.size());
    while (next(r)) {
        if (r.tag() == 1) {
            MMWATCH_TRY(expect(r, WT::length_delimited, c, "resource"));
            const std::string_view rb = view(r);
            pbf_reader rr(rb.data(), rb.size());
            while (next(rr)) {
                if (rr.tag() != 1) {
                    rr.skip();
                    continue;
                }
                Range& a = c.out.resources[res].attrs;
                if (a.size() == 0) a = {uint32_t(c.out.attrs.size()), uint32_t(c.out.attrs.size())};
                else if (a.end != c.out.attrs.size()) return fail(c, DecodeError::duplicate_field, "resource");
                MMWATCH_TRY(key_value(rr, c, "resource.attributes"));
                c.out.resources[res].attrs.end = uint32_t(c.out.attrs.size());
            }
        } else if (r.tag() == 2) {
            MMWATCH_TRY(expect(r, WT::length_delimited, c, "scope_metrics"));
            const std::string_view sb = view(r);
            const auto s = uint32_t(c.out.scopes.size());
            c.out.scopes.push_back({});
            c.out.scopes[s].resource = res;
            pbf_reader sr(sb.data(), sb.size());
            while (next(sr)) {
                if (sr.tag() == 1) {
                    MMWATCH_TRY(expect(sr, WT::length_delimited, c, "scope"));
                    MMWATCH_TRY(scope(view(sr), s, c));
                } else if (sr.tag() == 2) {
                    MMWATCH_TRY(expect(sr, WT::length_delimited, c, "metrics"));
                    MMWATCH_TRY(metric(view(sr), s, c));
                } else {
                    sr.skip();
                }
            }
        } else {
            r.skip();
        }
    }
    return DecodeError::none;
}

}  // namespace

DecodeResult decode_protobuf(std::string_view body, DecodedRequest& out, Arena& arena, std::string& tmp,
                             std::vector<double>& pairs) {
    out.clear();
    arena.reset();
    PCtx c{out, arena, tmp, pairs, {}};
    try {
        pbf_reader r(body.data(), body.size());
        while (next(r)) {
            if (r.tag() != 1) {
                r.skip();
                continue;
            }
            if (r.wire_type() != WT::length_delimited) return {DecodeError::wrong_type, "resource_metrics"};
            if (const DecodeError e = resource_metrics(view(r), c); e != DecodeError::none) return {e, c.where};
        }
    } catch (const protozero::exception&) {
        // A truncated varint, a length past the end, an unknown wire type.
        return {DecodeError::malformed_protobuf, c.where.empty() ? "message" : c.where};
    }
    return {};
}

}  // namespace mmwatch::otlp
