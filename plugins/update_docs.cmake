# cmake -DVITALSD=<vitalsd> -DPLUGINS=<a.so|b.so|...> -DDOCS_DIR=<docs/plugins> -P update_docs.cmake
#
# Writes each plugin's parameter table, as `vitalsd describe --plugin <file>` prints it, into
# docs/plugins/<name>.md between the markers the page already holds: the table a test
# compares with describe's (tests/sdk/describe_test.cpp). Run it through the build:
#   cmake --build build --target plugin_docs
set(begin_marker "<!-- BEGIN parameters")
set(end_marker "<!-- END parameters -->")

string(REPLACE "|" ";" plugin_files "${PLUGINS}")
foreach(file IN LISTS plugin_files)
  get_filename_component(name "${file}" NAME_WE)
  set(page "${DOCS_DIR}/${name}.md")
  execute_process(COMMAND "${VITALSD}" describe --plugin "${file}"
                  OUTPUT_VARIABLE described RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "vitalsd describe --plugin ${file} failed (${status})")
  endif()
  string(FIND "${described}" "${begin_marker}" from)
  string(FIND "${described}" "${end_marker}" to)
  string(LENGTH "${end_marker}" end_length)
  math(EXPR table_length "${to} + ${end_length} - ${from}")
  string(SUBSTRING "${described}" ${from} ${table_length} table)

  file(READ "${page}" text)
  string(FIND "${text}" "${begin_marker}" page_from)
  string(FIND "${text}" "${end_marker}" page_to)
  if(page_from EQUAL -1 OR page_to EQUAL -1)
    message(FATAL_ERROR "${page}: no parameter table markers; put these where it goes:\n${table}")
  endif()
  math(EXPR after "${page_to} + ${end_length}")
  string(SUBSTRING "${text}" 0 ${page_from} before_table)
  string(SUBSTRING "${text}" ${after} -1 after_table)
  set(updated "${before_table}${table}${after_table}")
  if(NOT updated STREQUAL text)
    file(WRITE "${page}" "${updated}")
    message(STATUS "updated ${page}")
  endif()
endforeach()
