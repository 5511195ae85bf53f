# Installs a binlogkit build tree into a scratch prefix, then checks what was installed:
# the consumer project in this directory (every component, one program each) configured,
# built and run against it; find_package with one component (only the layers below it,
# no libmariadb) and with one that does not exist (fails); the pkg-config file (a program
# built with its flags alone); the man page; the CLI and its --version.
#   cmake -DBUILD_DIR=... -DWORK_DIR=... -DGENERATOR=... -DCXX=... -DBINLOG=... -DVERSION=...
#         -P run.cmake
foreach(var BUILD_DIR WORK_DIR GENERATOR CXX BINLOG VERSION)
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

# expect(PROGRAM REGEX ARGS...): runs build/PROGRAM, its output must match REGEX exactly.
function(expect program regex)
  run("${program}" "${WORK_DIR}/build/${program}" ${ARGN})
  if(NOT last_output MATCHES "^${regex}\n$")
    message(FATAL_ERROR "${program} printed: '${last_output}', expected '${regex}'")
  endif()
  message(STATUS "${program}: ${last_output}")
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run("install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")

# Every component, a program from each.
run("configure" "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}" -B "${WORK_DIR}/build"
    -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_PREFIX_PATH=${prefix}")
run("build" "${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
string(REPLACE "." "\\." version_re "${VERSION}")
expect(core_crc32 "binlogkit ${version_re} crc32: 5ca4af04" "${BINLOG}")
expect(events_count "events: 102" "${BINLOG}")
expect(rows_decimal "decimal: 123\\.45")
expect(tools_verify "intact, 102 events" "${BINLOG}")
expect(sql_transactions "transactions: 24, statements: 106" "${BINLOG}")
expect(triage_report "events: 102, damaged ranges: 0, last good: yes" "${BINLOG}")
# Port 1 on loopback: nothing listens there, the connection is refused.
expect(replay_connect "refused: cannot connect: Can't connect to server on '127\\.0\\.0\\.1' \\([0-9]+\\) \\(2002\\)" 1)

# One component: the layers below it, nothing above, no libmariadb.
function(components list)
  string(REPLACE ";" "_" dir "${list}")
  execute_process(COMMAND "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}/components"
      -B "${WORK_DIR}/components-${dir}" -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX}"
      "-DCMAKE_PREFIX_PATH=${prefix}"
      "-DCOMPONENTS=${list}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(last_rc ${rc} PARENT_SCOPE)
  set(last_output "${out}${err}" PARENT_SCOPE)
endfunction()
components("tools")
if(NOT last_rc EQUAL 0 OR NOT last_output MATCHES
   "targets: binlogkit::core;binlogkit::events;binlogkit::rows;binlogkit::tools\n")
  message(FATAL_ERROR "find_package(binlogkit COMPONENTS tools) (${last_rc}):\n${last_output}")
endif()
components("sql;triage")
if(NOT last_rc EQUAL 0 OR NOT last_output MATCHES
   "targets: binlogkit::core;binlogkit::events;binlogkit::rows;binlogkit::sql;binlogkit::triage\n")
  message(FATAL_ERROR "find_package(binlogkit COMPONENTS sql triage) (${last_rc}):\n${last_output}")
endif()
components("replay")
if(NOT last_rc EQUAL 0 OR NOT last_output MATCHES
   "targets: binlogkit::core;binlogkit::events;binlogkit::rows;binlogkit::sql;binlogkit::triage;binlogkit::replay;PkgConfig::MARIADB;Boost::context\n")
  message(FATAL_ERROR "find_package(binlogkit COMPONENTS replay) (${last_rc}):\n${last_output}")
endif()
components("core;nosuch")
if(last_rc EQUAL 0 OR NOT last_output MATCHES "binlogkit has no component 'nosuch'")
  message(FATAL_ERROR "find_package(binlogkit COMPONENTS core nosuch) did not fail (${last_rc}):\n${last_output}")
endif()
message(STATUS "components: each loads the layers below it; an unknown one fails")

# pkg-config: the events program built from binlogkit.pc's flags alone.
find_program(PKG_CONFIG pkg-config REQUIRED)
set(ENV{PKG_CONFIG_PATH} "${prefix}/lib/pkgconfig:${prefix}/lib64:$ENV{PKG_CONFIG_PATH}")
file(GLOB pc "${prefix}/lib*/pkgconfig/binlogkit.pc" "${prefix}/lib/*/pkgconfig/binlogkit.pc")
if(NOT pc)
  message(FATAL_ERROR "no binlogkit.pc under ${prefix}")
endif()
get_filename_component(pcdir "${pc}" DIRECTORY)
set(ENV{PKG_CONFIG_PATH} "${pcdir}")
run("pkg-config --modversion" "${PKG_CONFIG}" --modversion binlogkit)
if(NOT last_output STREQUAL "${VERSION}\n")
  message(FATAL_ERROR "binlogkit.pc says version ${last_output}")
endif()
run("pkg-config" "${PKG_CONFIG}" --static --cflags --libs binlogkit)
string(STRIP "${last_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run("c++ with binlogkit.pc" "${CXX}" -o "${WORK_DIR}/build/events_count_pc"
    "${CMAKE_CURRENT_LIST_DIR}/events_count.cpp" ${flags})
run("events_count_pc" "${WORK_DIR}/build/events_count_pc" "${BINLOG}")
if(NOT last_output STREQUAL "events: 102\n")
  message(FATAL_ERROR "events_count built with binlogkit.pc printed: ${last_output}")
endif()
message(STATUS "binlogkit.pc: ${flags}")

# The man page, generated from --help, and the CLI.
file(GLOB man "${prefix}/share/man/man1/binlogkit.1")
if(NOT man)
  message(FATAL_ERROR "no share/man/man1/binlogkit.1 under ${prefix}")
endif()
file(READ "${man}" page)
foreach(want "^\\.TH BINLOGKIT 1 " "\n\\.SH NAME\nbinlogkit \\\\- read, verify, triage and replay"
             "\n\\.SH COMMAND: DUMP\n" "\n\\.SH COMMAND: TRIAGE\n" "\n\\.SH COMMAND: REPLAY\n"
             "--start-position" "binlogkit ${version_re}")
  if(NOT page MATCHES "${want}")
    message(FATAL_ERROR "binlogkit.1 lacks '${want}':\n${page}")
  endif()
endforeach()
run("binlogkit --version" "${prefix}/bin/binlogkit" --version)
if(NOT last_output STREQUAL "binlogkit ${VERSION}\n")
  message(FATAL_ERROR "installed binlogkit --version printed: ${last_output}")
endif()
message(STATUS "installed package found, built against and run; man page and CLI ${VERSION}")
