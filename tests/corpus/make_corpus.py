#!/usr/bin/env python3
"""The malformed-file corpus: REZL files that break every header field,
every catalog entry field, every section boundary and every size rule,
each with the reason mmwatch must reject it for (rezl::reason_name), plus
valid files (reason "none") with the exact samples mmwatch must serve.

    make_corpus.py DIR            # writes DIR/<file> and DIR/MANIFEST.tsv
    make_corpus.py --seeds DIR    # the small files only, as fuzzing seeds

MANIFEST.tsv has one line per file: name, reason, what the file breaks.
Standard library only; the black-box test imports cases() directly.
"""

import os
import shutil
import struct
import sys

COUNTER, GAUGE, HISTOGRAM = 1, 2, 3
MAX_METRICS = 1024
MAX_NAME_BYTES = 255
# rezl::kMaxCatalogBytes: 1024 histogram entries with 255-byte names.
MAX_CATALOG_BYTES = MAX_METRICS * (1 + 2 + 1 + MAX_NAME_BYTES)
HEADER_BYTES = 16
U64_MAX = (1 << 64) - 1
# Files above this are left out of the fuzzing seeds.
MAX_SEED_BYTES = 16 * 1024


class Case:
    def __init__(self, name, data, reason, what, samples=None):
        self.name = name          # file name in the watched directory
        self.data = data          # the file's bytes
        self.reason = reason      # rezl::reason_name, "none" for valid files
        self.what = what          # one line: what the file breaks
        self.samples = samples or {}  # valid files: exposed series -> value text


def bucket_count(g, m):
    return (m - g + 1) << g


def catalog_of(entries):
    """Catalog bytes and data words of (type, name[, g, m]) entries; a
    histogram with an invalid config counts no words."""
    out = bytearray()
    words = 0
    for e in entries:
        t, name = e[0], e[1]
        raw = name if isinstance(name, bytes) else name.encode()
        out.append(t)
        if t == HISTOGRAM:
            g, m = e[2], e[3]
            out += bytes([g, m])
            words += bucket_count(g, m) if 0 <= g < m <= 64 and bucket_count(g, m) <= 65536 else 0
        else:
            words += 1
        out.append(len(raw) & 0xFF)
        out += raw
    return bytes(out), words


def rezl(entries, values=None, magic=b"REZL", major=1, minor=0, status=1, reserved=0,
         count=None, catalog_size=None, pad=True, words=None):
    """A whole file. `values` maps word index -> u64 (gauges as signed);
    every field of the header can be overridden."""
    catalog, n_words = catalog_of(entries)
    n_words = n_words if words is None else words
    start = HEADER_BYTES + len(catalog)
    data_offset = (start + 7) & ~7 if pad else start
    out = bytearray(data_offset + 8 * n_words)
    out[0:4] = magic
    out[4:8] = bytes([major, minor, status, reserved])
    out[8:16] = struct.pack("<II", len(entries) if count is None else count,
                            len(catalog) if catalog_size is None else catalog_size)
    out[HEADER_BYTES:start] = catalog
    for i, v in (values or {}).items():
        struct.pack_into("<Q", out, data_offset + 8 * i, v & U64_MAX)
    return bytes(out)


def data_offset_of(entries):
    catalog, _ = catalog_of(entries)
    return (HEADER_BYTES + len(catalog) + 7) & ~7


# A small valid file whose catalog (39 bytes) needs 1 byte of padding, used
# to cut at every section boundary.
MIXED = [(COUNTER, "jobs_total"), (GAUGE, "queue_depth"), (HISTOGRAM, "wait_us", 2, 4)]
MIXED_BYTES = rezl(MIXED, {0: 5, 1: 7})
MIXED_CATALOG_END = HEADER_BYTES + len(catalog_of(MIXED)[0])
MIXED_DATA = data_offset_of(MIXED)


