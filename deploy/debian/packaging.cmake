# The Debian package (tools/package, docs/operations.md "Install from the Debian package"): what
# `cpack -G DEB` in a build dir puts where, from the binaries that build dir already holds.
# Included by the root CMakeLists.txt; the files it ships live beside it and in deploy/systemd/.

# cpack installs what is built, and builds nothing: the package test packages CI's build dir
# without compiling the rest of it again, tools/package builds the two binaries first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# Paths below are relative to CPack's prefix, /usr; the unit and /etc/default are absolute, as
# Debian bookworm puts them (systemd units in /lib, not /usr/lib, before the /usr move).
install(TARGETS progressd progressctl RUNTIME DESTINATION bin)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/../systemd/progressd.service DESTINATION /lib/systemd/system)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/default DESTINATION /etc/default RENAME progressd)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/copyright DESTINATION share/doc/progressd)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/lintian-overrides DESTINATION share/lintian/overrides RENAME progressd)

# One version for both: the one `progressd --version` prints (server/config.cpp). The package
# test checks the two agree, so a change there that this misses fails in CI.
file(STRINGS ${PROJECT_SOURCE_DIR}/server/config.cpp version_line REGEX "set_version_flag" LIMIT_COUNT 1)
if(version_line MATCHES "progressd ([0-9]+\\.[0-9]+\\.[0-9]+)")
  set(PROGRESSD_VERSION ${CMAKE_MATCH_1})
else()
  message(WARNING "packaging: no version found in server/config.cpp; the package says 0.0.0")
  set(PROGRESSD_VERSION 0.0.0)
endif()
set(PROGRESSD_DEB_MAINTAINER "progressd maintainers <maintainers@users.noreply.h-seed-f91c8e1f.example>"
  CACHE STRING "the Debian package's Maintainer field")

# The changelog Debian requires: one entry for this version, dated when configured (or at
# SOURCE_DATE_EPOCH, for a reproducible package).
set(PROGRESSD_DEB_VERSION ${PROGRESSD_VERSION}-1)
string(TIMESTAMP PROGRESSD_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${CMAKE_CURRENT_LIST_DIR}/changelog.in ${CMAKE_BINARY_DIR}/debian/changelog @ONLY)
# Man pages need the built binaries: made at install time, which is when cpack runs.
install(CODE "execute_process(COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/make_docs.sh
    $<TARGET_FILE_DIR:progressd>:$<TARGET_FILE_DIR:progressctl> ${PROGRESSD_VERSION} ${CMAKE_BINARY_DIR}/debian/changelog
    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}\" COMMAND_ERROR_IS_FATAL ANY)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME progressd)
set(CPACK_PACKAGE_VERSION ${PROGRESSD_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${PROGRESSD_DEB_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "progress-tracking HTTP server for video and learning platforms")
set(CPACK_PACKAGE_DESCRIPTION "Players send progressd a flood of tiny progress pings (user U is at 312 s
of lesson L); apps read progress back per content and per user. One process
keeps progress in memory and persists it to LMDB, or runs as a node of a
cluster on PostgreSQL. It serves a native API and the progress APIs of
Skilljar, Sunbird, Education and Musora.
.
This package runs it as the systemd service progressd.service, configured in
/etc/default/progressd, and ships progressctl, which mints tokens and takes
hot backups.")
# Depends from what the binaries link (dpkg-shlibdeps, from dpkg-dev): libssl3, liblmdb0, libpq5…
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Stripped: the build keeps its debug info; lintian rejects unstripped binaries in a package.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_CURRENT_LIST_DIR}/conffiles ${CMAKE_CURRENT_LIST_DIR}/postinst
  ${CMAKE_CURRENT_LIST_DIR}/prerm ${CMAKE_CURRENT_LIST_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
  GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
include(CPack)
