# cmake --install: the CLI, the layer libraries (one export set each, so that
# find_package(binlogkit COMPONENTS ...) loads only what was asked for and its dependencies),
# the headers, the generated version.hpp, binlogkit.pc and the man page binlogkit.1.
set(_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/binlogkit)
foreach(layer IN LISTS BINLOGKIT_LAYERS)
  install(TARGETS binlogkit_${layer} EXPORT binlogkit-${layer}-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(EXPORT binlogkit-${layer}-targets NAMESPACE binlogkit:: DESTINATION ${_cmake_dir})
endforeach()
install(DIRECTORY include/binlogkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/binlogkit/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/binlogkit)
if(BINLOGKIT_BUILD_CLI)
  install(TARGETS binlogkit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(FILES ${PROJECT_BINARY_DIR}/binlogkit.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

configure_package_config_file(cmake/binlogkit-config.cmake.in
  ${PROJECT_BINARY_DIR}/binlogkit-config.cmake
  INSTALL_DESTINATION ${_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/binlogkit-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/binlogkit-config.cmake
  ${PROJECT_BINARY_DIR}/binlogkit-config-version.cmake
  DESTINATION ${_cmake_dir})

# pkg-config: one module, binlogkit, with every layer (a static build lists the libraries
# the layers use in Requires.private / Libs.private).
set(_pc_libs "")
foreach(layer replay triage sql tools rows events core)
  string(APPEND _pc_libs " -lbinlogkit_${layer}")
endforeach()
set(_pc_requires_private "fmt zlib libzstd libmariadb")
if(ISAL_FOUND)
  string(APPEND _pc_requires_private " libisal")
elseif(LIBDEFLATE_FOUND)
  string(APPEND _pc_requires_private " libdeflate")
endif()
set(_pc_libs_private "-lboost_iostreams -lboost_context -lstdc++")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(_pc_libdir "${CMAKE_INSTALL_LIBDIR}")
else()
  set(_pc_libdir "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(_pc_includedir "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(_pc_includedir "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(cmake/binlogkit.pc.in ${PROJECT_BINARY_DIR}/binlogkit.pc.in @ONLY)
# The prefix is the one given to cmake --install (--prefix), not the configure-time one.
install(CODE "
  file(READ \"${PROJECT_BINARY_DIR}/binlogkit.pc.in\" _pc)
  string(REPLACE \"%%PREFIX%%\" \"\${CMAKE_INSTALL_PREFIX}\" _pc \"\${_pc}\")
  file(WRITE \"${PROJECT_BINARY_DIR}/binlogkit.pc\" \"\${_pc}\")")
install(FILES ${PROJECT_BINARY_DIR}/binlogkit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
