/* floor: the least a container runtime's `run` of BUNDLE/rootfs/bin/true can
 * cost, as a yardstick for bench/compare.sh. It does only what the kernel must
 * for the same container as runc's default spec describes:
 *
 *   - a cgroup with pids and memory limits (cgroup v1 pids + memory
 *     hierarchies, joined by the child itself, or one cgroup v2 directory on
 *     a pure v2 host, joined by the parent), before the child runs anything;
 *   - clone() into new mount, uts, ipc, pid and network namespaces (runc's
 *     default spec has no cgroup namespace);
 *   - the spec's default mounts: proc, /dev tmpfs, devpts, /dev/shm,
 *     /dev/mqueue, sysfs (read-only);
 *   - pivot_root into the rootfs, detach the old root;
 *   - exec /bin/true, wait for it, remove the cgroup.
 *
 * It skips what a runtime does beyond that (device nodes, masked and
 * read-only paths, capabilities, seccomp, rlimits, the /sys/fs/cgroup mount,
 * state files, hooks, the create/start split), so it is a lower bound, not a
 * runtime. Built by meson, never installed.
 *
 * usage: floor [--memory BYTES] [--pids N] BUNDLE ID
 * Exits with the container's exit status (128+signal if killed), 125 on a
 * setup error (printed to stderr), after removing the cgroup in every case.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CGROOT "/sys/fs/cgroup"

static char cg_dirs[2][PATH_MAX];
static int n_cg_dirs;
static int cg_v1; /* the two directories are v1 hierarchies */

static void die(const char* what) {
    fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
    exit(125);
}

static int write_file(const char* dir, const char* file, const char* value) {
    char path[PATH_MAX];
    // A cgroup path that does not fit is an error, not a truncated name (and
    // GCC 12 at -O3 warns on an unchecked snprintf; CI builds with -Werror).
    int len = snprintf(path, sizeof path, "%s/%s", dir, file);
    if (len < 0 || (size_t)len >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, value, strlen(value));
    int saved = errno;
    close(fd);
    errno = saved;
    return n < 0 ? -1 : 0;
}

static void remove_cgroups(void) {
    for (int i = 0; i < n_cg_dirs; i++) {
        /* The exited child may still be counted for a moment: retry briefly. */
        for (int tries = 0; tries < 200 && rmdir(cg_dirs[i]) < 0 && errno == EBUSY; tries++) usleep(1000);
    }
    n_cg_dirs = 0;
}

static void fail(const char* what) {
    int saved = errno;
    remove_cgroups();
    errno = saved;
    die(what);
}

/* Makes the container's cgroup(s) and sets the limits; returns nothing, the
 * directories are in cg_dirs for join and removal. */
static void make_cgroups(const char* id, const char* memory, const char* pids) {
    struct stat st;
    if (stat(CGROOT "/cgroup.controllers", &st) == 0) {
        /* Pure cgroup v2: one directory. */
        snprintf(cg_dirs[0], PATH_MAX, CGROOT "/%s", id);
        if (mkdir(cg_dirs[0], 0755) < 0) die("mkdir cgroup v2 directory");
        n_cg_dirs = 1;
        if (pids && write_file(cg_dirs[0], "pids.max", pids) < 0) fail("write pids.max");
        if (memory && write_file(cg_dirs[0], "memory.max", memory) < 0) fail("write memory.max");
        return;
    }
    const char* ctl[2] = {"pids", "memory"};
    cg_v1 = 1;
    for (int i = 0; i < 2; i++) {
        snprintf(cg_dirs[i], PATH_MAX, CGROOT "/%s/%s", ctl[i], id);
        if (mkdir(cg_dirs[i], 0755) < 0) fail("mkdir cgroup v1 directory");
        n_cg_dirs = i + 1;
    }
    if (pids && write_file(cg_dirs[0], "pids.max", pids) < 0) fail("write pids.max");
    if (memory && write_file(cg_dirs[1], "memory.limit_in_bytes", memory) < 0) fail("write memory.limit_in_bytes");
}

static void join_cgroups(pid_t pid) {
    char buf[32];
    snprintf(buf, sizeof buf, "%d", (int)pid);
    for (int i = 0; i < n_cg_dirs; i++)
        if (write_file(cg_dirs[i], "cgroup.procs", buf) < 0) fail("write cgroup.procs");
}

