#include "plugins/registry.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/dll/shared_library.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "errors/error.hpp"
#include "log/log.hpp"
#include "util/files.hpp"

namespace berth {
namespace {

std::string resolve_plugin_file(const PluginEntry& e, const std::vector<std::string>& dirs) {
    if (!e.file.empty() && e.file[0] == '/') return e.file;
    for (auto& d : dirs) {
        std::string p = d + "/" + e.file;
        if (::access(p.c_str(), F_OK) == 0) return p;
    }
    std::string searched;
    for (auto& d : dirs) searched += (searched.empty() ? "" : ", ") + d;
    throw Error("plugin \"" + e.name + "\": " + e.file + " not found in plugin directories [" + searched + "]", ENOENT);
}

std::vector<std::string> search_dirs(const PluginConfig& cfg) {
    std::vector<std::string> dirs;
    if (const char* env = std::getenv("BERTH_PLUGIN_PATH"); env && *env) {
        std::string s = env;
        size_t start = 0;
        while (start <= s.size()) {
            size_t end = s.find(':', start);
            if (end == std::string::npos) end = s.size();
            if (end > start) dirs.push_back(s.substr(start, end - start));
            start = end + 1;
        }
    }
    dirs.insert(dirs.end(), cfg.dirs.begin(), cfg.dirs.end());
    return dirs;
}

void check_owner_and_mode(const struct stat& sb, const std::string& path, const char* what,
                          const std::vector<uid_t>& owners, bool sticky_ok = false) {
    if (std::find(owners.begin(), owners.end(), sb.st_uid) == owners.end())
        throw Error(std::string("refusing plugin ") + what + " " + path + ": not owned by root" +
                        (owners.size() > 1 ? " or a trusted owner" : "") + " (uid " + std::to_string(sb.st_uid) + ")",
                    EPERM);
    // A sticky directory (like /tmp) lets others add entries but not replace ours.
    if (sticky_ok && (sb.st_mode & S_ISVTX)) return;
    if (sb.st_mode & (S_IWGRP | S_IWOTH))
        throw Error(
            std::string("refusing plugin ") + what + " " + path + ": writable by group or others (mode " +
                [&] {
                    char b[8];
                    snprintf(b, sizeof b, "%04o", sb.st_mode & 07777);
                    return std::string(b);
                }() +
                ")",
            EPERM);
}

// What a plugin file served when it was last loaded (PluginLoadOptions).
class PluginIndex {
public:
    explicit PluginIndex(std::string path) : path_(std::move(path)) {
        if (path_.empty()) return;
        try {
            index_ = nlohmann::json::parse(read_file(path_), nullptr, false);
        } catch (const Error&) {
            // None yet: every plugin is loaded once and recorded.
        }
        if (!index_.is_object()) index_ = nlohmann::json::object();
        // The index decides which plugin files are skipped: one that someone
        // other than root could have written is not believed.
        struct stat sb;
        // (A rootless caller's index is in its own runtime dir, and its own.)
        if (::stat(path_.c_str(), &sb) == 0 &&
            ((sb.st_uid != 0 && sb.st_uid != ::geteuid()) || (sb.st_mode & 022) != 0))
            index_ = nlohmann::json::object();
        // Every create parses the whole index: one grown past its bound
        // (build trees come and go) is pruned at this create's save.
        dirty_ = index_.size() > kMaxEntries;
    }

    // The record of `file` if it is current for this file and these settings.
    const nlohmann::json* find(const std::string& file, const nlohmann::json& identity) {
        used_.insert(file);
        auto it = index_.find(file);
        if (it == index_.end() || !it->is_object() || it->value("identity", nlohmann::json()) != identity)
            return nullptr;
        return &*it;
    }

    void record(const std::string& file, nlohmann::json entry) {
        used_.insert(file);
        if (path_.empty() || index_.value(file, nlohmann::json()) == entry) return;
        index_[file] = std::move(entry);
        dirty_ = true;
    }

