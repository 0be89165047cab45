// SIGBUS recovery with sigsetjmp/siglongjmp. mmwatch is single-threaded,
// so one jump buffer and one "active range" suffice; the handler only jumps
// when the faulting address lies inside the range being copied, so a fault
// anywhere else (a real bug) still kills the process as it should.
#include "files/guarded_copy.hpp"

#include <csetjmp>
#include <csignal>
#include <cstring>

// An atomic that takes a lock (libatomic's fallback on CPUs without 64-bit
// atomic instructions, e.g. armel) guards nothing across processes: the
// producer holds a different lock. Refuse to build for such a CPU.
static_assert(__atomic_always_lock_free(sizeof(uint64_t), nullptr), "needs lock-free 64-bit atomic loads");

namespace mmwatch::files {

namespace {

// Touched by the signal handler, hence the only mutable globals here.
sigjmp_buf g_jump;
volatile sig_atomic_t g_active = 0;
const volatile char* volatile g_begin = nullptr;
const volatile char* volatile g_end = nullptr;

void on_fault(int sig, siginfo_t* info, void*) {
    const auto* addr = static_cast<const char*>(info->si_addr);
    if (g_active && addr >= g_begin && addr < g_end) {
        g_active = 0;
        siglongjmp(g_jump, 1);
    }
    // Not ours: restore the default action and let the fault kill us.
    signal(sig, SIG_DFL);
    raise(sig);
}

// The loop lives outside guarded_copy: locals of a function that calls
// sigsetjmp are kept in memory (they must survive the jump), which cost the
// loop four stack loads per word. A fault here jumps straight out.
[[gnu::noinline]] void copy_words(uint64_t* dst, const uint64_t* src, size_t words) noexcept {
    for (size_t i = 0; i < words; ++i) dst[i] = __atomic_load_n(src + i, __ATOMIC_RELAXED);
}

}  // namespace

bool install_fault_handler() noexcept {
    static bool installed = false;
    if (installed) return true;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    // SA_NODEFER: we leave the handler by siglongjmp without restoring the
    // signal mask, so SIGBUS must not stay blocked afterwards.
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, nullptr) != 0) return false;
    installed = true;
    return true;
}

bool guarded_copy(uint64_t* dst, const uint64_t* src, size_t words) noexcept {
    g_begin = reinterpret_cast<const char*>(src);
    g_end = reinterpret_cast<const char*>(src + words);
    if (sigsetjmp(g_jump, 0) != 0) return false;
    g_active = 1;
    copy_words(dst, src, words);
    g_active = 0;
    return true;
}

}  // namespace mmwatch::files