struct child_args {
    const char* rootfs;
    int sync_fd; /* read end: one byte once the cgroups are joined */
};

static void child_die(const char* what) {
    fprintf(stderr, "floor: container: %s: %s\n", what, strerror(errno));
    _exit(125);
}

static void mnt(const char* src, const char* dst, const char* type, unsigned long flags, const char* data) {
    if (mount(src, dst, type, flags, data) < 0) child_die(dst);
}

static int child_main(void* arg) {
    const struct child_args* a = arg;
    char byte;
    if (read(a->sync_fd, &byte, 1) != 1) child_die("wait for the cgroup join");
    close(a->sync_fd);
    /* v1: the child joins itself. A thread moving itself (tasks <- 0) skips
     * the kernel's cgroup_threadgroup_rwsem, whose write side (a pid written
     * to cgroup.procs) waits for an RCU grace period: several ms. berth's
     * init does the same. */
    for (int i = 0; cg_v1 && i < n_cg_dirs; i++)
        if (write_file(cg_dirs[i], "tasks", "0") < 0) child_die("join the cgroup (tasks)");

    /* No mount event may leak back to the host. */
    mnt(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    /* pivot_root wants the new root to be a mount point. */
    mnt(a->rootfs, a->rootfs, NULL, MS_BIND | MS_REC, NULL);
    if (chdir(a->rootfs) < 0) child_die("chdir rootfs");

    const unsigned long nse = MS_NOSUID | MS_NOEXEC | MS_NODEV;
    mkdir("proc", 0555);
    mnt("proc", "proc", "proc", nse, NULL);
    mkdir("dev", 0755);
    mnt("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
    mkdir("dev/pts", 0755);
    mnt("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
    mkdir("dev/shm", 01777);
    mnt("shm", "dev/shm", "tmpfs", nse, "mode=1777,size=65536k");
    mkdir("dev/mqueue", 0755);
    mnt("mqueue", "dev/mqueue", "mqueue", nse, NULL);
    mkdir("sys", 0555);
    mnt("sysfs", "sys", "sysfs", nse | MS_RDONLY, NULL);

    if (syscall(SYS_pivot_root, ".", ".") < 0) child_die("pivot_root");
    if (umount2(".", MNT_DETACH) < 0) child_die("detach the old root");
    if (chdir("/") < 0) child_die("chdir /");

    char* const argv[] = {"/bin/true", NULL};
    char* const envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL};
    execve(argv[0], argv, envp);
    child_die("exec /bin/true");
    return 125;
}

static void usage(void) {
    fprintf(stderr, "usage: floor [--memory BYTES] [--pids N] BUNDLE ID\n");
    exit(125);
}

int main(int argc, char** argv) {
    const char *memory = NULL, *pids = NULL;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc) usage();
        if (strcmp(argv[i], "--memory") == 0) memory = argv[i + 1];
        else if (strcmp(argv[i], "--pids") == 0) pids = argv[i + 1];
        else usage();
    }
    if (argc - i != 2) usage();
    const char *bundle = argv[i], *id = argv[i + 1];
    if (strchr(id, '/') || id[0] == '\0' || id[0] == '.') {
        fprintf(stderr, "floor: bad ID '%s'\n", id);
        return 125;
    }

    char rootfs[PATH_MAX], path[PATH_MAX];
    snprintf(path, sizeof path, "%s/rootfs", bundle);
    if (!realpath(path, rootfs)) die(path);

    int sync[2];
    if (pipe2(sync, O_CLOEXEC) < 0) die("pipe");
    make_cgroups(id, memory, pids);

    static char stack[256 * 1024] __attribute__((aligned(16)));
    struct child_args a = {rootfs, sync[0]};
    pid_t pid = clone(child_main, stack + sizeof stack,
                      CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET | SIGCHLD, &a);
    if (pid < 0) fail("clone");
    close(sync[0]);
    if (!cg_v1) join_cgroups(pid); /* on failure the child sees EOF and exits */
    if (write(sync[1], "x", 1) != 1) fail("release the container");
    close(sync[1]);

    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) fail("waitpid");
    remove_cgroups();
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
