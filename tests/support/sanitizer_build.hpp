// What a test needs to know about the sanitizer this build has (VITALS_SANITIZE), if any.
// SPDX-License-Identifier: MIT
#pragma once

namespace vitals::test {

/// Whether this build's sanitizer reserves terabytes of shadow address space, which makes
/// memory_limit (RLIMIT_AS) unusable.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool shadow_memory_sanitizer = true;
#else
inline constexpr bool shadow_memory_sanitizer = false;
#endif

/// Threads the sanitizer's runtime adds to every process (ThreadSanitizer's background
/// thread), for tests that count a process's threads.
#if defined(__SANITIZE_THREAD__)
inline constexpr unsigned sanitizer_threads = 1;
#else
inline constexpr unsigned sanitizer_threads = 0;
#endif

/// How many times the few latency and deadline bounds that tests assert are stretched in
/// this build. Those bounds are the agent's promises (the 100 ms for /health/live)
/// and hold as written in the plain build, which `packaging/dev.sh test` runs. Instrumented
/// code runs several times slower (ThreadSanitizer's documentation says 5 to 15 times,
/// AddressSanitizer's about 2), every worker process starts its own runtime, and the
/// sanitizer runs exist to find memory and thread errors, not to time the agent.
#if defined(__SANITIZE_THREAD__)
inline constexpr int sanitizer_slowdown = 3;
#elif defined(__SANITIZE_ADDRESS__)
inline constexpr int sanitizer_slowdown = 2;
#else
inline constexpr int sanitizer_slowdown = 1;
#endif

} // namespace vitals::test
