// berth: runc's command line over the core library. Each verb is a row in a
// table: its options, its positional arguments and the function that runs it.
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <tuple>

#include "args.hpp"
#include "checkpoint/checkpoint.hpp"
#include "checkpoint/checkpoint_options.hpp"
#include "docs.hpp"
#include "ps_table.hpp"
#include "container/container.hpp"
#include "container/events.hpp"
#include "container/update.hpp"
#include "errors/error.hpp"
#include "events/stats_json.hpp"
#include "features/features.hpp"
#include "log/log.hpp"
#include "plugins/plugin_config.hpp"
#include "rootless/rootless.hpp"
#include "plugins/plugin_info.hpp"
#include "spec/spec.hpp"
#include "util/files.hpp"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.0.0"
#endif
#ifndef BERTH_COMMIT
#define BERTH_COMMIT "unknown"
#endif
#ifndef BERTH_OCI_VERSION
#define BERTH_OCI_VERSION "1.2.1"
#endif

namespace berth::cli {
namespace {

using json = nlohmann::json;

struct Command {
    const char* name;
    const char* usage;  // positional arguments
    const char* summary;
    size_t min_args, max_args;
    std::vector<OptionSpec> options;
    std::function<int(const RuntimeContext&, const ParsedArgs&)> run;
    // Options end at the first argument; the rest is passed as is (exec's command).
    bool options_first = false;
    // The man page's EXIT STATUS (nullptr: 0 on success, 1 on an error) and
    // EXAMPLES (command lines, one a line).
    const char* exit_status = nullptr;
    const char* examples = nullptr;
};

const std::vector<OptionSpec> kGlobalOptions = {
    {"root", 0, true, "directory for container state (default /run/berth; rootless: $XDG_RUNTIME_DIR/berth)"},
    {"log", 0, true, "write the log to this file (default stderr)"},
    {"log-format", 0, true, "log format: text or json"},
    {"debug", 0, false, "debug logging"},
    {"systemd-cgroup", 0, false, "use the systemd cgroup driver (cgroup v2 only; cgroupsPath slice:prefix:name)"},
    {"plugin-config", 0, true, "plugin config file (default $BERTH_PLUGIN_CONFIG or /etc/berth/plugins.yaml)"},
    {"rootless", 0, true, "auto (default), true or false: run without root (docs/rootless.md)"},
    {"version", 'v', false, "print the version"},
    {"help", 'h', false, "show help"},
};

int preserve_fds(const ParsedArgs& a) {
    const std::string n = a.get("preserve-fds", "0");
    char* end = nullptr;
    long v = std::strtol(n.c_str(), &end, 10);
    if (n.empty() || *end || v < 0 || v > 1 << 20) throw Error("--preserve-fds: \"" + n + "\" is not a number of fds");
    return static_cast<int>(v);
}

// --plugins NAME,...: empty when not given.
std::vector<std::string> plugins_option(const ParsedArgs& a) {
    std::vector<std::string> out;
    if (!a.has("plugins")) return out;
    const std::string list = a.get("plugins");
    for (size_t start = 0; start <= list.size();) {
        size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        if (end > start) out.push_back(list.substr(start, end - start));
        start = end + 1;
    }
    if (out.empty()) throw Error("--plugins: give at least one plugin name");
    return out;
}

CreateOptions create_options(const ParsedArgs& a) {
    CreateOptions o;
    o.id = a.positional.at(0);
    o.bundle = a.get("bundle", ".");
    o.pid_file = a.get("pid-file");
    o.console_socket = a.get("console-socket");
    o.no_pivot = a.flag("no-pivot");
    o.no_new_keyring = a.flag("no-new-keyring");
    o.preserve_fds = preserve_fds(a);
    o.plugins = plugins_option(a);
    return o;
}

const std::vector<OptionSpec> kCreateOptions = {
    {"bundle", 'b', true, "path to the bundle directory (default .)"},
    {"pid-file", 0, true, "write the init pid to this file"},
    {"console-socket", 0, true, "unix socket to send the pty master to"},
    {"no-pivot", 0, false, "use MS_MOVE + chroot instead of pivot_root"},
    {"no-new-keyring", 0, false, "keep the caller's session keyring"},
    {"preserve-fds", 0, true, "pass N more fds (3..3+N-1) to the process"},
    {"plugins", 0, true, "NAME,...: the plugins to use (default: those enabled in the plugin config)"},
    {"no-subreaper", 0, false,
     "accepted for runc compatibility, no effect: berth never makes itself a subreaper for create or run (run waits "
     "for init, its own child; a process orphaned in the container goes to its init, or without a pid namespace to "
     "the host's)"},
};

const std::vector<OptionSpec> kExecOptions = {
    {"process", 'p', true, "FILE: the process as an OCI process JSON object (the flags below are then ignored)"},
    {"tty", 't', false, "allocate a pseudo-TTY (relayed by berth, or sent over --console-socket with --detach)"},
    {"console-socket", 0, true, "unix socket to send the pty master to"},
    {"detach", 'd', false, "do not wait for the process"},
    {"pid-file", 0, true, "write the process's pid to this file"},
    {"cwd", 0, true, "current working directory in the container"},
    {"env", 'e', true, "KEY=VALUE to add to the environment (repeatable)"},
    {"user", 'u', true, "UID[:GID] to run as"},
    {"additional-gids", 'g', true, "an additional group id (repeatable)"},
    {"cap", 'c', true, "a capability to add to the process (repeatable)"},
    {"no-new-privs", 0, false, "set no_new_privs for the process"},
    {"preserve-fds", 0, true, "pass N more fds (3..3+N-1) to the process"},
    {"ignore-paused", 0, false, "allow exec in a paused container"},
    {"process-label", 0, true, "SELinux label of the process (refused where SELinux is not enabled)"},
    {"apparmor", 0, true, "AppArmor profile of the process (refused where AppArmor is not enabled)"},
    {"cgroup", 0, true,
     "[CONTROLLER[,CONTROLLER]:]PATH: run the process in an existing sub-cgroup of the container's (repeatable); a "
     "PATH alone applies to every hierarchy, CONTROLLER:PATH to those v1 hierarchies (as runc 1.1)"},
};

ExecOptions exec_options(const ParsedArgs& a) {
    ExecOptions o;
    o.id = a.positional.at(0);
    o.process_file = a.get("process");
    o.flags.args.assign(a.positional.begin() + 1, a.positional.end());
    if (o.process_file.empty() && o.flags.args.empty()) throw Error("exec: process args cannot be empty");
    o.flags.tty = a.flag("tty");
    o.flags.cwd = a.get("cwd");
    o.flags.env = a.list("env");
    o.flags.user = a.get("user");
    o.flags.additional_gids = a.list("additional-gids");
    o.flags.caps = a.list("cap");
    if (a.has("no-new-privs")) o.flags.no_new_privs = a.flag("no-new-privs");
    o.flags.apparmor = a.get("apparmor");
    o.flags.process_label = a.get("process-label");
    o.console_socket = a.get("console-socket");
    o.pid_file = a.get("pid-file");
    o.detach = a.flag("detach");
    o.preserve_fds = preserve_fds(a);
    o.ignore_paused = a.flag("ignore-paused");
    o.sub_cgroups = a.list("cgroup");
    return o;
}

const std::vector<OptionSpec> kUpdateOptions = {
    {"resources", 'r', true, "FILE or - (stdin): linux.resources JSON; the other flags are then ignored"},
    {"blkio-weight", 0, true, "block IO weight (10-1000)"},
    {"cpu-period", 0, true, "CPU CFS period (microseconds)"},
    {"cpu-quota", 0, true, "CPU CFS quota per period (microseconds)"},
    {"cpu-share", 0, true, "CPU shares (relative weight)"},
    {"cpu-shares", 0, true, "same as --cpu-share"},
    {"cpu-rt-period", 0, true, "CPU realtime period (microseconds)"},
    {"cpu-rt-runtime", 0, true, "CPU realtime runtime per period (microseconds)"},
    {"cpuset-cpus", 0, true, "CPUs to use (0-3,7)"},
    {"cpuset-mems", 0, true, "memory nodes to use"},
    {"kernel-memory", 0, true, "ignored (as in runc 1.1)"},
    {"kernel-memory-tcp", 0, true, "ignored (as in runc 1.1)"},
    {"memory", 0, true, "memory limit: bytes or 64m, 1g...; -1 unlimited"},
    {"memory-reservation", 0, true, "memory soft limit"},
    {"memory-swap", 0, true, "memory+swap limit; -1 unlimited"},
    {"pids-limit", 0, true, "maximum number of tasks; -1 unlimited"},
};

std::vector<OptionSpec> with(std::vector<OptionSpec> base, std::vector<OptionSpec> more) {
    base.insert(base.end(), more.begin(), more.end());
    return base;
}

// The options checkpoint and restore share with runc.
const std::vector<OptionSpec> kCriuOptions = {
    {"image-path", 0, true, "directory of the CRIU image files (default ./checkpoint)"},
    {"work-path", 0, true, "directory for CRIU's work files and logs (default: the image directory)"},
    {"tcp-established", 0, false, "allow open TCP connections"},
    {"ext-unix-sk", 0, false, "allow external unix sockets"},
    {"shell-job", 0, false, "allow shell jobs (a terminal or session from outside)"},
    {"file-locks", 0, false, "handle file locks"},
    {"manage-cgroups-mode", 0, true, "cgroups mode: soft (default), full, strict or ignore"},
    {"empty-ns", 0, true, "create this namespace but do not restore its properties (network; repeatable)"},
    {"auto-dedup", 0, false, "deduplicate memory images against the parent"},
    {"lazy-pages", 0, false, "not supported (refused)"},
};

const std::vector<OptionSpec> kCheckpointOptions =
    with(kCriuOptions, {
                           {"parent-path", 0, true, "the previous pre-dump, relative to the image directory"},
                           {"leave-running", 0, false, "leave the container running after the checkpoint"},
                           {"pre-dump", 0, false, "dump the memory only, and leave the container running"},
                           {"page-server", 0, true, "ADDRESS:PORT of a CRIU page server to send the memory to"},
                           {"status-fd", 0, true, "not supported (refused: it is for --lazy-pages)"},
                       });

const std::vector<OptionSpec> kRestoreOptions =
    with(kCriuOptions,
         {
             {"bundle", 'b', true, "path to the bundle directory (default .)"},
             {"detach", 'd', false, "do not wait for the restored container"},
             {"pid-file", 0, true, "write the restored init's pid to this file"},
             {"console-socket", 0, true, "unix socket to send the restored console's pty master to"},
             {"no-pivot", 0, false, "accepted for runc compatibility (CRIU sets up the root itself)"},
             {"no-subreaper", 0, false, "do not become the subreaper of the restored processes"},
             {"plugins", 0, true, "NAME,...: the plugins to use (default: those enabled in the plugin config)"},
             {"lsm-profile", 0, true, "not supported (refused)"},
             {"lsm-mount-context", 0, true, "not supported (refused)"},
         });

std::string absolute_path(const std::string& p) {
    if (!p.empty() && p[0] == '/') return p;
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) throw_errno("getcwd");
    return std::string(cwd) + "/" + (p.empty() ? std::string("checkpoint") : p);
}

CheckpointOptions criu_options(const ParsedArgs& a, const char* verb) {
    // Nothing silently dropped: what berth cannot do is refused by name.
    for (const char* refused : {"lazy-pages", "status-fd", "lsm-profile", "lsm-mount-context"})
        if (a.has(refused))
            throw Error(
                std::string(verb) + ": --" + refused + " is not supported" +
                (std::string(refused) == "status-fd" ? " (it reports --lazy-pages, which berth does not do)" : ""));
    CheckpointOptions o;
    o.image_dir = absolute_path(a.get("image-path"));
    if (a.has("work-path")) o.work_dir = absolute_path(a.get("work-path"));
    o.parent_dir = a.get("parent-path");
    o.leave_running = a.flag("leave-running");
    o.pre_dump = a.flag("pre-dump");
    o.tcp_established = a.flag("tcp-established");
    o.ext_unix_sk = a.flag("ext-unix-sk");
    o.shell_job = a.flag("shell-job");
    o.file_locks = a.flag("file-locks");
    o.auto_dedup = a.flag("auto-dedup");
    o.cgroups_mode = parse_cgroups_mode(a.get("manage-cgroups-mode"));
    o.empty_ns = parse_empty_ns(a.list("empty-ns"));
    if (a.has("page-server"))
        std::tie(o.page_server_address, o.page_server_port) = parse_page_server(a.get("page-server"));
    return o;
}

void print_table(const std::vector<json>& states) {
    std::vector<std::vector<std::string>> rows = {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
    for (const auto& s : states)
        rows.push_back({s["id"].get<std::string>(), std::to_string(s["pid"].get<int>()), s["status"].get<std::string>(),
                        s["bundle"].get<std::string>(), s["created"].get<std::string>(),
                        s["owner"].get<std::string>()});
    std::cout << aligned_table(rows);
}

int plugins_command(const RuntimeContext& ctx, const ParsedArgs& a) {
    const std::string fmt = a.get("format", "table");
    if (fmt != "table" && fmt != "json") throw Error("plugins: --format must be table or json, not \"" + fmt + "\"");
    const PluginConfig cfg = load_plugin_config(plugin_config_path(ctx.plugin_config));
    const std::string sub = a.positional[0];
    if (sub == "list") {
        if (a.positional.size() > 1) throw Error("plugins list: unexpected argument \"" + a.positional[1] + "\"");
        auto infos = list_plugins(cfg);
        if (fmt == "json") {
            json out = json::array();
            for (auto& i : infos) out.push_back(to_json(i));
            std::cout << out.dump() << "\n";
            return 0;
        }
        std::printf("%-16s %-17s %-8s %-5s %-8s %s\n", "NAME", "KIND", "VERSION", "ABI", "ENABLED", "FILE");
        for (auto& i : infos) {
            std::string kinds;
            for (auto& k : i.kinds) kinds += (kinds.empty() ? "" : ",") + k;
            std::string abi = i.error.empty() ? std::to_string(i.abi_major) + "." + std::to_string(i.abi_minor) : "-";
            std::printf("%-16s %-17s %-8s %-5s %-8s %s%s\n", i.name.c_str(), kinds.empty() ? "-" : kinds.c_str(),
                        i.version.empty() ? "-" : i.version.c_str(), abi.c_str(), i.enabled ? "yes" : "no",
                        i.file.c_str(), i.error.empty() ? "" : ("  (error: " + i.error + ")").c_str());
        }
        return 0;
    }
    if (sub == "inspect") {
        if (a.positional.size() != 2) throw Error("plugins inspect: usage: berth plugins inspect NAME|FILE");
        PluginInfo i = inspect_plugin(cfg, a.positional[1]);
        if (fmt == "json") {
            std::cout << to_json(i).dump(2) << "\n";
        } else {
            auto join = [](const std::vector<std::string>& v) {
                std::string s;
                for (auto& x : v) s += (s.empty() ? "" : ", ") + x;
                return s.empty() ? std::string("-") : s;
            };
            std::printf(
                "name:        %s\nfile:        %s\nversion:     %s\nabi:         %u.%u (berth: %d.%d)\nkinds:       "
                "%s\n"
                "license:     %s\ndescription: %s\nin config:   %s\n",
                i.name.c_str(), i.file.c_str(), i.version.c_str(), i.abi_major, i.abi_minor, BERTH_ABI_MAJOR,
                BERTH_ABI_MINOR, join(i.kinds).c_str(), i.license.c_str(), i.description.c_str(),
                i.in_config ? (i.enabled ? "yes, enabled" : "yes, disabled") : "no");
            if (!i.cgroup_controllers.empty()) std::printf("controllers: %s\n", join(i.cgroup_controllers).c_str());
            if (!i.mount_types.empty()) std::printf("mount types: %s\n", join(i.mount_types).c_str());
            if (!i.checkpoint_engine.empty()) std::printf("checkpoint:  %s\n", i.checkpoint_engine.c_str());
        }
        if (!i.error.empty()) throw Error(i.error);
        return 0;
    }
    throw Error("plugins: unknown subcommand \"" + sub + "\" (list or inspect)");
}

int events_command(const RuntimeContext& ctx, const ParsedArgs& a) {
    EventsOptions o;
    o.id = a.positional[0];
    o.interval_ns = parse_go_duration(a.get("interval", "5s"), "--interval");
    o.stats_only = a.flag("stats");
    return container_events(ctx, o, std::cout);
}

int features_command(const RuntimeContext& ctx, const ParsedArgs&) {
    FeaturesInputs in;
    in.oci_version_max = BERTH_OCI_VERSION;
    // Like runc, features answers even when nothing else would: without a
    // readable plugin config it reports no controllers and mount types.
    try {
        const PluginConfig cfg = load_plugin_config(plugin_config_path(ctx.plugin_config));
        // inspect, not list: list does not ask a plugin what it handles.
        for (const PluginInfo& p : list_plugins(cfg))
            in.plugins.push_back(p.enabled && p.error.empty() ? inspect_plugin(cfg, p.name) : p);
    } catch (const Error& e) {
        log_warning(std::string("features: no plugins: ") + e.what());
    }
    in.annotations = {{"org.berth.version", BERTH_VERSION}, {"org.berth.commit", BERTH_COMMIT}};
    std::cout << features_document(in).dump(4) << "\n";
    return 0;
}

void print_help();
int help_command(const RuntimeContext&, const ParsedArgs& a);

const std::vector<Command>& commands() {
    // A table laid out by hand, one verb a block: clang-format would put every
    // field of every verb on a line of its own.
    // clang-format off
    static const std::vector<Command> table = {
        {"spec", "", "write a default config.json into the bundle", 0, 0,
         {{"bundle", 'b', true, "bundle directory (default .)"},
          {"rootless", 0, false, "a config for a rootless container (docs/rootless.md)"}},
         [](const RuntimeContext&, const ParsedArgs& a) {
             const std::string path = a.get("bundle", ".") + "/config.json";
             if (::access(path.c_str(), F_OK) == 0) throw Error("File " + path + " exists. Remove it first");
             write_file_atomic(path,
                               a.flag("rootless") ? spec::rootless_spec_json(::geteuid(), ::getegid())
                                                  : spec::default_spec_json(),
                               0644);
             return 0;
         },
         false,
         nullptr,
         "berth spec --bundle /srv/box\nberth spec --rootless"},
        {"create", "<container-id>", "create a container", 1, 1, kCreateOptions,
         [](const RuntimeContext& ctx, const ParsedArgs& a) {
             create_container(ctx, create_options(a));
             return 0;
         },
         false,
         nullptr,
         "berth create --bundle /srv/box --pid-file /run/box.pid box\n"
         "berth create --bundle /srv/box --console-socket /run/box.sock box"},
        {"start", "<container-id>", "run the user process of a created container", 1, 1, {},
         [](const RuntimeContext& ctx, const ParsedArgs& a) {
             start_container(ctx, a.positional[0]);
             return 0;
         },
         false,
         nullptr,
         "berth create --bundle /srv/box box && berth start box"},
        {"run", "<container-id>", "create and start a container, and wait for it unless --detach", 1, 1,
         with(kCreateOptions, {{"detach", 'd', false, "do not wait for the container"},
                               {"keep", 0, false, "do not delete the container after it exits (it stays, stopped)"}}),
         [](const RuntimeContext& ctx, const ParsedArgs& a) {
             return run_container(ctx, create_options(a), a.flag("detach"), a.flag("keep"));
         },
         false,
         "Without --detach, the exit status of the container's process (128+N when a signal N ended it); "
         "0 with --detach; 1 when the container cannot be created or started (nothing is left behind).",
         "berth run --bundle /srv/box box\nberth run --detach --bundle /srv/box box\n"
         "berth run --keep --bundle /srv/box box; berth state box; berth delete box"},
        {"exec", "<container-id> [command [args...]]", "run a process in a container", 1, SIZE_MAX, kExecOptions,
         [](const RuntimeContext& ctx, const ParsedArgs& a) {
             try {
                 return exec_container(ctx, exec_options(a));
             } catch (const std::exception& e) {
                 // runc: any failure past the arguments is "exec failed", exit 255.
                 log_error(std::string("exec failed: ") + e.what());
                 return 255;
             }
         },
         true,
         "Without --detach, the exit status of the process (128+N when a signal N ended it); 0 with --detach; "
         "255 when the process could not be started "
         "(the error says why, as runc's \"exec failed\"); 1 for a usage error.",
         "berth exec box ps\nberth exec -t box sh\nberth exec --user 1000:1000 --env TERM=xterm --cwd /tmp box id\n"
         "berth exec --detach --process /srv/process.json box\n"
         "berth exec --cgroup sub box sh   # cgroup v2, or every v1 hierarchy\n"
         "berth exec --cgroup cpu,cpuacct:sub --cgroup memory:other box sh   # v1"},
        {"state", "<container-id>", "print the container's state as JSON", 1, 1, {},
         [](const RuntimeContext& ctx, const ParsedArgs& a) {
             std::cout << container_state(ctx, a.positional[0]).dump(2) << "\n";
             return 0;
         },
         false,
         nullptr,
         "berth state box"},
        {"kill", "<container-id> [signal]", "send a signal (default TERM) to the container's init", 1, 2,
         {{"all", 'a', false, "send it to every process of the container"}},
         [](const RuntimeContext& ctx, const ParsedArgs& a) {
             int sig = parse_signal(a.positional.size() > 1 ? a.positional[1] : "TERM");
             kill_container(ctx, a.positional[0], sig, a.flag("all"));
             return 0;
         },
         false,
         nullptr,
         "berth kill box\nberth kill box KILL\nberth kill --all box 9"},
        {"delete", "<container-id>", "delete a stopped container (--force: any)", 1, 1,
         {{"force", 'f', false, "kill the container first if it is running"}},
         [](const RuntimeContext& ctx, const ParsedArgs& a) {
             delete_container(ctx, a.positional[0], a.flag("force"));
             return 0;
         },
         false,
         nullptr,
         "berth delete box\nberth delete --force box"},
        {"ps", "<container-id> [ps options]", "list the container's processes "
         "(table: through the host's ps, default -ef)", 1,
         SIZE_MAX, {{"format", 'f', true, "table or json"}},
         [](const RuntimeContext& ctx, const ParsedArgs& a) {
             const std::string fmt = a.get("format", "table");
             if (fmt != "table" && fmt != "json")
                 throw Error("ps: --format must be table or json, not \"" + fmt + "\"");
             auto pids = container_pids(ctx, a.positional[0]);
             if (fmt == "json") {
                 // As runc: the ps options are ignored.
                 std::cout << json(pids).dump() << "\n";
                 return 0;
             }
             std::vector<std::string> ps_args(a.positional.begin() + 1, a.positional.end());
             if (ps_args.empty()) ps_args = {"-ef"};
             std::cout << filter_ps_output(run_host_ps(ps_args), pids);
             return 0;
         },
         true,
         nullptr,
         "berth ps box\nberth ps box -o pid,comm\nberth ps --format json box"},
        {"pause", "<container-id>", "freeze every process of the container", 1, 1, {},
         [](const RuntimeContext& ctx, const ParsedArgs& a) {
             pause_container(ctx, a.positional[0]);
             return 0;
         },
         false,
         nullptr,
         "berth pause box && berth resume box"},
        {"resume", "<container-id>", "thaw a paused container", 1, 1, {},
         [](const RuntimeContext& ctx, const ParsedArgs& a) {
             resume_container(ctx, a.positional[0]);
             return 0;
         },
         false,
         nullptr,
         "berth resume box"},
        {"update", "<container-id>", "change the cgroup limits of a container", 1, 1, kUpdateOptions,
         [](const RuntimeContext& ctx, const ParsedArgs& a) {
             nlohmann::json patch;
             if (a.has("resources")) {
                 // As runc: with --resources every other flag is ignored.
                 if (a.values.size() > 1) log_warning("update: --resources is given, the other flags are ignored");
                 patch = read_resources_argument(a.get("resources"));
             } else {
                 patch = resources_from_update_flags(a.values);
             }
             update_container(ctx, a.positional[0], patch);
             return 0;
         },
         false,
         nullptr,
         "berth update --memory 256m --pids-limit 100 box\n"
         "echo '{\"cpu\":{\"quota\":50000,\"period\":100000}}' | berth update --resources - box"},
        {"events", "<container-id>", "display container events (OOM kills) and cgroup stats", 1, 1,
         {{"interval", 0, true, "stats collection interval, e.g. 5s or 500ms (default 5s)"},
          {"stats", 0, false, "display the container's stats once, then exit"}},
         events_command,
         false,
         "0 when --stats is given and the stats were printed, or when the container stops; 1 on an error.",
         "berth events box\nberth events --stats box\nberth events --interval 1s box"},
        {"checkpoint", "<container-id>", "checkpoint a running container with CRIU (the checkpoint plugin)", 1, 1,
         kCheckpointOptions,
         [](const RuntimeContext& ctx, const ParsedArgs& a) {
             checkpoint_container(ctx, a.positional[0], criu_options(a, "checkpoint"));
             return 0;
         },
         false,
         nullptr,
         "berth checkpoint --image-path /srv/ck box\n"
         "berth checkpoint --leave-running --image-path /srv/ck box\n"
         "berth checkpoint --pre-dump --image-path /srv/ck/1 box && "
         "berth checkpoint --parent-path ../1 --image-path /srv/ck/2 box"},
        {"restore", "<container-id>", "restore a container from a checkpoint (the checkpoint plugin)", 1, 1,
         kRestoreOptions,
         [](const RuntimeContext& ctx, const ParsedArgs& a) {
             RestoreOptions o;
             o.id = a.positional[0];
             o.criu = criu_options(a, "restore");
             o.bundle = a.get("bundle", ".");
             o.detach = a.flag("detach");
             o.pid_file = a.get("pid-file");
             o.console_socket = a.get("console-socket");
             o.no_pivot = a.flag("no-pivot");
             o.no_subreaper = a.flag("no-subreaper");
             o.plugins = plugins_option(a);
             return restore_container(ctx, o);
         },
         false,
         "Without --detach, the exit status of the restored init (128+N when a signal N ended it); 0 with --detach; "
         "1 when the container cannot be restored (nothing is left behind).",
         "berth restore --detach --image-path /srv/ck --bundle /srv/box box\n"
         "berth restore --image-path /srv/ck --bundle /srv/box box2"},
        {"features", "", "show the runtime's features as JSON (runtime-spec features.md)", 0, 0, {}, features_command,
         false,
         nullptr,
         "berth features"},
        {"plugins", "list | inspect NAME|FILE", "show the plugins of the plugin config", 1, 2,
         {{"format", 'f', true, "table or json"}}, plugins_command,
         false,
         nullptr,
         "berth plugins list\nberth plugins inspect cgroup-memory --format json"},
        {"list", "", "list containers", 0, 0,
         {{"format", 'f', true, "table or json"}, {"quiet", 'q', false, "print only the ids"}},
         [](const RuntimeContext& ctx, const ParsedArgs& a) {
             const std::string fmt = a.get("format", "table");
             if (fmt != "table" && fmt != "json")
                 throw Error("list: --format must be table or json, not \"" + fmt + "\"");
             auto states = list_containers(ctx);
             if (a.flag("quiet")) {
                 for (auto& s : states) std::cout << s["id"].get<std::string>() << "\n";
             } else if (fmt == "json") {
                 std::cout << json(states).dump() << "\n";
             } else {
                 print_table(states);
             }
             return 0;
         },
         false,
         nullptr,
         "berth list\nberth list --format json\nberth list -q"},
        {"help", "[command]", "show berth's help, or a command's", 0, 1, {}, help_command,
         false,
         "0; 1 when the command named has no help (no such command).",
         "berth help\nberth help run"},
    };
    // clang-format on
    return table;
}

void print_help() {
    std::printf(
        "berth: an OCI container runtime\n\nusage: berth [global options] <command> [options] "
        "[arguments]\n\ncommands:\n");
    for (const auto& c : commands()) std::printf("  %-8s %s\n", c.name, c.summary);
    std::printf("\nglobal options:\n");
    for (const auto& o : kGlobalOptions) std::printf("  --%-16s %s\n", o.name, o.help);
}

void print_command_help(const Command& c) {
    std::printf("usage: berth [global options] %s%s %s\n\n%s\n\noptions:\n", c.name,
                c.options.empty() ? "" : " [options]", c.usage, c.summary);
    for (const auto& o : c.options) std::printf("  %-28s %s\n", option_label(o).c_str(), o.help);
    std::printf("  %-28s %s\n\nSee berth --help for the global options.\n", "-h, --help", "show this help");
}

// `berth help [VERB]`, as runc's: the same text as --help.
int help_command(const RuntimeContext&, const ParsedArgs& a) {
    if (a.positional.empty()) {
        print_help();
        return 0;
    }
    for (const auto& c : commands())
        if (a.positional[0] == c.name) {
            print_command_help(c);
            return 0;
        }
    throw Error("help: no such command \"" + a.positional[0] + "\" (see berth help)");
}

// Hidden: `berth --generate-docs man DIR | bash | json` writes berth.8 and
// berth-<verb>.8 into DIR, the bash completion or the table itself (for
// tests) from the command table. Run by `meson install` (install-docs.sh).
int generate_docs(const std::vector<std::string>& args) {
    std::vector<CommandDoc> docs;
    for (const auto& c : commands())
        docs.push_back(
            {c.name, c.usage, c.summary, c.options, c.exit_status ? c.exit_status : "", c.examples ? c.examples : ""});
    const std::string what = args.size() > 1 ? args[1] : "";
    if (what == "man" && args.size() == 3) {
        write_file_atomic(args[2] + "/berth.8", man_page(docs, kGlobalOptions, BERTH_VERSION), 0644);
        for (const auto& d : docs)
            write_file_atomic(args[2] + "/berth-" + d.name + ".8", verb_man_page(d, BERTH_VERSION), 0644);
    } else if (what == "bash" && args.size() == 2) {
        std::cout << bash_completion(docs, kGlobalOptions, signal_names());
    } else if (what == "json" && args.size() == 2) {
        json out = json::array();
        for (const auto& d : docs) {
            json options = json::array();
            for (const auto& o : d.options)
                options.push_back({{"name", o.name}, {"short", o.short_name ? std::string(1, o.short_name) : ""}});
            out.push_back({{"name", d.name}, {"usage", d.usage}, {"options", options}});
        }
        std::cout << out.dump(2) << "\n";
    } else {
        throw Error("--generate-docs: man DIR, bash or json");
    }
    return 0;
}

int main_impl(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "--generate-docs") return generate_docs(args);
    size_t pos = 0;
    ParsedArgs global = parse_args(kGlobalOptions, args, pos, true, "");
    const std::string fmt = global.get("log-format", "text");
    if (fmt != "text" && fmt != "json") throw Error("--log-format: must be text or json, not \"" + fmt + "\"");
    setup_logging(global.get("log"), fmt == "json", global.flag("debug"));
    if (global.flag("version")) {
        std::printf("berth version %s\ncommit: %s\nspec: %s\n", BERTH_VERSION, BERTH_COMMIT, BERTH_OCI_VERSION);
        return 0;
    }
    if (global.flag("help")) {
        print_help();
        return 0;
    }
    const bool rootless = rootless::decide(global.get("rootless", "auto"));
    // Bare berth: the help, as bare runc prints it, and success.
    if (pos >= args.size()) {
        print_help();
        return 0;
    }
    const std::string verb = args[pos++];
    const Command* cmd = nullptr;
    for (const auto& c : commands())
        if (verb == c.name) cmd = &c;
    if (!cmd) throw Error("unknown command \"" + verb + "\" (see berth --help)");
    auto options = cmd->options;
    options.push_back({"help", 'h', false, "show help"});
    ParsedArgs a = parse_args(options, args, pos, cmd->options_first, verb);
    if (cmd->options_first) a.positional.assign(args.begin() + static_cast<std::ptrdiff_t>(pos), args.end());
    if (a.flag("help")) {
        print_command_help(*cmd);
        return 0;
    }
    if (a.positional.size() < cmd->min_args)
        throw Error(std::string(verb) + ": missing argument: usage: berth " + verb + " " + cmd->usage);
    if (a.positional.size() > cmd->max_args)
        throw Error(std::string(verb) + ": unexpected argument \"" + a.positional[cmd->max_args] + "\": usage: berth " +
                    verb + " " + cmd->usage);
    // CRIU needs root: refused before anything fails halfway with EPERM.
    if ((verb == "checkpoint" || verb == "restore") && ::geteuid() != 0)
        throw Error(verb + ": rootless checkpoint and restore are not supported: berth must run as root (euid " +
                    std::to_string(::geteuid()) + ")");
    RuntimeContext ctx;
    ctx.rootless = rootless;
    // spec, features and plugins keep no state: they work without XDG_RUNTIME_DIR.
    if (verb != "spec" && verb != "features" && verb != "plugins")
        ctx.root = global.has("root") ? global.get("root") : rootless::default_state_root(rootless);
    ctx.plugin_index = rootless::plugin_index_path(rootless);
    ctx.plugin_config = global.get("plugin-config");
    if (ctx.plugin_config.empty() && !std::getenv("BERTH_PLUGIN_CONFIG"))
        ctx.plugin_config = rootless::user_plugin_config(rootless);
    ctx.systemd_cgroup = global.flag("systemd-cgroup");
    return cmd->run(ctx, a);
}

}  // namespace
}  // namespace berth::cli

int main(int argc, char** argv) {
    try {
        return berth::cli::main_impl(argc, argv);
    } catch (const std::exception& e) {
        berth::log_error(e.what());
        return 1;
    }
}
