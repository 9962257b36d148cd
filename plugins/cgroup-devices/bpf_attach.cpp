#include "bpf_attach.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::plugins::devices {
namespace {

long bpf(int cmd, bpf_attr* attr) { return ::syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

uint64_t ptr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

std::string errno_text(int e) { return std::strerror(e); }

// Closes on every path out.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

Status open_cgroup(const std::string& dir, Fd* out) {
    out->fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (out->fd < 0) return Status::Error(errno, "open " + dir + ": " + errno_text(errno));
    return Status::Ok();
}

Status query(int cgroup_fd, const std::string& dir, std::vector<uint32_t>* ids) {
    ids->assign(64, 0);
    bpf_attr attr{};
    attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = ptr(ids->data());
    attr.query.prog_cnt = static_cast<uint32_t>(ids->size());
    if (bpf(BPF_PROG_QUERY, &attr) < 0)
        return Status::Error(errno,
                             "query the device programs of " + dir + " (bpf BPF_PROG_QUERY): " + errno_text(errno));
    ids->resize(attr.query.prog_cnt);
    return Status::Ok();
}

}  // namespace

Status load_device_program(const std::vector<bpf_insn>& prog, int* fd) {
    static const char license[] = "Apache-2.0";
    std::string log(64 * 1024, '\0');
    bpf_attr attr{};
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = ptr(prog.data());
    attr.insn_cnt = static_cast<uint32_t>(prog.size());
    attr.license = ptr(license);
    attr.log_buf = ptr(log.data());
    attr.log_size = static_cast<uint32_t>(log.size());
    attr.log_level = 1;
    const long r = bpf(BPF_PROG_LOAD, &attr);
    if (r < 0) {
        const int e = errno;
        log.resize(std::strlen(log.c_str()));
        return Status::Error(e, "load the device cgroup eBPF program (bpf BPF_PROG_LOAD): " + errno_text(e) +
                                    (log.empty() ? "" : "; verifier: " + log));
    }
    *fd = static_cast<int>(r);
    return Status::Ok();
}

Status attached_device_programs(const std::string& cgroup_dir, std::vector<uint32_t>* ids) {
    Fd cg;
    if (Status s = open_cgroup(cgroup_dir, &cg); !s.ok()) return s;
    return query(cg.fd, cgroup_dir, ids);
}

Status attach_device_program(const std::string& dir, int prog_fd) {
    Fd cg;
    if (Status s = open_cgroup(dir, &cg); !s.ok()) return s;
    std::vector<uint32_t> old_ids;
    if (Status s = query(cg.fd, dir, &old_ids); !s.ok()) return s;
    std::vector<Fd> old(old_ids.size());
    for (size_t i = 0; i < old_ids.size(); ++i) {
        bpf_attr attr{};
        attr.prog_id = old_ids[i];
        const long r = bpf(BPF_PROG_GET_FD_BY_ID, &attr);
        // Detached meanwhile (a concurrent update): nothing to replace.
        if (r < 0 && errno == ENOENT) continue;
        if (r < 0)
            return Status::Error(errno, "open the device program " + std::to_string(old_ids[i]) + " of " + dir +
                                            " (bpf BPF_PROG_GET_FD_BY_ID): " + errno_text(errno));
        old[i].fd = static_cast<int>(r);
    }
    size_t live = 0;
    int only = -1;
    for (const Fd& f : old)
        if (f.fd >= 0) {
            ++live;
            only = f.fd;
        }
    bpf_attr attr{};
    attr.target_fd = static_cast<uint32_t>(cg.fd);
    attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (live == 1) {
        attr.attach_flags |= BPF_F_REPLACE;
        attr.replace_bpf_fd = static_cast<uint32_t>(only);
    }
    if (bpf(BPF_PROG_ATTACH, &attr) < 0)
        return Status::Error(
            errno, "attach the device cgroup eBPF program to " + dir + " (bpf BPF_PROG_ATTACH): " + errno_text(errno));
    if (live == 1) return Status::Ok();
    for (const Fd& f : old) {
        if (f.fd < 0) continue;
        bpf_attr detach{};
        detach.target_fd = static_cast<uint32_t>(cg.fd);
        detach.attach_bpf_fd = static_cast<uint32_t>(f.fd);
        detach.attach_type = BPF_CGROUP_DEVICE;
        if (bpf(BPF_PROG_DETACH, &detach) < 0 && errno != ENOENT)
            return Status::Error(errno, "detach the previous device program from " + dir +
                                            " (bpf BPF_PROG_DETACH): " + errno_text(errno));
    }
    return Status::Ok();
}

}  // namespace berth::plugins::devices
