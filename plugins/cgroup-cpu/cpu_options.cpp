#include "cpu_options.hpp"

#include <cerrno>
#include <string>

namespace berth::plugins::cpu {
namespace {

template <typename T>
std::optional<T> unless_zero(const std::optional<T>& v) {
    return v.value_or(0) != 0 ? v : std::nullopt;
}

}  // namespace

Status cpu_options(const Resources& r, CpuOptions* out) {
    *out = CpuOptions{};
    if (!r.cpu_extras) return Status::Ok();
    const CpuExtras& x = *r.cpu_extras;
    out->realtime_runtime = unless_zero(x.realtime_runtime);
    out->realtime_period = unless_zero(x.realtime_period);
    out->idle = unless_zero(x.idle);
    out->burst = unless_zero(x.burst);
    if (out->idle && *out->idle != 1)
        return Status::Error(
            EINVAL, std::string("linux.resources.cpu.idle: ") + std::to_string(*out->idle) + " is out of range [0, 1]");
    return Status::Ok();
}

}  // namespace berth::plugins::cpu
