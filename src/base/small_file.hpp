// Reads a small configuration file (--web-config and the certificate, key
// and CA files it names) without ever blocking the loop or start-up: the
// file is opened O_NONBLOCK (a FIFO or a device then answers at once
// instead of waiting for a writer), must be a regular file (checked with
// fstat on the open file, so a swap between a check and the open cannot
// slip a FIFO in), and its size is capped before anything is read.
#pragma once

#include <cstddef>
#include <string>

namespace mmwatch::base {

// Appends the file's bytes to `out`. On failure returns false with one
// phrase in `error` that says why ("is a FIFO, not a regular file",
// "is 52428800 bytes, over the 65536 allowed", or the system's reason).
[[nodiscard]] bool read_small_file(const std::string& path, size_t max_bytes, std::string& out, std::string& error);

}  // namespace mmwatch::base