def valid_cases():
    hist = {0: 1, 3: 2, 11: 4}  # g=2, m=4: buckets 0, 3 and the last (8..15)
    names_1024 = [(COUNTER, "c%04d" % i) for i in range(MAX_METRICS)]
    return [
        Case("valid_counter.rezl", rezl([(COUNTER, "requests_total")], {0: U64_MAX}), "none",
             "u64 counter at its maximum",
             {'requests_total{name="valid_counter"}': str(U64_MAX)}),
        Case("valid_gauge.rezl", rezl([(GAUGE, "temperature_celsius")], {0: -40}), "none",
             "negative gauge", {'temperature_celsius{name="valid_gauge"}': "-40"}),
        Case("valid_histogram.rezl", rezl([(HISTOGRAM, "latency_us", 2, 4)], hist), "none",
             "g=2 m=4 histogram, 12 buckets",
             {'latency_us_bucket{name="valid_histogram",le="0"}': "1",
              'latency_us_bucket{name="valid_histogram",le="3"}': "3",
              'latency_us_bucket{name="valid_histogram",le="15"}': "7",
              'latency_us_bucket{name="valid_histogram",le="+Inf"}': "7",
              'latency_us_count{name="valid_histogram"}': "7"}),
        Case("valid_mixed.rezl", MIXED_BYTES, "none", "counter, gauge and histogram with catalog padding",
             {'jobs_total{name="valid_mixed"}': "5", 'queue_depth{name="valid_mixed"}': "7",
              'wait_us_count{name="valid_mixed"}': "0"}),
        Case("valid_header_extras.rezl", rezl([(GAUGE, "extras")], {0: 3}, minor=255, status=0xFF, reserved=0xFF),
             "none", "minor 255, reserved status bits and reserved byte set: accepted",
             {'extras{name="valid_header_extras"}': "3"}),
        Case("valid_empty.rezl", rezl([]), "none", "zero metrics: a 16-byte file", {}),
        Case("valid_1024_metrics.rezl", rezl(names_1024, {i: i for i in range(MAX_METRICS)}), "none",
             "exactly 1024 metrics, the limit",
             {'c0000_total{name="valid_1024_metrics"}': "0", 'c0512_total{name="valid_1024_metrics"}': "512",
              'c1023_total{name="valid_1024_metrics"}': "1023"}),
        Case("valid_names.rezl", rezl([(GAUGE, "h\u00e9llo w\u00f6rld \U0001F600"), (GAUGE, "n" * 255),
                                       (GAUGE, "9lives")], {0: 1, 1: 2, 2: 3}),
             "none", "non-Prometheus UTF-8 names (4-byte sequence), a 255-byte name, a leading digit",
             {'h_llo_w_rld__{name="valid_names"}': "1", "n" * 255 + '{name="valid_names"}': "2",
              '_9lives{name="valid_names"}': "3"}),
        Case("valid_hist_at_cap.rezl", rezl([(HISTOGRAM, "big_hist", 15, 16)], {65535: 9}), "none",
             "g=15 m=16: exactly 65536 buckets, the cap",
             {'big_hist_count{name="valid_hist_at_cap"}': "9"}),
    ]


