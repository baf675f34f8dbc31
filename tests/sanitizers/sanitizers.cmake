# Runtime options for the sanitizer builds (VITALS_SANITIZE, see the top-level
# CMakeLists.txt). Every test gets them from CTest, and so does every vitalsd or
# isolation worker a test starts, since children inherit the environment.
set(_supp "${CMAKE_CURRENT_LIST_DIR}")
set(vitals_sanitizer_environment "")
if(VITALS_SANITIZE MATCHES "address")
  list(APPEND vitals_sanitizer_environment
    # Leak checking stays on: the agent runs for months, a leak per check run matters.
    # abort_on_error=0 exits with status 1 instead of a SIGABRT core dump per finding.
    # intercept_tls_get_addr=0: GCC 12's runtime takes some dynamic TLS blocks for a
    # pre-2.25 glibc layout and its leak checker then dies scanning a bogus range
    # ("Tracer caught signal 11", google/sanitizers#1322, fixed in GCC 14/LLVM 17).
    "ASAN_OPTIONS=set:halt_on_error=1:abort_on_error=0:detect_leaks=1:intercept_tls_get_addr=0:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
    "LSAN_OPTIONS=set:suppressions=${_supp}/lsan.supp:print_suppressions=0")
endif()
if(VITALS_SANITIZE MATCHES "undefined")
  list(APPEND vitals_sanitizer_environment
    "UBSAN_OPTIONS=set:halt_on_error=1:print_stacktrace=1")
endif()
if(VITALS_SANITIZE MATCHES "thread")
  list(APPEND vitals_sanitizer_environment
    # atexit_sleep_ms=0: TSan sleeps 1 s in every exit() by default, which made a worker
    # that calls exit() overrun its 200 ms timeout and added a second to each process.
    "TSAN_OPTIONS=set:halt_on_error=1:second_deadlock_stack=1:atexit_sleep_ms=0:suppressions=${_supp}/tsan.supp:print_suppressions=0")
endif()

# Tests that cannot work under one sanitizer, as regular expressions on the CTest
# name, each with its reason. They are disabled in that build only, so CTest lists
# them as "Not Run (Disabled)" rather than leaving them out silently.
set(vitals_sanitizer_exclusions "")
if(VITALS_SANITIZE)
  list(APPEND vitals_sanitizer_exclusions
    # memory_limit is RLIMIT_AS on the worker. ASan and TSan reserve terabytes of
    # shadow address space at startup, so under the limit the runtime's own mmap()
    # fails and it dies with its own out-of-memory report instead of the plugin's
    # malloc() returning NULL. The plain build runs it.
    "^an unbounded allocation dies quickly at memory_limit")
endif()
if(VITALS_SANITIZE MATCHES "undefined")
  list(APPEND vitals_sanitizer_exclusions
    # The test takes vitalsd to its file descriptor limit. UBSan's vptr check, for a
    # member call on an exception it has not seen before, tests that the memory is
    # readable through a pipe it then cannot open, and reports a valid object as one
    # with an "invalid vptr". The plain and TSan builds run it.
    "^security: out of file descriptors")
endif()
if(VITALS_SANITIZE STREQUAL "thread")
  list(APPEND vitals_sanitizer_exclusions
    # The dns plugin resolves with getaddrinfo_a(), whose resolver thread glibc starts
    # with its internal pthread_create, unseen by TSan: the thread's first malloc()
    # crashes TSan's allocator (SEGV, no report). TSan cannot run that glibc call at
    # all; ASan does run these tests. "dns: parameters are validated" resolves nothing.
    "^dns: (localhost resolves|match chooses|a name under \\.invalid|a lookup slower)"
    # The grpc plugin's calls run on the threads of Debian's gRPC and abseil, which are
    # uninstrumented and hand work between threads through their own atomics, futexes and
    # absl::Mutex: TSan sees only the calls they make into intercepted functions (absl's
    # GraphCycles' memmove, gRPC's epoll_wait, absl::StrCat's memcpy of a string the check
    # passed in) and reports each as a race, from vitalsd and the test's gRPC server alike.
    # Suppressing them takes a called_from_lib line per abseil library (each must name
    # exactly one) and hides whatever else those libraries do. The plain and ASan builds
    # run these tests; "grpc: parameters are validated" starts no gRPC thread and runs here.
    "^grpc: (SERVING|UNKNOWN|a server that never|TLS is verified|reloads|its metrics)")
endif()

# Not here but in tests/packaging/: the .deb tests are disabled in both builds, since
# they build their own plain package and would only repeat the plain run.

# vitals_sanitizer_environment(<suite>): sets the options above on every test
# doctest discovered in <suite>. doctest_discover_tests() cannot carry them
# itself: its PROPERTIES are re-split on ';', so ENVIRONMENT could hold only
# one variable. This file is read by CTest after the suite's discovered tests.
function(vitals_sanitizer_environment suite)
  if(NOT vitals_sanitizer_environment)
    return()
  endif()
  set(file "${CMAKE_CURRENT_BINARY_DIR}/${suite}_sanitizer_environment.cmake")
  file(WRITE "${file}"
    "if(${suite}_TESTS)\n"
    "  set_tests_properties(\${${suite}_TESTS} PROPERTIES\n"
    "    ENVIRONMENT_MODIFICATION [==[${vitals_sanitizer_environment}]==])\n"
    "endif()\n"
    "set(exclusions [==[${vitals_sanitizer_exclusions}]==])\n"
    "foreach(test IN LISTS ${suite}_TESTS)\n"
    "  foreach(excluded IN LISTS exclusions)\n"
    "    if(test MATCHES \"\${excluded}\")\n"
    "      set_tests_properties(\"\${test}\" PROPERTIES DISABLED TRUE)\n"
    "    endif()\n"
    "  endforeach()\n"
    "endforeach()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${file}")
endfunction()
