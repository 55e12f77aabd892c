# Writes ${CMAKE_CURRENT_BINARY_DIR}/ops/build_info.cpp (progressd_build_info): the project's
# version, the commit checked out when CMake configured (a later commit shows after the next
# configure), the compiler. configure_file leaves the file alone when nothing changed, so a
# reconfigure does not rebuild it.
# The version: CMake's project version when project() sets one, else the one `progressd --version`
# prints (server/config.cpp), which the Debian package reads too.
set(PROGRESSD_BUILD_VERSION "${PROJECT_VERSION}")
if(NOT PROGRESSD_BUILD_VERSION)
  file(STRINGS ${PROJECT_SOURCE_DIR}/server/config.cpp version_line REGEX "set_version_flag" LIMIT_COUNT 1)
  if(version_line MATCHES "progressd ([0-9]+\\.[0-9]+\\.[0-9]+)")
    set(PROGRESSD_BUILD_VERSION ${CMAKE_MATCH_1})
  else()
    set(PROGRESSD_BUILD_VERSION "unknown")
  endif()
endif()
set(PROGRESSD_BUILD_COMMIT "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
                  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                  OUTPUT_VARIABLE git_commit OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE git_result ERROR_QUIET)
  if(git_result EQUAL 0 AND git_commit MATCHES "^[0-9a-f]+$")
    set(PROGRESSD_BUILD_COMMIT "${git_commit}")
  endif()
endif()
set(PROGRESSD_BUILD_COMPILER "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/build_info.cpp.in ${CMAKE_CURRENT_BINARY_DIR}/ops/build_info.cpp @ONLY)