    void save() {
        if (!dirty_) return;
        try {
            remove_stale_temps();
            prune();
            // Creates run in parallel: each writes its own file, then renames.
            // No fsync: the index is a cache, losing it costs one full load.
            const std::string mine = path_ + "." + std::to_string(::getpid());
            write_file_replace(mine, index_.dump(), 0600);
            if (::rename(mine.c_str(), path_.c_str()) < 0) {
                const int err = errno;
                ::unlink(mine.c_str());
                throw_sys(err, "rename", path_);
            }
        } catch (const Error& e) {
            // Only a cost: the next create loads every plugin again.
            log_debug(std::string("plugin index: ") + e.what());
        }
    }

private:
    static constexpr std::size_t kMaxEntries = 64;

    // Drops the records of plugin files that are gone or were replaced (a
    // new inode), then, if still over the bound, those this create did not
    // use: their configs pay one full load again, once.
    void prune() {
        for (auto it = index_.begin(); it != index_.end();) {
            struct stat sb;
            const auto id = it->is_object() ? it->find("identity") : it->end();
            const bool current = id != it->end() && id->is_object() && ::stat(it.key().c_str(), &sb) == 0 &&
                                 id->value("dev", 0ull) == sb.st_dev && id->value("ino", 0ull) == sb.st_ino;
            it = current ? std::next(it) : index_.erase(it);
        }
        if (index_.size() <= kMaxEntries) return;
        for (auto it = index_.begin(); it != index_.end();)
            it = used_.count(it.key()) ? std::next(it) : index_.erase(it);
    }

    // A create killed while saving leaves PATH.PID (or PATH.PID.tmp) behind:
    // remove those whose process is gone. A live one is another create's.
    void remove_stale_temps() const {
        const std::filesystem::path p(path_);
        const std::string prefix = p.filename().string() + ".";
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(p.parent_path(), ec)) {
            const std::string name = entry.path().filename().string();
            if (name.compare(0, prefix.size(), prefix) != 0) continue;
            std::string rest = name.substr(prefix.size());
            if (rest.size() > 4 && rest.compare(rest.size() - 4, 4, ".tmp") == 0) rest.resize(rest.size() - 4);
            if (rest.empty() || rest.size() > 9 || rest.find_first_not_of("0123456789") != std::string::npos) continue;
            if (::kill(static_cast<pid_t>(std::stol(rest)), 0) < 0 && errno == ESRCH) ::unlink(entry.path().c_str());
        }
    }

