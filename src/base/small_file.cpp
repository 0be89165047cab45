#include "base/small_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mmwatch::base {

namespace {

const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

}  // namespace

bool read_small_file(const std::string& path, size_t max_bytes, std::string& out, std::string& error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        error = std::strerror(errno);
        return false;
    }
    struct stat st {};
    bool ok = false;
    if (fstat(fd, &st) != 0) {
        error = std::strerror(errno);
    } else if (!S_ISREG(st.st_mode)) {
        error = std::string("is ") + kind_of(st.st_mode) + ", not a regular file";
    } else if (uint64_t(st.st_size) > max_bytes) {
        error = "is " + std::to_string(st.st_size) + " bytes, over the " + std::to_string(max_bytes) + " allowed";
    } else {
        // The size may change while we read: never more than the cap.
        const size_t start = out.size();
        size_t room = size_t(st.st_size) + 1;  // one more, to see the end
        size_t got = 0;
        ok = true;
        while (ok) {
            out.resize(start + room);
            const ssize_t n = ::read(fd, out.data() + start + got, room - got);
            if (n == 0) break;
            if (n < 0) {
                if (errno == EINTR) continue;
                error = std::strerror(errno);
                ok = false;
            } else if ((got += size_t(n)) > max_bytes) {
                error = "grew past the " + std::to_string(max_bytes) + " bytes allowed while being read";
                ok = false;
            } else if (got == room) {
                room = std::min(room * 2, max_bytes + 1);
            }
        }
        out.resize(ok ? start + got : start);
    }
    ::close(fd);
    return ok;
}

}  // namespace mmwatch::base
