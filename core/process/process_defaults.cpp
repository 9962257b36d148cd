#include "process/process_defaults.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <sstream>

#include "errors/error.hpp"
#include "util/files.hpp"

namespace berth {

std::optional<std::string> home_from_passwd(const std::string& passwd, uint32_t uid) {
    std::istringstream in(passwd);
    std::string line;
    const std::string want = std::to_string(uid);
    while (std::getline(in, line)) {
        // name:password:uid:gid:gecos:home:shell
        std::vector<std::string> f;
        size_t start = 0;
        for (size_t colon; (colon = line.find(':', start)) != std::string::npos; start = colon + 1)
            f.push_back(line.substr(start, colon - start));
        f.push_back(line.substr(start));
        if (f.size() < 7 || f[2] != want) continue;
        if (f[5].empty()) return std::nullopt;
        return f[5];
    }
    return std::nullopt;
}

std::vector<std::string> with_home(std::vector<std::string> env, uint32_t uid) {
    for (const auto& e : env)
        if (e.rfind("HOME=", 0) == 0) return env;
    std::optional<std::string> home;
    try {
        home = home_from_passwd(read_file("/etc/passwd"), uid);
    } catch (const Error&) {
        // No readable /etc/passwd in the image: runc falls back to "/" too.
    }
    env.push_back("HOME=" + home.value_or("/"));
    return env;
}

void make_cwd(const std::string& cwd) {
    struct stat sb;
    if (::stat(cwd.c_str(), &sb) == 0 || errno != ENOENT) return;  // chdir reports anything else
    try {
        make_dirs(cwd, 0755);
    } catch (const Error& e) {
        throw Error("process.cwd: create " + cwd + ": " + e.what(), e.err());
    }
}

}  // namespace berth
