# Packaging.cmake - the tillsync .deb, built by CPack from the same build as
# the tests (included at the end of the top CMakeLists.txt).
#
#   cmake --build BUILD && (cd BUILD && cpack -G DEB)
#   -> BUILD/tillsync_<version>-<release>_<arch>.deb
#
# The architecture follows the compiler: amd64 natively, arm64 or armhf with
# a toolchain file from cross/. scripts/build-debs.sh builds all three and
# runs lintian on them.
#
# Contents:
#   /usr/bin/tillsync                        the agent (stripped)
#   /lib/systemd/system/tillsync.service     Type=notify unit with watchdog
#   /etc/tillsync/tillsync.json.sample       the first config (a conffile)
#   /usr/share/man/man8/tillsync.8.gz
#   /usr/share/doc/tillsync/                 copyright, changelog, firmware notes
# and maintainer scripts that create the tillsync system user,
# /var/lib/tillsync (0750) and /etc/tillsync (0750, root:tillsync).

set(TS_PKG_DIR ${CMAKE_CURRENT_LIST_DIR})
set(TS_PKG_BUILD ${CMAKE_BINARY_DIR}/packaging)
set(TS_DEB_RELEASE 1)
file(MAKE_DIRECTORY ${TS_PKG_BUILD})

# Debian's name for the target architecture, from the compiler's multiarch
# triplet (set by cross/*.cmake, detected by CMake for a native build).
if(CMAKE_LIBRARY_ARCHITECTURE STREQUAL "x86_64-linux-gnu")
    set(TS_DEB_ARCH amd64)
elseif(CMAKE_LIBRARY_ARCHITECTURE STREQUAL "aarch64-linux-gnu")
    set(TS_DEB_ARCH arm64)
elseif(CMAKE_LIBRARY_ARCHITECTURE STREQUAL "arm-linux-gnueabihf")
    set(TS_DEB_ARCH armhf)
else()
    set(TS_DEB_ARCH "")
    message(STATUS "Packaging: no Debian architecture for '${CMAKE_LIBRARY_ARCHITECTURE}', "
                   "no .deb from this build")
endif()

# The changelog's newest entry must name the version being packaged.
file(STRINGS ${TS_PKG_DIR}/changelog TS_CHANGELOG_HEAD LIMIT_COUNT 1)
if(NOT TS_CHANGELOG_HEAD MATCHES "^tillsync \\(${PROJECT_VERSION}-${TS_DEB_RELEASE}\\) ")
    message(WARNING "cross/packaging/changelog does not start with version "
                    "${PROJECT_VERSION}-${TS_DEB_RELEASE}: add an entry for it")
endif()

# Debian wants the changelog and man page gzipped with -9n (no time stamp,
# so the package is reproducible); done at configure time, again whenever
# the source changes.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${TS_PKG_DIR}/changelog ${TS_PKG_DIR}/tillsync.8)
set(TS_VERSION ${PROJECT_VERSION})
configure_file(${TS_PKG_DIR}/tillsync.8 ${TS_PKG_BUILD}/tillsync.8 @ONLY)
execute_process(COMMAND gzip -9nc ${TS_PKG_BUILD}/tillsync.8
                OUTPUT_FILE ${TS_PKG_BUILD}/tillsync.8.gz COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND gzip -9nc ${TS_PKG_DIR}/changelog
                OUTPUT_FILE ${TS_PKG_BUILD}/changelog.Debian.gz COMMAND_ERROR_IS_FATAL ANY)

# Absolute destinations: these paths are fixed by Debian and systemd, not
# relative to the install prefix (/usr in the package).
install(FILES ${TS_PKG_DIR}/tillsync.service DESTINATION /lib/systemd/system)
install(FILES ${TS_PKG_DIR}/tillsync.json.sample DESTINATION /etc/tillsync)
install(FILES ${TS_PKG_BUILD}/tillsync.8.gz DESTINATION share/man/man8)
install(FILES ${TS_PKG_DIR}/copyright ${TS_PKG_BUILD}/changelog.Debian.gz
        DESTINATION share/doc/tillsync)
install(FILES ${TS_PKG_DIR}/lintian-overrides DESTINATION share/lintian/overrides
        RENAME tillsync)
# What dh_strip does beyond CPack's plain strip: drop the compiler's
# .comment and .note sections (build-id stays).
if(CMAKE_STRIP)
    install(CODE "if(CMAKE_INSTALL_DO_STRIP)
        execute_process(COMMAND \"${CMAKE_STRIP}\" --remove-section=.comment --remove-section=.note
                        \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/bin/tillsync\" COMMAND_ERROR_IS_FATAL ANY)
    endif()")
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/firmware-notes/ DESTINATION share/doc/tillsync/firmware-notes
        FILES_MATCHING PATTERN "*.md")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tillsync)
set(CPACK_PACKAGE_VENDOR "The tillsync developers")
set(CPACK_PACKAGE_CONTACT "The tillsync developers <maintainers@tillsync.example>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "in-store edge sync agent for point-of-sale transactions")
# The extended description, wrapped as Debian wants it (under 80 columns).
set(CPACK_PACKAGE_DESCRIPTION [=[
tillsync runs beside the tills of a store, on a back-office box or an ARM
gateway. It stores every sale and return on disk (LMDB) before the till
hears that it is stored, and forwards them in order to the central
middleware over mutual TLS, through any outage of the link.
.
It keeps a copy of prices and stock from Odoo for the tills to look up
while the store is offline, and serves a status page for the store
manager, Prometheus metrics and a health check.]=])

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${TS_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${TS_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The shared libraries the binary needs, as Debian 12 names them, with the
# versions dpkg-shlibdeps gives for the amd64 build; the same holds for arm64
# and armhf (same library versions, same symbols). Listed rather than
# computed so that a cross build needs no dpkg-shlibdeps run against the
# target's libraries; scripts/build-debs.sh checks the list against
# dpkg-shlibdeps on the amd64 build. adduser and init-system-helpers: for
# the maintainer scripts.
set(TS_DEB_SHLIBS_DEPENDS
    "libc6 (>= 2.34), libcjson1 (>= 1.7.13), libcurl4 (>= 7.16.3), liblmdb0 (>= 0.9.7), libmbedcrypto7 (>= 2.28.0), libmbedtls14 (>= 2.28.0), libmbedx509-1 (>= 2.28.0), libuv1 (>= 1.4.2)"
    CACHE INTERNAL "Depends on shared libraries")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${TS_DEB_SHLIBS_DEPENDS}, adduser, init-system-helpers (>= 1.52)")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${TS_PKG_DIR}/conffiles ${TS_PKG_DIR}/postinst ${TS_PKG_DIR}/prerm ${TS_PKG_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
