// berth-probe: a static program run as a container's process that prints, as
// one JSON object on stdout, what the runtime set up for it: ids, groups,
// capabilities, no_new_privs, seccomp, rlimits, mounts, cgroup, env, cwd,
// hostname, umask, terminals, oom_score_adj, namespaces, and the scheduling,
// I/O priority, personality, memory policy and CPU affinity it runs with. Tests compare it
// with the config (tests/probe/probe_check.hpp); it needs nothing from the
// rootfs. Each argument is a path to look at ("paths" in the output): whether
// it exists, is writable, and how much it holds (bytes of a file's first
// read, entries of a directory), which tells masked and read-only paths.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char** environ;

static void put_str(const char* s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static void key(const char* k) {
    put_str(k);
    putchar(':');
}

// The value of "Name:\t..." in /proc/self/status, without the newline.
static void status_field(const char* name, char* out, size_t n) {
    out[0] = '\0';
    FILE* f = fopen("/proc/self/status", "r");
    if (!f) return;
    char line[512];
    size_t len = strlen(name);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, name, len) != 0 || line[len] != ':') continue;
        char* v = line + len + 1;
        while (*v == ' ' || *v == '\t') v++;
        v[strcspn(v, "\n")] = '\0';
        snprintf(out, n, "%s", v);
        break;
    }
    fclose(f);
}

static void put_status_str(const char* name) {
    char v[512];
    status_field(name, v, sizeof v);
    key(name);
    put_str(v);
}

static void put_status_int(const char* name) {
    char v[512];
    status_field(name, v, sizeof v);
    key(name);
    printf("%ld", v[0] ? strtol(v, NULL, 10) : -1L);
}

// Each line of a file as a JSON array of strings.
static void put_lines(const char* path) {
    putchar('[');
    FILE* f = fopen(path, "r");
    char line[4096];
    int first = 1;
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!first) putchar(',');
        first = 0;
        put_str(line);
    }
    if (f) fclose(f);
    putchar(']');
}

static const struct {
    const char* name;
    int resource;
} kRlimits[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},           {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},         {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},   {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},     {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

static void put_rlimits(void) {
    putchar('{');
    for (size_t i = 0; i < sizeof kRlimits / sizeof kRlimits[0]; i++) {
        struct rlimit r;
        if (getrlimit(kRlimits[i].resource, &r) != 0) continue;
        if (i) putchar(',');
        key(kRlimits[i].name);
        // RLIM_INFINITY prints as 18446744073709551615, as the OCI config writes it.
        printf("{\"soft\":%llu,\"hard\":%llu}", (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
    }
    putchar('}');
}

// /proc/self/mountinfo: "id parent maj:min root mountpoint options [optional...] - fstype source superoptions".
static void put_mounts(void) {
    putchar('[');
    FILE* f = fopen("/proc/self/mountinfo", "r");
    char line[4096];
    int first = 1;
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char* field[6] = {0};
        char* save = NULL;
        char* tok = strtok_r(line, " ", &save);
        for (int i = 0; tok && i < 6; i++, tok = i < 6 ? strtok_r(NULL, " ", &save) : tok) field[i] = tok;
        if (!field[5]) continue;
        while (tok && strcmp(tok, "-") != 0) tok = strtok_r(NULL, " ", &save);
        char* fstype = tok ? strtok_r(NULL, " ", &save) : NULL;
        char* source = fstype ? strtok_r(NULL, " ", &save) : NULL;
        if (!first) putchar(',');
        first = 0;
        putchar('{');
        key("path"), put_str(field[4]), putchar(',');
        key("root"), put_str(field[3]), putchar(',');
        key("type"), put_str(fstype ? fstype : ""), putchar(',');
        key("source"), put_str(source ? source : ""), putchar(',');
        key("options"), put_str(field[5]);
        putchar('}');
    }
    if (f) fclose(f);
    putchar(']');
}

static void put_namespaces(void) {
    static const char* kinds[] = {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children",
                                  "user",   "uts"};
    putchar('{');
    int first = 1;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char path[64], target[128];
        snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[i]);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0) continue;
        target[n] = '\0';
        if (!first) putchar(',');
        first = 0;
        key(kinds[i]);
        put_str(target);
    }
    putchar('}');
}

static void put_path(const char* p) {
    struct stat st;
    key(p);
    if (lstat(p, &st) != 0) {
        printf("{\"exists\":false}");
        return;
    }
    long size = -1;
    if (S_ISDIR(st.st_mode)) {
        DIR* d = opendir(p);
        if (d) {
            size = 0;
            for (struct dirent* e; (e = readdir(d));)
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) size++;
            closedir(d);
        }
    } else {
        int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            char buf[256];
            size = read(fd, buf, sizeof buf);
            close(fd);
        }
    }
    printf("{\"exists\":true,\"dir\":%s,\"size\":%ld,\"writable\":%s}", S_ISDIR(st.st_mode) ? "true" : "false", size,
           access(p, W_OK) == 0 ? "true" : "false");
}

