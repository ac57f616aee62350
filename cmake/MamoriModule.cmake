# Compile options shared by every mamori target.
add_library(mamori_options INTERFACE)
target_compile_options(mamori_options INTERFACE -Wall -Wextra -Wpedantic)
if(MAMORI_WERROR)
  target_compile_options(mamori_options INTERFACE -Werror)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # libstdc++ 12 hides <expected> from clang unless it believes concepts are complete.
  target_compile_options(mamori_options INTERFACE -D__cpp_concepts=202002L -Wno-macro-redefined)
endif()
if(MAMORI_SANITIZE)
  target_compile_options(mamori_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(mamori_options INTERFACE -fsanitize=address,undefined)
endif()
if(MAMORI_FUZZ)
  target_compile_options(mamori_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_options(mamori_options INTERFACE -fsanitize=address,undefined)
endif()

# mamori_module(NAME DEPS <public deps...> PRIVATE_DEPS <private deps...>)
# One static library per folder under src/mamori; sources are the folder's .cc files.
function(mamori_module name)
  cmake_parse_arguments(ARG "" "" "DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  add_library(mamori_${name} STATIC ${sources})
  target_include_directories(mamori_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(mamori_${name} PUBLIC mamori_options ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# Test sources are compiled eight to a unit: each includes gtest, nlohmann/json and fmt, and
# instantiates much the same templates, which one unit compiles once (CI builds the suite
# twice from scratch, release and sanitized). MAMORI_UNITY_TESTS=OFF compiles each file alone.
option(MAMORI_UNITY_TESTS "Compile the test sources in batches (unity build)" ON)
# Files whose file-local helpers share a name with a sibling's (a unit would see both); they
# are compiled alone until their helpers are renamed or shared through tests/support.
set(MAMORI_UNITY_STANDALONE
  analysis/finding_store_test.cc
  cli/sieve_loop_test.cc
  decode/tls_client_hello_test.cc
  decode/tls_pcap_agreement_test.cc
  flowexport/ipfix_test.cc
  flowexport/netflow_v9_test.cc
  flowexport/truncation_test.cc
  governance/approval_test.cc
  governance/reidentification_test.cc
  integration/live_capture_test.cc
  integration/pipeline_test.cc
  integration/registry_test.cc
  ledger/keys_test.cc
  ledger/tree_head_test.cc
  ledger/verify_test.cc
  oversight/report_test.cc
  privacy/pseudonymizer_test.cc
  scope/country_table_test.cc
  scope/overrides_test.cc
  server/maintenance_schedule_test.cc
  server/taxii_store_test.cc
  server/taxii_tier_delivery_test.cc
  sieve/flow_record_sieve_test.cc
  sieve/ruleset_test.cc
  sieve/sharded_sieve_test.cc
  sieve/sieve_test.cc
  store/ledger_storage_conformance.cc
  store/sqlite_store_test.cc
  store/store_conformance.cc)

# mamori_test(NAME LIBS <libs...>): one GoogleTest binary from tests/<dir>/*.cc
function(mamori_test name)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  if(NOT sources)
    return()
  endif()
  add_executable(test_${name} ${sources})
  target_link_libraries(test_${name} PRIVATE mamori_options ${ARG_LIBS} GTest::gtest_main GTest::gmock)
  # tests/support/*.h: helpers shared by the test binaries.
  target_include_directories(test_${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  if(MAMORI_UNITY_TESTS)
    set_target_properties(test_${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
    foreach(file IN LISTS MAMORI_UNITY_STANDALONE)
      set(path ${PROJECT_SOURCE_DIR}/tests/${file})
      if(path IN_LIST sources)
        set_source_files_properties(${path} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
      endif()
    endforeach()
  endif()
  target_compile_definitions(test_${name} PRIVATE
    MAMORI_SOURCE_DIR="${PROJECT_SOURCE_DIR}" MAMORI_BINARY_DIR="${PROJECT_BINARY_DIR}")
  include(GoogleTest)
  gtest_discover_tests(test_${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${name})
endfunction()
