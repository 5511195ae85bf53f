# Writes binlogkit.1, a man page made from the command's own help, so that the page never
# says what --help does not (run at build time: cmake -DBINLOGKIT=path -DVERSION=x.y.z
# -DOUT=binlogkit.1 -P help2man.cmake).
#   NAME / SYNOPSIS / DESCRIPTION   from `binlogkit --help`
#   one section per command         from `binlogkit COMMAND --help`
foreach(var BINLOGKIT VERSION OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "help2man.cmake needs -D${var}=...")
  endif()
endforeach()

function(help out_var)
  execute_process(COMMAND ${BINLOGKIT} ${ARGN} --help RESULT_VARIABLE rc
    OUTPUT_VARIABLE text ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR text STREQUAL "")
    message(FATAL_ERROR "binlogkit ${ARGN} --help failed (${rc}): ${err}")
  endif()
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# Text as roff: backslashes doubled, a leading dot or quote escaped, each line kept.
function(roff out_var text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out_var} ".nf\n${text}.fi\n" PARENT_SCOPE)
endfunction()

help(main)
# The commands: the first words, indented by two spaces, of the "Subcommands:" list (up to
# its blank line).
set(commands "")
string(REGEX MATCH "\nSubcommands:\n([^\n]+\n)+" list "${main}")
string(REGEX MATCHALL "\n  ([a-z][a-z-]*)" words "${list}")
foreach(w IN LISTS words)
  string(STRIP "${w}" w)
  list(APPEND commands "${w}")
endforeach()
if(commands STREQUAL "")
  message(FATAL_ERROR "no Subcommands list in binlogkit --help:\n${main}")
endif()

string(TIMESTAMP date "%Y-%m-%d" UTC)  # SOURCE_DATE_EPOCH, when set, is honoured
string(REGEX MATCH "^[^\n]*" summary "${main}")
string(REGEX REPLACE "^binlogkit: " "" summary "${summary}")
roff(body "${main}")
set(page ".TH BINLOGKIT 1 \"${date}\" \"binlogkit ${VERSION}\" \"User Commands\"\n")
string(APPEND page ".SH NAME\nbinlogkit \\- ${summary}\n")
string(APPEND page ".SH SYNOPSIS\n.B binlogkit\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR] \\fIINPUT\\fR...\n")
string(APPEND page ".SH DESCRIPTION\n${body}")
foreach(c IN LISTS commands)
  help(text ${c})
  roff(body "${text}")
  string(TOUPPER "${c}" title)
  string(APPEND page ".SH COMMAND: ${title}\n${body}")
endforeach()
string(APPEND page ".SH VERSION\nbinlogkit ${VERSION}\n")
file(WRITE "${OUT}" "${page}")