int main(int argc, char** argv) {
    printf("{");
    printf("\"uid\":%u,\"gid\":%u,\"euid\":%u,\"egid\":%u,", getuid(), getgid(), geteuid(), getegid());

    gid_t groups[NGROUPS_MAX];
    int ngroups = getgroups(NGROUPS_MAX, groups);
    key("groups"), putchar('[');
    for (int i = 0; i < ngroups; i++) printf(i ? ",%u" : "%u", groups[i]);
    printf("],");

    put_status_str("CapInh"), putchar(',');
    put_status_str("CapPrm"), putchar(',');
    put_status_str("CapEff"), putchar(',');
    put_status_str("CapBnd"), putchar(',');
    put_status_str("CapAmb"), putchar(',');
    put_status_int("NoNewPrivs"), putchar(',');
    put_status_int("Seccomp"), putchar(',');
    put_status_int("Seccomp_filters"), putchar(',');

    key("rlimits"), put_rlimits(), putchar(',');
    key("mounts"), put_mounts(), putchar(',');
    key("cgroup"), put_lines("/proc/self/cgroup"), putchar(',');

    key("env"), putchar('[');
    for (char** e = environ; e && *e; e++) {
        if (e != environ) putchar(',');
        put_str(*e);
    }
    printf("],");

    char cwd[PATH_MAX];
    key("cwd"), put_str(getcwd(cwd, sizeof cwd) ? cwd : ""), putchar(',');
    struct utsname u;
    uname(&u);
    key("hostname"), put_str(u.nodename), putchar(',');
    key("domainname"), put_str(u.domainname), putchar(',');
    mode_t mask = umask(0);
    umask(mask);
    printf("\"umask\":%u,", (unsigned)mask);
    printf("\"isatty\":[%s,%s,%s],", isatty(0) ? "true" : "false", isatty(1) ? "true" : "false",
           isatty(2) ? "true" : "false");

    FILE* f = fopen("/proc/self/oom_score_adj", "r");
    int oom = 0;
    if (!f || fscanf(f, "%d", &oom) != 1) oom = -1001;  // out of the kernel's range: unreadable
    if (f) fclose(f);
    printf("\"oom_score_adj\":%d,", oom);

    key("namespaces"), put_namespaces(), putchar(',');

    // The kernel's per-process policies (runtime-spec v1.2): scheduling from
    // /proc/self/stat (fields 19 nice, 40 rt_priority, 41 policy), I/O
    // priority, execution domain and NUMA memory policy from their syscalls,
    // CPU affinity from /proc/self/status.
    long nice = 0, rt = 0, policy = 0;
    FILE* st = fopen("/proc/self/stat", "r");
    if (st) {
        char buf[1024];
        size_t n = fread(buf, 1, sizeof buf - 1, st);
        buf[n] = '\0';
        fclose(st);
        char* p = strrchr(buf, ')');
        for (int field = 3; p && field <= 41; field++) {
            p = strchr(p + 1, ' ');
            if (!p) break;
            if (field == 19) nice = strtol(p + 1, NULL, 10);
            if (field == 40) rt = strtol(p + 1, NULL, 10);
            if (field == 41) policy = strtol(p + 1, NULL, 10);
        }
    }
    printf("\"sched\":{\"policy\":%ld,\"nice\":%ld,\"priority\":%ld},", policy, nice, rt);
    long io = syscall(SYS_ioprio_get, 1, 0);
    printf("\"ioprio\":{\"class\":%ld,\"priority\":%ld},", io < 0 ? -1 : io >> 13, io < 0 ? -1 : io & 7);
    printf("\"personality\":%d,", personality(0xffffffff) & 0xff);
    int mode = -1;
    unsigned long nodes[16] = {0};
    if (syscall(SYS_get_mempolicy, &mode, nodes, 8 * sizeof nodes, NULL, 0) < 0) mode = -1;
    // The mode flags (MPOL_F_*) come or-ed into the mode.
    printf("\"mempolicy\":{\"mode\":%d,\"flags\":%d,\"nodes\":[", mode < 0 ? mode : mode & 0xff,
           mode < 0 ? 0 : mode & ~0xff);
    for (int i = 0, first = 1; i < (int)(8 * sizeof nodes); i++)
        if (nodes[i / (8 * sizeof(long))] & (1UL << (i % (8 * sizeof(long)))))
            printf(first ? "%d" : ",%d", i), first = 0;
    printf("]},");
    put_status_str("Cpus_allowed_list"), putchar(',');
    struct timespec mono, boot;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_BOOTTIME, &boot);
    printf("\"clocks\":{\"monotonic\":%lld,\"boottime\":%lld},", (long long)mono.tv_sec, (long long)boot.tv_sec);
    key("paths"), putchar('{');
    for (int i = 1; i < argc; i++) {
        if (i > 1) putchar(',');
        put_path(argv[i]);
    }
    printf("}}\n");
    return ferror(stdout) ? 1 : 0;
}
