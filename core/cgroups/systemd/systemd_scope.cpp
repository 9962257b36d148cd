#include "cgroups/systemd/systemd_scope.hpp"

#include <dlfcn.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include <cstring>
#include <map>
#include <type_traits>

#include "errors/error.hpp"

namespace berth::systemd {

namespace {

// The sd-bus functions we use, one list for the table and its loader.
#define BERTH_SD_FUNCTIONS(X)         \
    X(sd_bus_open_system)             \
    X(sd_bus_flush_close_unref)       \
    X(sd_bus_message_new_method_call) \
    X(sd_bus_message_append)          \
    X(sd_bus_message_append_array)    \
    X(sd_bus_message_open_container)  \
    X(sd_bus_message_close_container) \
    X(sd_bus_message_read)            \
    X(sd_bus_message_unref)           \
    X(sd_bus_call)                    \
    X(sd_bus_match_signal)            \
    X(sd_bus_slot_unref)              \
    X(sd_bus_process)                 \
    X(sd_bus_wait)                    \
    X(sd_bus_error_free)              \
    X(sd_bus_error_has_name)

// The sd-bus functions we use, resolved from libsystemd.so.0 on first use.
// The header gives their exact types; nothing is linked.
struct SdBus {
#define BERTH_SD(fn) decltype(&::fn) fn = nullptr;
    BERTH_SD_FUNCTIONS(BERTH_SD)
#undef BERTH_SD
};

const SdBus& sdbus() {
    static const SdBus table = [] {
        void* lib = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!lib)
            throw Error(std::string("--systemd-cgroup: cannot load libsystemd.so.0 (install libsystemd0): ") +
                        ::dlerror());
        SdBus t;
        auto load = [&](auto& fn, const char* name) {
            fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
            if (!fn)
                throw Error(std::string("--systemd-cgroup: libsystemd.so.0 has no ") + name + " (systemd too old)");
        };
#define BERTH_SD(fn) load(t.fn, #fn);
        BERTH_SD_FUNCTIONS(BERTH_SD)
#undef BERTH_SD
        return t;  // the library stays loaded for the process's life
    }();
    return table;
}

constexpr const char* kDest = "org.freedesktop.systemd1";
constexpr const char* kPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";
constexpr uint64_t kJobTimeoutUsec = 30 * 1000000ull;

// "systemd: WHAT: MESSAGE (org.freedesktop...Name)" of a failed call.
std::string bus_error_text(const std::string& what, const sd_bus_error& error, int r) {
    std::string msg = "systemd: " + what + ": " + (error.message ? error.message : strerror(-r));
    if (error.name) msg += std::string(" (") + error.name + ")";
    return msg;
}

void check(int r, const std::string& what) {
    if (r < 0) throw Error("systemd: " + what + ": " + std::string(strerror(-r)), -r);
}

// One connection to the system bus, with every JobRemoved seen recorded:
// the signal can come before the reply that names the job.
class Bus {
public:
    Bus() : sd_(sdbus()) {
        check(sd_.sd_bus_open_system(&bus_), "connecting to the system bus (is dbus running?)");
        int r = sd_.sd_bus_match_signal(bus_, &slot_, kDest, kPath, kManager, "JobRemoved", &Bus::on_job_removed, this);
        if (r < 0) {
            sd_.sd_bus_flush_close_unref(bus_);
            check(r, "subscribing to JobRemoved");
        }
    }
    ~Bus() {
        sd_.sd_bus_slot_unref(slot_);
        sd_.sd_bus_flush_close_unref(bus_);
    }
    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;

    const SdBus& sd() const { return sd_; }
    sd_bus* get() const { return bus_; }

    sd_bus_message* new_call(const char* method) {
        sd_bus_message* m = nullptr;
        check(sd_.sd_bus_message_new_method_call(bus_, &m, kDest, kPath, kManager, method), method);
        return m;
    }

