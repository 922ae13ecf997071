# The plugin lint (host/plugin/lint.c): tests/test_lint.c and the .so files
# it judges, built from tests/plugins/lint/ into build/tests/lint (not
# tests/plugins: nothing else should load them). `ctest -R lint` runs them.
gd_add_unit(test_lint ${CMAKE_CURRENT_LIST_DIR}/test_lint.c)
set(GD_LINT_DIR ${CMAKE_BINARY_DIR}/tests/lint)
set(GD_LINT_SRC ${CMAKE_CURRENT_LIST_DIR}/plugins/lint)
target_compile_definitions(test_lint PRIVATE GD_LINT_FIXTURES="${GD_LINT_DIR}")

# gd_lint_fixture(name src): src built like a third-party plugin into name.so.
function(gd_lint_fixture name src)
  add_library(gd_lint_${name} MODULE ${GD_LINT_SRC}/${src})
  target_link_libraries(gd_lint_${name} PRIVATE gordon_sdk m)
  set_target_properties(gd_lint_${name} PROPERTIES PREFIX "" OUTPUT_NAME ${name} C_VISIBILITY_PRESET hidden
                        LIBRARY_OUTPUT_DIRECTORY ${GD_LINT_DIR})
  target_link_options(gd_lint_${name} PRIVATE -Wl,-z,defs -Wl,--as-needed)
  add_dependencies(test_lint gd_lint_${name})
endfunction()

gd_lint_fixture(good good.c)

# glibc's aliases of what plugins may not call: one import each.
foreach(sym _IO_popen __libc_system __socket __connect __fork __sigaction gsignal timer_create socket)
  gd_lint_fixture(import_${sym} import.c)
  target_compile_definitions(gd_lint_import_${sym} PRIVATE GD_LINT_IMPORT=${sym})
endforeach()

# A library search path, in both forms.
gd_lint_fixture(runpath good.c)
set_target_properties(gd_lint_runpath PROPERTIES BUILD_RPATH "$ORIGIN")
target_link_options(gd_lint_runpath PRIVATE -Wl,--enable-new-dtags)
gd_lint_fixture(rpath good.c)
target_link_options(gd_lint_rpath PRIVATE -Wl,--disable-new-dtags,-rpath,/opt/gd-lint-rpath)

# A DT_NEEDED that a libc.so.* pattern admits (libc.so.6.evil): alone, and
# as the attack came, with a RUNPATH to where it lies.
add_library(gd_lint_evil_libc SHARED ${GD_LINT_SRC}/evil_libc.c)
set_target_properties(gd_lint_evil_libc PROPERTIES OUTPUT_NAME c SUFFIX ".so.6.evil" NO_SONAME ON
                      LIBRARY_OUTPUT_DIRECTORY ${GD_LINT_DIR}/evil)
target_link_options(gd_lint_evil_libc PRIVATE -Wl,-soname,libc.so.6.evil)
foreach(name needs_evil_libc evil_libc_runpath)
  gd_lint_fixture(${name} good.c)
  target_link_libraries(gd_lint_${name} PRIVATE -Wl,--no-as-needed gd_lint_evil_libc)
endforeach()
set_target_properties(gd_lint_needs_evil_libc PROPERTIES SKIP_BUILD_RPATH ON)
target_link_options(gd_lint_evil_libc_runpath PRIVATE -Wl,--enable-new-dtags)

# Section headers zeroed (e_shoff, e_shnum, e_shstrndx): judged as before.
add_executable(gd_lint_zero_shdr ${GD_LINT_SRC}/zero_shdr.c)
foreach(name good import_socket)
  add_custom_command(OUTPUT ${GD_LINT_DIR}/${name}_noshdr.so
                     COMMAND gd_lint_zero_shdr $<TARGET_FILE:gd_lint_${name}> ${GD_LINT_DIR}/${name}_noshdr.so
                     DEPENDS gd_lint_zero_shdr gd_lint_${name} VERBATIM)
  list(APPEND GD_LINT_NOSHDR ${GD_LINT_DIR}/${name}_noshdr.so)
endforeach()
add_custom_target(gd_lint_noshdr DEPENDS ${GD_LINT_NOSHDR})
add_dependencies(test_lint gd_lint_noshdr)
