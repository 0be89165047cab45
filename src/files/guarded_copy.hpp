// The only code that touches mapped data pages. A producer may truncate its
// file while we have it mapped; reading the lost pages raises SIGBUS, which
// this turns into an error return instead of a crash.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mmwatch::files {

// Installs the SIGBUS handler (once; later calls do nothing). Faults outside
// a guarded_copy keep their default, fatal action.
[[nodiscard]] bool install_fault_handler() noexcept;

// Copies `words` 8-byte values from the mapping at `src` into `dst`, each
// with one relaxed 64-bit atomic load (the producer stores them atomically;
// the format orders no value after another). On 32-bit ARM that is LDREXD,
// not two 32-bit loads, so no value is read half old, half new
// (docs/format.md, "32-bit ARM"). Returns false if the mapping faulted;
// `dst` then holds a partial copy to be discarded.
[[nodiscard]] bool guarded_copy(uint64_t* dst, const uint64_t* src, size_t words) noexcept;

}  // namespace mmwatch::files
