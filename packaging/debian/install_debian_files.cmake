# Run by cpack (CPACK_INSTALL_SCRIPTS) while it stages the Debian package, and by nothing
# else: these files belong to the package, not to `cmake --install`. changelog.Debian.gz
# names the package's Debian revision; the lintian overrides say why a tag does not apply.
# file(INSTALL) stages them under cpack's DESTDIR.
set(readable OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${CPACK_VITALS_DEBIAN_CHANGELOG}"
  DESTINATION "${CMAKE_INSTALL_PREFIX}/share/doc/vitals" FILE_PERMISSIONS ${readable})
file(INSTALL "${CPACK_VITALS_LINTIAN_OVERRIDES}"
  DESTINATION "${CMAKE_INSTALL_PREFIX}/share/lintian/overrides" FILE_PERMISSIONS ${readable})
