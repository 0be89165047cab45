// A temporary directory for tests that need real files; removed afterwards.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace mmwatch::test {

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/mmwatch-unit-XXXXXX";
        path_ = mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

    // Writes `bytes` under a dot-name and renames it into place.
    void write(const std::string& name, const std::vector<std::byte>& bytes) const {
        const std::string tmp = file("." + name + ".tmp");
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) return;
        (void)!::write(fd, bytes.data(), bytes.size());
        ::close(fd);
        ::rename(tmp.c_str(), file(name).c_str());
    }

private:
    std::string path_;
};

}  // namespace mmwatch::test
