// Prometheus's own PromQL test files run against mmwatch's engine.
//
// The files are data we may not commit: they are read from the directory
// in MMWATCH_PROMQLTEST_DIR, or else from a Prometheus git mirror
// (MMWATCH_PROMETHEUS_MIRROR, default /work/.mirror/prometheus+prometheus/repo)
// at the pinned release tag. Without either the program says so and exits
// 77, which meson counts as a skip: never a silent pass.
//
//     promql_conformance [-v] [--eager-name-removal] [file.test ...]
//
// Prints per-file pass/fail/skip counts, every skipped case with its
// reason and every failure with its reason; exits 1 on any failure.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "promqltest.hpp"

using namespace mmwatch::promql::test;

namespace {

constexpr const char* kPinnedTag = "v3.14.0";
constexpr const char* kTestdataPath = "promql/promqltest/testdata/";
constexpr const char* kDefaultMirror = "/work/.mirror/prometheus+prometheus/repo";
constexpr int kExitSkip = 77;

bool run_command(const std::string& cmd, std::string& out) {
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return false;
    char buf[65536];
    size_t n;
    out.clear();
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    return pclose(p) == 0;
}

std::map<std::string, std::string> from_directory(const std::string& dir) {
    std::map<std::string, std::string> files;
    DIR* d = opendir(dir.c_str());
    if (!d) return files;
    while (dirent* e = readdir(d)) {
        const std::string name = e->d_name;
        if (name.size() < 5 || name.substr(name.size() - 5) != ".test") continue;
        std::ifstream in(dir + "/" + name);
        std::stringstream ss;
        ss << in.rdbuf();
        files[name] = ss.str();
    }
    closedir(d);
    return files;
}

std::map<std::string, std::string> from_mirror(const std::string& mirror, std::string& source) {
    std::map<std::string, std::string> files;
    const std::string git = "git --git-dir='" + mirror + "' ";
    std::string listing;
    if (!run_command(git + "ls-tree --name-only " + kPinnedTag + " " + kTestdataPath + " 2>/dev/null", listing)) return files;
    std::stringstream in(listing);
    std::string path;
    while (std::getline(in, path)) {
        if (path.size() < 5 || path.substr(path.size() - 5) != ".test") continue;
        std::string content;
        if (run_command(git + "show " + kPinnedTag + ":" + path, content)) files[path.substr(path.rfind('/') + 1)] = content;
    }
    source = mirror + " at " + kPinnedTag;
    return files;
}

}  // namespace

int main(int argc, char** argv) {
    bool verbose = false, delayed = true;
    std::vector<std::string> only;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-v") verbose = true;
        else if (a == "--eager-name-removal") delayed = false;
        else only.push_back(a);
    }
    std::map<std::string, std::string> files;
    std::string source;
    if (const char* dir = std::getenv("MMWATCH_PROMQLTEST_DIR")) {
        files = from_directory(dir);
        source = dir;
    } else {
        const char* m = std::getenv("MMWATCH_PROMETHEUS_MIRROR");
        files = from_mirror(m ? m : kDefaultMirror, source);
    }
    if (files.empty()) {
        std::printf("SKIPPED: PROMQL CONFORMANCE NOT RUN. No Prometheus test files found: set "
                    "MMWATCH_PROMQLTEST_DIR to a directory of promqltest *.test files, or MMWATCH_PROMETHEUS_MIRROR "
                    "to a Prometheus git mirror holding tag %s (default %s).\n",
                    kPinnedTag, kDefaultMirror);
        return kExitSkip;
    }
    std::printf("PromQL conformance: Prometheus's promqltest files from %s\n\n", source.c_str());
    std::printf("%-28s %6s %6s %6s\n", "file", "pass", "fail", "skip");
    int total[3] = {0, 0, 0};
    std::vector<std::string> skipped, failed;
    for (const auto& [name, text] : files) {
        if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) continue;
        std::vector<Command> commands;
        std::string error;
        int count[3] = {0, 0, 0};
        if (!parse_script(text, commands, error)) {
            failed.push_back(name + ": the script does not parse: " + error);
            ++count[1];
        } else {
            for (const CaseResult& r : run_script(commands, delayed)) {
                ++count[static_cast<int>(r.outcome)];
                const std::string where = name + ":" + std::to_string(r.line) + " " + r.expr + "\n      " + r.reason;
                if (r.outcome == Outcome::skip) skipped.push_back(where);
                if (r.outcome == Outcome::fail) failed.push_back(where);
            }
        }
        std::printf("%-28s %6d %6d %6d\n", name.c_str(), count[0], count[1], count[2]);
        for (int k = 0; k < 3; ++k) total[k] += count[k];
    }
    std::printf("%-28s %6d %6d %6d\n", "total", total[0], total[1], total[2]);
    std::printf("\nSkipped cases (%zu):\n", skipped.size());
    for (const auto& s : skipped) std::printf("  %s\n", s.c_str());
    std::printf("\nFailed cases (%zu):\n", failed.size());
    for (size_t i = 0; i < failed.size(); ++i)
        if (verbose || i < 400) std::printf("  %s\n", failed[i].c_str());
    return failed.empty() ? 0 : 1;
}
