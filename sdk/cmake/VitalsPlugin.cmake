# vitals_add_plugin(<target> SOURCES ... [OUTPUT_DIRECTORY dir])
#
# Builds a Vitals checker plugin: a MODULE library named <target>.so (no
# "lib" prefix) that exports only vitals_plugin_entry. Hidden visibility alone
# is not enough for C++: libstdc++ marks namespace std as default-visible, so
# inline template instantiations would leak; the version script hides them.
function(vitals_add_plugin target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_DIRECTORY" "SOURCES")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "vitals_add_plugin(${target}): SOURCES is required")
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY)
    set(ARG_OUTPUT_DIRECTORY "${VITALS_PLUGIN_OUTPUT_DIR}")
  endif()
  # Resolved here, not at include() time, so callers in any directory scope work.
  set(version_script "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/vitals_plugin.map")
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE vitals::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${version_script}"
    "LINKER:--no-undefined")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${version_script}")
endfunction()