    std::string path_;
    nlohmann::json index_;
    std::set<std::string> used_;
    bool dirty_ = false;
};

nlohmann::json file_identity(const struct stat& sb, const PluginEntry& e) {
    nlohmann::json settings = nlohmann::json::object();
    for (const auto& [k, v] : e.settings) settings[k] = v;
    return {{"dev", sb.st_dev},
            {"ino", sb.st_ino},
            {"size", sb.st_size},
            {"mtime", sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec},
            {"ctime", sb.st_ctim.tv_sec * 1000000000LL + sb.st_ctim.tv_nsec},
            {"name", e.name},
            {"settings", settings}};
}

// The resource fields a record's subsystem declared; null when it declared
// none (a plugin older than ABI 1.2, or one that serves any resources).
std::optional<std::vector<std::string>> recorded_fields(const nlohmann::json& rec) {
    const auto it = rec.find("fields");
    if (it == rec.end() || !it->is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& f : *it)
        if (f.is_string()) out.push_back(f.get<std::string>());
    return out;
}

// A plugin that is a checkpoint engine and nothing else.
bool only_checkpointer(uint32_t kinds) {
    return (kinds & kCheckpointer) && (kinds & (kCgroupSubsystem | kMountHandler)) == 0;
}

// Does a container with this demand need the plugin of this record?
bool needed(const nlohmann::json& rec, const PluginDemand& demand) {
    const auto kinds = rec.value("kinds", 0u);
    if ((kinds & kMountHandler) && demand.mounts) return true;
    if (kinds & kCgroupSubsystem) {
        const auto fields = recorded_fields(rec);
        if (demand_needs(demand, fields ? &*fields : nullptr, rec.value("controller", ""),
                         rec.value("v1_controller", "")))
            return true;
    }
    return (kinds & (kCgroupSubsystem | kMountHandler)) == 0;
}

// A subsystem's resource_fields() as a list (null: it declared none).
nlohmann::json declared_fields(const CgroupSubsystem& s) {
    const char* const* fields = s.resource_fields();
    if (!fields) return nullptr;
    nlohmann::json out = nlohmann::json::array();
    for (; *fields; ++fields) out.push_back(*fields);
    return out;
}

// A plugin built against ABI 1.0 or 1.1 has no vtable slots for the methods
// 1.2 added: its objects are wrapped, so that the rest of berth calls every
// method of the current interface and gets the old behaviour for the new
// ones (any resources; no unit properties; no option list).
class OlderAbiSubsystem final : public CgroupSubsystem {
public:
    OlderAbiSubsystem(std::string plugin, PluginObject<CgroupSubsystem> inner)
        : plugin_(std::move(plugin)), inner_(std::move(inner)) {}
    const char* controller() const noexcept override { return inner_->controller(); }
    const char* v1_controller() const noexcept override { return inner_->v1_controller(); }
    bool wants(const Resources& r) const noexcept override { return inner_->wants(r); }
    Status validate(const Resources& r) const noexcept override { return inner_->validate(r); }
    Status apply_v2(const CgroupDir& d, const Resources& r) noexcept override { return inner_->apply_v2(d, r); }
    Status apply_v1(const CgroupDir& d, const Resources& r) noexcept override { return inner_->apply_v1(d, r); }
    Status stats(const CgroupDir& d, bool v2, CgroupStats* out) const noexcept override {
        return inner_->stats(d, v2, out);
    }
    Status unit_properties(const Resources& r, UnitProperties*) const noexcept override {
        // Not silently: its values reach the unit's cgroup as files only.
        if (inner_->wants(r))
            log_warning("plugin \"" + plugin_ +
                        "\" (built against plugin ABI 1.1 or older) gives systemd no unit "
                        "properties: its values are only written as files, which a systemd daemon-reload may reset");
        return Status::Ok();
    }

private:
    std::string plugin_;
    PluginObject<CgroupSubsystem> inner_;
};

class OlderAbiHandler final : public MountHandler {
public:
    explicit OlderAbiHandler(PluginObject<MountHandler> inner) : inner_(std::move(inner)) {}
    std::vector<std::string> types() const noexcept override { return inner_->types(); }
    Status validate(const MountRequest& req) const noexcept override { return inner_->validate(req); }
    Status mount(const MountRequest& req) noexcept override { return inner_->mount(req); }

private:
    PluginObject<MountHandler> inner_;
};

template <typename T>
void destroy_host_object(T* object) {
    delete object;
}

// Stands in for an active subsystem plugin that this container does not
// need: the manager plans its hierarchy as for the real one; it wants nothing.
class InertSubsystem final : public CgroupSubsystem {
public:
    InertSubsystem(std::string controller, std::string v1) : controller_(std::move(controller)), v1_(std::move(v1)) {}
    const char* controller() const noexcept override { return controller_.c_str(); }
    const char* v1_controller() const noexcept override { return v1_.c_str(); }
    bool wants(const Resources&) const noexcept override { return false; }
    Status validate(const Resources&) const noexcept override { return Status::Ok(); }
    Status apply_v2(const CgroupDir&, const Resources&) noexcept override { return Status::Ok(); }
    Status apply_v1(const CgroupDir&, const Resources&) noexcept override { return Status::Ok(); }
    Status stats(const CgroupDir&, bool, CgroupStats*) const noexcept override { return Status::Ok(); }

private:
    std::string controller_, v1_;
};

// One load's ownership checks. A create looks at every configured plugin
// (12 in-tree) twice and opens some: checking each file's chain of
// directories each time cost about 440 system calls per create, for the
// same few directories. A directory found trusted stays so for the load:
// only its trusted owners can change it, which is what was checked.
class TrustCheck {
public:
    struct File {
        std::string real;  // the resolved path, what dlopen gets
        struct stat st;    // of `real`, for the index's file identity
    };

