/* Publish metrics into a REZL v1.0 memory-mapped file that mmwatch serves.
 *
 * Plain C (C99 and later, and C++), so any language with an FFI can use it.
 * A producer declares its metrics, publishes the file once, then updates
 * values in place with atomic operations:
 *
 *     mmw_producer* p;
 *     mmw_metric reqs, lat;
 *     if (mmw_producer_create("/run/mmwatch", "myapp", 0, &p) != MMW_OK) ...
 *     mmw_declare_counter(p, "requests_total", &reqs);
 *     mmw_declare_histogram(p, "latency_nanoseconds", 4, 32, &lat);
 *     if (mmw_publish(p) != MMW_OK) fprintf(stderr, "%s\n", mmw_producer_error(p));
 *     mmw_counter_add(p, reqs, 1);
 *     mmw_histogram_record(p, lat, 1234);
 *     mmw_producer_destroy(p);  // unmaps and removes the file
 *
 * Thread safety: the update and read functions may be called from any
 * number of threads at once (lock-free atomics on the mapping). Declaring,
 * publishing, closing and destroying must not race with anything else.
 * See docs/producer.md.
 */
#ifndef MMWATCH_PRODUCER_H
#define MMWATCH_PRODUCER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every way a call can fail. Names (mmw_error_name) are stable and are the
 * ones docs/producer.md lists. */
typedef enum mmw_error {
    MMW_OK = 0,
    MMW_ERR_NULL_ARGUMENT,        /* a required pointer was NULL */
    MMW_ERR_BAD_FILE_NAME,        /* file name empty, contains '/', starts with '.', or too long */
    MMW_ERR_NAME_EMPTY,           /* metric name is empty */
    MMW_ERR_NAME_TOO_LONG,        /* metric name is over 255 bytes */
    MMW_ERR_NAME_NOT_UTF8,        /* metric name is not valid UTF-8 */
    MMW_ERR_DUPLICATE_NAME,       /* a metric with this name is already declared */
    MMW_ERR_TOO_MANY_METRICS,     /* over 1024 metrics in one file */
    MMW_ERR_BAD_HISTOGRAM_CONFIG, /* needs g < m <= 64 and at most 65536 buckets */
    MMW_ERR_ALREADY_PUBLISHED,    /* the metric set is fixed once the file exists */
    MMW_ERR_NOT_PUBLISHED,        /* update before mmw_publish, or after close */
    MMW_ERR_BAD_METRIC,           /* metric id unknown, or of another type */
    MMW_ERR_CREATE_FAILED,        /* the file could not be created (directory missing or unwritable) */
    MMW_ERR_NO_SPACE,             /* disk full, or the file is over the size limit */
    MMW_ERR_ALLOCATE_FAILED,      /* posix_fallocate failed for another reason */
    MMW_ERR_MAP_FAILED,           /* mmap refused */
    MMW_ERR_RENAME_FAILED,        /* the finished dot-file could not be renamed into place */
    MMW_ERR_OUT_OF_MEMORY
} mmw_error;

/* Flags for mmw_producer_create. */
enum {
    /* Leave the file in place on close (default: remove it). */
    MMW_KEEP_FILE = 1u << 0,
    /* Create the file under its final name with ready = 0 instead of
     * building it as a dot-file and renaming it into place. */
    MMW_CREATE_IN_PLACE = 1u << 1
};

/* The file name is `name` + this extension; mmwatch labels the source with
 * the name without its last extension. */
#define MMW_FILE_EXTENSION ".rezl"

typedef struct mmw_producer mmw_producer;
/* Index of a declared metric in its producer, in declaration order. */
typedef uint32_t mmw_metric;

const char* mmw_error_name(mmw_error e);    /* "no_space" */
const char* mmw_error_message(mmw_error e); /* one sentence */

/* Creates a producer for <dir>/<name>.rezl. Nothing touches the disk until
 * mmw_publish. */
mmw_error mmw_producer_create(const char* dir, const char* name, unsigned flags, mmw_producer** out);
/* Closes (if still open) and frees. NULL is fine. */
void mmw_producer_destroy(mmw_producer* p);

mmw_error mmw_declare_counter(mmw_producer* p, const char* name, mmw_metric* out);
mmw_error mmw_declare_gauge(mmw_producer* p, const char* name, mmw_metric* out);
/* H2 histogram: grouping power g, max value power m (values up to 2^m - 1;
 * larger values are counted in the last bucket). */
mmw_error mmw_declare_histogram(mmw_producer* p, const char* name, uint8_t g, uint8_t m, mmw_metric* out);

/* Creates the file per the format's lifecycle: allocate all of it, map it,
 * header with ready = 0, catalog, zeroed data, ready = 1 last. No file is
 * left under the final name when this fails. */
mmw_error mmw_publish(mmw_producer* p);
/* Unmaps; removes the file unless MMW_KEEP_FILE. Safe to call twice. */
void mmw_producer_close(mmw_producer* p);

/* The file's final path, and a human-readable description of the last
 * error (code name, message, path and OS error). Valid until the next call
 * on p. */
const char* mmw_producer_path(const mmw_producer* p);
const char* mmw_producer_error(const mmw_producer* p);

/* Updates: atomic, lock-free, callable from many threads. */
mmw_error mmw_counter_add(mmw_producer* p, mmw_metric m, uint64_t n);
mmw_error mmw_gauge_set(mmw_producer* p, mmw_metric m, int64_t v);
mmw_error mmw_gauge_add(mmw_producer* p, mmw_metric m, int64_t delta);
mmw_error mmw_histogram_record(mmw_producer* p, mmw_metric m, uint64_t value);
mmw_error mmw_histogram_record_n(mmw_producer* p, mmw_metric m, uint64_t value, uint64_t count);

/* Reads back from the mapping (0 when unpublished or invalid). */
uint64_t mmw_counter_value(const mmw_producer* p, mmw_metric m);
int64_t mmw_gauge_value(const mmw_producer* p, mmw_metric m);
uint64_t mmw_histogram_bucket(const mmw_producer* p, mmw_metric m, uint64_t index);

/* The metric's first data word in the mapping, or NULL before publish or
 * for an invalid id. For wrappers that cache the address. */
uint64_t* mmw_metric_data(mmw_producer* p, mmw_metric m);

#ifdef __cplusplus
}
#endif

#endif /* MMWATCH_PRODUCER_H */
