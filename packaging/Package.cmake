# The Debian package: `cpack -G DEB` in a build configured for it. Included last
# from the top-level CMakeLists.txt, after every install() rule.
#
# packaging/build-deb.sh configures such a build (prefix /usr, libdir lib, no
# source-tree fallback, no tests) and runs cpack; docs/operations.md tells the
# rest. One package, "vitals", holds every install component: the agent with its
# configuration and systemd unit, the shipped plugins, and the plugin SDK.

set(VITALS_DEB_RELEASE "1" CACHE STRING "Debian revision of the package (0.1.0-<this>)")
set(VITALS_DEB_MAINTAINER "Vitals maintainers <vitals@example.invalid>"
  CACHE STRING "Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vitals)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION} with Kubernetes probes and Prometheus metrics")
set(CPACK_PACKAGE_DESCRIPTION
  "vitalsd runs the checks declared in /etc/vitals/conf.d/*.toml on their own
schedules with checker plugins loaded through a stable C ABI (disk, memory,
load, processes, files, TCP, HTTP, DNS, TLS certificates, PostgreSQL, Redis,
AMQP, and any Nagios plugin), and serves the latest results over HTTP:
Kubernetes liveness, readiness and startup probes, JSON, and Prometheus
metrics.
.
This package also holds the plugin SDK (headers and a CMake package for
find_package(Vitals)) for building plugins out of tree.")
set(CPACK_PACKAGE_CONTACT "${VITALS_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${VITALS_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_RELEASE "${VITALS_DEB_RELEASE}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # vitals_0.1.0-1_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

# Depends: dpkg-shlibdeps (from dpkg-dev) reads the ELF files and names the library
# packages with their minimum versions; adduser is what postinst runs.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# 50-exec.toml runs check_procs; without it that one check reports "not found".
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "monitoring-plugins-basic")

# Stripped, as Debian ships binaries.
set(CPACK_STRIP_FILES ON)
# Install into the staging tree with DESTDIR: in the package's build, agent.toml, conf.d
# and the unit have absolute destinations (/etc, /lib/systemd/system), which only DESTDIR
# relocates.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")

# conffiles: every file installed under /etc, so upgrades keep local edits. The
# list follows conf.d (CONFIGURE_DEPENDS re-runs cmake when a drop-in is added);
# tests/packaging checks that it equals the package's /etc.
file(GLOB shipped_drop_ins CONFIGURE_DEPENDS RELATIVE "${PROJECT_SOURCE_DIR}/conf.d"
  "${PROJECT_SOURCE_DIR}/conf.d/*.toml")
list(SORT shipped_drop_ins)
set(conffiles "${VITALS_INSTALL_CONFIGDIR}/agent.toml\n")
foreach(drop_in IN LISTS shipped_drop_ins)
  string(APPEND conffiles "${VITALS_INSTALL_CONFIGDIR}/conf.d/${drop_in}\n")
endforeach()
set(debian_control_dir "${PROJECT_BINARY_DIR}/packaging/debian")
file(WRITE "${debian_control_dir}/conffiles" "${conffiles}")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${debian_control_dir}/conffiles"
  "${PROJECT_SOURCE_DIR}/packaging/debian/postinst"
  "${PROJECT_SOURCE_DIR}/packaging/debian/prerm"
  "${PROJECT_SOURCE_DIR}/packaging/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# What only the package holds, staged by cpack alone (packaging/debian/install_debian_files.cmake):
# changelog.Debian.gz for this revision (gzip -9n, as lintian asks), the lintian overrides.
# The copyright file and the manual page are installed by packaging/CMakeLists.txt.
set(VITALS_DEB_VERSION "${PROJECT_VERSION}-${VITALS_DEB_RELEASE}")
configure_file("${PROJECT_SOURCE_DIR}/packaging/debian/changelog.in"
  "${debian_control_dir}/changelog.Debian" @ONLY)
execute_process(COMMAND gzip -9n -c "${debian_control_dir}/changelog.Debian"
  OUTPUT_FILE "${debian_control_dir}/changelog.Debian.gz" COMMAND_ERROR_IS_FATAL ANY)
set(CPACK_VITALS_DEBIAN_CHANGELOG "${debian_control_dir}/changelog.Debian.gz")
configure_file("${PROJECT_SOURCE_DIR}/packaging/debian/lintian-overrides"
  "${debian_control_dir}/vitals" COPYONLY) # named after the package, as lintian looks it up
set(CPACK_VITALS_LINTIAN_OVERRIDES "${debian_control_dir}/vitals")
set(CPACK_INSTALL_SCRIPTS "${PROJECT_SOURCE_DIR}/packaging/debian/install_debian_files.cmake")

# cpack refuses a build that is not laid out for the package (see the check file).
set(CPACK_VITALS_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_VITALS_SOURCE_TREE_FALLBACK "${VITALS_SOURCE_TREE_FALLBACK}")
set(CPACK_VITALS_PLUGIN_INSTALL_DIR "${VITALS_PLUGIN_INSTALL_DIR}")
set(CPACK_VITALS_INSTALL_CONFIGDIR "${VITALS_INSTALL_CONFIGDIR}")
set(CPACK_VITALS_SYSTEMD_UNIT_INSTALL_DIR "${VITALS_SYSTEMD_UNIT_INSTALL_DIR}")
set(CPACK_PROJECT_CONFIG_FILE "${PROJECT_SOURCE_DIR}/packaging/cpack_checks.cmake")

include(CPack)
