# vitals_add_plugin(<target> SOURCES ... [OUTPUT_DIRECTORY dir] [INSTALL])
#
# Builds a Vitals checker plugin: a MODULE library named <target>.so (no
# "lib" prefix) that exports only vitals_plugin_entry. Hidden visibility alone
# is not enough for C++: libstdc++ marks namespace std as default-visible, so
# inline template instantiations would leak; the version script hides them.
#
# OUTPUT_DIRECTORY defaults to VITALS_PLUGIN_OUTPUT_DIR when that is set (this
# tree puts every shipped plugin in one folder), else CMake's usual place.
# INSTALL installs it with vitals_install_plugin() to VITALS_PLUGIN_INSTALL_DIR
# (relative to the install prefix; find_package(Vitals) sets it to where the packaged
# agent looks), in the install component "plugins".
#
# Works from this tree and from an installed SDK (find_package(Vitals)): it links
# Vitals::sdk, which both provide, and finds its version script next to this file.
function(vitals_add_plugin target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "INSTALL" "OUTPUT_DIRECTORY" "SOURCES")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "vitals_add_plugin(${target}): SOURCES is required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "vitals_add_plugin(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY AND VITALS_PLUGIN_OUTPUT_DIR)
    set(ARG_OUTPUT_DIRECTORY "${VITALS_PLUGIN_OUTPUT_DIR}")
  endif()
  # Resolved here, not at include() time, so callers in any directory scope work.
  set(version_script "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/vitals_plugin.map")
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE Vitals::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  endif()
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${version_script}"
    "LINKER:--no-undefined")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${version_script}")
  if(ARG_INSTALL)
    if(NOT VITALS_PLUGIN_INSTALL_DIR)
      message(FATAL_ERROR "vitals_add_plugin(${target} INSTALL): set VITALS_PLUGIN_INSTALL_DIR")
    endif()
    vitals_install_plugin(${target} DESTINATION "${VITALS_PLUGIN_INSTALL_DIR}" COMPONENT plugins)
  endif()
endfunction()

# vitals_install_plugin(<target> DESTINATION <dir> [COMPONENT <component>])
#
# Installs a plugin (any MODULE library target) by copy, then rename: install(TARGETS)
# puts it in a dot-directory inside <dir> (RPATH, strip and permissions as usual), and
# one rename then puts it in place. A running vitalsd reloads when a plugin file
# changes: a file written in place may be caught half-written (and refused until it
# changes again); a renamed one is whole from the start. The agent ignores dot-files.
# <dir> is relative to the install prefix unless absolute; DESTDIR applies as usual.
function(vitals_install_plugin target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "DESTINATION;COMPONENT" "")
  if(NOT ARG_DESTINATION)
    message(FATAL_ERROR "vitals_install_plugin(${target}): DESTINATION is required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "vitals_install_plugin(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_COMPONENT)
    set(ARG_COMPONENT Unspecified) # install()'s own default
  endif()
  set(staging ".${target}.installing")
  install(TARGETS ${target} LIBRARY DESTINATION "${ARG_DESTINATION}/${staging}"
          COMPONENT ${ARG_COMPONENT})
  # Evaluated when installing, as install(TARGETS) evaluates its own destination.
  if(IS_ABSOLUTE "${ARG_DESTINATION}")
    set(dir "\$ENV{DESTDIR}${ARG_DESTINATION}")
  else()
    set(dir "\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${ARG_DESTINATION}")
  endif()
  set(name "$<TARGET_FILE_NAME:${target}>")
  install(CODE "
    file(RENAME \"${dir}/${staging}/${name}\" \"${dir}/${name}\")
    file(REMOVE_RECURSE \"${dir}/${staging}\")
    message(STATUS \"Renamed into place: ${dir}/${name}\")"
    COMPONENT ${ARG_COMPONENT})
endfunction()
