# For every ordered pair of layers (A, B): preprocess a file in A's place that includes
# one of B's headers, with A's include path. It must resolve exactly when B is A itself
# or below it. Run by tests/layers/CMakeLists.txt; arguments TABLE, AGENT_DIR, CXX,
# WORK_DIR.
cmake_minimum_required(VERSION 3.25)
include("${TABLE}")
file(MAKE_DIRECTORY "${WORK_DIR}")

set(failures "")
set(pairs 0)
foreach(to IN LISTS layers)
  file(GLOB headers RELATIVE "${AGENT_DIR}" "${AGENT_DIR}/${to}/*.hpp")
  list(SORT headers)
  if(NOT headers)
    message(FATAL_ERROR "layer '${to}' has no header in ${AGENT_DIR}/${to}")
  endif()
  list(GET headers 0 header)
  set(probe "${WORK_DIR}/includes_${to}.cpp")
  file(WRITE "${probe}" "#include \"${header}\"\n")

  foreach(from IN LISTS layers)
    string(REPLACE "," ";" below "${layer_${from}_below}")
    set(flags "")
    foreach(dir IN LISTS layer_${from}_includes)
      # The system directory stays where the compiler puts it: -I/usr/include would
      # break libstdc++'s #include_next.
      if(NOT dir STREQUAL "/usr/include")
        list(APPEND flags "-I${dir}")
      endif()
    endforeach()
    execute_process(COMMAND "${CXX}" -std=c++20 -E ${flags} "${probe}" -o /dev/null
                    RESULT_VARIABLE status ERROR_VARIABLE errors)
    math(EXPR pairs "${pairs} + 1")
    if(from STREQUAL to OR to IN_LIST below)
      if(NOT status EQUAL 0)
        string(APPEND failures "'${from}' cannot include '${header}' from a layer below it:\n${errors}\n")
      endif()
    elseif(status EQUAL 0)
      string(APPEND failures "'${from}' can include '${header}', from a layer that is not below it\n")
    elseif(NOT errors MATCHES "${header}: No such file or directory")
      string(APPEND failures "'${from}' including '${header}' failed for another reason:\n${errors}\n")
    endif()
  endforeach()
endforeach()

if(failures)
  message(FATAL_ERROR "${failures}")
endif()
message(STATUS "${pairs} pairs of layers checked")
