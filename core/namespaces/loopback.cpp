#include "namespaces/loopback.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

#include "errors/error.hpp"
#include "util/unique_fd.hpp"

namespace berth {

void bring_loopback_up() {
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock) throw_errno("linux.namespaces: network: socket to bring lo up");
    struct ifreq ifr = {};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) < 0) throw_errno("linux.namespaces: network: read the flags of lo");
    if (ifr.ifr_flags & IFF_UP) return;
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) < 0) throw_errno("linux.namespaces: network: bring lo up");
}

}  // namespace berth