    // Sends m (and unrefs it); returns the job path of the reply. On a D-Bus
    // error: nullopt-like "" when its name is `tolerated`, else throws.
    std::string call_for_job(sd_bus_message* m, const std::string& what, const char* tolerated = nullptr) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message* reply = nullptr;
        int r = sd_.sd_bus_call(bus_, m, kJobTimeoutUsec, &error, &reply);
        sd_.sd_bus_message_unref(m);
        if (r < 0) {
            const bool ok = tolerated && sd_.sd_bus_error_has_name(&error, tolerated);
            std::string msg = bus_error_text(what, error, r);
            sd_.sd_bus_error_free(&error);
            if (ok) return "";
            throw Error(msg, -r);
        }
        const char* job = nullptr;
        r = sd_.sd_bus_message_read(reply, "o", &job);
        std::string path = r >= 0 && job ? job : "";
        sd_.sd_bus_message_unref(reply);
        check(r, what + ": reading the job path");
        return path;
    }

    // Waits for the JobRemoved of `job`; returns its result ("done" on success).
    std::string wait_job(const std::string& job, const std::string& what) {
        timespec t0{};
        ::clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            if (auto it = removed_.find(job); it != removed_.end()) return it->second;
            int r = sd_.sd_bus_process(bus_, nullptr);
            check(r, what + ": reading the bus");
            if (r > 0) continue;
            timespec now{};
            ::clock_gettime(CLOCK_MONOTONIC, &now);
            const uint64_t spent =
                static_cast<uint64_t>(now.tv_sec - t0.tv_sec) * 1000000 + (now.tv_nsec - t0.tv_nsec) / 1000;
            if (spent >= kJobTimeoutUsec)
                throw Error("systemd: " + what + ": job " + job + " did not finish in 30 s", ETIMEDOUT);
            check(sd_.sd_bus_wait(bus_, kJobTimeoutUsec - spent), what + ": waiting on the bus");
        }
    }

private:
    static int on_job_removed(sd_bus_message* m, void* self, sd_bus_error*) {
        auto* bus = static_cast<Bus*>(self);
        uint32_t id = 0;
        const char *job = nullptr, *unit = nullptr, *result = nullptr;
        if (bus->sd_.sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) >= 0 && job && result)
            bus->removed_[job] = result;
        return 0;
    }

    const SdBus& sd_;
    sd_bus* bus_ = nullptr;
    sd_bus_slot* slot_ = nullptr;
    std::map<std::string, std::string> removed_;
};

void append_property(const SdBus& sd, sd_bus_message* m, const Property& p) {
    const std::string what = "property " + p.name;
    if (auto* v = std::get_if<uint64_t>(&p.value)) {
        check(sd.sd_bus_message_append(m, "(sv)", p.name.c_str(), "t", *v), what);
    } else if (auto* b = std::get_if<bool>(&p.value)) {
        check(sd.sd_bus_message_append(m, "(sv)", p.name.c_str(), "b", static_cast<int>(*b)), what);
    } else if (auto* s = std::get_if<std::string>(&p.value)) {
        check(sd.sd_bus_message_append(m, "(sv)", p.name.c_str(), "s", s->c_str()), what);
    } else if (auto* bytes = std::get_if<std::vector<uint8_t>>(&p.value)) {
        check(sd.sd_bus_message_open_container(m, 'r', "sv"), what);
        check(sd.sd_bus_message_append(m, "s", p.name.c_str()), what);
        check(sd.sd_bus_message_open_container(m, 'v', "ay"), what);
        check(sd.sd_bus_message_append_array(m, 'y', bytes->data(), bytes->size()), what);
        check(sd.sd_bus_message_close_container(m), what);
        check(sd.sd_bus_message_close_container(m), what);
    }
}

void reset_failed_on(Bus& bus, const std::string& unit) {
    const SdBus& sd = bus.sd();
    sd_bus_message* reset = bus.new_call("ResetFailedUnit");
    if (sd.sd_bus_message_append(reset, "s", unit.c_str()) < 0) {
        sd.sd_bus_message_unref(reset);
        return;
    }
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd.sd_bus_call(bus.get(), reset, kJobTimeoutUsec, &error, nullptr);
    sd.sd_bus_error_free(&error);
    sd.sd_bus_message_unref(reset);
}

}  // namespace

