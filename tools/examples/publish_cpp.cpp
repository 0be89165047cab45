// A C++ program publishing metrics for mmwatch two ways: the RAII producer,
// and in-process metrics (metrics.hpp) backed by a mapped file. Fixed
// values, then it waits until its standard input closes.
//   publish_cpp DIR
#include <iostream>
#include <string>

#include "mmwatch/metrics.hpp"
#include "mmwatch/producer.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: publish_cpp DIR\n";
        return 1;
    }
    mmwatch::Producer p(argv[1], "cpp_app");
    auto jobs = p.counter("example_jobs_total");
    auto depth = p.gauge("example_queue_depth");
    auto lat = p.histogram("example_wait_microseconds", 3, 20);
    if (auto st = p.publish(); !st.ok()) {
        std::cerr << "publish_cpp: " << st.message() << '\n';
        return 1;
    }
    jobs.add(41);
    jobs.add();
    depth.set(-9223372036854775807 - 1);
    lat.record(0);
    lat.record(1000);

    using namespace mmwatch::inproc;
    Config config;
    config.kind = ProviderKind::mapped;
    config.mapped.dir = argv[1];
    config.mapped.file_name = "cpp_inprocess";
    auto metrics = make_provider(config);
    auto served = metrics->counter("example_served_total", "Requests served");
    auto up = metrics->gauge("example_workers", "Workers running");
    if (auto st = metrics->publish(); !st.ok()) {
        std::cerr << "publish_cpp: " << st.message() << '\n';
        return 1;
    }
    served->inc_by(7);
    up->set(3);
    std::cout << "published" << std::endl;
    for (std::string line; std::getline(std::cin, line);) {
    }
    return 0;
}
