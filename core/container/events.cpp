#include "container/events.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <sstream>

#include "cgroups/cgroup_manager.hpp"
#include "errors/error.hpp"
#include "events/stats_json.hpp"
#include "log/log.hpp"
#include "plugins/registry.hpp"
#include "state/process_identity.hpp"
#include "state/state_store.hpp"
#include "util/fault_point.hpp"
#include "util/files.hpp"
#include "util/unique_fd.hpp"

namespace berth {
namespace {

int64_t now_ns() {
    struct timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Counts OOM kills in the container's memory cgroup: the kernel's oom_kill
// counter (v1 memory.oom_control, v2 memory.events), with a notification fd
// (v1: an eventfd registered through cgroup.event_control; v2: inotify on
// memory.events) so that a kill is seen at once rather than at the next
// poll. Without a memory cgroup there is nothing to watch: the container
// then has no memory limit of its own to run out of.
class OomWatch {
public:
    explicit OomWatch(const CgroupPaths& paths) {
        if (paths.mode == CgroupMode::Unified) {
            if (paths.unified.empty()) return;
            counter_file_ = paths.unified + "/memory.events";
            if (::access(counter_file_.c_str(), F_OK) != 0) {
                counter_file_.clear();  // the memory controller is not enabled there
                return;
            }
            notify_.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
            if (notify_ && ::inotify_add_watch(notify_.get(), counter_file_.c_str(), IN_MODIFY) < 0) notify_.reset();
        } else {
            auto it = paths.v1.find("memory");
            if (it == paths.v1.end()) return;
            counter_file_ = it->second + "/memory.oom_control";
            control_.reset(::open(counter_file_.c_str(), O_RDONLY | O_CLOEXEC));
            if (!control_) {
                counter_file_.clear();
                return;
            }
            notify_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
            if (notify_) {
                try {
                    write_existing_file(it->second + "/cgroup.event_control",
                                        std::to_string(notify_.get()) + " " + std::to_string(control_.get()));
                    eventfd_ = true;
                } catch (const Error& e) {
                    log_warning(std::string("events: OOM notifications by eventfd are not available, polling: ") +
                                e.what());
                    notify_.reset();
                }
            }
        }
        counted_ = read_counter();
    }

    int fd() const { return notify_ ? notify_.get() : -1; }

    // OOM kills since the last call.
    uint64_t take_new() {
        uint64_t notifications = 0;
        if (notify_) {
            if (eventfd_) {
                uint64_t n = 0;
                if (::read(notify_.get(), &n, sizeof n) == static_cast<ssize_t>(sizeof n)) notifications = n;
            } else {
                char buf[4096];
                while (::read(notify_.get(), buf, sizeof buf) > 0) {
                }
            }
        }
        if (!counted_) return notifications;  // an old v1 kernel without oom_kill: one per notification
        const auto now = read_counter();
        if (!now || *now <= *counted_) return 0;
        const uint64_t fresh = *now - *counted_;
        counted_ = now;
        return fresh;
    }

private:
    std::optional<uint64_t> read_counter() const {
        if (counter_file_.empty()) return std::nullopt;
        std::string text;
        try {
            text = read_file(counter_file_);
        } catch (const Error&) {
            return std::nullopt;  // the cgroup is gone with the container
        }
        std::istringstream in(text);
        std::string key;
        uint64_t value = 0;
        while (in >> key >> value)
            if (key == "oom_kill") return value;
        return std::nullopt;
    }

    std::string counter_file_;
    UniqueFd notify_, control_;
    bool eventfd_ = false;
    std::optional<uint64_t> counted_;
};

void emit(std::ostream& out, const nlohmann::ordered_json& event) {
    out << event.dump() << '\n';
    out.flush();
    if (!out) throw Error("events: cannot write to the output");
}

}  // namespace

int container_events(const RuntimeContext& ctx, const EventsOptions& o, std::ostream& out) {
    if (o.interval_ns <= 0) throw Error("duration interval must be greater than 0");
    ContainerState st;
    {
        auto c = StateStore(ctx.root).open(o.id, true);
        if (!c) throw Error("container \"" + o.id + "\" does not exist", ENOENT);
        st = c->load();
        const std::string status = status_of(st, c->dir());
        if (status == "stopped" || status == "creating") throw Error("container with id " + o.id + " is not running");
    }
    fault_point("events.checked");

    // Exactly the plugins of create, as update: they know the container's cgroup.
    PluginRegistry plugins =
        PluginRegistry::load(load_plugin_config(plugin_config_path(ctx.plugin_config)), st.plugins);
    const CgroupManager cgroups(detect_cgroup_layout(), plugins.cgroup_subsystems());
    const CgroupPaths paths = CgroupPaths::from_json(st.cgroup);
    const bool unified = paths.mode == CgroupMode::Unified;
    const long ticks = ::sysconf(_SC_CLK_TCK);
    const auto stats_event = [&] {
        const auto data =
            runc_stats_json(cgroups.stats(paths), unified, ticks > 0 ? static_cast<uint64_t>(ticks) : 100);
        return runc_event_json("stats", o.id, &data);
    };
    if (o.stats_only) {
        emit(out, stats_event());
        return 0;
    }

    OomWatch oom(paths);
    fault_point("events.watching");
    const auto report_ooms = [&] {
        for (uint64_t n = oom.take_new(); n > 0; --n) emit(out, runc_event_json("oom", o.id));
    };
    // Init's end is polled: it is not our child, and a pidfd would miss a
    // pid namespace's init reaped before we look.
    constexpr int64_t kLivenessPollNs = 100'000'000;
    int64_t next_stats = now_ns() + o.interval_ns;
    for (;;) {
        const int64_t wait = std::clamp<int64_t>(next_stats - now_ns(), 0, kLivenessPollNs);
        struct pollfd p = {oom.fd(), POLLIN, 0};
        if (::poll(&p, p.fd >= 0 ? 1 : 0, static_cast<int>(wait / 1'000'000)) < 0 && errno != EINTR)
            throw_errno("poll", "the OOM notification fd");
        report_ooms();
        if (check_liveness(st.pid, st.start_time) != Liveness::Alive) {
            report_ooms();  // a kill that took init with it
            return 0;
        }
        if (now_ns() >= next_stats) {
            // As runc: a failed read is logged and the stream goes on.
            std::optional<nlohmann::ordered_json> event;
            try {
                event = stats_event();
            } catch (const Error& e) {
                log_error(e.what());
            }
            if (event) emit(out, *event);
            next_stats += o.interval_ns;
            if (next_stats < now_ns()) next_stats = now_ns() + o.interval_ns;
        }
    }
}

}  // namespace berth