def header_cases():
    one = [(COUNTER, "a")]
    abc = [(COUNTER, "abc")]
    abc_size = len(catalog_of(abc)[0])  # 5: type, length, 3 name bytes
    return [
        Case("empty.rezl", b"", "truncated", "zero bytes"),
        Case("header_8_bytes.rezl", rezl(one)[:8], "truncated", "cut inside the header"),
        Case("header_15_bytes.rezl", rezl(one)[:15], "truncated", "header one byte short"),
        Case("magic_zero.rezl", rezl(one, magic=b"\0\0\0\0"), "bad_magic", "magic all zero"),
        Case("magic_lowercase.rezl", rezl(one, magic=b"rezl"), "bad_magic", "magic in lower case"),
        Case("magic_last_byte.rezl", rezl(one, magic=b"REZX"), "bad_magic", "last magic byte wrong"),
        Case("magic_swapped.rezl", rezl(one, magic=b"LZER"), "byte_swapped_magic",
             "magic written as a little-endian u32"),
        Case("major_0.rezl", rezl(one, major=0), "bad_version", "major version 0"),
        Case("major_2.rezl", rezl(one, major=2), "bad_version", "major version 2"),
        Case("major_255.rezl", rezl(one, major=255), "bad_version", "major version 255"),
        Case("status_not_ready.rezl", rezl(one, status=0), "not_ready", "ready bit 0"),
        Case("status_reserved_only.rezl", rezl(one, status=0xFE), "not_ready",
             "reserved status bits set, ready bit 0"),
        Case("count_1025.rezl", rezl(one, count=1025), "too_many_metrics", "metric count 1025, one entry"),
        Case("count_u32_max.rezl", rezl(one, count=0xFFFFFFFF), "too_many_metrics", "metric count 2^32-1"),
        Case("metrics_1025.rezl", rezl([(COUNTER, "c%04d" % i) for i in range(MAX_METRICS + 1)]),
             "too_many_metrics", "1025 real catalog entries"),
        Case("count_one_over_entries.rezl", rezl(one, count=2), "catalog_overrun",
             "count 2, catalog holds 1 entry"),
        Case("count_zero_with_entry.rezl", rezl(one, count=0), "catalog_overrun",
             "count 0, catalog holds 1 entry (bytes left over)"),
        Case("catalog_size_zero.rezl", rezl(one, catalog_size=0), "catalog_overrun",
             "catalog size 0 for 1 entry"),
        Case("catalog_size_one_short.rezl", rezl(abc, catalog_size=abc_size - 1), "catalog_overrun",
             "catalog size 1 byte short: the name runs past it"),
        Case("catalog_size_one_long.rezl", rezl(abc, catalog_size=abc_size + 1), "catalog_overrun",
             "catalog size 1 byte long: a byte left over"),
        Case("catalog_size_past_file.rezl", rezl(one, catalog_size=64), "catalog_overrun",
             "catalog size runs past the end of the file"),
        Case("catalog_size_u32_max.rezl", rezl(one, catalog_size=0xFFFFFFFF), "catalog_overrun",
             "catalog size 2^32-1"),
        Case("catalog_size_over_cap.rezl",
             rezl(one, catalog_size=MAX_CATALOG_BYTES + 1, words=(MAX_CATALOG_BYTES + 64) // 8),
             "catalog_overrun", "catalog size one over the largest a valid file can have, file big enough"),
    ]


def entry_cases():
    return [
        Case("type_0.rezl", rezl([(0, "a")]), "bad_type", "metric type 0"),
        Case("type_4.rezl", rezl([(4, "a")]), "bad_type", "metric type 4"),
        Case("type_255.rezl", rezl([(255, "a")]), "bad_type", "metric type 255"),
        Case("type_bad_second.rezl", rezl([(GAUGE, "ok"), (9, "b")]), "bad_type",
             "second entry has type 9"),
        Case("hist_g_equals_m.rezl", rezl([(HISTOGRAM, "h", 5, 5)]), "bad_histogram_config", "g == m"),
        Case("hist_g_above_m.rezl", rezl([(HISTOGRAM, "h", 6, 3)]), "bad_histogram_config", "g > m"),
        Case("hist_m_65.rezl", rezl([(HISTOGRAM, "h", 2, 65)]), "bad_histogram_config", "m = 65"),
        Case("hist_m_255.rezl", rezl([(HISTOGRAM, "h", 0, 255)]), "bad_histogram_config", "m = 255"),
        Case("hist_zero_config.rezl", rezl([(HISTOGRAM, "h", 0, 0)]), "bad_histogram_config", "g = m = 0"),
        Case("hist_buckets_over_cap.rezl", rezl([(HISTOGRAM, "h", 16, 17)]), "bad_histogram_config",
             "g=16 m=17: 131072 buckets, twice the cap"),
        Case("hist_buckets_just_over.rezl", rezl([(HISTOGRAM, "h", 13, 21)]), "bad_histogram_config",
             "g=13 m=21: 73728 buckets"),
        Case("hist_bucket_count_wraps.rezl", rezl([(HISTOGRAM, "h", 63, 64)]), "bad_histogram_config",
             "g=63 m=64: 2 << 63 wraps a u64 to 0"),
        Case("hist_bucket_count_huge.rezl", rezl([(HISTOGRAM, "h", 31, 64)]), "bad_histogram_config",
             "g=31 m=64: 34 << 31 buckets"),
        Case("hist_config_cut.rezl", rezl([(HISTOGRAM, "h", 2, 4)], catalog_size=2, words=0), "catalog_overrun",
             "catalog ends inside a histogram config"),
        Case("name_length_missing.rezl", rezl([(COUNTER, "a")], catalog_size=1, words=0), "catalog_overrun",
             "catalog ends after the type byte"),
        Case("name_length_zero.rezl", rezl([(COUNTER, "")]), "bad_name_length", "name length 0"),
        Case("name_length_zero_second.rezl", rezl([(COUNTER, "a"), (GAUGE, "")]), "bad_name_length",
             "second entry has name length 0"),
        Case("name_past_catalog.rezl",
             rezl([(COUNTER, "abc")])[:17] + b"\xc8" + rezl([(COUNTER, "abc")])[18:],
             "catalog_overrun", "name length 200 in a 5-byte catalog"),
    ]


def utf8_cases():
    bad = [
        ("utf8_bad_continuation", b"a\xc3\x28", "2-byte lead followed by ASCII"),
        ("utf8_lone_continuation", b"\x80abc", "continuation byte without a lead"),
        ("utf8_overlong_2", b"\xc0\xaf", "overlong 2-byte '/'"),
        ("utf8_overlong_3", b"\xe0\x80\xaf", "overlong 3-byte '/'"),
        ("utf8_overlong_4", b"\xf0\x80\x80\xaf", "overlong 4-byte '/'"),
        ("utf8_surrogate_high", b"\xed\xa0\x80", "UTF-16 high surrogate U+D800"),
        ("utf8_surrogate_low", b"\xed\xbf\xbf", "UTF-16 low surrogate U+DFFF"),
        ("utf8_above_10ffff", b"\xf4\x90\x80\x80", "U+110000, past the last code point"),
        ("utf8_f5_lead", b"\xf5\x80\x80\x80", "lead byte F5, never valid"),
        ("utf8_ff_byte", b"ok\xff", "byte FF"),
        ("utf8_cut_sequence", b"abc\xe2\x82", "3-byte sequence cut by the end of the name"),
    ]
    return [Case(n + ".rezl", rezl([(GAUGE, raw)]), "bad_name_utf8", w) for n, raw, w in bad]


def size_cases():
    b = MIXED_BYTES
    short = [
        ("cut_at_header_end", HEADER_BYTES, "catalog_overrun", "cut at the end of the header"),
        ("cut_mid_catalog", HEADER_BYTES + 10, "catalog_overrun", "cut inside the catalog"),
        ("cut_at_catalog_end", MIXED_CATALOG_END, "size_mismatch", "cut at the end of the catalog, before padding"),
        ("cut_at_data_start", MIXED_DATA, "size_mismatch", "cut where the data starts"),
        ("cut_mid_value", MIXED_DATA + 12, "size_mismatch", "cut inside the second value"),
        ("cut_before_last_value", len(b) - 8, "size_mismatch", "last value missing"),
        ("size_one_byte_short", len(b) - 1, "size_mismatch", "one byte short"),
    ]
    cases = [Case(n + ".rezl", b[:k], r, w) for n, k, r, w in short]
    hist_m5 = bytearray(rezl([(HISTOGRAM, "h", 2, 4)]))
    hist_m5[16 + 2] = 5  # catalog says m=5 (16 buckets), data sized for m=4 (12)
    cases += [
        Case("size_one_byte_long.rezl", b + b"\0", "size_mismatch", "one byte long"),
        Case("size_one_value_long.rezl", b + bytes(8), "size_mismatch", "one extra 8-byte value"),
        Case("no_padding.rezl", rezl(MIXED, pad=False), "size_mismatch",
             "data starts right after the catalog, not rounded up to 8"),
        Case("hist_sized_for_other_config.rezl", bytes(hist_m5), "size_mismatch",
             "histogram m=5 in the catalog, data sized for m=4"),
    ]
    return cases


def cases():
    return valid_cases() + header_cases() + entry_cases() + utf8_cases() + size_cases()


def write(directory, selected):
    for c in selected:
        with open(os.path.join(directory, c.name), "wb") as f:
            f.write(c.data)


def main(argv):
    seeds = argv[:1] == ["--seeds"]
    args = argv[1:] if seeds else argv
    if len(args) != 1:
        sys.exit(__doc__)
    out = args[0]
    all_cases = cases()
    assert len({c.name for c in all_cases}) == len(all_cases), "duplicate file names"
    if seeds:
        os.makedirs(out, exist_ok=True)
        write(out, [c for c in all_cases if len(c.data) <= MAX_SEED_BYTES])
        return
    # Recreated from scratch so the directory holds exactly this corpus.
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    write(out, all_cases)
    with open(os.path.join(out, "MANIFEST.tsv"), "w") as f:
        for c in all_cases:
            f.write("%s\t%s\t%s\n" % (c.name, c.reason, c.what))


if __name__ == "__main__":
    main(sys.argv[1:])
