/* A process that uses what the test tells it to, for the process plugin's limits: one command
 * a line on stdin, "ok" on stdout once done. SPDX-License-Identifier: MIT
 *   memory MIB   allocate and touch MIB mebibytes
 *   spin         a thread that keeps one CPU busy
 *   files N      open /dev/null N times
 *   threads N    N threads that only wait
 * It ends when stdin closes or by the test's SIGKILL. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Held here, so that leak checkers see the memory reachable. */
static char *allocations[64];
static int allocation_count;

static void *spin(void *unused) {
    volatile unsigned long counter = 0;
    (void)unused;
    for (;;)
        counter = counter + 1;
    return NULL;
}

static void *wait_forever(void *unused) {
    (void)unused;
    for (;;)
        pause();
    return NULL;
}

static int start_thread(void *(*body)(void *)) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, body, NULL) != 0) return -1;
    return pthread_detach(thread);
}

int main(void) {
    char line[64];
    int n = 0;
    setvbuf(stdout, NULL, _IONBF, 0);
    while (fgets(line, sizeof line, stdin)) {
        int failed = 0;
        if (sscanf(line, "memory %d", &n) == 1 && allocation_count < 64) {
            const size_t bytes = (size_t)n << 20;
            char *block = malloc(bytes);
            if (block) memset(block, 1, bytes);
            allocations[allocation_count++] = block;
            failed = block == NULL;
        } else if (strncmp(line, "spin", 4) == 0) {
            failed = start_thread(spin) != 0;
        } else if (sscanf(line, "files %d", &n) == 1) {
            for (int i = 0; i < n && !failed; ++i)
                failed = open("/dev/null", O_RDONLY) < 0;
        } else if (sscanf(line, "threads %d", &n) == 1) {
            for (int i = 0; i < n && !failed; ++i)
                failed = start_thread(wait_forever) != 0;
        } else {
            failed = 1;
        }
        puts(failed ? "failed" : "ok");
    }
    return 0;
}
