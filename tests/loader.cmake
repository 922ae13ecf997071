# Loader tests: test_loader plus the deliberately broken plugins it loads.
gd_add_unit(test_loader ${CMAKE_CURRENT_SOURCE_DIR}/test_loader.c)

# Each tests/plugins/<name>.c becomes <name>.so in build/tests/plugins, built
# against the SDK only, like a third-party plugin (not into the bundled dir).
set(GD_TEST_PLUGIN_OUTPUT_DIR ${CMAKE_BINARY_DIR}/tests/plugins)
file(GLOB GD_TEST_PLUGIN_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/plugins/*.c)
foreach(src ${GD_TEST_PLUGIN_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  set(tgt gd_test_plugin_${name})
  add_library(${tgt} MODULE ${src})
  target_link_libraries(${tgt} PRIVATE gordon_sdk)
  set_target_properties(${tgt} PROPERTIES PREFIX "" OUTPUT_NAME ${name}
                        C_VISIBILITY_PRESET hidden
                        LIBRARY_OUTPUT_DIRECTORY ${GD_TEST_PLUGIN_OUTPUT_DIR})
  # host_* must link despite the unresolved host symbol, so that dlopen is
  # what refuses them; the rest link like real plugins.
  if(name MATCHES "^host_")
    target_link_options(${tgt} PRIVATE -Wl,--unresolved-symbols=ignore-all)
  else()
    target_link_options(${tgt} PRIVATE -Wl,-z,defs)
  endif()
  add_dependencies(test_loader ${tgt})
endforeach()
target_link_libraries(gd_test_plugin_imports_dlopen PRIVATE ${CMAKE_DL_LIBS})
# Not --as-needed: the DT_NEEDED entry is the point.
target_link_libraries(gd_test_plugin_needs_lib PRIVATE -Wl,--no-as-needed PkgConfig::CJSON)

# A relocatable object: an ELF file that is not a shared object.
add_library(gd_test_reloc_obj OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/plugins/good_strategy.c)
target_link_libraries(gd_test_reloc_obj PRIVATE gordon_sdk)
add_dependencies(test_loader gd_test_reloc_obj)
target_compile_definitions(test_loader PRIVATE
  GD_TEST_RELOC_OBJ="$<TARGET_OBJECTS:gd_test_reloc_obj>")
# A plugin built against another sdk.h with the same ABI numbers, named as such.
add_test(NAME loader_sdk_header_mismatch COMMAND test_loader "*sdk_header_mismatch*"
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
