/* A C program publishing metrics for mmwatch: fixed values, then it waits
 * until its standard input closes (or a signal), and removes its file.
 *   publish_c DIR */
#include <stdio.h>

#include "mmwatch/producer.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: publish_c DIR\n");
        return 1;
    }
    mmw_producer* p;
    mmw_metric reqs, temp, sizes;
    if (mmw_producer_create(argv[1], "c_app", 0, &p) != MMW_OK) return 1;
    mmw_declare_counter(p, "example_requests_total", &reqs);
    mmw_declare_gauge(p, "example_temperature_celsius", &temp);
    mmw_declare_histogram(p, "example_response_size_bytes", 2, 16, &sizes);
    if (mmw_publish(p) != MMW_OK) {
        fprintf(stderr, "publish_c: %s\n", mmw_producer_error(p));
        mmw_producer_destroy(p);
        return 1;
    }
    mmw_counter_add(p, reqs, 18446744073709551615ull);
    mmw_gauge_set(p, temp, -273);
    mmw_histogram_record(p, sizes, 3);
    mmw_histogram_record(p, sizes, 100);
    mmw_histogram_record(p, sizes, 1000000); /* over 2^16 - 1: the last bucket */
    printf("%s\n", mmw_producer_path(p));
    fflush(stdout);
    while (getchar() != EOF) {
    }
    mmw_producer_destroy(p);
    return 0;
}