    explicit TrustCheck(const std::vector<uid_t>& owners) : owners_(owners) {}

    const File& file(const std::string& path) {
        if (auto it = files_.find(path); it != files_.end()) return it->second;
        File f;
        f.real = resolve(path, f.st);
        check_owner_and_mode(f.st, f.real, "file", owners_);
        const std::filesystem::path dir = std::filesystem::path(f.real).parent_path();
        check_dir(dir.string(), false);
        // Every directory above must be a trusted owner's too: whoever can
        // rename one of them can swap the plugin between this check and dlopen.
        for (auto d = dir.parent_path(); d != dir; d = d.parent_path()) {
            check_dir(d.string(), true);
            if (d == d.root_path()) break;
        }
        return files_.emplace(path, std::move(f)).first->second;
    }

private:
    // Symlinks are resolved so that what is checked is what gets mapped. The
    // directory's resolution is shared by the plugins in it; a file name
    // that is itself a link (or a dot name) is resolved whole. `st` gets
    // the resolved file's stat.
    std::string resolve(const std::string& path, struct stat& st) {
        const std::filesystem::path p(path);
        const std::string name = p.filename().string();
        std::error_code ec;
        if (!name.empty() && name != "." && name != ".." && p.has_parent_path()) {
            const std::string parent = p.parent_path().string();
            auto it = real_dirs_.find(parent);
            if (it == real_dirs_.end()) {
                auto real = std::filesystem::canonical(p.parent_path(), ec);
                if (ec) throw_sys(ec.value(), "plugin", path);
                it = real_dirs_.emplace(parent, real.string()).first;
            }
            const std::string joined = (it->second == "/" ? "" : it->second) + "/" + name;
            if (::lstat(joined.c_str(), &st) < 0) throw_errno("plugin", path);
            if (!S_ISLNK(st.st_mode)) return joined;
        }
        auto real = std::filesystem::canonical(p, ec);
        if (ec) throw_sys(ec.value(), "plugin", path);
        if (::stat(real.c_str(), &st) < 0) throw_errno("stat", real.string());
        return real.string();
    }

    // Remembered only once it passed: a refusal swallowed by one look (the
    // index pass) must be met again by the next.
    void check_dir(const std::string& dir, bool sticky_ok) {
        if (checked_dirs_.count({dir, sticky_ok})) return;
        struct stat sb;
        if (::stat(dir.c_str(), &sb) < 0) throw_errno("stat", dir);
        check_owner_and_mode(sb, dir, "directory", owners_, sticky_ok);
        checked_dirs_.insert({dir, sticky_ok});
    }

    const std::vector<uid_t>& owners_;
    std::map<std::string, File> files_;
    std::map<std::string, std::string> real_dirs_;
    std::set<std::pair<std::string, bool>> checked_dirs_;
};

LoadedPlugin open_checked_plugin(const std::string& real);

}  // namespace

std::string check_trusted_path(const std::string& path, const std::vector<uid_t>& owners) {
    TrustCheck check(owners);
    return check.file(path).real;
}

LoadedPlugin open_plugin(const std::string& path, const std::vector<uid_t>& owners) {
    // The resolved, checked path is what dlopen gets; only its trusted
    // owners can change the directories on it (checked above), so it cannot
    // be swapped after.
    return open_checked_plugin(check_trusted_path(path, owners));
}