SystemdScope SystemdScope::start(const UnitPlacement& placement, pid_t pid, const std::vector<Property>& resources,
                                 const std::string& description) {
    const std::string suffix = ".scope";
    if (placement.unit.size() <= suffix.size() ||
        placement.unit.compare(placement.unit.size() - suffix.size(), suffix.size(), suffix) != 0)
        throw Error("linux.cgroupsPath: \"" + placement.unit +
                    "\": a container of its own slice is not supported by berth's systemd driver yet; name a scope "
                    "(slice:prefix:name)");
    Bus bus;
    const SdBus& sd = bus.sd();
    const std::string what = "StartTransientUnit " + placement.unit;
    sd_bus_message* m = bus.new_call("StartTransientUnit");
    try {
        check(sd.sd_bus_message_append(m, "ss", placement.unit.c_str(), "replace"), what);
        check(sd.sd_bus_message_open_container(m, 'a', "(sv)"), what);
        std::vector<Property> props = {
            {"Description", description},
            {"Slice", placement.slice},
            {"Delegate", true},
            // Not ordered against shutdown.target and friends: a container
            // scope must not block or be stopped by unrelated transactions.
            {"DefaultDependencies", false},
            {"MemoryAccounting", true},
            {"CPUAccounting", true},
            {"IOAccounting", true},
            {"TasksAccounting", true},
        };
        props.insert(props.end(), resources.begin(), resources.end());
        for (const Property& p : props) append_property(sd, m, p);
        check(sd.sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, static_cast<uint32_t>(pid)), what);
        check(sd.sd_bus_message_close_container(m), what);
        check(sd.sd_bus_message_append(m, "a(sa(sv))", 0), what);
    } catch (...) {
        sd.sd_bus_message_unref(m);
        throw;
    }
    const std::string job = bus.call_for_job(m, what);
    SystemdScope scope(placement.unit);  // from here on a failure stops the unit
    const std::string result = bus.wait_job(job, what);
    if (result != "done") throw Error("systemd: " + what + ": the start job ended with \"" + result + "\"");
    return scope;
}

SystemdScope::~SystemdScope() {
    if (unit_.empty()) return;
    try {
        stop(unit_);
    } catch (...) {
        // Best effort while unwinding: the caller reports the first error.
    }
}

void SystemdScope::stop(const std::string& unit) {
    Bus bus;
    const SdBus& sd = bus.sd();
    const std::string what = "StopUnit " + unit;
    sd_bus_message* m = bus.new_call("StopUnit");
    if (int r = sd.sd_bus_message_append(m, "ss", unit.c_str(), "replace"); r < 0) {
        sd.sd_bus_message_unref(m);
        check(r, what);
    }
    const std::string job = bus.call_for_job(m, what, "org.freedesktop.systemd1.NoSuchUnit");
    if (!job.empty()) {
        const std::string result = bus.wait_job(job, what);
        if (result != "done" && result != "canceled")
            throw Error("systemd: " + what + ": the stop job ended with \"" + result + "\"");
    }
    // A scope whose processes were killed may be left "failed": clear it.
    reset_failed_on(bus, unit);
}

void SystemdScope::reset_failed(const std::string& unit) noexcept {
    try {
        Bus bus;
        reset_failed_on(bus, unit);
    } catch (...) {
        // Only a listed failed unit is left.
    }
}

void SystemdScope::set_properties(const std::string& unit, const std::vector<Property>& resources) {
    if (resources.empty()) return;
    Bus bus;
    const SdBus& sd = bus.sd();
    const std::string what = "SetUnitProperties " + unit;
    sd_bus_message* m = bus.new_call("SetUnitProperties");
    try {
        // runtime=true: the values live in /run, as the unit itself does.
        check(sd.sd_bus_message_append(m, "sb", unit.c_str(), 1), what);
        check(sd.sd_bus_message_open_container(m, 'a', "(sv)"), what);
        for (const Property& p : resources) append_property(sd, m, p);
        check(sd.sd_bus_message_close_container(m), what);
    } catch (...) {
        sd.sd_bus_message_unref(m);
        throw;
    }
    sd_bus_error error = SD_BUS_ERROR_NULL;
    int r = sd.sd_bus_call(bus.get(), m, kJobTimeoutUsec, &error, nullptr);
    sd.sd_bus_message_unref(m);
    if (r < 0) {
        std::string msg = bus_error_text(what, error, r);
        sd.sd_bus_error_free(&error);
        throw Error(msg, -r);
    }
}

}  // namespace berth::systemd
