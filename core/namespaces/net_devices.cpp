#include "namespaces/net_devices.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "errors/error.hpp"
#include "log/log.hpp"
#include "util/unique_fd.hpp"

namespace berth {
namespace {

// One RTM_SETLINK of interface `index`: to the namespace `netns_fd` (unless
// -1) and/or under `name`, acknowledged. Returns 0 or the errno.
int set_link(int index, int netns_fd, const std::string& name) {
    UniqueFd sock(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!sock) return errno;
    struct {
        nlmsghdr hdr;
        ifinfomsg info;
        char attrs[64];
    } req{};
    req.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
    req.hdr.nlmsg_type = RTM_SETLINK;
    req.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    req.hdr.nlmsg_seq = 1;
    req.info.ifi_family = AF_UNSPEC;
    req.info.ifi_index = index;
    auto add = [&](unsigned short type, const void* data, size_t len) {
        auto* rta = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&req) + NLMSG_ALIGN(req.hdr.nlmsg_len));
        rta->rta_type = type;
        rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
        std::memcpy(RTA_DATA(rta), data, len);
        req.hdr.nlmsg_len = NLMSG_ALIGN(req.hdr.nlmsg_len) + RTA_ALIGN(rta->rta_len);
    };
    if (netns_fd >= 0) {
        const uint32_t fd = static_cast<uint32_t>(netns_fd);
        add(IFLA_NET_NS_FD, &fd, sizeof fd);
    }
    if (!name.empty()) add(IFLA_IFNAME, name.c_str(), name.size() + 1);
    if (::send(sock.get(), &req, req.hdr.nlmsg_len, 0) < 0) return errno;
    char buf[512];
    const ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
    if (n < 0) return errno;
    const auto* reply = reinterpret_cast<const nlmsghdr*>(buf);
    if (n < static_cast<ssize_t>(NLMSG_LENGTH(sizeof(nlmsgerr))) || reply->nlmsg_type != NLMSG_ERROR) return EPROTO;
    return -reinterpret_cast<const nlmsgerr*>(NLMSG_DATA(reply))->error;
}

}  // namespace

void check_net_devices(const spec::Spec& s) {
    if (s.linux.net_devices.empty()) return;
    if (!s.find_namespace(CLONE_NEWNET))
        throw Error(
            "linux.netDevices: the container has no network namespace of its own (linux.namespaces has no "
            "\"network\"): a device moved there would stay on the host",
            EINVAL);
    for (const spec::NetDevice& d : s.linux.net_devices)
        if (::if_nametoindex(d.host_name.c_str()) == 0)
            throw Error("linux.netDevices." + d.host_name + ": no such network interface on the host", ENODEV);
}

void move_net_devices_in(int netns_fd, const std::vector<spec::NetDevice>& devices) {
    for (const spec::NetDevice& d : devices) {
        const unsigned index = ::if_nametoindex(d.host_name.c_str());
        const int err = index == 0 ? ENODEV : set_link(static_cast<int>(index), netns_fd, d.name);
        if (err != 0)
            throw Error(
                "linux.netDevices." + d.host_name + ": move into the container as " + d.name + ": " + errno_text(err),
                err);
    }
}

void move_net_devices_out(const std::string& netns_path, const std::vector<spec::NetDevice>& devices) {
    if (devices.empty()) return;
    UniqueFd netns(netns_path.empty() ? -1 : ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    move_net_devices_out(netns.get(), devices);
}

void move_net_devices_out(int netns_fd, const std::vector<spec::NetDevice>& devices) {
    if (devices.empty()) return;
    if (netns_fd < 0) {
        // The namespace is gone: the kernel has deleted virtual devices and
        // given physical ones back, under their container names.
        for (const spec::NetDevice& d : devices) {
            const unsigned index = ::if_nametoindex(d.name.c_str());
            if (index == 0 || d.name == d.host_name || ::if_nametoindex(d.host_name.c_str()) != 0) continue;
            if (const int err = set_link(static_cast<int>(index), -1, d.host_name); err != 0)
                log_warning("linux.netDevices." + d.host_name + ": rename " + d.name + " back: " + errno_text(err));
        }
        return;
    }
    UniqueFd host(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    int report[2];
    if (!host || ::pipe2(report, O_CLOEXEC) < 0) {
        log_warning("linux.netDevices: cannot move the devices back: " + errno_text(errno));
        return;
    }
    UniqueFd rd(report[0]), wr(report[1]);
    const pid_t pid = ::fork();
    if (pid == 0) {
        rd.reset();
        std::string failures;
        if (::setns(netns_fd, CLONE_NEWNET) < 0) {
            failures = "join the container's network namespace: " + errno_text(errno);
        } else {
            for (const spec::NetDevice& d : devices) {
                const unsigned index = ::if_nametoindex(d.name.c_str());
                const int err = index == 0 ? ENODEV : set_link(static_cast<int>(index), host.get(), d.host_name);
                if (err != 0)
                    failures +=
                        "linux.netDevices." + d.host_name + ": move " + d.name + " back: " + errno_text(err) + "\n";
            }
        }
        (void)!::write(wr.get(), failures.data(), failures.size());
        _exit(0);
    }
    wr.reset();
    std::string failures;
    char buf[512];
    for (ssize_t n; (n = ::read(rd.get(), buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        failures.append(buf, static_cast<size_t>(n));
    }
    if (pid > 0) ::waitpid(pid, nullptr, 0);
    if (pid < 0) failures = "linux.netDevices: fork: " + errno_text(errno);
    size_t at = 0;
    for (size_t nl; (nl = failures.find('\n', at)) != std::string::npos; at = nl + 1)
        log_warning(failures.substr(at, nl - at));
    if (at < failures.size()) log_warning(failures.substr(at));
}

}  // namespace berth
