/*
 * berth's exec stub: the last image the container's init runs before the
 * user's program.
 *
 * Init does all of its setup inside berth, then execs this stub from a sealed
 * memfd. From then on /proc/<init>/exe is the sealed memfd, never the host's
 * berth binary, so a container process (or an "#!/proc/self/exe" script run
 * by init) cannot reopen and overwrite the runtime (CVE-2019-5736). The stub
 * is a few KB with no libc, so a created-but-not-started container costs
 * almost nothing while it waits.
 *
 * argv: berth init <exec.fifo fd> <lsm fd> <lsm attr> <lsm value> <executable> <args...>;
 * envp is the process's environment. The fifo fd is open for reading and
 * writing (create opened it): the stub blocks reading one byte until `berth
 * start` writes it, then execs the program. Nothing is opened by path, so a
 * container without /proc waits as well (runc reopens the fd through
 * /proc/self/fd; crun reads, as here).
 *
 * `berth exec` runs its process through the same stub, for the same reason,
 * and so do hooks that run in the container:
 * argv: berth exec <lsm fd> <lsm attr> <lsm value> <executable> <args...>, which execs
 * the program at once.
 *
 * <lsm fd> is -1, or an O_PATH fd of the container's /proc (checked to be
 * procfs), <lsm attr> the process's own attribute file below it
 * ("thread-self/attr/apparmor/exec") and <lsm value> what to write there:
 * right before the program's execve the stub opens it and writes, so that
 * the program, not the stub, is the exec that enters the AppArmor profile or
 * SELinux label, as with runc. (The kernel lets only the mm that opened an
 * attr file write it: the stub must open it itself.) No mount may stand in
 * the path (RESOLVE_NO_XDEV), or a write to a file mounted over it would
 * leave the program unconfined (CVE-2019-16884).
 */
#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/openat2.h>
#include <linux/prctl.h>

static long sys4(long n, long a, long b, long c, long d) {
#if defined(__x86_64__)
    long ret;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return ret;
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory", "cc");
    return x0;
#else
#error "berth's exec stub supports x86_64 and aarch64"
#endif
}

static long sys3(long n, long a, long b, long c) { return sys4(n, a, b, c, 0); }

static unsigned long length(const char* s) {
    unsigned long n = 0;
    while (s[n]) n++;
    return n;
}

static int same(const char* a, const char* b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

static void say(const char* s) { sys3(__NR_write, 2, (long)s, (long)length(s)); }

__attribute__((noreturn)) static void die(const char* what, const char* arg, long err) {
    char num[24];
    int i = sizeof num - 1;
    unsigned long e = (unsigned long)(err < 0 ? -err : err);
    num[i] = '\0';
    do {
        num[--i] = (char)('0' + e % 10);
        e /= 10;
    } while (e && i > 0);
    say("berth init: ");
    say(what);
    say(arg);
    say(": errno ");
    say(num + i);
    say("\n");
    sys3(__NR_exit_group, 127, 0, 0);
    for (;;) {
    }
}

static long number(const char* s) {
    long n = 0, sign = 1;
    if (*s == '-') sign = -1, s++;
    if (!*s) return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || n > 100000000) return -1;
        n = n * 10 + (*s - '0');
    }
    return sign * n;
}

#ifndef __NR_openat2
#define __NR_openat2 437
#endif

/* argv[0..]: <lsm fd> <lsm attr> <lsm value> <executable> <args...> */
__attribute__((noreturn)) static void exec_program(char** argv, char** envp) {
    long proc = number(argv[0]);
    if (proc >= 0) {
        struct open_how how = {O_WRONLY | O_CLOEXEC, 0, RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS};
        long fd = sys4(__NR_openat2, proc, (long)argv[1], (long)&how, sizeof how);
        if (fd == -38 /* ENOSYS */ || fd == -1 /* EPERM: a filter without openat2 */)
            fd = sys4(__NR_openat, proc, (long)argv[1], O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0);
        if (fd < 0) die("open LSM attribute /proc/", argv[1], fd);
        long n = length(argv[2]);
        long w = sys3(__NR_write, fd, (long)argv[2], n);
        if (w != n) die("set LSM attribute ", argv[2], w < 0 ? w : 5);
        sys3(__NR_close, fd, 0, 0);
        sys3(__NR_close, proc, 0, 0);
    }
    long err = sys3(__NR_execve, (long)argv[3], (long)(argv + 4), (long)envp);
    die("exec ", argv[3], err);
}

void stub_main(long* sp) __attribute__((used, noreturn));
void stub_main(long* sp) {
    long argc = sp[0];
    char** argv = (char**)(sp + 1);
    char** envp = argv + argc + 1;

    /* Non-dumpable again: the exec left us so only because the memfd is
     * execute-only (would_dump), which a suid_dumpable of 1 would undo. */
    sys3(__NR_prctl, PR_SET_DUMPABLE, 0, 0);
    if (argc >= 6 && same(argv[1], "exec")) {
        sys3(__NR_prctl, PR_SET_NAME, (long)"berth-exec", 0);
        exec_program(argv + 2, envp);
    }
    sys3(__NR_prctl, PR_SET_NAME, (long)"berth-init", 0);
    if (argc < 7 || !same(argv[1], "init")) die("bad arguments", "", 22);

    long fifo = number(argv[2]);
    if (fifo < 0) die("bad fifo fd ", argv[2], 22);
    /* We hold a write end too, so the read waits for start's byte instead of
     * seeing end of file; a signal that stops and resumes us restarts it. */
    char byte;
    long r;
    do r = sys3(__NR_read, fifo, (long)&byte, 1);
    while (r == -4 /* EINTR */);
    if (r != 1) die("read exec.fifo fd ", argv[2], r < 0 ? r : 5);
    sys3(__NR_close, fifo, 0, 0);
    exec_program(argv + 3, envp);
}

#if defined(__x86_64__)
__asm__(
    ".text\n.global _start\n_start:\n"
    "  xor %rbp, %rbp\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call stub_main\n  hlt\n");
#elif defined(__aarch64__)
__asm__(
    ".text\n.global _start\n_start:\n"
    "  mov x29, #0\n  mov x0, sp\n  and x1, x0, #-16\n  mov sp, x1\n  bl stub_main\n  brk #0\n");
#endif
