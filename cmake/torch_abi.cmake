# C++ ABI check of LibTorch (after find_package(Torch)); docs/cuda.md.
#
# libstdc++ has two ABIs for std::string and std::list, chosen by _GLIBCXX_USE_CXX11_ABI. LibTorch, idealgas and
# every other C++ library it links (Debian's fmt, toml++, GoogleTest, Google Benchmark, ...) must use the same one:
# a mismatch fails at link time (undefined references to std::__cxx11::basic_string or to their old-ABI twins) or,
# where it links, passes strings of one layout to code that expects the other. Debian builds everything with the
# C++11 ABI (1), which is also this compiler's default; PyTorch's pip wheels (1.x and early 2.x) and the "pre-cxx11"
# LibTorch zips use the old one (0). TorchConfig.cmake puts LibTorch's ABI into TORCH_CXX_FLAGS and the torch
# target's compile options, so without this check idealgas_torch would silently be compiled with it.

# 0 or 1: the ABI the shared library `lib` was built with, from its exported C++ symbols (a std::string in a
# signature demangles with __cxx11 or [abi:cxx11] in the new ABI only); "" when it cannot tell.
function(idealgas_library_cxx_abi lib out)
  set(${out} "" PARENT_SCOPE)
  if(NOT CMAKE_NM OR NOT EXISTS "${lib}")
    return()
  endif()
  execute_process(COMMAND ${CMAKE_NM} -DC --defined-only "${lib}" OUTPUT_VARIABLE symbols ERROR_QUIET)
  if(symbols MATCHES "__cxx11|abi:cxx11")
    set(${out} 1 PARENT_SCOPE)
  elseif(symbols MATCHES "std::basic_string<char")
    set(${out} 0 PARENT_SCOPE)
  endif()
endfunction()

function(idealgas_check_torch_abi)
  # The ABI idealgas is compiled with (the compiler's default and CMAKE_CXX_FLAGS).
  include(CheckCXXSourceCompiles)
  unset(IDEALGAS_CXX11_ABI CACHE)  # re-checked at every configure: CMAKE_CXX_FLAGS may have changed
  check_cxx_source_compiles("#include <string>
#if !_GLIBCXX_USE_CXX11_ABI
#error old ABI
#endif
int main() { return 0; }" IDEALGAS_CXX11_ABI)
  if(IDEALGAS_CXX11_ABI)
    set(project_abi 1)
  else()
    set(project_abi 0)
  endif()
  # The ABI Debian's libraries need: fmt's, read from its symbols (fmt::vformat returns a std::string).
  set(deps_abi "")
  if(TARGET fmt::fmt)
    get_target_property(fmt_lib fmt::fmt LOCATION)
    idealgas_library_cxx_abi("${fmt_lib}" deps_abi)
  endif()
  # LibTorch's: TORCH_CXX_FLAGS, else the symbols of libc10.
  set(torch_abi "")
  set(torch_source "TORCH_CXX_FLAGS = '${TORCH_CXX_FLAGS}'")
  if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=([01])")
    set(torch_abi ${CMAKE_MATCH_1})
  else()
    unset(IDEALGAS_C10_LIBRARY CACHE)
    find_library(IDEALGAS_C10_LIBRARY c10 NO_DEFAULT_PATH  # this LibTorch's, never another one on the system
                 HINTS "${TORCH_INSTALL_PREFIX}/lib" "${TORCH_INSTALL_PREFIX}/lib/${CMAKE_LIBRARY_ARCHITECTURE}")
    idealgas_library_cxx_abi("${IDEALGAS_C10_LIBRARY}" torch_abi)
    set(torch_source "the symbols of ${IDEALGAS_C10_LIBRARY}")
  endif()
  if(torch_abi STREQUAL "")
    message(WARNING "idealgas: could not tell which C++ ABI (_GLIBCXX_USE_CXX11_ABI) LibTorch in "
                    "'${TORCH_INSTALL_PREFIX}' was built with; if linking fails with undefined std::__cxx11 "
                    "symbols, see docs/cuda.md")
    return()
  endif()
  message(STATUS "idealgas: C++ ABI (_GLIBCXX_USE_CXX11_ABI): LibTorch ${torch_abi} (${torch_source}), idealgas "
                 "${project_abi}, Debian's libraries (fmt) ${deps_abi}")
  if(NOT deps_abi STREQUAL "" AND NOT project_abi STREQUAL deps_abi)
    message(FATAL_ERROR "idealgas is compiled with _GLIBCXX_USE_CXX11_ABI=${project_abi} (CMAKE_CXX_FLAGS = "
                        "'${CMAKE_CXX_FLAGS}') but Debian's libraries (fmt: ${fmt_lib}) use ${deps_abi}; remove the "
                        "-D_GLIBCXX_USE_CXX11_ABI flag (docs/cuda.md)")
  endif()
  if(NOT torch_abi STREQUAL project_abi)
    message(FATAL_ERROR "LibTorch in '${TORCH_INSTALL_PREFIX}' was built with _GLIBCXX_USE_CXX11_ABI=${torch_abi} "
                        "(${torch_source}), but idealgas and Debian's libraries it links (fmt, toml++, GoogleTest, "
                        "...) use _GLIBCXX_USE_CXX11_ABI=${project_abi}: std::string differs between the two, so the "
                        "build would fail to link or crash. Use a LibTorch built with the C++11 ABI: the 'cxx11 ABI' "
                        "LibTorch zip from pytorch.org (libtorch-cxx11-abi-shared-with-deps-VERSION+cuXYZ.zip, "
                        "unpacked, then -DCMAKE_PREFIX_PATH=/path/to/libtorch), or a pip torch for which "
                        "python3 -c 'import torch; print(torch.compiled_with_cxx11_abi())' prints True "
                        "(docs/cuda.md).")
  endif()
endfunction()
