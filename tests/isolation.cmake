# Issue 12, "What must show": hostile plugins against the sandboxed plugin
# worker, one per attack class (tests/plugins/isolation/, built into
# build/tests/isolation, not tests/plugins: nothing else should load them),
# and tests/e2e_isolation.sh, one ctest per class. `ctest -R isolat` runs
# them all (and isolat_audit_chain).
set(GD_ISO_DIR ${CMAKE_BINARY_DIR}/tests/isolation)
set(GD_ISO_SRC ${CMAKE_CURRENT_LIST_DIR}/plugins/isolation)
set(GD_ISO_TOOLS ${CMAKE_CURRENT_LIST_DIR}/isolation_tools.py)
add_custom_target(gd_iso_all ALL)

# gd_iso_plugin(name src): src built like a third-party plugin into name.so.
function(gd_iso_plugin name src)
  add_library(gd_iso_${name} MODULE ${GD_ISO_SRC}/${src})
  target_link_libraries(gd_iso_${name} PRIVATE gordon_sdk)
  set_target_properties(gd_iso_${name} PROPERTIES PREFIX "" OUTPUT_NAME ${name} C_VISIBILITY_PRESET hidden
                        LIBRARY_OUTPUT_DIRECTORY ${GD_ISO_DIR})
  target_link_options(gd_iso_${name} PRIVATE -Wl,-z,defs)
  add_dependencies(gd_iso_all gd_iso_${name})
endfunction()

foreach(name iso_libc_walk iso_raw_syscall iso_busy iso_crash iso_tamper iso_sockimport)
  gd_iso_plugin(${name} ${name}.c)
endforeach()

# 3: glibc's aliases, imported (the lint refuses each) and found in memory.
gd_iso_plugin(iso_alias_walk iso_alias.c)
foreach(sym _IO_popen __libc_system __socket __connect __fork __sigaction gsignal timer_create)
  gd_iso_plugin(iso_alias_import_${sym} iso_alias.c)
  target_compile_definitions(gd_iso_iso_alias_import_${sym} PRIVATE GD_ISO_IMPORT=${sym})
endforeach()

# 4: a library of its own through DT_RUNPATH $ORIGIN, whose constructor
# connects out. Not --as-needed: the DT_NEEDED entry is the point.
add_library(gd_iso_dep SHARED ${GD_ISO_SRC}/iso_dep.c)
set_target_properties(gd_iso_dep PROPERTIES OUTPUT_NAME iso_dep LIBRARY_OUTPUT_DIRECTORY ${GD_ISO_DIR})
target_link_libraries(gd_iso_dep PRIVATE ${CMAKE_DL_LIBS})
gd_iso_plugin(iso_runpath iso_runpath.c)
target_link_libraries(gd_iso_iso_runpath PRIVATE -Wl,--no-as-needed gd_iso_dep)
set_target_properties(gd_iso_iso_runpath PROPERTIES BUILD_WITH_INSTALL_RPATH ON INSTALL_RPATH "$ORIGIN")
target_link_options(gd_iso_iso_runpath PRIVATE -Wl,--enable-new-dtags)

# 5: a plugin importing socket, with its section headers zeroed.
add_custom_command(OUTPUT ${GD_ISO_DIR}/iso_sockimport_noshdr.so
                   COMMAND python3 ${GD_ISO_TOOLS} zero-shdr $<TARGET_FILE:gd_iso_iso_sockimport>
                           ${GD_ISO_DIR}/iso_sockimport_noshdr.so
                   DEPENDS gd_iso_iso_sockimport ${GD_ISO_TOOLS} VERBATIM)
add_custom_target(gd_iso_noshdr DEPENDS ${GD_ISO_DIR}/iso_sockimport_noshdr.so)
add_dependencies(gd_iso_all gd_iso_noshdr)

# 6: a constructor and an IFUNC resolver, each connecting or creating a file.
foreach(when ctor ifunc)
  foreach(what connect marker)
    gd_iso_plugin(iso_${when}_${what} iso_ctor.c)
    string(TOUPPER "ISO_${when};ISO_${what}" defs)
    target_compile_definitions(gd_iso_iso_${when}_${what} PRIVATE ${defs})
  endforeach()
endforeach()

# The control: a plugin with no sandbox and no lint, to show each attack
# works when nothing stops it.
add_executable(gd_iso_harness ${GD_ISO_SRC}/iso_harness.c)
target_link_libraries(gd_iso_harness PRIVATE gordon_sdk ${CMAKE_DL_LIBS})
set_target_properties(gd_iso_harness PROPERTIES OUTPUT_NAME iso_harness RUNTIME_OUTPUT_DIRECTORY ${GD_ISO_DIR})
add_dependencies(gd_iso_all gd_iso_harness)

# One test per class; they measure the operator API's latency while plugins
# misbehave, so they run alone: beside other tests (PostgreSQL clusters, the
# venue, ASan builds on two cores) a probe waits on the scheduler, not on
# the host.
foreach(class libc_walk raw_syscall aliases runpath spoofed_shdr ctor_ifunc deadline deadline_rt crashes tamper parity)
  add_test(NAME isolation_${class}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/e2e_isolation.sh ${class} $<TARGET_FILE:gordon>
                   ${GD_PLUGIN_OUTPUT_DIR} ${GD_ISO_DIR}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(isolation_${class} PROPERTIES TIMEOUT 120 RUN_SERIAL TRUE)
endforeach()
