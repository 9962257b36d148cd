// One `criu swrk` process and the SOCK_SEQPACKET socket berth talks to it
// over (CRIU's RPC service mode: one message per request or response; the
// fds of notifications, the console's master, come with them).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "rpc_codec.hpp"
#include "util/unique_fd.hpp"

namespace berth::plugins::criu {

class Swrk {
public:
    // Starts `criu swrk 3`: CRIU's fds 0-2 are ours (the container's stdio
    // on restore), 3 the socket, and 4, 5, ... the `extra` fds in order.
    Swrk(const std::string& criu, const std::vector<int>& extra);
    // Closes the socket and reaps CRIU if wait() did not.
    ~Swrk();
    Swrk(const Swrk&) = delete;
    Swrk& operator=(const Swrk&) = delete;

    pid_t pid() const { return pid_; }
    void send(const berth::criu::Request& req);
    // The next response; *fd gets the fd that came with it (or stays empty).
    // Throws when CRIU closed the socket (it exited) or sent garbage.
    berth::criu::Response receive(UniqueFd* fd);
    // Ends the session: CRIU exits once it reads EOF. Returns its wait status.
    int wait();

private:
    pid_t pid_ = -1;
    UniqueFd sock_;
};

// "exited 1", "killed by signal 9": a wait status for messages.
std::string describe_status(int status);

}  // namespace berth::plugins::criu
