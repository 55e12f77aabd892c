#pragma once
// What this binary is, for progressd_build_info: the project's version (CMake's project
// version), the git commit it was configured from ("unknown" outside a checkout) and the
// compiler. Defined in the build_info.cpp that CMake writes from build_info.cpp.in.

#include <string_view>

namespace progressd {

struct build_info {
    std::string_view version;
    std::string_view commit;
    std::string_view compiler;
};

build_info this_build();

}  // namespace progressd
