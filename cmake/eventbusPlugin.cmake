# Helpers for transport plugins built against the installed eventbus SDK.
# Included by eventbusConfig.cmake; needs the target eventbus::eventbus.

# eventbus_require_plugin_api(<version>)
#   Stops the configuration unless this SDK speaks plugin API <version>, the
#   one the plugin's sources are written for: a plugin built against another
#   API is refused by every host of this SDK ("built for plugin API N, this
#   host speaks M"), so fail here, at build time, with the same words.
function(eventbus_require_plugin_api version)
  if(NOT EVENTBUS_PLUGIN_API_VERSION EQUAL version)
    message(FATAL_ERROR "this plugin is written for eventbus plugin API ${version}; the SDK found "
      "(${eventbus_DIR}) speaks ${EVENTBUS_PLUGIN_API_VERSION}. Port it (docs/plugin-guide.md, "
      "Versioning) or point CMAKE_PREFIX_PATH at an SDK of API ${version}.")
  endif()
endfunction()

# eventbus_add_plugin(<target> <sources...>)
#   A transport plugin: the MODULE library lib<target>.so, linked to
#   eventbus::eventbus, with hidden visibility (only what EVENTBUS_PLUGIN or
#   EVENTBUS_PLUGIN_BEGIN/END export is visible: the version symbol and the
#   transports' and capabilities' manifests) and no undefined symbols, so its
#   RTTI and exceptions resolve against libeventbus. Built into ${CMAKE_BINARY_DIR}/plugins (a
#   folder holding nothing else, so eventbus.plugins.path can point at it) and
#   installed by `cmake --install` into lib/eventbus/plugins of the prefix.
function(eventbus_add_plugin target)
  add_library(${target} MODULE ${ARGN})
  target_link_libraries(${target} PRIVATE eventbus::eventbus)
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/plugins
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(NOT EVENTBUS_SANITIZE)
    # A sanitized plugin leaves the sanitizer runtime to the host.
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  install(TARGETS ${target} LIBRARY DESTINATION lib/eventbus/plugins)
endfunction()

# eventbus_add_conformance_test(<name> TRANSPORT <transport> PLUGIN <target>
#                               [KEYS key=value...] [TIMEOUT seconds])
#   Builds the transport conformance suite (${EVENTBUS_CONFORMANCE_DIR}) as the
#   executable <name>, against the transport <transport> that the plugin
#   target <target> provides, and registers it with add_test() (call
#   enable_testing() first). KEYS are the transport's other configuration keys
#   (e.g. eventbus.myqueue.url=...). Needs CppUnit (pkg-config cppunit).
function(eventbus_add_conformance_test name)
  cmake_parse_arguments(C "" "TRANSPORT;PLUGIN;TIMEOUT" "KEYS" ${ARGN})
  if(NOT C_TRANSPORT OR NOT C_PLUGIN)
    message(FATAL_ERROR "eventbus_add_conformance_test(${name}): TRANSPORT and PLUGIN are required")
  endif()
  if(NOT TARGET PkgConfig::EVENTBUS_CPPUNIT)
    find_package(PkgConfig REQUIRED)
    pkg_check_modules(EVENTBUS_CPPUNIT REQUIRED IMPORTED_TARGET GLOBAL cppunit)
  endif()
  add_executable(${name}
    ${EVENTBUS_CONFORMANCE_DIR}/TransportConformanceTest.cpp
    ${EVENTBUS_CONFORMANCE_DIR}/ConfiguredTarget.cpp
    ${EVENTBUS_CONFORMANCE_DIR}/ConformanceMain.cpp)
  target_include_directories(${name} PRIVATE ${EVENTBUS_CONFORMANCE_DIR})
  target_link_libraries(${name} PRIVATE eventbus::eventbus PkgConfig::EVENTBUS_CPPUNIT)
  target_compile_definitions(${name} PRIVATE
    EVENTBUS_CONFORMANCE_TRANSPORT="${C_TRANSPORT}"
    EVENTBUS_CONFORMANCE_PLUGINS_PATH="$<TARGET_FILE_DIR:${C_PLUGIN}>")
  add_dependencies(${name} ${C_PLUGIN})
  add_test(NAME ${name} COMMAND ${name})
  if(NOT C_TIMEOUT)
    set(C_TIMEOUT 120)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${C_TIMEOUT})
  if(C_KEYS)
    # One environment entry; its ';' must survive the property's list syntax.
    string(REPLACE ";" "\\;" keys "${C_KEYS}")
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "EVENTBUS_CONFORMANCE_KEYS=${keys}")
  endif()
endfunction()
