# Read by setup.sh's source build of llama-cpp-python at every project() call
# (CMAKE_PROJECT_INCLUDE). llama-cpp-python forces llama.cpp's `common` library on because its
# multimodal (mtmd) library needs it; setup.sh leaves mtmd out and the Python bindings never load
# `common`, so its compile units (chat parsers, jinja, an HTTP client) are skipped. Running after
# llama.cpp's own project() call is what lets this win over the forced value.
if(DEFINED LLAVA_BUILD AND NOT LLAVA_BUILD)
  set(LLAMA_BUILD_COMMON OFF CACHE BOOL "llama.cpp common library (not loaded by llama_cpp)" FORCE)
endif()
