# Installs a binlogkit build tree into a scratch prefix, then configures, builds and runs
# the consumer project in this directory against it.
#   cmake -DBUILD_DIR=... -DWORK_DIR=... -DGENERATOR=... -DCXX=... -DBINLOG=... -P run.cmake
foreach(var BUILD_DIR WORK_DIR GENERATOR CXX BINLOG)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run.cmake needs -D${var}=...")
  endif()
endforeach()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run("install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
run("configure" "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}" -B "${WORK_DIR}/build"
    -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_PREFIX_PATH=${prefix}")
run("build" "${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
run("count_events" "${WORK_DIR}/build/count_events" "${BINLOG}")
if(NOT last_output MATCHES "^events: [1-9][0-9]*\n$")
  message(FATAL_ERROR "count_events printed: ${last_output}")
endif()
run("verify_events" "${WORK_DIR}/build/verify_events" "${BINLOG}")
if(NOT last_output MATCHES "^intact, [1-9][0-9]* events\n$")
  message(FATAL_ERROR "verify_events printed: ${last_output}")
endif()
message(STATUS "installed package found, built against and run: ${last_output}")
