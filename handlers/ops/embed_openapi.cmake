# Writes OUTPUT, a C++ source defining progressd::openapi_document() (handlers/ops/openapi.hpp) as
# the bytes of INPUT (docs/openapi.json). Run at build time by handlers/CMakeLists.txt whenever
# the document changes:  cmake -DINPUT=... -DOUTPUT=... -P embed_openapi.cmake
# The bytes go in as numbers, not as a string literal, so no character of the document needs
# escaping and no delimiter can clash with it.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR size "${digits} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){24})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}" "// Generated from docs/openapi.json by handlers/ops/embed_openapi.cmake: do not edit.
#include \"handlers/ops/openapi.hpp\"

namespace progressd {
namespace {
// One byte more than the document (a final 0), so an empty document still compiles.
constexpr unsigned char document[${size} + 1] = {
${bytes}0};
}  // namespace

std::string_view openapi_document() { return {reinterpret_cast<const char*>(document), ${size}}; }

}  // namespace progressd
")
