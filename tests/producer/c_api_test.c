/* The producer's C API compiled by a C compiler: declare, publish, update,
 * then check the file's bytes by hand (header, ready flag, values at the
 * offsets the format defines) and that close removes it. Exit 0 on success. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmwatch/producer.h"

static int failures = 0;

#define EXPECT(cond)                                                  \
    do {                                                              \
        if (!(cond)) {                                                \
            fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                               \
        }                                                             \
    } while (0)

static uint64_t le64(const unsigned char* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
    return v;
}

static uint32_t le32(const unsigned char* p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static long read_file(const char* path, unsigned char* buf, size_t cap) {
    FILE* f = fopen(path, "rb");
    if (f == NULL) return -1;
    const size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return (long)n;
}

int main(void) {
    char dir[] = "/tmp/mmwatch-c-api-XXXXXX";
    if (mkdtemp(dir) == NULL) return 2;

    mmw_producer* p = NULL;
    mmw_metric reqs = 0, temp = 0, lat = 0, unused = 0;
    EXPECT(mmw_producer_create(dir, "capp", 0, &p) == MMW_OK);
    EXPECT(mmw_declare_counter(p, "requests_total", &reqs) == MMW_OK);
    EXPECT(mmw_declare_gauge(p, "temperature", &temp) == MMW_OK);
    EXPECT(mmw_declare_histogram(p, "latency", 2, 4, &lat) == MMW_OK);
    EXPECT(mmw_declare_gauge(p, "", &unused) == MMW_ERR_NAME_EMPTY);
    EXPECT(strcmp(mmw_error_name(MMW_ERR_NAME_EMPTY), "name_empty") == 0);
    EXPECT(mmw_publish(p) == MMW_OK);

    EXPECT(mmw_counter_add(p, reqs, UINT64_MAX - 1) == MMW_OK);
    EXPECT(mmw_counter_add(p, reqs, 1) == MMW_OK);
    EXPECT(mmw_gauge_set(p, temp, -40) == MMW_OK);
    EXPECT(mmw_histogram_record(p, lat, 10) == MMW_OK);    /* bucket [10, 11]: index 9 */
    EXPECT(mmw_histogram_record(p, lat, 1000) == MMW_OK);  /* above 15: last bucket, 11 */
    EXPECT(mmw_counter_value(p, reqs) == UINT64_MAX);
    EXPECT(mmw_gauge_value(p, temp) == -40);
    EXPECT(mmw_histogram_bucket(p, lat, 9) == 1);

    char path[512];
    snprintf(path, sizeof path, "%s/capp" MMW_FILE_EXTENSION, dir);
    EXPECT(strcmp(mmw_producer_path(p), path) == 0);
    unsigned char buf[4096];
    const long n = read_file(path, buf, sizeof buf);
    EXPECT(n > 16);
    if (n > 16) {
        EXPECT(memcmp(buf, "REZL", 4) == 0);
        EXPECT(buf[4] == 1 && buf[6] == 1);
        EXPECT(le32(buf + 8) == 3);
        const uint32_t catalog = le32(buf + 12);
        const size_t data = (16 + catalog + 7) & ~(size_t)7;
        EXPECT((long)(data + 8 * (1 + 1 + 12)) == n);
        EXPECT(le64(buf + data) == UINT64_MAX);
        EXPECT((int64_t)le64(buf + data + 8) == -40);
        EXPECT(le64(buf + data + 16 + 8 * 9) == 1);
        EXPECT(le64(buf + data + 16 + 8 * 11) == 1);
    }

    mmw_producer_destroy(p);
    EXPECT(access(path, F_OK) != 0);
    rmdir(dir);
    if (failures == 0) printf("c api: all checks passed\n");
    return failures == 0 ? 0 : 1;
}
