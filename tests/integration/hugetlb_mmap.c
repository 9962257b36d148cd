/* In-container helper for cgroup_controllers_test: maps BYTES of 2 MiB huge
 * pages and touches them. Prints "mmap-ok" or "mmap-failed: <error>" (the
 * hugetlb reservation limit refuses the mmap); a limit the kernel only checks
 * at fault time (no .rsvd. files) kills it with SIGBUS instead. Static, so it
 * runs in the busybox rootfs. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: hugetlb_mmap BYTES\n");
        return 2;
    }
    size_t n = strtoull(argv[1], NULL, 10);
    void* p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    if (p == MAP_FAILED) {
        printf("mmap-failed: %s\n", strerror(errno));
        return 1;
    }
    memset(p, 1, n);
    printf("mmap-ok\n");
    return 0;
}