namespace {

LoadedPlugin open_checked_plugin(const std::string& real) {
    LoadedPlugin p;
    p.path = real;
    try {
        p.library = std::make_shared<boost::dll::shared_library>(
            p.path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        throw Error("cannot load plugin " + p.path + ": " + e.what());
    }
    if (!p.library->has(BERTH_PLUGIN_SYMBOL))
        throw Error("plugin " + p.path + ": no " BERTH_PLUGIN_SYMBOL " symbol (not built with BERTH_PLUGIN?)");
    p.descriptor = &p.library->get_alias<const PluginDescriptor>(BERTH_PLUGIN_SYMBOL);
    const PluginDescriptor& d = *p.descriptor;
    p.name = d.name ? d.name : "";
    const std::string who = "plugin \"" + p.name + "\" (" + p.path + ")";
    if (d.abi_major != BERTH_ABI_MAJOR || d.abi_minor > BERTH_ABI_MINOR)
        throw Error(who + ": plugin ABI " + std::to_string(d.abi_major) + "." + std::to_string(d.abi_minor) +
                    " is not supported by berth ABI " + std::to_string(BERTH_ABI_MAJOR) + "." +
                    std::to_string(BERTH_ABI_MINOR));
    if (p.name.empty()) throw Error("plugin " + p.path + ": descriptor has no name");
    // std::string, vector and map cross the boundary by reference: a plugin
    // compiled against another standard library, string ABI or debug mode
    // would pass the version check and then misread every one of them.
    if (d.abi_minor >= 2) {
        const std::string tag = d.cxx_abi ? d.cxx_abi : "";
        if (tag != BERTH_CXX_ABI_TAG)
            throw Error(who + ": built for the C++ ABI \"" + tag +
                        "\", berth for \"" BERTH_CXX_ABI_TAG
                        "\" (the standard library, its string ABI and debug mode must match: "
                        "docs/plugin-abi.md)");
    }
    if ((d.kinds & kCgroupSubsystem) && (!d.create_cgroup_subsystem || !d.destroy_cgroup_subsystem))
        throw Error(who + ": a cgroup subsystem plugin needs create_cgroup_subsystem and destroy_cgroup_subsystem");
    if ((d.kinds & kMountHandler) && (!d.create_mount_handler || !d.destroy_mount_handler))
        throw Error(who + ": a mount handler plugin needs create_mount_handler and destroy_mount_handler");
    if (d.kinds & kCheckpointer) {
        // The fields exist only in a 1.3 descriptor: an older one with the
        // bit set is read no further.
        if (d.abi_minor < 3)
            throw Error(who + ": a checkpoint plugin needs plugin ABI 1.3 or newer (it says " +
                        std::to_string(d.abi_major) + "." + std::to_string(d.abi_minor) + ")");
        if (!d.create_checkpoint_engine || !d.destroy_checkpoint_engine)
            throw Error(who + ": a checkpoint plugin needs create_checkpoint_engine and destroy_checkpoint_engine");
    }
    if ((d.kinds & (kCgroupSubsystem | kMountHandler | kCheckpointer)) == 0)
        throw Error(who + ": descriptor names no known kind");
    return p;
}

}  // namespace

std::string find_plugin_file(const PluginEntry& e, const PluginConfig& cfg) {
    return resolve_plugin_file(e, search_dirs(cfg));
}

PluginRegistry PluginRegistry::load(const PluginConfig& cfg, const std::vector<std::string>& only,
                                    const PluginLoadOptions& options) {
    PluginRegistry reg;
    const auto dirs = search_dirs(cfg);
    PluginIndex index(options.demand ? options.index_path : std::string());
    TrustCheck trust(cfg.trusted_owners);
    // Owned from here on (destroyed with the registry, even when the check
    // throws); one plugin per controller, loaded or skipped alike.
    auto add_subsystem = [&reg](const std::string& plugin, CgroupSubsystem* s, void (*destroy)(CgroupSubsystem*),
                                std::shared_ptr<boost::dll::shared_library> library) {
        reg.subsystems_.emplace_back(s, destroy, std::move(library));
        for (auto& other : reg.subsystems_)
            if (other.get() != s && std::string(other->controller()) == s->controller())
                throw Error("plugin \"" + plugin + "\": a plugin for cgroup controller \"" + s->controller() +
                            "\" is already loaded");
    };
    for (const std::string& name : only) {
        bool known = false;
        for (const PluginEntry& e : cfg.plugins) known |= e.name == name;
        if (!known) throw Error("--plugins: unknown plugin \"" + name + "\" (not in " + cfg.source + ")");
    }
    auto selected = [&](const PluginEntry& e) {
        return only.empty() ? e.enabled : std::find(only.begin(), only.end(), e.name) != only.end();
    };
    // A demanded field that no recorded plugin declares may be served by one
    // berth has not recorded yet: every plugin is loaded then, as for
    // resources that do not parse. (The loop below reports a plugin file
    // that cannot be checked.)
    PluginDemand load_all;
    const PluginDemand* demand = options.demand;
    if (demand && !demand->everything) {
        std::set<std::string> declared;
        for (const PluginEntry& e : cfg.plugins) {
            if (!selected(e)) continue;
            try {
                const TrustCheck::File& f = trust.file(resolve_plugin_file(e, dirs));
                if (const nlohmann::json* rec = index.find(f.real, file_identity(f.st, e)))
                    if (auto fields = recorded_fields(*rec)) declared.insert(fields->begin(), fields->end());
            } catch (const Error&) {
            }
        }
        if (const auto missing = unserved_fields(*demand, declared); !missing.empty()) {
            log_debug("plugins: no recorded plugin declares linux.resources." + *missing.begin() +
                      ": every plugin is loaded");
            load_all = *demand;
            load_all.everything = true;
            demand = &load_all;
        }
    }
    for (const PluginEntry& e : cfg.plugins) {
        if (!selected(e)) continue;
        const auto started = std::chrono::steady_clock::now();
        for (const LoadedPlugin& loaded : reg.plugins_)
            if (loaded.name == e.name) throw Error(cfg.source + ": duplicate plugin \"" + e.name + "\"");
        const std::string file = resolve_plugin_file(e, dirs);
        nlohmann::json identity;
        if (options.demand) {
            // The same checks as for a plugin that is loaded: an untrusted
            // file stops create whether or not this container needs it.
            const TrustCheck::File& f = trust.file(file);
            const std::string& real = f.real;
            identity = file_identity(f.st, e);
            const nlohmann::json* rec = index.find(real, identity);
            if (rec && only_checkpointer(rec->value("kinds", 0u)) && !options.checkpointer) continue;
            if (rec && !needed(*rec, *demand)) {
                if (rec->value("kinds", 0u) & kCgroupSubsystem)
                    add_subsystem(e.name,
                                  new InertSubsystem(rec->value("controller", ""), rec->value("v1_controller", "")),
                                  &destroy_host_object<CgroupSubsystem>, nullptr);
                log_debug("plugin \"" + e.name + "\" not loaded: this container does not need it");
                LoadedPlugin skipped;
                skipped.name = e.name;
                skipped.path = real;
                reg.plugins_.push_back(std::move(skipped));
                continue;
            }
        }
        LoadedPlugin p = open_checked_plugin(trust.file(file).real);
        const PluginDescriptor& d = *p.descriptor;
        if (p.name != e.name)
            throw Error(cfg.source + ": plugin \"" + e.name + "\" names " + p.path + ", whose descriptor says \"" +
                        p.name + "\"");
        // A checkpoint engine serves only checkpoint and restore: for any
        // other verb it is neither configured nor active (so state.json and
        // update never name it); its record keeps the next create from
        // opening it at all.
        if (only_checkpointer(d.kinds) && !options.checkpointer) {
            if (options.demand) index.record(p.path, {{"identity", identity}, {"kinds", d.kinds}});
            continue;
        }
        if (d.configure) {
            Status st = d.configure(e.settings);
            if (!st.ok()) throw Error(cfg.source + ": plugin \"" + e.name + "\" settings: " + st.message, st.err);
        } else if (!e.settings.empty()) {
            throw Error(cfg.source + ": plugin \"" + e.name + "\" settings: the plugin takes no settings (got \"" +
                        e.settings.begin()->first + "\")");
        }
        nlohmann::json record = {{"identity", identity}, {"kinds", d.kinds}};
        if (d.kinds & kCgroupSubsystem) {
            CgroupSubsystem* s = d.create_cgroup_subsystem();
            if (!s)
                throw Error("plugin \"" + e.name +
                            "\": create_cgroup_subsystem returned null (its constructor failed or memory ran out)");
            if (d.abi_minor >= 2) {
                add_subsystem(e.name, s, d.destroy_cgroup_subsystem, p.library);
            } else {
                PluginObject<CgroupSubsystem> inner(s, d.destroy_cgroup_subsystem, p.library);
                s = new OlderAbiSubsystem(e.name, std::move(inner));
                add_subsystem(e.name, s, &destroy_host_object<CgroupSubsystem>, nullptr);
            }
            if (!*s->controller()) throw Error("plugin \"" + e.name + "\": its subsystem names no controller");
            record["controller"] = s->controller();
            record["v1_controller"] = s->v1_controller();
            record["fields"] = declared_fields(*s);
        }
        if (d.kinds & kMountHandler) {
            MountHandler* h = d.create_mount_handler();
            if (!h)
                throw Error("plugin \"" + e.name +
                            "\": create_mount_handler returned null (its constructor failed or memory ran out)");
            if (d.abi_minor >= 2) {
                reg.handlers_.emplace_back(h, d.destroy_mount_handler, p.library);
            } else {
                PluginObject<MountHandler> inner(h, d.destroy_mount_handler, p.library);
                h = new OlderAbiHandler(std::move(inner));
                reg.handlers_.emplace_back(h, &destroy_host_object<MountHandler>, nullptr);
            }
            const std::vector<std::string> types = h->types();
            if (types.empty()) throw Error("plugin \"" + e.name + "\": its mount handler serves no mount type");
            for (const std::string& t : types) {
                if (reg.by_type_.count(t))
                    throw Error("plugin \"" + e.name + "\": mount type \"" + t +
                                "\" is already handled by another plugin");
                reg.by_type_[t] = h;
                reg.minor_by_type_[t] = d.abi_minor;
            }
        }
        if ((d.kinds & kCheckpointer) && options.checkpointer) {
            if (!reg.engines_.empty())
                throw Error("plugin \"" + e.name + "\": a checkpoint plugin (\"" + reg.engine_plugin_ +
                            "\") is already loaded: enable one");
            CheckpointEngine* engine = d.create_checkpoint_engine();
            if (!engine)
                throw Error("plugin \"" + e.name +
                            "\": create_checkpoint_engine returned null (its constructor failed or memory ran out)");
            reg.engines_.emplace_back(engine, d.destroy_checkpoint_engine, p.library);
            reg.engine_plugin_ = e.name;
        }
        log_debug("plugin \"" + e.name + "\" loaded from " + p.path + " in " +
                  std::to_string(
                      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count()) +
                  " us");
        if (options.demand) index.record(p.path, std::move(record));
        reg.plugins_.push_back(std::move(p));
    }
    index.save();
    return reg;
}

std::vector<CgroupSubsystem*> PluginRegistry::cgroup_subsystems() const {
    std::vector<CgroupSubsystem*> out;
    for (auto& s : subsystems_) out.push_back(s.get());
    return out;
}

CheckpointEngine* PluginRegistry::checkpoint_engine() const {
    return engines_.empty() ? nullptr : engines_.front().get();
}

MountHandler* PluginRegistry::mount_handler(const std::string& type) const {
    auto it = by_type_.find(type);
    return it == by_type_.end() ? nullptr : it->second;
}

uint32_t PluginRegistry::mount_handler_abi_minor(const std::string& type) const {
    auto it = minor_by_type_.find(type);
    return it == minor_by_type_.end() ? 0 : it->second;
}

}  // namespace berth
