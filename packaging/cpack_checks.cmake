# Run by cpack (CPACK_PROJECT_CONFIG_FILE) before it packages anything: a .deb
# from a development build would install an agent that looks for the source tree
# or for /usr/local. packaging/build-deb.sh configures a build that passes.
if(CPACK_GENERATOR STREQUAL "DEB")
  set(problems "")
  if(NOT CPACK_VITALS_INSTALL_PREFIX STREQUAL "/usr")
    string(APPEND problems "\n  CMAKE_INSTALL_PREFIX is ${CPACK_VITALS_INSTALL_PREFIX}, not /usr")
  endif()
  if(CPACK_VITALS_SOURCE_TREE_FALLBACK)
    string(APPEND problems "\n  VITALS_SOURCE_TREE_FALLBACK is ON")
  endif()
  if(NOT CPACK_VITALS_PLUGIN_INSTALL_DIR STREQUAL "lib/vitals/plugins")
    string(APPEND problems
      "\n  plugins would go to ${CPACK_VITALS_PLUGIN_INSTALL_DIR}, not lib/vitals/plugins (CMAKE_INSTALL_LIBDIR=lib)")
  endif()
  if(NOT CPACK_VITALS_INSTALL_CONFIGDIR STREQUAL "/etc/vitals")
    string(APPEND problems
      "\n  configuration would go to ${CPACK_VITALS_INSTALL_CONFIGDIR}, not /etc/vitals (CMAKE_INSTALL_SYSCONFDIR=/etc)")
  endif()
  if(NOT CPACK_VITALS_SYSTEMD_UNIT_INSTALL_DIR STREQUAL "/lib/systemd/system")
    string(APPEND problems
      "\n  the unit would go to ${CPACK_VITALS_SYSTEMD_UNIT_INSTALL_DIR}, not /lib/systemd/system")
  endif()
  if(problems)
    message(FATAL_ERROR "This build is not configured for the Debian package:${problems}\n"
      "Build the package with packaging/build-deb.sh.")
  endif()
endif()
