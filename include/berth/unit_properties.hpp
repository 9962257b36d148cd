// The systemd unit properties a cgroup plugin yields for the systemd cgroup
// driver (ABI 1.2, CgroupSubsystem::unit_properties), and the header-only
// helpers to build them. Under that driver (cgroup v2) systemd owns the
// unit's cgroup: a value written only as a file would be put back by systemd
// at its next daemon-reload, so the driver asks systemd for these properties
// and the plugin then writes its files as usual.
#pragma once

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/status.hpp"

namespace berth {

struct UnitProperty {
    enum Type : uint32_t {
        kUint64 = 0,  // D-Bus "t": number
        kBytes = 1,   // D-Bus "ay": bytes, e.g. AllowedCPUs' bitmap
    };
    std::string name;  // systemd's name, e.g. "CPUWeight"
    Type type = kUint64;
    uint64_t number = 0;  // UINT64_MAX is systemd's "infinity"
    std::vector<uint8_t> bytes;

    bool operator==(const UnitProperty& o) const {
        return name == o.name && type == o.type && number == o.number && bytes == o.bytes;
    }
};

struct UnitProperties {
    std::vector<UnitProperty> values;
};

// systemd's "infinity" for a number property.
inline constexpr uint64_t kUnitInfinity = std::numeric_limits<uint64_t>::max();

// A cgroup v2 file's number as a property value: "max" is infinity; nullopt
// when the text is neither a decimal number nor "max".
inline std::optional<uint64_t> unit_number(std::string_view text) {
    if (text == "max") return kUnitInfinity;
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

// Adds `p`, replacing an earlier property of the same name: a plugin maps
// its structured fields first and its unified keys after, so that unified
// wins, as runc maps them.
inline void set_unit_property(UnitProperties* out, UnitProperty p) {
    for (UnitProperty& q : out->values)
        if (q.name == p.name) {
            q = std::move(p);
            return;
        }
    out->values.push_back(std::move(p));
}

inline UnitProperty unit_number_property(std::string name, uint64_t number) {
    UnitProperty p;
    p.name = std::move(name);
    p.number = number;
    return p;
}

// One cgroup v2 file whose value systemd takes as a number property.
struct UnifiedNumberKey {
    const char* file;      // "memory.high"
    const char* property;  // "MemoryHigh"
};

// The properties of the entries of `unified` (Resources::unified) that `keys`
// names, in that order; an entry that is neither a number nor "max" is an
// error naming linux.resources.unified["<file>"].
inline Status unified_number_properties(const std::map<std::string, std::string>& unified,
                                        std::initializer_list<UnifiedNumberKey> keys, UnitProperties* out) {
    for (const UnifiedNumberKey& k : keys) {
        const auto it = unified.find(k.file);
        if (it == unified.end()) continue;
        const auto n = unit_number(it->second);
        if (!n)
            return Status::Error(EINVAL, std::string("linux.resources.unified[\"") + k.file + "\"]: \"" + it->second +
                                             "\": want a number or \"max\"");
        set_unit_property(out, unit_number_property(k.property, *n));
    }
    return Status::Ok();
}

}  // namespace berth
