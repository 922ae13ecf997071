# SDK compatibility (tests/test_sdk_compat.c): the 1.0 layout against the
# current header, the plugin helpers (gordon/helpers.h), every bundled
# plugin's restore refusing bad blobs all-or-nothing, and a plugin built
# against the frozen 1.0 header (tests/sdk10) loading, trading, snapshotting
# and restoring through the real engine, across a reload to another build.

# Built against the frozen 1.0 header only: no gordon_sdk on these targets.
add_library(gd_sdk10_layout OBJECT ${CMAKE_CURRENT_LIST_DIR}/sdk10/layout.c)
target_include_directories(gd_sdk10_layout PRIVATE ${CMAKE_CURRENT_LIST_DIR}/sdk10)

# One source, two builds that differ in content (V10_BUILD) but not in name.
foreach(b 1 2)
  set(tgt gd_test_plugin_v10_strategy_${b})
  add_library(${tgt} MODULE ${CMAKE_CURRENT_LIST_DIR}/plugins_sdk10/v10_strategy.c)
  target_include_directories(${tgt} PRIVATE ${CMAKE_CURRENT_LIST_DIR}/sdk10)
  target_compile_definitions(${tgt} PRIVATE V10_BUILD=${b})
  set_target_properties(${tgt} PROPERTIES PREFIX "" OUTPUT_NAME v10_strategy_${b}
                        C_VISIBILITY_PRESET hidden
                        LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/plugins_sdk10)
  target_link_options(${tgt} PRIVATE -Wl,-z,defs)
endforeach()

gd_add_unit(test_sdk_compat ${CMAKE_CURRENT_LIST_DIR}/test_sdk_compat.c
            ${CMAKE_CURRENT_LIST_DIR}/fake_host.c)
target_link_libraries(test_sdk_compat PRIVATE gd_sdk10_layout)
add_dependencies(test_sdk_compat gd_test_plugin_v10_strategy_1 gd_test_plugin_v10_strategy_2
                 ema_cross donchian_breakout trend_filter volatility_filter drawdown vpin correlation macro)
target_link_libraries(test_sdk_compat PRIVATE ${CMAKE_DL_LIBS} m)
# The frozen header's digest, checked by the test: editing it fails loudly.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/sdk10/gordon/sdk.h)
file(SHA256 ${CMAKE_CURRENT_LIST_DIR}/sdk10/gordon/sdk.h GD_SDK10_SHA256)
target_compile_definitions(test_sdk_compat PRIVATE
  GD_SDK10_SHA256="${GD_SDK10_SHA256}"
  GD_V10_PLUGIN_1="$<TARGET_FILE:gd_test_plugin_v10_strategy_1>"
  GD_V10_PLUGIN_2="$<TARGET_FILE:gd_test_plugin_v10_strategy_2>")
