# binlogkit_layer(NAME [PUBLIC deps...] [PRIVATE deps...])
# One library per layer: every src/NAME/*.cpp (a file added there is built without touching
# this list), target binlogkit_NAME, alias binlogkit::NAME, exported as binlogkit::NAME.
# Public headers: include/binlogkit/ (and the generated binlogkit/version.hpp); the layer's
# private headers live beside its .cpp files, and src/ is on the private include path so that
# "LAYER/private.hpp" names another layer's private header (only layers below: see
# tests/layering/allowed.txt). Shared builds carry VERSION and SOVERSION.
set(BINLOGKIT_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})

function(binlogkit_layer name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "PUBLIC;PRIVATE")
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  set(target binlogkit_${name})
  add_library(${target} ${sources})
  add_library(binlogkit::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME ${target}
    POSITION_INDEPENDENT_CODE ON VERSION ${PROJECT_VERSION} SOVERSION ${BINLOGKIT_SOVERSION})
  target_include_directories(${target}
    PUBLIC
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
      $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${arg_PUBLIC}
    PRIVATE $<BUILD_INTERFACE:binlogkit_warnings> ${arg_PRIVATE})
endfunction()
